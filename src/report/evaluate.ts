// The evaluation pipeline: scores an ensemble run directory (member store + streaming statistics) against a truth
// Zarr store, mapping times by calendar date, and writes tidy results plus report-bundle arrays (spectra, maps).
//
// From the run's statistics (when present): ensemble-mean RMSE, spread, the three spread-skill ratios, the outlier
// fraction from min/max, event probabilities from exceedance counts (Brier, Murphy decomposition, reliability, ROC)
// and the EFI from the 101-percentile counts. From the members (when stored), band by band with memory bounded by
// `bandBytes` whatever the member count: CRPS (standard and fair), rank histograms (seeded tie breaking), energy
// score, control- and best-member RMSE, outliers, events against the truth's 95th/99th calendar-month percentiles,
// σ-bins, bootstrapped sub-ensembles, EFI/SOT against an M-climate store, and spectra. Per event threshold also the
// log score and the threshold-/outcome-weighted CRPS (see `addWeightedEventBand`), and per variable and lead the
// smallest sub-ensemble size whose range covers the truth in >= 95% of cases (`smallest_size_95`).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { openZarrArray, openZarrGroup, openZarrStore, readZarrArray, readZarrRegion, type ZarrArray, type ZarrGroup } from '../io/zarr.ts';
import { streamKey, uniformFill } from '../engine/random.ts';
import { createSht, type SphericalHarmonicTransform } from '../sphere/reference.ts';
import { angularPowerSpectrum } from '../sphere/spectra.ts';
import type { Grid } from '../sphere/grid.ts';
import { efiFromCounts } from '../scores/efi.ts';
import { ProbabilityHistogram } from '../scores/events.ts';
import { latitudeWeights } from '../scores/grid.ts';
import { BeyondTruthHistogram, drawSubEnsembles, type SubEnsembleDraws, type SubEnsembleSizeResult } from '../scores/huge.ts';
import { anomalyCorrelationOverTimes, anomalyProducts, spreadSkillRatios, type AnomalyProducts } from '../scores/mean.ts';
import { rocCurve } from '../scores/probability.ts';
import { DEFAULT_SIGMA_EDGES, FieldPass, addWeightedEventPoint, type WeightedEventSums } from '../scores/pass.ts';
import { MemberSorter } from '../scores/sorted.ts';
import { zonalEnergySpectrum } from '../scores/spectrum.ts';
import { CLIMATE_PERCENTILES } from '../scores/streaming.ts';
import { BUNDLE_FILE, RESULTS_CSV, RESULTS_JSON, parseReportBundle, rankHistogramRecords, reliabilityRecords, rocRecords, sigmaBinRecords, subEnsembleRecords, writeReportBundle, type MapEntry, type RecordKeys, type SpectrumEntry } from './bundle.ts';
import { readResults, writeResults, type ResultRecord } from './results.ts';
import { hoursFromCalendar, noleapHoursFromHours } from '../ensemble/planet-calendar.ts';

/** A problem with the inputs of `score` (bad store, grid mismatch, missing time, NaN): reported without a stack. */
export class ScoreInputError extends Error {
  override name = 'ScoreInputError';
}

// ------------------------------------------------------------------------------------------------ calendars

/** Calendar fields (UTC) of ensemble-layer hours since 1970-01-01 (proleptic Gregorian). */
export function calendarFields(hours1970: number): { year: number; month: number; day: number; hour: number } {
  const d = new Date(hours1970 * 3.6e6);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours() };
}

function isoHour(f: { year: number; month: number; day: number; hour: number }): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(f.year, 4)}-${p(f.month)}-${p(f.day)}T${p(f.hour)}`;
}

/** A CF time axis: "hours since REF" with a noleap or Gregorian calendar. */
export interface TimeAxis {
  calendar: 'noleap' | 'gregorian';
  ref: { year: number; month: number; day: number; hour: number };
}

export function parseTimeAxis(units: unknown, calendar: unknown, where: string): TimeAxis {
  const m = typeof units === 'string' ? /^hours since (\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2})(?::\d{2}(?::\d{2})?)?)?/.exec(units.trim()) : null;
  if (!m) throw new ScoreInputError(`${where}: time units ${JSON.stringify(units)} are not "hours since YYYY-MM-DD HH:MM:SS"`);
  const cal = String(calendar ?? 'standard').toLowerCase();
  const kind = cal === 'noleap' || cal === '365_day' ? 'noleap' : ['standard', 'gregorian', 'proleptic_gregorian'].includes(cal) ? 'gregorian' : undefined;
  if (!kind) throw new ScoreInputError(`${where}: calendar ${JSON.stringify(calendar)} is not supported (expected noleap, 365_day, standard, gregorian or proleptic_gregorian)`);
  return { calendar: kind, ref: { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4] ?? 0) } };
}

/**
 * Hours on `axis` of the same calendar date and hour (YYYY-MM-DDTHH) as ensemble hours since 1970. A 29 February
 * has no counterpart in a noleap calendar and is refused.
 */
export function axisHours(axis: TimeAxis, hours1970: number): number {
  const f = calendarFields(hours1970);
  if (axis.calendar === 'gregorian') {
    const ref = Date.UTC(axis.ref.year, axis.ref.month - 1, axis.ref.day, axis.ref.hour);
    return (Date.UTC(f.year, f.month - 1, f.day, f.hour) - ref) / 3.6e6;
  }
  if (f.month === 2 && f.day === 29) throw new ScoreInputError(`valid time ${isoHour(f)} (29 February) does not exist in the truth's noleap calendar`);
  // the ensemble layer's noleap clock (hours since 2000-01-01), shifted to the axis's reference
  return noleapHoursFromHours(hours1970) - noleapHoursFromHours(hoursFromCalendar(axis.ref), { what: 'truth time reference' });
}

// ------------------------------------------------------------------------------------------------ the inputs

/** What `score` reads of a run directory's member store. */
export interface RunStore {
  dir: string;
  root: ZarrGroup;
  grid: Grid;
  channels: string[];
  initHours: number[];
  leads: number[];
  members: number;
  lat: Float64Array;
  lon: Float64Array;
  control: boolean;
  membersStored: boolean;
  statistics: boolean;
  thresholds: Map<string, number[]>;
  climateChannels: Set<string>;
  modelKind: string;
}

