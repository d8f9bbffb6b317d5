// Standard shallow-water test cases (Williamson et al. 1992, J. Comput. Phys. 102, 211–224): analytic initial
// fields on a model's grid and their spectra (float64 reference transforms), plus the analytic facts tests check.
import { createSht } from '../sphere/reference.ts';
import { vorticityDivergenceSpectral } from '../sphere/operators.ts';
import type { ShallowWaterModel, SweState } from './swe.ts';

/** Analytic grid fields of a case: geopotential g·h of the free surface, winds, and the surface height if any. */
export interface CaseFields {
  /** Φ = g·h (free surface), [nlat, nlon] */
  phi: Float64Array;
  /** u (east), v (north), m/s, [nlat, nlon] each */
  u: Float64Array;
  v: Float64Array;
  /** surface height h_s (m) [nlat, nlon], for case 5 */
  orography?: Float64Array;
}

type PointFn = (lat: number, lon: number) => number;

function onGrid(model: { geometry: ShallowWaterModel['geometry'] }, f: PointFn): Float64Array {
  const { latitudes, longitudes } = model.geometry;
  const nlat = latitudes.length;
  const nlon = longitudes.length;
  const out = new Float64Array(nlat * nlon);
  for (let k = 0; k < nlat; k++) for (let j = 0; j < nlon; j++) out[k * nlon + j] = f(latitudes[k], longitudes[j]);
  return out;
}

/** Constants of the cases (Williamson et al. use a = 6.37122e6 m, Ω = 7.292e-5 1/s, g = 9.80616 m/s²). */
function consts(model: ShallowWaterModel) {
  return { a: model.options.radius, omega: model.options.omega, g: model.options.gravity };
}

/** Case 2: steady zonal geostrophic flow, rotated by α; u0 = 2πa/12 days, g·h0 = 2.94e4 m²/s². */
export function williamson2(model: ShallowWaterModel, alpha = 0): CaseFields {
  const { a, omega, g } = consts(model);
  const u0 = (2 * Math.PI * a) / (12 * 86400);
  const gh0 = 2.94e4;
  const ca = Math.cos(alpha);
  const sa = Math.sin(alpha);
  void g;
  return {
    u: onGrid(model, (p, l) => u0 * (Math.cos(p) * ca + Math.cos(l) * Math.sin(p) * sa)),
    v: onGrid(model, (_p, l) => -u0 * Math.sin(l) * sa),
    phi: onGrid(model, (p, l) => gh0 - (a * omega * u0 + (u0 * u0) / 2) * (-Math.cos(l) * Math.cos(p) * sa + Math.sin(p) * ca) ** 2),
  };
}

/** The mountain of case 5: h_s = 2000 m · (1 − r/R), R = π/9, centred at (λ, φ) = (3π/2, π/6). */
export function williamson5Mountain(model: { geometry: ShallowWaterModel['geometry'] }): Float64Array {
  const R = Math.PI / 9;
  return onGrid(model, (p, l) => {
    const r = Math.sqrt(Math.min(R * R, (l - (3 * Math.PI) / 2) ** 2 + (p - Math.PI / 6) ** 2));
    return 2000 * (1 - r / R);
  });
}

/** Case 5: zonal flow (u0 = 20 m/s, h0 = 5960 m) impinging on the isolated mountain (the model must carry it). */
export function williamson5(model: ShallowWaterModel): CaseFields {
  const { a, omega, g } = consts(model);
  const u0 = 20;
  const h0 = 5960;
  return {
    u: onGrid(model, (p) => u0 * Math.cos(p)),
    v: onGrid(model, () => 0),
    phi: onGrid(model, (p) => g * h0 - (a * omega * u0 + (u0 * u0) / 2) * Math.sin(p) ** 2),
    orography: williamson5Mountain(model),
  };
}

/** Rossby–Haurwitz wave parameters of case 6. */
export const ROSSBY_HAURWITZ = { omega: 7.848e-6, K: 7.848e-6, R: 4, h0: 8000 } as const;

