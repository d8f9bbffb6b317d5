// Training an SFNO from scratch on the truth dataset: quadrature-weighted L2 loss on the sphere (or the
// spectrum-preserving adjusted MSE), AdamW with a cosine schedule and gradient clipping (the engine's Trainer),
// validation on held-out years, best checkpoint, resume after interruption; deterministic for a seed (Philox init
// and data order) and a thread count.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, type Tensor } from '../engine/graph.ts';
import { compile, type Executable } from '../engine/runtime.ts';
import { keyFromSeed, normalFill, streamKey, uniformFill } from '../engine/random.ts';
import { Trainer } from '../engine/train.ts';
import { type NamedTensor, loadSafetensors, saveSafetensors } from '../io/safetensors.ts';
import { type Checkpoint, type ChannelLayout, type ChannelStats, CheckpointError, inputChannelNames, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { STIRRING_FORCINGS } from './forcing.ts';
import {
  DAYS_PER_YEAR,
  PROGNOSTIC_CHANNELS,
  SEASON_FEATURES,
  STATIC_CHANNELS,
  type TruthData,
  assembleInput,
  assembleState,
  channelStats,
  forecastStepInternal,
  joinTruth,
  loadTruth,
  sphereSquaredErrorSum,
} from './forecast.ts';
import { SMALL_CONFIG } from './presets.ts';
import { noleapHoursFromIso } from '../world/truth.ts';
import { type Grid } from '../sphere/grid.ts';
import { defaultTruncation } from '../sphere/legendre.ts';
import { ShtPlan, analysis } from '../sphere/sht.ts';
import { type SfnoConfig, Sfno, initSfnoParameters, inputParameters, resolveSfnoConfig, sfnoParameterShapes } from './sfno.ts';

/** The architecture fields a training run may choose (the grid and channel counts come from the data). */
export type ModelChoice = Partial<Omit<SfnoConfig, 'imgSize' | 'grid' | 'inChans' | 'outChans'>>;

export interface TrainOptions {
  /** truth dataset (Zarr group), or several stores of one planet joined in time (`joinTruth`) */
  data: string | string[];
  /** output directory (best.safetensors, resume.safetensors, history.json) */
  out: string;
  seed: number;
  model?: ModelChoice;
  epochs?: number;
  batchSize?: number;
  /** peak learning rate of the cosine schedule */
  lr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  clipNorm?: number;
  /** number of final calendar years held out for validation (default 1) */
  validationYears?: number;
  /** a held-out period by date instead of whole years (takes precedence over validationYears) */
  validationPeriod?: ValidationPeriod;
  /** predict the change of the normalised state (default true) */
  residual?: boolean;
  /** use at most this many training samples per epoch (a seeded subset, default all) */
  samplesPerEpoch?: number;
  /** write resume state every this many steps as well as at every epoch end (default 100) */
  resumeEvery?: number;
  /** when aborted, the run writes its resume state after the current step and returns (finished: false) */
  signal?: AbortSignal;
  threads?: number;
  /** stop after this many optimiser steps in this call (testing interruption); the run can be resumed */
  stopAfterSteps?: number;
  /** progress lines: default on a TTY only */
  progress?: boolean;
  /**
   * autoregressive steps per sample (default 1): the loss is the mean over K rollout steps of the per-step error,
   * with gradients through the whole rollout; samples are K + 1 consecutive 6-hourly times
   */
  rolloutSteps?: number;
  /**
   * start from this checkpoint's weights (fine-tuning) instead of a seeded initialisation; its architecture,
   * normalisation and residual scales are kept (the seed still orders the data). The starting weights count as a
   * candidate: best.safetensors stays them unless an epoch lowers the validation loss
   */
  initFrom?: string;
  /**
   * training-input noise (default 0): Gaussian white noise of this many residual-scale units per prognostic channel
   * (σ_c = inputNoise · residualScale_c in normalised units, per grid point) added to the starting state of every
   * training sample, the targets unchanged, so the model learns to damp small-scale errors (seeded by the step)
   */
  inputNoise?: number;
  /**
   * give the network the planet's stirring as forcing channels (forcing.ts) when the dataset records it (default
   * true); false trains without them. Fine-tuning (initFrom) follows the checkpoint's channels instead
   */
  stirringInputs?: boolean;
  /**
   * the loss of training and validation (default 'mse'): 'mse' = Σ_channels ∫_sphere ((prediction − truth)·w_c)²;
   * 'amse' = the adjusted MSE of Subich et al. (2025), the same per-degree decomposition with the decorrelation
   * term weighted by the larger of the two spectra, so that damping a decorrelating degree is not rewarded
   * (`sphereAmseSum`). Recorded in the checkpoint's training metadata when not 'mse'
   */
  loss?: TrainingLoss;
}

/** The training losses `trainSfno` offers (see TrainOptions.loss). */
export const TRAINING_LOSSES = ['mse', 'amse'] as const;
export type TrainingLoss = (typeof TRAINING_LOSSES)[number];

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  samplesPerSecond: number;
  lr: number;
}

export interface TrainResult {
  bestPath: string;
  /** validation loss of the freshly initialised model */
  initialValLoss: number;
  bestValLoss: number;
  history: EpochRecord[];
  steps: number;
  finished: boolean;
}