async function readCoord(group: ZarrGroup, name: string, where: string): Promise<Float64Array> {
  let arr: ZarrArray;
  try {
    arr = await openZarrArray(group, name);
  } catch {
    throw new ScoreInputError(`${where}: coordinate '${name}' is missing`);
  }
  return Float64Array.from((await readZarrArray(arr)).data as ArrayLike<number>);
}

/** Opens a run directory's member store (store.zarr) and reads its coordinates and attributes. */
export async function openRunStore(dir: string): Promise<RunStore> {
  const storePath = join(dir, 'store.zarr');
  if (!existsSync(join(storePath, 'zarr.json'))) throw new ScoreInputError(`run ${dir}: no member store (${storePath}/zarr.json missing); is it a myriad forecast run directory?`);
  const root = await openZarrStore(storePath);
  const a = root.attrs;
  if (a.myriad_format !== 'myriad-member-store') throw new ScoreInputError(`run ${dir}: store.zarr is not a myriad member store (myriad_format ${JSON.stringify(a.myriad_format)})`);
  const grid = a.grid as Grid;
  const channels = a.channels as string[];
  const where = `run ${dir}`;
  const initHours = Array.from(await readCoord(root, 'init', where));
  const leads = Array.from(await readCoord(root, 'lead', where));
  const member = await readCoord(root, 'member', where);
  const lat = await readCoord(root, 'lat', where);
  const lon = await readCoord(root, 'lon', where);
  const thresholds = new Map<string, number[]>();
  const climateChannels = new Set<string>();
  const statistics = a.statistics === true;
  for (const ch of channels) {
    try {
      thresholds.set(ch, Array.from(await readCoord(root, `threshold_${ch}`, where)));
    } catch {
      /* no thresholds for this channel */
    }
  }
  if (statistics) {
    for (const ch of channels) {
      try {
        await openZarrArray(root, `${ch}_climate_count`);
        climateChannels.add(ch);
      } catch {
        /* no M-climate */
      }
    }
  }
  return {
    dir, root, grid, channels, initHours, leads, members: member.length, lat, lon, control: a.control === true,
    membersStored: a.members_stored === true, statistics, thresholds, climateChannels, modelKind: String(a.model_kind ?? 'ensemble'),
  };
}

/** A truth store (myriad world run layout: variables [time, lat, lon], coordinates time/lat/lon). */
export interface TruthStore {
  path: string;
  root: ZarrGroup;
  axis: TimeAxis;
  time: Float64Array;
  index: Map<number, number>;
  lat: Float64Array;
  lon: Float64Array;
}

export async function openTruthStore(path: string): Promise<TruthStore> {
  if (!existsSync(join(path, 'zarr.json'))) throw new ScoreInputError(`truth ${path}: not a Zarr v3 store (zarr.json missing)`);
  const root = await openZarrStore(path);
  const where = `truth ${path}`;
  let timeArr: ZarrArray;
  try {
    timeArr = await openZarrArray(root, 'time');
  } catch {
    throw new ScoreInputError(`${where}: coordinate 'time' is missing`);
  }
  const axis = parseTimeAxis(timeArr.attrs.units, timeArr.attrs.calendar, where);
  const time = Float64Array.from((await readZarrArray(timeArr)).data as Float64Array);
  const index = new Map<number, number>();
  time.forEach((t, i) => index.set(t, i));
  return { path, root, axis, time, index, lat: await readCoord(root, 'lat', where), lon: await readCoord(root, 'lon', where) };
}

function checkGrids(run: RunStore, truth: TruthStore): void {
  const { nlat, nlon } = run.grid;
  if (truth.lat.length !== nlat || truth.lon.length !== nlon) {
    throw new ScoreInputError(`grid mismatch: run ${run.dir} is ${nlat}×${nlon} (${run.grid.kind}), truth ${truth.path} is ${truth.lat.length}×${truth.lon.length}`);
  }
  for (let i = 0; i < nlat; i++) {
    if (!(Math.abs(run.lat[i]! - truth.lat[i]!) < 1e-6)) {
      throw new ScoreInputError(`grid mismatch: latitude row ${i} is ${run.lat[i]} in run ${run.dir} (${run.grid.kind}) but ${truth.lat[i]} in truth ${truth.path}`);
    }
  }
  for (let j = 0; j < nlon; j++) {
    if (!(Math.abs(run.lon[j]! - truth.lon[j]!) < 1e-6)) {
      throw new ScoreInputError(`grid mismatch: longitude column ${j} is ${run.lon[j]} in run ${run.dir} but ${truth.lon[j]} in truth ${truth.path}`);
    }
  }
}

// ------------------------------------------------------------------------------------------------ options

export interface ScoreOptions {
  runDir: string;
  truth: string;
  /** Store holding a `climate` group (myriad world climate); default: the truth store's own, if any. */
  climate?: string;
  /** M-climate store (myriad mclimate) for EFI/SOT from the members. */
  mclimate?: string;
  /** Ensemble label (the `ensemble` column); default the run directory's name. */
  name?: string;
  /** Variables to score (default: the run's channels). */
  variables?: string[];
  /**
   * Largest member slab or band read at once, bytes (default `DEFAULT_BAND_BYTES`, 256 MiB): memory is bounded by this,
   * not by the member count. When all members of several leads of the whole field fit, they are read together (each
   * chunk of the store decompressed once); else row bands of one lead.
   */
  bandBytes?: number;
  /** Use the run's streaming statistics where possible (default true); false computes everything from members. */
  useStatistics?: boolean;
  /** Sub-ensemble sizes (HENS Part II); sizes >= M are dropped, and the whole ensemble is always added. Default 50, 100, 500, 1000. */
  subEnsembleSizes?: number[];
  /** Resamples per sub-ensemble size (default 20). */
  resamples?: number;
  /** Members whose spectra are averaged (default 20, the first ones). */
  spectrumMembers?: number;
  /** Rank-histogram bins (dividing M + 1); default all ranks up to 1,000 members, else the largest divisor <= 1,000. */
  rankBins?: number;
  /** Seed of tie breaking and sub-ensemble draws (default 0). */
  seed?: number;
  /** Percentiles of the truth climate used as event thresholds (default 95, 99). */
  climatePercentiles?: number[];
  onProgress?: (message: string) => void;
}

export interface ScoreOutput {
  ensemble: string;
  records: ResultRecord[];
  spectra: SpectrumEntry[];
  maps: MapEntry[];
  notes: string[];
}

const REGION = 'global';

/** Default `bandBytes`: 256 MiB, i.e. all 8 leads of a 1,024-member 64×128 chunk read (and decompressed) once. */
export const DEFAULT_BAND_BYTES = 256 * 1024 * 1024;

