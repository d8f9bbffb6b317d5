// What the ensemble runner needs from a forecast model (channels, grid, a batched 6-h step, 48-h RMSE calibration,
// non-negative channels) and where analyses come from; plus a small deterministic engine-graph test model.
//
// The test model ("toy"): in normalised units y = (x − μ_c)/σ_c on the internal SHT layout,
//   y1 = y + α sin(β · A y) − γ y + γ F_c(φ, λ)        (channel mixing A, relaxation to a forcing pattern F)
//   y2 = S⁻¹[ e^{−κ l(l+1)/(L(L+1))} e^{−i m θ} S[y1] ]  (spectral diffusion and solid-body rotation by θ)
//   x' = μ_c + σ_c · K tanh(y2 / K), clipped at 0 for the non-negative channels.
// A checkpoint is a seed: A, α and θ vary with it (Philox), like independently trained networks.
import { readFileSync } from 'node:fs';
import { Graph, compile, type Executable, keyFromSeed, normalFill } from '../engine/index.ts';
import { type Grid, gridAreaWeights, gridGeometry, validateGrid } from '../sphere/grid.ts';
import { ShtPlan, analysis, fromInternal, synthesis, toInternal } from '../sphere/sht.ts';

/** Hours since 1970-01-01T00:00Z; every time in the ensemble layer is one of these. */
export type Hours = number;

/** A forecast model as the ensemble runner sees it. One instance is one checkpoint. */
export interface ForecastModel {
  /** Identity of the checkpoint (recorded in the member store). */
  readonly name: string;
  readonly channels: readonly string[];
  readonly grid: Grid;
  /** Length of one step in hours (6 for SFNO). */
  readonly stepHours: number;
  /** Per-channel deterministic RMSE at 48 h lead (calibration for bred-vector amplitudes), in channel order. */
  readonly rmse48h: Float64Array;
  /** Channels that must stay ≥ 0 (moisture): perturbed states are clipped there. */
  readonly nonNegative: readonly string[];
  /**
   * Advances a batch one step: `state` is [batch, C, nlat, nlon] float32 valid at `time`; returns the batch valid at
   * time + stepHours. Must be deterministic, and member b's result must not depend on the other members of the
   * batch or on the batch size.
   */
  step(state: Float32Array, batch: number, time: Hours): Promise<Float32Array>;
  /**
   * Optional: advances a batch `steps` steps in one call (a model that keeps the state in its own layout between
   * steps is faster this way). The same contract as `step`; the runner uses it between stored leads, the same way in
   * every run and regeneration, so members stay reproducible bit for bit.
   */
  advance?(state: Float32Array, batch: number, time: Hours, steps: number): Promise<Float32Array>;
}

/** Analyses (initial conditions) on a model's grid and channels, at multiples of `stepHours`. */
export interface AnalysisSource {
  readonly channels: readonly string[];
  readonly grid: Grid;
  readonly stepHours: number;
  /** The analysis valid at `time`: [C, nlat, nlon] float32. */
  analysis(time: Hours): Promise<Float32Array>;
}

/** Converts an ISO-8601 UTC time to {@link Hours}; errors name the value. */
export function hoursFromIso(iso: string, what = 'time'): Hours {
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (!Number.isFinite(ms)) throw new RangeError(`${what}: ${JSON.stringify(iso)} is not an ISO-8601 time (expected e.g. "2024-01-01T00:00Z")`);
  const h = ms / 3.6e6;
  if (!Number.isInteger(h)) throw new RangeError(`${what}: ${JSON.stringify(iso)} is not on a whole hour`);
  return h;
}

/** {@link Hours} back to "YYYY-MM-DDTHH:MMZ". */
export function isoFromHours(h: Hours): string {
  return new Date(h * 3.6e6).toISOString().replace(/:00\.000Z$/, 'Z');
}

// ------------------------------------------------------------------------------------------------ the test model

/** The test model's channels with their climatological mean and scale (physical units), and which stay ≥ 0. */
export const TOY_CHANNELS: readonly { name: string; mean: number; scale: number; nonNegative: boolean; units: string }[] = [
  { name: 'z500', mean: 55000, scale: 2000, nonNegative: false, units: 'm2 s-2' },
  { name: 't850', mean: 275, scale: 12, nonNegative: false, units: 'K' },
  { name: 't2m', mean: 285, scale: 15, nonNegative: false, units: 'K' },
  { name: 'q700', mean: 0.003, scale: 0.002, nonNegative: true, units: 'kg kg-1' },
  { name: 'tcwv', mean: 20, scale: 12, nonNegative: true, units: 'kg m-2' },
];

