// Forecast inputs and outputs around the SFNO: the truth dataset (Zarr) in memory, per-channel normalisation,
// the seasonal time feature, assembling network inputs, and the 6-hour step (optionally residual).
import { type Tensor, Graph, GraphError } from '../engine/graph.ts';
import { openZarrArray, openZarrStore, readZarrArray, readZarrAttributes } from '../io/zarr.ts';
import { type GridKind, GRID_KINDS, gridGeometry } from '../sphere/grid.ts';
import { type ChannelLayout, type ChannelStats, inputChannelNames } from './checkpoint.ts';
import { StirringForcing, type StirringSpec, forcingStepOffset, stirringSpecOf } from './forcing.ts';
import type { Sfno } from './sfno.ts';

export const PROGNOSTIC_CHANNELS = ['u', 'v', 'height', 'tracer'] as const;
export const STATIC_CHANNELS = ['orography', 'land_fraction'] as const;
export const SEASON_FEATURES = ['season_sin', 'season_cos'] as const;
/** days per year of the dataset's noleap calendar */
export const DAYS_PER_YEAR = 365;

export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** The truth dataset held in memory: fields [time, nlat, nlon] (row 0 north), statics [nlat, nlon]. */
export interface TruthData {
  path: string;
  grid: { kind: GridKind; nlat: number; nlon: number };
  /** hours since 0001-01-01 of the noleap calendar would be awkward: hours since the dataset's reference date */
  hours: Float64Array;
  /** the planet's clock: noleap hours since 2000-01-01 00:00 (what the stirring is a function of) */
  planetHours: Float64Array;
  /** calendar year of each time (noleap) */
  years: Int32Array;
  /** fractional day of year in [0, 365) of each time */
  dayOfYear: Float64Array;
  fields: Map<string, Float32Array>;
  statics: Map<string, Float32Array>;
  /**
   * the stirring of the planet that made the data (its `physics` attribute) on the data's grid, or null (no stirring,
   * or a store without that attribute): the source of the forcing channels
   */
  forcing: StirringForcing | null;
}

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** Parses "hours since YYYY-MM-DD[ HH:MM:SS]" → {unit hours, reference (year, day of year, hour)}. */
function parseTimeUnits(units: string, where: string): { year: number; dayOfYear: number } {
  const m = /^\s*hours\s+since\s+(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(units);
  if (!m) throw new DatasetError(`${where}: time units ${JSON.stringify(units)} are not "hours since YYYY-MM-DD HH:MM:SS"`);
  const [year, month, day, hour = '0', minute = '0'] = m.slice(1);
  const mo = Number(month);
  if (mo < 1 || mo > 12) throw new DatasetError(`${where}: bad month in time units ${JSON.stringify(units)}`);
  return { year: Number(year), dayOfYear: DAYS_BEFORE_MONTH[mo - 1] + Number(day) - 1 + (Number(hour) + Number(minute) / 60) / 24 };
}

/** Which quadrature grid the latitudes (degrees, north first) are: equiangular, Legendre–Gauss or Lobatto. */
export function detectGridKind(latDeg: ArrayLike<number>, nlon: number, where = 'dataset'): GridKind {
  const n = latDeg.length;
  for (const kind of GRID_KINDS) {
    if (kind === 'lobatto' && n < 2) continue;
    const geo = gridGeometry({ kind, nlat: n, nlon });
    let ok = true;
    for (let k = 0; k < n && ok; k++) ok = Math.abs(geo.latitudesDeg[k] - latDeg[k]) < 1e-3;
    if (ok) return kind;
  }
  throw new DatasetError(`${where}: latitudes [${Array.from(latDeg).slice(0, 3).map((v) => v.toFixed(3)).join(', ')}, …] (north first) match no equiangular, Legendre–Gauss or Lobatto grid of ${n} rows`);
}

/** Reads the truth Zarr group (arrays u, v, height, tracer [time, lat, lon]; time, lat, lon; orography, land_fraction). */
export async function loadTruth(path: string, prognostic: readonly string[] = PROGNOSTIC_CHANNELS, statics: readonly string[] = STATIC_CHANNELS): Promise<TruthData> {
  const where = `truth dataset ${path}`;
  let root;
  try {
    root = await openZarrStore(path);
  } catch (e) {
    throw new DatasetError(`${where}: cannot open (${(e as Error).message})`);
  }
  const read = async (name: string) => {
    try {
      return await readZarrArray(await openZarrArray(root, name));
    } catch (e) {
      throw new DatasetError(`${where}: cannot read array '${name}' (${(e as Error).message})`);
    }
  };
  const time = await read('time');
  const lat = await read('lat');
  const lon = await read('lon');
  const nt = time.shape[0];
  const nlat = lat.shape[0];
  const nlon = lon.shape[0];
  const timeAttrs = await readZarrAttributes(await openZarrArray(root, 'time'));
  const units = typeof timeAttrs.units === 'string' ? timeAttrs.units : 'hours since 2000-01-01 00:00:00';
  const calendar = typeof timeAttrs.calendar === 'string' ? timeAttrs.calendar : 'noleap';
  if (!['noleap', '365_day'].includes(calendar)) throw new DatasetError(`${where}: time calendar '${calendar}' is not supported (expected noleap)`);
  const ref = parseTimeUnits(units, where);
  const hours = Float64Array.from(time.data as ArrayLike<number>, Number);
  const years = new Int32Array(nt);
  const dayOfYear = new Float64Array(nt);
  for (let i = 0; i < nt; i++) {
    const days = ref.dayOfYear + hours[i] / 24;
    const y = Math.floor(days / DAYS_PER_YEAR);
    years[i] = ref.year + y;
    dayOfYear[i] = days - y * DAYS_PER_YEAR;
  }
  // the planet's clock: noleap hours since 2000-01-01 00:00
  const offset = ((ref.year - 2000) * DAYS_PER_YEAR + ref.dayOfYear) * 24;
  const planetHours = Float64Array.from(hours, (h) => h + offset);
  const latDeg = Float64Array.from(lat.data as ArrayLike<number>, Number);
  const kind = detectGridKind(latDeg, nlon, where);
  let stirring: StirringSpec | null = null;
  const physics = (await readZarrAttributes(root)).physics;
  if (physics && typeof physics === 'object' && !Array.isArray(physics)) {
    try {
      stirring = stirringSpecOf(physics as Record<string, unknown>);
    } catch (e) {
      throw new DatasetError(`${where}: attribute 'physics' is not a valid planet config (${(e as Error).message})`);
    }
  }
  const fields = new Map<string, Float32Array>();
  for (const name of prognostic) {
    const a = await read(name);
    if (a.shape.length !== 3 || a.shape[0] !== nt || a.shape[1] !== nlat || a.shape[2] !== nlon)
      throw new DatasetError(`${where}: array '${name}' has shape [${a.shape.join(', ')}], expected [time ${nt}, lat ${nlat}, lon ${nlon}]`);
    fields.set(name, a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>, Number));
  }
  const st = new Map<string, Float32Array>();
  for (const name of statics) {
    const a = await read(name);
    if (a.shape.length !== 2 || a.shape[0] !== nlat || a.shape[1] !== nlon)
      throw new DatasetError(`${where}: static array '${name}' has shape [${a.shape.join(', ')}], expected [lat ${nlat}, lon ${nlon}]`);
    st.set(name, a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>, Number));
  }
  const grid = { kind, nlat, nlon };
  return { path, grid, hours, planetHours, years, dayOfYear, fields, statics: st, forcing: stirring ? new StirringForcing(stirring, grid) : null };
}