export class TrainError extends Error {
  override name = 'TrainError';
}

/** Architecture defaults: the small shipped configuration (presets.ts), grid and channel counts from the data. */
const DEFAULT_MODEL: ModelChoice = (() => {
  const { imgSize: _i, grid: _g, inChans: _a, outChans: _b, ...rest } = SMALL_CONFIG;
  return rest;
})();

function positiveInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TrainError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function positive(v: unknown, name: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (allowZero ? v < 0 : v <= 0)) throw new TrainError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * A held-out period by calendar date (noleap, "YYYY-MM-DD[THH]"): validation from `from`; from `testFrom` on,
 * unused; from `testUntil` on (when given), training data again.
 */
export interface ValidationPeriod {
  from: string;
  /** times at or after this are held out for testing: neither trained nor validated on */
  testFrom?: string;
  /** the end of the held-out period: times at or after it are trained on (a continuation after a test period) */
  testUntil?: string;
}

/** Noleap day number (year·365 + day of year + hour/24) of "YYYY-MM-DD[THH[:MM]][Z]" (the world layer's calendar). */
export function noleapDayNumber(iso: string, what: string): number {
  try {
    return 2000 * DAYS_PER_YEAR + noleapHoursFromIso(iso) / 24;
  } catch (e) {
    throw new TrainError(`${what}: ${(e as Error).message}`);
  }
}

/**
 * Splits consecutive 6-hourly pairs (t, t+1) into training and validation samples: by calendar year (the last
 * `validation` years held out), or by a held-out period (validation from `from`, nothing used from `testFrom` on).
 */
export function splitSamples(data: TruthData, validation: number | ValidationPeriod, stepHours = 6): { train: number[]; valid: number[]; validYears: number[] } {
  const years = [...new Set(data.years)].sort((a, b) => a - b);
  const day = (t: number) => data.years[t] * DAYS_PER_YEAR + data.dayOfYear[t];
  let isValid: (t: number) => boolean;
  let isTest: (t: number) => boolean = () => false;
  let validYears: number[];
  if (typeof validation === 'number') {
    if (years.length <= validation)
      throw new TrainError(`truth dataset ${data.path}: ${years.length} calendar year(s) (${years.join(', ')}) cannot hold out ${validation} for validation and keep some for training`);
    validYears = years.slice(years.length - validation);
    isValid = (t) => validYears.includes(data.years[t]);
  } else {
    const from = noleapDayNumber(validation.from, 'validation period start');
    const testFrom = validation.testFrom === undefined ? Infinity : noleapDayNumber(validation.testFrom, 'test period start');
    if (!(testFrom > from)) throw new TrainError(`test period start ${validation.testFrom} must come after the validation start ${validation.from}`);
    if (validation.testUntil !== undefined && validation.testFrom === undefined) throw new TrainError(`test period end ${validation.testUntil} needs a test period start (testFrom)`);
    const until = validation.testUntil === undefined ? Infinity : noleapDayNumber(validation.testUntil, 'test period end');
    if (!(until > testFrom)) throw new TrainError(`test period end ${validation.testUntil} must come after the test start ${validation.testFrom}`);
    isValid = (t) => day(t) >= from - 1e-9 && day(t) < until - 1e-9;
    isTest = (t) => day(t) >= testFrom - 1e-9 && day(t) < until - 1e-9;
    validYears = [...new Set(Array.from(data.years).filter((_, t) => isValid(t) && !isTest(t)))];
  }
  // times not written yet read as NaN (an unfinished truth run): pairs touching them are skipped
  const P = data.grid.nlat * data.grid.nlon;
  const complete = new Uint8Array(data.hours.length).fill(1);
  for (const f of data.fields.values())
    for (let t = 0; t < data.hours.length; t++) {
      if (!complete[t]) continue;
      for (let i = t * P, e = i + P; i < e; i++)
        if (Number.isNaN(f[i])) {
          complete[t] = 0;
          break;
        }
    }
  const train: number[] = [];
  const valid: number[] = [];
  for (let t = 0; t + 1 < data.hours.length; t++) {
    if (Math.abs(data.hours[t + 1] - data.hours[t] - stepHours) > 1e-6 || !complete[t] || !complete[t + 1]) continue;
    if (isTest(t) || isTest(t + 1)) continue;
    const v0 = isValid(t);
    const v1 = isValid(t + 1);
    if (v0 && v1) valid.push(t);
    else if (!v0 && !v1) train.push(t);
  }
  if (train.length === 0 || valid.length === 0) throw new TrainError(`truth dataset ${data.path}: no ${train.length === 0 ? 'training' : 'validation'} pairs ${stepHours} h apart`);
  return { train, valid, validYears };
}

/**
 * Start indices t of K-step samples: t, t+1, …, t+K−1 are all pairs of `pairs` (so times t..t+K are consecutive
 * 6-hourly and on the same side of the split). K = 1 returns the pairs themselves.
 */
export function rolloutStarts(pairs: readonly number[], steps: number): number[] {
  const have = new Set(pairs);
  return pairs.filter((t) => {
    for (let k = 1; k < steps; k++) if (!have.has(t + k)) return false;
    return true;
  });
}

