// Diagnostics of shallow-water grid fields (float64): area integrals by the grid's quadrature, mass, total energy,
// kinetic energy split into zonal-mean and eddy parts, and per-member extraction from the model's grid output.
import type { ShallowWaterModel, SweGridFields, SweField } from './swe.ts';

/** One member's grid fields (float64 copies, [nlat, nlon] each). */
export interface MemberGrid {
  phi: Float64Array;
  vorticity: Float64Array;
  divergence: Float64Array;
  tracer?: Float64Array;
  u: Float64Array;
  v: Float64Array;
}

/** Extracts member `b` of `members` from the model's grid output. */
export function memberGrid(model: ShallowWaterModel, grid: SweGridFields, b: number, members: number): MemberGrid {
  const P = model.options.nlat * model.options.nlon;
  if (!(Number.isInteger(b) && b >= 0 && b < members)) throw new RangeError(`memberGrid: member ${b} outside 0..${members - 1}`);
  const pick = (src: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, slot: number) => Float64Array.from(src.subarray((slot * members + b) * P, (slot * members + b + 1) * P));
  const out: MemberGrid = {
    phi: pick(grid.fields, 0),
    vorticity: pick(grid.fields, 1),
    divergence: pick(grid.fields, 2),
    u: pick(grid.wind, 0),
    v: pick(grid.wind, 1),
  };
  if (model.fields.includes('tracer' as SweField)) out.tracer = pick(grid.fields, 3);
  return out;
}

/** Area weights per grid point (m², or fractions of 4π with radius 1): quadrature weight × 2π/nlon × R². */
export function cellAreas(model: ShallowWaterModel, radius = model.options.radius): Float64Array {
  const { nlat, nlon } = model.options;
  const w = model.geometry.rowWeights;
  const out = new Float64Array(nlat * nlon);
  for (let k = 0; k < nlat; k++) out.fill((w[k] * 2 * Math.PI * radius * radius) / nlon, k * nlon, (k + 1) * nlon);
  return out;
}

/** ∫ f dA over the sphere. */
export function integrate(model: ShallowWaterModel, f: ArrayLike<number>, areas = cellAreas(model)): number {
  let s = 0;
  for (let i = 0; i < areas.length; i++) s += f[i] * areas[i];
  return s;
}

/** Fluid mass per density, ∫ (Φ/g − h_s) dA (m³). */
export function fluidVolume(model: ShallowWaterModel, m: MemberGrid): number {
  const { gravity: g, orography } = model.options;
  return integrate(model, Float64Array.from(m.phi, (p, i) => p / g - (orography ? orography[i] : 0)));
}

/** Total energy per density ∫ [½ h*|u|² + ½ g (h² − h_s²)] dA, h free-surface height, h* = h − h_s the depth. */
export function totalEnergy(model: ShallowWaterModel, m: MemberGrid): number {
  const { gravity: g, orography } = model.options;
  return integrate(
    model,
    Float64Array.from(m.phi, (p, i) => {
      const h = p / g;
      const hs = orography ? orography[i] : 0;
      return 0.5 * (h - hs) * (m.u[i] ** 2 + m.v[i] ** 2) + 0.5 * g * (h * h - hs * hs);
    }),
  );
}

/** Area-mean kinetic energy per mass ½|u|² split into the zonal-mean flow's part and the eddies' part (m²/s²). */
export function kineticEnergySplit(model: ShallowWaterModel, m: MemberGrid): { total: number; zonal: number; eddy: number } {
  const { nlat, nlon } = model.options;
  const areas = cellAreas(model, 1);
  let total = 0;
  let zonal = 0;
  for (let k = 0; k < nlat; k++) {
    let um = 0;
    let vm = 0;
    for (let j = 0; j < nlon; j++) {
      um += m.u[k * nlon + j];
      vm += m.v[k * nlon + j];
    }
    um /= nlon;
    vm /= nlon;
    for (let j = 0; j < nlon; j++) {
      const i = k * nlon + j;
      total += 0.5 * (m.u[i] ** 2 + m.v[i] ** 2) * areas[i];
      zonal += 0.5 * (um * um + vm * vm) * areas[i];
    }
  }
  const A = 4 * Math.PI;
  return { total: total / A, zonal: zonal / A, eddy: (total - zonal) / A };
}

/** Normalised l2 error √(∫(x − ref)²)/√(∫ref²) (Williamson et al. 1992, eq. 82). */
export function normalisedL2(model: ShallowWaterModel, x: ArrayLike<number>, ref: ArrayLike<number>): number {
  const areas = cellAreas(model, 1);
  let num = 0;
  let den = 0;
  for (let i = 0; i < areas.length; i++) {
    num += (x[i] - ref[i]) ** 2 * areas[i];
    den += ref[i] ** 2 * areas[i];
  }
  return Math.sqrt(num / den);
}