/**
 * Several truth datasets of one planet joined in time (e.g. a run and its continuation from its final state): same
 * grid, statics and stirring; ordered by time on the planet's clock; a time present in two stores (the junction of a
 * continuation) is taken once and must hold the same fields. Times are then noleap hours since 2000-01-01.
 */
export function joinTruth(parts: readonly TruthData[]): TruthData {
  if (parts.length === 0) throw new DatasetError('joinTruth: no datasets');
  if (parts.length === 1) return parts[0];
  const sorted = [...parts].sort((a, b) => a.planetHours[0] - b.planetHours[0]);
  const first = sorted[0];
  const { kind, nlat, nlon } = first.grid;
  const P = nlat * nlon;
  const where = (d: TruthData) => `truth dataset ${d.path}`;
  for (const d of sorted.slice(1)) {
    if (d.grid.kind !== kind || d.grid.nlat !== nlat || d.grid.nlon !== nlon)
      throw new DatasetError(`${where(d)}: grid ${d.grid.kind} ${d.grid.nlat}×${d.grid.nlon} differs from ${where(first)}'s ${kind} ${nlat}×${nlon}; cannot join them`);
    for (const [name, f] of first.statics) {
      const g = d.statics.get(name);
      if (!g || g.some((v, i) => v !== f[i])) throw new DatasetError(`${where(d)}: static field '${name}' differs from ${where(first)}'s; cannot join them`);
    }
    if (JSON.stringify(d.forcing?.spec ?? null) !== JSON.stringify(first.forcing?.spec ?? null))
      throw new DatasetError(`${where(d)}: its planet's stirring differs from ${where(first)}'s; cannot join them`);
    for (const name of first.fields.keys()) if (!d.fields.has(name)) throw new DatasetError(`${where(d)}: no field '${name}'; cannot join it with ${where(first)}`);
  }
  // which times of each part to keep: all, except a leading time equal to the previous part's last (checked equal)
  const keep: { d: TruthData; from: number }[] = [];
  let last = -Infinity;
  let prev: TruthData | null = null;
  for (const d of sorted) {
    let from = 0;
    while (from < d.planetHours.length && d.planetHours[from] <= last + 1e-6) {
      if (Math.abs(d.planetHours[from] - last) > 1e-6 || !prev)
        throw new DatasetError(`${where(d)}: its times overlap those of ${prev ? where(prev) : 'another dataset'} (from ${d.planetHours[0]} h); cannot join them`);
      const pt = prev.planetHours.length - 1;
      for (const [name, f] of d.fields) {
        const g = prev.fields.get(name)!;
        for (let i = 0; i < P; i++)
          if (f[from * P + i] !== g[pt * P + i] && !(Number.isNaN(f[from * P + i]) && Number.isNaN(g[pt * P + i])))
            throw new DatasetError(`${where(d)}: at its first time (${d.planetHours[from]} h) field '${name}' differs from ${where(prev)}'s at the same time; cannot join them`);
      }
      from++;
    }
    keep.push({ d, from });
    last = d.planetHours[d.planetHours.length - 1];
    prev = d;
  }
  const nt = keep.reduce((n, k) => n + k.d.planetHours.length - k.from, 0);
  const cat = <T extends Float64Array | Int32Array>(make: (n: number) => T, get: (d: TruthData) => T): T => {
    const out = make(nt);
    let o = 0;
    for (const { d, from } of keep) {
      const a = get(d).subarray(from) as T;
      out.set(a, o);
      o += a.length;
    }
    return out;
  };
  const planetHours = cat((n) => new Float64Array(n), (d) => d.planetHours);
  const fields = new Map<string, Float32Array>();
  for (const name of first.fields.keys()) {
    const out = new Float32Array(nt * P);
    let o = 0;
    for (const { d, from } of keep) {
      const a = d.fields.get(name)!.subarray(from * P);
      out.set(a, o);
      o += a.length;
    }
    fields.set(name, out);
  }
  return {
    path: sorted.map((d) => d.path).join(','),
    grid: first.grid,
    hours: planetHours.slice(),
    planetHours,
    years: cat((n) => new Int32Array(n), (d) => d.years),
    dayOfYear: cat((n) => new Float64Array(n), (d) => d.dayOfYear),
    fields,
    statics: first.statics,
    forcing: first.forcing,
  };
}