/** Units of every known channel name (for CF attributes in exports). */
export function channelUnits(name: string): string | undefined {
  return TOY_CHANNELS.find((c) => c.name === name)?.units;
}

/** The file format name of a test-model checkpoint (JSON). */
export const TOY_CHECKPOINT_FORMAT = 'myriad-toy-model';

/** A test-model checkpoint: the seed that fixes its parameters, its grid and its 48-h RMSE per channel. */
export interface ToyCheckpoint {
  format: typeof TOY_CHECKPOINT_FORMAT;
  version: 1;
  seed: number;
  grid: Grid;
  /** Per-channel 48-h RMSE against the nature run (bred-vector calibration), by channel name. */
  rmse48h: Record<string, number>;
}

export interface ToyModelOptions {
  seed: number;
  grid: Grid;
  rmse48h?: ArrayLike<number>;
  /** Intra-op threads of the compiled graph (default: the engine's default). */
  threads?: number;
  name?: string;
}

interface ToyParams {
  mix: Float32Array; // [C, C]
  alpha: number;
  beta: number;
  gamma: number;
  kappa: number;
  theta: number;
  saturation: number;
}

function toyParams(seed: number): ToyParams {
  const C = TOY_CHANNELS.length;
  const r = new Float64Array(C * C + 4);
  normalFill(r, keyFromSeed(seed), [0x544f59, 1]); // "TOY"
  const mix = new Float32Array(C * C);
  for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) mix[i * C + j] = (i === j ? 0.8 : 0) + (0.35 / Math.sqrt(C)) * r[i * C + j];
  return {
    mix,
    alpha: 0.3 * (1 + 0.1 * r[C * C]),
    beta: 1.6 * (1 + 0.05 * r[C * C + 1]),
    gamma: 0.08,
    kappa: 0.25,
    theta: (2 * Math.PI) / 40 * (1 + 0.1 * r[C * C + 2]),
    saturation: 4,
  };
}

/** The forcing pattern F_c on the grid, [C, nlat, nlon] (normalised units). */
function toyForcing(grid: Grid): Float32Array {
  const geo = gridGeometry(grid);
  const C = TOY_CHANNELS.length;
  const out = new Float32Array(C * grid.nlat * grid.nlon);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < grid.nlat; i++) {
      const phi = geo.latitudes[i];
      for (let j = 0; j < grid.nlon; j++) {
        const lam = geo.longitudes[j];
        out[(c * grid.nlat + i) * grid.nlon + j] =
          (1.6 * Math.cos(2 * phi) + 0.4) + 0.6 * Math.cos(phi) * Math.sin(2 * lam + c) + 0.3 * Math.sin(phi) * Math.cos(3 * lam - c);
      }
    }
  }
  return out;
}

/** The deterministic test model: one engine graph per batch size, compiled on first use. */
export class ToyModel implements ForecastModel {
  readonly name: string;
  readonly channels: readonly string[] = TOY_CHANNELS.map((c) => c.name);
  readonly grid: Grid;
  readonly stepHours = 6;
  readonly rmse48h: Float64Array;
  readonly nonNegative: readonly string[] = TOY_CHANNELS.filter((c) => c.nonNegative).map((c) => c.name);
  readonly seed: number;
  private readonly params: ToyParams;
  private readonly plan: ShtPlan;
  private readonly threads?: number;
  private readonly executables = new Map<number, Promise<Executable>>();

  constructor(options: ToyModelOptions) {
    this.grid = validateGrid(options.grid, 'toy model grid');
    if (this.grid.nlat < 4 || this.grid.nlon < 8) throw new RangeError(`toy model grid: need nlat >= 4 and nlon >= 8, got ${this.grid.nlat}x${this.grid.nlon}`);
    if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new RangeError(`toy model seed: expected a non-negative integer, got ${options.seed}`);
    this.seed = options.seed;
    this.name = options.name ?? `toy-seed${options.seed}`;
    this.params = toyParams(options.seed);
    const C = TOY_CHANNELS.length;
    this.rmse48h = options.rmse48h ? Float64Array.from(options.rmse48h) : new Float64Array(C).fill(NaN);
    if (this.rmse48h.length !== C) throw new RangeError(`toy model rmse48h: expected ${C} values, got ${this.rmse48h.length}`);
    const L = Math.max(2, Math.floor(this.grid.nlat / 2));
    this.plan = new ShtPlan(this.grid, { lmax: L, mmax: Math.min(L, Math.floor(this.grid.nlon / 2) + 1), norm: 'ortho', dtype: 'float32' });
    this.threads = options.threads;
  }

