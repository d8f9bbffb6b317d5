// Correlated spherical Gaussian random fields evolving as an AR(1) process in spectral space: the SPPT-like
// seed noise of HENS (earth2mip-fork `CorrelatedSphericalField`), driven by counter-based Philox normals.
//
// Specification (reference implementation; R = 6.371e6 m, dt = 6 h):
//   φ = exp(−dt/τ),  k_T = (L/R)²/2,
//   F0 = sqrt( σ²(1−φ²) / (2 Σ_{l=1}^{lmax−1} (2l+1) exp(−k_T l(l+1))) ),
//   σ_n[l, m] = F0 exp(−k_T l(l+1)/2) for m ≤ l (0 for m > l; l = 0 included),
//   c_0 = (1−φ²)^(−1/2) σ_n ξ_0,  c_{t+1} = φ c_t + σ_n ξ_{t+1},  ξ complex with independent N(0,1) real and
//   imaginary parts;  field_t = 4π · InverseRealSHT(norm "four-pi", CS phase on)(c_t) = Σ c_t √(4π) Ȳ.
// So each real component of c_t[l, m] is stationary with variance σ_n[l]²/(1−φ²) and lag-1 correlation φ.
// The imaginary parts of m = 0 are drawn (and evolved) but, as in the reference, ignored by the synthesis.

import { normalFill, type PhiloxKey } from '../engine/random.ts';
import { type ComplexTensor, type Float64Tensor, type Grid, validateGrid } from './grid.ts';
import { defaultTruncation } from './legendre.ts';
import { SphericalHarmonicTransform } from './reference.ts';

/** The HENS seed-noise settings: L = 500 km, τ = 48 h, σ = 1, one AR(1) step per 6-h model step. */
export const HENS_SEED_NOISE = { lengthScale: 500e3, timeScale: 48, sigma: 1, stepHours: 6 } as const;

/** Earth radius of the reference implementation (m). */
export const RANDOM_FIELD_EARTH_RADIUS = 6.371e6;

/** First word of the Philox stream id of every draw of a random field: stream = [RANDOM_FIELD_STREAM, step]. */
export const RANDOM_FIELD_STREAM = 0x53504654; // "SPFT"

export interface CorrelatedFieldOptions {
  /** Output grid; the reference uses an equiangular (nlat, 2·nlat) grid. */
  grid: Grid;
  /** Correlation length L in metres (HENS: 500e3). */
  lengthScale: number;
  /** AR(1) time scale τ in hours (HENS: 48). */
  timeScale: number;
  /** Target grid-point standard deviation σ (HENS: 1). */
  sigma: number;
  /** Time between AR(1) steps in hours (reference: 6). */
  stepHours?: number;
  /** Sphere radius R in metres (reference: 6.371e6). */
  earthRadius?: number;
  /** Nominal degree count used in F0's normalising sum and as the SHT lmax (default: torch-harmonics v0.6.3's). */
  lmax?: number;
  /** Number of independent fields (the reference's N; e.g. one per channel). Default 1. */
  count?: number;
  /**
   * Degrees whose amplitude exp(−k_T l(l+1)/2) falls below `cutoff` are not stored or synthesised (default 1e−18:
   * their contribution is below float64 rounding of the kept ones). 0 keeps all nominal degrees.
   */
  cutoff?: number;
}