/** Mean and standard deviation of every prognostic channel over the given times, and of every static field. */
export function channelStats(data: TruthData, times: ArrayLike<number>, layout: ChannelLayout): ChannelStats {
  const { nlat, nlon } = data.grid;
  const P = nlat * nlon;
  const out: ChannelStats = { channels: [], mean: [], std: [] };
  const push = (name: string, mean: number, variance: number) => {
    out.channels.push(name);
    out.mean.push(mean);
    // a constant field (e.g. no land) keeps unit scale instead of dividing by zero
    out.std.push(variance > 1e-12 ? Math.sqrt(variance) : 1);
  };
  for (const name of layout.prognostic) {
    const f = data.fields.get(name);
    if (!f) throw new DatasetError(`truth dataset ${data.path}: no field '${name}'`);
    let s = 0;
    for (let i = 0; i < times.length; i++) for (let p = 0, o = times[i] * P; p < P; p++) s += f[o + p];
    const mean = s / (times.length * P);
    let v = 0;
    for (let i = 0; i < times.length; i++)
      for (let p = 0, o = times[i] * P; p < P; p++) {
        const d = f[o + p] - mean;
        v += d * d;
      }
    push(name, mean, v / (times.length * P));
  }
  for (const name of layout.statics) {
    const f = data.statics.get(name);
    if (!f) throw new DatasetError(`truth dataset ${data.path}: no static field '${name}'`);
    let s = 0;
    for (let p = 0; p < P; p++) s += f[p];
    const mean = s / P;
    let v = 0;
    for (let p = 0; p < P; p++) v += (f[p] - mean) ** 2;
    push(name, mean, v / P);
  }
  return out;
}

