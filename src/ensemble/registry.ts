// Registry of forecast-model kinds and analysis sources the ensemble config can name: each kind checks its
// checkpoint files (before any work) and loads them as ForecastModels. Built in: the test model ("toy",
// "toy-nature") and the planet's kinds from planet-kinds.ts ("sfno", "planet", "truth").
import { existsSync, statSync } from 'node:fs';
import type { Grid } from '../sphere/grid.ts';
import {
  type AnalysisSource, type ForecastModel, type Hours, TOY_CHANNELS, ToyNatureRun, readToyCheckpoint, toyModelFromCheckpoint,
} from './model.ts';
import { planetKind, sfnoKind, truthKind } from './planet-kinds.ts';

/** What a checkpoint file declares, read cheaply before any work starts. */
export interface CheckpointInfo {
  channels: readonly string[];
  grid: Grid;
  nonNegative: readonly string[];
}

/** A kind of forecast model: how to check and load its checkpoint files. */
export interface ModelKind {
  kind: string;
  description: string;
  /** The bred-vector seed channel when the config names none (default 'z500', the HENS choice). */
  defaultSeedChannel?: string;
  /** Reads the file's header; throws an Error naming the file and the problem. */
  inspect(file: string): CheckpointInfo;
  load(file: string, options: { name: string; threads?: number }): Promise<ForecastModel>;
}

/** A kind of analysis source (initial conditions). `options` is the config's `analyses` object. */
export interface AnalysisKind {
  kind: string;
  description: string;
  /** Checks the options against the model grid/channels; returns problems as [field, message] pairs. */
  check(options: Record<string, unknown>, info: CheckpointInfo): [string, string][];
  open(options: Record<string, unknown>, info: CheckpointInfo, threads?: number): Promise<AnalysisSource>;
}

const models = new Map<string, ModelKind>();
const analyses = new Map<string, AnalysisKind>();

export function registerModelKind(kind: ModelKind): void {
  models.set(kind.kind, kind);
}

export function registerAnalysisKind(kind: AnalysisKind): void {
  analyses.set(kind.kind, kind);
}

export function modelKind(kind: string): ModelKind | undefined {
  return models.get(kind);
}

export function analysisKind(kind: string): AnalysisKind | undefined {
  return analyses.get(kind);
}

export function modelKinds(): string[] {
  return [...models.keys()].sort();
}

export function analysisKinds(): string[] {
  return [...analyses.keys()].sort();
}

/** Throws a clear error when `file` is missing or not a regular file. */
export function checkFileExists(file: string, what: string): void {
  if (!existsSync(file)) throw new Error(`${what}: checkpoint file ${file} does not exist`);
  if (!statSync(file).isFile()) throw new Error(`${what}: ${file} is not a regular file`);
}

registerModelKind({
  kind: 'toy',
  description: 'the deterministic engine-graph test model (JSON checkpoint: seed, grid, 48-h RMSE)',
  inspect(file) {
    const ck = readToyCheckpoint(file);
    return { channels: TOY_CHANNELS.map((c) => c.name), grid: ck.grid, nonNegative: TOY_CHANNELS.filter((c) => c.nonNegative).map((c) => c.name) };
  },
  async load(file, options) {
    return toyModelFromCheckpoint(readToyCheckpoint(file), options.name, options.threads);
  },
});

registerAnalysisKind({
  kind: 'toy-nature',
  description: "the test model's nature run (truth model stepped every 6 h from `origin`)",
  check(options, info) {
    const out: [string, string][] = [];
    if (info.channels.join() !== TOY_CHANNELS.map((c) => c.name).join()) out.push(['analyses.kind', `toy-nature analyses have the test model's channels, the model has ${info.channels.join(', ')}`]);
    if (options.seed !== undefined && !(Number.isSafeInteger(options.seed) && (options.seed as number) >= 0)) out.push(['analyses.seed', `expected a non-negative integer, got ${JSON.stringify(options.seed)}`]);
    return out;
  },
  async open(options, info, threads) {
    return new ToyNatureRun({ grid: info.grid, origin: options.origin as Hours, seed: options.seed as number | undefined, threads });
  },
});

registerModelKind(sfnoKind);
registerModelKind(planetKind);
registerAnalysisKind(truthKind);
