// Analyses read from a planet truth store (Zarr v3 written by `myriad world run`): the "truth" analysis kind. Ensemble
// times (proleptic Gregorian) map to the store's noleap times by calendar date; 29 February and times outside the
// store are refused with the time and the store's range.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ZarrArray, type ZarrGroup, openZarrArray, openZarrStore, readZarrArray, readZarrRegion } from '../io/zarr.ts';
import { type Grid, gridGeometry } from '../sphere/grid.ts';
import { type AnalysisSource, type Hours, isoFromHours } from './model.ts';
import { hoursFromNoleapHours, isoFromNoleapHours, noleapHoursFromHours, noleapReferenceHours } from './planet-calendar.ts';

const STEP_HOURS = 6;
const CACHE_SIZE = 16;

/** What the config check needs to know about a store, read from its metadata alone (no chunk is decoded). */
interface StoreMetadata {
  attrs: Record<string, unknown>;
  arrays: Map<string, { shape: number[]; attrs: Record<string, unknown> }>;
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Reads zarr.json of the root and of the named arrays (synchronously). */
function storeMetadata(store: string, names: readonly string[]): StoreMetadata | string {
  if (!existsSync(store)) return `truth store ${store} does not exist`;
  if (!statSync(store).isDirectory()) return `truth store ${store} is not a directory`;
  const root = readJson(join(store, 'zarr.json'));
  if (!root || root.zarr_format !== 3 || root.node_type !== 'group') return `${store} is not a Zarr v3 store (no group zarr.json)`;
  const arrays = new Map<string, { shape: number[]; attrs: Record<string, unknown> }>();
  for (const n of names) {
    const m = readJson(join(store, n, 'zarr.json'));
    if (m && m.node_type === 'array' && Array.isArray(m.shape)) arrays.set(n, { shape: m.shape as number[], attrs: (m.attributes ?? {}) as Record<string, unknown> });
  }
  return { attrs: (root.attributes ?? {}) as Record<string, unknown>, arrays };
}

/**
 * Checks a truth store against a model's grid and channels before any work; returns problems as [field, message]
 * (field "analyses.store").
 */
export function checkTruthStore(store: unknown, grid: Grid, channels: readonly string[], field = 'analyses.store'): [string, string][] {
  if (typeof store !== 'string' || store.length === 0) return [[field, `expected the path of a planet truth store (Zarr v3), got ${JSON.stringify(store)}`]];
  const meta = storeMetadata(store, ['time', 'lat', 'lon', ...channels]);
  if (typeof meta === 'string') return [[field, meta]];
  const out: [string, string][] = [];
  const time = meta.arrays.get('time');
  const nt = time?.shape[0];
  if (!time || time.shape.length !== 1) out.push([field, `truth store ${store} has no 1-D 'time' coordinate`]);
  else {
    const units = time.attrs.units;
    const calendar = time.attrs.calendar ?? 'noleap';
    if (calendar !== 'noleap' && calendar !== '365_day') out.push([field, `truth store ${store}: time calendar ${JSON.stringify(calendar)} is not supported (expected "noleap")`]);
    try {
      noleapReferenceHours(typeof units === 'string' ? units : '', `truth store ${store}`);
    } catch (err) {
      out.push([field, (err as Error).message]);
    }
  }
  for (const [name, n] of [['lat', grid.nlat], ['lon', grid.nlon]] as const) {
    const a = meta.arrays.get(name);
    if (!a || a.shape.length !== 1 || a.shape[0] !== n) out.push([field, `truth store ${store}: coordinate '${name}' has shape ${JSON.stringify(a?.shape ?? null)}; the model's grid needs ${n}`]);
  }
  const kind = meta.attrs.grid;
  if (typeof kind === 'string' && kind !== grid.kind) out.push([field, `truth store ${store} is on a ${kind} grid; the model's grid is ${grid.kind} ${grid.nlat}x${grid.nlon}`]);
  const missing = channels.filter((c) => !meta.arrays.has(c));
  if (missing.length) out.push([field, `truth store ${store} has no array for the model channel(s) ${missing.map((c) => `'${c}'`).join(', ')} (the model's channels: ${channels.join(', ')})`]);
  for (const c of channels) {
    const a = meta.arrays.get(c);
    if (a && (a.shape.length !== 3 || a.shape[0] !== nt || a.shape[1] !== grid.nlat || a.shape[2] !== grid.nlon)) {
      out.push([field, `truth store ${store}: array '${c}' has shape [${a.shape.join(', ')}], expected [time ${nt}, lat ${grid.nlat}, lon ${grid.nlon}]`]);
    }
  }
  return out;
}

/** Analyses from a planet truth store on the model's grid and channels. */
export class TruthAnalyses implements AnalysisSource {
  readonly stepHours = STEP_HOURS;
  private readonly cache = new Map<number, Float32Array>();

