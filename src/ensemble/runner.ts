// The ensemble runner: units of work (init × checkpoint × member block) batched through each checkpoint's model,
// members written to a Zarr v3 member store, streaming statistics per grid point and lead, a manifest that records a
// unit only after its outputs are durable, and resume that ends byte-identical to an uninterrupted run.
//
// Run directory:  config.json (canonical config)  manifest.json  store.zarr/  partials/<unit>.bin
// Statistics are deterministic whatever the interruptions: each unit's accumulators go to its own partial file, and
// an init's statistics are the merge of its units' partials in canonical unit order (see docs/formats.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLIMATE_PERCENTILES } from '../scores/streaming.ts';
import { gridGeometry } from '../sphere/grid.ts';
import {
  type ZarrArray, type ZarrGroup, createZarrArray, createZarrStore, flushZarr, openZarrArray, openZarrStore,
  readZarrRegion, writeZarrArray, writeZarrRegion,
} from '../io/zarr.ts';
import { type ForecastConfig, canonicalConfig } from './config.ts';
import { type AnalysisSource, type ForecastModel, type Hours, channelUnits, isoFromHours, withFixedBatch } from './model.ts';
import { type MemberIdentity, type WorkUnit, memberCount, memberIdentity, shardUnits, workUnits } from './members.ts';
import { PartialFile, UnitFieldStatistics, climateByPoint, encodePartial, mergeField } from './partials.ts';
import { advanceInBatches, initialStates } from './perturb.ts';
import { analysisKind, modelKind } from './registry.ts';

export const STORE_DIR = 'store.zarr';
export const MANIFEST_FILE = 'manifest.json';
export const CONFIG_FILE = 'config.json';
export const PARTIALS_DIR = 'partials';
const MANIFEST_FORMAT = 'myriad-forecast-manifest';
const STORE_FORMAT = 'myriad-member-store';
/** Every model the ensemble layer runs takes 6-hour steps (checked when a model is loaded). */
export const MODEL_STEP_HOURS = 6;

interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  /** The store's metadata and coordinates are durable. */
  created: boolean;
  /** Units whose members and partial statistics are durable (sorted). */
  units: string[];
  /** Init indices whose merged statistics are durable (sorted). */
  finalized: number[];
}

/** Progress of a run, reported after every unit. */
export interface ForecastProgress {
  unitsDone: number;
  unitsTotal: number;
  membersDone: number;
  membersTotal: number;
  /** Member-steps computed in this session and their rate. */
  memberSteps: number;
  memberStepsPerSecond: number;
  /** Seconds left at the current rate (NaN before the first unit). */
  etaSeconds: number;
}

export interface RunForecastOptions {
  onProgress?: (p: ForecastProgress) => void;
  /** Stop after this many units in this session (for tests and benchmarks); the run resumes later. */
  maxUnits?: number;
  /** Replace a run directory that holds a different config. */
  overwrite?: boolean;
  /** When given, filled with seconds spent per phase (for benchmarks). */
  timings?: RunTimings;
  /**
   * Run only shard `index` of `count` (units dealt round robin). Shards may run at the same time, in processes on
   * one file system; the run must first be prepared ({@link prepareRun}). Each shard keeps its own manifest; any
   * shard that sees all units of an init recorded writes that init's statistics (identical bytes whoever does).
   */
  shard?: { index: number; count: number };
}

/** Seconds per phase of a run (wall clock on the main thread; writes overlap with compute). */
export interface RunTimings {
  setup: number;
  /** initial states and model steps between stored leads (= breeding + model, plus the little glue between them) */
  forecast: number;
  /** initial states: analyses, noise, bred-vector cycles (part of forecast) */
  breeding?: number;
  /** inside the model's calls between stored leads (part of forecast): the bare model's share of the run */
  model?: number;
  statistics: number;
  memberWrites: number;
  partials: number;
  finalize: number;
}

export interface RunSummary {
  dir: string;
  unitsRun: number;
  unitsTotal: number;
  complete: boolean;
  memberSteps: number;
  seconds: number;
}

// ------------------------------------------------------------------------------------------------ durable files

/** Writes a file atomically and durably: temp file in the same directory, fsync, rename, fsync the directory. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`);
  const fd = fs.openSync(temp, 'wx');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* directories that refuse fsync */
  }
}

function readManifest(dir: string): Manifest | undefined {
  const f = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(f)) return undefined;
  const m = JSON.parse(fs.readFileSync(f, 'utf8')) as Manifest;
  if (m.format !== MANIFEST_FORMAT || m.version !== 1) throw new Error(`${f} is not a myriad forecast manifest (format ${JSON.stringify(m.format)}, version ${m.version})`);
  return m;
}

