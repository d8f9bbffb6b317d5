// The planet: a forced-dissipative shallow-water world with real orography, depth relaxed towards a seasonal
// jet-forming equilibrium, Rayleigh drag, hyperdiffusion and a passive temperature-like tracer relaxed towards the real
// near-surface temperature climatology. Truth runs at a high resolution; its spectra are truncated to T42 and
// synthesised on the 64×128 Gauss forecast grid.
import { ShallowWaterModel, SWE_CONSTANTS, type SweState, type SweFloat, type SweScheme } from './swe.ts';
import { spectraFromGrid } from './cases.ts';
import { earthFieldOnGrid, loadEarthFields, type EarthFields } from './earth.ts';
import { keyFromSeed, normalFill } from '../engine/random.ts';
import { createSht } from '../sphere/reference.ts';
import { vorticityDivergenceSpectral } from '../sphere/operators.ts';

/** Seconds in the planet's (no-leap) year. */
export const YEAR_SECONDS = 365 * 86400;

export interface PlanetConfig {
  /** truth resolution: Gauss grid nlat × 2·nlat, truncation lmax, time step (s) */
  truth: { nlat: number; lmax: number; dt: number };
  /** floating-point precision of the truth run */
  dtype: 'float32' | 'float64';
  /** mean fluid depth (m) */
  meanDepth: number;
  /** real orography (m) is multiplied by this before it enters the model (the layer is shallow) */
  orographyScale: number;
  /** equilibrium depth: pole-to-equator difference (m), jet latitude and half-width of the tanh step (degrees) */
  heightContrast: number;
  jetLatitude: number;
  jetWidth: number;
  /**
   * vorticity forcing: ζ and δ are relaxed (at the drag rate) towards the vorticity of zonal Gaussian jets of this
   * peak speed (m/s) at the equilibrium jet latitude with e-folding half-width `jetWidth`; 0 = plain drag towards rest
   */
  jetSpeed: number;
  /** seasonal cycle: winter jets move equatorwards by this (degrees) and the contrast grows by this fraction */
  seasonalJetShift: number;
  seasonalContrast: number;
  /** time scales (days): depth relaxation, Rayleigh drag on vorticity and divergence, tracer relaxation */
  relaxationDays: number;
  dragDays: number;
  tracerRelaxationDays: number;
  /** hyperdiffusion e-folding time at the truncation degree (hours) and order (power of l(l+1)) */
  hyperdiffusionHours: number;
  hyperdiffusionOrder: number;
  /** seed of the initial perturbation */
  seed: number;
  /**
   * Transient stirring (off when 0): a random vorticity tendency (s⁻², grid-point rms at the envelope's peak), white in
   * total wavenumber over degrees [stirringMinDegree, stirringMaxDegree], red in time (AR(1) with e-folding time
   * `stirringDays`, knots every 6 h, linear in between), multiplied by Gaussian envelopes of half-width
   * `stirringLatitudeWidth` (degrees; 0 = uniform) centred on ±jetLatitude. It is a pure function of time and
   * `stirringSeed` (counter-based normals), so a run is reproducible whatever its chunking, and twin runs share it.
   * It enters as an offset S/r of the vorticity equilibrium (r the drag rate), i.e. as a tendency S.
   */
  stirringRate: number;
  stirringMinDegree: number;
  stirringMaxDegree: number;
  stirringDays: number;
  stirringLatitudeWidth: number;
  stirringSeed: number;
}

export const DEFAULT_PLANET: PlanetConfig = {
  truth: { nlat: 96, lmax: 64, dt: 300 },
  dtype: 'float64',
  meanDepth: 2000,
  orographyScale: 0.08,
  heightContrast: 300,
  jetLatitude: 45,
  jetWidth: 5,
  jetSpeed: 50,
  seasonalJetShift: 5,
  seasonalContrast: 0.3,
  relaxationDays: 15,
  dragDays: 20,
  tracerRelaxationDays: 4,
  hyperdiffusionHours: 3,
  hyperdiffusionOrder: 4,
  seed: 2000,
  // transient stirring (session 4): what makes the planet chaotic (docs/validation.md, "The planet")
  stirringRate: 8e-10,
  stirringMinDegree: 8,
  stirringMaxDegree: 16,
  stirringDays: 0.5,
  stirringLatitudeWidth: 20,
  stirringSeed: 1,
};