function statOf(stats: ChannelStats, name: string): { mean: number; std: number } {
  const i = stats.channels.indexOf(name);
  if (i < 0) throw new DatasetError(`normalisation has no statistics for channel '${name}'`);
  return { mean: stats.mean[i], std: stats.std[i] };
}

/** sin and cos of the phase of the year (day of year / 365). */
export function seasonFeatures(dayOfYear: number): [number, number] {
  const phase = (2 * Math.PI * dayOfYear) / DAYS_PER_YEAR;
  return [Math.sin(phase), Math.cos(phase)];
}

/**
 * Writes the network input of time index t into `out` at member slot `slot` ([*, inChans, nlat, nlon]):
 * normalised prognostic fields, normalised statics, the time features (constant fields), then the forcings.
 */
export function assembleInput(data: TruthData, t: number, layout: ChannelLayout, stats: ChannelStats, out: Float32Array, slot: number): void {
  const P = data.grid.nlat * data.grid.nlon;
  const nIn = inputChannelNames(layout).length;
  let o = slot * nIn * P;
  for (const name of layout.prognostic) {
    const { mean, std } = statOf(stats, name);
    const f = data.fields.get(name)!;
    for (let p = 0, s = t * P; p < P; p++) out[o + p] = (f[s + p] - mean) / std;
    o += P;
  }
  for (const name of layout.statics) {
    const { mean, std } = statOf(stats, name);
    const f = data.statics.get(name)!;
    for (let p = 0; p < P; p++) out[o + p] = (f[p] - mean) / std;
    o += P;
  }
  const [s, c] = seasonFeatures(data.dayOfYear[t]);
  for (const name of layout.timeFeatures) {
    const v = name === 'season_sin' ? s : name === 'season_cos' ? c : NaN;
    if (Number.isNaN(v)) throw new DatasetError(`unknown time feature '${name}' (known: ${SEASON_FEATURES.join(', ')})`);
    out.fill(v, o, o + P);
    o += P;
  }
  const forcings = layout.forcings ?? [];
  if (forcings.length) {
    const source = forcingSource(data, layout);
    for (const name of forcings) {
      out.set(source.channel(name, data.planetHours[t], layout.stepHours), o);
      o += P;
    }
  }
}