// ------------------------------------------------------------------------------------------------ accumulators

interface LeadAccumulator {
  mse: number[];
  variance: number[];
  debiased: number[];
  outlierStreamed: number[];
  crps: number[];
  fairCrps: number[];
  energy: number[];
  controlMse: number[];
  bestMse: number[];
  rankCounts?: Float64Array;
  events: Map<string, ProbabilityHistogram>;
  sigma?: BeyondTruthHistogram;
  sub: SubEnsembleSizeResult[][];
  efiMean: number[];
  /** max(EFI, 0), the truth's exceedance of its 95th percentile and the point weight, pooled over inits (EFI ROC). */
  efiRoc: { efi: number[]; event: number[]; weight: number[] };
  /** Anomaly products of the ensemble mean against the truth's calendar-month mean, per init (ACC). */
  anomalies: AnomalyProducts[];
  spectra: Map<string, { sum: Float64Array; n: number; x: number[]; xLabel: string }>;
  /** Per event key: latitude-weighted sums of log score, twCRPS and owCRPS from the members (`addWeightedEventBand`). */
  weightedEvents: Map<string, WeightedEventSums>;
}

export type { WeightedEventSums } from '../scores/pass.ts';

/**
 * Adds one band of members (block [M, S], member-major, as read from the store) to the per-threshold sums of
 * `addWeightedEventPoint` (src/scores/pass.ts: log score with probabilities clipped to [1/(2M), 1 − 1/(2M)], twCRPS
 * with chaining max(z, threshold), owCRPS with weight 1{z >= threshold}, undefined where the truth is at or above the
 * threshold but no member is). `thresholds` is [T, S] (threshold per event and point), `pointWeights` [S] (latitude
 * weights). `myriad score` gets the same sums from its member pass (`FieldPass` option `weightedEventThresholds`).
 */
export function addWeightedEventBand(
  sums: WeightedEventSums[], block: ArrayLike<number>, members: number, truth: ArrayLike<number>, thresholds: ArrayLike<number>, pointWeights: ArrayLike<number>,
): void {
  const M = members;
  const S = truth.length;
  const T = sums.length;
  if (block.length !== M * S) throw new Error(`member band has ${block.length} values, expected ${M} members × ${S} points`);
  if (thresholds.length !== T * S) throw new Error(`event thresholds have ${thresholds.length} values, expected ${T} events × ${S} points`);
  const values = new Float64Array(M);
  const sorter = new MemberSorter(M);
  for (let k = 0; k < S; k++) {
    for (let m = 0; m < M; m++) values[m] = block[m * S + k]!;
    const sorted = sorter.sort(values);
    for (let t = 0; t < T; t++) addWeightedEventPoint(sums[t]!, sorted, truth[k]!, thresholds[t * S + k]!, pointWeights[k]!);
  }
}

/** The smallest sub-ensemble size whose coverage (range contains the truth) is >= `level`; NaN if none. */
export function smallestCoveringSize(results: readonly { size: number; coverage: number }[], level = 0.95): number {
  let best = Number.NaN;
  for (const r of results) if (r.coverage >= level && !(r.size >= best)) best = r.size;
  return best;
}

function newLead(): LeadAccumulator {
  return { mse: [], variance: [], debiased: [], outlierStreamed: [], crps: [], fairCrps: [], energy: [], controlMse: [], bestMse: [], events: new Map(), sub: [], efiMean: [], efiRoc: { efi: [], event: [], weight: [] }, anomalies: [], spectra: new Map(), weightedEvents: new Map() };
}

