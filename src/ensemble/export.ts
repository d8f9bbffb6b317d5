// Export of a forecast run to NetCDF-4 (CF-1.8): chosen members, leads and channels of one init time with an
// `ensemble` dimension, plus the streamed statistics; time (valid time) is the first dimension so CDO reads it.
import * as path from 'node:path';
import { writeNetcdf, type NetcdfWriteSpec } from '../io/netcdf.ts';
import { type ZarrGroup, openZarrArray, openZarrStore, readZarrArray, readZarrAttributes, readZarrRegion } from '../io/zarr.ts';
import { channelUnits, hoursFromIso, isoFromHours } from './model.ts';
import { STORE_DIR } from './runner.ts';

export interface ExportOptions {
  /** Init time: index into the run's inits, or an ISO time (default index 0). */
  init?: number | string;
  /** Member indices (default: all stored members; [] for statistics only). */
  members?: number[];
  /** Lead times in hours (default: all stored leads). */
  leads?: number[];
  /** Channels (default: every channel the store has). */
  channels?: string[];
  /** Include mean, variance, min, max and exceedance probabilities (default true). */
  statistics?: boolean;
  /** Include the 101 climate-percentile counts (default false: large). */
  climateCounts?: boolean;
}

export interface ExportSummary {
  file: string;
  init: string;
  members: number;
  leads: number[];
  channels: string[];
  variables: string[];
}

async function has(root: ZarrGroup, name: string): Promise<boolean> {
  try {
    await openZarrArray(root, name);
    return true;
  } catch {
    return false;
  }
}

