// Huge-ensemble diagnostics (hens-factsheet §3.3, HENS Part II): members beyond the truth binned by the truth's
// σ-distance from the ensemble mean, and bootstrapped sub-ensembles (best-member skill, interval widths, coverage).

import { decodeArray, encodeArray, type EncodedArray } from './streaming.ts';
import { countAtOrBelow, MemberSorter } from './sorted.ts';
import { checkEnsemble, checkLatitudeWeights, checkLength, checkPositiveInteger, gridPoints, type GridShape, type UniformSource } from './grid.ts';

/**
 * Per point: the truth's σ-distance z = (y − x̄)/s (s with ddof = 1) and the number of members beyond the truth,
 * i.e. on the far side of the truth from the ensemble mean (x_m > y when z >= 0, x_m < y when z < 0) — the
 * quantity of HENS Part II Fig. 6 ("members exceeding ERA5, binned by the sigma value of ERA5").
 * z is ±Infinity when s = 0 and y ≠ x̄, NaN when both are 0.
 */
export function membersBeyondTruth(
  ensemble: ArrayLike<number>,
  truth: ArrayLike<number>,
  members: number,
  points: number,
): { sigmaDistance: Float64Array; beyond: Int32Array } {
  checkEnsemble(ensemble, members, points);
  checkLength('truth', truth, points, 'one value per point');
  if (members < 2) throw new Error(`membersBeyondTruth needs at least 2 members for a spread, got ${members}`);
  const z = new Float64Array(points);
  const beyond = new Int32Array(points);
  for (let p = 0; p < points; p++) {
    let sum = 0;
    for (let m = 0; m < members; m++) sum += ensemble[m * points + p]!;
    const mu = sum / members;
    let ss = 0;
    for (let m = 0; m < members; m++) {
      const d = ensemble[m * points + p]! - mu;
      ss += d * d;
    }
    const s = Math.sqrt(ss / (members - 1));
    const y = truth[p]!;
    z[p] = (y - mu) / s;
    let count = 0;
    if (y >= mu) {
      for (let m = 0; m < members; m++) if (ensemble[m * points + p]! > y) count++;
    } else {
      for (let m = 0; m < members; m++) if (ensemble[m * points + p]! < y) count++;
    }
    beyond[p] = count;
  }
  return { sigmaDistance: z, beyond };
}

/** One σ-distance bin of `BeyondTruthHistogram`. */
export interface SigmaBin {
  lower: number;
  upper: number;
  /** (Weighted) number of cases whose truth falls in [lower, upper). */
  cases: number;
  /** Mean number of members beyond the truth. */
  meanMembersBeyond: number;
  /** Fraction of cases with at least one member beyond the truth (the truth is inside the ensemble range). */
  fractionWithMemberBeyond: number;
}

/** Mergeable histogram of members-beyond-truth by the truth's σ-distance (bins [e_k, e_{k+1})); NaN z skipped. */
export class BeyondTruthHistogram {
  readonly edges: Float64Array;
  readonly weight: Float64Array;
  readonly beyondSum: Float64Array;
  readonly anyBeyond: Float64Array;

  constructor(edges: ArrayLike<number>) {
    if (!edges || edges.length < 2) throw new Error('edges must hold at least 2 increasing σ values');
    for (let i = 1; i < edges.length; i++) {
      if (!(edges[i]! > edges[i - 1]!)) throw new Error(`edges must be strictly increasing; problem at index ${i}`);
    }
    this.edges = Float64Array.from(edges);
    const k = edges.length - 1;
    this.weight = new Float64Array(k);
    this.beyondSum = new Float64Array(k);
    this.anyBeyond = new Float64Array(k);
  }

