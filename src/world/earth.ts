// Real Earth fields for the planet: orography, land fraction and the near-surface temperature climatology (annual
// mean and annual harmonic) as T63 spherical-harmonic spectra, prepared once from the NCL sample files and shipped in
// data/planet/; evaluated on any model grid by an inverse SHT (the regridding).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openNetcdf } from '../io/netcdf.ts';
import { readLatLonField } from '../io/cf.ts';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.ts';
import { gridGeometry, type GridKind } from '../sphere/grid.ts';
import { createSht } from '../sphere/reference.ts';

/** Names of the shipped fields (spectra of the SHT with norm 'ortho', no Condon–Shortley phase). */
export const EARTH_FIELDS = ['orography', 'land_fraction', 'tas_mean', 'tas_cos', 'tas_sin'] as const;
export type EarthFieldName = (typeof EARTH_FIELDS)[number];

/** Spectra [lmax, mmax] (re, im) of each field; tas_cos/tas_sin: T(t) = mean + cos·cos(2πt) + sin·sin(2πt), t in years from 1 January. */
export interface EarthFields {
  lmax: number;
  fields: Record<EarthFieldName, { re: Float64Array; im: Float64Array }>;
  units: Record<EarthFieldName, string>;
  source: string;
}

export const EARTH_DATA_PATH = fileURLToPath(new URL('../../data/planet/earth-t63.safetensors', import.meta.url));
const SOURCE_LMAX = 64;

/**
 * Reads orog_mod1, sftlf_mod1 and tas (12 monthly means of 2005) from `dir` (96×192 Gaussian grids, as in the NCL
 * sample data), and analyses them to T63 spectra. The monthly temperatures are reduced to their annual mean and first
 * annual harmonic (months centred at (k + ½)/12 of the year).
 */
export async function prepareEarthFields(dir: string): Promise<EarthFields> {
  const open = async (name: string) => {
    const path = `${dir}/${name}`;
    if (!existsSync(path)) throw new Error(`prepareEarthFields: ${path} does not exist (expected the NCL sample file ${name})`);
    return openNetcdf(path);
  };
  const grid = { kind: 'legendre-gauss' as GridKind, nlat: 96, nlon: 192 };
  const geo = gridGeometry(grid);
  const checkGrid = (f: { lat: Float64Array; lon: Float64Array; name: string }) => {
    if (f.lat.length !== 96 || f.lon.length !== 192) throw new Error(`prepareEarthFields: ${f.name} is on a ${f.lat.length}×${f.lon.length} grid; expected the 96×192 Gaussian grid`);
    f.lat.forEach((v, k) => {
      if (Math.abs(v - geo.latitudesDeg[k]) > 1e-4) throw new Error(`prepareEarthFields: ${f.name} latitude ${k} is ${v}, not the Gaussian latitude ${geo.latitudesDeg[k]}`);
    });
    f.lon.forEach((v, j) => {
      if (Math.abs(v - geo.longitudesDeg[j]) > 1e-4) throw new Error(`prepareEarthFields: ${f.name} longitude ${j} is ${v}, expected ${geo.longitudesDeg[j]}`);
    });
  };
  const sht = createSht(grid, { lmax: SOURCE_LMAX, mmax: SOURCE_LMAX, norm: 'ortho', csphase: false });
  const analyse = (data: ArrayLike<number>) => {
    const c = sht.forward({ data: Float64Array.from(data), shape: [96, 192] });
    return { re: c.re, im: c.im };
  };
  const orog = readLatLonField(await open('orog_mod1_rectilinear_grid_2D.nc'), 'orog', { units: 'm' });
  checkGrid(orog);
  const sftlf = readLatLonField(await open('sftlf_mod1_rectilinear_grid_2D.nc'), 'sftlf', { units: '%' });
  checkGrid(sftlf);
  const tasFile = await open('tas_rectilinear_grid_2D.nc');
  const P = 96 * 192;
  const mean = new Float64Array(P);
  const cos = new Float64Array(P);
  const sin = new Float64Array(P);
  for (let k = 0; k < 12; k++) {
    const t = readLatLonField(tasFile, 'tas', { select: { time: { index: k } }, units: 'K' });
    checkGrid(t);
    const phase = (2 * Math.PI * (k + 0.5)) / 12;
    for (let i = 0; i < P; i++) {
      const v = t.data[i];
      if (!(v > 150 && v < 350)) throw new Error(`prepareEarthFields: tas month ${k + 1} point ${i} is ${v} K (missing or not a temperature)`);
      mean[i] += v / 12;
      cos[i] += (v * Math.cos(phase)) / 6;
      sin[i] += (v * Math.sin(phase)) / 6;
    }
  }
  return {
    lmax: SOURCE_LMAX,
    fields: {
      orography: analyse(orog.data),
      land_fraction: analyse(Float64Array.from(sftlf.data, (v) => v / 100)),
      tas_mean: analyse(mean),
      tas_cos: analyse(cos),
      tas_sin: analyse(sin),
    },
    units: { orography: 'm', land_fraction: '1', tas_mean: 'K', tas_cos: 'K', tas_sin: 'K' },
    source: 'NCL sample data (libncarg-data 6.6.2): orog_mod1/sftlf_mod1 (CMIP5 model, 96x192 Gaussian) and tas_rectilinear_grid_2D.nc (MPI-ESM-LR historical 2005 monthly means)',
  };
}

