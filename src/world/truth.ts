// Truth datasets of the planet: 6-hourly u, v, height and tracer on the 64×128 Gauss forecast grid written to a Zarr v3
// store with CF attributes, resumable after interruption (a checkpoint of the model state is saved atomically after
// every durable chunk), and per-point monthly climate statistics of such a store.
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createZarrArray,
  createZarrGroup,
  createZarrStore,
  openZarrGroup,
  flushZarr,
  openZarrArray,
  openZarrStore,
  readZarrArray,
  readZarrRegion,
  writeZarrArray,
  writeZarrRegion,
  type ZarrGroup,
} from '../io/zarr.ts';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.ts';
import { ShallowWaterModel, type SweState } from './swe.ts';
import { FORECAST_GRID, Planet, planetConfig, YEAR_SECONDS, type PlanetConfig } from './planet.ts';
import { noleapHoursFromIso, noleapMonth } from './calendar.ts';

/** Re-exported: the noleap calendar lives in calendar.ts. */
export { noleapHoursFromIso, noleapMonth };

export const TIME_UNITS = 'hours since 2000-01-01 00:00:00';
export const CALENDAR = 'noleap';
export const OUTPUT_HOURS = 6;
/** time steps per Zarr chunk along time (one day of 6-hourly fields) */
export const TIME_CHUNK = 4;
export const SHIPPED_STATE_PATH = fileURLToPath(new URL('../../data/planet/spun-up-state.safetensors', import.meta.url));

/** What `myriad world run --config FILE` reads (JSON). */
export interface TruthRunConfig {
  /** simulated days written (6-hourly, starting at the initial time) */
  days: number;
  /**
   * initial state: the shipped spun-up state (default; its time of year), a resting start, or `{ state: PATH }`, a
   * saved state (e.g. another truth store's `myriad-checkpoint.safetensors`; PATH relative to the working directory)
   * whose clock continues unchanged, with its Adams–Bashforth history when it was saved by the same planet config
   * (then the new store continues that run exactly, as if it had not stopped)
   */
  start?: 'shipped' | 'rest' | { state: string };
  /** days run before the first output (not written) */
  spinupDays?: number;
  /** planet parameters over the defaults (see src/world/planet.ts) */
  planet?: Partial<PlanetConfig> & { truth?: Partial<PlanetConfig['truth']> };
  /** steps per engine session call */
  stepsPerCall?: number;
  /** engine threads */
  threads?: number;
}