  /** Adds per-point results (from `membersBeyondTruth`), optionally weighted (e.g. latitude weights of the points). */
  add(sigmaDistance: ArrayLike<number>, beyond: ArrayLike<number>, weights?: ArrayLike<number>): this {
    checkLength('beyond', beyond, sigmaDistance.length, 'one count per σ-distance');
    if (weights) checkLength('weights', weights, sigmaDistance.length, 'one weight per σ-distance');
    const e = this.edges;
    const k = e.length - 1;
    for (let i = 0; i < sigmaDistance.length; i++) {
      const z = sigmaDistance[i]!;
      if (Number.isNaN(z) || z < e[0]! || z >= e[k]!) continue;
      let lo = 0;
      let hi = k;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (z >= e[mid]!) lo = mid;
        else hi = mid;
      }
      const w = weights ? weights[i]! : 1;
      this.weight[lo] += w;
      this.beyondSum[lo] += w * beyond[i]!;
      if (beyond[i]! > 0) this.anyBeyond[lo] += w;
    }
    return this;
  }

  merge(other: BeyondTruthHistogram): this {
    if (other.edges.length !== this.edges.length || other.edges.some((v, i) => v !== this.edges[i])) {
      throw new Error('merge: BeyondTruthHistogram edges differ');
    }
    for (let i = 0; i < this.weight.length; i++) {
      this.weight[i] += other.weight[i]!;
      this.beyondSum[i] += other.beyondSum[i]!;
      this.anyBeyond[i] += other.anyBeyond[i]!;
    }
    return this;
  }

  toJSON(): { kind: 'beyond-truth-histogram'; version: 1; edges: number[]; weight: EncodedArray; beyondSum: EncodedArray; anyBeyond: EncodedArray } {
    return {
      kind: 'beyond-truth-histogram',
      version: 1,
      edges: Array.from(this.edges),
      weight: encodeArray(this.weight),
      beyondSum: encodeArray(this.beyondSum),
      anyBeyond: encodeArray(this.anyBeyond),
    };
  }

  static fromJSON(json: ReturnType<BeyondTruthHistogram['toJSON']>): BeyondTruthHistogram {
    if (!json || json.kind !== 'beyond-truth-histogram' || json.version !== 1) throw new Error(`expected a serialised beyond-truth-histogram, got kind ${String(json?.kind)}`);
    const out = new BeyondTruthHistogram(json.edges);
    const k = json.edges.length - 1;
    out.weight.set(decodeArray('weight', json.weight, 'float64', k));
    out.beyondSum.set(decodeArray('beyondSum', json.beyondSum, 'float64', k));
    out.anyBeyond.set(decodeArray('anyBeyond', json.anyBeyond, 'float64', k));
    return out;
  }

  bins(): SigmaBin[] {
    const out: SigmaBin[] = [];
    for (let i = 0; i < this.weight.length; i++) {
      const w = this.weight[i]!;
      out.push({
        lower: this.edges[i]!,
        upper: this.edges[i + 1]!,
        cases: w,
        meanMembersBeyond: w > 0 ? this.beyondSum[i]! / w : Number.NaN,
        fractionWithMemberBeyond: w > 0 ? this.anyBeyond[i]! / w : Number.NaN,
      });
    }
    return out;
  }
}

/** Member indices of the resampled sub-ensembles of one size: (resamples, size) row-major. */
export interface SubEnsembleDraws {
  size: number;
  resamples: number;
  replacement: boolean;
  indices: Int32Array;
}

/**
 * Draws sub-ensembles of the given sizes from M members with the injected uniform source (HENS Part II
 * `reduce.py`: sizes 50, 100, 500, 1000, 5000, 7424). The same members are used at every point, so draws made
 * once can be applied tile by tile. Without replacement (default) each is a random subset (partial Fisher–Yates);
 * a size equal to M is then the whole ensemble. With replacement it is a bootstrap sample.
 */
export function drawSubEnsembles(
  members: number,
  sizes: readonly number[],
  resamples: number,
  uniform: UniformSource,
  replacement = false,
): SubEnsembleDraws[] {
  checkPositiveInteger('members', members);
  checkPositiveInteger('resamples', resamples);
  if (typeof uniform !== 'function') throw new Error('uniform must be a function returning values in [0, 1)');
  const draw = (n: number): number => {
    const u = uniform();
    if (!(u >= 0 && u < 1)) throw new Error(`uniform source must return values in [0, 1), got ${u}`);
    return Math.floor(u * n);
  };
  const pool = new Int32Array(members);
  return sizes.map((size, s) => {
    checkPositiveInteger(`sizes[${s}]`, size);
    if (!replacement && size > members) throw new Error(`sizes[${s}] = ${size} exceeds the ${members} members (sampling without replacement)`);
    const indices = new Int32Array(resamples * size);
    for (let r = 0; r < resamples; r++) {
      if (replacement) {
        for (let i = 0; i < size; i++) indices[r * size + i] = draw(members);
      } else if (size === members) {
        for (let i = 0; i < size; i++) indices[r * size + i] = i;
      } else {
        for (let i = 0; i < members; i++) pool[i] = i;
        for (let i = 0; i < size; i++) {
          const j = i + draw(members - i);
          const t = pool[i]!;
          pool[i] = pool[j]!;
          pool[j] = t;
          indices[r * size + i] = pool[i]!;
        }
      }
    }
    return { size, resamples, replacement, indices };
  });
}

