// The physics model as a ForecastModel ("planet" kind): the world layer's planet on the 64×128 Gauss forecast grid
// (lmax 43); each 6-h step converts the grid state (u, v, height, tracer) to spectra, advances it as Planet.advance
// does (fresh Adams–Bashforth start), and synthesises the grid again. Checkpoint: a small JSON file (below).
import { readFileSync } from 'node:fs';
import { Graph, compile, type Executable } from '../engine/index.ts';
import type { Grid } from '../sphere/grid.ts';
import { analysis, toInternal, vectorAnalysis } from '../sphere/sht.ts';
import { FORECAST_GRID, Planet, planetConfig, type PlanetConfig } from '../world/planet.ts';
import { SWE_SCHEMES, type SweScheme, type SweState } from '../world/swe.ts';
import type { ForecastModel, Hours } from './model.ts';
import { noleapHoursFromHours } from './planet-calendar.ts';

export const PLANET_CHANNELS = ['u', 'v', 'height', 'tracer'] as const;
export const PLANET_MODEL_FORMAT = 'myriad-planet-model';
/** The planet kind's grid: the forecast grid of the truth stores (64×128 Legendre–Gauss, lmax 43). */
export const PLANET_GRID: Grid = { kind: FORECAST_GRID.kind, nlat: FORECAST_GRID.nlat, nlon: FORECAST_GRID.nlon };
const STEP_HOURS = 6;

/** A planet-kind checkpoint (JSON). */
export interface PlanetCheckpoint {
  format: typeof PLANET_MODEL_FORMAT;
  version: 1;
  /** PlanetConfig keys over DEFAULT_PLANET (`truth` is ignored: the model runs on the forecast grid) */
  planet: Partial<PlanetConfig>;
  /** time step (s), dividing 6 h */
  dt: number;
  /** steps per engine call (the forcing equilibrium is evaluated once per call, at its middle, as Planet.advance does) */
  stepsPerCall: number;
  /** time scheme (world/swe.ts): 'ab3' (explicit, the default) or 'ab3-cn' (semi-implicit gravity waves, longer dt) */
  scheme?: SweScheme;
  /** off-centring ε of 'ab3-cn' (0 ≤ ε < 1; default 0, Crank–Nicolson): damps the implicit gravity waves */
  offCentering?: number;
  /** per-channel 48-h RMSE; absent when the calibration lives in `<file>.calibration.json` */
  rmse48h?: Record<string, number>;
  /** free-form record of how rmse48h was measured */
  calibration?: Record<string, unknown>;
}

// 6 steps per call: the same speed as 18 or 54 at 64 members, about half the compile time of 18 (≈10 s per batch size, measured)
export const PLANET_CHECKPOINT_DEFAULTS = { dt: 400, stepsPerCall: 6 } as const;