export function parseTruthRunConfig(text: string, source = 'config'): TruthRunConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${source}: expected a JSON object`);
  const c = raw as Record<string, unknown>;
  const known = ['days', 'start', 'spinupDays', 'planet', 'stepsPerCall', 'threads'];
  for (const k of Object.keys(c)) if (!known.includes(k)) throw new Error(`${source}: unknown key '${k}' (known: ${known.join(', ')})`);
  const days = c.days;
  if (!(typeof days === 'number' && days > 0 && Number.isFinite(days) && Math.abs(days * 4 - Math.round(days * 4)) < 1e-9))
    throw new Error(`${source}: days must be a positive multiple of 0.25, got ${JSON.stringify(days)}`);
  const startOk =
    c.start === undefined || c.start === 'shipped' || c.start === 'rest' ||
    (c.start !== null && typeof c.start === 'object' && !Array.isArray(c.start) && Object.keys(c.start).length === 1 && typeof (c.start as { state?: unknown }).state === 'string' && (c.start as { state: string }).state !== '');
  if (!startOk) throw new Error(`${source}: start must be "shipped", "rest" or {"state": "PATH of a saved state"}, got ${JSON.stringify(c.start)}`);
  if (typeof c.start === 'object' && !existsSync((c.start as { state: string }).state)) throw new Error(`${source}: start.state: no file ${(c.start as { state: string }).state}`);
  if (c.spinupDays !== undefined && !(typeof c.spinupDays === 'number' && c.spinupDays >= 0)) throw new Error(`${source}: spinupDays must be a number ≥ 0, got ${JSON.stringify(c.spinupDays)}`);
  if (c.stepsPerCall !== undefined && !(Number.isInteger(c.stepsPerCall) && (c.stepsPerCall as number) > 0)) throw new Error(`${source}: stepsPerCall must be a positive integer`);
  if (c.threads !== undefined && !(Number.isInteger(c.threads) && (c.threads as number) > 0)) throw new Error(`${source}: threads must be a positive integer`);
  if (c.planet !== undefined && (c.planet === null || typeof c.planet !== 'object')) throw new Error(`${source}: planet must be an object`);
  planetConfig((c.planet ?? {}) as Partial<PlanetConfig>); // validates
  return c as unknown as TruthRunConfig;
}

// ------------------------------------------------------------------ states on disk

/** Saves a state with its time and the planet config it belongs to, atomically; `compact`: float32 spectra, no history. */
export function saveState(path: string, model: ShallowWaterModel, state: SweState, timeSeconds: number, config: PlanetConfig, extra: Record<string, string> = {}, compact = false): void {
  mkdirSync(dirname(path), { recursive: true });
  const { re, im } = model.lmFromState(state);
  const hist = compact ? { h1: new Float64Array(0), h2: new Float64Array(0), steps: 0 } : state.history;
  const n = hist.h1.length;
  const f32 = compact || model.dtype === 'float32';
  const t = (a: ArrayLike<number>) => (f32 ? { dtype: 'float32' as const, data: Float32Array.from(a) } : { dtype: 'float64' as const, data: Float64Array.from(a) });
  const { lmax, mmax } = model.options;
  saveSafetensors(
    path,
    {
      spectra_re: { ...t(re), shape: [state.members, model.nFields, lmax, mmax] },
      spectra_im: { ...t(im), shape: [state.members, model.nFields, lmax, mmax] },
      ab_h1: { ...t(hist.h1), shape: [n] },
      ab_h2: { ...t(hist.h2), shape: [n] },
    },
    { time_seconds: String(timeSeconds), ab_steps: String(hist.steps), members: String(state.members), planet: JSON.stringify(config), fields: model.fields.join(','), ...extra },
  );
}

export interface SavedState {
  re: Float64Array;
  im: Float64Array;
  lmax: number;
  members: number;
  timeSeconds: number;
  abSteps: number;
  h1: Float64Array;
  h2: Float64Array;
  planet: PlanetConfig;
  metadata: Record<string, string>;
}

export function loadState(path: string): SavedState {
  if (!existsSync(path)) throw new Error(`state file ${path} does not exist`);
  const st = loadSafetensors(path);
  const get = (n: string) => {
    const t = st.tensors.get(n);
    if (!t) throw new Error(`state file ${path}: tensor ${n} missing`);
    return { data: Float64Array.from(t.data as ArrayLike<number>), shape: t.shape };
  };
  const re = get('spectra_re');
  const meta = st.metadata ?? {};
  return {
    re: re.data,
    im: get('spectra_im').data,
    lmax: re.shape[2],
    members: re.shape[0],
    timeSeconds: Number(meta.time_seconds),
    abSteps: Number(meta.ab_steps),
    h1: get('ab_h1').data,
    h2: get('ab_h2').data,
    planet: JSON.parse(meta.planet ?? '{}') as PlanetConfig,
    metadata: meta,
  };
}

/** A saved state as a state of `model`: exact when the truncation matches (history kept), else truncated/zero-padded (fresh start). */
export function stateForModel(model: ShallowWaterModel, saved: SavedState): SweState {
  const { lmax, mmax } = model.options;
  const F = model.nFields;
  const B = saved.members;
  const L = saved.lmax;
  const re = new Float64Array(B * F * lmax * mmax);
  const im = new Float64Array(re.length);
  for (let b = 0; b < B; b++)
    for (let f = 0; f < F; f++)
      for (let l = 0; l < Math.min(L, lmax); l++)
        for (let m = 0; m <= l && m < mmax; m++) {
          re[((b * F + f) * lmax + l) * mmax + m] = saved.re[((b * F + f) * L + l) * L + m];
          im[((b * F + f) * lmax + l) * mmax + m] = saved.im[((b * F + f) * L + l) * L + m];
        }
  const state = model.stateFromLM(re, im, B);
  const n = state.spec.length;
  if (L === lmax && saved.h1.length === n) {
    const conv = (a: Float64Array) => (model.dtype === 'float64' ? a : Float32Array.from(a));
    state.history = { h1: conv(saved.h1), h2: conv(saved.h2), steps: saved.abSteps };
  }
  return state;
}

// ------------------------------------------------------------------ forecast-grid output

/** Coarsens truth states to the forecast grid: spectra truncated to T42, synthesised on the 64×128 Gauss grid. */
export class ForecastGridOutput {
  readonly model: ShallowWaterModel;
  constructor(readonly truth: ShallowWaterModel) {
    this.model = new ShallowWaterModel({ nlat: FORECAST_GRID.nlat, nlon: FORECAST_GRID.nlon, grid: FORECAST_GRID.kind, lmax: FORECAST_GRID.lmax, dt: truth.options.dt, dtype: truth.dtype, tracer: truth.options.tracer }, truth.threads);
  }

  /** u, v (m/s), height = Φ/g (m, free surface) and tracer on the forecast grid, float32 [nlat·nlon] each (member 0). */
  async fields(state: SweState): Promise<{ u: Float32Array; v: Float32Array; height: Float32Array; tracer: Float32Array }> {
    const { lmax, mmax } = this.truth.options;
    const L = this.model.options.lmax;
    const F = this.truth.nFields;
    const { re, im } = this.truth.lmFromState(state);
    const r = new Float64Array(F * L * L);
    const i = new Float64Array(F * L * L);
    for (let f = 0; f < F; f++)
      for (let l = 0; l < L; l++)
        for (let m = 0; m <= l; m++) {
          r[(f * L + l) * L + m] = re[(f * lmax + l) * mmax + m];
          i[(f * L + l) * L + m] = im[(f * lmax + l) * mmax + m];
        }
    const g = await this.model.grid(this.model.stateFromLM(r, i, 1));
    const P = FORECAST_GRID.nlat * FORECAST_GRID.nlon;
    const gr = this.model.options.gravity;
    return {
      u: Float32Array.from(g.wind.subarray(0, P)),
      v: Float32Array.from(g.wind.subarray(P, 2 * P)),
      height: Float32Array.from(g.fields.subarray(0, P), (x) => x / gr),
      tracer: Float32Array.from(g.fields.subarray(3 * P, 4 * P)),
    };
  }
}

// ------------------------------------------------------------------ the run

const CHECKPOINT = 'myriad-checkpoint.safetensors';

export interface TruthRunProgress {
  written: number;
  total: number;
  simulatedDays: number;
}

/**
 * Runs the planet and writes the truth store at `out` (created, or resumed when it holds a checkpoint of the same
 * config). Progress is reported after every durable chunk.
 */
export async function runTruth(configText: string, out: string, onProgress?: (p: TruthRunProgress) => void, source = 'config'): Promise<{ resumed: boolean; written: number }> {
  const cfg = parseTruthRunConfig(configText, source);
  const planetCfg = planetConfig(cfg.planet ?? {});
  const planet = new Planet(planetCfg, planetCfg.truth, cfg.threads);
  const model = planet.model;
  const output = new ForecastGridOutput(model);
  const ntime = Math.round(cfg.days * 4) + 1;
  const perCall = cfg.stepsPerCall ?? 12;
  const { nlat, nlon } = FORECAST_GRID;
  const checkpointPath = join(out, CHECKPOINT);
  const configJson = JSON.stringify({ ...cfg, planet: planetCfg });
  let group: ZarrGroup;
  let state: SweState;
  let t: number;
  let written: number;
  let resumed = false;
  if (existsSync(checkpointPath)) {
    const saved = loadState(checkpointPath);
    if (saved.metadata.run_config !== configJson) throw new Error(`cannot resume ${out}: it was started with a different config (${saved.metadata.run_config}); use a new output path`);
    group = await openZarrStore(out);
    state = stateForModel(model, saved);
    t = saved.timeSeconds;
    written = Number(saved.metadata.written);
    resumed = true;
  } else {
    if (existsSync(out) && existsSync(join(out, 'zarr.json'))) throw new Error(`${out} already holds a Zarr store without a myriad checkpoint; refusing to overwrite it`);
    // initial state
    let t0 = 0;
    const start = cfg.start ?? 'shipped';
    if (start === 'shipped') {
      const saved = loadState(SHIPPED_STATE_PATH);
      state = stateForModel(model, saved);
      state = model.fresh(state.spec, state.members); // a changed config starts its own AB history
      t0 = saved.timeSeconds % YEAR_SECONDS;
    } else if (typeof start === 'object') {
      const saved = loadState(start.state);
      if (saved.members !== 1) throw new Error(`start.state ${start.state}: holds ${saved.members} members, a truth run needs 1`);
      if (!Number.isFinite(saved.timeSeconds)) throw new Error(`start.state ${start.state}: no valid time_seconds in its metadata`);
      state = stateForModel(model, saved);
      // the same planet: the run continues with its history; another config starts its own
      if (JSON.stringify(saved.planet) !== JSON.stringify(planetCfg)) state = model.fresh(state.spec, state.members);
      t0 = saved.timeSeconds;
    } else state = planet.initialState(0, 1);
    t = t0;
    if (cfg.spinupDays) {
      state = await planet.advance(state, t, cfg.spinupDays * 86400, perCall);
      t += cfg.spinupDays * 86400;
    }
    group = await createZarrStore(out, {
      attrs: {
        title: 'myriad planet truth (shallow-water world), 6-hourly on the forecast grid',
        Conventions: 'CF-1.8',
        grid: 'legendre-gauss',
        grid_nlat: nlat,
        grid_nlon: nlon,
        grid_truncation_lmax: FORECAST_GRID.lmax,
        truth_resolution: `Gauss ${planetCfg.truth.nlat}x${2 * planetCfg.truth.nlat}, lmax ${planetCfg.truth.lmax}, dt ${planetCfg.truth.dt} s`,
        coarsening: 'truth spectra truncated to l < 43 and synthesised on the 64x128 Gauss grid',
        physics: JSON.parse(JSON.stringify(planetCfg)),
        run_config: JSON.parse(configJson),
        start_time_seconds_of_year: t,
      },
    });
    const geo = output.model.geometry;
    const time = Float64Array.from({ length: ntime }, (_, k) => t / 3600 + k * OUTPUT_HOURS);
    const coord = async (name: string, data: Float64Array, attrs: Record<string, unknown>) => {
      const a = await createZarrArray(group, name, { shape: [data.length], chunks: [data.length], dtype: 'float64', dims: [name], attrs });
      await writeZarrArray(a, { data, shape: [data.length] });
    };
    await coord('time', time, { units: TIME_UNITS, calendar: CALENDAR, standard_name: 'time', long_name: 'time', axis: 'T' });
    await coord('lat', Float64Array.from(geo.latitudesDeg), { units: 'degrees_north', standard_name: 'latitude', long_name: 'latitude (Gauss, row 0 north)', axis: 'Y' });
    await coord('lon', Float64Array.from(geo.longitudesDeg), { units: 'degrees_east', standard_name: 'longitude', long_name: 'longitude', axis: 'X' });
    const forecastPlanet = new Planet(planetCfg, { nlat, lmax: FORECAST_GRID.lmax, dt: planetCfg.truth.dt }, cfg.threads);
    const stat = async (name: string, data: Float64Array, attrs: Record<string, unknown>) => {
      const a = await createZarrArray(group, name, { shape: [nlat, nlon], chunks: [nlat, nlon], dtype: 'float32', dims: ['lat', 'lon'], attrs });
      await writeZarrArray(a, { data: Float32Array.from(data), shape: [nlat, nlon] });
    };
    await stat('orography', forecastPlanet.orography, { units: 'm', standard_name: 'surface_altitude', long_name: `surface height seen by the model (real orography x ${planetCfg.orographyScale}, T42)` });
    await stat('land_fraction', forecastPlanet.landFraction, { units: '1', standard_name: 'land_area_fraction', long_name: 'land area fraction (T42, clipped to [0, 1])' });
    const fields: [string, string, string, string][] = [
      ['u', 'm s-1', 'eastward_wind', 'eastward wind'],
      ['v', 'm s-1', 'northward_wind', 'northward wind'],
      ['height', 'm', 'height_above_reference_ellipsoid', 'free-surface height of the fluid layer (geopotential / g)'],
      ['tracer', 'K', 'air_temperature', 'temperature-like tracer relaxed towards near-surface temperature climatology'],
    ];
    for (const [name, units, standard, long] of fields)
      await createZarrArray(group, name, { shape: [ntime, nlat, nlon], chunks: [TIME_CHUNK, nlat, nlon], dtype: 'float32', dims: ['time', 'lat', 'lon'], attrs: { units, standard_name: standard, long_name: long } });
    await flushZarr(group);
    written = 0;
  }
  const arrays = await Promise.all(['u', 'v', 'height', 'tracer'].map((n) => openZarrArray(group, n)));
  const P = nlat * nlon;
  while (written < ntime) {
    const n = Math.min(TIME_CHUNK, ntime - written);
    const block = arrays.map(() => new Float32Array(n * P));
    for (let k = 0; k < n; k++) {
      if (written + k > 0) {
        state = await planet.advance(state, t, OUTPUT_HOURS * 3600, perCall);
        t += OUTPUT_HOURS * 3600;
      }
      const f = await output.fields(state);
      [f.u, f.v, f.height, f.tracer].forEach((x, i) => block[i].set(x, k * P));
    }
    for (let i = 0; i < 4; i++) await writeZarrRegion(arrays[i], [written, 0, 0], { data: block[i], shape: [n, nlat, nlon] });
    await flushZarr(group);
    written += n;
    saveState(checkpointPath, model, state, t, planetCfg, { written: String(written), run_config: configJson });
    onProgress?.({ written, total: ntime, simulatedDays: (written - 1) / 4 });
  }
  return { resumed, written };
}

// ------------------------------------------------------------------ climate statistics

export const CLIMATE_PERCENTILES = [1, 5, 10, 90, 95, 99];


/**
 * Per-point climate statistics per calendar month of each field of a truth store, written into a group `climate` of
 * the same store: `<field>_mean`, `<field>_std`, `<field>_p<q>` [month, lat, lon] (NaN where a month has no data).
 * Percentiles by linear interpolation between order statistics (numpy's default).
 */
export async function writeClimate(storePath: string): Promise<{ months: number[] }> {
  const group = await openZarrStore(storePath);
  const timeArr = await openZarrArray(group, 'time');
  const time = (await readZarrArray(timeArr)).data as Float64Array;
  const months = Array.from(time, noleapMonth);
  const clim = await createZarrGroup(group, 'climate', { description: 'per-point statistics per calendar month (noleap)', percentiles: CLIMATE_PERCENTILES });
  const present = [...new Set(months)].sort((a, b) => a - b);
  for (const name of ['u', 'v', 'height', 'tracer']) {
    const arr = await openZarrArray(group, name);
    const [nt, nlat, nlon] = arr.shape;
    const P = nlat * nlon;
    const all = (await readZarrRegion(arr, [0, 0, 0], [nt, nlat, nlon])).data as Float32Array;
    const stats = ['mean', 'std', ...CLIMATE_PERCENTILES.map((q) => `p${q}`)];
    const out = stats.map(() => new Float32Array(12 * P).fill(NaN));
    for (const m of present) {
      const idx = months.map((x, i) => (x === m ? i : -1)).filter((i) => i >= 0);
      const vals = new Float64Array(idx.length);
      for (let p = 0; p < P; p++) {
        idx.forEach((ti, k) => (vals[k] = all[ti * P + p]));
        let s = 0;
        for (const v of vals) s += v;
        const mean = s / vals.length;
        let ss = 0;
        for (const v of vals) ss += (v - mean) ** 2;
        out[0][m * P + p] = mean;
        out[1][m * P + p] = Math.sqrt(ss / vals.length);
        vals.sort();
        CLIMATE_PERCENTILES.forEach((q, qi) => {
          const pos = (q / 100) * (vals.length - 1);
          const lo = Math.floor(pos);
          const hi = Math.min(lo + 1, vals.length - 1);
          out[2 + qi][m * P + p] = vals[lo] + (vals[hi] - vals[lo]) * (pos - lo);
        });
      }
    }
    const units = (arr.attrs.units as string) ?? '';
    for (let si = 0; si < stats.length; si++) {
      const a = await createZarrArray(clim, `${name}_${stats[si]}`, {
        shape: [12, nlat, nlon],
        chunks: [1, nlat, nlon],
        dtype: 'float32',
        dims: ['month', 'lat', 'lon'],
        attrs: { units, long_name: `${stats[si]} of ${name} per calendar month`, cell_methods: `time: ${stats[si] === 'mean' ? 'mean' : stats[si] === 'std' ? 'standard_deviation' : `percentile ${stats[si].slice(1)}`} within month` },
      });
      await writeZarrArray(a, { data: out[si], shape: [12, nlat, nlon] });
    }
  }
  await flushZarr(group);
  return { months: present };
}

/** Reads a JSON config file with a clear error. */
export function readConfigFile(path: string): string {
  if (!existsSync(path)) throw new Error(`config file ${path} does not exist`);
  return readFileSync(path, 'utf8');
}

// ------------------------------------------------------------------ excerpts


/**
 * Copies the chosen times (noleap hours since 2000-01-01, each present in the source) of a truth store into a new
 * store `out`: the same coordinates, statics, attributes and CF metadata, plus the climate group restricted to the
 * calendar months of those times (other months NaN). Used to ship the demo's verifying truth in the repository.
 */
export async function writeTruthExcerpt(source: string, out: string, hours: number[]): Promise<{ times: number }> {
  const src = await openZarrStore(source);
  const time = (await readZarrArray(await openZarrArray(src, 'time'))).data as Float64Array;
  const index = hours.map((h) => {
    const i = time.indexOf(h);
    if (i < 0) throw new RangeError(`truth excerpt: time ${h} h since 2000-01-01 is not in ${source} (${time[0]}..${time[time.length - 1]} h)`);
    return i;
  });
  if (existsSync(out)) throw new Error(`truth excerpt: ${out} already exists; refusing to overwrite it`);
  const { nlat, nlon } = FORECAST_GRID;
  const group = await createZarrStore(out, { attrs: { ...src.attrs, excerpt_of: 'a myriad planet truth store (6-hourly); selected times only' } });
  const copyCoord = async (name: string, data: Float64Array) => {
    const a = await openZarrArray(src, name);
    const b = await createZarrArray(group, name, { shape: [data.length], chunks: [data.length], dtype: 'float64', dims: [name], attrs: a.attrs, compressionLevel: 19 });
    await writeZarrArray(b, { data, shape: [data.length] });
  };
  await copyCoord('time', Float64Array.from(index, (i) => time[i]));
  for (const name of ['lat', 'lon']) await copyCoord(name, (await readZarrArray(await openZarrArray(src, name))).data as Float64Array);
  for (const name of ['orography', 'land_fraction']) {
    const a = await openZarrArray(src, name);
    const b = await createZarrArray(group, name, { shape: [nlat, nlon], chunks: [nlat, nlon], dtype: 'float32', dims: ['lat', 'lon'], attrs: a.attrs, compressionLevel: 19 });
    await writeZarrArray(b, await readZarrArray(a));
  }
  for (const name of ['u', 'v', 'height', 'tracer']) {
    const a = await openZarrArray(src, name);
    const b = await createZarrArray(group, name, { shape: [index.length, nlat, nlon], chunks: [1, nlat, nlon], dtype: 'float32', dims: ['time', 'lat', 'lon'], attrs: a.attrs, compressionLevel: 19 });
    for (let k = 0; k < index.length; k++) {
      const block = await readZarrRegion(a, [index[k], 0, 0], [1, nlat, nlon]);
      await writeZarrRegion(b, [k, 0, 0], block);
    }
  }
  let climate: ZarrGroup | undefined;
  try {
    climate = await openZarrGroup(src, 'climate');
  } catch {
    climate = undefined;
  }
  if (climate) {
    const months = new Set(hours.map(noleapMonth));
    const clim = await createZarrGroup(group, 'climate', { ...climate.attrs, months_kept: [...months].sort((a, b) => a - b).map((m) => m + 1) });
    for (const name of ['u', 'v', 'height', 'tracer'])
      for (const stat of ['mean', 'std', ...CLIMATE_PERCENTILES.map((q) => `p${q}`)]) {
        const a = await openZarrArray(climate, `${name}_${stat}`);
        const b = await createZarrArray(clim, `${name}_${stat}`, { shape: [12, nlat, nlon], chunks: [1, nlat, nlon], dtype: 'float32', dims: ['month', 'lat', 'lon'], attrs: a.attrs, compressionLevel: 19 });
        for (const m of months) await writeZarrRegion(b, [m, 0, 0], await readZarrRegion(a, [m, 0, 0], [1, nlat, nlon]));
      }
  }
  await flushZarr(group);
  return { times: index.length };
}