/** The data's stirring, checked against the stirring a layout's forcing channels were defined with. */
export function forcingSource(data: TruthData, layout: ChannelLayout): StirringForcing {
  if (!data.forcing)
    throw new DatasetError(`truth dataset ${data.path}: the model takes forcing channels (${(layout.forcings ?? []).join(', ')}) but the dataset records no stirring (attribute 'physics')`);
  if (layout.stirring && JSON.stringify(data.forcing.spec) !== JSON.stringify(layout.stirring))
    throw new DatasetError(`truth dataset ${data.path}: its planet's stirring ${JSON.stringify(data.forcing.spec)} is not the model's ${JSON.stringify(layout.stirring)}`);
  return data.forcing;
}

/** Writes the normalised prognostic state of time index t into `out` at slot `slot` ([*, nProg, nlat, nlon]). */
export function assembleState(data: TruthData, t: number, layout: ChannelLayout, stats: ChannelStats, out: Float32Array, slot: number): void {
  const P = data.grid.nlat * data.grid.nlon;
  let o = slot * layout.prognostic.length * P;
  for (const name of layout.prognostic) {
    const { mean, std } = statOf(stats, name);
    const f = data.fields.get(name)!;
    for (let p = 0, s = t * P; p < P; p++) out[o + p] = (f[s + p] - mean) / std;
    o += P;
  }
}

/**
 * Quadrature weights of the internal (folded) rows × 2π/nlon, as a [1, 1, 1, nlat_f] constant: Σ w·f over the
 * grid is the integral of f over the unit sphere.
 */
export function sphereWeightsInternal(g: Graph, model: Sfno): Tensor {
  const { kind, nlat, nlon } = model.outer.config.grid;
  const geo = gridGeometry({ kind, nlat, nlon });
  const w = new Float32Array(nlat);
  model.outer.foldedRows.forEach((row, r) => (w[r] = (geo.rowWeights[row] * 2 * Math.PI) / nlon));
  return g.constant(w, [1, 1, 1, nlat]);
}

/**
 * The normalised next state in the internal layout from internal inputs x [nlon, inChans, N·nlat_f]:
 * the network output, plus the current prognostic state when the model is residual.
 */
export function forecastStepInternal(g: Graph, model: Sfno, layout: ChannelLayout, p: Map<string, Tensor>, x: Tensor): Tensor {
  const y = model.forwardInternal(g, p, x);
  if (!layout.residual) return y;
  const nProg = layout.prognostic.length;
  if (model.config.outChans !== nProg) throw new GraphError(`forecast: ${model.config.outChans} outputs for ${nProg} prognostic channels`);
  return g.add(scaledResidual(g, layout, y), g.slice(x, [0], [nProg], [1]));
}

/** The network's residual output in normalised state units: × residualScale per channel (internal layout). */
export function scaledResidual(g: Graph, layout: ChannelLayout, y: Tensor): Tensor {
  if (!layout.residualScale) return y;
  return g.mul(y, g.constant(Float32Array.from(layout.residualScale), [1, layout.residualScale.length, 1]));
}

/** Σ over channels and the sphere of (a − b)², per member summed over the batch: a, b internal [nlon, C, N·nlat_f]. */
export function sphereSquaredErrorSum(g: Graph, model: Sfno, a: Tensor, b: Tensor): Tensor {
  const { nlat, nlon } = model.outer.config.grid;
  const d = g.reshape(g.sub(a, b), [nlon, a.shape[1], -1, nlat]);
  return g.reduceSum(g.mul(g.mul(d, d), sphereWeightsInternal(g, model)));
}

/** Normalised static fields in the internal layout [nlon, nStatics, nlat_f] (host array, folded rows). */
export function staticsInternal(model: Sfno, layout: ChannelLayout, stats: ChannelStats, statics: Map<string, Float32Array>): Float32Array {
  const { nlat, nlon } = model.outer.config.grid;
  const ns = layout.statics.length;
  const out = new Float32Array(nlon * ns * nlat);
  layout.statics.forEach((name, c) => {
    const f = statics.get(name);
    if (!f || f.length !== nlat * nlon) throw new DatasetError(`static field '${name}' must hold ${nlat}×${nlon} values`);
    const { mean, std } = statOf(stats, name);
    model.outer.foldedRows.forEach((row, r) => {
      for (let j = 0; j < nlon; j++) out[(j * ns + c) * nlat + r] = (f[row * nlon + j] - mean) / std;
    });
  });
  return out;
}