/** Options of `SubEnsembleScores`. */
export interface SubEnsembleOptions {
  /** Central interval whose width is reported (default 0.9: 5th to 95th percentile, linear interpolation). */
  intervalLevel?: number;
  /** Coverage target for the "satisfactory ensemble size" (default 0.95, HENS Part II). */
  coverageTarget?: number;
}

/** Results for one sub-ensemble size. */
export interface SubEnsembleSizeResult {
  size: number;
  resamples: number;
  /** Per resample: area-weighted RMS of the best member at each cell, sqrt(⟨min_m (x_m − y)²⟩). */
  bestMemberRmse: Float64Array;
  bestMemberRmseMean: number;
  /** 2.5th and 97.5th percentiles of bestMemberRmse over resamples. */
  bestMemberRmseInterval: [number, number];
  /** Area-weighted mean over points and resamples of the ensemble range max − min. */
  meanRangeWidth: number;
  /** Area-weighted mean of the central `intervalLevel` interval width. */
  meanIntervalWidth: number;
  /** Area-weighted fraction of (point, resample) whose range contains the truth (1 − outlier fraction). */
  coverage: number;
  /** 1 − 2/(size + 1) for a calibrated ensemble. */
  expectedCoverage: number;
}

/**
 * Which order statistics (0-based positions in the sorted sub-ensemble of `size`) a sub-ensemble needs — min, max and
 * the floor/ceil neighbours of the linear-interpolation percentiles (1 ∓ level)/2 — split into those nearer the
 * bottom (positions counted from the bottom) and those nearer the top (counted from the top), each ascending, with
 * the slot (0 min, 1 max, 2–3 low pair, 4–5 high pair) each fills.
 */
interface OrderStatisticPlan {
  bottomPos: Int32Array;
  bottomSlot: Int32Array;
  topPos: Int32Array;
  topSlot: Int32Array;
}

function orderStatisticPlan(size: number, intervalLevel: number): OrderStatisticPlan {
  const n = size;
  const pl = Math.floor(((1 - intervalLevel) / 2) * (n - 1));
  const ph = Math.floor(((1 + intervalLevel) / 2) * (n - 1));
  const positions = [0, n - 1, pl, Math.min(pl + 1, n - 1), ph, Math.min(ph + 1, n - 1)];
  const bottom: Array<[number, number]> = [];
  const top: Array<[number, number]> = [];
  positions.forEach((p, slot) => (p <= (n - 1) / 2 ? bottom.push([p, slot]) : top.push([n - 1 - p, slot])));
  bottom.sort((a, b) => a[0] - b[0]);
  top.sort((a, b) => a[0] - b[0]);
  return {
    bottomPos: Int32Array.from(bottom, (x) => x[0]),
    bottomSlot: Int32Array.from(bottom, (x) => x[1]),
    topPos: Int32Array.from(top, (x) => x[0]),
    topSlot: Int32Array.from(top, (x) => x[1]),
  };
}

function percentileOfSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Mergeable, tile-wise sub-ensemble statistics over a grid: add member-major tiles (M, Ptile) of a contiguous
 * flattened point range, merge partial results, then read per-size results and the per-point smallest size
 * whose sub-ensembles contain the truth in at least `coverageTarget` of resamples.
 */
export class SubEnsembleScores {
  readonly grid: GridShape;
  readonly members: number;
  readonly draws: SubEnsembleDraws[];
  readonly intervalLevel: number;
  readonly coverageTarget: number;
  private readonly latWeights: Float64Array;
  /** per (size, resample): Σ w·bestSq, Σ w·range, Σ w·interval, Σ w·covered */
  private readonly sums: Float64Array[];
  /** per size, per point: number of resamples containing the truth. */
  readonly coveredCounts: Float64Array[];
  private weightSum = 0;
  private readonly pointsDone: Uint8Array;
  /** per (size, resample) subset, per member: how many times the member is drawn. */
  private readonly multiplicity: Uint32Array;
  private readonly plans: OrderStatisticPlan[];
  /** per member, the subsets holding it as bits (words of 32 subsets), when no subset repeats a member. */
  private readonly memberWords?: Uint32Array;
  /** `memberWords` of the member at each rank of the current point, word-major (sequential walks). */
  private readonly rankWords?: Uint32Array;
  /** order statistics of one subset: min, max, low pair, high pair. */
  private readonly stat = new Float64Array(6);

