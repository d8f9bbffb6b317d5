// CRPS of an ensemble at one point: standard and fair estimators in O(M log M), member-weighted,
// threshold-/outcome-weighted and vertically-rescaled variants, and the Gaussian closed form (metrics-factsheet §1).

/** Which CRPS estimator (factsheet §7 trap 1: pick it explicitly). 'standard' = properscoring/ECDF, 'fair' = WB2/Ferro. */
export type CrpsEstimator = 'standard' | 'fair';

/**
 * The two sums every ensemble CRPS is built from (factsheet §1.2):
 * absErrorSum = Σ_i |x_i − y|, giniSum = Σ_i (2i − M − 1) x_(i) = ½ Σ_i Σ_j |x_i − x_j|.
 * `sorted` must be ascending. NaN anywhere gives NaN sums (NaN policy: propagate, like scoringrules' default).
 */
export function crpsSumsSorted(sorted: ArrayLike<number>, y: number, count = sorted.length): { absErrorSum: number; giniSum: number } {
  let absErrorSum = 0;
  let giniSum = 0;
  const m = count;
  for (let i = 0; i < m; i++) {
    const x = sorted[i]!;
    absErrorSum += Math.abs(x - y);
    giniSum += (2 * (i + 1) - m - 1) * x;
  }
  return { absErrorSum, giniSum };
}

/** Ascending Float64 copy of members (NaN sorts last). */
export function sortedMembers(members: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(members as ArrayLike<number>);
  out.sort();
  return out;
}

/** CRPS from the two sums (§1.2): standard divides ΣΣ|x_i−x_j| by 2M², fair by 2M(M−1). */
export function crpsFromSums(absErrorSum: number, giniSum: number, members: number, estimator: CrpsEstimator): number {
  if (estimator === 'standard') return absErrorSum / members - giniSum / (members * members);
  if (estimator === 'fair') {
    if (members < 2) return Number.NaN;
    return absErrorSum / members - giniSum / (members * (members - 1));
  }
  throw new Error(`CRPS estimator must be 'standard' or 'fair', got ${String(estimator)}`);
}

function checkMembers(members: ArrayLike<number>): void {
  if (!members || typeof members.length !== 'number' || members.length < 1) {
    throw new Error('members must be a non-empty numeric array');
  }
}

/**
 * NaN members (factsheet §7 trap 2): 'propagate' gives NaN (scoringrules default, WB2/WBX);
 * 'omit' skips them so the effective M shrinks (properscoring). A NaN truth always gives NaN.
 */
export type NanPolicy = 'propagate' | 'omit';

/**
 * Ensemble CRPS at one point (§1.1–1.2), sort-based O(M log M).
 * 'standard' = CRPS of the empirical CDF (properscoring, xskillscore, HENS Part I scoring);
 * 'fair' = unbiased estimator (WB2 `CRPS`, WBX default); fair needs M >= 2 (NaN otherwise).
 */
export function crpsEnsemble(members: ArrayLike<number>, y: number, estimator: CrpsEstimator, nanPolicy: NanPolicy = 'propagate'): number {
  checkMembers(members);
  let s = sortedMembers(members);
  if (nanPolicy === 'omit') {
    let n = s.length;
    while (n > 0 && Number.isNaN(s[n - 1]!)) n--;
    if (n === 0) return Number.NaN;
    s = s.subarray(0, n);
  } else if (nanPolicy !== 'propagate') {
    throw new Error(`nanPolicy must be 'propagate' or 'omit', got ${String(nanPolicy)}`);
  }
  const { absErrorSum, giniSum } = crpsSumsSorted(s, y);
  return crpsFromSums(absErrorSum, giniSum, s.length, estimator);
}

/**
 * CRPS adjusted to a nominal ensemble size (SpecsVerification `EnsCrps`, Ferro et al. 2008; §1.1):
 * sad_obs/R − sad_ens_half/(R(R−1)) · (1 − 1/R_new). R_new = Infinity gives the fair CRPS, R_new = R the standard one.
 */
