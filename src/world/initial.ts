// Real initial states: winds read from a CF NetCDF file (NetCDF3 or NetCDF4/HDF5) at one pressure level, regridded
// bilinearly to the model grid, the rotational part kept (vorticity; divergence zero), and the geopotential from
// nonlinear balance (∂δ/∂t = 0: ∇²Φ = k·∇×((ζ + f)u) − ∇²|u|²/2) around a chosen mean height.
import { openNetcdf } from '../io/netcdf.ts';
import { readLatLonField, type LatLonField } from '../io/cf.ts';
import { createSht } from '../sphere/reference.ts';
import { vorticityDivergenceSpectral, windFromVorticityDivergence } from '../sphere/operators.ts';
import type { ComplexTensor } from '../sphere/grid.ts';
import type { SphericalHarmonicTransform } from '../sphere/reference.ts';
import type { ShallowWaterModel, SweState } from './swe.ts';

export interface RealInitialOptions {
  /** pressure level (hPa) selected on the vertical axis; default 500; null for single-level files (no vertical axis) */
  levelHPa?: number | null;
  /** variable names of the eastward and northward wind; default U, V */
  u?: string;
  v?: string;
  /** mean free-surface height of the balanced layer (m); default 5500 (a 500-hPa-like layer) */
  meanHeight?: number;
  /** index along a time axis, if the variables have one; default 0 */
  timeIndex?: number;
}

/** Bilinear interpolation of a (row 0 north, longitudes increasing) field to target latitudes/longitudes (degrees). */
export function bilinearRegrid(f: LatLonField, targetLat: ArrayLike<number>, targetLon: ArrayLike<number>): Float64Array {
  const nlat = f.lat.length;
  const nlon = f.lon.length;
  if (f.data.length < nlat * nlon) throw new RangeError(`bilinearRegrid: field ${f.name} holds ${f.data.length} values, fewer than ${nlat}×${nlon}`);
  const out = new Float64Array(targetLat.length * targetLon.length);
  const lon0 = f.lon[0];
  const span = f.lon[nlon - 1] - lon0 + (f.lon[1] - f.lon[0]);
  const global = Math.abs(span - 360) < 1e-3 * 360;
  for (let i = 0; i < targetLat.length; i++) {
    const la = targetLat[i];
    // rows descend: find k with lat[k] >= la >= lat[k+1]; clamp beyond the outermost rows
    let k = 0;
    while (k < nlat - 2 && f.lat[k + 1] > la) k++;
    const wy = la >= f.lat[0] ? 0 : la <= f.lat[nlat - 1] ? 1 : (f.lat[k] - la) / (f.lat[k] - f.lat[k + 1]);
    const k0 = la <= f.lat[nlat - 1] ? nlat - 2 : k;
    for (let j = 0; j < targetLon.length; j++) {
      let lo = targetLon[j] - lon0;
      if (global) lo = ((lo % 360) + 360) % 360;
      const x = (lo / span) * nlon;
      let j0 = Math.floor(x);
      const wx = x - j0;
      let j1 = j0 + 1;
      if (global) {
        j0 %= nlon;
        j1 %= nlon;
      } else if (j0 < 0 || j1 >= nlon) throw new RangeError(`bilinearRegrid: longitude ${targetLon[j]} is outside the field's longitudes ${f.lon[0]}..${f.lon[nlon - 1]}`);
      const a = f.data[k0 * nlon + j0] * (1 - wx) + f.data[k0 * nlon + j1] * wx;
      const b = f.data[(k0 + 1) * nlon + j0] * (1 - wx) + f.data[(k0 + 1) * nlon + j1] * wx;
      out[i * targetLon.length + j] = a * (1 - wy) + b * wy;
    }
  }
  return out;
}

/**
 * Reads winds at `levelHPa` from a CF file, regrids them to `model`'s grid and builds a balanced state (Φ from nonlinear
 * balance, ζ from the winds, δ = 0; tracer, if the model carries one, zero). Files without latitude/longitude
 * coordinates, with non-monotone axes, without the level, or with winds not in m/s are refused with the reader's
 * message naming the file, variable and problem.
 */
