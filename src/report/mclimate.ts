// M-climate from hindcasts (`myriad mclimate`): runs (or reuses) a forecast over past dates, then takes per point and
// lead the 101 percentiles 0…100 of all hindcast members of all inits — the EFI's model climate (metrics-factsheet
// §3.4) — with the same percentile rule the runner's `statistics.climate` uses (`climatePercentiles`).
//
// Store (Zarr v3, also v2 metadata): root attrs {myriad_format: "myriad-mclimate", version: 1, by: "lead" | "month",
// channels, grid, source_run, inits, members, samples_per_point, model_kind}; coordinates lead (hours) or month (0 =
// January; valid-time calendar month, all leads and inits pooled), percentile (0…100), lat, lon; arrays
// `<channel>_climate` float64 [lead | month, percentile, lat, lon], chunks [1, 101, nlat, nlon] (months without
// hindcasts stay NaN). A slice is the (101, lat, lon) percentile-major climate `myriad score --mclimate` (and the
// runner's climate counts) take.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createZarrArray, createZarrStore, flushZarr, openZarrArray, readZarrRegion, writeZarrArray, writeZarrRegion } from '../io/zarr.ts';
import { climatePercentiles } from '../scores/climate.ts';
import { CLIMATE_PERCENTILES } from '../scores/streaming.ts';
import { ScoreInputError, calendarFields, openRunStore } from './evaluate.ts';

export interface MclimateOptions {
  /** A forecast config file (run first, resumable) or a run directory with members stored. */
  source: string;
  out: string;
  /** Percentiles per lead (default) or per calendar month of the valid time (all leads pooled). */
  by?: 'lead' | 'month';
  overwrite?: boolean;
  /** Largest sample band read at once, bytes (default 64 MiB). */
  bandBytes?: number;
  onProgress?: (message: string) => void;
}

export interface MclimateSummary {
  out: string;
  runDir: string;
  channels: string[];
  leads: number[];
  /** Calendar months (0 = January) with hindcasts, for by = 'month'. */
  months: number[];
  /** Samples per point (per lead, or the largest over months). */
  samplesPerPoint: number;
}

