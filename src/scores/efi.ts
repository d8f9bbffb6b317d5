// ECMWF Extreme Forecast Index (closed form over N M-climate quantiles) and Shift of Tails (metrics-factsheet §3).
// Climates are per-point quantiles at p_j = j/(N−1) (N = 101 percentiles 0…100), stored percentile-major (N, P).

import { checkEnsemble, checkLength, checkPositiveInteger } from './grid.ts';

/** Default eps of earthkit-meteo `efi` (negative = the standard formula without zero-inflation handling). */
export const EFI_DEFAULT_EPS = -0.1;

interface EfiCoefficients {
  acosDiff: Float64Array;
  prodDiff: Float64Array;
  acoef: Float64Array;
  dp: number;
}

const coefficientCache = new Map<number, EfiCoefficients>();

/** A_j, P_j and acoef_j of §3.2 for N quantile levels p_j = j/(N−1). */
function efiCoefficients(levels: number): EfiCoefficients {
  const cached = coefficientCache.get(levels);
  if (cached) return cached;
  const n = levels - 1;
  const p = new Float64Array(levels);
  for (let j = 0; j < levels; j++) p[j] = j / n;
  const acosDiff = new Float64Array(n);
  const prodDiff = new Float64Array(n);
  const acoef = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    acosDiff[j] = Math.acos(Math.sqrt(p[j + 1]!)) - Math.acos(Math.sqrt(p[j]!));
    prodDiff[j] = Math.sqrt(p[j + 1]! * (1 - p[j + 1]!)) - Math.sqrt(p[j]! * (1 - p[j]!));
    acoef[j] = (1 - 2 * p[j]!) * acosDiff[j]! + prodDiff[j]!;
  }
  const c = { acosDiff, prodDiff, acoef, dp: 1 / n };
  coefficientCache.set(levels, c);
  return c;
}

/**
 * EFI from F_j = fraction of members <= clim_j at the N quantile levels (§3.2): piecewise-linear F integrated
 * analytically, EFI = (2/π) Σ_j [(2F_j − 1)A_j + acoef_j dF/dp_j − P_j]. With eps > 0 (zero-inflated variables),
 * intervals with clim_{j+1} <= eps are dropped and the sum is divided by the attainable maximum
 * max(Σ_kept(−A_j − P_j), eps) (earthkit-meteo `efi`). `clim` is needed only when eps > 0.
 * NaN in F or the needed clim values gives NaN.
 */
export function efiFromFractions(fractions: ArrayLike<number>, eps = EFI_DEFAULT_EPS, clim?: ArrayLike<number>): number {
  const levels = fractions.length;
  if (levels < 2) throw new Error(`EFI needs at least 2 climate quantiles, got ${levels}`);
  const { acosDiff, prodDiff, acoef, dp } = efiCoefficients(levels);
  let efi = 0;
  if (eps > 0) {
    if (!clim) throw new Error('efiFromFractions: eps > 0 needs the climate quantiles (clim) to mask intervals');
    checkLength('clim', clim, levels, 'one value per quantile level');
    let efiMax = 0;
    for (let j = 0; j < levels - 1; j++) {
      const c = clim[j + 1]!;
      if (Number.isNaN(c) || Number.isNaN(clim[j]!)) return Number.NaN;
      if (!(c > eps)) continue;
      const dFdp = (fractions[j + 1]! - fractions[j]!) / dp;
      efi += (2 * fractions[j]! - 1) * acosDiff[j]! + acoef[j]! * dFdp - prodDiff[j]!;
      efiMax += -acosDiff[j]! - prodDiff[j]!;
    }
    return efi / Math.max(efiMax, eps);
  }
  for (let j = 0; j < levels - 1; j++) {
    const dFdp = (fractions[j + 1]! - fractions[j]!) / dp;
    efi += (2 * fractions[j]! - 1) * acosDiff[j]! + acoef[j]! * dFdp - prodDiff[j]!;
  }
  return efi * (2 / Math.PI);
}

/**
 * EFI at one point from its M-climate quantiles (N values at p = j/(N−1), used as given: earthkit does not sort,
 * §7 trap 11) and its ensemble members: F_j = #{x_m <= clim_j}/M. NaN anywhere gives NaN.
 */
export function efi(clim: ArrayLike<number>, members: ArrayLike<number>, eps = EFI_DEFAULT_EPS): number {
  if (!members || members.length < 1) throw new Error('efi: members must be a non-empty numeric array');
  if (!clim || clim.length < 2) throw new Error('efi: clim must hold at least 2 quantiles');
  for (let i = 0; i < members.length; i++) if (Number.isNaN(members[i]!)) return Number.NaN;
  const f = new Float64Array(clim.length);
  for (let j = 0; j < clim.length; j++) {
    const c = clim[j]!;
    if (Number.isNaN(c)) return Number.NaN;
    let below = 0;
    for (let i = 0; i < members.length; i++) if (members[i]! <= c) below++;
    f[j] = below / members.length;
  }
  return efiFromFractions(f, eps, clim);
}

/**
 * EFI at every point: clim (N, P) percentile-major, ensemble (M, P) member-major.
 */