  constructor(grid: GridShape, latWeights: Float64Array, members: number, draws: SubEnsembleDraws[], options: SubEnsembleOptions = {}) {
    const points = gridPoints(grid);
    checkLatitudeWeights(latWeights, grid.nlat);
    checkPositiveInteger('members', members);
    this.grid = { nlat: grid.nlat, nlon: grid.nlon };
    this.latWeights = Float64Array.from(latWeights);
    this.members = members;
    this.draws = draws;
    for (const d of draws) {
      for (let i = 0; i < d.indices.length; i++) {
        const v = d.indices[i]!;
        if (!(v >= 0 && v < members)) throw new Error(`draws of size ${d.size}: member index ${v} outside [0, ${members - 1}]`);
      }
    }
    this.intervalLevel = options.intervalLevel ?? 0.9;
    this.coverageTarget = options.coverageTarget ?? 0.95;
    if (!(this.intervalLevel > 0 && this.intervalLevel < 1)) throw new Error(`intervalLevel must be in (0, 1), got ${this.intervalLevel}`);
    if (!(this.coverageTarget > 0 && this.coverageTarget <= 1)) throw new Error(`coverageTarget must be in (0, 1], got ${this.coverageTarget}`);
    this.sums = draws.map((d) => new Float64Array(d.resamples * 4));
    this.coveredCounts = draws.map(() => new Float64Array(points));
    this.pointsDone = new Uint8Array(points);
    let subsets = 0;
    for (const d of draws) subsets += d.resamples;
    this.multiplicity = new Uint32Array(subsets * members);
    let subset = 0;
    for (const d of draws) {
      for (let r = 0; r < d.resamples; r++, subset++) {
        for (let i = 0; i < d.size; i++) this.multiplicity[subset * members + d.indices[r * d.size + i]!] += 1;
      }
    }
    this.plans = draws.map((d) => orderStatisticPlan(d.size, this.intervalLevel));
    // without repeated members (draws without replacement): one bit per subset, per member
    if (this.multiplicity.every((k) => k <= 1)) {
      const W = Math.ceil(subsets / 32);
      this.memberWords = new Uint32Array(members * W);
      this.rankWords = new Uint32Array(W * members);
      for (let i = 0; i < subsets; i++) {
        for (let k = 0; k < members; k++) if (this.multiplicity[i * members + k]) this.memberWords[k * W + (i >> 5)] |= 1 << (i & 31);
      }
    }
  }

  /** Adds a tile: member-major block (M, tilePoints) for global points [pointOffset, pointOffset + tilePoints). */
  addTile(block: ArrayLike<number>, truth: ArrayLike<number>, pointOffset: number): this {
    const total = this.grid.nlat * this.grid.nlon;
    const tilePoints = truth.length;
    checkEnsemble(block, this.members, tilePoints, 'tile block');
    if (!Number.isInteger(pointOffset) || pointOffset < 0 || pointOffset + tilePoints > total) {
      throw new Error(`pointOffset ${pointOffset} with ${tilePoints} points does not fit the ${total}-point grid`);
    }
    const m = this.members;
    const values = new Float64Array(m);
    const sorter = new MemberSorter(m);
    for (let t = 0; t < tilePoints; t++) {
      const y = truth[t]!;
      let nan = Number.isNaN(y);
      for (let k = 0; k < m; k++) {
        const x = block[k * tilePoints + t]!;
        values[k] = x;
        if (Number.isNaN(x)) nan = true;
      }
      if (nan) this.addPointDirect(pointOffset + t, y, values);
      else {
        sorter.sort(values);
        this.addPoint(pointOffset + t, y, sorter.sorted, sorter.order);
      }
    }
    return this;
  }