/** Writes the fields as float32 spectra [lmax, mmax] (`<name>_re`, `<name>_im`) with provenance metadata. */
export function saveEarthFields(fields: EarthFields, path = EARTH_DATA_PATH): void {
  const tensors: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {};
  for (const n of EARTH_FIELDS) {
    tensors[`${n}_re`] = { dtype: 'float32', shape: [fields.lmax, fields.lmax], data: Float32Array.from(fields.fields[n].re) };
    tensors[`${n}_im`] = { dtype: 'float32', shape: [fields.lmax, fields.lmax], data: Float32Array.from(fields.fields[n].im) };
  }
  saveSafetensors(path, tensors, {
    lmax: String(fields.lmax),
    convention: 'torch-harmonics RealSHT spectra [l, m], norm ortho, no Condon-Shortley phase; longitudes from 0 east',
    units: JSON.stringify(fields.units),
    source: fields.source,
  });
}

let cached: EarthFields | null = null;

/** Loads the shipped fields (data/planet/earth-t63.safetensors) or those at `path`. */
export function loadEarthFields(path = EARTH_DATA_PATH): EarthFields {
  if (path === EARTH_DATA_PATH && cached) return cached;
  if (!existsSync(path)) throw new Error(`Earth fields ${path} are missing; create them with 'myriad world prepare-data --from <dir of the NCL sample files>'`);
  const st = loadSafetensors(path);
  const lmax = Number(st.metadata?.lmax);
  const fields = {} as EarthFields['fields'];
  for (const n of EARTH_FIELDS) {
    const re = st.tensors.get(`${n}_re`);
    const im = st.tensors.get(`${n}_im`);
    if (!re || !im) throw new Error(`Earth fields ${path}: tensor ${n}_re/_im is missing`);
    fields[n] = { re: Float64Array.from(re.data as ArrayLike<number>), im: Float64Array.from(im.data as ArrayLike<number>) };
  }
  const out: EarthFields = { lmax, fields, units: JSON.parse(st.metadata?.units ?? '{}'), source: st.metadata?.source ?? '' };
  if (path === EARTH_DATA_PATH) cached = out;
  return out;
}

const shtCache = new Map<string, ReturnType<typeof createSht>>();

/**
 * One field on a model grid (row 0 north), synthesised from its spectra truncated to degrees < `lmax` (default: the
 * grid's alias-free limit), with an optional smoothing factor per degree.
 */
export function earthFieldOnGrid(
  earth: EarthFields,
  name: EarthFieldName,
  grid: { kind: GridKind; nlat: number; nlon: number },
  lmax?: number,
  smoothing?: (l: number) => number,
): Float64Array {
  const L = Math.min(earth.lmax, lmax ?? earth.lmax, grid.kind === 'legendre-gauss' ? grid.nlat : Math.floor((grid.nlat + 1) / 2), Math.floor(grid.nlon / 2) + 1);
  const key = `${grid.kind}:${grid.nlat}:${grid.nlon}:${L}`;
  let sht = shtCache.get(key);
  if (!sht) {
    sht = createSht(grid, { lmax: L, mmax: L, norm: 'ortho', csphase: false });
    shtCache.set(key, sht);
  }
  const src = earth.fields[name];
  const re = new Float64Array(L * L);
  const im = new Float64Array(L * L);
  for (let l = 0; l < L; l++)
    for (let m = 0; m <= l; m++) {
      const s = smoothing ? smoothing(l) : 1;
      re[l * L + m] = src.re[l * earth.lmax + m] * s;
      im[l * L + m] = src.im[l * earth.lmax + m] * s;
    }
  return sht.inverse({ re, im, shape: [L, L] }).data;
}