  private constructor(
    readonly store: string,
    readonly channels: readonly string[],
    readonly grid: Grid,
    /** store times as noleap hours since 2000-01-01 */
    readonly noleapTimes: Float64Array,
    private readonly index: Map<number, number>,
    private readonly arrays: ZarrArray[],
    readonly root: ZarrGroup,
  ) {}

  /** Opens a store for a model's grid and channels; checks metadata and latitudes. */
  static async open(store: string, grid: Grid, channels: readonly string[], field = 'analyses.store'): Promise<TruthAnalyses> {
    const problems = checkTruthStore(store, grid, channels, field);
    if (problems.length) throw new Error(problems.map(([f, m]) => `${f}: ${m}`).join('; '));
    const root = await openZarrStore(store);
    const timeArr = await openZarrArray(root, 'time');
    const ref = noleapReferenceHours(String(timeArr.attrs.units), `truth store ${store}`);
    const raw = (await readZarrArray(timeArr)).data as Float64Array;
    const times = Float64Array.from(raw, (h) => Number(h) + ref);
    const lat = (await readZarrArray(await openZarrArray(root, 'lat'))).data as Float64Array;
    const expected = gridGeometry(grid).latitudesDeg;
    for (let i = 0; i < grid.nlat; i++) {
      if (Math.abs(Number(lat[i]) - expected[i]) > 1e-3) {
        throw new Error(`${field}: truth store ${store}: latitude ${i} is ${Number(lat[i]).toFixed(4)}°, the model's ${grid.kind} grid has ${expected[i].toFixed(4)}° (row 0 north)`);
      }
    }
    const index = new Map<number, number>();
    times.forEach((t, i) => index.set(t, i));
    const arrays = await Promise.all(channels.map((c) => openZarrArray(root, c)));
    return new TruthAnalyses(store, channels, grid, times, index, arrays, root);
  }

  /** First and last store times as ensemble times. */
  get range(): { first: Hours; last: Hours } {
    return { first: hoursFromNoleapHours(this.noleapTimes[0]), last: hoursFromNoleapHours(this.noleapTimes[this.noleapTimes.length - 1]) };
  }

  /** "from … to … every 6 h" for messages. */
  describeRange(): string {
    const n = this.noleapTimes.length;
    return `${isoFromNoleapHours(this.noleapTimes[0])} to ${isoFromNoleapHours(this.noleapTimes[n - 1])} (${n} times, noleap calendar)`;
  }

  /** Index of the store time of an ensemble time; errors name the time and the store's range. */
  timeIndex(time: Hours): number {
    const nh = noleapHoursFromHours(time, { what: `truth store ${this.store}: analysis time` });
    const i = this.index.get(nh);
    if (i === undefined) throw new RangeError(`truth store ${this.store}: no analysis at ${isoFromHours(time)}; the store holds ${this.describeRange()}`);
    return i;
  }

  async analysis(time: Hours): Promise<Float32Array> {
    const i = this.timeIndex(time);
    let out = this.cache.get(i);
    if (!out) {
      const { nlat, nlon } = this.grid;
      const P = nlat * nlon;
      out = new Float32Array(this.channels.length * P);
      for (let c = 0; c < this.channels.length; c++) {
        const block = await readZarrRegion(this.arrays[c], [i, 0, 0], [1, nlat, nlon]);
        const data = block.data as Float32Array;
        for (let k = 0; k < P; k++) {
          if (Number.isNaN(data[k])) throw new Error(`truth store ${this.store}: '${this.channels[c]}' at ${isoFromHours(time)} is not written (NaN); is the store still being written?`);
        }
        out.set(data, c * P);
      }
      if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(i, out);
    }
    return out.slice();
  }

  /** Static fields [nlat, nlon] of the store (orography, land_fraction), float32. */
  async statics(names: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const n of names) {
      let arr: ZarrArray;
      try {
        arr = await openZarrArray(this.root, n);
      } catch {
        throw new Error(`truth store ${this.store} has no static field '${n}'`);
      }
      if (arr.shape.length !== 2 || arr.shape[0] !== this.grid.nlat || arr.shape[1] !== this.grid.nlon) {
        throw new Error(`truth store ${this.store}: static field '${n}' has shape [${arr.shape.join(', ')}], expected [${this.grid.nlat}, ${this.grid.nlon}]`);
      }
      const d = (await readZarrArray(arr)).data;
      out.set(n, d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>, Number));
    }
    return out;
  }
}