export function efiField(
  clim: ArrayLike<number>,
  levels: number,
  ensemble: ArrayLike<number>,
  members: number,
  points: number,
  eps = EFI_DEFAULT_EPS,
): Float64Array {
  checkPositiveInteger('levels', levels);
  checkLength('clim', clim, levels * points, `levels*points = ${levels}*${points}, percentile-major`);
  checkEnsemble(ensemble, members, points);
  const out = new Float64Array(points);
  const c = new Float64Array(levels);
  const x = new Float64Array(members);
  for (let p = 0; p < points; p++) {
    for (let j = 0; j < levels; j++) c[j] = clim[j * points + p]!;
    for (let m = 0; m < members; m++) x[m] = ensemble[m * points + p]!;
    out[p] = efi(c, x, eps);
  }
  return out;
}

/**
 * EFI at every point from streamed counts: counts (N, P) of members <= clim_j (see `ClimateQuantileCounts`),
 * `members` the number of members counted, `clim` (N, P) needed only when eps > 0.
 */
export function efiFromCounts(
  counts: ArrayLike<number>,
  levels: number,
  members: number,
  points: number,
  eps = EFI_DEFAULT_EPS,
  clim?: ArrayLike<number>,
): Float64Array {
  checkPositiveInteger('levels', levels);
  checkPositiveInteger('members', members);
  checkLength('counts', counts, levels * points, `levels*points = ${levels}*${points}, percentile-major`);
  if (clim) checkLength('clim', clim, levels * points, `levels*points = ${levels}*${points}, percentile-major`);
  const out = new Float64Array(points);
  const f = new Float64Array(levels);
  const c = new Float64Array(levels);
  for (let p = 0; p < points; p++) {
    for (let j = 0; j < levels; j++) f[j] = counts[j * points + p]! / members;
    if (clim) for (let j = 0; j < levels; j++) c[j] = clim[j * points + p]!;
    out[p] = efiFromFractions(f, eps, clim ? c : undefined);
  }
  return out;
}

/** EFI of a step CDF at quantile q in the continuous limit: 1 − (4/π) acos(√q) (§3.2 closed-form check). */
export function efiOfStepAtQuantile(q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`q must be in [0, 1], got ${q}`);
  return 1 - (4 / Math.PI) * Math.acos(Math.sqrt(q));
}

/** numpy.percentile with linear interpolation (type 7) of an ascending-sorted sample; perc in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, perc: number): number {
  const n = sorted.length;
  if (n < 1) throw new Error('percentileSorted: empty sample');
  if (!(perc >= 0 && perc <= 100)) throw new Error(`perc must be in [0, 100], got ${perc}`);
  const pos = (perc / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo]! + frac * (sorted[hi]! - sorted[lo]!);
}

/** Default eps of earthkit-meteo `sot` / `sot_func`. */
export const SOT_DEFAULT_EPS = -1e-4;

/**
 * SOT from its three quantiles (earthkit `sot_func`, §3.3): (qf − qcTail)/(qcTail − qc), NaN when
 * |qcTail − qc| <= max(eps, 0), clipped to [−10, 10]. With eps > 0, quantiles below eps are set to 0 first.
 */
export function sotFromQuantiles(qcTail: number, qc: number, qf: number, eps = SOT_DEFAULT_EPS): number {
  if (Number.isNaN(qcTail) || Number.isNaN(qc) || Number.isNaN(qf)) return Number.NaN;
  if (eps > 0) {
    if (qcTail < eps) qcTail = 0;
    if (qc < eps) qc = 0;
    if (qf < eps) qf = 0;
  }
  if (!(Math.abs(qcTail - qc) > Math.max(eps, 0))) return Number.NaN;
  const v = (qf - qcTail) / (qcTail - qc);
  return Math.min(10, Math.max(-10, v));
}

/**
 * Shift of Tails at one point (§3.3): upper tail (perc > 50) (Q_f(perc) − Q_c(99))/(Q_c(99) − Q_c(perc)),
 * lower tail (perc < 50) (Q_f(perc) − Q_c(1))/(Q_c(1) − Q_c(perc)); Q_f = linear percentile of the members,
 * Q_c(k) = clim[k] of a 101-quantile climate; 2 <= perc <= 98. With eps > 0 members below eps count as 0.
 */
export function sot(clim: ArrayLike<number>, members: ArrayLike<number>, perc: number, eps = SOT_DEFAULT_EPS): number {
  checkLength('clim', clim, 101, 'the 101 M-climate percentiles 0..100');
  if (!members || members.length < 1) throw new Error('sot: members must be a non-empty numeric array');
  if (!Number.isInteger(perc) || perc < 2 || perc > 98) throw new Error(`sot: perc must be an integer in [2, 98], got ${perc}`);
  const x = Float64Array.from(members as ArrayLike<number>);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!)) return Number.NaN;
    if (eps > 0 && x[i]! < eps) x[i] = 0;
  }
  x.sort();
  const qf = percentileSorted(x, perc);
  const tail = perc > 50 ? 99 : 1;
  return sotFromQuantiles(clim[tail]!, clim[perc]!, qf, eps);
}