/** Reads and checks a planet checkpoint; errors name the file and the field. */
export function readPlanetCheckpoint(file: string): PlanetCheckpoint {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`checkpoint ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`checkpoint ${file}: expected a JSON object`);
  const j = json as Record<string, unknown>;
  if (j.format !== PLANET_MODEL_FORMAT) throw new Error(`checkpoint ${file}: format is ${JSON.stringify(j.format)}, expected "${PLANET_MODEL_FORMAT}"`);
  if (j.version !== 1) throw new Error(`checkpoint ${file}: version ${JSON.stringify(j.version)} is not supported (expected 1)`);
  const known = ['format', 'version', 'planet', 'dt', 'stepsPerCall', 'scheme', 'offCentering', 'rmse48h', 'calibration'];
  for (const k of Object.keys(j)) if (!known.includes(k)) throw new Error(`checkpoint ${file}: unknown field '${k}' (known: ${known.join(', ')})`);
  const planet = (j.planet ?? {}) as Partial<PlanetConfig>;
  if (typeof planet !== 'object' || Array.isArray(planet)) throw new Error(`checkpoint ${file}: planet must be an object of PlanetConfig overrides, got ${JSON.stringify(j.planet)}`);
  const dt = j.dt ?? PLANET_CHECKPOINT_DEFAULTS.dt;
  if (!(typeof dt === 'number' && dt > 0 && Number.isInteger(21600 / dt))) throw new Error(`checkpoint ${file}: dt must be a number of seconds dividing 6 hours (21600 s), got ${JSON.stringify(j.dt)}`);
  const stepsPerCall = j.stepsPerCall ?? PLANET_CHECKPOINT_DEFAULTS.stepsPerCall;
  if (!(Number.isInteger(stepsPerCall) && (stepsPerCall as number) >= 1)) throw new Error(`checkpoint ${file}: stepsPerCall must be a positive integer, got ${JSON.stringify(j.stepsPerCall)}`);
  if (j.scheme !== undefined && !(SWE_SCHEMES as readonly unknown[]).includes(j.scheme))
    throw new Error(`checkpoint ${file}: scheme must be one of ${SWE_SCHEMES.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(j.scheme)}`);
  if (j.offCentering !== undefined) {
    if (j.scheme !== 'ab3-cn') throw new Error(`checkpoint ${file}: offCentering is only used with scheme "ab3-cn", but the scheme is ${JSON.stringify(j.scheme ?? 'ab3')}`);
    if (!(typeof j.offCentering === 'number' && j.offCentering >= 0 && j.offCentering < 1)) throw new Error(`checkpoint ${file}: offCentering must be a number in [0, 1), got ${JSON.stringify(j.offCentering)}`);
  }
  try {
    planetConfig(planet);
  } catch (err) {
    throw new Error(`checkpoint ${file}: planet: ${(err as Error).message}`);
  }
  let rmse48h: Record<string, number> | undefined;
  if (j.rmse48h !== undefined) rmse48h = checkRmse(j.rmse48h, PLANET_CHANNELS, `checkpoint ${file}: rmse48h`);
  const scheme = j.scheme as SweScheme | undefined;
  return { format: PLANET_MODEL_FORMAT, version: 1, planet, dt: dt as number, stepsPerCall: stepsPerCall as number, ...(scheme ? { scheme } : {}), ...(j.offCentering !== undefined ? { offCentering: j.offCentering as number } : {}), rmse48h, calibration: j.calibration as Record<string, unknown> | undefined };
}

/** Checks a {channel: rmse} object: every channel present with a positive finite value. */
export function checkRmse(value: unknown, channels: readonly string[], where: string): Record<string, number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected an object {channel: RMSE}, got ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  for (const c of channels) {
    const x = v[c];
    if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) throw new Error(`${where}.${c}: expected a positive number, got ${JSON.stringify(x)}`);
  }
  return Object.fromEntries(channels.map((c) => [c, v[c] as number]));
}

/** The model settings a planet checkpoint records (everything but calibration, name and threads). */
export function planetModelOptions(ck: PlanetCheckpoint): PlanetModelOptions {
  return { planet: ck.planet, dt: ck.dt, stepsPerCall: ck.stepsPerCall, scheme: ck.scheme, offCentering: ck.offCentering };
}

export interface PlanetModelOptions {
  planet?: Partial<PlanetConfig>;
  dt?: number;
  stepsPerCall?: number;
  /** time scheme: 'ab3' (default) or 'ab3-cn' (world/swe.ts) */
  scheme?: SweScheme;
  /** reference depth H̄ (m) of 'ab3-cn'; default world/planet.ts's REFERENCE_DEPTH_FACTOR × meanDepth */
  referenceDepth?: number;
  /** off-centring ε of 'ab3-cn' (world/swe.ts); default 0 */
  offCentering?: number;
  /** per channel, in PLANET_CHANNELS order (NaN when uncalibrated) */
  rmse48h?: ArrayLike<number>;
  name?: string;
  threads?: number;
}

/**
 * The planet at forecast resolution as a ForecastModel. Every member is advanced independently (the dynamics are
 * pointwise in the member index and every engine kernel here gives a member the same bits whatever the batch size:
 * checked by the tests).
 */
export class PlanetForecastModel implements ForecastModel {
  readonly name: string;
  readonly channels: readonly string[] = PLANET_CHANNELS;
  readonly grid: Grid = PLANET_GRID;
  readonly stepHours = STEP_HOURS;
  readonly rmse48h: Float64Array;
  readonly nonNegative: readonly string[] = [];
  readonly planet: Planet;
  readonly config: PlanetConfig;
  readonly dt: number;
  readonly stepsPerCall: number;
  private readonly toSpectra = new Map<number, Promise<Executable>>();

  constructor(options: PlanetModelOptions = {}) {
    this.config = planetConfig(options.planet ?? {});
    this.dt = options.dt ?? PLANET_CHECKPOINT_DEFAULTS.dt;
    if (!(this.dt > 0 && Number.isInteger((STEP_HOURS * 3600) / this.dt))) throw new RangeError(`planet model: dt must divide 6 hours (21600 s), got ${this.dt}`);
    this.stepsPerCall = options.stepsPerCall ?? PLANET_CHECKPOINT_DEFAULTS.stepsPerCall;
    if (!(Number.isInteger(this.stepsPerCall) && this.stepsPerCall >= 1)) throw new RangeError(`planet model: stepsPerCall must be a positive integer, got ${this.stepsPerCall}`);
    // the shallow-water model checks the scheme and its settings
    this.planet = new Planet(this.config, { nlat: FORECAST_GRID.nlat, lmax: FORECAST_GRID.lmax, dt: this.dt, scheme: options.scheme, referenceDepth: options.referenceDepth, offCentering: options.offCentering }, options.threads);
    this.name = options.name ?? 'planet';
    this.rmse48h = options.rmse48h ? Float64Array.from(options.rmse48h) : new Float64Array(PLANET_CHANNELS.length).fill(NaN);
    if (this.rmse48h.length !== PLANET_CHANNELS.length) throw new RangeError(`planet model rmse48h: expected ${PLANET_CHANNELS.length} values, got ${this.rmse48h.length}`);
  }

  /** Planet time (s since 2000-01-01 00:00 of the noleap calendar) of an ensemble time; 29 February counts as the 28th. */
  planetSeconds(time: Hours): number {
    return noleapHoursFromHours(time, { leapDay: 'previous' }) * 3600;
  }

  /**
   * Graph: grid [B, 4 (u, v, height, tracer), nlat, nlon] float32 → the model's flat spectra [N, 2, F (Φ, ζ, δ, T), B]
   * (Φ = g·height; ζ, δ from the vector analysis of (u, v), inverse of the model's wind synthesis).
   */
  buildToSpectraGraph(batch: number): Graph {
    const model = this.planet.model;
    const { nlat, nlon, radius: R, gravity } = model.options;
    const N = model.nCoefficients;
    const dtype = model.dtype;
    const B = batch;
    const g = new Graph(`planet-to-spectra-b${B}`);
    const x = g.input('x', 'float32', [B, 4, nlat, nlon]);
    const xi = g.reshape(toInternal(g, model.plan, dtype === 'float32' ? x : g.cast(x, dtype)), [nlon, B, 4, nlat]);
    const field = (c: number) => g.reshape(g.slice(xi, [c], [c + 1], [2]), [nlon, 1, B, nlat]);
    const uv = g.reshape(g.concat([field(0), field(1)], 1), [nlon, 2 * B, nlat]);
    const V = g.reshape(model.joinBlocks(g, vectorAnalysis(g, model.plan, uv)), [N, 2, 2, B]); // (re/im, s/t, B)
    const lapR = model.perCoefficient((l) => (-l * (l + 1)) / R);
    const lapRt = g.constant(dtype === 'float64' ? lapR : Float32Array.from(lapR), [N, 1, 1, 1], dtype);
    const zeta = g.mul(g.slice(V, [0], [1], [2]), lapRt);
    const delta = g.mul(g.slice(V, [1], [2], [2]), lapRt);
    const scalars = g.reshape(g.concat([g.mul(field(2), gravity), field(3)], 1), [nlon, 2 * B, nlat]);
    const A = g.reshape(model.joinBlocks(g, analysis(g, model.plan, scalars)), [N, 2, 2, B]); // (re/im, Φ/T, B)
    const phi = g.slice(A, [0], [1], [2]);
    const tracer = g.slice(A, [1], [2], [2]);
    g.output('spec', g.concat([phi, zeta, delta, tracer], 2));
    return g;
  }

  private spectraExecutable(batch: number): Promise<Executable> {
    let e = this.toSpectra.get(batch);
    if (!e) {
      e = compile(this.buildToSpectraGraph(batch), { threads: this.planet.model.threads });
      this.toSpectra.set(batch, e);
    }
    return e;
  }

  /** The fresh model state (no Adams–Bashforth history) of a grid batch [B, 4, nlat, nlon]. */
  async stateFromGrid(state: Float32Array, batch: number): Promise<SweState> {
    const { nlat, nlon } = this.grid;
    const exe = await this.spectraExecutable(batch);
    const out = await exe.run({ x: { data: state, shape: [batch, 4, nlat, nlon] } });
    return this.planet.model.fresh(out.spec.data as Float32Array | Float64Array, batch);
  }

  /** Grid fields [B, 4 (u, v, height, tracer), nlat, nlon] float32 of a model state. */
  async gridFromState(s: SweState): Promise<Float32Array> {
    const { nlat, nlon } = this.grid;
    const P = nlat * nlon;
    const B = s.members;
    const { fields, wind } = await this.planet.model.grid(s);
    const gravity = this.planet.model.options.gravity;
    const ti = this.planet.model.fieldIndex('tracer');
    const out = new Float32Array(B * 4 * P);
    for (let b = 0; b < B; b++) {
      const o = b * 4 * P;
      out.set(wind.subarray(b * P, (b + 1) * P), o);
      out.set(wind.subarray((B + b) * P, (B + b + 1) * P), o + P);
      const phi = b * P;
      for (let k = 0; k < P; k++) out[o + 2 * P + k] = fields[phi + k] / gravity;
      out.set(fields.subarray((ti * B + b) * P, (ti * B + b + 1) * P), o + 3 * P);
    }
    return out;
  }

  async step(state: Float32Array, batch: number, time: Hours): Promise<Float32Array> {
    const n = batch * 4 * this.grid.nlat * this.grid.nlon;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${this.name}.step: batch must be a positive integer, got ${batch}`);
    if (!(state instanceof Float32Array) || state.length !== n) {
      throw new RangeError(`${this.name}.step: state must be a Float32Array of [${batch}, 4, ${this.grid.nlat}, ${this.grid.nlon}] = ${n} values, got ${state?.length}`);
    }
    let s = await this.stateFromGrid(state, batch);
    s = await this.planet.advance(s, this.planetSeconds(time), STEP_HOURS * 3600, this.stepsPerCall);
    return this.gridFromState(s);
  }
}
