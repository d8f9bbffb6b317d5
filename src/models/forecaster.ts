// Running a trained checkpoint: a compiled rollout of k six-hour steps for any number of members, physical units
// in and out (normalisation from the checkpoint), statics and the season shared by the members of one call.
import { Graph } from '../engine/graph.ts';
import { type Executable, compile, defaultThreads } from '../engine/runtime.ts';
import type { Checkpoint } from './checkpoint.ts';
import { DatasetError, forcingInternal, rolloutInternal, seasonFeatures, staticsInternal } from './forecast.ts';
import { StirringForcing } from './forcing.ts';
import { Sfno, type SfnoBuildOptions, constantParameters } from './sfno.ts';

export interface ForecasterOptions {
  /** six-hour steps per call (default 1) */
  steps?: number;
  /** static fields in physical units, [nlat, nlon] each, by name (the checkpoint's channels.statics) */
  statics: Map<string, Float32Array>;
  threads?: number;
  /**
   * graph-building options of the network (same function, different speed); default: the Sfno defaults, plus
   * cache-blocked MLP slabs (gridChunk 2, slabTail false) on one thread. `{ gridChunk: 1 }` (the whole block tail on
   * one-longitude slabs) ran 1.1–1.2× faster per step in interleaved runs but its session takes ≈ 8× longer to
   * create (onnxruntime's allocation planner on ≈ 9,000 nodes: 15 s instead of 2 s for one step), which the demo's
   * several compiles would not recover
   */
  sfno?: SfnoBuildOptions;
  /**
   * whether idle onnxruntime threads spin (default false: on two vCPUs of one core, or beside other processes,
   * spinning threads slowed two-thread runs to 0.55–0.65× of one thread in interleaved runs)
   */
  spinning?: boolean;
}

/**
 * The network's graph-building options a Forecaster uses by default on `threads` intra-op threads: cache-blocked MLP
 * slabs (gridChunk 2, slabTail false) on one thread, the Sfno defaults on more (see ForecasterOptions.sfno).
 */
export function forecasterBuildOptions(threads: number): SfnoBuildOptions {
  return threads === 1 ? { gridChunk: 2, slabTail: false } : {};
}

/** A checkpoint compiled for rollouts of `steps` steps per call. */
export class Forecaster {
  private constructor(
    readonly checkpoint: Checkpoint,
    readonly steps: number,
    private readonly exe: Executable,
    private readonly mean: Float64Array,
    private readonly std: Float64Array,
    private readonly model: Sfno,
    private readonly forcing: StirringForcing | null,
  ) {}

  static async create(ck: Checkpoint, options: ForecasterOptions): Promise<Forecaster> {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`forecaster: steps must be a positive integer, got ${steps}`);
    const threads = options.threads ?? defaultThreads();
    const model = new Sfno(ck.config, options.sfno ?? forecasterBuildOptions(threads));
    const layout = ck.channels;
    const [nlat, nlon] = ck.config.imgSize;
    const g = new Graph(`sfno_rollout_${steps}`);
    const p = constantParameters(g, ck.config, ck.params);
    const x = g.input('state', 'float32', ['N', layout.prognostic.length, nlat, nlon]);
    const season = g.input('season', 'float32', [steps, 2]);
    const statics = g.constant(staticsInternal(model, layout, ck.normalisation, options.statics), [nlon, layout.statics.length, nlat]);
    const forcings = layout.forcings ?? [];
    const forcingIn = forcings.length ? g.input('forcing', 'float32', [nlon, steps + 1, nlat]) : null;
    const states = rolloutInternal(g, model, layout, p, model.toInternal(g, x), statics, season, steps, forcingIn);
    states.forEach((s, k) => g.output(`step${k + 1}`, model.fromInternal(g, s)));
    const exe = await compile(g, { threads, spinning: options.spinning ?? false });
    const idx = layout.prognostic.map((n) => ck.normalisation.channels.indexOf(n));
    const forcing = forcings.length ? new StirringForcing(layout.stirring!, { kind: ck.config.grid, nlat, nlon }) : null;
    return new Forecaster(ck, steps, exe, Float64Array.from(idx, (i) => ck.normalisation.mean[i]), Float64Array.from(idx, (i) => ck.normalisation.std[i]), model, forcing);
  }

  /** Whether the checkpoint takes forcing channels (then `run` needs the planet time). */
  get needsPlanetTime(): boolean {
    return this.forcing !== null;
  }

  /**
   * Advances `members` states (physical units, [members, nProg, nlat, nlon]) valid at `dayOfYear` (noleap, fractional)
   * by `steps` steps; returns the physical state after each step. `planetHours` (noleap hours since 2000-01-01, the
   * planet's clock) is required when the checkpoint takes forcing channels.
   */
  async run(state: Float32Array, members: number, dayOfYear: number, planetHours?: number): Promise<Float32Array[]> {
    const [nlat, nlon] = this.checkpoint.config.imgSize;
    const nProg = this.mean.length;
    const P = nlat * nlon;
    if (state.length !== members * nProg * P)
      throw new DatasetError(`forecaster: state holds ${state.length} values, expected ${members} members × ${nProg} channels × ${nlat} × ${nlon}`);
    const x = new Float32Array(state.length);
    for (let m = 0; m < members; m++)
      for (let c = 0; c < nProg; c++) {
        const o = (m * nProg + c) * P;
        for (let i = 0; i < P; i++) x[o + i] = (state[o + i] - this.mean[c]) / this.std[c];
      }
    const season = new Float32Array(2 * this.steps);
    const stepDays = this.checkpoint.channels.stepHours / 24;
    for (let k = 0; k < this.steps; k++) season.set(seasonFeatures(dayOfYear + k * stepDays), 2 * k);
    const feeds: Record<string, { data: Float32Array; shape: number[] }> = {
      state: { data: x, shape: [members, nProg, nlat, nlon] },
      season: { data: season, shape: [this.steps, 2] },
    };
    if (this.forcing) {
      if (planetHours === undefined || !Number.isFinite(planetHours))
        throw new DatasetError(`forecaster: the checkpoint takes forcing channels (${(this.checkpoint.channels.forcings ?? []).join(', ')}): the planet time (noleap hours since 2000-01-01) is required, got ${planetHours}`);
      const stepH = this.checkpoint.channels.stepHours;
      const fields = Array.from({ length: this.steps + 1 }, (_, k) => this.forcing!.field(planetHours + k * stepH));
      feeds.forcing = { data: forcingInternal(this.model, fields), shape: [nlon, this.steps + 1, nlat] };
    }
    const out = await this.exe.run(feeds);
    const result: Float32Array[] = [];
    for (let k = 1; k <= this.steps; k++) {
      const y = out[`step${k}`].data as Float32Array;
      const phys = new Float32Array(y.length);
      for (let m = 0; m < members; m++)
        for (let c = 0; c < nProg; c++) {
          const o = (m * nProg + c) * P;
          for (let i = 0; i < P; i++) phys[o + i] = y[o + i] * this.std[c] + this.mean[c];
        }
      result.push(phys);
    }
    return result;
  }
}
