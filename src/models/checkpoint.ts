// SFNO checkpoints as safetensors: weights under PyTorch's state_dict names plus `__metadata__` (architecture,
// channel names, normalisation statistics, training seed and step), validated on load with errors naming the problem.
import { type NamedTensor, SafetensorsError, loadSafetensors, saveSafetensors } from '../io/safetensors.ts';
import { ForcingError, STIRRING_FORCINGS, type StirringSpec, validateStirringSpec } from './forcing.ts';
import { type SfnoConfig, SfnoConfigError, resolveSfnoConfig, sfnoParameterShapes } from './sfno.ts';

export const CHECKPOINT_FORMAT = 'myriad-sfno';
export const CHECKPOINT_VERSION = 1;

/** Per-channel normalisation: value_normalised = (value − mean) / std. */
export interface ChannelStats {
  channels: string[];
  mean: number[];
  std: number[];
}

/** What the network's channels mean (see forecast.ts for how inputs are assembled). */
export interface ChannelLayout {
  /** prognostic fields, in input and output order */
  prognostic: string[];
  /** static fields appended to the inputs */
  statics: string[];
  /** time features appended last (e.g. ['season_sin', 'season_cos']) */
  timeFeatures: string[];
  /** the network predicts the 6-hour change of the normalised state (true) or the state itself */
  residual: boolean;
  /**
   * Residual models: the network's output is the 6-hour change in units of this per-channel scale (the standard
   * deviation of the normalised 6-hour change over the training pairs), so its targets are O(1):
   * next = x + residualScale_c · y. Absent: 1 (older checkpoints).
   */
  residualScale?: number[];
  /** hours per model step */
  stepHours: number;
  /**
   * forcing channels appended after the time features, the same for every member (forcing.ts: the planet's stirring
   * at the start and end of the step); absent: none (older checkpoints)
   */
  forcings?: string[];
  /** the planet's stirring settings the forcing channels are computed from (required with forcings) */
  stirring?: StirringSpec;
}

/** The network's input channels in order: prognostic, statics, time features, forcings. */
export function inputChannelNames(layout: ChannelLayout): string[] {
  return [...layout.prognostic, ...layout.statics, ...layout.timeFeatures, ...(layout.forcings ?? [])];
}

export interface CheckpointMeta {
  config: SfnoConfig;
  channels: ChannelLayout;
  /** statistics of every prognostic and static channel */
  normalisation: ChannelStats;
  seed: number;
  /** optimiser steps taken when this checkpoint was written */
  step: number;
  /** free-form training record (epoch, losses, data, command) */
  training?: Record<string, unknown>;
}

export interface Checkpoint extends CheckpointMeta {
  params: Map<string, Float32Array>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

function validateStats(s: unknown, where: string): ChannelStats {
  const o = s as ChannelStats;
  if (!o || !Array.isArray(o.channels) || !Array.isArray(o.mean) || !Array.isArray(o.std))
    throw new CheckpointError(`${where}: normalisation must be {channels, mean, std} arrays, got ${JSON.stringify(s)?.slice(0, 200)}`);
  if (o.mean.length !== o.channels.length || o.std.length !== o.channels.length)
    throw new CheckpointError(`${where}: normalisation has ${o.channels.length} channels but ${o.mean.length} means and ${o.std.length} stds`);
  o.std.forEach((v, i) => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new CheckpointError(`${where}: normalisation std of '${o.channels[i]}' must be a positive number, got ${v}`);
  });
  o.mean.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new CheckpointError(`${where}: normalisation mean of '${o.channels[i]}' must be finite, got ${v}`);
  });
  return { channels: [...o.channels], mean: [...o.mean], std: [...o.std] };
}