  /**
   * Adds one point from its members sorted once (`MemberSorter`: `sorted` ascending values, `order` the member at
   * each rank; no NaN). Each sub-ensemble's order statistics (min, max and the two pairs of neighbours that the
   * linear-interpolation percentiles of the central interval need) are read off the full sorted order by walking it
   * from the bottom and from the top and counting only that sub-ensemble's members (with their multiplicity), and its
   * member nearest the truth by walking outwards from the truth's position: O(M/size) steps per statistic on average
   * instead of copying and sorting every sub-ensemble. The values, and so every sum, are those of the direct
   * per-sub-ensemble sort (`addPointDirect`), bit for bit.
   */
  addPoint(globalPoint: number, y: number, sorted: Float64Array, order: Int32Array): this {
    const g = globalPoint;
    if (this.pointsDone[g]) throw new Error(`point ${g} was already added`);
    this.pointsDone[g] = 1;
    const w = this.latWeights[Math.floor(g / this.grid.nlon)]!;
    this.weightSum += w;
    const M = this.members;
    // members at or below the truth
    const split = countAtOrBelow(sorted, y, M);
    const got = this.stat;
    const mult = this.multiplicity;
    const rankWords = this.rankWords;
    if (rankWords) {
      const W = rankWords.length / M;
      const mw = this.memberWords!;
      for (let q = 0; q < M; q++) {
        const m = order[q]!;
        for (let w = 0; w < W; w++) rankWords[w * M + q] = mw[m * W + w]!;
      }
    }
    const qLow = (1 - this.intervalLevel) / 2;
    const qHigh = (1 + this.intervalLevel) / 2;
    let subset = 0;
    for (let s = 0; s < this.draws.length; s++) {
      const d = this.draws[s]!;
      const plan = this.plans[s]!;
      const sums = this.sums[s]!;
      const covered = this.coveredCounts[s]!;
      const n = d.size;
      for (let r = 0; r < d.resamples; r++, subset++) {
        let best = Infinity;
        if (rankWords) {
          const wb = (subset >> 5) * M;
          const sh = subset & 31;
          const bit = 1 << sh;
          // from the bottom: c counts this subset's members passed; the branch is taken only at a wanted position
          const nb = plan.bottomPos.length;
          let c = 0;
          let t = 0;
          let next = plan.bottomPos[0]!;
          for (let q = 0; t < nb; q++) {
            const b = (rankWords[wb + q]! >>> sh) & 1;
            if (c === next && b === 1) {
              const x = sorted[q]!;
              while (t < nb && plan.bottomPos[t]! === c) got[plan.bottomSlot[t++]!] = x;
              next = t < nb ? plan.bottomPos[t]! : -1;
            }
            c += b;
          }
          // from the top
          const nt = plan.topPos.length;
          c = 0;
          t = 0;
          next = plan.topPos[0]!;
          for (let q = M - 1; t < nt; q--) {
            const b = (rankWords[wb + q]! >>> sh) & 1;
            if (c === next && b === 1) {
              const x = sorted[q]!;
              while (t < nt && plan.topPos[t]! === c) got[plan.topSlot[t++]!] = x;
              next = t < nt ? plan.topPos[t]! : -1;
            }
            c += b;
          }
          // nearest members below-or-at and above the truth
          for (let q = split - 1; q >= 0; q--) {
            if ((rankWords[wb + q]! & bit) === 0) continue;
            const e = (sorted[q]! - y) * (sorted[q]! - y);
            if (e < best) best = e;
            break;
          }
          for (let q = split; q < M; q++) {
            if ((rankWords[wb + q]! & bit) === 0) continue;
            const e = (sorted[q]! - y) * (sorted[q]! - y);
            if (e < best) best = e;
            break;
          }
        } else {
          const base = subset * M;
          // from the bottom
          const nb = plan.bottomPos.length;
          let c = 0;
          let t = 0;
          for (let q = 0; t < nb; q++) {
            const k = mult[base + order[q]!]!;
            if (k === 0) continue;
            const x = sorted[q]!;
            while (t < nb && plan.bottomPos[t]! < c + k) got[plan.bottomSlot[t++]!] = x;
            c += k;
          }
          // from the top
          const nt = plan.topPos.length;
          c = 0;
          t = 0;
          for (let q = M - 1; t < nt; q--) {
            const k = mult[base + order[q]!]!;
            if (k === 0) continue;
            const x = sorted[q]!;
            while (t < nt && plan.topPos[t]! < c + k) got[plan.topSlot[t++]!] = x;
            c += k;
          }
          // nearest members below-or-at and above the truth
          for (let q = split - 1; q >= 0; q--) {
            if (mult[base + order[q]!]! === 0) continue;
            const e = (sorted[q]! - y) * (sorted[q]! - y);
            if (e < best) best = e;
            break;
          }
          for (let q = split; q < M; q++) {
            if (mult[base + order[q]!]! === 0) continue;
            const e = (sorted[q]! - y) * (sorted[q]! - y);
            if (e < best) best = e;
            break;
          }
        }
        const min = got[0]!;
        const max = got[1]!;
        const pl = qLow * (n - 1);
        const ph = qHigh * (n - 1);
        const low = got[2]! + (pl - Math.floor(pl)) * (got[3]! - got[2]!);
        const high = got[4]! + (ph - Math.floor(ph)) * (got[5]! - got[4]!);
        const inside = min <= y && y <= max ? 1 : 0;
        sums[4 * r] += w * best;
        sums[4 * r + 1] += w * (max - min);
        sums[4 * r + 2] += w * (high - low);
        sums[4 * r + 3] += w * inside;
        covered[g] += inside;
      }
    }
    return this;
  }

