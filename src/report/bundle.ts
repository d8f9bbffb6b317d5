// The report bundle: what `myriad report` reads — tidy results (results.json or results.csv) plus an optional
// report-bundle.json carrying arrays that do not fit the tidy table (spectra, maps); the metric vocabulary it plots.
//
// A results directory holds:
//   results.json  (or results.csv)  tidy records, see results.ts; JSON is preferred when both exist
//   report-bundle.json              optional, this shape (all fields optional except format and version):
//   {
//     "format": "myriad-report-bundle", "version": 1,
//     "title": "…", "subtitle": "…", "notes": ["…"],
//     "results": [ …tidy records, appended to those of results.json/csv… ],
//     "spectra": [ { "variable": "z500", "lead_hours": 120, "ensemble": "sfno", "kind": "members" | "ensemble_mean" | "truth",
//                    "wavenumber": [1, 2, …], "power": [… same length, null = missing …],
//                    "region"?: "global", "units"?: "m² s⁻²", "x_label"?: "total wavenumber l" } ],
//     "maps":    [ { "name": "efi" | "sot" | "satisfactory_size" | …, "variable": "t2m", "lead_hours": 120, "ensemble": "sfno",
//                    "lat": [… nlat, degrees …], "lon": [… nlon, degrees, increasing …],
//                    "values": [… nlat·nlon row-major, rows in the order of lat, null = missing …],
//                    "units"?: "…", "min"?: -1, "max"?: 1, "color_map"?: "diverging" | "sequential", "title"?: "…" } ]
//   }
//
// Metric vocabulary of the tidy records (what each report section looks for):
//   scores against lead   any metric whose records have no extra keys except `threshold` (rmse, spread, ssr,
//                         ssr_fortin, ssr_unbiased, crps, fair_crps, acc, energy_score, control_rmse,
//                         best_member_rmse, outlier_fraction, smallest_size_95, …); records with `threshold` (brier_score,
//                         roc_auc, log_score, tw_crps, …) are plotted in the extremes section
//   rank histograms       metric 'rank_histogram', extra `bin` (0…M); value = count or frequency
//   reliability           'reliability_forecast', 'reliability_observed', 'reliability_count'; extras `bin`, `threshold`;
//                         optional 'base_rate' with `threshold` (climatology line)
//   ROC                   'roc_false_alarm_rate', 'roc_hit_rate'; extras `point`, `threshold`; AUC from 'roc_auc' + `threshold`
//   σ-bins (HENS II)      'sigma_bin_cases', 'sigma_bin_members_beyond', 'sigma_bin_fraction_beyond'; extras `bin_lower`, `bin_upper`
//   ensemble size         any metric with extra `size` (e.g. best_member_rmse, interval_width, range_width, coverage);
//                         a metric X with X_lower / X_upper records at the same keys gets a shaded band
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ProbabilityBin, RocCurve } from '../scores/probability.ts';
import type { SigmaBin, SubEnsembleSizeResult } from '../scores/huge.ts';
import { ResultsFormatError, readResults, resultsFromJson, resultsToJson, writeFileAtomic, type ResultRecord } from './results.ts';

export const BUNDLE_FILE = 'report-bundle.json';
export const RESULTS_JSON = 'results.json';
export const RESULTS_CSV = 'results.csv';

const nullableNumbers = z.array(z.union([z.number(), z.null()]).transform((v) => (v === null ? NaN : v)));
const name = z.string().min(1, 'expected a non-empty string');
const lead = z.number().refine((x) => Number.isFinite(x) && x >= 0, 'expected a finite number of hours >= 0');

const spectrumSchema = z
  .object({
    variable: name,
    lead_hours: lead,
    ensemble: name,
    kind: name,
    wavenumber: z.array(z.number()).min(1, 'expected at least one wavenumber'),
    power: nullableNumbers,
    region: z.string().optional(),
    units: z.string().optional(),
    x_label: z.string().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.power.length !== s.wavenumber.length) {
      ctx.addIssue({ code: 'custom', path: ['power'], message: `expected ${s.wavenumber.length} values (one per wavenumber), got ${s.power.length}` });
    }
  });