  /** Builds the step graph for a static batch size. */
  buildGraph(batch: number): Graph {
    const { nlat, nlon } = this.grid;
    const C = TOY_CHANNELS.length;
    const p = this.params;
    const plan = this.plan;
    const nf = nlat; // folded rows
    const g = new Graph(`toy-step-b${batch}`);
    const x = g.input('x', 'float32', [batch, C, nlat, nlon]);
    const xi = g.reshape(toInternal(g, plan, x), [nlon, batch, C, nf]);
    const mu = g.constant(Float32Array.from(TOY_CHANNELS, (c) => c.mean), [1, 1, C, 1]);
    const sigma = g.constant(Float32Array.from(TOY_CHANNELS, (c) => c.scale), [1, 1, C, 1]);
    const y = g.div(g.sub(xi, mu), sigma);
    // forcing in the internal layout [nlon, 1, C, nf] (folded rows)
    const F = toyForcing(this.grid);
    const Fi = new Float32Array(nlon * C * nf);
    for (let j = 0; j < nlon; j++) for (let c = 0; c < C; c++) for (let r = 0; r < nf; r++) {
      Fi[(j * C + c) * nf + r] = p.gamma * F[(c * nlat + plan.foldedRows[r]) * nlon + j];
    }
    const forcing = g.constant(Fi, [nlon, 1, C, nf]);
    const mixed = g.matmul(g.constant(p.mix, [C, C]), y);
    let y1 = g.add(g.sub(y, g.mul(y, p.gamma)), g.mul(g.sin(g.mul(mixed, p.beta)), p.alpha));
    y1 = g.add(y1, forcing);
    const Bf = batch * C;
    const spec = analysis(g, plan, g.reshape(y1, [nlon, Bf, nf]));
    const L = plan.config.lmax;
    const out = plan.blocks.map((b, bi) => {
      const blk = g.reshape(spec[bi], [b.ms.length, 2, Bf, b.ls.length]);
      const damp = new Float32Array(b.ms.length * b.ls.length);
      const cos = new Float32Array(b.ms.length);
      const sin = new Float32Array(b.ms.length);
      b.ms.forEach((m, i) => {
        cos[i] = Math.cos(m * p.theta);
        sin[i] = Math.sin(m * p.theta);
        b.ls.forEach((l, k) => (damp[i * b.ls.length + k] = Math.exp((-p.kappa * l * (l + 1)) / (L * (L + 1)))));
      });
      const D = g.constant(damp, [b.ms.length, 1, 1, b.ls.length]);
      const cs = g.constant(cos, [b.ms.length, 1, 1, 1]);
      const sn = g.constant(sin, [b.ms.length, 1, 1, 1]);
      const re = g.slice(blk, [0], [1], [1]);
      const im = g.slice(blk, [1], [2], [1]);
      const re2 = g.mul(g.add(g.mul(re, cs), g.mul(im, sn)), D);
      const im2 = g.mul(g.sub(g.mul(im, cs), g.mul(re, sn)), D);
      return g.reshape(g.concat([re2, im2], 1), [b.ms.length, 2 * Bf, b.ls.length]);
    });
    const y2 = g.reshape(synthesis(g, plan, out), [nlon, batch, C, nf]);
    const K = p.saturation;
    let xo = g.add(g.mul(g.mul(g.tanh(g.div(y2, K)), K), sigma), mu);
    const mask = g.constant(Float32Array.from(TOY_CHANNELS, (c) => (c.nonNegative ? 1 : 0)), [1, 1, C, 1]);
    xo = g.sub(xo, g.mul(g.minimum(xo, 0), mask));
    g.output('y', fromInternal(g, plan, g.reshape(xo, [nlon, Bf, nf]), [batch, C]));
    return g;
  }

  private executable(batch: number): Promise<Executable> {
    let e = this.executables.get(batch);
    if (!e) {
      e = compile(this.buildGraph(batch), this.threads ? { threads: this.threads } : {});
      this.executables.set(batch, e);
    }
    return e;
  }

