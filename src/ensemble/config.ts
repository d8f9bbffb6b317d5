// The forecast configuration: a zod schema plus the checks that need the checkpoint files (channels, grids), all run
// before any work. Every error names the field, the value and what was expected.
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { hoursFromIso, type Hours } from './model.ts';
import { type EnsembleLayout, membersPerCheckpoint } from './members.ts';
import { type PerturbationSpec, isPaired } from './perturb.ts';
import { type CheckpointInfo, analysisKind, analysisKinds, checkFileExists, modelKind, modelKinds } from './registry.ts';

const isoTime = z.string().min(1);
const positiveInt = z.number().int().min(1);

const perturbationSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('bred-vector'),
    amplitude: z.number().positive().default(0.35),
    cycles: positiveInt.default(3),
    /** default: the model kind's seed channel (registry `defaultSeedChannel`), else 'z500' */
    seedChannel: z.string().optional(),
    boundDegrees: z.number().gt(0).lt(90).default(20),
  }).strict(),
  z.object({ method: z.literal('gaussian'), amplitude: z.number().positive().default(0.35), channels: z.array(z.string()).optional(), paired: z.boolean().default(true) }).strict(),
  z.object({ method: z.literal('correlated'), amplitude: z.number().positive().default(0.35), channels: z.array(z.string()).optional(), paired: z.boolean().default(true) }).strict(),
  z.object({ method: z.literal('lagged'), lagHours: positiveInt.default(6) }).strict(),
  z.object({ method: z.literal('none') }).strict(),
]);

/** The config file's schema (zod). Paths are relative to the config file. */
export const forecastConfigSchema = z.object({
  /** Run directory: member store, statistics, manifest. */
  output: z.string().min(1),
  model: z.object({
    kind: z.string().min(1),
    checkpoints: z.array(z.string().min(1)).min(1),
  }).strict(),
  analyses: z.object({ kind: z.string().min(1) }).passthrough(),
  inits: z.array(isoTime).min(1),
  /** Forecast length in model steps. */
  steps: positiveInt,
  /** Store/score every this many steps (lead 0 included). */
  outputEvery: positiveInt.default(1),
  /** Channels written to the store and the statistics. */
  channels: z.array(z.string().min(1)).min(1),
  ensemble: z.object({
    /** Bred vectors (or perturbations) per checkpoint. */
    perturbations: positiveInt,
    control: z.boolean().default(true),
    /** Members per unit of work and per store chunk; must divide the members per checkpoint. */
    memberBlock: positiveInt.optional(),
    /** Members per model call. */
    batchSize: positiveInt.default(8),
    /** Pad every model call to exactly batchSize members (for models whose bits depend on the batch size). */
    fixedBatch: z.boolean().default(false),
  }).strict(),
  perturbation: perturbationSchema.default({ method: 'bred-vector' }),
  seed: z.number().int().min(0).default(0),
  store: z.object({
    members: z.boolean().default(true),
    tileLat: positiveInt.optional(),
    tileLon: positiveInt.optional(),
    /** Output leads per member chunk (default 8). */
    leadChunk: positiveInt.optional(),
    compressionLevel: z.number().int().min(0).max(22).default(1),
  }).strict().default({}),
  statistics: z.object({
    enabled: z.boolean().default(true),
    /** Exceedance thresholds per channel (counts of members > threshold). */
    thresholds: z.record(z.string(), z.array(z.number()).min(1)).default({}),
    /** M-climate for the 101-percentile counts: percentiles per point of the analyses at start + k·everyHours. */
    climate: z.object({ start: isoTime, count: z.number().int().min(2), everyHours: positiveInt.default(24) }).strict().optional(),
  }).strict().default({}),
  threads: positiveInt.optional(),
}).strict();

export type ForecastConfigInput = z.input<typeof forecastConfigSchema>;
export type ForecastConfigParsed = z.output<typeof forecastConfigSchema>;

/** A validated config with resolved paths, times and the layout. */
export interface ForecastConfig extends ForecastConfigParsed {
  /** Absolute paths of the checkpoints. */
  checkpointFiles: string[];
  outputDir: string;
  initHours: Hours[];
  layout: EnsembleLayout;
  memberBlock: number;
  perturbationSpec: PerturbationSpec;
  info: CheckpointInfo;
  climateTimes?: Hours[];
}

