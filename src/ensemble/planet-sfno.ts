// A shipped SFNO checkpoint as a ForecastModel ("sfno" kind): the models layer's Forecaster (one session, symbolic
// batch) stepping the checkpoint's prognostic channels, with the static inputs and the 48-h RMSE from the checkpoint's
// calibration file, the season feature from each step's valid time (noleap day of year) and, for checkpoints that
// take them, the planet's stirring at the step boundaries (the planet's noleap clock).
import { type Checkpoint, loadCheckpoint } from '../models/checkpoint.ts';
import { Forecaster } from '../models/forecaster.ts';
import type { Grid } from '../sphere/grid.ts';
import type { ForecastModel, Hours } from './model.ts';
import { noleapDayOfYear, noleapHoursFromHours } from './planet-calendar.ts';
import { calibrationPath, decodeStatics, readCalibration } from './planet-calibration.ts';

export interface SfnoModelOptions {
  /** static input fields [nlat, nlon] by name (the checkpoint's channels.statics) */
  statics: Map<string, Float32Array>;
  /** per prognostic channel (NaN when uncalibrated) */
  rmse48h?: ArrayLike<number>;
  name: string;
  threads?: number;
}

/** The grid an SFNO checkpoint runs on. */
export function sfnoGrid(ck: Checkpoint): Grid {
  return { kind: ck.config.grid, nlat: ck.config.imgSize[0], nlon: ck.config.imgSize[1] };
}

/** Checks that statics hold every static channel of the checkpoint on its grid; errors name `where` and the field. */
export function checkStatics(ck: Checkpoint, statics: Map<string, Float32Array>, where: string): void {
  const { nlat, nlon } = sfnoGrid(ck);
  for (const name of ck.channels.statics) {
    const f = statics.get(name);
    if (!f) throw new Error(`${where}: no static field '${name}' (the checkpoint's statics: ${ck.channels.statics.join(', ')})`);
    if (f.length !== nlat * nlon) throw new Error(`${where}: static field '${name}' holds ${f.length} values, the checkpoint's grid needs ${nlat}×${nlon}`);
  }
}

export class SfnoForecastModel implements ForecastModel {
  readonly name: string;
  readonly channels: readonly string[];
  readonly grid: Grid;
  readonly stepHours: number;
  readonly rmse48h: Float64Array;
  readonly nonNegative: readonly string[] = [];

  /** multi-step forecasters by step count, compiled on first use */
  private readonly multi = new Map<number, Promise<Forecaster>>();

  private constructor(readonly checkpoint: Checkpoint, private readonly forecaster: Forecaster, name: string, rmse48h: Float64Array, private readonly statics: Map<string, Float32Array>, private readonly threads?: number) {
    this.name = name;
    this.channels = [...checkpoint.channels.prognostic];
    this.grid = sfnoGrid(checkpoint);
    this.stepHours = checkpoint.channels.stepHours;
    this.rmse48h = rmse48h;
  }

  /** Compiles the checkpoint once (one session for every batch size). */
  static async create(ck: Checkpoint, options: SfnoModelOptions): Promise<SfnoForecastModel> {
    checkStatics(ck, options.statics, `SFNO ${options.name}`);
    const C = ck.channels.prognostic.length;
    const rmse = options.rmse48h ? Float64Array.from(options.rmse48h) : new Float64Array(C).fill(NaN);
    if (rmse.length !== C) throw new RangeError(`SFNO ${options.name}: rmse48h has ${rmse.length} values for ${C} channels`);
    const forecaster = await Forecaster.create(ck, { steps: 1, statics: options.statics, threads: options.threads });
    return new SfnoForecastModel(ck, forecaster, options.name, rmse, options.statics, options.threads);
  }

  step(state: Float32Array, batch: number, time: Hours): Promise<Float32Array> {
    return this.advance(state, batch, time, 1);
  }

  /** `steps` six-hour steps in one engine call (the state stays in the network's internal layout in between). */
  async advance(state: Float32Array, batch: number, time: Hours, steps: number): Promise<Float32Array> {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${this.name}.advance: steps must be a positive integer, got ${steps}`);
    let forecaster = this.forecaster;
    if (steps > 1) {
      if (!this.multi.has(steps)) this.multi.set(steps, Forecaster.create(this.checkpoint, { steps, statics: this.statics, threads: this.threads }));
      forecaster = await this.multi.get(steps)!;
    }
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${this.name}.step: batch must be a positive integer, got ${batch}`);
    const n = batch * this.channels.length * this.grid.nlat * this.grid.nlon;
    if (!(state instanceof Float32Array) || state.length !== n) {
      throw new RangeError(`${this.name}.step: state must be a Float32Array of [${batch}, ${this.channels.length}, ${this.grid.nlat}, ${this.grid.nlon}] = ${n} values, got ${state?.length}`);
    }
    if (batch === 1) {
      // onnxruntime takes other kernels for a batch of one, whose last bits differ from every larger batch (all
      // sizes ≥ 2 agree bit for bit, measured; the tests check it): a lone member runs as a pair with its copy
      const pair = new Float32Array(2 * n);
      pair.set(state);
      pair.set(state, n);
      const out = await forecaster.run(pair, 2, noleapDayOfYear(time), planetHours(time));
      return out[steps - 1].slice(0, n);
    }
    const out = await forecaster.run(state, batch, noleapDayOfYear(time), planetHours(time));
    return out[steps - 1];
  }
}

/** The planet's clock (noleap hours since 2000-01-01) of an ensemble time: the forcing inputs' time; 29 February counts as the 28th. */
function planetHours(time: Hours): number {
  return noleapHoursFromHours(time, { leapDay: 'previous' });
}

/** What the sfno kind reads before any work: the checkpoint and its calibration (rmse48h, statics). */
export function inspectSfno(file: string): { ck: Checkpoint; rmse48h: Float64Array; statics: Map<string, Float32Array> } {
  const ck = loadCheckpoint(file);
  const calFile = calibrationPath(file);
  const cal = readCalibration(calFile, 'sfno', ck.channels.prognostic);
  if (!cal.statics) throw new Error(`calibration ${calFile}: no statics (the SFNO's static inputs ${ck.channels.statics.join(', ')}); recalibrate with \`myriad calibrate --kind sfno\``);
  const statics = decodeStatics(cal.statics, `calibration ${calFile}`);
  checkStatics(ck, statics, `calibration ${calFile}`);
  return { ck, rmse48h: Float64Array.from(ck.channels.prognostic, (c) => cal.rmse48h[c]), statics };
}