  async step(state: Float32Array, batch: number, _time: Hours): Promise<Float32Array> {
    const C = this.channels.length;
    const n = batch * C * this.grid.nlat * this.grid.nlon;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${this.name}.step: batch must be a positive integer, got ${batch}`);
    if (!(state instanceof Float32Array) || state.length !== n) {
      throw new RangeError(`${this.name}.step: state must be a Float32Array of [${batch}, ${C}, ${this.grid.nlat}, ${this.grid.nlon}] = ${n} values, got ${state?.length}`);
    }
    const exe = await this.executable(batch);
    const out = await exe.run({ x: { data: state, shape: [batch, C, this.grid.nlat, this.grid.nlon] } });
    return out.y.data as Float32Array;
  }
}

/** The test model's nature run: the truth model (its own seed) stepped from a smooth state at `origin`. */
export class ToyNatureRun implements AnalysisSource {
  readonly channels: readonly string[];
  readonly grid: Grid;
  readonly stepHours: number;
  readonly origin: Hours;
  private readonly truth: ToyModel;
  private readonly states: Float32Array[] = [];

  constructor(options: { grid: Grid; seed?: number; origin: Hours; threads?: number }) {
    this.truth = new ToyModel({ seed: options.seed ?? 1_000_003, grid: options.grid, threads: options.threads, name: 'toy-truth' });
    this.channels = this.truth.channels;
    this.grid = this.truth.grid;
    this.stepHours = this.truth.stepHours;
    if (!Number.isInteger(options.origin)) throw new RangeError(`nature run origin must be whole hours, got ${options.origin}`);
    this.origin = options.origin;
  }

  private initial(): Float32Array {
    const { nlat, nlon } = this.grid;
    const F = toyForcing(this.grid);
    const out = new Float32Array(F.length);
    const noise = new Float32Array(F.length);
    normalFill(noise, keyFromSeed(this.truth.seed), [0x4e4154, 0]); // "NAT"
    TOY_CHANNELS.forEach((ch, c) => {
      for (let k = 0; k < nlat * nlon; k++) {
        const i = c * nlat * nlon + k;
        const v = ch.mean + ch.scale * (F[i] + 0.3 * noise[i]);
        out[i] = ch.nonNegative ? Math.max(0, v) : v;
      }
    });
    return out;
  }

  /** Serialises calls: the cache of states is extended in order even when callers overlap. */
  private queue: Promise<unknown> = Promise.resolve();

  analysis(time: Hours): Promise<Float32Array> {
    const result = this.queue.then(() => this.analysisNow(time));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async analysisNow(time: Hours): Promise<Float32Array> {
    const k = (time - this.origin) / this.stepHours;
    if (!Number.isInteger(k) || k < 0) {
      throw new RangeError(`nature run: no analysis at ${isoFromHours(time)}; analyses exist every ${this.stepHours} h from ${isoFromHours(this.origin)}`);
    }
    if (this.states.length === 0) this.states.push(this.initial());
    while (this.states.length <= k) {
      const t = this.origin + (this.states.length - 1) * this.stepHours;
      this.states.push(await this.truth.step(this.states[this.states.length - 1], 1, t));
    }
    return this.states[k].slice();
  }
}

/**
 * Per-channel area-weighted (WeatherBench 2 weights) RMSE of `model`'s 48-h forecasts from the analyses at `inits`
 * against the analyses 48 h later: the calibration a checkpoint carries for bred-vector amplitudes.
 */
export async function calibrateRmse48h(model: ForecastModel, analyses: AnalysisSource, inits: readonly Hours[]): Promise<Float64Array> {
  const C = model.channels.length;
  const { nlat, nlon } = model.grid;
  const P = nlat * nlon;
  const w = gridAreaWeights(model.grid);
  const steps = Math.round(48 / model.stepHours);
  const sse = new Float64Array(C);
  const batch = inits.length;
  let state: Float32Array = new Float32Array(batch * C * P);
  for (let b = 0; b < batch; b++) state.set(await analyses.analysis(inits[b]), b * C * P);
  for (let s = 0; s < steps; s++) state = await model.step(state, batch, inits[0] + s * model.stepHours);
  for (let b = 0; b < batch; b++) {
    const truth = await analyses.analysis(inits[b] + 48);
    for (let c = 0; c < C; c++) for (let i = 0; i < nlat; i++) for (let j = 0; j < nlon; j++) {
      const k = c * P + i * nlon + j;
      const d = state[b * C * P + k] - truth[k];
      sse[c] += (w[i] * d * d) / P;
    }
  }
  return sse.map((v) => Math.sqrt(v / batch));
}

/** Reads and checks a test-model checkpoint file; errors name the file and the field. */
export function readToyCheckpoint(file: string): ToyCheckpoint {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`checkpoint ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  const j = json as Partial<ToyCheckpoint>;
  if (j.format !== TOY_CHECKPOINT_FORMAT) throw new Error(`checkpoint ${file}: format is ${JSON.stringify(j.format)}, expected "${TOY_CHECKPOINT_FORMAT}"`);
  if (j.version !== 1) throw new Error(`checkpoint ${file}: version ${JSON.stringify(j.version)} is not supported (expected 1)`);
  if (!Number.isSafeInteger(j.seed) || (j.seed as number) < 0) throw new Error(`checkpoint ${file}: seed must be a non-negative integer, got ${JSON.stringify(j.seed)}`);
  const grid = validateGrid(j.grid, `checkpoint ${file}: grid`);
  const rmse = j.rmse48h ?? {};
  for (const c of TOY_CHANNELS) {
    const v = (rmse as Record<string, unknown>)[c.name];
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`checkpoint ${file}: rmse48h.${c.name} must be a positive number, got ${JSON.stringify(v)}`);
  }
  return { format: TOY_CHECKPOINT_FORMAT, version: 1, seed: j.seed as number, grid, rmse48h: rmse as Record<string, number> };
}

