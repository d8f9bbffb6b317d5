// Float64 associated Legendre tables for the spherical harmonic transforms, as torch-harmonics v0.6.3 builds
// them (recursion, normalisations, Condon–Shortley phase, θ-derivative tables), plus the SHT precompute tables.
//
// Layouts (all row-major Float64Array):
//   scalar table      P[m, l, k]     shape [mmax, lmax, nx]      index (m·lmax + l)·nx + k
//   vector table      D[d, m, l, k]  shape [2, mmax, lmax, nx]   index ((d·mmax + m)·lmax + l)·nx + k
//                     d = 0: ∂θ P̄_l^m(cos θ),  d = 1: m P̄_l^m(cos θ)/sin θ (the −i of ∂λ left implicit)
// k runs over the points x (for SHT tables: the grid rows, row 0 northernmost). Entries with m > l are exactly 0.

import { type Float64Tensor, type Grid, gridGeometry, validateGrid } from './grid.ts';

/**
 * Normalisation of the harmonics (torch-harmonics' `norm` argument):
 * - 'ortho': orthonormal, ∫|Y|² dΩ = 1 (forward and inverse both use Ȳ);
 * - 'four-pi': ∫|Y|² dΩ = 4π; forward basis √(4π)Ȳ, inverse Ȳ/√(4π) (torch-harmonics treats every norm string
 *   other than "ortho"/"schmidt", e.g. "backward", this way);
 * - 'schmidt': Schmidt semi-normalised; forward √(4π/(2l+1))Ȳ, inverse Ȳ·√((2l+1)/(4π)).
 */
export type ShtNorm = 'ortho' | 'four-pi' | 'schmidt';
export const SHT_NORMS: readonly ShtNorm[] = ['ortho', 'four-pi', 'schmidt'];

export interface LegendreOptions {
  /** default 'ortho' */
  norm?: ShtNorm;
  /** true: the table for synthesis (inverse transform); matters for 'four-pi' and 'schmidt'. default false */
  inverse?: boolean;
  /** include the Condon–Shortley phase (−1)^m. default true */
  csphase?: boolean;
}

function checkNorm(norm: unknown, what: string): ShtNorm {
  if (typeof norm !== 'string' || !(SHT_NORMS as readonly string[]).includes(norm)) {
    throw new RangeError(`${what}: expected one of ${SHT_NORMS.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(norm)}`);
  }
  return norm as ShtNorm;
}