  /** The direct definition at one point (copy and sort every sub-ensemble); used for points holding NaN. */
  private addPointDirect(g: number, y: number, values: Float64Array): void {
    if (this.pointsDone[g]) throw new Error(`point ${g} was already added`);
    this.pointsDone[g] = 1;
    const w = this.latWeights[Math.floor(g / this.grid.nlon)]!;
    this.weightSum += w;
    const sub = new Float64Array(Math.max(...this.draws.map((d) => d.size), 1));
    const qLow = (1 - this.intervalLevel) / 2;
    const qHigh = (1 + this.intervalLevel) / 2;
    for (let s = 0; s < this.draws.length; s++) {
      const d = this.draws[s]!;
      const sums = this.sums[s]!;
      const covered = this.coveredCounts[s]!;
      const view = sub.subarray(0, d.size);
      for (let r = 0; r < d.resamples; r++) {
        let best = Infinity;
        for (let i = 0; i < d.size; i++) {
          const x = values[d.indices[r * d.size + i]!]!;
          view[i] = x;
          const e = (x - y) * (x - y);
          if (e < best || Number.isNaN(e)) best = e;
        }
        view.sort();
        const lo = view[0]!;
        const hi = view[d.size - 1]!;
        const inside = lo <= y && y <= hi ? 1 : 0;
        sums[4 * r] += w * best;
        sums[4 * r + 1] += w * (hi - lo);
        sums[4 * r + 2] += w * (percentileOfSorted(view, qHigh) - percentileOfSorted(view, qLow));
        sums[4 * r + 3] += w * inside;
        covered[g] += inside;
      }
    }
  }

  /** Merges the results of another instance built with the same grid, weights and draws over disjoint points. */
  merge(other: SubEnsembleScores): this {
    if (other.draws.length !== this.draws.length || other.members !== this.members || other.grid.nlat !== this.grid.nlat || other.grid.nlon !== this.grid.nlon) {
      throw new Error('merge: SubEnsembleScores differ in grid, members or draws');
    }
    for (let s = 0; s < this.draws.length; s++) {
      const a = this.draws[s]!.indices;
      const b = other.draws[s]!.indices;
      if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error(`merge: draws of size index ${s} differ`);
    }
    for (let g = 0; g < this.pointsDone.length; g++) {
      if (this.pointsDone[g] && other.pointsDone[g]) throw new Error(`merge: point ${g} was added to both`);
    }
    for (let g = 0; g < this.pointsDone.length; g++) this.pointsDone[g] = this.pointsDone[g]! | other.pointsDone[g]!;
    this.weightSum += other.weightSum;
    for (let s = 0; s < this.draws.length; s++) {
      for (let i = 0; i < this.sums[s]!.length; i++) this.sums[s]![i] += other.sums[s]![i]!;
      for (let g = 0; g < this.coveredCounts[s]!.length; g++) this.coveredCounts[s]![g] += other.coveredCounts[s]![g]!;
    }
    return this;
  }