/** Spacing of the stirring's AR(1) knots (s) and the first word of its Philox stream ids. */
export const STIRRING_KNOT_SECONDS = 21600;
const STIRRING_STREAM = 0x53544952; // "STIR"
/** The AR(1) state at a knot is its innovations' sum truncated where φ^J < STIRRING_TAIL (variance lost < 1e-6). */
const STIRRING_TAIL = 1e-3;

/** The forecast grid every truth dataset is written on (and the physics ensemble runs on). */
export const FORECAST_GRID = { kind: 'legendre-gauss' as const, nlat: 64, nlon: 128, lmax: 43 };

/** Merges a partial config over the defaults and checks every value. */
export function planetConfig(partial: Partial<PlanetConfig> & { truth?: Partial<PlanetConfig['truth']> } = {}): PlanetConfig {
  const c: PlanetConfig = { ...DEFAULT_PLANET, ...partial, truth: { ...DEFAULT_PLANET.truth, ...(partial.truth ?? {}) } };
  for (const k of Object.keys(partial))
    if (!(k in DEFAULT_PLANET)) throw new RangeError(`planet config: unknown key '${k}' (known: ${Object.keys(DEFAULT_PLANET).join(', ')})`);
  const pos = (name: string, v: unknown) => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new RangeError(`planet config: ${name} must be a positive number, got ${JSON.stringify(v)}`);
  };
  const nonneg = (name: string, v: unknown) => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new RangeError(`planet config: ${name} must be a number ≥ 0, got ${JSON.stringify(v)}`);
  };
  pos('truth.dt', c.truth.dt);
  if (!Number.isInteger(c.truth.nlat) || c.truth.nlat < 8 || c.truth.nlat % 2) throw new RangeError(`planet config: truth.nlat must be an even integer ≥ 8, got ${c.truth.nlat}`);
  if (!Number.isInteger(c.truth.lmax) || c.truth.lmax < FORECAST_GRID.lmax || c.truth.lmax > c.truth.nlat)
    throw new RangeError(`planet config: truth.lmax must be an integer in [${FORECAST_GRID.lmax}, truth.nlat = ${c.truth.nlat}], got ${c.truth.lmax}`);
  if ((21600 / c.truth.dt) % 1 !== 0) throw new RangeError(`planet config: truth.dt must divide 6 hours (21600 s), got ${c.truth.dt}`);
  if (c.dtype !== 'float32' && c.dtype !== 'float64') throw new RangeError(`planet config: dtype must be float32 or float64, got ${JSON.stringify(c.dtype)}`);
  for (const k of ['meanDepth', 'heightContrast', 'jetLatitude', 'jetWidth', 'relaxationDays', 'dragDays', 'tracerRelaxationDays', 'hyperdiffusionHours', 'hyperdiffusionOrder'] as const) pos(k, c[k]);
  for (const k of ['orographyScale', 'seasonalJetShift', 'seasonalContrast', 'jetSpeed'] as const) nonneg(k, c[k]);
  if (!Number.isInteger(c.seed)) throw new RangeError(`planet config: seed must be an integer, got ${c.seed}`);
  nonneg('stirringRate', c.stirringRate);
  nonneg('stirringLatitudeWidth', c.stirringLatitudeWidth);
  pos('stirringDays', c.stirringDays);
  for (const k of ['stirringMinDegree', 'stirringMaxDegree'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1 || c[k] >= FORECAST_GRID.lmax)
      throw new RangeError(`planet config: ${k} must be an integer in [1, ${FORECAST_GRID.lmax - 1}] (resolved on the forecast grid), got ${JSON.stringify(c[k])}`);
  if (c.stirringMinDegree > c.stirringMaxDegree)
    throw new RangeError(`planet config: stirringMinDegree (${c.stirringMinDegree}) must not exceed stirringMaxDegree (${c.stirringMaxDegree})`);
  if (!Number.isSafeInteger(c.stirringSeed) || c.stirringSeed < 0) throw new RangeError(`planet config: stirringSeed must be a non-negative integer, got ${JSON.stringify(c.stirringSeed)}`);
  return c;
}