function checkDegree(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${what}: expected an integer >= 1, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Normalised associated Legendre functions P[m, l, k] = (±)c_l^m P_l^m(x_k), m < mmax, l < lmax
 * (torch-harmonics `legpoly`): start P[0,0] = c/√(4π) (c = 1 for 'ortho', √(4π) otherwise, inverted when
 * `inverse`), diagonal P[l,l] = √((2l+1)(1+x)(1−x)/(2l)) P[l−1,l−1], first off-diagonal
 * P[l−1,l] = √(2l+1) x P[l−1,l−1], then the three-term recurrence in l; Schmidt rescales column l by
 * 1/√(2l+1) (forward) or √(2l+1) (inverse); odd-m rows negated when `csphase`.
 */
export function legendreTable(mmax: number, lmax: number, x: ArrayLike<number>, options: LegendreOptions = {}): Float64Tensor {
  checkDegree(mmax, 'legendreTable: mmax');
  checkDegree(lmax, 'legendreTable: lmax');
  const norm = checkNorm(options.norm ?? 'ortho', 'legendreTable: norm');
  const inverse = options.inverse ?? false;
  const csphase = options.csphase ?? true;
  const nx = x.length;
  const out = new Float64Array(mmax * lmax * nx);
  let c = norm === 'ortho' ? 1 : Math.sqrt(4 * Math.PI);
  if (inverse) c = 1 / c;
  const diag = new Float64Array(nx).fill(c / Math.sqrt(4 * Math.PI)); // P[m, m]
  const mTop = Math.min(mmax, lmax);
  for (let m = 0; m < mTop; m++) {
    if (m > 0) {
      for (let k = 0; k < nx; k++) {
        diag[k] = Math.sqrt(((2 * m + 1) * (1 + x[k]) * (1 - x[k])) / 2 / m) * diag[k];
      }
    }
    const row = m * lmax;
    out.set(diag, (row + m) * nx);
    if (m + 1 < lmax) {
      const l = m + 1;
      const f = Math.sqrt(2 * l + 1);
      const base = (row + l) * nx;
      for (let k = 0; k < nx; k++) out[base + k] = f * x[k] * diag[k];
    }
    for (let l = m + 2; l < lmax; l++) {
      const a = Math.sqrt(((2 * l - 1) / (l - m)) * ((2 * l + 1) / (l + m)));
      const b = Math.sqrt(((l + m - 1) / (l - m)) * ((2 * l + 1) / (2 * l - 3)) * ((l - m - 1) / (l + m)));
      const o = (row + l) * nx;
      const o1 = o - nx;
      const o2 = o - 2 * nx;
      for (let k = 0; k < nx; k++) out[o + k] = x[k] * a * out[o1 + k] - b * out[o2 + k];
    }
  }
  if (norm === 'schmidt') {
    for (let l = 0; l < lmax; l++) {
      const s = Math.sqrt(2 * l + 1);
      for (let m = 0; m < mmax; m++) {
        const o = (m * lmax + l) * nx;
        for (let k = 0; k < nx; k++) out[o + k] = inverse ? out[o + k] * s : out[o + k] / s;
      }
    }
  }
  if (csphase) {
    for (let m = 1; m < mmax; m += 2) {
      const o = m * lmax * nx;
      for (let i = 0; i < lmax * nx; i++) out[o + i] = -out[o + i];
    }
  }
  return { data: out, shape: [mmax, lmax, nx] };
}

/**
 * θ-derivative tables D[d, m, l, k] for the vector SHT (torch-harmonics `_precompute_dlegpoly`), from a scalar
 * table of size (mmax+1, lmax+1) with the same norm/inverse and no CS phase:
 *   D[0,m,l] = ∂θ P̄_l^m:  m = 0: −√(l(l+1)) P[1,l];  1 ≤ m ≤ l: ½(√((l+m)(l−m+1)) P[m−1,l] − √((l−m)(l+m+1)) P[m+1,l])
 *   D[1,m,l] = m P̄_l^m / sin θ:  1 ≤ m ≤ l: ½√((2l+1)/(2l+3)) (√((l−m+1)(l−m+2)) P[m−1,l+1] + √((l+m+1)(l+m+2)) P[m+1,l+1])
 * then odd-m rows negated when `csphase`. For 'schmidt' this is v0.6.3's table (no extra factor on D[1]; HEAD differs).
 */
export function legendreDerivativeTable(
  mmax: number,
  lmax: number,
  x: ArrayLike<number>,
  options: LegendreOptions = {},
): Float64Tensor {
  checkDegree(mmax, 'legendreDerivativeTable: mmax');
  checkDegree(lmax, 'legendreDerivativeTable: lmax');
  const csphase = options.csphase ?? true;
  const nx = x.length;
  const p = legendreTable(mmax + 1, lmax + 1, x, { norm: options.norm, inverse: options.inverse, csphase: false }).data;
  const L1 = lmax + 1;
  const pAt = (m: number, l: number): number => (m * L1 + l) * nx;
  const out = new Float64Array(2 * mmax * lmax * nx);
  const dAt = (d: number, m: number, l: number): number => ((d * mmax + m) * lmax + l) * nx;
  for (let l = 0; l < lmax; l++) {
    {
      const f = -Math.sqrt(l * (l + 1));
      const o = dAt(0, 0, l);
      const s = pAt(1, l);
      for (let k = 0; k < nx; k++) out[o + k] = f * p[s + k];
    }
    for (let m = 1; m < Math.min(l, mmax); m++) {
      const a = Math.sqrt((l + m) * (l - m + 1));
      const b = Math.sqrt((l - m) * (l + m + 1));
      const o = dAt(0, m, l);
      const s1 = pAt(m - 1, l);
      const s2 = pAt(m + 1, l);
      for (let k = 0; k < nx; k++) out[o + k] = 0.5 * (a * p[s1 + k] - b * p[s2 + k]);
    }
    if (mmax > l && l > 0) {
      const f = Math.sqrt(l / 2);
      const o = dAt(0, l, l);
      const s = pAt(l - 1, l);
      for (let k = 0; k < nx; k++) out[o + k] = f * p[s + k];
    }
    for (let m = 1; m < Math.min(l + 1, mmax); m++) {
      const f = 0.5 * Math.sqrt((2 * l + 1) / (2 * l + 3));
      const a = Math.sqrt((l - m + 1) * (l - m + 2));
      const b = Math.sqrt((l + m + 1) * (l + m + 2));
      const o = dAt(1, m, l);
      const s1 = pAt(m - 1, l + 1);
      const s2 = pAt(m + 1, l + 1);
      for (let k = 0; k < nx; k++) out[o + k] = f * (a * p[s1 + k] + b * p[s2 + k]);
    }
  }
  if (csphase) {
    for (let d = 0; d < 2; d++) {
      for (let m = 1; m < mmax; m += 2) {
        const o = dAt(d, m, 0);
        for (let i = 0; i < lmax * nx; i++) out[o + i] = -out[o + i];
      }
    }
  }
  return { data: out, shape: [2, mmax, lmax, nx] };
}

/** A fully resolved SHT configuration (torch-harmonics v0.6.3 semantics; lmax, mmax exclusive bounds). */
export interface ShtConfig {
  grid: Grid;
  lmax: number;
  mmax: number;
  norm: ShtNorm;
  csphase: boolean;
  /** false (default): the vector forward factor 1/(l(l+1)) rounded to float32 as v0.6.3 does; true: exact float64 */
  exactVectorNorm: boolean;
}

export interface ShtOptions {
  /** number of degrees (l = 0..lmax−1); default: torch-harmonics v0.6.3, see `defaultTruncation` */
  lmax?: number;
  /** number of orders (m = 0..mmax−1); default nlon//2 + 1 */
  mmax?: number;
  /** default 'ortho' */
  norm?: ShtNorm;
  /** default true */
  csphase?: boolean;
  /** default false: reproduce v0.6.3's float32-rounded 1/(l(l+1)) in the vector forward table */
  exactVectorNorm?: boolean;
}

/**
 * torch-harmonics v0.6.3 defaults: lmax = nlat for 'legendre-gauss' and 'equiangular', nlat − 1 for 'lobatto';
 * mmax = nlon//2 + 1; no triangular truncation. Note: with lmax = nlat an equiangular grid is not an exact
 * round trip (Clenshaw–Curtis integrates only to degree ≈ nlat); use lmax ≤ nlat/2 there for exactness.
 */
export function defaultTruncation(grid: Grid): { lmax: number; mmax: number } {
  const g = validateGrid(grid);
  const lmax = g.kind === 'lobatto' ? g.nlat - 1 : g.nlat;
  return { lmax: Math.max(1, lmax), mmax: Math.floor(g.nlon / 2) + 1 };
}

/** Validates options and fills in defaults. Errors name the field and the allowed range. */
export function resolveShtConfig(grid: Grid, options: ShtOptions = {}): ShtConfig {
  const g = validateGrid(grid, 'sht.grid');
  const d = defaultTruncation(g);
  const lmax = options.lmax === undefined ? d.lmax : checkDegree(options.lmax, 'sht.lmax');
  const mmax = options.mmax === undefined ? d.mmax : checkDegree(options.mmax, 'sht.mmax');
  const norm = checkNorm(options.norm ?? 'ortho', 'sht.norm');
  const csphase = options.csphase ?? true;
  if (typeof csphase !== 'boolean') throw new TypeError(`sht.csphase: expected a boolean, got ${JSON.stringify(csphase)}`);
  const exactVectorNorm = options.exactVectorNorm ?? false;
  if (typeof exactVectorNorm !== 'boolean') {
    throw new TypeError(`sht.exactVectorNorm: expected a boolean, got ${JSON.stringify(exactVectorNorm)}`);
  }
  return { grid: g, lmax, mmax, norm, csphase, exactVectorNorm };
}

/**
 * Forward scalar SHT table W[m, l, k] = P[m, l](cos θ_k) · w_k, shape [mmax, lmax, nlat], k = grid row
 * (row 0 northernmost), w = `gridGeometry(grid).shtWeights` (rule weights in ascending-x order, unflipped as in
 * torch-harmonics; symmetric). f̂[l, m] = Σ_k W[m, l, k] X_m(θ_k) with X_m = 2π/nlon · Σ_j f_kj e^{−2πi jm/nlon}.
 */
export function scalarForwardTable(config: ShtConfig): Float64Tensor {
  const geo = gridGeometry(config.grid);
  const t = legendreTable(config.mmax, config.lmax, geo.cosColatitudes, { norm: config.norm, inverse: false, csphase: config.csphase });
  const nlat = config.grid.nlat;
  const w = geo.shtWeights;
  for (let i = 0; i < t.data.length; i++) t.data[i] *= w[i % nlat];
  return t;
}

/** Inverse scalar SHT table P[m, l, k] (synthesis basis), shape [mmax, lmax, nlat]: F_m(θ_k) = Σ_l P[m,l,k] f̂[l,m]. */
export function scalarInverseTable(config: ShtConfig): Float64Tensor {
  const geo = gridGeometry(config.grid);
  return legendreTable(config.mmax, config.lmax, geo.cosColatitudes, { norm: config.norm, inverse: true, csphase: config.csphase });
}

/**
 * Forward vector SHT table W[d, m, l, k] = D[d, m, l, k] · w_k · n_l, with W[1] negated, where n_0 = 1 and
 * n_l = 1/(l(l+1)) rounded as v0.6.3 computes it, in float32 (fl32(fl32(1/l)/(l+1)), relative error ≤ 6e−8;
 * this is what makes v0.6.3 vector coefficients differ from exact ones at the 1e−8 level; `exactVectorNorm`
 * uses the exact float64 value instead),
 * shape [2, mmax, lmax, nlat]. With X0, X1 the scaled rffts of (v_θ, v_λ):
 *   s[l,m] = Σ_k (X0 W0 + i X1 W1),   t[l,m] = Σ_k (i X0 W1 − X1 W0).
 */
export function vectorForwardTable(config: ShtConfig): Float64Tensor {
  const geo = gridGeometry(config.grid);
  const { mmax, lmax } = config;
  const nlat = config.grid.nlat;
  const t = legendreDerivativeTable(mmax, lmax, geo.cosColatitudes, { norm: config.norm, inverse: false, csphase: config.csphase });
  const w = geo.shtWeights;
  for (let d = 0; d < 2; d++) {
    for (let m = 0; m < mmax; m++) {
      for (let l = 0; l < lmax; l++) {
        // v0.6.3 builds 1/l/(l+1) from an integer tensor, so in float32: fl32(fl32(1/l)/(l+1)).
        const nl = l === 0 ? 1 : config.exactVectorNorm ? 1 / (l * (l + 1)) : Math.fround(Math.fround(1 / l) / (l + 1));
        const sign = d === 1 ? -1 : 1;
        const o = ((d * mmax + m) * lmax + l) * nlat;
        for (let k = 0; k < nlat; k++) t.data[o + k] = sign * (t.data[o + k] * w[k] * nl);
      }
    }
  }
  return t;
}

/**
 * Inverse vector SHT table D[d, m, l, k] (synthesis, no 1/(l(l+1)), no sign flip), shape [2, mmax, lmax, nlat]:
 *   V0[k,m] = Σ_l (S D0 + i T D1),   V1[k,m] = Σ_l (i S D1 − T D0), then real synthesis along longitude.
 */
export function vectorInverseTable(config: ShtConfig): Float64Tensor {
  const geo = gridGeometry(config.grid);
  return legendreDerivativeTable(config.mmax, config.lmax, geo.cosColatitudes, {
    norm: config.norm,
    inverse: true,
    csphase: config.csphase,
  });
}

/**
 * One order m of a [mmax, lmax, nlat] (or one d-slice of a vector) table restricted to the non-zero triangle
 * l = m..lmax−1: a view of shape [lmax − m, nlat] (empty when m ≥ lmax). `table` may be a vector table, then
 * pass `component` (0 or 1).
 */
export function legendreBlock(table: Float64Tensor, m: number, component?: number): Float64Tensor {
  const vector = table.shape.length === 4;
  const [mmax, lmax, nx] = vector ? table.shape.slice(1) : table.shape;
  if (!Number.isInteger(m) || m < 0 || m >= mmax) throw new RangeError(`legendreBlock: m must be an integer in [0, ${mmax}), got ${m}`);
  const d = vector ? (component ?? -1) : 0;
  if (vector && d !== 0 && d !== 1) throw new RangeError(`legendreBlock: component must be 0 or 1 for a vector table, got ${component}`);
  const rows = Math.max(0, lmax - m);
  const start = ((d * mmax + m) * lmax + m) * nx;
  return { data: table.data.subarray(start, start + rows * nx), shape: [rows, nx] };
}

/**
 * Equatorial symmetry split of a scalar table [mmax, lmax, nlat] on a grid symmetric about the equator
 * (all three kinds are): P(−x) = (−1)^(l+m) P(x), so row nlat−1−k equals ±row k. Returns the northern-half
 * table (rows 0..nHalf−1, nHalf = ceil(nlat/2); when nlat is odd the last of these is the equator row),
 * shape [mmax, lmax, nHalf]. Synthesis: with E_m(k) = Σ_{l: l+m even} P f̂ and O_m(k) = Σ_{l+m odd} P f̂ over the
 * half table, F_m(row k) = E + O and F_m(row nlat−1−k) = E − O. For forward tables (weights folded in) the same
 * holds because the weights are symmetric: f̂[l,m] = Σ_{k<nHalf'} W[m,l,k] (X_m(k) ± X_m(nlat−1−k)) with + for
 * l+m even, − for odd, counting the equator row (odd nlat) once.
 */
export function northernHalfTable(table: Float64Tensor): Float64Tensor {
  if (table.shape.length !== 3) throw new RangeError(`northernHalfTable: expected a [mmax, lmax, nlat] table, got shape [${table.shape}]`);
  const [mmax, lmax, nlat] = table.shape;
  const nHalf = Math.ceil(nlat / 2);
  const out = new Float64Array(mmax * lmax * nHalf);
  for (let r = 0; r < mmax * lmax; r++) out.set(table.data.subarray(r * nlat, r * nlat + nHalf), r * nHalf);
  return { data: out, shape: [mmax, lmax, nHalf] };
}