/**
 * `steps` forecast steps in one graph from the normalised prognostic state [nlon, nProg, N·nlat_f]: statics
 * [nlon, nStatics, nlat_f] are shared by all members, `season` [steps, 2] holds (sin, cos) of the season at the
 * start of each step, and `forcing` [nlon, steps + 1, nlat_f] (when the layout has forcing channels) the stirring at
 * the step boundaries, shared by all members (see `forcingInternal`). Returns the normalised state after each step
 * (internal layout).
 */
export function rolloutInternal(g: Graph, model: Sfno, layout: ChannelLayout, p: Map<string, Tensor>, state0: Tensor, statics: Tensor, season: Tensor, steps: number, forcing: Tensor | null = null): Tensor[] {
  const { nlat, nlon } = model.outer.config.grid;
  const nt = layout.timeFeatures.length;
  if (nt !== 0 && (nt !== 2 || layout.timeFeatures[0] !== 'season_sin' || layout.timeFeatures[1] !== 'season_cos'))
    throw new GraphError(`rollout: time features must be [season_sin, season_cos] or none, got [${layout.timeFeatures.join(', ')}]`);
  if (season.rank !== 2 || season.shape[0] !== steps || season.shape[1] !== 2) throw new GraphError(`rollout: season must be [${steps}, 2], got [${season.shape.join(',')}]`);
  const forcings = layout.forcings ?? [];
  if (forcings.length && (!forcing || forcing.rank !== 3 || forcing.shape[0] !== nlon || forcing.shape[1] !== steps + 1 || forcing.shape[2] !== nlat))
    throw new GraphError(`rollout: forcing must be [${nlon}, ${steps + 1}, ${nlat}] for the forcing channels ${forcings.join(', ')}, got ${forcing ? `[${forcing.shape.join(',')}]` : 'none'}`);
  // time index (step boundary) of each forcing channel relative to the step's start
  const offsets = forcings.map((f) => forcingStepOffset(f));
  const ones = g.constant(new Float32Array(nlon * nlat).fill(1), [nlon, 1, nlat]);
  const out: Tensor[] = [];
  let state = state0;
  for (let k = 0; k < steps; k++) {
    const parts = [statics];
    if (nt) parts.push(g.mul(ones, g.reshape(g.slice(season, [k], [k + 1], [0]), [1, 2, 1])));
    for (const d of offsets) parts.push(g.slice(forcing!, [k + d], [k + d + 1], [1]));
    const shared = parts.length === 1 ? parts[0] : g.concat(parts, 1);
    const y = model.forwardInternalShared(g, p, state, layout.statics.length + nt + forcings.length ? shared : null);
    state = layout.residual ? g.add(scaledResidual(g, layout, y), state) : y;
    out.push(state);
  }
  return out;
}

/**
 * The forcing input of a rollout in the internal layout [nlon, fields.length, nlat_f] (folded rows) from fields
 * [nlat, nlon] each (row 0 north), one per step boundary.
 */
export function forcingInternal(model: Sfno, fields: readonly Float32Array[]): Float32Array {
  const { nlat, nlon } = model.outer.config.grid;
  const S = fields.length;
  const out = new Float32Array(nlon * S * nlat);
  fields.forEach((f, k) => {
    if (f.length !== nlat * nlon) throw new DatasetError(`forcing field ${k} must hold ${nlat}×${nlon} values, got ${f.length}`);
    model.outer.foldedRows.forEach((row, r) => {
      for (let j = 0; j < nlon; j++) out[(j * S + k) * nlat + r] = f[row * nlon + j];
    });
  });
  return out;
}