export async function realInitialState(model: ShallowWaterModel, path: string, options: RealInitialOptions = {}): Promise<{ state: SweState; wind: { u: Float64Array; v: Float64Array }; height: Float64Array }> {
  const level = options.levelHPa === null ? null : (options.levelHPa ?? 500);
  const file = await openNetcdf(path);
  let uf: LatLonField;
  let vf: LatLonField;
  try {
    const select = (name: string) => {
      const info = file.vars[name];
      if (!info) throw new Error(`${path}: no wind variable "${name}" (it has: ${Object.keys(file.vars).join(', ')})`);
      const sel: Record<string, { index: number } | { value: number; units?: string }> = {};
      for (const d of info.dims.slice(0, -2)) {
        const cv = file.vars[d];
        const units = String((cv?.attrs as Record<string, unknown> | undefined)?.units ?? '');
        if (/pa$/i.test(units) || /^(lev|level|plev|pressure)$/i.test(d)) {
          if (level === null) throw new Error(`${path}: variable ${name} has a pressure axis ${d}; choose a level (levelHPa)`);
          sel.vertical = { value: level, units: 'hPa' };
        } else sel[d] = { index: options.timeIndex ?? 0 };
      }
      if (level !== null && info.dims.length > 2 && !('vertical' in sel))
        throw new Error(`${path}: variable ${name} has dimensions (${info.dims.join(', ')}) but none is a pressure axis to select ${level} hPa on (pass levelHPa: null for a single-level file)`);
      return sel;
    };
    uf = readLatLonField(file, options.u ?? 'U', { select: select(options.u ?? 'U'), units: 'm s-1' });
    vf = readLatLonField(file, options.v ?? 'V', { select: select(options.v ?? 'V'), units: 'm s-1' });
  } finally {
    file.close();
  }
  for (const f of [uf, vf]) {
    const fill = -999;
    for (const x of f.data) if (!Number.isFinite(x) || x === fill || Math.abs(x) > 200) throw new Error(`${path}: wind ${f.name} holds ${x}, not a wind speed in m/s (missing values are not supported)`);
  }
  const o = model.options;
  const geo = model.geometry;
  const u = bilinearRegrid(uf, geo.latitudesDeg, geo.longitudesDeg);
  const v = bilinearRegrid(vf, geo.latitudesDeg, geo.longitudesDeg);
  const sht = createSht({ kind: o.grid, nlat: o.nlat, nlon: o.nlon }, { lmax: o.lmax, mmax: o.mmax, norm: 'ortho', csphase: false });
  const P = o.nlat * o.nlon;
  const wind = new Float64Array(2 * P);
  wind.set(u, 0);
  wind.set(v, P);
  const vd = vorticityDivergenceSpectral(sht, { data: wind, shape: [2, o.nlat, o.nlon] }, o.radius);
  const balanced = balancedGeopotential(model, sht, vd.vorticity, 'nonlinear');
  const L = o.lmax;
  const M = o.mmax;
  const F = model.nFields;
  const re = new Float64Array(F * L * M);
  const im = new Float64Array(F * L * M);
  const meanPhi = o.gravity * (options.meanHeight ?? 5500);
  re.set(balanced.re, 0);
  im.set(balanced.im, 0);
  for (let l = 0; l < L; l++)
    for (let m = 0; m < M && m <= l; m++) {
      re[L * M + l * M + m] = vd.vorticity.re[l * M + m];
      im[L * M + l * M + m] = vd.vorticity.im[l * M + m];
    }
  re[0] += Math.sqrt(4 * Math.PI) * meanPhi;
  const state = model.stateFromLM(re, im, 1);
  const phi = sht.inverse({ re: re.slice(0, L * M), im: im.slice(0, L * M), shape: [L, M] }).data;
  return { state, wind: { u, v }, height: Float64Array.from(phi, (p) => p / o.gravity) };
}

/**
 * Spectra [lmax, mmax] (l ≥ m filled) of the geopotential in balance with the non-divergent wind u_ψ of `vorticity`
 * (the model's truncation, norm "ortho"): 'nonlinear' ∇²Φ = k·∇×((ζ + f)u_ψ) − ∇²|u_ψ|²/2 (∂δ/∂t = 0), 'linear'
 * ∇²Φ = k·∇×(f u_ψ) = ∇·(f∇ψ). The l = 0 coefficient holds only the −|u_ψ|²/2 mean of the nonlinear form.
 */
export function balancedGeopotential(model: ShallowWaterModel, sht: SphericalHarmonicTransform, vorticity: ComplexTensor, balance: 'nonlinear' | 'linear'): { re: Float64Array; im: Float64Array } {
  const o = model.options;
  const L = o.lmax;
  const M = o.mmax;
  const P = o.nlat * o.nlon;
  const zero = { re: new Float64Array(vorticity.re.length), im: new Float64Array(vorticity.re.length), shape: vorticity.shape };
  const rot = windFromVorticityDivergence(sht, vorticity, zero, o.radius).data;
  const nonlinear = balance === 'nonlinear';
  const zeta = nonlinear ? sht.inverse(vorticity).data : null;
  const flux = new Float64Array(2 * P);
  const ke = nonlinear ? new Float64Array(P) : null;
  for (let k = 0; k < o.nlat; k++) {
    const f = 2 * o.omega * Math.sin(model.geometry.latitudes[k]);
    for (let j = 0; j < o.nlon; j++) {
      const i = k * o.nlon + j;
      const a = zeta ? zeta[i] + f : f;
      flux[i] = rot[i] * a;
      flux[P + i] = rot[P + i] * a;
      if (ke) ke[i] = 0.5 * (rot[i] ** 2 + rot[P + i] ** 2);
    }
  }
  const A = vorticityDivergenceSpectral(sht, { data: flux, shape: [2, o.nlat, o.nlon] }, o.radius).vorticity; // curl part
  const K = ke ? sht.forward({ data: ke, shape: [o.nlat, o.nlon] }) : null;
  const re = new Float64Array(L * M);
  const im = new Float64Array(L * M);
  for (let l = 0; l < L; l++)
    for (let m = 0; m < M && m <= l; m++) {
      const idx = l * M + m;
      const invlap = l === 0 ? 0 : (-o.radius * o.radius) / (l * (l + 1));
      re[idx] = invlap * A.re[idx] - (K ? K.re[idx] : 0);
      im[idx] = invlap * A.im[idx] - (K ? K.im[idx] : 0);
    }
  return { re, im };
}
