// Synthetic inputs of the evaluation pipeline for tests and benchmarks: a truth store in the `myriad world run`
// layout and a member store in the runner's layout (store.zarr of a run directory), written block by block.
import { join } from 'node:path';
import { createZarrArray, createZarrGroup, createZarrStore, flushZarr, writeZarrArray, writeZarrRegion, type ZarrGroup } from '../io/zarr.ts';
import type { Grid } from '../sphere/grid.ts';

/** Noleap hours since 2000-01-01 of a calendar date (no 29 February). */
export function noleapHours(year: number, month: number, day: number, hour: number): number {
  const cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
  return (((year - 2000) * 365 + cum[month - 1]! + day - 1) * 24 + hour);
}

async function coord(group: ZarrGroup, name: string, data: Float64Array | Int32Array, attrs: Record<string, unknown>): Promise<void> {
  const dtype = data instanceof Float64Array ? 'float64' : 'int32';
  const arr = await createZarrArray(group, name, { shape: [data.length], chunks: [Math.max(1, data.length)], dtype, dims: [name], attrs, compressionLevel: 0 });
  await writeZarrArray(arr, { data, shape: [data.length] });
}

/**
 * Writes a truth store: `time` (noleap hours since 2000-01-01), lat, lon, and for each variable [time, lat, lon]
 * float32 filled by `field(variable, timeIndex)`; optional `climate` group arrays `<v>_p<q>` [12, lat, lon].
 */
export async function writeTruthStore(
  path: string,
  options: {
    time: number[];
    lat: ArrayLike<number>;
    lon: ArrayLike<number>;
    variables: string[];
    field: (variable: string, timeIndex: number) => Promise<Float32Array> | Float32Array;
    climate?: (variable: string, percentile: number) => Float32Array;
    climatePercentiles?: number[];
    /** Calendar-month mean `<v>_mean` of the climate group (the same for every month). */
    climateMean?: (variable: string) => Float32Array;
  },
): Promise<void> {
  const nlat = options.lat.length;
  const nlon = options.lon.length;
  const root = await createZarrStore(path, { overwrite: true, syncEachWrite: false, attrs: { title: 'synthetic truth' } });
  await coord(root, 'time', Float64Array.from(options.time), { units: 'hours since 2000-01-01 00:00:00', calendar: 'noleap' });
  await coord(root, 'lat', Float64Array.from(options.lat), { units: 'degrees_north' });
  await coord(root, 'lon', Float64Array.from(options.lon), { units: 'degrees_east' });
  for (const v of options.variables) {
    const arr = await createZarrArray(root, v, { shape: [options.time.length, nlat, nlon], chunks: [1, nlat, nlon], dtype: 'float32', dims: ['time', 'lat', 'lon'] });
    for (let t = 0; t < options.time.length; t++) await writeZarrRegion(arr, [t, 0, 0], { data: await options.field(v, t), shape: [1, nlat, nlon] });
  }
  if (options.climate) {
    const g = await createZarrGroup(root, 'climate', { percentiles: options.climatePercentiles ?? [95, 99] });
    for (const v of options.variables) {
      for (const q of options.climatePercentiles ?? [95, 99]) {
        const arr = await createZarrArray(g, `${v}_p${q}`, { shape: [12, nlat, nlon], chunks: [1, nlat, nlon], dtype: 'float32', dims: ['month', 'lat', 'lon'] });
        const one = options.climate(v, q);
        const all = new Float32Array(12 * nlat * nlon);
        for (let m = 0; m < 12; m++) all.set(one, m * nlat * nlon);
        await writeZarrArray(arr, { data: all, shape: [12, nlat, nlon] });
      }
      if (options.climateMean) {
        const arr = await createZarrArray(g, `${v}_mean`, { shape: [12, nlat, nlon], chunks: [1, nlat, nlon], dtype: 'float32', dims: ['month', 'lat', 'lon'] });
        const one = options.climateMean(v);
        const all = new Float32Array(12 * nlat * nlon);
        for (let m = 0; m < 12; m++) all.set(one, m * nlat * nlon);
        await writeZarrArray(arr, { data: all, shape: [12, nlat, nlon] });
      }
    }
  }
  await flushZarr(root);
}

/**
 * Writes a members-only run directory (`dir/store.zarr`, statistics off) in the runner's member-store layout:
 * `<variable>` [init, lead, member, lat, lon] float32 with chunks [1, 1, memberBlock, tileLat, tileLon], filled by
 * `block(variable, init, lead, firstMember, count)` → (count, nlat, nlon) one member block at a time (memory bounded).
 */
export async function writeSyntheticMemberStore(
  dir: string,
  options: {
    grid: Grid;
    lat: ArrayLike<number>;
    lon: ArrayLike<number>;
    initHours: number[];
    leads: number[];
    members: number;
    memberBlock: number;
    variables: string[];
    tileLat?: number;
    tileLon?: number;
    control?: boolean;
    compressionLevel?: number;
    block: (variable: string, init: number, lead: number, firstMember: number, count: number) => Float32Array;
  },
): Promise<void> {
  const { nlat, nlon } = options.grid;
  const M = options.members;
  const root = await createZarrStore(join(dir, 'store.zarr'), {
    overwrite: true,
    syncEachWrite: false,
    attrs: {
      myriad_format: 'myriad-member-store', version: 1, title: 'synthetic member store', model_kind: 'synthetic', checkpoints: [], channels: options.variables,
      grid: { ...options.grid }, members_stored: true, statistics: false, control: options.control ?? false, member_block: options.memberBlock,
    },
  });
  await coord(root, 'init', Float64Array.from(options.initHours), { units: 'hours since 1970-01-01 00:00:00', calendar: 'proleptic_gregorian' });
  await coord(root, 'lead', Float64Array.from(options.leads), { units: 'hours' });
  await coord(root, 'member', Int32Array.from({ length: M }, (_, i) => i), {});
  await coord(root, 'lat', Float64Array.from(options.lat), { units: 'degrees_north' });
  await coord(root, 'lon', Float64Array.from(options.lon), { units: 'degrees_east' });
  for (const v of options.variables) {
    const arr = await createZarrArray(root, v, {
      shape: [options.initHours.length, options.leads.length, M, nlat, nlon],
      chunks: [1, 1, options.memberBlock, options.tileLat ?? nlat, options.tileLon ?? nlon],
      dtype: 'float32', dims: ['init', 'lead', 'member', 'lat', 'lon'], compressionLevel: options.compressionLevel ?? 1,
    });
    for (let i = 0; i < options.initHours.length; i++) {
      for (let l = 0; l < options.leads.length; l++) {
        for (let m0 = 0; m0 < M; m0 += options.memberBlock) {
          const count = Math.min(options.memberBlock, M - m0);
          await writeZarrRegion(arr, [i, l, m0, 0, 0], { data: options.block(v, i, l, m0, count), shape: [1, 1, count, nlat, nlon] });
        }
      }
    }
  }
  await flushZarr(root);
}