/** Makes a test-model checkpoint: the model for `seed`, calibrated against `analyses` from `inits`. */
export async function makeToyCheckpoint(seed: number, analyses: AnalysisSource, inits: readonly Hours[]): Promise<ToyCheckpoint> {
  const model = new ToyModel({ seed, grid: analyses.grid });
  const rmse = await calibrateRmse48h(model, analyses, inits);
  return {
    format: TOY_CHECKPOINT_FORMAT,
    version: 1,
    seed,
    grid: { ...analyses.grid },
    rmse48h: Object.fromEntries(model.channels.map((c, i) => [c, rmse[i]])),
  };
}

/** A ToyModel from a checkpoint. */
export function toyModelFromCheckpoint(ck: ToyCheckpoint, name: string, threads?: number): ToyModel {
  return new ToyModel({ seed: ck.seed, grid: ck.grid, rmse48h: TOY_CHANNELS.map((c) => ck.rmse48h[c.name]), name, threads });
}


/**
 * Writes `count` calibrated test-model checkpoints (seeds 100, 101, …) for `grid` into `dir` as toy-<k>.json,
 * calibrated on the nature run from `origin` at origin + 24, 48, 72 h. Returns the file paths.
 */
export async function writeToyCheckpoints(dir: string, count: number, grid: Grid, origin: Hours, threads?: number): Promise<string[]> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  mkdirSync(dir, { recursive: true });
  const nature = new ToyNatureRun({ grid, origin, threads });
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const ck = await makeToyCheckpoint(100 + k, nature, [origin + 24, origin + 48, origin + 72]);
    const f = join(dir, `toy-${k}.json`);
    writeFileSync(f, `${JSON.stringify(ck, null, 1)}\n`);
    out.push(f);
  }
  return out;
}

/**
 * A view of `model` whose every engine call has exactly `batch` members: smaller calls are padded (with copies of
 * their last member), larger ones split. For models whose kernels would give different bits at different batch
 * sizes, this keeps a member's result independent of how members were batched (`ensemble.fixedBatch`).
 */
export function withFixedBatch(model: ForecastModel, batch: number): ForecastModel {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`fixed batch: expected a positive integer, got ${batch}`);
  const per = model.channels.length * model.grid.nlat * model.grid.nlon;
  return {
    name: model.name,
    channels: model.channels,
    grid: model.grid,
    stepHours: model.stepHours,
    rmse48h: model.rmse48h,
    nonNegative: model.nonNegative,
    async step(state: Float32Array, members: number, time: Hours): Promise<Float32Array> {
      const out = new Float32Array(members * per);
      for (let b0 = 0; b0 < members; b0 += batch) {
        const n = Math.min(batch, members - b0);
        let input = state.subarray(b0 * per, (b0 + n) * per);
        if (n < batch) {
          const padded = new Float32Array(batch * per);
          padded.set(input);
          for (let k = n; k < batch; k++) padded.copyWithin(k * per, (n - 1) * per, n * per);
          input = padded;
        }
        const y = await model.step(input, batch, time);
        out.set(y.subarray(0, n * per), b0 * per);
      }
      return out;
    },
  };
}