/** A seeded permutation of 0..n−1 (Fisher–Yates on Philox uniforms keyed by (seed, purpose, epoch)). */
export function permutation(n: number, seed: number, purpose: number, epoch: number): Int32Array {
  const u = new Float64Array(n);
  uniformFill(u, keyFromSeed(seed), streamKey(purpose, epoch));
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i] * (i + 1)));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

const RESUME_FILE = 'resume.safetensors';
const BEST_FILE = 'best.safetensors';

interface ResumeState {
  step: number;
  history: EpochRecord[];
  bestValLoss: number;
  initialValLoss: number;
  /** running sums of the current epoch */
  epochLossSum: number;
  epochSamples: number;
  epochSeconds: number;
  fingerprint: string;
}

class Progress {
  private last = 0;
  constructor(readonly enabled: boolean) {}
  line(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    process.stderr.write(`\r\x1b[K${text}`);
  }
  done(text: string): void {
    if (this.enabled) process.stderr.write(`\r\x1b[K${text}\n`);
  }
}

/** Trains (or resumes) a model; returns the history and the best checkpoint's path. */
export async function trainSfno(options: TrainOptions): Promise<TrainResult> {
  if (!(typeof options.data === 'string' ? options.data : Array.isArray(options.data) && options.data.length > 0 && options.data.every((p) => typeof p === 'string' && p)))
    throw new TrainError('data: a path to the truth Zarr dataset (or a non-empty list of paths) is required');
  if (typeof options.out !== 'string' || !options.out) throw new TrainError('out: an output directory is required');
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new TrainError(`seed must be a non-negative integer, got ${JSON.stringify(options.seed)}`);
  const epochs = positiveInt(options.epochs ?? 10, 'epochs');
  const batchSize = positiveInt(options.batchSize ?? 4, 'batchSize');
  const lr = positive(options.lr ?? 2e-3, 'lr');
  const weightDecay = positive(options.weightDecay ?? 0.01, 'weightDecay', true);
  const clipNorm = positive(options.clipNorm ?? 1, 'clipNorm');
  const warmupSteps = options.warmupSteps ?? 0;
  const validationYears = positiveInt(options.validationYears ?? 1, 'validationYears');
  const resumeEvery = positiveInt(options.resumeEvery ?? 100, 'resumeEvery');
  const residual = options.residual ?? true;
  const rolloutSteps = positiveInt(options.rolloutSteps ?? 1, 'rolloutSteps');
  const inputNoise = positive(options.inputNoise ?? 0, 'inputNoise', true);
  const loss = options.loss ?? 'mse';
  if (!(TRAINING_LOSSES as readonly unknown[]).includes(loss)) throw new TrainError(`loss must be one of ${TRAINING_LOSSES.join(', ')}, got ${JSON.stringify(loss)}`);
  const threads = options.threads;
  let init: Checkpoint | undefined;
  if (options.initFrom !== undefined) {
    if (typeof options.initFrom !== 'string' || !options.initFrom) throw new TrainError(`initFrom must be a checkpoint path, got ${JSON.stringify(options.initFrom)}`);
    if (!existsSync(options.initFrom)) throw new TrainError(`initFrom: checkpoint ${options.initFrom} does not exist`);
    init = loadCheckpoint(options.initFrom);
    if (init.channels.residual !== residual)
      throw new TrainError(`initFrom: checkpoint ${options.initFrom} is ${init.channels.residual ? '' : 'not '}residual, this run is ${residual ? '' : 'not '}residual`);
  }
  const progress = new Progress(options.progress ?? Boolean(process.stderr.isTTY));

  const paths = Array.isArray(options.data) ? options.data : [options.data];
  const data = paths.length === 1 ? await loadTruth(paths[0]) : joinTruth(await Promise.all(paths.map((p) => loadTruth(p))));
  const { train: trainPairs, valid: validPairs, validYears } = splitSamples(data, options.validationPeriod ?? validationYears);
  // K-step samples: start times whose next K pairs are all on the same side of the split
  const train = rolloutStarts(trainPairs, rolloutSteps);
  const valid = rolloutStarts(validPairs, rolloutSteps);
  if (train.length === 0 || valid.length === 0)
    throw new TrainError(`truth dataset ${data.path}: no ${train.length === 0 ? 'training' : 'validation'} samples of ${rolloutSteps} consecutive 6-h steps`);
  const layout: ChannelLayout = {
    prognostic: [...PROGNOSTIC_CHANNELS],
    statics: [...STATIC_CHANNELS],
    timeFeatures: [...SEASON_FEATURES],
    residual,
    stepHours: 6,
  };
  // the stirring as forcing channels: when the data records it (unless opted out); fine-tuning follows the checkpoint
  const stirring = init ? init.channels.stirring : (options.stirringInputs ?? true) ? data.forcing?.spec : undefined;
  if (stirring) {
    if (!data.forcing) throw new TrainError(`initFrom: checkpoint ${options.initFrom} takes the planet's stirring as forcing channels, but truth dataset ${data.path} records no stirring (attribute 'physics')`);
    if (JSON.stringify(data.forcing.spec) !== JSON.stringify(stirring))
      throw new TrainError(`initFrom: checkpoint ${options.initFrom} was trained with the stirring ${JSON.stringify(stirring)}, truth dataset ${data.path} has ${JSON.stringify(data.forcing.spec)}`);
    layout.forcings = [...STIRRING_FORCINGS];
    layout.stirring = { ...stirring };
  }
  const nIn = inputChannelNames(layout).length;
  const nOut = layout.prognostic.length;
  const { nlat, nlon } = data.grid;
  let config: SfnoConfig;
  try {
    config = resolveSfnoConfig({ ...DEFAULT_MODEL, ...(init ? init.config : {}), ...(options.model ?? {}), imgSize: [nlat, nlon], grid: data.grid.kind, inChans: nIn, outChans: nOut });
  } catch (e) {
    throw new TrainError(`model: ${(e as Error).message}`);
  }
  let stats: ChannelStats;
  if (init) {
    // fine-tuning keeps the checkpoint's architecture, channels, normalisation and residual scales
    if (JSON.stringify(init.config) !== JSON.stringify(config))
      throw new TrainError(`initFrom: checkpoint ${options.initFrom} has configuration ${JSON.stringify(init.config)}, this run ${JSON.stringify(config)} (give no architecture options when fine-tuning)`);
    const names = (l: ChannelLayout) => JSON.stringify([l.prognostic, l.statics, l.timeFeatures, l.stepHours, l.forcings ?? [], l.stirring ?? null]);
    if (names(init.channels) !== names(layout))
      throw new TrainError(`initFrom: checkpoint ${options.initFrom} has channels ${names(init.channels)}, training needs ${names(layout)}`);
    stats = init.normalisation;
    if (init.channels.residualScale) layout.residualScale = [...init.channels.residualScale];
  } else {
    stats = channelStats(data, trainPairs, layout);
    // residual models predict the 6-hour change in units of its own spread (per channel), and the loss weighs each
    // channel's error in those units: otherwise the small changes drown under the state's normalisation
    if (residual) layout.residualScale = tendencyScales(data, trainPairs, layout, stats);
  }
  const lossScale = layout.residualScale ? Float32Array.from(layout.residualScale, (v) => 1 / v) : undefined;
  const perEpoch = Math.min(train.length, options.samplesPerEpoch ?? train.length);
  const stepsPerEpoch = Math.floor(perEpoch / batchSize);
  if (stepsPerEpoch < 1) throw new TrainError(`batchSize ${batchSize} exceeds the ${perEpoch} training samples per epoch`);
  const totalSteps = epochs * stepsPerEpoch;
  const initParams = init ? init.params : initSfnoParameters(config, options.seed);
  const fingerprint = JSON.stringify({
    config, epochs, batchSize, lr, weightDecay, clipNorm, warmupSteps, validationYears,
    ...(options.validationPeriod ? { validationPeriod: options.validationPeriod } : {}),
    residual, perEpoch, seed: options.seed, data: data.hours.length, residualScale: layout.residualScale ?? null,
    ...(rolloutSteps !== 1 ? { rolloutSteps } : {}),
    ...(inputNoise !== 0 ? { inputNoise } : {}),
    ...(loss !== 'mse' ? { loss } : {}),
    ...(init ? { initFrom: options.initFrom, initChecksum: checksum(initParams) } : {}),
  });

  const model = new Sfno(config);
  const P = nlat * nlon;
  const nForcing = nIn - nOut;
  const trainer = await Trainer.create({
    name: 'sfno_train_step',
    params: new Map([...initParams].map(([n, d]) => [n, { data: d, shape: sfnoParameterShapes(config).get(n)! }])),
    // mean over the batch (and rollout steps) of Σ_channels ∫_sphere (prediction − target)² (normalised units), or of
    // the channels' adjusted MSE
    loss: (g, p) => g.div(rolloutLoss(g, model, layout, p, batchSize, rolloutSteps, lossScale, loss), batchSize * rolloutSteps),
    optimizer: {
      lr: { baseLr: lr, totalSteps, warmupSteps, minLr: 0 },
      weightDecay,
      clipNorm,
      noDecay: [...sfnoParameterShapes(config).keys()].filter((n) => !n.endsWith('.weight') || /norm[01]\.weight$/.test(n)),
    },
    threads,
  });
  const validator = await buildValidator(model, layout, rolloutSteps, threads, loss);

  mkdirSync(options.out, { recursive: true });
  const resumePath = join(options.out, RESUME_FILE);
  const bestPath = join(options.out, BEST_FILE);
  let state: ResumeState = { step: 0, history: [], bestValLoss: Infinity, initialValLoss: NaN, epochLossSum: 0, epochSamples: 0, epochSeconds: 0, fingerprint };
  if (existsSync(resumePath)) state = loadResume(resumePath, trainer, fingerprint);
  else {
    state.initialValLoss = await validate(validator, trainer.params(), data, valid, layout, stats, batchSize);
    if (init) {
      // fine-tuning: the starting weights are the first candidate, kept as best.safetensors unless an epoch beats them
      state.bestValLoss = state.initialValLoss;
      saveCheckpoint(bestPath, {
        config,
        channels: layout,
        normalisation: stats,
        seed: options.seed,
        step: init.step,
        params: init.params,
        training: { ...(init.training ?? {}), keptBy: { initFrom: options.initFrom, rolloutSteps, ...(loss !== 'mse' ? { loss } : {}), valLoss: state.initialValLoss } },
      });
    }
  }

  const x = new Float32Array(batchSize * nIn * P);
  const target = new Float32Array(batchSize * rolloutSteps * nOut * P);
  const forcing = new Float32Array(batchSize * (rolloutSteps - 1) * nForcing * P);
  let stepsThisCall = 0;
  const saveResume = () => writeResume(resumePath, trainer, state);
  while (state.step < totalSteps) {
    const epoch = Math.floor(state.step / stepsPerEpoch);
    const order = permutation(train.length, options.seed, 1, epoch);
    const t0 = performance.now();
    const b = state.step % stepsPerEpoch;
    for (let k = 0; k < batchSize; k++) assembleRolloutSample(data, train[order[b * batchSize + k]], layout, stats, rolloutSteps, x, target, forcing, k);
    if (inputNoise > 0) addInputNoise(x, batchSize, nIn, P, layout, inputNoise, options.seed, state.step);
    const feeds: Record<string, { data: Float32Array; shape: number[] }> = {
      x: { data: x, shape: [batchSize, nIn, nlat, nlon] },
      target: { data: target, shape: [batchSize, rolloutSteps * nOut, nlat, nlon] },
    };
    if (rolloutSteps > 1 && nForcing > 0) feeds.forcing = { data: forcing, shape: [batchSize, (rolloutSteps - 1) * nForcing, nlat, nlon] };
    const r = await trainer.step(feeds);
    if (!Number.isFinite(r.loss)) throw new TrainError(`training diverged at step ${state.step + 1}: loss ${r.loss}`);
    state.step++;
    stepsThisCall++;
    state.epochLossSum += r.loss * batchSize;
    state.epochSamples += batchSize;
    state.epochSeconds += (performance.now() - t0) / 1000;
    const sps = state.epochSamples / Math.max(state.epochSeconds, 1e-9);
    progress.line(`epoch ${epoch + 1}/${epochs} step ${b + 1}/${stepsPerEpoch} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} ${sps.toFixed(1)} samples/s`);
    if (state.step % stepsPerEpoch === 0) {
      const valLoss = await validate(validator, trainer.params(), data, valid, layout, stats, batchSize);
      const rec: EpochRecord = { epoch: epoch + 1, trainLoss: state.epochLossSum / state.epochSamples, valLoss, samplesPerSecond: sps, lr: r.lr };
      state.history.push(rec);
      state.epochLossSum = 0;
      state.epochSamples = 0;
      state.epochSeconds = 0;
      progress.done(`epoch ${rec.epoch}/${epochs}: train loss ${rec.trainLoss.toFixed(4)}, validation loss ${valLoss.toFixed(4)}, ${sps.toFixed(1)} samples/s`);
      if (valLoss < state.bestValLoss) {
        state.bestValLoss = valLoss;
        saveCheckpoint(bestPath, {
          config,
          channels: layout,
          normalisation: stats,
          seed: options.seed,
          step: state.step,
          params: trainer.params() as Map<string, Float32Array>,
          training: { epoch: rec.epoch, valLoss, trainLoss: rec.trainLoss, validationYears: validYears, ...(options.validationPeriod ? { validationPeriod: options.validationPeriod } : {}), trainingSamples: train.length, validationSamples: valid.length, data: data.path, batchSize, lr, epochs, ...(rolloutSteps !== 1 ? { rolloutSteps } : {}), ...(inputNoise !== 0 ? { inputNoise } : {}), ...(loss !== 'mse' ? { loss } : {}), ...(init ? { initFrom: options.initFrom, initStep: init.step, initTraining: init.training ?? null } : {}) },
        });
      }
      saveResume();
    } else if (state.step % resumeEvery === 0) saveResume();
    const stop = (options.stopAfterSteps !== undefined && stepsThisCall >= options.stopAfterSteps) || options.signal?.aborted === true;
    if (stop && state.step < totalSteps) {
      progress.done(`stopped after step ${state.step} of ${totalSteps}; run the same command again to resume`);
      saveResume();
      return { bestPath, initialValLoss: state.initialValLoss, bestValLoss: state.bestValLoss, history: state.history, steps: state.step, finished: false };
    }
  }
  return { bestPath, initialValLoss: state.initialValLoss, bestValLoss: state.bestValLoss, history: state.history, steps: state.step, finished: true };
}

