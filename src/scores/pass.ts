// One pass over all members of one forecast field (variable × init × lead), fed band by band (M, S) of any points:
// every score that needs all members at a point (CRPS, ranks, events, EFI/SOT, σ-bins, sub-ensembles, energy score,
// control/best member) accumulated in memory O(M + P) — independent of how many members a band holds at once.

import { crpsSumsSorted } from './crps.ts';
import { efiFromFractions, EFI_DEFAULT_EPS, percentileSorted, sotFromQuantiles, SOT_DEFAULT_EPS } from './efi.ts';
import { checkLatitudeWeights, checkLength, checkPositiveInteger, gridPoints, type GridShape } from './grid.ts';
import { BeyondTruthHistogram, SubEnsembleScores, type SubEnsembleDraws, type SubEnsembleOptions } from './huge.ts';
import { countAtOrBelow, MemberSorter } from './sorted.ts';
import { CLIMATE_PERCENTILES } from './streaming.ts';
import { ProbabilityHistogram } from './events.ts';

/** What a pass computes besides the always-on scores. */
export interface FieldPassOptions {
  grid: GridShape;
  latWeights: Float64Array;
  members: number;
  /** Index of the unperturbed control member (control RMSE), if the ensemble has one. */
  control?: number;
  /** Number of per-point event thresholds supplied with each band (events "x > threshold"). */
  eventThresholds?: number;
  /** Whether each band comes with a (101, S) M-climate (EFI and SOT from the members). */
  climate?: boolean;
  efiEps?: number;
  sotEps?: number;
  /** σ-distance bin edges of the members-beyond-truth histogram (HENS Part II); default −∞, −4 … 4, ∞. */
  sigmaEdges?: number[];
  /** Sub-ensemble draws (bootstrapped sizes, HENS Part II); none by default. */
  subEnsembles?: SubEnsembleDraws[];
  subEnsembleOptions?: SubEnsembleOptions;
  /** Uniform on [0, 1) by global point for rank ties (tiling-independent); none: ties are not broken. */
  tieBreak?: (globalPoint: number) => number;
  /** Keep per-point fields (ensemble mean, EFI, SOT) for spectra and maps. */
  keepFields?: boolean;
  /**
   * Number of per-point thresholds supplied with each band (`weightedThresholds`, (W, S)) for the member-based event
   * scores of `addWeightedEventPoint`: log score, twCRPS and owCRPS (accumulated in `weightedEvents`).
   */
  weightedEventThresholds?: number;
}

/** Latitude-weighted sums over points (and inits) of the member-based event scores of one event threshold. */
export interface WeightedEventSums {
  /** Σ w · log score; divided by `weight` gives `log_score`. */
  logNum: number;
  /** Σ w · twCRPS; divided by `weight` gives `tw_crps`. */
  twNum: number;
  /** Σ w · owCRPS over the points where it is defined; divided by `owWeight` gives `ow_crps`. */
  owNum: number;
  owWeight: number;
  weight: number;
}

/** Empty sums for one event threshold. */
export function newWeightedEventSums(): WeightedEventSums {
  return { logNum: 0, twNum: 0, owNum: 0, owWeight: 0, weight: 0 };
}

/**
 * Adds one point's member-based scores of the event "truth > threshold" to `sum` (weight `w`), from the point's M
 * members sorted ascending:
 * - log score (`logScore` of probability.ts, eps = 0) with the forecast probability p = #(members > threshold)/M
 *   clipped to [1/(2M), 1 − 1/(2M)], so that an event no member (or every member) predicts costs ln(2M), not infinity;
 * - twCRPS with weight 1 on [threshold, ∞), i.e. chaining v(z) = max(z, threshold), standard (ECDF) estimator
 *   (equals `twCrps(members, y, { lower: threshold }, 'standard')`);
 * - owCRPS with w(z) = 1{z >= threshold} (equals `owCrps(members, y, intervalWeight({ lower: threshold }))`): 0 where
 *   the truth is below the threshold, else the standard CRPS of the members at or above it; undefined (left out of
 *   `owNum`/`owWeight`) where the truth is at or above the threshold but no member is.
 */