/** Writes `file` from the run in `dir`. Errors name the option and the allowed values. */
export async function exportRun(dir: string, file: string, options: ExportOptions = {}): Promise<ExportSummary> {
  const root = await openZarrStore(path.join(dir, STORE_DIR));
  const attrs = await readZarrAttributes(root);
  if (attrs.myriad_format !== 'myriad-member-store') throw new Error(`${dir} does not hold a myriad member store (${STORE_DIR} has myriad_format ${JSON.stringify(attrs.myriad_format)})`);
  const inits = Array.from((await readZarrArray(await openZarrArray(root, 'init'))).data as Float64Array);
  const allLeads = Array.from((await readZarrArray(await openZarrArray(root, 'lead'))).data as Float64Array);
  const lat = (await readZarrArray(await openZarrArray(root, 'lat'))).data as Float64Array;
  const lon = (await readZarrArray(await openZarrArray(root, 'lon'))).data as Float64Array;
  const memberCount = (await openZarrArray(root, 'member')).shape[0];
  const nlat = lat.length;
  const nlon = lon.length;
  const P = nlat * nlon;

  let initIndex = 0;
  if (typeof options.init === 'string') {
    initIndex = inits.indexOf(hoursFromIso(options.init, 'init'));
    if (initIndex < 0) throw new RangeError(`init: ${options.init} is not one of the run's init times (${inits.map(isoFromHours).join(', ')})`);
  } else if (options.init !== undefined) {
    initIndex = options.init;
    if (!Number.isInteger(initIndex) || initIndex < 0 || initIndex >= inits.length) throw new RangeError(`init: expected an index in [0, ${inits.length}), got ${options.init}`);
  }
  const leads = options.leads ?? allLeads;
  const leadIdx = leads.map((h) => {
    const k = allLeads.indexOf(h);
    if (k < 0) throw new RangeError(`leads: ${h} h is not a stored lead (stored: ${allLeads.join(', ')} h)`);
    return k;
  });
  const storeChannels: string[] = Array.isArray(attrs.channels) ? (attrs.channels as string[]) : [];
  const channels = options.channels ?? storeChannels;
  for (const ch of channels) if (!storeChannels.includes(ch)) throw new RangeError(`channels: '${ch}' is not in the run (it has ${storeChannels.join(', ')})`);
  const membersStored = attrs.members_stored === true;
  const members = options.members ?? (membersStored ? Array.from({ length: memberCount }, (_, m) => m) : []);
  if (members.length && !membersStored) throw new RangeError('members: this run kept statistics only (store.members false); regenerate members with `myriad member`');
  for (const m of members) if (!Number.isInteger(m) || m < 0 || m >= memberCount) throw new RangeError(`members: ${m} is outside [0, ${memberCount})`);
  const withStats = (options.statistics ?? true) && attrs.statistics === true;

  const t0 = inits[initIndex];
  const NT = leads.length;
  const spec: NetcdfWriteSpec = {
    dims: { time: NT },
    coords: { time: { data: Float64Array.from(leads), attrs: { units: `hours since ${isoFromHours(t0).replace('T', ' ').replace('Z', ':00')}` } } },
    vars: {
      lead: { dims: ['time'], data: Float64Array.from(leads), attrs: { units: 'hours', standard_name: 'forecast_period', long_name: 'lead time' } },
    },
    attrs: {
      title: 'myriad ensemble forecast export',
      source: `myriad member store ${path.basename(dir)}`,
      forecast_reference_time: isoFromHours(t0),
      model_kind: String(attrs.model_kind),
      checkpoints: (attrs.checkpoints as string[]).join(' '),
      perturbation: JSON.stringify(attrs.perturbation),
      seed: Number(attrs.seed),
    },
  };
  if (members.length) {
    spec.dims.ensemble = members.length;
    spec.coords!.ensemble = { data: Int32Array.from(members) };
  }
  spec.dims.lat = nlat;
  spec.dims.lon = nlon;
  spec.coords!.lat = { data: Float64Array.from(lat) };
  spec.coords!.lon = { data: Float64Array.from(lon) };
  if (members.length) {
    for (const name of ['member_checkpoint', 'member_perturbation', 'member_sign']) {
      const all = (await readZarrArray(await openZarrArray(root, name))).data as Int32Array;
      const a = await openZarrArray(root, name);
      spec.vars[name] = { dims: ['ensemble'], data: Int32Array.from(members, (m) => all[m]), attrs: { long_name: String(a.attrs.long_name ?? name) } };
    }
  }
  const unitsOf = (ch: string): Record<string, string> => {
    const u = channelUnits(ch);
    return u ? { units: u } : {};
  };
  for (const ch of channels) {
    if (members.length) {
      const arr = await openZarrArray(root, ch);
      const out = new Float32Array(NT * members.length * P);
      // contiguous runs of members are read as one region per lead
      for (let t = 0; t < NT; t++) {
        let k = 0;
        while (k < members.length) {
          let e = k + 1;
          while (e < members.length && members[e] === members[e - 1] + 1) e++;
          const r = await readZarrRegion(arr, [initIndex, leadIdx[t], members[k], 0, 0], [1, 1, e - k, nlat, nlon]);
          out.set(r.data as Float32Array, (t * members.length + k) * P);
          k = e;
        }
      }
      spec.vars[ch] = { dims: ['time', 'ensemble', 'lat', 'lon'], data: out, attrs: { ...unitsOf(ch), long_name: ch }, compression: 1 };
    }
    if (!withStats) continue;
    const field = async (name: string) => {
      const arr = await openZarrArray(root, name);
      const r = await readZarrRegion(arr, [initIndex, 0, 0, 0], [1, allLeads.length, nlat, nlon]);
      const src = r.data as Float32Array | Float64Array;
      const out = new (src.constructor as Float64ArrayConstructor)(NT * P);
      leadIdx.forEach((k, t) => out.set(src.subarray(k * P, (k + 1) * P), t * P));
      return { data: out, long: String(arr.attrs.long_name ?? name) };
    };
    for (const [suffix, keepUnits] of [['mean', true], ['variance', false], ['min', true], ['max', true]] as const) {
      const f = await field(`${ch}_${suffix}`);
      spec.vars[`${ch}_${suffix}`] = { dims: ['time', 'lat', 'lon'], data: f.data, attrs: { ...(keepUnits ? unitsOf(ch) : {}), long_name: f.long }, compression: 1 };
    }
    if (await has(root, `${ch}_exceedance`)) {
      const thr = (await readZarrArray(await openZarrArray(root, `threshold_${ch}`))).data as Float64Array;
      const T = thr.length;
      const counts = (await readZarrRegion(await openZarrArray(root, `${ch}_exceedance`), [initIndex, 0, 0, 0, 0], [1, allLeads.length, T, nlat, nlon])).data as Int32Array;
      const total = memberCount;
      const prob = new Float32Array(NT * T * P);
      leadIdx.forEach((k, t) => {
        for (let i = 0; i < T * P; i++) prob[t * T * P + i] = counts[k * T * P + i] / total;
      });
      const dim = `threshold_${ch}`;
      spec.dims[dim] = T;
      spec.vars[`${ch}_probability`] = {
        dims: ['time', dim, 'lat', 'lon'], data: prob, compression: 1,
        attrs: { long_name: `fraction of the ${total} members with ${ch} > threshold`, units: '1' },
      };
      spec.coords![dim] = { data: Float64Array.from(thr), attrs: { ...unitsOf(ch), long_name: `threshold of ${ch}` } };
    }
    if (options.climateCounts && (await has(root, `${ch}_climate_count`))) {
      const N = 101;
      const counts = (await readZarrRegion(await openZarrArray(root, `${ch}_climate_count`), [initIndex, 0, 0, 0, 0], [1, allLeads.length, N, nlat, nlon])).data as Int32Array;
      const out = new Int32Array(NT * N * P);
      leadIdx.forEach((k, t) => out.set(counts.subarray(k * N * P, (k + 1) * N * P), t * N * P));
      spec.dims.percentile = N;
      spec.coords!.percentile = { data: Float64Array.from({ length: N }, (_, q) => q), attrs: { units: 'percent', long_name: 'M-climate percentile' } };
      spec.vars[`${ch}_climate_count`] = { dims: ['time', 'percentile', 'lat', 'lon'], data: out, compression: 1, attrs: { long_name: `members with ${ch} <= the climate percentile` } };
    }
  }
  // dimension order in the file: time first, then ensemble, thresholds/percentile, lat, lon
  const order = ['time', 'ensemble', ...Object.keys(spec.dims).filter((d) => d.startsWith('threshold_') || d === 'percentile'), 'lat', 'lon'];
  spec.dims = Object.fromEntries(order.filter((d) => d in spec.dims).map((d) => [d, spec.dims[d]]));
  await writeNetcdf(file, spec);
  return { file: path.resolve(file), init: isoFromHours(t0), members: members.length, leads, channels, variables: Object.keys(spec.vars) };
}