/** Case 6: Rossby–Haurwitz wave of wavenumber 4. */
export function williamson6(model: ShallowWaterModel): CaseFields {
  const { a, omega: Om, g } = consts(model);
  const { omega: w, K, R, h0 } = ROSSBY_HAURWITZ;
  const A = (p: number) => {
    const c = Math.cos(p);
    return (w / 2) * (2 * Om + w) * c * c + 0.25 * K * K * c ** (2 * R) * ((R + 1) * c * c + (2 * R * R - R - 2) - 2 * R * R * c ** -2);
  };
  const B = (p: number) => {
    const c = Math.cos(p);
    return ((2 * (Om + w) * K) / ((R + 1) * (R + 2))) * c ** R * (R * R + 2 * R + 2 - (R + 1) ** 2 * c * c);
  };
  const C = (p: number) => {
    const c = Math.cos(p);
    return 0.25 * K * K * c ** (2 * R) * ((R + 1) * c * c - (R + 2));
  };
  return {
    u: onGrid(model, (p, l) => a * w * Math.cos(p) + a * K * Math.cos(p) ** (R - 1) * (R * Math.sin(p) ** 2 - Math.cos(p) ** 2) * Math.cos(R * l)),
    v: onGrid(model, (p, l) => -a * K * R * Math.cos(p) ** (R - 1) * Math.sin(p) * Math.sin(R * l)),
    phi: onGrid(model, (p, l) => g * h0 + a * a * (A(p) + B(p) * Math.cos(R * l) + C(p) * Math.cos(2 * R * l))),
  };
}

/**
 * Analytic angular phase speed (rad/s, eastward) of the Rossby–Haurwitz pattern for the non-divergent barotropic
 * equation: ν = (R(3 + R)ω − 2Ω)/((1 + R)(2 + R)); the shallow-water wave moves close to it.
 */
export function rossbyHaurwitzPhaseSpeed(omegaEarth: number): number {
  const { omega: w, R } = ROSSBY_HAURWITZ;
  return (R * (3 + R) * w - 2 * omegaEarth) / ((1 + R) * (2 + R));
}

/**
 * Spectra [F, lmax, mmax] (torch-harmonics layout) of one member from grid fields: Φ by the scalar SHT, ζ and δ from
 * the winds (vorticity/divergence by the vector SHT, as torch-harmonics' `vrtdivspec`), a tracer if the model has one.
 */
export function spectraFromGrid(model: ShallowWaterModel, fields: { phi: Float64Array; u: Float64Array; v: Float64Array; tracer?: Float64Array }): { re: Float64Array; im: Float64Array } {
  const { nlat, nlon, lmax, mmax, radius } = model.options;
  const sht = createSht({ kind: model.options.grid, nlat, nlon }, { lmax, mmax, norm: 'ortho', csphase: false });
  const P = nlat * nlon;
  for (const [k, f] of Object.entries(fields)) if (f && f.length !== P) throw new RangeError(`spectraFromGrid: field ${k} has ${f.length} values, expected ${nlat}×${nlon}`);
  if (model.options.tracer && !fields.tracer) throw new RangeError('spectraFromGrid: the model carries a tracer but no tracer field was given');
  const wind = new Float64Array(2 * P);
  wind.set(fields.u, 0);
  wind.set(fields.v, P);
  const vd = vorticityDivergenceSpectral(sht, { data: wind, shape: [2, nlat, nlon] }, radius);
  const phi = sht.forward({ data: fields.phi, shape: [nlat, nlon] });
  const parts = [phi, vd.vorticity, vd.divergence];
  if (model.options.tracer) parts.push(sht.forward({ data: fields.tracer!, shape: [nlat, nlon] }));
  const LM = lmax * mmax;
  const re = new Float64Array(parts.length * LM);
  const im = new Float64Array(parts.length * LM);
  parts.forEach((p, i) => {
    re.set(p.re, i * LM);
    im.set(p.im, i * LM);
  });
  return { re, im };
}

/** A state of `members` copies of one case's fields. */
export function stateFromCase(model: ShallowWaterModel, fields: CaseFields & { tracer?: Float64Array }, members = 1): SweState {
  const one = spectraFromGrid(model, fields);
  const re = new Float64Array(members * one.re.length);
  const im = new Float64Array(members * one.im.length);
  for (let b = 0; b < members; b++) {
    re.set(one.re, b * one.re.length);
    im.set(one.im, b * one.im.length);
  }
  return model.stateFromLM(re, im, members);
}