/** Season index of the northern hemisphere: +1 in mid-January (winter), −1 in mid-July. */
export function northernWinter(timeSeconds: number): number {
  return Math.cos((2 * Math.PI * (timeSeconds / YEAR_SECONDS - 14.5 / 365)));
}

/** Equilibrium fluid depth (m) at latitude φ (degrees) and time t (s since 1 January). */
export function equilibriumDepth(c: PlanetConfig, latDeg: number, timeSeconds: number): number {
  const winter = northernWinter(timeSeconds) * (latDeg >= 0 ? 1 : -1);
  const contrast = c.heightContrast * (1 + c.seasonalContrast * winter);
  const jet = c.jetLatitude - c.seasonalJetShift * winter;
  return c.meanDepth - (contrast / 2) * Math.tanh((Math.abs(latDeg) - jet) / c.jetWidth);
}

/** Equilibrium zonal wind (m/s) of the vorticity forcing at latitude φ (degrees) and time t. */
export function equilibriumWind(c: PlanetConfig, latDeg: number, timeSeconds: number): number {
  if (c.jetSpeed === 0) return 0;
  const winter = northernWinter(timeSeconds) * (latDeg >= 0 ? 1 : -1);
  const jet = c.jetLatitude - c.seasonalJetShift * winter;
  const speed = c.jetSpeed * (1 + c.seasonalContrast * winter);
  return speed * Math.exp(-(((Math.abs(latDeg) - jet) / c.jetWidth) ** 2));
}

/**
 * The stirring's AR(1) state at time t (s) in the degree band of `c`: real coefficients per (l, m), l in the band,
 * 0 ≤ m ≤ l, in that order, as [re, im] pairs; each component has unit variance (m = 0: re only, variance 2, so the
 * field is isotropic). Knot k (time k·6 h) holds √(1−φ²) Σ_j φ^j ξ_{k−j}, φ = exp(−6 h/τ), ξ_i counter-based normals
 * (Philox stream [STIR, i + 2³¹] under key(stirringSeed)); between knots it is linear in time. `cache` memoises ξ.
 */
export function stirringState(config: PlanetConfig, timeSeconds: number, cache: Map<number, Float64Array> = new Map()): Float64Array {
  const c = config;
  let pairs = 0;
  for (let l = c.stirringMinDegree; l <= c.stirringMaxDegree; l++) pairs += l + 1;
  const phi = Math.exp(-STIRRING_KNOT_SECONDS / (c.stirringDays * 86400));
  const J = Math.max(1, Math.ceil(Math.log(STIRRING_TAIL) / Math.log(phi)));
  const key = keyFromSeed(c.stirringSeed);
  const xi = (i: number) => {
    let v = cache.get(i);
    if (!v) {
      v = new Float64Array(2 * pairs);
      normalFill(v, key, [STIRRING_STREAM, i + 0x80000000]);
      let q = 0; // m = 0: real only, scaled by √2 (isotropy of the real-SHT convention)
      for (let l = c.stirringMinDegree; l <= c.stirringMaxDegree; l++)
        for (let m = 0; m <= l; m++, q++) if (m === 0) { v[2 * q] *= Math.SQRT2; v[2 * q + 1] = 0; }
      cache.set(i, v);
      if (cache.size > 4 * J + 8) cache.delete(cache.keys().next().value as number);
    }
    return v;
  };
  const x = timeSeconds / STIRRING_KNOT_SECONDS;
  const k0 = Math.floor(x);
  const w = x - k0;
  const out = new Float64Array(2 * pairs);
  const norm = Math.sqrt(1 - phi * phi);
  const addKnot = (k: number, weight: number) => {
    if (weight === 0) return;
    for (let j = 0; j < J; j++) {
      const v = xi(k - j);
      const a = weight * norm * phi ** j;
      for (let i = 0; i < v.length; i++) out[i] += a * v[i];
    }
  };
  addKnot(k0, 1 - w);
  addKnot(k0 + 1, w);
  return out;
}