/**
 * The per-step training loss of internal tensors a (prediction), b (truth) [nlon, C, N·nlat_f], summed over the
 * batch: 'mse' = Σ over channels and the sphere of ((a − b)·w_c)², 'amse' = Σ over channels (and members) of the
 * adjusted MSE of (a·w_c, b·w_c) on the forecast grid (`sphereAmseSum`); w: per-channel weights, default 1.
 */
export function scaledErrorSum(g: Graph, model: Sfno, a: Tensor, b: Tensor, w?: Float32Array, loss: TrainingLoss = 'mse'): Tensor {
  if (w) {
    const c = g.constant(w, [1, w.length, 1]);
    a = g.mul(a, c);
    b = g.mul(b, c);
  }
  return loss === 'amse' ? sphereAmseSum(g, amsePlan(model), a, b) : sphereSquaredErrorSum(g, model, a, b);
}

/**
 * Guard of the adjusted MSE's square roots and coherence (squared field units per degree, in the loss's units:
 * normalised state / residual scale): σ(l) = sqrt(PSD(l) + ε). It keeps the value and the gradient finite where a
 * spectrum vanishes (a degree with no power in prediction or truth: there ρ reads 0, and |∂ρ/∂x| is at most
 * ~1/sqrt(ε)) and lies far below the power of every degree the truth resolves: ρ changes by a relative
 * ≈ ε/(2·min(PSD_x, PSD_y)), nothing at degrees where both spectra are well above ε.
 */
