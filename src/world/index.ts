// The world layer's public API in one import: the shallow-water model, test cases, diagnostics, the planet, truth
// datasets and real initial states.
export { ShallowWaterModel, SWE_CONSTANTS, type SweOptions, type SweState, type SweField, type SweGridFields, type SweFloat } from './swe.ts';
export { williamson2, williamson5, williamson6, williamson5Mountain, rossbyHaurwitzPhaseSpeed, spectraFromGrid, stateFromCase, ROSSBY_HAURWITZ, type CaseFields } from './cases.ts';
export { runWilliamson2, runWilliamson5, runWilliamson6, type CaseRunOptions } from './williamson.ts';
export { memberGrid, cellAreas, integrate, fluidVolume, totalEnergy, kineticEnergySplit, normalisedL2, type MemberGrid } from './diagnostics.ts';
export { Planet, planetConfig, truncateState, equilibriumDepth, equilibriumWind, northernWinter, DEFAULT_PLANET, FORECAST_GRID, YEAR_SECONDS, type PlanetConfig } from './planet.ts';
export { EARTH_FIELDS, EARTH_DATA_PATH, prepareEarthFields, saveEarthFields, loadEarthFields, earthFieldOnGrid, type EarthFields, type EarthFieldName } from './earth.ts';
export {
  runTruth,
  writeClimate,
  parseTruthRunConfig,
  saveState,
  loadState,
  stateForModel,
  ForecastGridOutput,
  noleapMonth,
  SHIPPED_STATE_PATH,
  TIME_UNITS,
  CALENDAR,
  OUTPUT_HOURS,
  TIME_CHUNK,
  CLIMATE_PERCENTILES,
  type TruthRunConfig,
  type SavedState,
} from './truth.ts';
export { realInitialState, bilinearRegrid, type RealInitialOptions } from './initial.ts';
export { balancedPerturbation, type BalancedPerturbation } from './twins.ts';