/**
 * The stirring's vorticity tendency at time t before its latitude envelope, as [l, m] spectra (s⁻², orthonormal
 * real-SHT convention, no Condon–Shortley phase) truncated to lmax × mmax: its grid mean square is stirringRate².
 */
export function stirringBandSpectra(config: PlanetConfig, timeSeconds: number, lmax: number, mmax: number, cache?: Map<number, Float64Array>): { re: Float64Array; im: Float64Array } {
  const c = config;
  const state = stirringState(c, timeSeconds, cache);
  let sum = 0;
  for (let l = c.stirringMinDegree; l <= c.stirringMaxDegree; l++) sum += 2 * l + 1;
  const amp = c.stirringRate * Math.sqrt((4 * Math.PI) / (2 * sum)); // grid mean square = rate² (uniform envelope)
  const re = new Float64Array(lmax * mmax);
  const im = new Float64Array(lmax * mmax);
  let q = 0;
  for (let l = c.stirringMinDegree; l <= c.stirringMaxDegree; l++)
    for (let m = 0; m <= l; m++, q++) {
      if (l >= lmax || m >= mmax) continue;
      re[l * mmax + m] = amp * state[2 * q];
      im[l * mmax + m] = amp * state[2 * q + 1];
    }
  return { re, im };
}

/** The stirring's latitude envelope at latitude φ (degrees): Gaussians on ±jetLatitude, 1 everywhere when the width is 0. */
export function stirringEnvelope(config: PlanetConfig, latDeg: number): number {
  if (config.stirringLatitudeWidth === 0) return 1;
  return Math.exp(-(((Math.abs(latDeg) - config.jetLatitude) / config.stirringLatitudeWidth) ** 2));
}

/**
 * Reference depth of the semi-implicit scheme ('ab3-cn') by default, as a multiple of the mean depth: the gravity-wave
 * terms are implicit about Φ̄ = g·H̄. Deeper than the layer, or the explicit rest carries gravity waves of speed
 * √(g(H − H̄)); not much deeper, since the AB3/trapezoid pair grows weakly where H < H̄ (dt 900 s without off-centring
 * blew up on day 9 with H̄ = 4,000 m, not with 3,000 m). The T42 planet's depth reaches 1.5× its mean (3,011 m in the
 * s4 truth, 2000-05-31 to 2001-01-11). Measurements: docs/performance.md, "Semi-implicit physics steps (session 5)".
 */
export const REFERENCE_DEPTH_FACTOR = 1.5;

/** A planet's time stepping at one resolution: Gauss nlat × 2·nlat, truncation lmax, dt (s), the shallow-water scheme. */
export interface PlanetResolution {
  nlat: number;
  lmax: number;
  dt: number;
  /** 'ab3' (default) or semi-implicit 'ab3-cn' (swe.ts) */
  scheme?: SweScheme;
  /** H̄ (m) of 'ab3-cn'; default REFERENCE_DEPTH_FACTOR × meanDepth */
  referenceDepth?: number;
  /** off-centring ε of 'ab3-cn' (swe.ts); default 0 (Crank–Nicolson) */
  offCentering?: number;
}

/** A planet at one resolution: the shallow-water model with the planet's physics and its forcing. */
export class Planet {
  readonly config: PlanetConfig;
  readonly model: ShallowWaterModel;
  readonly orography: Float64Array;
  readonly landFraction: Float64Array;
  private readonly earth: EarthFields;
  private readonly tracerSpectra: { mean: SweFloat; cos: SweFloat; sin: SweFloat };
  private readonly phisSpectra: { re: Float64Array; im: Float64Array };