export const AMSE_EPSILON = 1e-9;

/**
 * Truncation of the adjusted MSE's transform on a grid: every degree the grid's quadrature analyses exactly
 * (Legendre–Gauss nlat, Lobatto nlat − 1, equiangular ⌈nlat/2⌉), orders m ≤ l below the Nyquist order.
 */
export function amseTruncation(grid: Grid): { lmax: number; mmax: number } {
  // the sphere layer's default truncation, except on equiangular grids (exact only to about half their rows) and
  // without the Nyquist order
  const d = defaultTruncation(grid);
  const lmax = grid.kind === 'equiangular' ? Math.ceil(grid.nlat / 2) : d.lmax;
  return { lmax, mmax: Math.min(lmax, d.mmax - 1) };
}

const amsePlans = new WeakMap<Sfno, ShtPlan>();

/**
 * The transform of the adjusted MSE: on the model's forecast (outer) grid with the full truncation of that grid
 * (`amseTruncation`; the network's own transforms stop at its internal modes), orthonormal harmonics, float32.
 */
export function amsePlan(model: Sfno): ShtPlan {
  let plan = amsePlans.get(model);
  if (!plan) {
    const grid = model.outer.config.grid;
    plan = new ShtPlan(grid, { ...amseTruncation(grid), norm: 'ortho', csphase: true, dtype: 'float32' });
    amsePlans.set(model, plan);
  }
  return plan;
}