  /** Serialisable partial state (draws included) for merging results computed elsewhere. */
  toJSON(): object {
    return {
      kind: 'sub-ensemble-scores',
      version: 1,
      grid: { ...this.grid },
      latWeights: encodeArray(this.latWeights),
      members: this.members,
      intervalLevel: this.intervalLevel,
      coverageTarget: this.coverageTarget,
      draws: this.draws.map((d) => ({ size: d.size, resamples: d.resamples, replacement: d.replacement, indices: encodeArray(d.indices) })),
      sums: this.sums.map(encodeArray),
      coveredCounts: this.coveredCounts.map(encodeArray),
      pointsDone: Array.from(this.pointsDone),
      weightSum: this.weightSum,
    };
  }

  static fromJSON(json: any): SubEnsembleScores {
    if (!json || json.kind !== 'sub-ensemble-scores' || json.version !== 1) throw new Error(`expected a serialised sub-ensemble-scores state, got kind ${String(json?.kind)}`);
    const draws: SubEnsembleDraws[] = json.draws.map((d: { size: number; resamples: number; replacement: boolean; indices: EncodedArray }) => ({
      size: d.size,
      resamples: d.resamples,
      replacement: d.replacement,
      indices: decodeArray('draws.indices', d.indices, 'int32', d.size * d.resamples) as Int32Array,
    }));
    const w = decodeArray('latWeights', json.latWeights, 'float64', json.grid.nlat) as Float64Array;
    const out = new SubEnsembleScores(json.grid, w, json.members, draws, { intervalLevel: json.intervalLevel, coverageTarget: json.coverageTarget });
    const points = json.grid.nlat * json.grid.nlon;
    draws.forEach((d, s) => {
      out.sums[s]!.set(decodeArray('sums', json.sums[s], 'float64', d.resamples * 4));
      out.coveredCounts[s]!.set(decodeArray('coveredCounts', json.coveredCounts[s], 'float64', points));
    });
    checkLength('pointsDone', json.pointsDone, points, 'one flag per point');
    out.pointsDone.set(json.pointsDone);
    out.weightSum = json.weightSum;
    return out;
  }

  /** Per-size results (area-weighted over the points added so far). */
  results(): SubEnsembleSizeResult[] {
    if (!(this.weightSum > 0)) throw new Error('SubEnsembleScores: no points have been added');
    return this.draws.map((d, s) => {
      const sums = this.sums[s]!;
      const rmse = new Float64Array(d.resamples);
      let range = 0;
      let interval = 0;
      let covered = 0;
      for (let r = 0; r < d.resamples; r++) {
        rmse[r] = Math.sqrt(sums[4 * r]! / this.weightSum);
        range += sums[4 * r + 1]!;
        interval += sums[4 * r + 2]!;
        covered += sums[4 * r + 3]!;
      }
      const sorted = Float64Array.from(rmse).sort();
      let meanRmse = 0;
      for (const v of rmse) meanRmse += v;
      const norm = this.weightSum * d.resamples;
      return {
        size: d.size,
        resamples: d.resamples,
        bestMemberRmse: rmse,
        bestMemberRmseMean: meanRmse / d.resamples,
        bestMemberRmseInterval: [percentileOfSorted(sorted, 0.025), percentileOfSorted(sorted, 0.975)] as [number, number],
        meanRangeWidth: range / norm,
        meanIntervalWidth: interval / norm,
        coverage: covered / norm,
        expectedCoverage: 1 - 2 / (d.size + 1),
      };
    });
  }

  /**
   * Per point, the smallest size (sizes taken in increasing order) whose resampled sub-ensembles contain the
   * truth in at least `coverageTarget` of resamples (HENS "satisfactory ensemble size"); NaN if none does or the
   * point was not added.
   */
  satisfactorySizePerPoint(): Float64Array {
    const order = this.draws.map((d, s) => ({ size: d.size, s })).sort((a, b) => a.size - b.size);
    const out = new Float64Array(this.pointsDone.length).fill(Number.NaN);
    for (let g = 0; g < out.length; g++) {
      if (!this.pointsDone[g]) continue;
      for (const { size, s } of order) {
        if (this.coveredCounts[s]![g]! / this.draws[s]!.resamples >= this.coverageTarget) {
          out[g] = size;
          break;
        }
      }
    }
    return out;
  }

  /** Smallest size whose area-weighted coverage reaches `coverageTarget` (NaN if none). */
  satisfactorySize(): number {
    const res = this.results().slice().sort((a, b) => a.size - b.size);
    for (const r of res) if (r.coverage >= this.coverageTarget) return r.size;
    return Number.NaN;
  }
}