  constructor(config: PlanetConfig, resolution: PlanetResolution = config.truth, threads?: number) {
    this.config = config;
    this.earth = loadEarthFields();
    const grid = { kind: 'legendre-gauss' as const, nlat: resolution.nlat, nlon: 2 * resolution.nlat };
    const oro = earthFieldOnGrid(this.earth, 'orography', grid, resolution.lmax);
    this.orography = Float64Array.from(oro, (h) => Math.max(0, h) * config.orographyScale);
    this.landFraction = Float64Array.from(earthFieldOnGrid(this.earth, 'land_fraction', grid, resolution.lmax), (x) => Math.min(1, Math.max(0, x)));
    const day = 86400;
    const referenceDepth = resolution.referenceDepth ?? (resolution.scheme === 'ab3-cn' ? REFERENCE_DEPTH_FACTOR * config.meanDepth : undefined);
    this.model = new ShallowWaterModel(
      {
        nlat: grid.nlat,
        nlon: grid.nlon,
        grid: 'legendre-gauss',
        lmax: resolution.lmax,
        dt: resolution.dt,
        dtype: config.dtype,
        scheme: resolution.scheme,
        referenceGeopotential: referenceDepth === undefined ? undefined : SWE_CONSTANTS.gravity * referenceDepth,
        offCentering: resolution.offCentering,
        orography: this.orography.some((h) => h > 0) ? this.orography : undefined,
        tracer: true,
        hyperdiffusion: { efoldingTime: config.hyperdiffusionHours * 3600, order: config.hyperdiffusionOrder, fields: ['vorticity', 'divergence', 'tracer'] },
        relaxationRates: { phi: 1 / (config.relaxationDays * day), vorticity: 1 / (config.dragDays * day), divergence: 1 / (config.dragDays * day), tracer: 1 / (config.tracerRelaxationDays * day) },
      },
      threads,
    );
    // tracer equilibrium spectra (flat, one member, field 'tracer' only)
    const flatOf = (name: 'tas_mean' | 'tas_cos' | 'tas_sin') => this.flatScalar(earthFieldOnGrid(this.earth, name, grid, resolution.lmax));
    this.tracerSpectra = { mean: flatOf('tas_mean'), cos: flatOf('tas_cos'), sin: flatOf('tas_sin') };
    const sht = this.sht();
    const g = this.model.options.gravity;
    const phis = sht.forward({ data: Float64Array.from(this.orography, (h) => g * h), shape: [grid.nlat, grid.nlon] });
    this.phisSpectra = { re: phis.re, im: phis.im };
  }

  private shtCache: ReturnType<typeof createSht> | null = null;
  /** The float64 reference SHT of the model's grid and truncation (tables built once). */
  private sht() {
    const o = this.model.options;
    return (this.shtCache ??= createSht({ kind: o.grid, nlat: o.nlat, nlon: o.nlon }, { lmax: o.lmax, mmax: o.mmax, norm: 'ortho', csphase: false }));
  }

  /** Spectra of a scalar grid field as flat coefficients [N, 2] (the model's entries). */
  private flatScalar(field: Float64Array): SweFloat {
    const o = this.model.options;
    const c = this.sht().forward({ data: field, shape: [o.nlat, o.nlon] });
    return this.flatFromLM(c.re, c.im);
  }

  private flatFromLM(re: Float64Array, im: Float64Array): SweFloat {
    const { mmax } = this.model.options;
    const N = this.model.nCoefficients;
    const out = this.model.dtype === 'float64' ? new Float64Array(2 * N) : new Float32Array(2 * N);
    this.model.entries.forEach((e, n) => {
      if (e.l < e.m) return;
      out[2 * n] = re[e.l * mmax + e.m];
      out[2 * n + 1] = im[e.l * mmax + e.m];
    });
    return out;
  }