/**
 * Per field (every (channel, member) row of internal tensors [nlon, C, N·nlat_f] on `plan`'s grid, folded rows) the
 * per-degree sums of the packed spectra: Σ_m c_m·f(x_lm, y_lm) with c_0 = 1 and c_m = 2 for m > 0 (a real field's
 * −m half), f = x·x (re² + im²), y·y, and x·y (Re(x·conj y)); each [Bf, lmax], Bf = C·N (channel outer).
 */
function degreeSpectra(g: Graph, plan: ShtPlan, a: Tensor, b: Tensor): { pxx: Tensor; pyy: Tensor; pxy: Tensor } {
  const { nlat, nlon } = plan.config.grid;
  const { lmax } = plan.config;
  const A = analysis(g, plan, g.reshape(a, [nlon, -1, nlat]));
  const B = analysis(g, plan, g.reshape(b, [nlon, -1, nlat]));
  const dtype = plan.dtype;
  const make = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  // one-hot [Σ nl, lmax]: the degree of every column of the joined blocks
  const nl = plan.blocks.reduce((n, blk) => n + blk.ls.length, 0);
  const onehot = make(nl * lmax);
  let row = 0;
  for (const blk of plan.blocks) for (const l of blk.ls) onehot[row++ * lmax + l] = 1;
  const toDegrees = g.constant(onehot, [nl, lmax], dtype);
  const sum = (f: (x: Tensor, y: Tensor) => Tensor) => {
    // per block: Σ over its orders with the real-field factor → [2·Bf, nl] (axis 0 = (re/im, Bf))
    const parts = plan.blocks.map((blk, i) => {
      const factor = make(blk.ms.length);
      blk.ms.forEach((m, k) => (factor[k] = m === 0 ? 1 : 2));
      return g.reduceSum(g.mul(f(A[i], B[i]), g.constant(factor, [blk.ms.length, 1, 1], dtype)), [0]);
    });
    const joined = parts.length === 1 ? parts[0] : g.concat(parts, 1); // [2·Bf, Σ nl]
    return g.reduceSum(g.reshape(g.matmul(joined, toDegrees), [2, -1, lmax]), [0]); // re part + im part → [Bf, lmax]
  };
  return { pxx: sum((x) => g.mul(x, x)), pyy: sum((_, y) => g.mul(y, y)), pxy: sum((x, y) => g.mul(x, y)) };
}

/**
 * The adjusted MSE (AMSE, Subich et al. 2025) of prediction a against truth b, summed over fields: internal
 * tensors [nlon, C, N·nlat_f] on `plan`'s grid (folded rows; any split of the middle axes, one field per (C, N)
 * row). With PSD_x(l) = Σ_m |x_lm|², PSD_y(l) likewise and C(l) = Σ_m Re(x_lm·conj y_lm) (m > 0 counted twice,
 * orthonormal harmonics, so Σ_l of the plain per-degree error is ∫_sphere (a − b)²),
 *   σ = sqrt(PSD + ε), ρ(l) = C(l) / (σ_x σ_y),
 *   AMSE = Σ_l [ (σ_x − σ_y)² + 2·max(PSD_x, PSD_y)·(1 − ρ) ]  (ε = AMSE_EPSILON).
 * The plain MSE is the same sum with σ_x·σ_y in place of the max: AMSE ≥ MSE, equal where the spectra agree, and
 * damping a decorrelating degree no longer lowers it. Degrees beyond the plan's truncation are not seen.
 */