const mapSchema = z
  .object({
    name,
    variable: name,
    lead_hours: lead,
    ensemble: name,
    lat: z.array(z.number().min(-90).max(90)).min(1),
    lon: z.array(z.number()).min(1),
    values: nullableNumbers,
    units: z.string().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    color_map: z.enum(['diverging', 'sequential']).optional(),
    title: z.string().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const n = m.lat.length * m.lon.length;
    if (m.values.length !== n) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `expected ${n} values (nlat × nlon = ${m.lat.length} × ${m.lon.length}), got ${m.values.length}` });
    }
    for (let i = 1; i < m.lon.length; i++) {
      if (!(m.lon[i]! > m.lon[i - 1]!)) {
        ctx.addIssue({ code: 'custom', path: ['lon', i], message: 'longitudes must increase' });
        break;
      }
    }
    if (m.min !== undefined && m.max !== undefined && !(m.max > m.min)) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `expected max > min (${m.min})` });
    }
  });

/** zod schema of report-bundle.json (results are validated separately, row by row). */
export const reportBundleSchema = z
  .object({
    format: z.literal('myriad-report-bundle'),
    version: z.literal(1),
    title: z.string().optional(),
    subtitle: z.string().optional(),
    notes: z.array(z.string()).optional(),
    results: z.array(z.unknown()).optional(),
    spectra: z.array(spectrumSchema).optional(),
    maps: z.array(mapSchema).optional(),
  })
  .strict();

export type SpectrumEntry = z.infer<typeof spectrumSchema>;
export type MapEntry = z.infer<typeof mapSchema>;

/** Everything the report renders. */
export interface ReportInput {
  title?: string;
  subtitle?: string;
  notes?: string[];
  results: ResultRecord[];
  spectra?: SpectrumEntry[];
  maps?: MapEntry[];
}

/** Validates a parsed report-bundle.json; errors name the field path, e.g. `maps[0].values`. */
export function parseReportBundle(data: unknown, source = BUNDLE_FILE): ReportInput {
  const parsed = reportBundleSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
    throw new ResultsFormatError(`${source}: ${path || '(top level)'}: ${issue.message}`);
  }
  const b = parsed.data;
  const results = b.results ? resultsFromJson(JSON.stringify(b.results), `${source} results`) : [];
  return { title: b.title, subtitle: b.subtitle, notes: b.notes, results, spectra: b.spectra, maps: b.maps };
}

/**
 * Reads a results directory (results.json or results.csv, optional report-bundle.json), or a single results file
 * (.json or .csv), or a single report-bundle.json file.
 */
export function loadReportInput(path: string): ReportInput {
  if (!existsSync(path)) throw new ResultsFormatError(`results: '${path}' does not exist`);
  if (!statSync(path).isDirectory()) {
    if (path.endsWith(BUNDLE_FILE)) return parseBundleFile(path);
    return { results: readResults(path) };
  }
  const jsonPath = join(path, RESULTS_JSON);
  const csvPath = join(path, RESULTS_CSV);
  const bundlePath = join(path, BUNDLE_FILE);
  const results = existsSync(jsonPath) ? readResults(jsonPath) : existsSync(csvPath) ? readResults(csvPath) : undefined;
  const bundle = existsSync(bundlePath) ? parseBundleFile(bundlePath) : undefined;
  if (!results && !bundle) {
    throw new ResultsFormatError(`results: '${path}' holds none of ${RESULTS_JSON}, ${RESULTS_CSV}, ${BUNDLE_FILE}`);
  }
  return { ...(bundle ?? {}), results: [...(results ?? []), ...(bundle?.results ?? [])] };
}

/**
 * Writes a report bundle file atomically (NaN in spectra and maps as null; results, if any, validated and embedded).
 * Deterministic: the same input gives the same bytes.
 */
