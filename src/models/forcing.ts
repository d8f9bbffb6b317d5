// The planet's stirring as SFNO forcing inputs: the vorticity tendency the truth run added (a known function of time
// and seed, like the seasonal cycle), on the network's grid and divided by its rate, at the start and end of a step.
import { type Grid, gridGeometry } from '../sphere/grid.ts';
import { createSht } from '../sphere/reference.ts';
import { type PlanetConfig, planetConfig, stirringBandSpectra, stirringEnvelope } from '../world/planet.ts';

/**
 * Forcing channels an SFNO may take, appended after the time features: the stirring tendency at the start and at the
 * end of the step. The stirring is linear in time between its 6-hourly knots, so for 6-h steps on the knots the pair
 * fixes it over the whole step.
 */
export const STIRRING_FORCINGS = ['stirring_start', 'stirring_end'] as const;
export type ForcingName = (typeof STIRRING_FORCINGS)[number];

/** Which step boundary a forcing channel is taken at: 0 = the step's start, 1 = its end. */
export function forcingStepOffset(name: string): number {
  const k = (STIRRING_FORCINGS as readonly string[]).indexOf(name);
  if (k < 0) throw new ForcingError(`unknown forcing channel '${name}' (known: ${STIRRING_FORCINGS.join(', ')})`);
  return k;
}

/** The planet settings that fix the stirring (what a checkpoint records to compute its forcing inputs). */
export const STIRRING_KEYS = ['stirringRate', 'stirringMinDegree', 'stirringMaxDegree', 'stirringDays', 'stirringLatitudeWidth', 'stirringSeed', 'jetLatitude'] as const;
export type StirringSpec = Pick<PlanetConfig, (typeof STIRRING_KEYS)[number]>;

export class ForcingError extends Error {
  override name = 'ForcingError';
}

/** The stirring settings of a planet config (a truth store's `physics` attribute), or null when it has no stirring. */
export function stirringSpecOf(planet: Partial<PlanetConfig>): StirringSpec | null {
  const full = planetConfig(planet);
  if (!(full.stirringRate > 0)) return null;
  return Object.fromEntries(STIRRING_KEYS.map((k) => [k, full[k]])) as StirringSpec;
}

/** Checks a recorded stirring spec (every key, valid as a planet config, rate > 0); errors name `where` and the key. */
export function validateStirringSpec(spec: unknown, where: string): StirringSpec {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new ForcingError(`${where}: stirring must be an object of ${STIRRING_KEYS.join(', ')}, got ${JSON.stringify(spec)}`);
  const o = spec as Record<string, unknown>;
  for (const k of STIRRING_KEYS) if (typeof o[k] !== 'number') throw new ForcingError(`${where}: stirring.${k} must be a number, got ${JSON.stringify(o[k])}`);
  for (const k of Object.keys(o)) if (!(STIRRING_KEYS as readonly string[]).includes(k)) throw new ForcingError(`${where}: stirring has an unknown key '${k}' (known: ${STIRRING_KEYS.join(', ')})`);
  let s: StirringSpec | null;
  try {
    s = stirringSpecOf(o as Partial<PlanetConfig>);
  } catch (e) {
    throw new ForcingError(`${where}: stirring: ${(e as Error).message}`);
  }
  if (!s) throw new ForcingError(`${where}: stirring.stirringRate must be positive, got ${o.stirringRate}`);
  return s;
}

/** Maximum number of fields a StirringForcing keeps (oldest dropped first): 6-hourly, that is 1,024 days. */
const FIELD_CACHE = 4096;

/**
 * The stirring on one grid: `field(hours)` is the vorticity tendency at planet time `hours` (noleap hours since
 * 2000-01-01, the truth stores' time coordinate) divided by stirringRate, [nlat, nlon] row 0 north, float32; its
 * grid rms at the envelope's peak is about 1. The band's spectra are synthesised exactly on the grid (reference SHT,
 * float64) and multiplied by the latitude envelope point by point.
 */
export class StirringForcing {
  readonly spec: StirringSpec;
  private readonly config: PlanetConfig;
  private readonly sht: ReturnType<typeof createSht>;
  private readonly envelope: Float64Array;
  private readonly lmax: number;
  private readonly knots = new Map<number, Float64Array>();
  private readonly fields = new Map<number, Float32Array>();

  constructor(spec: StirringSpec, readonly grid: Grid) {
    this.spec = validateStirringSpec(spec, 'stirring forcing');
    this.config = planetConfig(this.spec);
    this.lmax = this.spec.stirringMaxDegree + 1;
    if (this.lmax > grid.nlat) throw new ForcingError(`stirring forcing: degree ${this.spec.stirringMaxDegree} does not fit a grid of ${grid.nlat} latitudes`);
    this.sht = createSht(grid, { lmax: this.lmax, mmax: this.lmax, norm: 'ortho', csphase: false });
    const lat = gridGeometry(grid).latitudesDeg;
    this.envelope = Float64Array.from({ length: grid.nlat }, (_, k) => stirringEnvelope(this.config, lat[k]));
  }

  /** The normalised stirring at planet time `hours` (cached: the caller must not modify the array). */
  field(hours: number): Float32Array {
    if (!Number.isFinite(hours)) throw new ForcingError(`stirring forcing: time must be finite hours, got ${hours}`);
    let f = this.fields.get(hours);
    if (f) return f;
    const { re, im } = stirringBandSpectra(this.config, hours * 3600, this.lmax, this.lmax, this.knots);
    const g = this.sht.inverse({ re, im, shape: [this.lmax, this.lmax] });
    const { nlat, nlon } = this.grid;
    const rate = this.spec.stirringRate;
    f = new Float32Array(nlat * nlon);
    for (let k = 0; k < nlat; k++) {
      const e = this.envelope[k] / rate;
      for (let j = 0; j < nlon; j++) f[k * nlon + j] = g.data[k * nlon + j] * e;
    }
    if (this.fields.size >= FIELD_CACHE) this.fields.delete(this.fields.keys().next().value as number);
    this.fields.set(hours, f);
    return f;
  }

  /** The forcing channel `name` of a step that starts at `hours` and lasts `stepHours`. */
  channel(name: string, hours: number, stepHours: number): Float32Array {
    return this.field(hours + forcingStepOffset(name) * stepHours);
  }
}