/** A config problem: all of them are collected and reported together. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid forecast config:\n  - ${problems.join('\n  - ')}`);
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

function valueAt(obj: unknown, p: (string | number)[]): unknown {
  let v = obj;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function fieldName(p: (string | number)[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('') || '(config)';
}

/** zod issues → "field: got VALUE; expected …" lines. */
function zodProblems(err: z.ZodError, input: unknown): string[] {
  return err.issues.map((iss) => {
    const field = fieldName(iss.path);
    const got = valueAt(input, iss.path);
    if (iss.code === 'unrecognized_keys') return `${field}: unknown field(s) ${iss.keys.map((k) => `'${k}'`).join(', ')}`;
    if (iss.code === 'too_small' && iss.type === 'number') return `${field}: got ${show(got)}; expected a number >= ${iss.minimum}${iss.inclusive ? '' : ' (exclusive)'}`;
    if (iss.code === 'too_small' && iss.type === 'array') return `${field}: got ${show(got)}; expected at least ${iss.minimum} entr${iss.minimum === 1 ? 'y' : 'ies'}`;
    if (iss.code === 'invalid_union_discriminator') return `${field}: got ${show(got)}; expected one of ${iss.options.map((o) => `'${String(o)}'`).join(', ')}`;
    return `${field}: got ${show(got)}; ${iss.message.replace(/^Expected/, 'expected')}`;
  });
}

/**
 * Validates a config object (as read from JSON) and checks everything that can be checked before work starts:
 * checkpoint files exist and agree on grid and channels, channel names are the model's, times parse, the member
 * block divides the members per checkpoint. `baseDir` resolves relative paths (the config file's directory).
 */
export function validateForecastConfig(input: unknown, baseDir = process.cwd()): ForecastConfig {
  const parsed = forecastConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error, input));
  const cfg = parsed.data;
  const problems: string[] = [];
  const kind = modelKind(cfg.model.kind);
  if (!kind) problems.push(`model.kind: got ${show(cfg.model.kind)}; expected one of ${modelKinds().map((k) => `'${k}'`).join(', ')}`);
  const checkpointFiles = cfg.model.checkpoints.map((f) => path.resolve(baseDir, f));
  let info: CheckpointInfo | undefined;
  checkpointFiles.forEach((file, i) => {
    const field = `model.checkpoints[${i}]`;
    try {
      checkFileExists(file, field);
      if (!kind) return;
      const ci = kind.inspect(file);
      if (!info) info = ci;
      else {
        if (ci.channels.join() !== info.channels.join()) problems.push(`${field}: channels ${ci.channels.join(', ')} differ from model.checkpoints[0]'s ${info.channels.join(', ')}`);
        if (ci.grid.kind !== info.grid.kind || ci.grid.nlat !== info.grid.nlat || ci.grid.nlon !== info.grid.nlon) problems.push(`${field}: grid ${ci.grid.nlat}x${ci.grid.nlon} differs from model.checkpoints[0]'s ${info.grid.nlat}x${info.grid.nlon}`);
      }
    } catch (err) {
      problems.push(`${field}: ${(err as Error).message.replace(`${field}: `, '')}`);
    }
  });
  const initHours: Hours[] = [];
  cfg.inits.forEach((s, i) => {
    try {
      const h = hoursFromIso(s, `inits[${i}]`);
      if (h % 6 !== 0) problems.push(`inits[${i}]: got ${show(s)}; expected a time on the 6-hourly model clock (00, 06, 12, 18 UTC)`);
      if (initHours.includes(h)) problems.push(`inits[${i}]: ${show(s)} is listed twice`);
      initHours.push(h);
    } catch (err) {
      problems.push((err as Error).message);
    }
  });
  const channelCheck = (field: string, name: string) => {
    if (info && !info.channels.includes(name)) problems.push(`${field}: unknown channel ${show(name)}; expected one of the model's channels (${info.channels.join(', ')})`);
  };
  cfg.channels.forEach((c, i) => channelCheck(`channels[${i}]`, c));
  if (new Set(cfg.channels).size !== cfg.channels.length) problems.push(`channels: ${show(cfg.channels)} lists a channel twice`);
  for (const c of Object.keys(cfg.statistics.thresholds)) {
    channelCheck(`statistics.thresholds.${c}`, c);
    if (!cfg.channels.includes(c)) problems.push(`statistics.thresholds.${c}: channel ${show(c)} is not among the output channels (${cfg.channels.join(', ')})`);
  }
  let perturbation = cfg.perturbation;
  if (perturbation.method === 'bred-vector' && perturbation.seedChannel === undefined) {
    // the kind's default seed channel, keeping the schema's key order (config.json bytes)
    const { method, amplitude, cycles, boundDegrees } = perturbation;
    perturbation = { method, amplitude, cycles, seedChannel: kind?.defaultSeedChannel ?? 'z500', boundDegrees };
  }
  const spec = perturbation as PerturbationSpec;
  if (spec.method === 'bred-vector') channelCheck('perturbation.seedChannel', spec.seedChannel);
  if ((spec.method === 'gaussian' || spec.method === 'correlated') && spec.channels) spec.channels.forEach((c, i) => channelCheck(`perturbation.channels[${i}]`, c));
  const layout: EnsembleLayout = { checkpoints: cfg.model.checkpoints.length, perturbations: cfg.ensemble.perturbations, paired: isPaired(spec), control: cfg.ensemble.control };
  const mc = membersPerCheckpoint(layout);
  let memberBlock = cfg.ensemble.memberBlock ?? 1;
  if (cfg.ensemble.memberBlock === undefined) for (let d = Math.min(mc, 16); d >= 1; d--) if (mc % d === 0) { memberBlock = d; break; }
  if (mc % memberBlock !== 0) {
    const field = cfg.ensemble.memberBlock === undefined ? 'ensemble.perturbations' : 'ensemble.memberBlock';
    problems.push(`${field}: member block ${memberBlock} does not divide the ${mc} members per checkpoint; expected a divisor of ${mc}`);
  }
  const ak = analysisKind(cfg.analyses.kind);
  if (!ak) problems.push(`analyses.kind: got ${show(cfg.analyses.kind)}; expected one of ${analysisKinds().map((k) => `'${k}'`).join(', ')}`);
  const analysesOptions: Record<string, unknown> = { ...cfg.analyses };
  // paths in the analyses options (truth stores) are relative to the config file, like checkpoints
  if (typeof analysesOptions.store === 'string' && analysesOptions.store.length > 0) analysesOptions.store = path.resolve(baseDir, analysesOptions.store);
  if (typeof analysesOptions.origin === 'string') {
    try {
      analysesOptions.origin = hoursFromIso(analysesOptions.origin, 'analyses.origin');
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (ak && info) for (const [f, m] of ak.check(analysesOptions, info)) problems.push(`${f}: ${m}`);
  let climateTimes: Hours[] | undefined;
  if (cfg.statistics.climate) {
    try {
      const start = hoursFromIso(cfg.statistics.climate.start, 'statistics.climate.start');
      climateTimes = Array.from({ length: cfg.statistics.climate.count }, (_, k) => start + k * cfg.statistics.climate!.everyHours);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (info && cfg.store.tileLat !== undefined && cfg.store.tileLat > info.grid.nlat) problems.push(`store.tileLat: got ${cfg.store.tileLat}; expected at most nlat = ${info.grid.nlat}`);
  if (info && cfg.store.tileLon !== undefined && cfg.store.tileLon > info.grid.nlon) problems.push(`store.tileLon: got ${cfg.store.tileLon}; expected at most nlon = ${info.grid.nlon}`);
  if (!cfg.store.members && !cfg.statistics.enabled) problems.push('store.members: false with statistics.enabled: false would keep nothing; enable one of them');
  if (problems.length) throw new ConfigError(problems);
  return {
    ...cfg,
    analyses: analysesOptions as ForecastConfigParsed['analyses'],
    perturbation,
    checkpointFiles,
    outputDir: path.resolve(baseDir, cfg.output),
    initHours,
    layout,
    memberBlock,
    perturbationSpec: spec,
    info: info!,
    climateTimes,
  };
}

/** Reads a JSON config file and validates it (relative paths resolve against the file's directory). */
export function readForecastConfig(file: string): ForecastConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`config file ${file}: cannot read it as JSON (${(err as Error).message})`]);
  }
  return validateForecastConfig(json, path.dirname(path.resolve(file)));
}