export function sphereAmseSum(g: Graph, plan: ShtPlan, a: Tensor, b: Tensor): Tensor {
  const { pxx, pyy, pxy } = degreeSpectra(g, plan, a, b);
  const sx = g.sqrt(g.add(pxx, AMSE_EPSILON));
  const sy = g.sqrt(g.add(pyy, AMSE_EPSILON));
  const amplitude = g.sub(sx, sy);
  const rho = g.div(pxy, g.mul(sx, sy));
  const decorrelation = g.mul(g.mul(g.maximum(pxx, pyy), 2), g.sub(1, rho));
  return g.reduceSum(g.add(g.mul(amplitude, amplitude), decorrelation));
}

/**
 * Per prognostic channel, the standard deviation of the normalised 6-hour change x(t+1) − x(t) over the training
 * pairs (floored at 1e-6): the residual scale of the checkpoint.
 */
export function tendencyScales(data: TruthData, pairs: readonly number[], layout: ChannelLayout, stats: ChannelStats): number[] {
  const P = data.grid.nlat * data.grid.nlon;
  return layout.prognostic.map((name) => {
    const f = data.fields.get(name)!;
    const std = stats.std[stats.channels.indexOf(name)];
    let s = 0;
    let ss = 0;
    for (const t of pairs)
      for (let p = 0, o = t * P; p < P; p++) {
        const d = (f[o + P + p] - f[o + p]) / std;
        s += d;
        ss += d * d;
      }
    const n = pairs.length * P;
    return Math.max(1e-6, Math.sqrt(Math.max(0, ss / n - (s / n) ** 2)));
  });
}

interface Validator {
  exe: Executable;
  names: string[];
  shapes: Map<string, number[]>;
  steps: number;
}

/**
 * The summed K-step rollout error of a batch (symbolic or static size `batch`): inputs 'x' [B, nIn, nlat, nlon]
 * (the start), 'target' [B, K·nOut, nlat, nlon] (the normalised truth after steps 1..K), and for K > 1 'forcing'
 * [B, (K−1)·nForcing, nlat, nlon] (the static and time-feature channels at the start of steps 2..K). Each step's
 * error is Σ_channels ∫_sphere ((prediction − truth)·w_c)²; K = 1 is the single-step loss.
 */
function rolloutLoss(g: Graph, model: Sfno, layout: ChannelLayout, p: Map<string, Tensor>, batch: number | 'N', steps: number, w?: Float32Array, loss: TrainingLoss = 'mse'): Tensor {
  const { nlat, nlon } = model.outer.config.grid;
  const nIn = model.config.inChans;
  const nOut = layout.prognostic.length;
  const nForcing = nIn - nOut;
  const x = model.toInternal(g, g.input('x', 'float32', [batch, nIn, nlat, nlon]));
  const target = model.toInternal(g, g.input('target', 'float32', [batch, steps * nOut, nlat, nlon]));
  if (steps === 1) return scaledErrorSum(g, model, forecastStepInternal(g, model, layout, p, x), target, w, loss);
  const forcing = nForcing > 0 ? model.toInternal(g, g.input('forcing', 'float32', [batch, (steps - 1) * nForcing, nlat, nlon])) : undefined;
  let state = forecastStepInternal(g, model, layout, p, x);
  let sum = scaledErrorSum(g, model, state, g.slice(target, [0], [nOut], [1]), w, loss);
  for (let k = 1; k < steps; k++) {
    const input = forcing ? g.concat([state, g.slice(forcing, [(k - 1) * nForcing], [k * nForcing], [1])], 1) : state;
    state = forecastStepInternal(g, model, layout, p, input);
    sum = g.add(sum, scaledErrorSum(g, model, state, g.slice(target, [k * nOut], [(k + 1) * nOut], [1]), w, loss));
  }
  return sum;
}

/**
 * Writes sample `slot` of a K-step batch starting at time index t: the network input at t into `x`, the normalised
 * states at t+1..t+K into `target` ([*, K·nOut, …]), the non-prognostic input channels at t+1..t+K−1 into `forcing`.
 */
export function assembleRolloutSample(data: TruthData, t: number, layout: ChannelLayout, stats: ChannelStats, steps: number, x: Float32Array, target: Float32Array, forcing: Float32Array, slot: number): void {
  const P = data.grid.nlat * data.grid.nlon;
  const nOut = layout.prognostic.length;
  const nIn = inputChannelNames(layout).length;
  const nForcing = nIn - nOut;
  assembleInput(data, t, layout, stats, x, slot);
  for (let k = 0; k < steps; k++) assembleState(data, t + 1 + k, layout, stats, target, slot * steps + k);
  if (steps > 1 && nForcing > 0) {
    const scratch = new Float32Array(nIn * P);
    for (let k = 1; k < steps; k++) {
      assembleInput(data, t + k, layout, stats, scratch, 0);
      forcing.set(scratch.subarray(nOut * P), ((slot * (steps - 1) + k - 1) * nForcing) * P);
    }
  }
}

async function buildValidator(model: Sfno, layout: ChannelLayout, steps: number, threads: number | undefined, loss: TrainingLoss): Promise<Validator> {
  const g = new Graph('sfno_validate');
  const p = inputParameters(g, model.config);
  const inv = layout.residualScale ? Float32Array.from(layout.residualScale, (v) => 1 / v) : undefined;
  g.output('sse', rolloutLoss(g, model, layout, p, 'N', steps, inv, loss));
  const shapes = sfnoParameterShapes(model.config);
  return { exe: await compile(g, { threads }), names: [...shapes.keys()], shapes, steps };
}