function writeManifestFile(file: string, m: Manifest): void {
  const sorted: Manifest = { ...m, units: [...m.units].sort(compareUnitIds), finalized: [...m.finalized].sort((a, b) => a - b) };
  writeFileDurable(file, `${JSON.stringify(sorted, null, 1)}\n`);
}

function writeManifest(dir: string, m: Manifest): void {
  writeManifestFile(path.join(dir, MANIFEST_FILE), m);
}

function unitOrder(id: string): number[] {
  return id.slice(1).split(/-[cb]/).map(Number);
}

function compareUnitIds(a: string, b: string): number {
  const x = unitOrder(a);
  const y = unitOrder(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

// ------------------------------------------------------------------------------------------------ the resolved run

/** Lead times (hours) that are stored and scored: 0, every·step, … up to steps·step. */
export function outputLeads(cfg: ForecastConfig, stepHours: number): number[] {
  const out: number[] = [];
  for (let s = 0; s <= cfg.steps; s += cfg.outputEvery) out.push(s * stepHours);
  return out;
}

/** Default store tiles: at most 128 rows × 256 columns, as equal as the grid allows. */
export function storeTiles(cfg: ForecastConfig): { tileLat: number; tileLon: number } {
  const { nlat, nlon } = cfg.info.grid;
  return {
    tileLat: cfg.store.tileLat ?? Math.ceil(nlat / Math.ceil(nlat / 128)),
    tileLon: cfg.store.tileLon ?? Math.ceil(nlon / Math.ceil(nlon / 256)),
  };
}

/** Leads per member chunk (default 8): fewer, larger files per unit (each is fsync-ed) against larger reads of one lead. */
export function leadChunk(cfg: ForecastConfig): number {
  return Math.min(cfg.store.leadChunk ?? 8, outputLeads(cfg, MODEL_STEP_HOURS).length);
}

/** A run's models (loaded on first use, one per checkpoint) and analyses. */
export class RunContext {
  readonly cfg: ForecastConfig;
  private models = new Map<number, Promise<ForecastModel>>();
  private analysesPromise?: Promise<AnalysisSource>;
  private climate?: Promise<Map<string, Float64Array>>;

  constructor(cfg: ForecastConfig) {
    this.cfg = cfg;
  }

  model(checkpoint: number): Promise<ForecastModel> {
    let m = this.models.get(checkpoint);
    if (!m) {
      const kind = modelKind(this.cfg.model.kind)!;
      const file = this.cfg.checkpointFiles[checkpoint];
      m = kind.load(file, { name: path.basename(file), threads: this.cfg.threads }).then((model) => {
        if (model.stepHours !== MODEL_STEP_HOURS) throw new Error(`checkpoint ${file}: the model steps ${model.stepHours} h; the ensemble runner needs ${MODEL_STEP_HOURS}-h steps`);
        return this.cfg.ensemble.fixedBatch ? withFixedBatch(model, this.cfg.ensemble.batchSize) : model;
      });
      this.models.set(checkpoint, m);
    }
    return m;
  }

  analyses(): Promise<AnalysisSource> {
    this.analysesPromise ??= analysisKind(this.cfg.analyses.kind)!.open(this.cfg.analyses as Record<string, unknown>, this.cfg.info, this.cfg.threads);
    return this.analysesPromise;
  }

  /** Per output channel, the (101, P) percentile-major M-climate from the analyses (numpy 'linear' percentiles). */
  climatePercentiles(): Promise<Map<string, Float64Array>> {
    this.climate ??= (async () => {
      const out = new Map<string, Float64Array>();
      const times = this.cfg.climateTimes;
      if (!times) return out;
      const src = await this.analyses();
      const C = this.cfg.info.channels.length;
      const P = this.cfg.info.grid.nlat * this.cfg.info.grid.nlon;
      const samples: Float32Array[] = [];
      for (const t of times) samples.push(await src.analysis(t));
      const S = samples.length;
      const col = new Float64Array(S);
      for (const ch of this.cfg.channels) {
        const c = this.cfg.info.channels.indexOf(ch);
        const q = new Float64Array(CLIMATE_PERCENTILES * P);
        for (let p = 0; p < P; p++) {
          for (let s = 0; s < S; s++) col[s] = samples[s][c * P + p];
          col.sort();
          for (let k = 0; k < CLIMATE_PERCENTILES; k++) {
            const pos = (k / (CLIMATE_PERCENTILES - 1)) * (S - 1);
            const lo = Math.floor(pos);
            const hi = Math.min(lo + 1, S - 1);
            q[k * P + p] = col[lo] + (col[hi] - col[lo]) * (pos - lo);
          }
        }
        out.set(ch, q);
        void C;
      }
      return out;
    })();
    return this.climate;
  }
}

// ------------------------------------------------------------------------------------------------ forecasting members

/**
 * Throws when a member's state holds a NaN or an infinity (a model that blew up): the error names the init, the
 * member, its checkpoint and perturbation, the lead and the channel, so that nothing non-finite reaches the member
 * store or the statistics (the unit is then not recorded; units already recorded stay as they are).
 */
function checkFiniteMembers(run: RunContext, initIndex: number, members: readonly MemberIdentity[], states: Float32Array, leadHours: number): void {
  const C = run.cfg.info.channels.length;
  const per = states.length / members.length;
  const P = per / C;
  for (let m = 0; m < members.length; m++) {
    const base = m * per;
    for (let i = 0; i < per; i++) {
      const v = states[base + i];
      if (v - v !== 0) {
        const id = members[m];
        const ch = run.cfg.info.channels[Math.floor(i / P)];
        const what = leadHours === 0 ? 'its perturbed initial state' : `lead ${leadHours} h`;
        throw new Error(
          `init ${isoFromHours(run.cfg.initHours[initIndex])}: member ${id.member} (checkpoint ${id.checkpoint}, perturbation ${id.perturbation}${id.control ? ', control' : ''}) ` +
            `is not finite at ${what} ('${ch}' = ${v} at grid point ${i % P}): the model blew up; its work unit is not recorded (units already recorded are kept)`,
        );
      }
    }
  }
}

/**
 * Forecasts the given members (one init, one checkpoint) and calls `onLead(leadIndex, states)` with the batch
 * [members, C, nlat, nlon] at every output lead (lead 0 = the perturbed initial states). A member that is not finite
 * at an output lead stops it with an error naming the member (`checkFiniteMembers`).
 */
export async function forecastMembers(
  run: RunContext,
  initIndex: number,
  members: readonly MemberIdentity[],
  onLead: (leadIndex: number, states: Float32Array) => Promise<void> | void,
  timings?: Pick<RunTimings, 'breeding' | 'model'>,
): Promise<number> {
  const cfg = run.cfg;
  const model = await run.model(members[0].checkpoint);
  const analyses = await run.analyses();
  const t0 = cfg.initHours[initIndex];
  const b0 = performance.now();
  let states = await initialStates({ model, analyses, t0, runSeed: cfg.seed, layout: cfg.layout, spec: cfg.perturbationSpec, batchSize: cfg.ensemble.batchSize }, members);
  if (timings) timings.breeding = (timings.breeding ?? 0) + (performance.now() - b0) / 1000;
  checkFiniteMembers(run, initIndex, members, states, 0);
  await onLead(0, states);
  let t: Hours = t0;
  // from one stored lead to the next in one call where the model can (advanceInBatches)
  for (let s = 0; s < cfg.steps; ) {
    const k = Math.min(cfg.outputEvery - (s % cfg.outputEvery), cfg.steps - s);
    const m0 = performance.now();
    states = await advanceInBatches(model, states, members.length, t, cfg.ensemble.batchSize, k);
    if (timings) timings.model = (timings.model ?? 0) + (performance.now() - m0) / 1000;
    t += k * model.stepHours;
    s += k;
    if (s % cfg.outputEvery === 0) {
      checkFiniteMembers(run, initIndex, members, states, s * model.stepHours);
      await onLead(s / cfg.outputEvery, states);
    }
  }
  return members.length * cfg.steps;
}

// ------------------------------------------------------------------------------------------------ the store

const TIME_UNITS = 'hours since 1970-01-01 00:00:00';

async function createStore(cfg: ForecastConfig, dir: string, climate: Map<string, Float64Array>): Promise<ZarrGroup> {
  const { grid, channels: modelChannels } = cfg.info;
  const geo = gridGeometry(grid);
  const M = memberCount(cfg.layout);
  const leads = outputLeads(cfg, MODEL_STEP_HOURS);
  const ni = cfg.initHours.length;
  const root = await createZarrStore(path.join(dir, STORE_DIR), {
    overwrite: true,
    syncEachWrite: false,
    attrs: {
      myriad_format: STORE_FORMAT,
      version: 1,
      title: 'myriad ensemble member store',
      model_kind: cfg.model.kind,
      checkpoints: cfg.checkpointFiles.map((f) => path.basename(f)),
      channels: cfg.channels,
      perturbation: cfg.perturbation,
      seed: cfg.seed,
      members_per_checkpoint: M / cfg.layout.checkpoints,
      paired: cfg.layout.paired,
      control: cfg.layout.control,
      member_block: cfg.memberBlock,
      grid: { ...grid },
      members_stored: cfg.store.members,
      statistics: cfg.statistics.enabled,
    },
  });
  const coord = async (name: string, data: Float64Array | Int32Array, attrs: Record<string, unknown>) => {
    const dtype = data instanceof Float64Array ? 'float64' : 'int32';
    const arr = await createZarrArray(root, name, { shape: [data.length], chunks: [Math.max(1, data.length)], dtype, dims: [name], attrs, compressionLevel: 0 });
    await writeZarrArray(arr, { data, shape: [data.length] });
  };
  await coord('init', Float64Array.from(cfg.initHours), { units: TIME_UNITS, calendar: 'proleptic_gregorian', standard_name: 'forecast_reference_time' });
  await coord('lead', Float64Array.from(leads), { units: 'hours', standard_name: 'forecast_period' });
  await coord('member', Int32Array.from({ length: M }, (_, i) => i), { standard_name: 'realization', long_name: 'ensemble member' });
  await coord('lat', Float64Array.from(geo.latitudesDeg), { units: 'degrees_north', standard_name: 'latitude' });
  await coord('lon', Float64Array.from(geo.longitudesDeg), { units: 'degrees_east', standard_name: 'longitude' });
  const ids = Array.from({ length: M }, (_, m) => memberIdentity(cfg.layout, m));
  const perMember = async (name: string, values: number[], long: string) => {
    const arr = await createZarrArray(root, name, { shape: [M], chunks: [M], dtype: 'int32', dims: ['member'], attrs: { long_name: long }, compressionLevel: 0 });
    await writeZarrArray(arr, { data: Int32Array.from(values), shape: [M] });
  };
  await perMember('member_checkpoint', ids.map((i) => i.checkpoint), 'checkpoint index (into the checkpoints attribute)');
  await perMember('member_perturbation', ids.map((i) => i.perturbation), 'bred vector / perturbation index within the checkpoint');
  await perMember('member_sign', ids.map((i) => (i.control ? 0 : i.sign)), '+1: x + dx, -1: x - dx, 0: unperturbed control');
  const { tileLat, tileLon } = storeTiles(cfg);
  const level = cfg.store.compressionLevel;
  for (const ch of cfg.channels) {
    const units = channelUnits(ch);
    const attrs = units ? { units } : {};
    if (cfg.store.members) {
      await createZarrArray(root, ch, {
        shape: [ni, leads.length, M, grid.nlat, grid.nlon],
        chunks: [1, leadChunk(cfg), cfg.memberBlock, tileLat, tileLon],
        dtype: 'float32',
        dims: ['init', 'lead', 'member', 'lat', 'lon'],
        attrs,
        compressionLevel: cfg.store.compressionLevel,
      });
    }
    if (!cfg.statistics.enabled) continue;
    const field = [ni, leads.length, grid.nlat, grid.nlon];
    const fieldChunks = [1, leads.length, grid.nlat, grid.nlon];
    const dims = ['init', 'lead', 'lat', 'lon'];
    await createZarrArray(root, `${ch}_mean`, { shape: field, chunks: fieldChunks, dtype: 'float64', dims, compressionLevel: level, attrs: { ...attrs, long_name: `ensemble mean of ${ch}` } });
    await createZarrArray(root, `${ch}_variance`, { shape: field, chunks: fieldChunks, dtype: 'float64', dims, compressionLevel: level, attrs: { long_name: `ensemble variance of ${ch} (ddof = 1)` } });
    await createZarrArray(root, `${ch}_min`, { shape: field, chunks: fieldChunks, dtype: 'float32', dims, compressionLevel: level, attrs: { ...attrs, long_name: `ensemble minimum of ${ch}` } });
    await createZarrArray(root, `${ch}_max`, { shape: field, chunks: fieldChunks, dtype: 'float32', dims, compressionLevel: level, attrs: { ...attrs, long_name: `ensemble maximum of ${ch}` } });
    const thresholds = cfg.statistics.thresholds[ch];
    if (thresholds) {
      await coord(`threshold_${ch}`, Float64Array.from(thresholds), { ...attrs, long_name: `exceedance thresholds of ${ch}` });
      await createZarrArray(root, `${ch}_exceedance`, {
        shape: [ni, leads.length, thresholds.length, grid.nlat, grid.nlon], chunks: [1, leads.length, thresholds.length, grid.nlat, grid.nlon], dtype: 'int32',
        dims: ['init', 'lead', `threshold_${ch}`, 'lat', 'lon'], attrs: { long_name: `members with ${ch} > threshold` }, fillValue: -1, compressionLevel: level,
      });
    }
    if (climate.has(ch)) {
      const q = await createZarrArray(root, `${ch}_climate`, {
        shape: [CLIMATE_PERCENTILES, grid.nlat, grid.nlon], chunks: [CLIMATE_PERCENTILES, grid.nlat, grid.nlon], dtype: 'float64',
        dims: ['percentile', 'lat', 'lon'], attrs: { ...attrs, long_name: `M-climate percentiles of ${ch} (from the analyses)` },
      });
      await writeZarrArray(q, { data: climate.get(ch)!, shape: [CLIMATE_PERCENTILES, grid.nlat, grid.nlon] });
      await createZarrArray(root, `${ch}_climate_count`, {
        shape: [ni, leads.length, CLIMATE_PERCENTILES, grid.nlat, grid.nlon], chunks: [1, 1, CLIMATE_PERCENTILES, grid.nlat, grid.nlon], dtype: 'int32',
        dims: ['init', 'lead', 'percentile', 'lat', 'lon'], attrs: { long_name: `members with ${ch} <= the climate percentile` }, fillValue: -1, compressionLevel: level,
      });
    }
  }
  if (cfg.climateTimes && cfg.statistics.enabled) await coord('percentile', Float64Array.from({ length: CLIMATE_PERCENTILES }, (_, k) => k), { units: 'percent' });
  await flushZarr(root);
  return root;
}

// ------------------------------------------------------------------------------------------------ statistics partials

function partialPath(dir: string, unit: string): string {
  return path.join(dir, PARTIALS_DIR, `${unit}.bin`);
}

/** Merges the partials of init `initIndex` in canonical unit order and writes its statistics arrays, field by field. */
async function finalizeInit(cfg: ForecastConfig, dir: string, root: ZarrGroup, units: WorkUnit[], initIndex: number): Promise<void> {
  const mine = units.filter((u) => u.init === initIndex);
  const nl = outputLeads(cfg, MODEL_STEP_HOURS).length;
  const { nlat, nlon } = cfg.info.grid;
  const P = nlat * nlon;
  const files = mine.map((u) => {
    const f = new PartialFile(partialPath(dir, u.id));
    if (f.header.unit !== u.id) throw new Error(`partial statistics ${f.file} belong to unit ${f.header.unit}, expected ${u.id}`);
    return f;
  });
  try {
    for (const ch of cfg.channels) {
      const thresholds = cfg.statistics.thresholds[ch];
      const arrays = {
        mean: await openZarrArray(root, `${ch}_mean`),
        variance: await openZarrArray(root, `${ch}_variance`),
        min: await openZarrArray(root, `${ch}_min`),
        max: await openZarrArray(root, `${ch}_max`),
        exceedance: thresholds ? await openZarrArray(root, `${ch}_exceedance`) : undefined,
        climate: cfg.climateTimes ? await openZarrArray(root, `${ch}_climate_count`) : undefined,
      };
      const mean = new Float64Array(nl * P);
      const variance = new Float64Array(nl * P);
      const min = new Float32Array(nl * P);
      const max = new Float32Array(nl * P);
      const T = thresholds?.length ?? 0;
      const exceed = new Int32Array(nl * T * P);
      for (let l = 0; l < nl; l++) {
        const merged = mergeField(files.map((f) => f.field(ch, l)), P, thresholds, cfg.climateTimes !== undefined);
        mean.set(merged.moments.mean, l * P);
        variance.set(merged.moments.variance(1), l * P);
        min.set(merged.extremes.min, l * P);
        max.set(merged.extremes.max, l * P);
        if (T) exceed.set(merged.exceedance!.counts, l * T * P);
        if (arrays.climate) {
          await writeZarrRegion(arrays.climate, [initIndex, l, 0, 0, 0], { data: merged.climateCounts!, shape: [1, 1, CLIMATE_PERCENTILES, nlat, nlon] });
        }
      }
      const all = [1, nl, nlat, nlon];
      await writeZarrRegion(arrays.mean, [initIndex, 0, 0, 0], { data: mean, shape: all });
      await writeZarrRegion(arrays.variance, [initIndex, 0, 0, 0], { data: variance, shape: all });
      await writeZarrRegion(arrays.min, [initIndex, 0, 0, 0], { data: min, shape: all });
      await writeZarrRegion(arrays.max, [initIndex, 0, 0, 0], { data: max, shape: all });
      if (arrays.exceedance) await writeZarrRegion(arrays.exceedance, [initIndex, 0, 0, 0, 0], { data: exceed, shape: [1, nl, T, nlat, nlon] });
    }
  } finally {
    for (const f of files) f.close();
  }
  await flushZarr(root);
}

// ------------------------------------------------------------------------------------------------ the run

/** Prepares the run directory: same config → resume; different config → error unless `overwrite`. */
function prepareDirectory(cfg: ForecastConfig, overwrite: boolean): void {
  const dir = cfg.outputDir;
  const text = `${JSON.stringify(canonicalConfig(cfg), null, 2)}\n`;
  const cfgFile = path.join(dir, CONFIG_FILE);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    const existing = fs.existsSync(cfgFile) ? fs.readFileSync(cfgFile, 'utf8') : undefined;
    if (existing !== text) {
      if (!overwrite) {
        throw new Error(
          existing === undefined
            ? `output ${dir}: the directory is not empty and holds no myriad run (no ${CONFIG_FILE}); choose another output or pass --overwrite`
            : `output ${dir}: the directory holds a run with a different config; choose another output, or pass --overwrite to replace it`,
        );
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(cfgFile)) writeFileDurable(cfgFile, text);
}

/** Process ids in temporary-file names: ".<name>.tmp-<pid>-…". */
function tempFilePid(name: string): number | undefined {
  const m = /\.tmp-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files left by killed writers (zarr chunks, manifests, partials): those whose writer process is
 * gone. Live writers (other shards) keep theirs. Returns how many were removed.
 */
export function sweepStaleTempFiles(dir: string): number {
  let removed = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith('.') && e.name.includes('.tmp-')) {
        const pid = tempFilePid(e.name);
        if (pid === undefined || (pid !== process.pid && !processAlive(pid))) {
          fs.rmSync(p, { force: true });
          removed++;
        }
      }
    }
  };
  walk(dir);
  return removed;
}

function shardManifestFile(index: number, count: number): string {
  return count === 1 ? MANIFEST_FILE : `manifest.shard-${index}-of-${count}.json`;
}

/**
 * Prepares a run directory: checks or writes config.json, creates the store (once) and records it in manifest.json.
 * Sharded runs call this once before starting their shards; unsharded runs do it themselves.
 */
export async function prepareRun(cfg: ForecastConfig, options: { overwrite?: boolean } = {}): Promise<void> {
  const dir = cfg.outputDir;
  prepareDirectory(cfg, options.overwrite ?? false);
  sweepStaleTempFiles(dir);
  const manifest = readManifest(dir);
  if (manifest?.created) return;
  const run = new RunContext(cfg);
  const climate = cfg.statistics.enabled ? await run.climatePercentiles() : new Map<string, Float64Array>();
  await createStore(cfg, dir, climate);
  writeManifest(dir, { format: MANIFEST_FORMAT, version: 1, created: true, units: [], finalized: [] });
}

/**
 * Runs (or resumes) a forecast. Units are processed in canonical order; each is recorded in the manifest only after
 * its member chunks and partial statistics are on disk, and an init's statistics are written once all its units are.
 */
export async function runForecast(cfg: ForecastConfig, options: RunForecastOptions = {}): Promise<RunSummary> {
  const started = performance.now();
  const tm: RunTimings = options.timings ?? { setup: 0, forecast: 0, statistics: 0, memberWrites: 0, partials: 0, finalize: 0 };
  const clock = () => performance.now() / 1000;
  const dir = cfg.outputDir;
  const shard = options.shard ?? { index: 0, count: 1 };
  if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new RangeError(`shard: expected index in [0, count) and count >= 1, got ${shard.index}/${shard.count}`);
  }
  if (shard.count === 1) await prepareRun(cfg, { overwrite: options.overwrite });
  else {
    const text = `${JSON.stringify(canonicalConfig(cfg), null, 2)}\n`;
    const cfgFile = path.join(dir, CONFIG_FILE);
    if (!fs.existsSync(cfgFile) || !readManifest(dir)?.created) {
      throw new Error(`output ${dir}: a sharded run needs the run prepared first (myriad forecast CONFIG --prepare)`);
    }
    if (fs.readFileSync(cfgFile, 'utf8') !== text) throw new Error(`output ${dir}: the directory holds a run with a different config`);
    sweepStaleTempFiles(dir);
  }
  const manifestName = shardManifestFile(shard.index, shard.count);
  const readOwn = (): Manifest => {
    const f = path.join(dir, manifestName);
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as Manifest) : { format: MANIFEST_FORMAT, version: 1, created: true, units: [], finalized: [] };
  };
  const saveOwn = (m: Manifest) => writeManifestFile(path.join(dir, manifestName), m);
  let manifest = readOwn();
  const run = new RunContext(cfg);
  const climate = cfg.statistics.enabled ? await run.climatePercentiles() : new Map<string, Float64Array>();
  const root: ZarrGroup = await openZarrStore(path.join(dir, STORE_DIR), { syncEachWrite: false });
  const allUnits = workUnits(cfg.layout, cfg.initHours.length, cfg.memberBlock);
  const units = shard.count === 1 ? allUnits : shardUnits(allUnits, shard.index, shard.count);
  const done = new Set(manifest.units);
  const finalized = new Set(manifest.finalized);
  /** Units recorded by any shard (re-read from disk: other shards may be running). */
  const recordedAnywhere = (): Set<string> => {
    if (shard.count === 1) return done;
    const all = new Set<string>();
    for (let k = 0; k < shard.count; k++) {
      const f = path.join(dir, shardManifestFile(k, shard.count));
      if (fs.existsSync(f)) for (const u of (JSON.parse(fs.readFileSync(f, 'utf8')) as Manifest).units) all.add(u);
    }
    return all;
  };
  const membersTotal = units.length * cfg.memberBlock;
  const C = cfg.info.channels.length;
  const P = cfg.info.grid.nlat * cfg.info.grid.nlon;
  const channelIdx = cfg.channels.map((ch) => cfg.info.channels.indexOf(ch));
  const nLeads = outputLeads(cfg, MODEL_STEP_HOURS).length;
  // one accumulator per (channel, lead), reset and reused unit after unit
  const statsPool: UnitFieldStatistics[][] = cfg.channels.map(() => []);
  const climateIndex = new Map([...climate].map(([ch, q]) => [ch, climateByPoint(q, P)]));
  const memberArrays = new Map<string, ZarrArray>();
  if (cfg.store.members) for (const ch of cfg.channels) memberArrays.set(ch, await openZarrArray(root, ch));

  const finalizeReady = async () => {
    if (!cfg.statistics.enabled) return;
    const recorded = recordedAnywhere();
    for (let i = 0; i < cfg.initHours.length; i++) {
      if (finalized.has(i)) continue;
      if (!allUnits.filter((u) => u.init === i).every((u) => recorded.has(u.id))) continue;
      const f0 = clock();
      await finalizeInit(cfg, dir, root, allUnits, i);
      tm.finalize += clock() - f0;
      finalized.add(i);
      manifest = { ...manifest, units: [...done], finalized: [...finalized] };
      saveOwn(manifest);
    }
  };
  await finalizeReady();
  tm.setup += (performance.now() - started) / 1000;

  let unitsRun = 0;
  let memberSteps = 0;
  const report = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = memberSteps / Math.max(seconds, 1e-9);
    const left = units.filter((u) => !done.has(u.id)).length * cfg.memberBlock * cfg.steps;
    options.onProgress?.({
      unitsDone: done.size,
      unitsTotal: units.length,
      membersDone: done.size * cfg.memberBlock,
      membersTotal,
      memberSteps,
      memberStepsPerSecond: rate,
      etaSeconds: memberSteps > 0 ? left / rate : NaN,
    });
  };
  for (const unit of units) {
    if (done.has(unit.id)) continue;
    if (options.maxUnits !== undefined && unitsRun >= options.maxUnits) break;
    const ids = Array.from({ length: unit.members }, (_, k) => memberIdentity(cfg.layout, unit.firstMember + k));
    const stats = cfg.statistics.enabled ? statsPool : undefined;
    if (stats) for (const list of stats) for (const u of list) u.reset();
    const { nlat, nlon } = cfg.info.grid;
    const L = leadChunk(cfg);
    // per channel, [L, members, P]: each lead's slot is the channel's contiguous [members, P] slab, copied once from
    // the states and used both for the statistics and (when the chunk's last lead is in) as the chunk written
    const M = unit.members;
    const slots = cfg.store.members ? L : 1;
    const buffers = cfg.channels.map(() => new Float32Array(slots * M * P));
    const writes: Promise<void>[] = [];
    const u0 = clock();
    let inCallback = 0;
    memberSteps += await forecastMembers(run, unit.init, ids, async (lead, states) => {
      const c0 = clock();
      const slot = lead % slots;
      const last = slot === L - 1 || lead === nLeads - 1;
      for (let k = 0; k < cfg.channels.length; k++) {
        const ch = cfg.channels[k];
        const slab = buffers[k].subarray(slot * M * P, (slot + 1) * M * P);
        for (let m = 0; m < M; m++) slab.set(states.subarray((m * C + channelIdx[k]) * P, (m * C + channelIdx[k] + 1) * P), m * P);
        if (stats) {
          const s0 = clock();
          stats[k][lead] ??= new UnitFieldStatistics(P, cfg.statistics.thresholds[ch]);
          stats[k][lead].add(slab, climateIndex.get(ch));
          tm.statistics += clock() - s0;
        }
        const arr = memberArrays.get(ch);
        if (arr && last) {
          const n = slot + 1;
          // the write keeps this buffer (it may still be compressing when the next leads come): take a fresh one
          const data = n === L ? buffers[k] : buffers[k].slice(0, n * M * P);
          if (n === L) buffers[k] = new Float32Array(L * M * P);
          writes.push(writeZarrRegion(arr, [unit.init, lead - slot, unit.firstMember, 0, 0], { data, shape: [1, n, M, nlat, nlon] }));
        }
      }
      inCallback += clock() - c0;
    }, tm);
    const w0 = clock();
    tm.forecast += w0 - u0 - inCallback;
    await Promise.all(writes);
    if (cfg.store.members) await flushZarr(root);
    const p0 = clock();
    tm.memberWrites += p0 - w0;
    if (stats) writeFileDurable(partialPath(dir, unit.id), encodePartial(unit.id, unit.members, cfg.channels, stats));
    tm.partials += clock() - p0;
    done.add(unit.id);
    manifest = { ...manifest, units: [...done] };
    saveOwn(manifest);
    unitsRun++;
    report();
    await finalizeReady();
  }
  // complete: this shard's units are recorded, and every init's statistics are written (by this or another shard)
  const finalizedAnywhere = new Set(finalized);
  if (shard.count > 1) {
    for (let k = 0; k < shard.count; k++) {
      const f = path.join(dir, shardManifestFile(k, shard.count));
      if (fs.existsSync(f)) for (const i of (JSON.parse(fs.readFileSync(f, 'utf8')) as Manifest).finalized) finalizedAnywhere.add(i);
    }
  }
  const complete = units.every((u) => done.has(u.id)) && (!cfg.statistics.enabled || cfg.initHours.every((_, i) => finalizedAnywhere.has(i)));
  return { dir, unitsRun, unitsTotal: units.length, complete, memberSteps, seconds: (performance.now() - started) / 1000 };
}