  private readonly stirringCache = new Map<number, Float64Array>();
  /** Stirring vorticity tendency at time t as [l, m] spectra of the model's truncation (s⁻²), envelope applied. */
  stirringSpectra(timeSeconds: number): { re: Float64Array; im: Float64Array } {
    const c = this.config;
    const o = this.model.options;
    const { re, im } = stirringBandSpectra(c, timeSeconds, o.lmax, o.mmax, this.stirringCache);
    if (c.stirringLatitudeWidth === 0) return { re, im };
    const sht = this.sht();
    const g = sht.inverse({ re, im, shape: [o.lmax, o.mmax] });
    const lat = this.model.geometry.latitudesDeg;
    for (let k = 0; k < o.nlat; k++) {
      const e = stirringEnvelope(c, lat[k]);
      for (let j = 0; j < o.nlon; j++) g.data[k * o.nlon + j] *= e;
    }
    const f = sht.forward(g);
    return { re: f.re, im: f.im };
  }

  /** Equilibrium state [N, 2, F] at time t (s since 1 January of year 0): Φ_eq = g·(h_s + depth_eq), ζ = δ = 0, T = tas(t). */
  equilibrium(timeSeconds: number): SweFloat {
    const o = this.model.options;
    const F = this.model.nFields;
    const N = this.model.nCoefficients;
    const lat = this.model.geometry.latitudesDeg;
    const depth = new Float64Array(o.nlat * o.nlon);
    for (let k = 0; k < o.nlat; k++) depth.fill(o.gravity * equilibriumDepth(this.config, lat[k], timeSeconds), k * o.nlon, (k + 1) * o.nlon);
    const sht = this.sht();
    const d = sht.forward({ data: depth, shape: [o.nlat, o.nlon] });
    let zetaEq: SweFloat | null = null;
    if (this.config.jetSpeed > 0) {
      const wind = new Float64Array(2 * o.nlat * o.nlon);
      for (let k = 0; k < o.nlat; k++) wind.fill(equilibriumWind(this.config, lat[k], timeSeconds), k * o.nlon, (k + 1) * o.nlon);
      const vd = vorticityDivergenceSpectral(sht, { data: wind, shape: [2, o.nlat, o.nlon] }, o.radius);
      zetaEq = this.flatFromLM(vd.vorticity.re, vd.vorticity.im);
    }
    if (this.config.stirringRate > 0) {
      // tendency S enters as an equilibrium offset S/r of the vorticity relaxation at the drag rate r
      const st = this.stirringSpectra(timeSeconds);
      const r = 1 / (this.config.dragDays * 86400);
      const flat = this.flatFromLM(st.re, st.im);
      if (!zetaEq) zetaEq = flat.map(() => 0);
      for (let i = 0; i < flat.length; i++) zetaEq[i] += flat[i] / r;
    }
    const phiEq = this.flatFromLM(
      Float64Array.from(d.re, (v, i) => v + this.phisSpectra.re[i]),
      Float64Array.from(d.im, (v, i) => v + this.phisSpectra.im[i]),
    );
    const year = (2 * Math.PI * timeSeconds) / YEAR_SECONDS;
    const cs = Math.cos(year);
    const sn = Math.sin(year);
    const out = this.model.dtype === 'float64' ? new Float64Array(N * 2 * F) : new Float32Array(N * 2 * F);
    const ti = this.model.fieldIndex('tracer');
    const t = this.tracerSpectra;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < 2; c++) {
        out[(n * 2 + c) * F + 0] = phiEq[2 * n + c];
        if (zetaEq) out[(n * 2 + c) * F + 1] = zetaEq[2 * n + c];
        out[(n * 2 + c) * F + ti] = t.mean[2 * n + c] + cs * t.cos[2 * n + c] + sn * t.sin[2 * n + c];
      }
    return out;
  }

  /** A resting start at time t: the equilibrium depth and tracer plus small random vorticity (members differ by seed stream). */
  initialState(timeSeconds: number, members = 1): SweState {
    const o = this.model.options;
    const P = o.nlat * o.nlon;
    const lat = this.model.geometry.latitudesDeg;
    const lon = this.model.geometry.longitudes;
    const phi = new Float64Array(P);
    for (let k = 0; k < o.nlat; k++) for (let j = 0; j < o.nlon; j++) phi[k * o.nlon + j] = o.gravity * (this.orography[k * o.nlon + j] + equilibriumDepth(this.config, lat[k], timeSeconds));
    const year = (2 * Math.PI * timeSeconds) / YEAR_SECONDS;
    const grid = { kind: o.grid, nlat: o.nlat, nlon: o.nlon };
    const tm = earthFieldOnGrid(this.earth, 'tas_mean', grid, o.lmax);
    const tc = earthFieldOnGrid(this.earth, 'tas_cos', grid, o.lmax);
    const ts = earthFieldOnGrid(this.earth, 'tas_sin', grid, o.lmax);
    const tracer = Float64Array.from(tm, (v, i) => v + Math.cos(year) * tc[i] + Math.sin(year) * ts[i]);
    const re: number[] = [];
    const im: number[] = [];
    for (let b = 0; b < members; b++) {
      // a smooth random wind perturbation (~1 m/s) from a random streamfunction of degrees 8–20
      const noise = new Float64Array(2 * 13 * 13);
      normalFill(noise, keyFromSeed(this.config.seed), [0x504c4e54, b]);
      const u = new Float64Array(P);
      const v = new Float64Array(P);
      for (let k = 0; k < o.nlat; k++)
        for (let j = 0; j < o.nlon; j++) {
          let su = 0;
          for (let q = 0; q < 13; q++) {
            const m = 8 + q;
            su += noise[q] * Math.cos(m * lon[j] + noise[13 + q] * Math.PI) * Math.cos((lat[k] * Math.PI) / 180) ** 2;
          }
          u[k * o.nlon + j] = su / Math.sqrt(13);
        }
      const s = spectraFromGrid(this.model, { phi, u, v, tracer });
      re.push(...s.re);
      im.push(...s.im);
    }
    return this.model.stateFromLM(Float64Array.from(re), Float64Array.from(im), members);
  }

  /** Advances `state` (at time t0, s) by `seconds` in calls of at most `stepsPerCall` steps; returns the new state. */
  async advance(state: SweState, t0: number, seconds: number, stepsPerCall = 12): Promise<SweState> {
    const dt = this.model.options.dt;
    const steps = Math.round(seconds / dt);
    if (Math.abs(steps * dt - seconds) > 1e-6) throw new RangeError(`planet: ${seconds} s is not a whole number of ${dt}-s steps`);
    let n = 0;
    while (n < steps) {
      const k = Math.min(stepsPerCall, steps - n);
      const eq = this.equilibrium(t0 + (n + k / 2) * dt);
      state = await this.model.step(state, k, { equilibrium: eq });
      n += k;
    }
    return state;
  }
}

/** Truncates flat spectra of one model to another (coarser or equal) model's coefficients (same fields). */
export function truncateState(from: ShallowWaterModel, to: ShallowWaterModel, state: SweState): SweState {
  if (from.nFields !== to.nFields) throw new RangeError(`truncateState: models carry ${from.nFields} and ${to.nFields} fields`);
  const F = from.nFields;
  const B = state.members;
  const index = new Map<string, number>();
  from.entries.forEach((e, n) => index.set(`${e.l}:${e.m}`, n));
  const out = to.dtype === 'float64' ? new Float64Array(to.nCoefficients * 2 * F * B) : new Float32Array(to.nCoefficients * 2 * F * B);
  to.entries.forEach((e, n) => {
    if (e.l < e.m) return;
    const src = index.get(`${e.l}:${e.m}`);
    if (src === undefined) throw new RangeError(`truncateState: coefficient (${e.l}, ${e.m}) is not held by the source model (lmax ${from.options.lmax})`);
    for (let i = 0; i < 2 * F * B; i++) out[n * 2 * F * B + i] = state.spec[src * 2 * F * B + i];
  });
  return to.fresh(out, B);
}