function positive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`CorrelatedSphericalField: ${what} must be a positive finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A set of `count` independent correlated fields; states are spectral (count, lmax, mmax) with lmax = mmax kept. */
export class CorrelatedSphericalField {
  readonly grid: Grid;
  readonly count: number;
  /** AR(1) coefficient exp(−dt/τ). */
  readonly phi: number;
  /** k_T = (L/R)²/2. */
  readonly kT: number;
  /** Amplitude normalisation F0. */
  readonly f0: number;
  /** Nominal lmax (normalising sum, torch-harmonics default). */
  readonly nominalLmax: number;
  /** Degrees kept (l < lmax); the stored state has shape (count, lmax, lmax). */
  readonly lmax: number;
  /** σ_n[l, m], shape [lmax, lmax] (row l, column m; zero for m > l). */
  readonly amplitude: Float64Array;
  readonly sigma: number;
  private readonly sht: SphericalHarmonicTransform;

  constructor(options: CorrelatedFieldOptions) {
    this.grid = validateGrid(options.grid, 'CorrelatedSphericalField.grid');
    const lengthScale = positive(options.lengthScale, 'lengthScale');
    const timeScale = positive(options.timeScale, 'timeScale');
    this.sigma = positive(options.sigma, 'sigma');
    const stepHours = positive(options.stepHours ?? 6, 'stepHours');
    const radius = positive(options.earthRadius ?? RANDOM_FIELD_EARTH_RADIUS, 'earthRadius');
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`CorrelatedSphericalField: count must be an integer >= 1, got ${count}`);
    this.count = count;
    const nominal = options.lmax ?? defaultTruncation(this.grid).lmax;
    if (!Number.isInteger(nominal) || nominal < 2) throw new RangeError(`CorrelatedSphericalField: lmax must be an integer >= 2, got ${nominal}`);
    this.nominalLmax = nominal;
    const cutoff = options.cutoff ?? 1e-18;
    if (!(cutoff >= 0 && cutoff < 1)) throw new RangeError(`CorrelatedSphericalField: cutoff must be in [0, 1), got ${cutoff}`);

    this.phi = Math.exp(-stepHours / timeScale);
    this.kT = (lengthScale / radius) ** 2 / 2;
    let denom = 0;
    for (let l = 1; l < nominal; l++) denom += (2 * l + 1) * Math.exp(-this.kT * l * (l + 1));
    denom *= 2;
    this.f0 = Math.sqrt((this.sigma ** 2 * (1 - this.phi ** 2)) / denom);

    let kept = nominal;
    if (cutoff > 0) {
      kept = 1;
      while (kept < nominal && Math.exp((-this.kT * kept * (kept + 1)) / 2) >= cutoff) kept++;
    }
    // the synthesis needs mmax ≤ nlon//2 + 1 to be meaningful; higher orders cannot be represented on the grid
    this.lmax = Math.max(1, Math.min(kept, Math.floor(this.grid.nlon / 2) + 1));
    const L = this.lmax;
    this.amplitude = new Float64Array(L * L);
    for (let l = 0; l < L; l++) {
      const a = Math.exp((-this.kT * l * (l + 1)) / 2) * this.f0;
      for (let m = 0; m <= l; m++) this.amplitude[l * L + m] = a;
    }
    this.sht = new SphericalHarmonicTransform(this.grid, { lmax: L, mmax: L, norm: 'four-pi', csphase: true });
  }

  /** Stationary variance of each real component of c[l, m] (m ≤ l): σ_n[l]²/(1−φ²). */
  coefficientVariance(l: number): number {
    const a = Math.exp((-this.kT * l * (l + 1)) / 2) * this.f0;
    return (a * a) / (1 - this.phi * this.phi);
  }

  /**
   * Expected grid-point variance averaged over the sphere, Σ_l σ_n[l]²/(1−φ²)·(1 + 4l) (m = 0 contributes only its
   * real part, each 0 < m ≤ l twice both parts). Close to σ², a little below it: the reference's F0 normalises
   * with Σ_{l≥1} 2(2l+1) e^{−k_T l(l+1)} instead.
   */
  expectedGridVariance(): number {
    let v = 0;
    for (let l = 0; l < this.lmax; l++) v += this.coefficientVariance(l) * (1 + 4 * l);
    return v;
  }

  /** Draws ξ_step for all fields: normals from stream [RANDOM_FIELD_STREAM, step] under `key`, layout (count, l, m, re/im). */
  private noise(key: PhiloxKey, step: number): Float64Array {
    if (!Number.isInteger(step) || step < 0 || step > 0xffffffff) {
      throw new RangeError(`CorrelatedSphericalField: step must be an integer in [0, 2^32), got ${step}`);
    }
    const L = this.lmax;
    const buf = new Float64Array(this.count * L * L * 2);
    normalFill(buf, key, [RANDOM_FIELD_STREAM, step], 0);
    return buf;
  }

  /** c_0 = (1−φ²)^(−1/2) σ_n ξ_0, shape (count, lmax, lmax). */
  initialState(key: PhiloxKey): ComplexTensor {
    const L = this.lmax;
    const xi = this.noise(key, 0);
    const s = 1 / Math.sqrt(1 - this.phi * this.phi);
    const re = new Float64Array(this.count * L * L);
    const im = new Float64Array(this.count * L * L);
    for (let i = 0; i < re.length; i++) {
      const a = s * this.amplitude[i % (L * L)];
      re[i] = a * xi[2 * i];
      im[i] = a * xi[2 * i + 1];
    }
    return { re, im, shape: [this.count, L, L] };
  }

  /** c_step = φ c_{step−1} + σ_n ξ_step (step ≥ 1 is the index of the state being produced). */
  advance(state: ComplexTensor, key: PhiloxKey, step: number): ComplexTensor {
    const L = this.lmax;
    const n = this.count * L * L;
    if (state.re.length !== n || state.im.length !== n) {
      throw new RangeError(`CorrelatedSphericalField.advance: state must have shape [${this.count}, ${L}, ${L}], got [${state.shape.join(', ')}]`);
    }
    if (step < 1) throw new RangeError(`CorrelatedSphericalField.advance: step must be >= 1 (0 is the initial state), got ${step}`);
    const xi = this.noise(key, step);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = this.amplitude[i % (L * L)];
      re[i] = this.phi * state.re[i] + a * xi[2 * i];
      im[i] = this.phi * state.im[i] + a * xi[2 * i + 1];
    }
    return { re, im, shape: [this.count, L, L] };
  }

  /** field = 4π · InverseRealSHT_{four-pi}(state): (count, nlat, nlon). */
  toGrid(state: ComplexTensor): Float64Tensor {
    const g = this.sht.inverse(state);
    for (let i = 0; i < g.data.length; i++) g.data[i] *= 4 * Math.PI;
    return g;
  }

  /**
   * The fields at steps 0..steps−1 (the reference's successive forward() outputs): state_0 = initialState(key),
   * state_t = advance(state_{t−1}, key, t). Each yields { step, state, field }.
   */
  *sequence(key: PhiloxKey, steps: number): Generator<{ step: number; state: ComplexTensor; field: Float64Tensor }> {
    let state = this.initialState(key);
    for (let t = 0; t < steps; t++) {
      if (t > 0) state = this.advance(state, key, t);
      yield { step: t, state, field: this.toGrid(state) };
    }
  }
}