// ------------------------------------------------------------------------------------------------ regenerating a member

/** A member regenerated on demand: [leads, channels, nlat, nlon] for the chosen channels. */
export interface RegeneratedMember {
  identity: MemberIdentity;
  init: Hours;
  leads: number[];
  channels: string[];
  data: Float32Array;
}

/** Recomputes one member (any of the model's channels) exactly as the run computed it. */
export async function regenerateMember(cfg: ForecastConfig, initIndex: number, member: number, channels: string[] = cfg.channels): Promise<RegeneratedMember> {
  if (!Number.isInteger(initIndex) || initIndex < 0 || initIndex >= cfg.initHours.length) {
    throw new RangeError(`init: expected an index in [0, ${cfg.initHours.length}), got ${initIndex}`);
  }
  for (const ch of channels) if (!cfg.info.channels.includes(ch)) throw new RangeError(`channels: unknown channel '${ch}'; expected one of ${cfg.info.channels.join(', ')}`);
  const identity = memberIdentity(cfg.layout, member);
  const run = new RunContext(cfg);
  const leads = outputLeads(cfg, MODEL_STEP_HOURS);
  const C = cfg.info.channels.length;
  const P = cfg.info.grid.nlat * cfg.info.grid.nlon;
  const data = new Float32Array(leads.length * channels.length * P);
  await forecastMembers(run, initIndex, [identity], (lead, states) => {
    channels.forEach((ch, k) => data.set(states.subarray(cfg.info.channels.indexOf(ch) * P, (cfg.info.channels.indexOf(ch) + 1) * P), (lead * channels.length + k) * P));
    void C;
  });
  return { identity, init: cfg.initHours[initIndex], leads, channels, data };
}

/** Reads one stored member: [leads, channels, nlat, nlon]. */
export async function readStoredMember(dir: string, initIndex: number, member: number, channels: string[]): Promise<Float32Array> {
  const root = await openZarrStore(path.join(dir, STORE_DIR));
  const parts: Float32Array[] = [];
  let nl = 0;
  let P = 0;
  for (const ch of channels) {
    const arr = await openZarrArray(root, ch).catch(() => {
      throw new Error(`the member store in ${dir} has no member array '${ch}' (members stored only for the run's output channels, and only when store.members is true)`);
    });
    const [, leads, , nlat, nlon] = arr.shape;
    nl = leads;
    P = nlat * nlon;
    parts.push((await readZarrRegion(arr, [initIndex, 0, member, 0, 0], [1, leads, 1, nlat, nlon])).data as Float32Array);
  }
  const out = new Float32Array(nl * channels.length * P);
  for (let l = 0; l < nl; l++) channels.forEach((_, k) => out.set(parts[k].subarray(l * P, (l + 1) * P), (l * channels.length + k) * P));
  return out;
}