export function crpsAdjustedToSize(members: ArrayLike<number>, y: number, nominalSize: number): number {
  checkMembers(members);
  if (!(nominalSize >= 1)) throw new Error(`nominalSize must be >= 1 (or Infinity), got ${nominalSize}`);
  const r = members.length;
  if (r < 2) return Number.NaN;
  const s = sortedMembers(members);
  const { absErrorSum, giniSum } = crpsSumsSorted(s, y);
  return absErrorSum / r - (giniSum / (r * (r - 1))) * (1 - 1 / nominalSize);
}

/**
 * Σ_i Σ_j w_i w_j |x_i − x_j| for ascending-sorted x with matching weights, O(M):
 * = 2 Σ_j w_j x_j (W_before_j − W_after_j). Ties contribute zero whatever their order.
 */
function weightedPairSum(sortedX: Float64Array, sortedW: Float64Array): number {
  let total = 0;
  for (let i = 0; i < sortedW.length; i++) total += sortedW[i]!;
  let before = 0;
  let sum = 0;
  for (let i = 0; i < sortedX.length; i++) {
    const w = sortedW[i]!;
    const after = total - before - w;
    sum += w * sortedX[i]! * (before - after);
    before += w;
  }
  return 2 * sum;
}

function sortWithWeights(members: ArrayLike<number>, weights: ArrayLike<number>): { x: Float64Array; w: Float64Array } {
  const m = members.length;
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  order.sort((a, b) => members[a]! - members[b]!);
  const x = new Float64Array(m);
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    x[i] = members[order[i]!]!;
    w[i] = weights[order[i]!]!;
  }
  return { x, w };
}

/**
 * Member-weighted CRPS (§1.4): CRPS of the weighted ECDF F(z) = Σ w_i 1{x_i <= z} / Σ w
 * = Σ ŵ_i |x_i − y| − ½ ΣΣ ŵ_i ŵ_j |x_i − x_j| with ŵ = w / Σw (properscoring weights, scoringrules `ens_w`).
 */
export function crpsWeighted(members: ArrayLike<number>, weights: ArrayLike<number>, y: number): number {
  checkMembers(members);
  if (!weights || weights.length !== members.length) {
    throw new Error(`weights must have one entry per member (${members.length}), got ${weights ? weights.length : String(weights)}`);
  }
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`weights[${i}] must be finite and >= 0, got ${w}`);
    total += w;
  }
  if (!(total > 0)) throw new Error('weights must not all be zero');
  const { x, w } = sortWithWeights(members, weights);
  let abs = 0;
  for (let i = 0; i < x.length; i++) {
    w[i] = w[i]! / total;
    abs += w[i]! * Math.abs(x[i]! - y);
  }
  return abs - 0.5 * weightedPairSum(x, w);
}

/** Interval [lower, upper] of a threshold-weighted CRPS with weight 1{lower <= z <= upper} (§1.5). */
export interface ThresholdInterval {
  lower?: number;
  upper?: number;
}

function chain(value: number, lower: number, upper: number): number {
  return Math.min(Math.max(value, lower), upper);
}

/**
 * Threshold-weighted CRPS (§1.5, Gneiting & Ranjan 2011; scoringrules `twcrps_ensemble`): the CRPS of
 * v(x_i) against v(y) with the chaining function v(z) = min(max(z, lower), upper). HENS' twCRPS uses
 * v(z) = max(z, t), i.e. `{ lower: t }`.
 */
export function twCrps(members: ArrayLike<number>, y: number, interval: ThresholdInterval, estimator: CrpsEstimator): number {
  checkMembers(members);
  const lower = interval.lower ?? -Infinity;
  const upper = interval.upper ?? Infinity;
  if (!(lower < upper)) throw new Error(`twCrps interval needs lower < upper, got [${lower}, ${upper}]`);
  const v = new Float64Array(members.length);
  for (let i = 0; i < v.length; i++) v[i] = chain(members[i]!, lower, upper);
  v.sort();
  const { absErrorSum, giniSum } = crpsSumsSorted(v, chain(y, lower, upper));
  return crpsFromSums(absErrorSum, giniSum, v.length, estimator);
}