export function addWeightedEventPoint(sum: WeightedEventSums, sorted: ArrayLike<number>, y: number, threshold: number, w: number): void {
  const M = sorted.length;
  const thr = threshold;
  // members at or above the threshold form a suffix of the sorted members; those above it a shorter one
  let atOrAbove = M;
  while (atOrAbove > 0 && sorted[atOrAbove - 1]! >= thr) atOrAbove--;
  let above = atOrAbove;
  while (above < M && sorted[above]! <= thr) above++;
  const pMin = 1 / (2 * M);
  const p = Math.min(Math.max((M - above) / M, pMin), 1 - pMin);
  sum.logNum += w * (y > thr ? -Math.log(p) : -Math.log(1 - p));
  sum.weight += w;
  // twCRPS: the CRPS sums of the chained members max(x_(i), thr) (still ascending) against max(y, thr)
  const yc = Math.max(y, thr);
  let absErrorSum = 0;
  let giniSum = 0;
  for (let i = 0; i < M; i++) {
    const x = Math.max(sorted[i]!, thr);
    absErrorSum += Math.abs(x - yc);
    giniSum += (2 * (i + 1) - M - 1) * x;
  }
  sum.twNum += w * (absErrorSum / M - giniSum / (M * M));
  if (!(y >= thr)) sum.owWeight += w;
  else if (atOrAbove < M) {
    const n = M - atOrAbove;
    let a = 0;
    let gs = 0;
    for (let i = 0; i < n; i++) {
      const x = sorted[atOrAbove + i]!;
      a += Math.abs(x - y);
      gs += (2 * (i + 1) - n - 1) * x;
    }
    sum.owNum += w * (a / n - gs / (n * n));
    sum.owWeight += w;
  }
}

/** Area-weighted results of one field. */
export interface FieldPassResult {
  members: number;
  ensembleMeanMse: number;
  ensembleVariance: number;
  debiasedEnsembleMeanMse: number;
  crpsSkill: number;
  crpsSpread: number;
  crpsFair: number;
  crpsStandard: number;
  /** Energy score with WB2's adjacent-pair spread (§2.7). */
  energyScore: number;
  energySkill: number;
  energySpread: number;
  /** sqrt(⟨(x_control − y)²⟩), NaN without a control. */
  controlRmse: number;
  /** RMSE of the member with the smallest area-mean squared error (`bestMember` in mean.ts). */
  bestMemberRmse: number;
  bestMember: number;
  /** Unweighted rank counts 0..M. */
  rankCounts: Float64Array;
  outlierFraction: number;
}

export const DEFAULT_SIGMA_EDGES = [-Infinity, -4, -3, -2, -1, 0, 1, 2, 3, 4, Infinity];