/** Mean over validation samples of the per-step loss (Σ_channels ∫ (prediction − truth)², normalised units, or AMSE), averaged over the K steps. */
async function validate(v: Validator, params: Map<string, Float32Array | Float64Array>, data: TruthData, samples: number[], layout: ChannelLayout, stats: ChannelStats, batch: number): Promise<number> {
  const { nlat, nlon } = data.grid;
  const P = nlat * nlon;
  const K = v.steps;
  const nOut = layout.prognostic.length;
  const nIn = inputChannelNames(layout).length;
  const nForcing = nIn - nOut;
  const feeds: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const n of v.names) feeds[n] = { data: params.get(n) as Float32Array, shape: v.shapes.get(n)! };
  let sum = 0;
  for (let i = 0; i < samples.length; i += batch) {
    const n = Math.min(batch, samples.length - i);
    const x = new Float32Array(n * nIn * P);
    const target = new Float32Array(n * K * nOut * P);
    const forcing = new Float32Array(n * (K - 1) * nForcing * P);
    for (let k = 0; k < n; k++) assembleRolloutSample(data, samples[i + k], layout, stats, K, x, target, forcing, k);
    feeds.x = { data: x, shape: [n, nIn, nlat, nlon] };
    feeds.target = { data: target, shape: [n, K * nOut, nlat, nlon] };
    if (K > 1 && nForcing > 0) feeds.forcing = { data: forcing, shape: [n, (K - 1) * nForcing, nlat, nlon] };
    const out = await v.exe.run(feeds);
    sum += (out.sse.data as Float32Array)[0];
  }
  return sum / (samples.length * K);
}

/** Adds σ_c·N(0, 1) per grid point to the prognostic channels of a batch of inputs (Philox, keyed by seed and step). */
function addInputNoise(x: Float32Array, batch: number, nIn: number, P: number, layout: ChannelLayout, amount: number, seed: number, step: number): void {
  const nOut = layout.prognostic.length;
  const noise = new Float32Array(batch * nOut * P);
  normalFill(noise, keyFromSeed(seed), streamKey(2, step));
  for (let k = 0; k < batch; k++)
    for (let c = 0; c < nOut; c++) {
      const sigma = amount * (layout.residualScale?.[c] ?? 1);
      const o = (k * nIn + c) * P;
      const n = (k * nOut + c) * P;
      for (let p = 0; p < P; p++) x[o + p] += sigma * noise[n + p];
    }
}

/** A cheap fingerprint of initial weights (so a resume state cannot continue from other starting weights). */
function checksum(params: Map<string, Float32Array>): string {
  let s = 0;
  let a = 0;
  for (const [name, v] of [...params].sort(([x], [y]) => (x < y ? -1 : 1))) {
    for (let i = 0; i < v.length; i++) {
      s += v[i];
      a += Math.abs(v[i]) * ((i % 7) + 1);
    }
    s += name.length;
  }
  return `${s.toPrecision(12)}:${a.toPrecision(12)}`;
}

function writeResume(path: string, trainer: Trainer, state: ResumeState): void {
  const tensors = new Map<string, NamedTensor>();
  const shapes = trainer.paramShapes();
  const params = trainer.params();
  const opt = trainer.optimizerState();
  for (const [n, shape] of shapes) {
    tensors.set(`param.${n}`, { dtype: 'float32', shape, data: params.get(n) as Float32Array });
    tensors.set(`adam_m.${n}`, { dtype: 'float32', shape, data: opt.m.get(n) as Float32Array });
    tensors.set(`adam_v.${n}`, { dtype: 'float32', shape, data: opt.v.get(n) as Float32Array });
  }
  saveSafetensors(path, tensors, { format: 'myriad-sfno-resume', state: JSON.stringify({ ...state, bestValLoss: Number.isFinite(state.bestValLoss) ? state.bestValLoss : null }) });
}

function loadResume(path: string, trainer: Trainer, fingerprint: string): ResumeState {
  const file = loadSafetensors(path);
  if (file.metadata.format !== 'myriad-sfno-resume') throw new CheckpointError(`resume state ${path}: not a myriad resume file (format ${JSON.stringify(file.metadata.format)})`);
  const s = JSON.parse(file.metadata.state ?? 'null') as ResumeState & { bestValLoss: number | null };
  if (!s || s.fingerprint !== fingerprint)
    throw new TrainError(`resume state ${path} belongs to a different run (other data, seed or settings); use a new --out directory or delete it to start afresh`);
  const take = (prefix: string) => {
    const m = new Map<string, Float32Array>();
    for (const n of trainer.paramShapes().keys()) {
      const t = file.tensors.get(`${prefix}.${n}`);
      if (!t || !(t.data instanceof Float32Array)) throw new CheckpointError(`resume state ${path}: tensor '${prefix}.${n}' is missing or not float32`);
      m.set(n, t.data);
    }
    return m;
  };
  trainer.load(take('param'), { step: s.step, m: take('adam_m'), v: take('adam_v') });
  return { ...s, bestValLoss: s.bestValLoss ?? Infinity, initialValLoss: s.initialValLoss ?? NaN };
}