/** A weight function w(z) >= 0 for outcome-weighted and vertically re-scaled CRPS. */
export type WeightFunction = (z: number) => number;

/** Weight function 1{lower <= z <= upper} (scoringrules' default for a, b). */
export function intervalWeight(interval: ThresholdInterval): WeightFunction {
  const lower = interval.lower ?? -Infinity;
  const upper = interval.upper ?? Infinity;
  return (z) => (z >= lower && z <= upper ? 1 : 0);
}

/**
 * Outcome-weighted CRPS (§1.5, scoringrules `owcrps_ensemble`):
 * owCRPS = (w(y)/(M w̄)) Σ|x_i − y| w(x_i) − (w(y)/(2M² w̄²)) ΣΣ|x_i − x_j| w(x_i) w(x_j),
 * i.e. w(y) times the member-weighted CRPS with member weights w(x_i). 0 when w(y) = 0; NaN when w(y) > 0
 * and no member has weight.
 */
export function owCrps(members: ArrayLike<number>, y: number, weight: WeightFunction): number {
  checkMembers(members);
  const wy = weight(y);
  if (Number.isNaN(y)) return Number.NaN;
  if (wy === 0) return 0;
  const w = new Float64Array(members.length);
  let total = 0;
  for (let i = 0; i < w.length; i++) {
    w[i] = weight(members[i]!);
    total += w[i]!;
  }
  if (!(total > 0)) return Number.NaN;
  return wy * crpsWeighted(members, w, y);
}

/**
 * Vertically re-scaled CRPS (§1.5, scoringrules `vrcrps_ensemble`):
 * (w(y)/M) Σ|x_i − y| w_i − (1/(2M²)) ΣΣ|x_i − x_j| w_i w_j + (mean_i |x_i| w_i − |y| w(y)) (w̄ − w(y)).
 */
export function vrCrps(members: ArrayLike<number>, y: number, weight: WeightFunction): number {
  checkMembers(members);
  const m = members.length;
  const wy = weight(y);
  const w = new Float64Array(m);
  let abs = 0;
  let meanAbsW = 0;
  let meanW = 0;
  for (let i = 0; i < m; i++) {
    const x = members[i]!;
    w[i] = weight(x);
    abs += Math.abs(x - y) * w[i]!;
    meanAbsW += Math.abs(x) * w[i]!;
    meanW += w[i]!;
  }
  meanAbsW /= m;
  meanW /= m;
  const sorted = sortWithWeights(members, w);
  const pair = weightedPairSum(sorted.x, sorted.w);
  return (wy / m) * abs - pair / (2 * m * m) + (meanAbsW - Math.abs(y) * wy) * (meanW - wy);
}

// ---- Gaussian closed form (§1.6) --------------------------------------------------------------

/** erf(x) to ~1e-15: series with positive terms for |x| < 3, continued fraction for erfc beyond. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf(x) = 2/√π e^{−x²} Σ_n 2^n x^{2n+1} / (1·3·…·(2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    const v = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
    return x < 0 ? -v : v;
  }
  const v = 1 - erfcLarge(ax);
  return x < 0 ? -v : v;
}

/** erfc(x) for x >= 3 by the Lentz continued fraction erfc(x) = e^{−x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))). */
function erfcLarge(x: number): number {
  // erfc(x) = exp(-x^2)/sqrt(pi) * K, K = 1/(x+ (1/2)/(x+ 1/(x+ (3/2)/(x+ 2/(x+...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 300; k++) {
    const a = k / 2;
    d = x + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  if (z < -3 * Math.SQRT2) return 0.5 * erfcLarge(-z / Math.SQRT2);
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/** CRPS of N(mu, sigma²) at y: σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π], z = (y − μ)/σ (§1.6). */
export function crpsGaussian(y: number, mu: number, sigma: number): number {
  if (!(sigma > 0)) throw new Error(`crpsGaussian: sigma must be > 0, got ${sigma}`);
  const z = (y - mu) / sigma;
  const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  return sigma * (z * (2 * normalCdf(z) - 1) + 2 * pdf - 1 / Math.sqrt(Math.PI));
}