/** Index of the first element >= x (= number of elements < x). */
function countBelow(sorted: Float64Array, x: number, n = sorted.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Accumulates the member-based scores of one forecast field. Bands may cover any set of points in any order, each
 * point exactly once; results equal the in-memory functions (`ensembleTimeStatistics`, `energyScore`, `bestMember`,
 * `rankHistogram`, `membersBeyondTruth`, `efiField`, `sot`, `SubEnsembleScores`) to rounding.
 */
export class FieldPass {
  readonly options: FieldPassOptions;
  readonly points: number;
  readonly members: number;
  private readonly sums = new Float64Array(8);
  private weightSum = 0;
  private pointsAdded = 0;
  private readonly memberSq: Float64Array;
  private readonly adjacentSq: Float64Array;
  private controlSq = 0;
  readonly rankCounts: Float64Array;
  readonly events: ProbabilityHistogram[];
  readonly sigma: BeyondTruthHistogram;
  readonly subEnsembles?: SubEnsembleScores;
  readonly meanField?: Float64Array;
  readonly efiField?: Float64Array;
  readonly sotUpper?: Float64Array;
  readonly sotLower?: Float64Array;
  private readonly seen: Uint8Array;
  /** Point-major copy of a group of points' members. */
  private readonly transposed: Float64Array;
  /** The same members' float32 bit patterns, when the band is a Float32Array (the sort's keys). */
  private readonly transposedBits: Uint32Array;
  private readonly group: number;
  private readonly sorter: MemberSorter;
  private readonly fractions = new Float64Array(CLIMATE_PERCENTILES);
  private readonly climPoint = new Float64Array(CLIMATE_PERCENTILES);
  private readonly sigmaZ = new Float64Array(1);
  private readonly sigmaBeyond = new Float64Array(1);
  private readonly sigmaW = new Float64Array(1);
  /** Per weighted-event threshold: log score, twCRPS and owCRPS sums (`addWeightedEventPoint`). */
  readonly weightedEvents: WeightedEventSums[];

  constructor(options: FieldPassOptions) {
    this.points = gridPoints(options.grid);
    checkLatitudeWeights(options.latWeights, options.grid.nlat);
    checkPositiveInteger('members', options.members);
    if (options.control !== undefined && !(Number.isInteger(options.control) && options.control >= 0 && options.control < options.members)) {
      throw new Error(`control must be a member index in [0, ${options.members - 1}], got ${options.control}`);
    }
    this.options = options;
    this.members = options.members;
    this.memberSq = new Float64Array(options.members);
    this.adjacentSq = new Float64Array(Math.max(0, options.members - 1));
    this.rankCounts = new Float64Array(options.members + 1);
    this.events = Array.from({ length: options.eventThresholds ?? 0 }, () => new ProbabilityHistogram(options.members));
    this.weightedEvents = Array.from({ length: options.weightedEventThresholds ?? 0 }, newWeightedEventSums);
    this.sigma = new BeyondTruthHistogram(options.sigmaEdges ?? DEFAULT_SIGMA_EDGES);
    if (options.subEnsembles?.length) {
      this.subEnsembles = new SubEnsembleScores(options.grid, options.latWeights, options.members, options.subEnsembles, options.subEnsembleOptions);
    }
    if (options.keepFields) {
      this.meanField = new Float64Array(this.points).fill(Number.NaN);
      if (options.climate) {
        this.efiField = new Float64Array(this.points).fill(Number.NaN);
        this.sotUpper = new Float64Array(this.points).fill(Number.NaN);
        this.sotLower = new Float64Array(this.points).fill(Number.NaN);
      }
    }
    this.seen = new Uint8Array(this.points);
    // groups of at most 16 points (128 KiB of float64 members at M = 1,024): the transposed copy stays in cache
    this.group = Math.max(1, Math.min(16, Math.floor((1 << 17) / options.members)));
    this.transposed = new Float64Array(this.group * options.members);
    this.transposedBits = new Uint32Array(this.group * options.members);
    this.sorter = new MemberSorter(options.members);
  }

  /**
   * Adds a band: `block` member-major (M, S) for the global points `pointIndex` (S, flattened lat·nlon + lon),
   * `truth` (S); `thresholds` (T, S) event thresholds; `climate` (101, S) M-climate percentiles; `weightedThresholds`
   * (W, S) thresholds of the weighted event scores. A NaN member or truth throws an error naming the member and point.
   *
   * Every point's members are sorted once (`MemberSorter`) and everything that needs the order — CRPS, ranks, events,
   * σ-bins, EFI/SOT, the sub-ensembles' order statistics and the weighted event scores — is read off that one sort.
   */
  addBand(block: ArrayLike<number>, pointIndex: ArrayLike<number>, truth: ArrayLike<number>, thresholds?: ArrayLike<number>, climate?: ArrayLike<number>, weightedThresholds?: ArrayLike<number>): this {
    const S = pointIndex.length;
    const M = this.members;
    const o = this.options;
    const nlon = o.grid.nlon;
    checkLength('band truth', truth, S, 'one value per band point');
    checkLength('band block', block, M * S, `members*points = ${M}*${S}, member-major`);
    const T = this.events.length;
    if (T) checkLength('band thresholds', thresholds ?? [], T * S, `thresholds*points = ${T}*${S}`);
    if (o.climate) checkLength('band climate', climate ?? [], CLIMATE_PERCENTILES * S, `101*points = 101*${S}, percentile-major`);
    const W = this.weightedEvents.length;
    if (W) checkLength('band weighted-event thresholds', weightedThresholds ?? [], W * S, `thresholds*points = ${W}*${S}`);
    for (let p = 0; p < S; p++) {
      const g = pointIndex[p]!;
      if (!(Number.isInteger(g) && g >= 0 && g < this.points)) throw new Error(`band point index ${g} is outside the ${this.points}-point grid`);
      if (this.seen[g]) throw new Error(`point ${g} was already added to this field`);
    }
    const ctl = o.control;
    const s = this.sums;
    const memberSq = this.memberSq;
    const adjacentSq = this.adjacentSq;
    const sorter = this.sorter;
    const sub = this.subEnsembles;
    // points are handled in groups whose members are first copied point-major (contiguous per point): reading the
    // member-major band point by point would stride over all of it once per point
    const G = this.group;
    const tbuf = this.transposed;
    const tbits = this.transposedBits;
    const bits = block instanceof Float32Array ? new Uint32Array(block.buffer, block.byteOffset, block.length) : undefined;
    for (let p0 = 0; p0 < S; p0 += G) {
      const gCount = Math.min(G, S - p0);
      for (let m = 0; m < M; m++) {
        const base = m * S + p0;
        for (let k = 0; k < gCount; k++) tbuf[k * M + m] = block[base + k]!;
        if (bits) for (let k = 0; k < gCount; k++) tbits[k * M + m] = bits[base + k]!;
      }
      for (let p = p0; p < p0 + gCount; p++) {
        const off = (p - p0) * M;
        const g = pointIndex[p]!;
        if (this.seen[g]) throw new Error(`point ${g} was already added to this field`);
        this.seen[g] = 1;
        const w = o.latWeights[Math.floor(g / nlon)]!;
        const y = truth[p]!;
        if (Number.isNaN(y)) throw new Error(`truth is NaN at point ${g} (row ${Math.floor(g / nlon)}, column ${g % nlon})`);
        let sum = 0;
        let prev = tbuf[off]!;
        for (let m = 0; m < M; m++) {
          const x = tbuf[off + m]!;
          if (Number.isNaN(x)) throw new Error(`member ${m} is NaN at point ${g} (row ${Math.floor(g / nlon)}, column ${g % nlon})`);
          sum += x;
          const d = x - y;
          memberSq[m] += w * d * d;
          if (m > 0) {
            const a = prev - x;
            adjacentSq[m - 1] += w * a * a;
          }
          prev = x;
        }
        if (ctl !== undefined) this.controlSq += w * (tbuf[off + ctl]! - y) * (tbuf[off + ctl]! - y);
        const mu = sum / M;
        let ss = 0;
        for (let m = 0; m < M; m++) {
          const d = tbuf[off + m]! - mu;
          ss += d * d;
        }
        const variance = M > 1 ? ss / (M - 1) : 0;
        // (members checked for NaN above, so the float32 bit patterns sort as the values do)
        const v = bits ? sorter.sortFloat32(tbuf, off, tbits, off) : sorter.sort(tbuf.subarray(off, off + M));
        // rank of the truth: #(x < y), plus a uniform position among members equal to it (rankOfTruth in ranks.ts)
        const below = countBelow(v, y, M);
        const atOrBelowY = countAtOrBelow(v, y, M);
        let rank = below;
        if (atOrBelowY > below && o.tieBreak) {
          const u = o.tieBreak(g);
          if (!(u >= 0 && u < 1)) throw new Error(`uniform source must return values in [0, 1), got ${u}`);
          rank += Math.floor(u * (atOrBelowY - below + 1));
        }
        this.rankCounts[rank] += 1;
        const { absErrorSum, giniSum } = crpsSumsSorted(v, y);
        const se = (y - mu) * (y - mu);
        const skill = absErrorSum / M;
        const spread = M > 1 ? (2 * giniSum) / (M * (M - 1)) : 0;
        s[0] += w * se;
        s[1] += w * variance;
        s[2] += w * (M > 1 ? se - variance / M : Number.NaN);
        s[3] += w * skill;
        s[4] += w * spread;
        s[5] += w * (skill - 0.5 * spread);
        s[6] += w * (absErrorSum / M - giniSum / (M * M));
        this.weightSum += w;
        this.pointsAdded++;
        // events x > threshold
        for (let t = 0; t < T; t++) {
          const thr = thresholds![t * S + p]!;
          if (Number.isNaN(thr)) throw new Error(`event threshold ${t} is NaN at point ${g}`);
          const e = M - countAtOrBelow(v, thr, M);
          this.events[t]!.add(e, y > thr ? 1 : 0, w);
        }
        // members beyond the truth by σ-distance (membersBeyondTruth in huge.ts)
        if (M > 1) {
          const sd = Math.sqrt(variance);
          this.sigmaZ[0] = (y - mu) / sd;
          this.sigmaBeyond[0] = y >= mu ? M - atOrBelowY : below;
          this.sigmaW[0] = w;
          this.sigma.add(this.sigmaZ, this.sigmaBeyond, this.sigmaW);
        }
        if (this.meanField) this.meanField[g] = mu;
        if (o.climate) {
          const f = this.fractions;
          const c = this.climPoint;
          for (let j = 0; j < CLIMATE_PERCENTILES; j++) {
            c[j] = climate![j * S + p]!;
            f[j] = countAtOrBelow(v, c[j]!, M) / M;
          }
          const eps = o.efiEps ?? EFI_DEFAULT_EPS;
          const efi = efiFromFractions(f, eps, eps > 0 ? c : undefined);
          if (this.efiField) {
            this.efiField[g] = efi;
            const sotEps = o.sotEps ?? SOT_DEFAULT_EPS;
            this.sotUpper![g] = sotFromQuantiles(c[99]!, c[90]!, percentileSorted(v, 90), sotEps);
            this.sotLower![g] = sotFromQuantiles(c[1]!, c[10]!, percentileSorted(v, 10), sotEps);
          }
          s[7] += w * efi;
        }
        if (sub) sub.addPoint(g, y, v, sorter.order);
        for (let t = 0; t < W; t++) {
          const thr = weightedThresholds![t * S + p]!;
          if (Number.isNaN(thr)) throw new Error(`weighted-event threshold ${t} is NaN at point ${g}`);
          addWeightedEventPoint(this.weightedEvents[t]!, v, y, thr, w);
        }
      }
    }
    return this;
  }

  /** Number of points added so far. */
  get added(): number {
    return this.pointsAdded;
  }

  /** Area-weighted results; every point of the grid must have been added. */
  result(): FieldPassResult {
    if (this.pointsAdded !== this.points) throw new Error(`FieldPass: ${this.pointsAdded} of ${this.points} points were added`);
    const W = this.weightSum;
    const M = this.members;
    const s = this.sums;
    let skill = 0;
    let best = Infinity;
    let bestMember = -1;
    for (let m = 0; m < M; m++) {
      const r = Math.sqrt(this.memberSq[m]! / W);
      skill += r;
      if (r < best) {
        best = r;
        bestMember = m;
      }
    }
    skill /= M;
    let spread = 0;
    for (let m = 0; m + 1 < M; m++) spread += Math.sqrt(this.adjacentSq[m]! / W);
    if (M > 1) spread /= M - 1;
    let n = 0;
    for (const c of this.rankCounts) n += c;
    return {
      members: M,
      ensembleMeanMse: s[0]! / W,
      ensembleVariance: s[1]! / W,
      debiasedEnsembleMeanMse: s[2]! / W,
      crpsSkill: s[3]! / W,
      crpsSpread: s[4]! / W,
      crpsFair: s[5]! / W,
      crpsStandard: s[6]! / W,
      energyScore: skill - 0.5 * spread,
      energySkill: skill,
      energySpread: spread,
      controlRmse: this.options.control !== undefined ? Math.sqrt(this.controlSq / W) : Number.NaN,
      bestMemberRmse: best,
      bestMember,
      rankCounts: this.rankCounts,
      outlierFraction: (this.rankCounts[0]! + this.rankCounts[M]!) / n,
    };
  }

  /** Area-mean EFI (NaN without a climate). */
  meanEfi(): number {
    return this.options.climate ? this.sums[7]! / this.weightSum : Number.NaN;
  }
}