/**
 * The config as the run directory records it (config.json): the user's config with defaults filled in and paths
 * made absolute, so a run can be resumed or a member regenerated from its directory alone. The output directory is
 * not recorded (it is wherever the file is), so two runs of one config in different places hold identical bytes.
 */
export function canonicalConfig(cfg: ForecastConfig): Omit<ForecastConfigParsed, 'output'> {
  const analyses = { ...cfg.analyses } as Record<string, unknown>;
  if (typeof analyses.origin === 'number') analyses.origin = new Date((analyses.origin as number) * 3.6e6).toISOString();
  return {
    model: { kind: cfg.model.kind, checkpoints: cfg.checkpointFiles },
    analyses: analyses as ForecastConfigParsed['analyses'],
    inits: cfg.inits,
    steps: cfg.steps,
    outputEvery: cfg.outputEvery,
    channels: cfg.channels,
    ensemble: { ...cfg.ensemble, memberBlock: cfg.memberBlock },
    perturbation: cfg.perturbation,
    seed: cfg.seed,
    store: cfg.store,
    statistics: cfg.statistics,
    ...(cfg.threads !== undefined ? { threads: cfg.threads } : {}),
  };
}

/** The config of the run in `dir` (its config.json, with output = dir). */
export function readRunConfig(dir: string): ForecastConfig {
  const file = path.join(dir, 'config.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([`run ${dir}: cannot read ${file} (${(err as Error).message}); is it a myriad forecast run directory?`]);
  }
  return validateForecastConfig({ ...json, output: path.resolve(dir) }, dir);
}