function avg(a: number[]): number {
  if (a.length === 0) return Number.NaN;
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

function areaMeanOf(values: ArrayLike<number>, weights: Float64Array, nlon: number): number {
  let num = 0;
  let den = 0;
  for (let p = 0; p < values.length; p++) {
    const w = weights[Math.floor(p / nlon)]!;
    num += w * values[p]!;
    den += w;
  }
  return num / den;
}

function addSpectrum(acc: LeadAccumulator, kind: string, x: number[], values: Float64Array, xLabel: string): void {
  const key = `${xLabel}\u0001${kind}`;
  let s = acc.spectra.get(key);
  if (!s) {
    s = { sum: new Float64Array(values.length), n: 0, x, xLabel };
    acc.spectra.set(key, s);
  }
  for (let i = 0; i < values.length; i++) s.sum[i] += values[i]!;
  s.n++;
}

/** Zonal power per wavenumber averaged over latitude rows with area weights: mean_rows(S[k]/C) (field units²). */
function zonalPower(field: ArrayLike<number>, grid: { nlat: number; nlon: number }, lat: Float64Array, weights: Float64Array): Float64Array {
  const spec = zonalEnergySpectrum(field, grid, lat);
  const K = Math.floor(grid.nlon / 2) + 1;
  const out = new Float64Array(K);
  let wsum = 0;
  for (let i = 0; i < grid.nlat; i++) {
    const c = 2 * Math.PI * 6_367_500 * Math.cos((lat[i]! * Math.PI) / 180);
    if (!(c > 0)) continue;
    const w = weights[i]!;
    wsum += w;
    for (let k = 0; k < K; k++) out[k] += (w * spec[i * K + k]!) / c;
  }
  for (let k = 0; k < K; k++) out[k] /= wsum;
  return out;
}

// ------------------------------------------------------------------------------------------------ scoring

/** Scores one run against the truth; returns tidy records and bundle arrays (nothing is written). */
export async function scoreRun(options: ScoreOptions): Promise<ScoreOutput> {
  const run = await openRunStore(resolve(options.runDir));
  const truth = await openTruthStore(resolve(options.truth));
  checkGrids(run, truth);
  const name = options.name ?? basename(resolve(options.runDir));
  const log = options.onProgress ?? (() => {});
  const { nlat, nlon } = run.grid;
  const P = nlat * nlon;
  const M = run.members;
  const weights = latitudeWeights(run.lat);
  const useStats = (options.useStatistics ?? true) && run.statistics;
  const notes: string[] = [];
  if (!run.membersStored && !run.statistics) throw new ScoreInputError(`run ${run.dir}: neither members nor statistics are stored; nothing to score`);
  if (!useStats && !run.membersStored) throw new ScoreInputError(`run ${run.dir}: members are not stored, so the scores need the run's statistics (do not pass --no-statistics)`);
  if (!run.membersStored) notes.push(`${name}: members not stored; CRPS, ranks, spectra of members and HENS Part II diagnostics need them`);
  const variables = options.variables ?? run.channels;
  for (const v of variables) {
    if (!run.channels.includes(v)) throw new ScoreInputError(`variable '${v}' is not in run ${run.dir} (channels: ${run.channels.join(', ')})`);
  }
  const truthArrays = new Map<string, ZarrArray>();
  for (const v of variables) {
    try {
      const arr = await openZarrArray(truth.root, v);
      if (arr.shape.length !== 3 || arr.shape[0] !== truth.time.length || arr.shape[1] !== nlat || arr.shape[2] !== nlon) {
        throw new ScoreInputError(`truth ${truth.path}: variable '${v}' has shape [${arr.shape.join(', ')}], expected [time=${truth.time.length}, ${nlat}, ${nlon}]`);
      }
      truthArrays.set(v, arr);
    } catch (e) {
      if (e instanceof ScoreInputError) throw e;
      throw new ScoreInputError(`truth ${truth.path}: has no variable '${v}' (the run's channel); score only channels the truth holds with --variables`);
    }
  }
  // time mapping: every (init, lead) must exist in the truth
  const truthIndex: number[][] = run.initHours.map((t0) =>
    run.leads.map((lead) => {
      const valid = t0 + lead;
      const h = axisHours(truth.axis, valid);
      const i = truth.index.get(h);
      if (i === undefined) {
        const first = truth.time[0]!;
        const last = truth.time[truth.time.length - 1]!;
        throw new ScoreInputError(
          `truth ${truth.path} has no time for valid time ${isoHour(calendarFields(valid))} (init ${isoHour(calendarFields(t0))} + ${lead} h): ` +
            `truth times run from ${first} to ${last} hours since ${isoHour(truth.axis.ref)} (${truth.axis.calendar})`,
        );
      }
      return i;
    }),
  );
  const monthOf = (valid: number) => calendarFields(valid).month - 1;
  // climate percentiles of the truth (events) per calendar month
  const climPercs = options.climatePercentiles ?? [95, 99];
  let climGroup: ZarrGroup | undefined;
  {
    const path = options.climate ? resolve(options.climate) : truth.path;
    try {
      const root = path === truth.path ? truth.root : await openZarrStore(path);
      climGroup = await openZarrGroup(root, 'climate');
    } catch {
      if (options.climate) throw new ScoreInputError(`climate ${options.climate}: no 'climate' group (write one with myriad world climate)`);
      notes.push(`${name}: the truth has no climate group; events against its calendar-month percentiles are skipped`);
    }
  }
  const climCache = new Map<string, Float32Array>();
  const climThreshold = async (v: string, perc: number, month: number): Promise<Float32Array> => {
    const key = `${v}:${perc}:${month}`;
    const hit = climCache.get(key);
    if (hit) return hit;
    let arr: ZarrArray;
    try {
      arr = await openZarrArray(climGroup!, `${v}_p${perc}`);
    } catch {
      throw new ScoreInputError(`climate: no array '${v}_p${perc}' in the climate group`);
    }
    const data = (await readZarrRegion(arr, [month, 0, 0], [1, nlat, nlon])).data as Float32Array;
    for (let p = 0; p < P; p++) {
      if (Number.isNaN(data[p]!)) throw new ScoreInputError(`climate: ${v}_p${perc} is NaN for calendar month ${month + 1} (the truth has no data for that month)`);
    }
    climCache.set(key, data);
    return data;
  };
  /** The truth's calendar-month mean (climate group `<v>_mean`), if the group has one. */
  const climMean = async (v: string, month: number): Promise<Float32Array | undefined> => {
    const key = `${v}:mean:${month}`;
    if (!climCache.has(key)) {
      let arr: ZarrArray;
      try {
        arr = await openZarrArray(climGroup!, `${v}_mean`);
      } catch {
        return undefined;
      }
      const data = (await readZarrRegion(arr, [month, 0, 0], [1, nlat, nlon])).data as Float32Array;
      if (data.some(Number.isNaN)) throw new ScoreInputError(`climate: ${v}_mean is NaN for calendar month ${month + 1} (the truth has no data for that month)`);
      climCache.set(key, data);
    }
    return climCache.get(key);
  };
  // M-climate store
  let mclim: { root: ZarrGroup; byMonth: boolean; leads: Float64Array } | undefined;
  if (options.mclimate) {
    const path = resolve(options.mclimate);
    if (!existsSync(join(path, 'zarr.json'))) throw new ScoreInputError(`mclimate ${path}: not a Zarr store`);
    const root = await openZarrStore(path);
    if (root.attrs.myriad_format !== 'myriad-mclimate') throw new ScoreInputError(`mclimate ${path}: not a myriad M-climate store (myriad_format ${JSON.stringify(root.attrs.myriad_format)})`);
    const byMonth = root.attrs.by === 'month';
    mclim = { root, byMonth, leads: byMonth ? new Float64Array(0) : await readCoord(root, 'lead', `mclimate ${path}`) };
    const mlat = await readCoord(root, 'lat', `mclimate ${path}`);
    if (mlat.length !== nlat || mlat.some((x, i) => Math.abs(x - run.lat[i]!) > 1e-6)) throw new ScoreInputError(`grid mismatch: mclimate ${path} latitudes differ from run ${run.dir}`);
  }
  const mclimField = async (v: string, lead: number, valid: number): Promise<Float64Array> => {
    const li = mclim!.byMonth ? monthOf(valid) : Array.from(mclim!.leads).indexOf(lead);
    if (li < 0) throw new ScoreInputError(`mclimate: no lead ${lead} h (leads: ${Array.from(mclim!.leads).join(', ')})`);
    let arr: ZarrArray;
    try {
      arr = await openZarrArray(mclim!.root, `${v}_climate`);
    } catch {
      throw new ScoreInputError(`mclimate: no array '${v}_climate'`);
    }
    const q = Float64Array.from((await readZarrRegion(arr, [li, 0, 0, 0], [1, CLIMATE_PERCENTILES, nlat, nlon])).data as Float64Array);
    if (q.some(Number.isNaN)) throw new ScoreInputError(`mclimate: ${v}_climate has no values for ${mclim!.byMonth ? `calendar month ${li + 1} (no hindcasts valid in that month)` : `lead ${lead} h`}`);
    return q;
  };

  const runClimateCache = new Map<string, Float64Array | undefined>();
  const runClimate = async (v: string): Promise<Float64Array | undefined> => {
    if (!runClimateCache.has(v)) {
      let q: Float64Array | undefined;
      try {
        q = Float64Array.from((await readZarrArray(await openZarrArray(run.root, `${v}_climate`))).data as Float64Array);
      } catch {
        q = undefined;
      }
      if (q && q.some(Number.isNaN)) throw new ScoreInputError(`run ${run.dir}: its M-climate ${v}_climate holds NaN`);
      runClimateCache.set(v, q);
    }
    return runClimateCache.get(v);
  };
  // sub-ensemble draws (the same members at every point, init and lead)
  let draws: SubEnsembleDraws[] = [];
  if (run.membersStored && M >= 2) {
    const sizes = (options.subEnsembleSizes ?? [50, 100, 500, 1000]).filter((s) => s < M);
    const key = streamKey(options.seed ?? 0, 0x5355_4245); // "SUBE"
    let offset = 0;
    const uni = () => {
      const b = new Float64Array(1);
      uniformFill(b, key, [1, 0], offset++);
      return b[0]!;
    };
    draws = [...drawSubEnsembles(M, sizes, options.resamples ?? 20, uni), ...drawSubEnsembles(M, [M], 1, uni)];
  }
  let sht: SphericalHarmonicTransform | undefined;
  const shtOf = () => (sht ??= createSht(run.grid));
  const bandBytes = options.bandBytes ?? DEFAULT_BAND_BYTES;
  const K = Math.min(options.spectrumMembers ?? 20, M);

  const records: ResultRecord[] = [];
  const spectra: SpectrumEntry[] = [];
  const maps: MapEntry[] = [];
  for (const [vi, v] of variables.entries()) {
    const leadsAcc = run.leads.map(() => newLead());
    const thresholds = run.thresholds.get(v) ?? [];
    const memberArr = run.membersStored ? await openZarrArray(run.root, v) : undefined;
    // Member slabs: all members of consecutive leads (within one chunk's lead extent) for the whole field, read at once
    // when they fit in `bandBytes`, so that each chunk of the store is decompressed once; otherwise row bands of one
    // lead are read (each read then decompresses the chunks it touches again).
    const chunkLeads = memberArr ? memberArr.chunks[1]! : 1;
    const slabLeads = memberArr ? Math.min(chunkLeads, Math.floor(bandBytes / (4 * M * P))) : 0;
    for (const [ii] of run.initHours.entries()) {
      let slabCache: { l0: number; n: number; data: Float32Array } | undefined;
      const slabOf = async (li: number): Promise<Float32Array | undefined> => {
        if (!memberArr || slabLeads < 1) return undefined;
        if (!slabCache || li < slabCache.l0 || li >= slabCache.l0 + slabCache.n) {
          slabCache = undefined; // let the previous slab go before reading the next
          const n = Math.min(slabLeads, chunkLeads - (li % chunkLeads), run.leads.length - li);
          const data = (await readZarrRegion(memberArr, [ii, li, 0, 0, 0], [1, n, M, nlat, nlon])).data as Float32Array;
          slabCache = { l0: li, n, data };
        }
        const k = li - slabCache.l0;
        return slabCache.data.subarray(k * M * P, (k + 1) * M * P);
      };
      // statistics of this init, all leads
      let stats: { mean: Float64Array; variance: Float64Array; min: Float32Array; max: Float32Array; exceed?: Int32Array } | undefined;
      if (useStats) {
        const nl = run.leads.length;
        const read = async (suffix: string, shape: number[]) => (await readZarrRegion(await openZarrArray(run.root, `${v}_${suffix}`), [ii, 0, 0, 0, 0].slice(0, shape.length), shape)).data;
        stats = {
          mean: (await read('mean', [1, nl, nlat, nlon])) as Float64Array,
          variance: (await read('variance', [1, nl, nlat, nlon])) as Float64Array,
          min: (await read('min', [1, nl, nlat, nlon])) as Float32Array,
          max: (await read('max', [1, nl, nlat, nlon])) as Float32Array,
          exceed: thresholds.length ? ((await read('exceedance', [1, nl, thresholds.length, nlat, nlon])) as Int32Array) : undefined,
        };
        for (let i = 0; i < stats.mean.length; i++) {
          if (Number.isNaN(stats.mean[i]!)) {
            throw new ScoreInputError(`run ${run.dir}: statistics ${v}_mean of init ${isoHour(calendarFields(run.initHours[ii]!))} are NaN at lead ${run.leads[Math.floor(i / P)]} h (the init's statistics are not written; is the run complete?)`);
          }
        }
      }
      for (const [li, lead] of run.leads.entries()) {
        const acc = leadsAcc[li]!;
        const valid = run.initHours[ii]! + lead;
        const where = `${v} at ${isoHour(calendarFields(valid))} (init ${isoHour(calendarFields(run.initHours[ii]!))}, lead ${lead} h)`;
        const y = (await readZarrRegion(truthArrays.get(v)!, [truthIndex[ii]![li]!, 0, 0], [1, nlat, nlon])).data as Float32Array;
        for (let p = 0; p < P; p++) {
          if (Number.isNaN(y[p]!)) throw new ScoreInputError(`truth ${truth.path}: ${v} is NaN at ${isoHour(calendarFields(valid))} (row ${Math.floor(p / nlon)}, column ${p % nlon}); the truth store has unwritten or bad data there`);
        }
        let meanField: Float64Array | undefined;
        if (stats) {
          const o = li * P;
          const se = new Float64Array(P);
          const va = new Float64Array(P);
          const de = new Float64Array(P);
          const out = new Float64Array(P);
          for (let p = 0; p < P; p++) {
            const d = y[p]! - stats.mean[o + p]!;
            se[p] = d * d;
            va[p] = stats.variance[o + p]!;
            de[p] = M > 1 ? se[p]! - va[p]! / M : Number.NaN;
            out[p] = y[p]! < stats.min[o + p]! || y[p]! > stats.max[o + p]! ? 1 : 0;
          }
          acc.mse.push(areaMeanOf(se, weights, nlon));
          acc.variance.push(areaMeanOf(va, weights, nlon));
          acc.debiased.push(areaMeanOf(de, weights, nlon));
          acc.outlierStreamed.push(areaMeanOf(out, weights, nlon));
          meanField = stats.mean.subarray(o, o + P);
          thresholds.forEach((thr, t) => {
            const key = `> ${thr}`;
            let h = acc.events.get(key);
            if (!h) acc.events.set(key, (h = new ProbabilityHistogram(M)));
            const base = (li * thresholds.length + t) * P;
            for (let p = 0; p < P; p++) h.add(stats!.exceed![base + p]!, y[p]! > thr ? 1 : 0, weights[Math.floor(p / nlon)]!);
          });
          if (run.climateChannels.has(v)) {
            const counts = (await readZarrRegion(await openZarrArray(run.root, `${v}_climate_count`), [ii, li, 0, 0, 0], [1, 1, CLIMATE_PERCENTILES, nlat, nlon])).data as Int32Array;
            if (!mclim && !memberArr) {
              const efi = efiFromCounts(counts, CLIMATE_PERCENTILES, M, P);
              acc.efiMean.push(areaMeanOf(efi, weights, nlon));
              if (ii === 0) maps.push(mapEntry('efi', v, lead, name, run, efi, 'EFI from the run\'s M-climate counts (first init)'));
            }
            // events "x > q_k of the run's M-climate" from the counts of members <= q_k
            const q = (await runClimate(v))!;
            for (const k of climPercs) {
              const key = `M-climate p${k}`;
              let h = acc.events.get(key);
              if (!h) acc.events.set(key, (h = new ProbabilityHistogram(M)));
              for (let p = 0; p < P; p++) h.add(M - counts[k * P + p]!, y[p]! > q[k * P + p]! ? 1 : 0, weights[Math.floor(p / nlon)]!);
            }
          }
        }
        // member pass
        if (memberArr) {
          const climThr: ArrayLike<number>[] = climGroup ? await Promise.all(climPercs.map((q) => climThreshold(v, q, monthOf(valid)))) : [];
          const eventKeys = climThr.map((_, t) => `p${climPercs[t]}`);
          if (!stats) {
            // the run's scalar thresholds, from the members when the statistics are not used
            for (const thr of thresholds) {
              climThr.push(new Float64Array(P).fill(thr));
              eventKeys.push(`> ${thr}`);
            }
            const q = await runClimate(v);
            if (q) {
              for (const k of climPercs) {
                climThr.push(q.subarray(k * P, (k + 1) * P));
                eventKeys.push(`M-climate p${k}`);
              }
            }
          }
          // EFI/SOT from the members: against the M-climate store, else against the run's own M-climate (the same EFI
          // as from its climate counts, plus SOT)
          const mcl = mclim ? await mclimField(v, lead, valid) : await runClimate(v);
          // events of the member-based log score and weighted CRPS: those of the pass, plus (with statistics, whose
          // counts give the Brier score of these) the run's scalar thresholds and M-climate percentiles
          const wThr = [...climThr];
          const wKeys = [...eventKeys];
          if (stats) {
            for (const thr of thresholds) {
              wThr.push(new Float64Array(P).fill(thr));
              wKeys.push(`> ${thr}`);
            }
            const q = run.climateChannels.has(v) ? await runClimate(v) : undefined;
            if (q) {
              for (const k of climPercs) {
                wThr.push(q.subarray(k * P, (k + 1) * P));
                wKeys.push(`M-climate p${k}`);
              }
            }
          }
          const tieKey = streamKey(options.seed ?? 0, vi, ii, li);
          const tieBuf = new Float64Array(1);
          const pass = new FieldPass({
            grid: run.grid, latWeights: weights, members: M, control: run.control ? 0 : undefined, eventThresholds: climThr.length,
            climate: !!mcl, keepFields: true, subEnsembles: draws, sigmaEdges: DEFAULT_SIGMA_EDGES, weightedEventThresholds: wThr.length,
            tieBreak: (g) => {
              uniformFill(tieBuf, tieKey, [0, 0], g);
              return tieBuf[0]!;
            },
          });
          const slab = await slabOf(li);
          const [, , , tileLat, tileLon] = memberArr.chunks as [number, number, number, number, number];
          for (let r0 = 0; r0 < nlat; r0 += slab ? nlat : tileLat) {
            for (let c0 = 0; c0 < nlon; c0 += slab ? nlon : tileLon) {
              const cols = slab ? nlon : Math.min(tileLon, nlon - c0);
              const tileRows = slab ? nlat : Math.min(tileLat, nlat - r0);
              const rowsPerBand = slab ? nlat : Math.max(1, Math.min(tileRows, Math.floor(bandBytes / (4 * M * cols))));
              for (let b0 = r0; b0 < r0 + tileRows; b0 += rowsPerBand) {
                const rows = Math.min(rowsPerBand, r0 + tileRows - b0);
                const S = rows * cols;
                // the whole field from the slab (all members of this lead), else a band read from the store
                const block = slab ?? ((await readZarrRegion(memberArr, [ii, li, 0, b0, c0], [1, 1, M, rows, cols])).data as Float32Array);
                const idx = new Int32Array(S);
                const yb = new Float64Array(S);
                const tb = new Float64Array(climThr.length * S);
                const cb = mcl ? new Float64Array(CLIMATE_PERCENTILES * S) : undefined;
                const wtb = new Float64Array(wThr.length * S);
                for (let r = 0; r < rows; r++) {
                  for (let c = 0; c < cols; c++) {
                    const k = r * cols + c;
                    const g = (b0 + r) * nlon + c0 + c;
                    idx[k] = g;
                    yb[k] = y[g]!;
                    climThr.forEach((f, t) => (tb[t * S + k] = f[g]!));
                    wThr.forEach((f, t) => (wtb[t * S + k] = f[g]!));
                    if (cb) for (let j = 0; j < CLIMATE_PERCENTILES; j++) cb[j * S + k] = mcl![j * P + g]!;
                  }
                }
                try {
                  pass.addBand(block, idx, yb, tb, cb, wtb);
                } catch (e) {
                  throw new ScoreInputError(`run ${run.dir}: ${v} at ${where}: ${(e as Error).message}${/NaN/.test((e as Error).message) ? ' (members not written: is the run complete?)' : ''}`);
                }
              }
            }
          }
          const wSums = pass.weightedEvents;
          const res = pass.result();
          if (!stats) {
            acc.mse.push(res.ensembleMeanMse);
            acc.variance.push(res.ensembleVariance);
            acc.debiased.push(res.debiasedEnsembleMeanMse);
            meanField = pass.meanField;
          }
          acc.crps.push(res.crpsStandard);
          acc.fairCrps.push(res.crpsFair);
          acc.energy.push(res.energyScore);
          if (run.control) acc.controlMse.push(res.controlRmse ** 2);
          acc.bestMse.push(res.bestMemberRmse ** 2);
          if (!acc.rankCounts) acc.rankCounts = new Float64Array(M + 1);
          for (let i = 0; i <= M; i++) acc.rankCounts[i] += res.rankCounts[i]!;
          eventKeys.forEach((key, t) => {
            const h = acc.events.get(key);
            if (h) h.merge(pass.events[t]!);
            else acc.events.set(key, pass.events[t]!);
          });
          wKeys.forEach((key, t) => {
            const s = wSums[t]!;
            const a = acc.weightedEvents.get(key);
            if (!a) acc.weightedEvents.set(key, s);
            else for (const f of ['logNum', 'twNum', 'owNum', 'owWeight', 'weight'] as const) a[f] += s[f];
          });
          if (acc.sigma) acc.sigma.merge(pass.sigma);
          else acc.sigma = pass.sigma;
          if (pass.subEnsembles) acc.sub.push(pass.subEnsembles.results());
          if (mcl) {
            acc.efiMean.push(pass.meanEfi());
            const p95 = climPercs.indexOf(95);
            if (p95 >= 0 && p95 < climThr.length) {
              for (let p = 0; p < P; p++) {
                acc.efiRoc.efi.push(Math.max(pass.efiField![p]!, 0));
                acc.efiRoc.event.push(y[p]! > climThr[p95]![p]! ? 1 : 0);
                acc.efiRoc.weight.push(weights[Math.floor(p / nlon)]!);
              }
            }
            if (ii === 0) {
              maps.push(mapEntry('efi', v, lead, name, run, pass.efiField!, `EFI against ${mclim ? 'the M-climate store' : "the run's M-climate"} (first init)`));
              maps.push(mapEntry('sot', v, lead, name, run, pass.sotUpper!, 'SOT, upper tail (90th vs M-climate 90th/99th; first init)'));
            }
          }
          // spectra of the first K members
          const members = slab ? slab.subarray(0, K * P) : ((await readZarrRegion(memberArr, [ii, li, 0, 0, 0], [1, 1, K, nlat, nlon])).data as Float32Array);
          const pl = angularPowerSpectrum(shtOf().forward({ data: Float64Array.from(members), shape: [K, nlat, nlon] })).data;
          const L = pl.length / K;
          const mean = new Float64Array(L);
          for (let k = 0; k < K; k++) for (let l = 0; l < L; l++) mean[l] += pl[k * L + l]! / K;
          const degrees = Array.from({ length: L }, (_, l) => l);
          addSpectrum(acc, 'members', degrees, mean, 'total wavenumber l');
          const zm = new Float64Array(Math.floor(nlon / 2) + 1);
          for (let k = 0; k < K; k++) {
            const z = zonalPower(members.subarray(k * P, (k + 1) * P), run.grid, run.lat, weights);
            for (let i = 0; i < z.length; i++) zm[i] += z[i]! / K;
          }
          addSpectrum(acc, 'members', Array.from({ length: zm.length }, (_, i) => i), zm, 'zonal wavenumber k');
        }
        if (meanField && climGroup) {
          const c = await climMean(v, monthOf(valid));
          if (c) acc.anomalies.push(anomalyProducts(meanField, y, c, run.grid, weights));
        }
        if (meanField) {
          const L = shtOf().lmax;
          addSpectrum(acc, 'ensemble_mean', Array.from({ length: L }, (_, l) => l), angularPowerSpectrum(shtOf().forward({ data: Float64Array.from(meanField), shape: [nlat, nlon] })).data, 'total wavenumber l');
          const z = zonalPower(meanField, run.grid, run.lat, weights);
          addSpectrum(acc, 'ensemble_mean', Array.from({ length: z.length }, (_, i) => i), z, 'zonal wavenumber k');
          addSpectrum(acc, 'truth', Array.from({ length: L }, (_, l) => l), angularPowerSpectrum(shtOf().forward({ data: Float64Array.from(y), shape: [nlat, nlon] })).data, 'total wavenumber l');
          const zt = zonalPower(y, run.grid, run.lat, weights);
          addSpectrum(acc, 'truth', Array.from({ length: zt.length }, (_, i) => i), zt, 'zonal wavenumber k');
        }
      }
      log(`${name}: ${v} init ${ii + 1}/${run.initHours.length} scored`);
    }
    // records
    for (const [li, lead] of run.leads.entries()) {
      const acc = leadsAcc[li]!;
      const keys: RecordKeys = { variable: v, lead_hours: lead, region: REGION, ensemble: name };
      const rec = (metric: string, value: number, extra: Record<string, string | number> = {}) => records.push({ ...keys, ...extra, metric, value });
      const mse = avg(acc.mse);
      const variance = avg(acc.variance);
      rec('rmse', Math.sqrt(mse));
      rec('spread', Math.sqrt(variance));
      rec('debiased_mse', avg(acc.debiased));
      if (acc.anomalies.length) rec('acc', anomalyCorrelationOverTimes(acc.anomalies).wb2);
      const ssr = spreadSkillRatios(variance, mse, M);
      rec('ssr', ssr.plain);
      rec('ssr_fortin', ssr.fortin);
      rec('ssr_unbiased', ssr.unbiased);
      if (acc.crps.length) {
        rec('crps', avg(acc.crps));
        rec('fair_crps', avg(acc.fairCrps));
        rec('energy_score', avg(acc.energy));
        if (acc.controlMse.length) rec('control_rmse', Math.sqrt(avg(acc.controlMse)));
        rec('most_accurate_member_rmse', Math.sqrt(avg(acc.bestMse)));
      }
      if (acc.rankCounts) {
        const n = acc.rankCounts.reduce((a, b) => a + b, 0);
        rec('outlier_fraction', (acc.rankCounts[0]! + acc.rankCounts[M]!) / n);
        const bins = rankBinsFor(M, options.rankBins);
        if (bins === M + 1) records.push(...rankHistogramRecords(acc.rankCounts, keys));
        else {
          const width = (M + 1) / bins;
          const coarse = new Float64Array(bins);
          for (let k = 0; k <= M; k++) coarse[Math.floor(k / width)] += acc.rankCounts[k]!;
          records.push(...rankHistogramRecords(coarse, { ...keys, bin_width: width }));
        }
      } else if (acc.outlierStreamed.length) {
        rec('outlier_fraction', avg(acc.outlierStreamed));
      }
      rec('expected_outlier_fraction', 2 / (M + 1));
      if (acc.efiMean.length) rec('efi_mean', avg(acc.efiMean));
      for (const [threshold, h] of [...acc.events.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const tk = { ...keys, threshold };
        const d = h.decomposition();
        rec('brier_score', h.brier(), { threshold });
        rec('fair_brier_score', h.fairBrier(), { threshold });
        rec('brier_reliability', d.reliability, { threshold });
        rec('brier_resolution', d.resolution, { threshold });
        rec('brier_uncertainty', d.uncertainty, { threshold });
        rec('brier_skill_score', d.skillScore, { threshold });
        rec('base_rate', h.baseRate(), { threshold });
        const ws = acc.weightedEvents.get(threshold);
        if (ws) {
          rec('log_score', ws.logNum / ws.weight, { threshold });
          rec('tw_crps', ws.twNum / ws.weight, { threshold });
          rec('ow_crps', ws.owWeight > 0 ? ws.owNum / ws.owWeight : Number.NaN, { threshold });
        }
        records.push(...reliabilityRecords(h.reliability(), tk));
        records.push(...rocRecords(h.roc(), tk));
      }
      if (acc.efiRoc.efi.length) {
        // EFI discrimination (HENS Part I): ROC of max(EFI, 0) at decision thresholds 0, 0.1, …, 1 against the truth > p95
        const curve = rocCurve(acc.efiRoc.efi, acc.efiRoc.event, Array.from({ length: 11 }, (_, k) => k / 10), acc.efiRoc.weight);
        records.push(...rocRecords(curve, { ...keys, threshold: 'EFI vs p95' }));
      }
      if (acc.sigma) records.push(...sigmaBinRecords(acc.sigma.bins(), keys));
      if (acc.sub.length) {
        const sub = averageSubResults(acc.sub);
        records.push(...subEnsembleRecords(sub, keys));
        rec('smallest_size_95', smallestCoveringSize(sub, 0.95));
      }
      for (const [key, s] of acc.spectra) {
        const kind = key.split('\u0001')[1]!;
        spectra.push({
          variable: v, lead_hours: lead, ensemble: name, kind, region: s.xLabel.startsWith('zonal') ? 'zonal' : REGION, x_label: s.xLabel,
          wavenumber: s.x.slice(1), power: Array.from(s.sum.subarray(1), (x) => x / s.n),
        });
      }
    }
  }
  return { ensemble: name, records, spectra, maps, notes };
}

/**
 * Rank-histogram bins: `requested` (must divide M + 1), else all M + 1 ranks up to 1,000 members, else the largest
 * divisor of M + 1 not above 1,000 (each bin then covers (M + 1)/bins consecutive ranks, WB2 `num_bins`).
 */
export function rankBinsFor(members: number, requested?: number): number {
  if (requested !== undefined) {
    if (!(Number.isInteger(requested) && requested >= 1 && (members + 1) % requested === 0)) {
      throw new ScoreInputError(`rank bins: ${requested} does not divide the ${members + 1} ranks of a ${members}-member ensemble`);
    }
    return requested;
  }
  if (members + 1 <= 1001) return members + 1;
  for (let b = 1000; b >= 1; b--) if ((members + 1) % b === 0) return b;
  return 1;
}

function mapEntry(kind: string, variable: string, lead: number, ensemble: string, run: RunStore, values: ArrayLike<number>, title: string): MapEntry {
  return {
    name: kind, variable, lead_hours: lead, ensemble, lat: Array.from(run.lat), lon: Array.from(run.lon), values: Array.from(values),
    title: `${title}: ${variable}, ${ensemble}, lead ${lead} h`,
    ...(kind === 'sot' ? { min: -10, max: 10, color_map: 'diverging' as const } : {}),
  };
}

/** Mean over inits of per-size sub-ensemble results. */
function averageSubResults(perInit: SubEnsembleSizeResult[][]): SubEnsembleSizeResult[] {
  return perInit[0]!.map((first, s) => {
    const all = perInit.map((r) => r[s]!);
    const m = (f: (r: SubEnsembleSizeResult) => number) => avg(all.map(f));
    return {
      size: first.size,
      resamples: first.resamples,
      bestMemberRmse: first.bestMemberRmse,
      bestMemberRmseMean: m((r) => r.bestMemberRmseMean),
      bestMemberRmseInterval: [m((r) => r.bestMemberRmseInterval[0]), m((r) => r.bestMemberRmseInterval[1])] as [number, number],
      meanRangeWidth: m((r) => r.meanRangeWidth),
      meanIntervalWidth: m((r) => r.meanIntervalWidth),
      coverage: m((r) => r.coverage),
      expectedCoverage: first.expectedCoverage,
    };
  });
}

// ------------------------------------------------------------------------------------------------ writing

/**
 * Writes (or merges into) `outDir`: results.json, results.csv and report-bundle.json. Records, spectra and maps of
 * other ensembles already there are kept; those of `output.ensemble` are replaced, so several runs combine into one
 * results file told apart by the `ensemble` column.
 */
export function writeScoreOutput(outDir: string, output: ScoreOutput): { records: number; ensembles: string[] } {
  mkdirSync(outDir, { recursive: true });
  const jsonPath = join(outDir, RESULTS_JSON);
  const bundlePath = join(outDir, BUNDLE_FILE);
  const others = existsSync(jsonPath) ? readResults(jsonPath).filter((r) => r.ensemble !== output.ensemble) : [];
  const records = [...others, ...output.records];
  let spectra: SpectrumEntry[] = output.spectra;
  let maps: MapEntry[] = output.maps;
  let notes = output.notes;
  if (existsSync(bundlePath)) {
    const old = parseReportBundle(JSON.parse(readFileSync(bundlePath, 'utf8')), bundlePath);
    spectra = [...(old.spectra ?? []).filter((s) => s.ensemble !== output.ensemble), ...spectra];
    maps = [...(old.maps ?? []).filter((m) => m.ensemble !== output.ensemble), ...maps];
    notes = [...(old.notes ?? []).filter((n) => !n.startsWith(`${output.ensemble}: `)), ...notes];
  }
  writeResults(jsonPath, records);
  writeResults(join(outDir, RESULTS_CSV), records);
  writeReportBundle(bundlePath, { title: 'myriad verification report', subtitle: 'ensembles scored against the truth by myriad score', notes, spectra, maps });
  return { records: records.length, ensembles: [...new Set(records.map((r) => r.ensemble))].sort() };
}