function validateLayout(c: unknown, config: SfnoConfig, where: string): ChannelLayout {
  const o = c as ChannelLayout;
  const names = (k: keyof ChannelLayout) => {
    const v = o?.[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new CheckpointError(`${where}: channels.${k} must be an array of names, got ${JSON.stringify(v)}`);
    return v as string[];
  };
  const prognostic = names('prognostic');
  const statics = names('statics');
  const timeFeatures = names('timeFeatures');
  if (typeof o.residual !== 'boolean') throw new CheckpointError(`${where}: channels.residual must be true or false, got ${JSON.stringify(o.residual)}`);
  if (!(typeof o.stepHours === 'number' && o.stepHours > 0)) throw new CheckpointError(`${where}: channels.stepHours must be a positive number, got ${JSON.stringify(o.stepHours)}`);
  const forcings = o.forcings === undefined ? [] : names('forcings');
  for (const [i, f] of forcings.entries()) {
    if (!(STIRRING_FORCINGS as readonly string[]).includes(f)) throw new CheckpointError(`${where}: channels.forcings: unknown forcing '${f}' (known: ${STIRRING_FORCINGS.join(', ')})`);
    if (forcings.indexOf(f) !== i) throw new CheckpointError(`${where}: channels.forcings names '${f}' twice`);
  }
  let stirring: StirringSpec | undefined;
  if (forcings.length) {
    try {
      stirring = validateStirringSpec(o.stirring, `${where}: channels`);
    } catch (e) {
      if (e instanceof ForcingError) throw new CheckpointError(e.message);
      throw e;
    }
  }
  const inputs = [...prognostic, ...statics, ...timeFeatures, ...forcings];
  if (inputs.length !== config.inChans)
    throw new CheckpointError(`${where}: ${inputs.length} input channels (${inputs.join(', ')}) but config.inChans = ${config.inChans}`);
  if (prognostic.length !== config.outChans)
    throw new CheckpointError(`${where}: ${prognostic.length} prognostic channels but config.outChans = ${config.outChans}`);
  let residualScale: number[] | undefined;
  if (o.residualScale !== undefined) {
    const r = o.residualScale as unknown;
    if (!Array.isArray(r) || r.length !== prognostic.length || !r.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0))
      throw new CheckpointError(`${where}: channels.residualScale must hold ${prognostic.length} positive numbers (one per prognostic channel), got ${JSON.stringify(r)}`);
    residualScale = r as number[];
  }
  return { prognostic, statics, timeFeatures, residual: o.residual, stepHours: o.stepHours, ...(residualScale ? { residualScale } : {}), ...(forcings.length ? { forcings, stirring } : {}) };
}