export function writeReportBundle(path: string, input: Partial<ReportInput>): void {
  const nanToNull = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));
  const bundle: Record<string, unknown> = { format: 'myriad-report-bundle', version: 1 };
  if (input.title !== undefined) bundle.title = input.title;
  if (input.subtitle !== undefined) bundle.subtitle = input.subtitle;
  if (input.notes?.length) bundle.notes = input.notes;
  if (input.results?.length) bundle.results = JSON.parse(resultsToJson(input.results)) as unknown;
  if (input.spectra?.length) bundle.spectra = input.spectra.map((s) => ({ ...s, power: nanToNull(s.power) }));
  if (input.maps?.length) bundle.maps = input.maps.map((m) => ({ ...m, values: nanToNull(m.values) }));
  // Validate what is written, so that a bad bundle fails here and not when the report is made.
  parseReportBundle(JSON.parse(JSON.stringify(bundle)), path);
  writeFileAtomic(path, JSON.stringify(bundle) + '\n');
}

function parseBundleFile(path: string): ReportInput {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ResultsFormatError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseReportBundle(data, path);
}

// ---------------------------------------------------------------------------------------------------------------
// Tidy records from the scores library's outputs (the vocabulary above)

/** The identifying keys shared by a group of records. */
export interface RecordKeys {
  variable: string;
  lead_hours: number;
  region: string;
  ensemble: string;
  [extra: string]: string | number;
}

/** Rank histogram (counts per rank 0…M) as 'rank_histogram' records with `bin`. */
export function rankHistogramRecords(histogram: ArrayLike<number>, keys: RecordKeys): ResultRecord[] {
  return Array.from(histogram, (value, bin) => ({ ...keys, metric: 'rank_histogram', bin, value }));
}

/** Reliability bins as reliability_forecast / _observed / _count records with `bin` and `threshold`. */
export function reliabilityRecords(bins: readonly ProbabilityBin[], keys: RecordKeys & { threshold: string | number }): ResultRecord[] {
  return bins.flatMap((b, bin) => [
    { ...keys, metric: 'reliability_forecast', bin, value: b.meanForecast },
    { ...keys, metric: 'reliability_observed', bin, value: b.observedFrequency },
    { ...keys, metric: 'reliability_count', bin, value: b.count },
  ]);
}

/** ROC curve as roc_false_alarm_rate / roc_hit_rate records with `point`, plus 'roc_auc'. */
export function rocRecords(curve: RocCurve, keys: RecordKeys & { threshold: string | number }): ResultRecord[] {
  const out: ResultRecord[] = [];
  curve.falseAlarmRate.forEach((far, point) => {
    out.push({ ...keys, metric: 'roc_false_alarm_rate', point, value: far });
    out.push({ ...keys, metric: 'roc_hit_rate', point, value: curve.hitRate[point]! });
  });
  out.push({ ...keys, metric: 'roc_auc', value: curve.auc });
  return out;
}

/** σ-distance bins (HENS Part II) as sigma_bin_* records with `bin_lower`, `bin_upper`. */
export function sigmaBinRecords(bins: readonly SigmaBin[], keys: RecordKeys): ResultRecord[] {
  return bins.flatMap((b) => {
    const k = { ...keys, bin_lower: b.lower, bin_upper: b.upper };
    return [
      { ...k, metric: 'sigma_bin_cases', value: b.cases },
      { ...k, metric: 'sigma_bin_members_beyond', value: b.meanMembersBeyond },
      { ...k, metric: 'sigma_bin_fraction_beyond', value: b.fractionWithMemberBeyond },
    ];
  });
}

/** Sub-ensemble results (HENS Part II) as records with `size`: best-member RMSE with its interval, widths, coverage. */
export function subEnsembleRecords(results: readonly SubEnsembleSizeResult[], keys: RecordKeys): ResultRecord[] {
  return results.flatMap((r) => {
    const k = { ...keys, size: r.size };
    return [
      { ...k, metric: 'best_member_rmse', value: r.bestMemberRmseMean },
      { ...k, metric: 'best_member_rmse_lower', value: r.bestMemberRmseInterval[0] },
      { ...k, metric: 'best_member_rmse_upper', value: r.bestMemberRmseInterval[1] },
      { ...k, metric: 'interval_width', value: r.meanIntervalWidth },
      { ...k, metric: 'range_width', value: r.meanRangeWidth },
      { ...k, metric: 'coverage', value: r.coverage },
      { ...k, metric: 'expected_coverage', value: r.expectedCoverage },
    ];
  });
}