/** Builds the M-climate store; returns what it holds. */
export async function buildMclimate(options: MclimateOptions): Promise<MclimateSummary> {
  const log = options.onProgress ?? (() => {});
  const source = resolve(options.source);
  if (!existsSync(source)) throw new ScoreInputError(`mclimate: ${options.source} does not exist (expected a forecast config file or a run directory)`);
  let runDir = source;
  if (statSync(source).isFile()) {
    const { readForecastConfig } = await import('../ensemble/config.ts');
    const { runForecast } = await import('../ensemble/runner.ts');
    const cfg = readForecastConfig(source);
    if (!cfg.store.members) throw new ScoreInputError(`mclimate: config ${options.source} has store.members false; the M-climate needs the hindcast members`);
    log(`running the hindcasts of ${options.source} into ${cfg.outputDir} (${cfg.initHours.length} inits, ${cfg.checkpointFiles.length} checkpoints)`);
    const summary = await runForecast(cfg, {
      onProgress: (p) => log(`hindcasts: ${p.unitsDone}/${p.unitsTotal} units, ${p.memberStepsPerSecond.toFixed(1)} member-steps/s`),
    });
    if (!summary.complete) throw new ScoreInputError(`mclimate: the hindcast run ${cfg.outputDir} did not complete`);
    runDir = cfg.outputDir;
  }
  const run = await openRunStore(runDir);
  if (!run.membersStored) throw new ScoreInputError(`mclimate: run ${runDir} stores no members; the M-climate needs them`);
  if (run.initHours.length * run.members < 2) throw new ScoreInputError(`mclimate: run ${runDir} has ${run.initHours.length * run.members} sample(s) per point; need at least 2`);
  const { nlat, nlon } = run.grid;
  const P = nlat * nlon;
  const M = run.members;
  const by = options.by ?? 'lead';
  if (by !== 'lead' && by !== 'month') throw new ScoreInputError(`mclimate: --by must be 'lead' or 'month', got '${String(by)}'`);
  // the (init, lead) fields pooled into each climate slice
  const slices: { index: number; fields: [number, number][] }[] = [];
  if (by === 'lead') run.leads.forEach((_, li) => slices.push({ index: li, fields: run.initHours.map((_, ii) => [ii, li]) }));
  else {
    for (let m = 0; m < 12; m++) {
      const fields: [number, number][] = [];
      run.initHours.forEach((t0, ii) => run.leads.forEach((lead, li) => calendarFields(t0 + lead).month - 1 === m && fields.push([ii, li])));
      if (fields.length) slices.push({ index: m, fields });
    }
  }
  const N = Math.max(...slices.map((s) => s.fields.length)) * M;
  if (existsSync(resolve(options.out)) && !options.overwrite) throw new ScoreInputError(`mclimate: ${options.out} exists; choose another --out or pass --overwrite`);
  const root = await createZarrStore(resolve(options.out), {
    overwrite: true,
    syncEachWrite: false,
    attrs: {
      myriad_format: 'myriad-mclimate', version: 1, by, channels: run.channels, grid: { ...run.grid }, source_run: runDir,
      inits: run.initHours.map((h) => new Date(h * 3.6e6).toISOString()), members: M, samples_per_point: N, model_kind: run.modelKind,
      description: by === 'lead' ? 'per-point percentiles 0..100 (numpy linear) of all hindcast members of all inits, per lead' : 'per-point percentiles 0..100 (numpy linear) of all hindcast members of all inits and leads, per calendar month of the valid time (0 = January)',
    },
  });
  const coord = async (name: string, data: Float64Array, attrs: Record<string, unknown>) => {
    const a = await createZarrArray(root, name, { shape: [data.length], chunks: [data.length], dtype: 'float64', dims: [name], attrs, compressionLevel: 0 });
    await writeZarrArray(a, { data, shape: [data.length] });
  };
  if (by === 'lead') await coord('lead', Float64Array.from(run.leads), { units: 'hours', standard_name: 'forecast_period' });
  else await coord('month', Float64Array.from({ length: 12 }, (_, m) => m), { long_name: 'calendar month of the valid time (0 = January)' });
  await coord('percentile', Float64Array.from({ length: CLIMATE_PERCENTILES }, (_, k) => k), { units: 'percent' });
  await coord('lat', run.lat, { units: 'degrees_north', standard_name: 'latitude' });
  await coord('lon', run.lon, { units: 'degrees_east', standard_name: 'longitude' });
  const rows = Math.max(1, Math.min(nlat, Math.floor((options.bandBytes ?? 64 * 2 ** 20) / (4 * N * nlon))));
  for (const ch of run.channels) {
    const members = await openZarrArray(run.root, ch);
    const out = await createZarrArray(root, `${ch}_climate`, {
      shape: [by === 'lead' ? run.leads.length : 12, CLIMATE_PERCENTILES, nlat, nlon], chunks: [1, CLIMATE_PERCENTILES, nlat, nlon], dtype: 'float64',
      dims: [by, 'percentile', 'lat', 'lon'], attrs: { ...(members.attrs.units ? { units: members.attrs.units } : {}), long_name: `M-climate percentiles of ${ch} per ${by}` },
    });
    for (const slice of slices) {
      const what = by === 'lead' ? `lead ${run.leads[slice.index]} h` : `calendar month ${slice.index + 1}`;
      const n = slice.fields.length * M;
      const q = new Float64Array(CLIMATE_PERCENTILES * P);
      for (let r0 = 0; r0 < nlat; r0 += rows) {
        const nr = Math.min(rows, nlat - r0);
        const S = nr * nlon;
        const samples = new Float32Array(n * S);
        for (const [k, [ii, li]] of slice.fields.entries()) {
          const block = (await readZarrRegion(members, [ii, li, 0, r0, 0], [1, 1, M, nr, nlon])).data as Float32Array;
          samples.set(block, k * M * S);
        }
        try {
          climatePercentiles(samples, n, S, q, r0 * nlon, P);
        } catch (e) {
          throw new ScoreInputError(`mclimate: ${ch} at ${what}: ${(e as Error).message} (members not written: is the hindcast run complete?)`);
        }
      }
      await writeZarrRegion(out, [slice.index, 0, 0, 0], { data: q, shape: [1, CLIMATE_PERCENTILES, nlat, nlon] });
      log(`${ch}: ${what} done (${n} samples per point)`);
    }
  }
  await flushZarr(root);
  return { out: resolve(options.out), runDir, channels: run.channels, leads: run.leads, months: by === 'month' ? slices.map((s) => s.index) : [], samplesPerPoint: N };
}