/** Checks parameters against the configuration: every tensor present, float32, of the right shape, nothing extra. */
export function validateParameters(config: SfnoConfig, params: Map<string, { shape: number[] }>, where: string): void {
  const shapes = sfnoParameterShapes(config);
  for (const [name, shape] of shapes) {
    const t = params.get(name);
    if (!t) throw new CheckpointError(`${where}: tensor '${name}' (shape [${shape.join(', ')}]) is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new CheckpointError(`${where}: tensor '${name}' has shape [${t.shape.join(', ')}], the configuration needs [${shape.join(', ')}]`);
  }
  for (const name of params.keys()) if (!shapes.has(name)) throw new CheckpointError(`${where}: tensor '${name}' is not a parameter of this configuration`);
}

/** Writes a checkpoint atomically (temporary file, fsync, rename). */
export function saveCheckpoint(path: string, ck: Checkpoint): void {
  const config = resolveSfnoConfig(ck.config);
  const channels = validateLayout(ck.channels, config, `checkpoint ${path}`);
  const normalisation = validateStats(ck.normalisation, `checkpoint ${path}`);
  const shapes = sfnoParameterShapes(config);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, shape] of shapes) {
    const data = ck.params.get(name);
    if (!data) throw new CheckpointError(`checkpoint ${path}: parameter '${name}' is missing`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!(data instanceof Float32Array) || data.length !== n)
      throw new CheckpointError(`checkpoint ${path}: parameter '${name}' must be a Float32Array of ${n} values, got ${data?.constructor?.name}(${data?.length})`);
    tensors.set(name, { dtype: 'float32', shape, data });
  }
  if (!Number.isSafeInteger(ck.seed) || ck.seed < 0) throw new CheckpointError(`checkpoint ${path}: seed must be a non-negative integer, got ${ck.seed}`);
  if (!Number.isSafeInteger(ck.step) || ck.step < 0) throw new CheckpointError(`checkpoint ${path}: step must be a non-negative integer, got ${ck.step}`);
  saveSafetensors(path, tensors, {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    config: JSON.stringify(config),
    channels: JSON.stringify(channels),
    normalisation: JSON.stringify(normalisation),
    seed: String(ck.seed),
    step: String(ck.step),
    ...(ck.training ? { training: JSON.stringify(ck.training) } : {}),
  });
}

function parseJson(text: string | undefined, key: string, where: string): unknown {
  if (text === undefined) throw new CheckpointError(`${where}: metadata '${key}' is missing`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${where}: metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
}

function toFloat32(name: string, t: NamedTensor, where: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new CheckpointError(`${where}: tensor '${name}' has dtype ${t.dtype}, expected float32`);
}

/** Reads a safetensors file, reporting format problems as CheckpointError. */
function readWeightsFile(path: string): ReturnType<typeof loadSafetensors> {
  try {
    return loadSafetensors(path);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(e.message);
    throw e;
  }
}

/** Reads and validates a myriad checkpoint. */
export function loadCheckpoint(path: string): Checkpoint {
  const where = `checkpoint ${path}`;
  const file = readWeightsFile(path);
  const m = file.metadata;
  if (m.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`${where}: not a myriad SFNO checkpoint (metadata format = ${JSON.stringify(m.format)}, expected '${CHECKPOINT_FORMAT}'); a plain torch-harmonics state_dict loads with loadTorchWeights`);
  if (Number(m.version) !== CHECKPOINT_VERSION) throw new CheckpointError(`${where}: checkpoint version ${m.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  let config: SfnoConfig;
  try {
    config = resolveSfnoConfig(parseJson(m.config, 'config', where));
  } catch (e) {
    if (e instanceof SfnoConfigError) throw new CheckpointError(`${where}: bad config: ${e.message}`);
    throw e;
  }
  const channels = validateLayout(parseJson(m.channels, 'channels', where), config, where);
  const normalisation = validateStats(parseJson(m.normalisation, 'normalisation', where), where);
  for (const name of [...channels.prognostic, ...channels.statics])
    if (!normalisation.channels.includes(name)) throw new CheckpointError(`${where}: normalisation has no statistics for channel '${name}'`);
  const seed = Number(m.seed);
  const step = Number(m.step);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new CheckpointError(`${where}: metadata seed = ${JSON.stringify(m.seed)} is not a non-negative integer`);
  if (!Number.isSafeInteger(step) || step < 0) throw new CheckpointError(`${where}: metadata step = ${JSON.stringify(m.step)} is not a non-negative integer`);
  const training = m.training === undefined ? undefined : (parseJson(m.training, 'training', where) as Record<string, unknown>);
  validateParameters(config, file.tensors, where);
  const params = new Map<string, Float32Array>();
  for (const name of sfnoParameterShapes(config).keys()) params.set(name, toFloat32(name, file.tensors.get(name)!, where));
  return { config, channels, normalisation, seed, step, training, params };
}

/**
 * Loads weights saved from PyTorch (a torch-harmonics state_dict written as safetensors, names unchanged) for a
 * given configuration; `prefix` selects a sub-tree (e.g. 'state.' or 'module.').
 */
export function loadTorchWeights(path: string, config: SfnoConfig, prefix = ''): Map<string, Float32Array> {
  const where = `weights ${path}`;
  const file = readWeightsFile(path);
  const cfg = resolveSfnoConfig(config);
  const selected = new Map<string, NamedTensor>();
  for (const [k, v] of file.tensors) if (k.startsWith(prefix)) selected.set(k.slice(prefix.length), v);
  validateParameters(cfg, selected, where);
  return new Map([...sfnoParameterShapes(cfg).keys()].map((n) => [n, toFloat32(n, selected.get(n)!, where)]));
}
