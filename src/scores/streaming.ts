// Streaming, mergeable per-point accumulators fed member batch by member batch: mean/variance (Welford within
// a member, Chan et al. pairwise merge across batches), min, max, threshold exceedances and climate-quantile counts.

import { efiFromCounts, EFI_DEFAULT_EPS } from './efi.ts';
import { checkLength, checkPositiveInteger, type NumericArray } from './grid.ts';
import type { EventComparison } from './probability.ts';

/** Serialised typed array: dtype plus little-endian bytes in base64 (exact round trip). */
export interface EncodedArray {
  dtype: 'float64' | 'uint32' | 'int32';
  length: number;
  base64: string;
}

/** Encodes a typed array as dtype + base64 of its little-endian bytes (exact round trip). */
export function encodeArray(array: Float64Array | Uint32Array | Int32Array): EncodedArray {
  const dtype = array instanceof Float64Array ? 'float64' : array instanceof Uint32Array ? 'uint32' : 'int32';
  const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return { dtype, length: array.length, base64: bytes.toString('base64') };
}

/** Decodes `encodeArray` output, checking dtype and length; `name` labels errors. */
export function decodeArray(name: string, enc: EncodedArray, dtype: EncodedArray['dtype'], length: number): Float64Array | Uint32Array | Int32Array {
  if (!enc || enc.dtype !== dtype) throw new Error(`${name}: expected dtype ${dtype}, got ${enc ? String(enc.dtype) : 'nothing'}`);
  if (enc.length !== length) throw new Error(`${name}: expected length ${length}, got ${enc.length}`);
  const bytes = Buffer.from(enc.base64, 'base64');
  const per = dtype === 'float64' ? 8 : 4;
  if (bytes.length !== length * per) throw new Error(`${name}: payload has ${bytes.length} bytes, expected ${length * per}`);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const ctor = dtype === 'float64' ? Float64Array : dtype === 'uint32' ? Uint32Array : Int32Array;
  return new ctor(copy.buffer);
}

function batchMembers(batch: ArrayLike<number>, points: number): number {
  if (!batch || typeof batch.length !== 'number') throw new Error('batch must be a numeric array of shape (members, points)');
  if (batch.length === 0 || batch.length % points !== 0) {
    throw new Error(`batch length ${batch.length} is not a positive multiple of points (${points}); expected shape (members, points)`);
  }
  return batch.length / points;
}

function checkKind(json: { kind?: unknown; version?: unknown }, kind: string): void {
  if (!json || json.kind !== kind) throw new Error(`expected a serialised ${kind} accumulator, got kind ${String(json?.kind)}`);
  if (json.version !== 1) throw new Error(`${kind}: unsupported state version ${String(json.version)}`);
}

/**
 * Per-point count, mean and sum of squared deviations M2. A batch (B, P) is reduced in Float64 by two passes
 * and merged with Chan et al.'s pairwise update
 * n = n_a + n_b, δ = x̄_b − x̄_a, x̄ = x̄_a + δ n_b/n, M2 = M2_a + M2_b + δ² n_a n_b / n,
 * which for B = 1 is Welford's update. Results match the in-memory two-pass values to rounding for any split.
 */
export class MomentsAccumulator {
  readonly points: number;
  count = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  private readonly batchMean: Float64Array;
  private readonly batchM2: Float64Array;

  constructor(points: number) {
    checkPositiveInteger('points', points);
    this.points = points;
    this.mean = new Float64Array(points);
    this.m2 = new Float64Array(points);
    this.batchMean = new Float64Array(points);
    this.batchM2 = new Float64Array(points);
  }

  /** Adds a member-major batch (B, P). */
  add(batch: ArrayLike<number>): this {
    const b = batchMembers(batch, this.points);
    const p = this.points;
    const bm = this.batchMean;
    const b2 = this.batchM2;
    bm.fill(0);
    b2.fill(0);
    for (let m = 0; m < b; m++) {
      const base = m * p;
      for (let i = 0; i < p; i++) bm[i] = bm[i]! + batch[base + i]!;
    }
    for (let i = 0; i < p; i++) bm[i] = bm[i]! / b;
    for (let m = 0; m < b; m++) {
      const base = m * p;
      for (let i = 0; i < p; i++) {
        const d = batch[base + i]! - bm[i]!;
        b2[i] = b2[i]! + d * d;
      }
    }
    this.combine(b, bm, b2);
    return this;
  }

  private combine(nb: number, meanB: Float64Array, m2B: Float64Array): void {
    const na = this.count;
    const n = na + nb;
    if (na === 0) {
      this.mean.set(meanB);
      this.m2.set(m2B);
    } else {
      const fb = nb / n;
      const fab = (na * nb) / n;
      for (let i = 0; i < this.points; i++) {
        const delta = meanB[i]! - this.mean[i]!;
        this.mean[i] = this.mean[i]! + delta * fb;
        this.m2[i] = this.m2[i]! + m2B[i]! + delta * delta * fab;
      }
    }
    this.count = n;
  }

  /** Merges another accumulator over the same points (e.g. from another worker or member block). */
  merge(other: MomentsAccumulator): this {
    if (!(other instanceof MomentsAccumulator) || other.points !== this.points) {
      throw new Error(`merge: expected a MomentsAccumulator over ${this.points} points`);
    }
    if (other.count > 0) this.combine(other.count, other.mean, other.m2);
    return this;
  }

  /** Per-point variance with the given ddof (default 1, factsheet §7 trap 4); 0 where count <= ddof. */
  variance(ddof = 1): Float64Array {
    const out = new Float64Array(this.points);
    if (this.count <= ddof) return out;
    for (let i = 0; i < this.points; i++) out[i] = this.m2[i]! / (this.count - ddof);
    return out;
  }

  toJSON(): { kind: 'moments'; version: 1; points: number; count: number; mean: EncodedArray; m2: EncodedArray } {
    return { kind: 'moments', version: 1, points: this.points, count: this.count, mean: encodeArray(this.mean), m2: encodeArray(this.m2) };
  }

  static fromJSON(json: ReturnType<MomentsAccumulator['toJSON']>): MomentsAccumulator {
    checkKind(json, 'moments');
    const acc = new MomentsAccumulator(json.points);
    if (!Number.isInteger(json.count) || json.count < 0) throw new Error(`moments: count must be an integer >= 0, got ${json.count}`);
    acc.count = json.count;
    acc.mean.set(decodeArray('moments.mean', json.mean, 'float64', json.points));
    acc.m2.set(decodeArray('moments.m2', json.m2, 'float64', json.points));
    return acc;
  }
}

/** Per-point minimum and maximum over members (NaN members propagate). */
export class ExtremesAccumulator {
  readonly points: number;
  count = 0;
  readonly min: Float64Array;
  readonly max: Float64Array;

  constructor(points: number) {
    checkPositiveInteger('points', points);
    this.points = points;
    this.min = new Float64Array(points).fill(Infinity);
    this.max = new Float64Array(points).fill(-Infinity);
  }

  add(batch: ArrayLike<number>): this {
    const b = batchMembers(batch, this.points);
    for (let m = 0; m < b; m++) {
      const base = m * this.points;
      for (let i = 0; i < this.points; i++) {
        const v = batch[base + i]!;
        if (v < this.min[i]! || Number.isNaN(v)) this.min[i] = v;
        if (v > this.max[i]! || Number.isNaN(v)) this.max[i] = v;
      }
    }
    this.count += b;
    return this;
  }

  merge(other: ExtremesAccumulator): this {
    if (!(other instanceof ExtremesAccumulator) || other.points !== this.points) {
      throw new Error(`merge: expected an ExtremesAccumulator over ${this.points} points`);
    }
    for (let i = 0; i < this.points; i++) {
      const lo = other.min[i]!;
      const hi = other.max[i]!;
      if (lo < this.min[i]! || Number.isNaN(lo)) this.min[i] = lo;
      if (hi > this.max[i]! || Number.isNaN(hi)) this.max[i] = hi;
    }
    this.count += other.count;
    return this;
  }

  toJSON(): { kind: 'extremes'; version: 1; points: number; count: number; min: EncodedArray; max: EncodedArray } {
    return { kind: 'extremes', version: 1, points: this.points, count: this.count, min: encodeArray(this.min), max: encodeArray(this.max) };
  }

  static fromJSON(json: ReturnType<ExtremesAccumulator['toJSON']>): ExtremesAccumulator {
    checkKind(json, 'extremes');
    const acc = new ExtremesAccumulator(json.points);
    acc.count = json.count;
    acc.min.set(decodeArray('extremes.min', json.min, 'float64', json.points));
    acc.max.set(decodeArray('extremes.max', json.max, 'float64', json.points));
    return acc;
  }
}

/**
 * Per-point counts of members exceeding each of T thresholds (event probabilities p = count/members, §4.1).
 * Thresholds: T scalars (same at every point) or a (T, P) array of per-point thresholds.
 */
export class ExceedanceAccumulator {
  readonly points: number;
  readonly thresholdCount: number;
  readonly comparison: EventComparison;
  /** (T, P) thresholds, expanded to per point. */
  readonly thresholds: Float64Array;
  /** (T, P) counts. */
  readonly counts: Uint32Array;
  count = 0;

  constructor(points: number, thresholds: ArrayLike<number>, comparison: EventComparison = '>', perPoint = false) {
    checkPositiveInteger('points', points);
    if (comparison !== '>' && comparison !== '>=') throw new Error(`comparison must be '>' or '>=', got ${String(comparison)}`);
    if (!thresholds || thresholds.length < 1) throw new Error('thresholds must be a non-empty numeric array');
    this.points = points;
    this.comparison = comparison;
    if (perPoint) {
      if (thresholds.length % points !== 0) {
        throw new Error(`per-point thresholds length ${thresholds.length} is not a multiple of points (${points}); expected (T, points)`);
      }
      this.thresholdCount = thresholds.length / points;
      this.thresholds = Float64Array.from(thresholds);
    } else {
      this.thresholdCount = thresholds.length;
      this.thresholds = new Float64Array(this.thresholdCount * points);
      for (let t = 0; t < this.thresholdCount; t++) this.thresholds.fill(thresholds[t]!, t * points, (t + 1) * points);
    }
    for (let i = 0; i < this.thresholds.length; i++) {
      if (Number.isNaN(this.thresholds[i]!)) throw new Error(`thresholds must not contain NaN (index ${i})`);
    }
    this.counts = new Uint32Array(this.thresholdCount * points);
  }

  add(batch: ArrayLike<number>): this {
    const b = batchMembers(batch, this.points);
    const p = this.points;
    const strict = this.comparison === '>';
    for (let t = 0; t < this.thresholdCount; t++) {
      const off = t * p;
      for (let m = 0; m < b; m++) {
        const base = m * p;
        if (strict) {
          for (let i = 0; i < p; i++) if (batch[base + i]! > this.thresholds[off + i]!) this.counts[off + i]++;
        } else {
          for (let i = 0; i < p; i++) if (batch[base + i]! >= this.thresholds[off + i]!) this.counts[off + i]++;
        }
      }
    }
    this.count += b;
    return this;
  }

  merge(other: ExceedanceAccumulator): this {
    if (
      !(other instanceof ExceedanceAccumulator) ||
      other.points !== this.points ||
      other.thresholdCount !== this.thresholdCount ||
      other.comparison !== this.comparison
    ) {
      throw new Error('merge: expected an ExceedanceAccumulator with the same points, thresholds and comparison');
    }
    for (let i = 0; i < this.thresholds.length; i++) {
      if (this.thresholds[i] !== other.thresholds[i]) throw new Error(`merge: thresholds differ at index ${i}`);
    }
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = this.counts[i]! + other.counts[i]!;
    this.count += other.count;
    return this;
  }

  /** Event probabilities (T, P) = counts / members. */
  probabilities(): Float64Array {
    const out = new Float64Array(this.counts.length);
    for (let i = 0; i < out.length; i++) out[i] = this.counts[i]! / this.count;
    return out;
  }

  toJSON(): {
    kind: 'exceedance';
    version: 1;
    points: number;
    count: number;
    comparison: EventComparison;
    thresholds: EncodedArray;
    counts: EncodedArray;
  } {
    return {
      kind: 'exceedance',
      version: 1,
      points: this.points,
      count: this.count,
      comparison: this.comparison,
      thresholds: encodeArray(this.thresholds),
      counts: encodeArray(this.counts),
    };
  }

  static fromJSON(json: ReturnType<ExceedanceAccumulator['toJSON']>): ExceedanceAccumulator {
    checkKind(json, 'exceedance');
    const thresholds = decodeArray('exceedance.thresholds', json.thresholds, 'float64', json.thresholds ? json.thresholds.length : -1);
    const acc = new ExceedanceAccumulator(json.points, thresholds, json.comparison, true);
    acc.counts.set(decodeArray('exceedance.counts', json.counts, 'uint32', thresholds.length));
    acc.count = json.count;
    return acc;
  }
}

/** Number of M-climate quantile levels used operationally (percentiles 0..100, §3.2). */
export const CLIMATE_PERCENTILES = 101;

/**
 * Per-point counts of members at or below each of N climate quantiles (default 101 percentiles), which is
 * exactly the F_j of the EFI (§3.2): EFI from streamed counts equals the in-memory EFI. The climate is (N, P)
 * percentile-major and used as given (not sorted; §7 trap 11). Internally a (P, N) difference array: a member
 * adds +1 where "x <= clim_j" switches on along j and −1 where it switches off, so monotone climates cost one
 * binary search per member and point.
 */
export class ClimateQuantileCounts {
  readonly points: number;
  readonly levels: number;
  /** (N, P) climate quantiles as given. */
  readonly clim: Float64Array;
  count = 0;
  /** (P, N) difference array; counts_j = Σ_{k<=j} diff_k. */
  private readonly diff: Int32Array;
  private readonly climByPoint: Float64Array;
  private readonly monotone: Uint8Array;

  constructor(points: number, clim: ArrayLike<number>, levels = CLIMATE_PERCENTILES) {
    checkPositiveInteger('points', points);
    checkPositiveInteger('levels', levels);
    checkLength('clim', clim, levels * points, `levels*points = ${levels}*${points}, percentile-major`);
    this.points = points;
    this.levels = levels;
    this.clim = Float64Array.from(clim);
    this.diff = new Int32Array(points * levels);
    this.climByPoint = new Float64Array(points * levels);
    this.monotone = new Uint8Array(points);
    for (let p = 0; p < points; p++) {
      let mono = 1;
      for (let j = 0; j < levels; j++) {
        const c = this.clim[j * points + p]!;
        if (Number.isNaN(c)) throw new Error(`clim must not contain NaN (level ${j}, point ${p})`);
        this.climByPoint[p * levels + j] = c;
        if (j > 0 && c < this.climByPoint[p * levels + j - 1]!) mono = 0;
      }
      this.monotone[p] = mono;
    }
  }

  add(batch: ArrayLike<number>): this {
    const b = batchMembers(batch, this.points);
    const n = this.levels;
    const points = this.points;
    const climByPoint = this.climByPoint;
    const diff = this.diff;
    const monotone = this.monotone;
    // Point-outer loop: the point's climate row stays in cache while the batch's members are counted.
    for (let p = 0; p < points; p++) {
      const row = p * n;
      const mono = monotone[p] === 1;
      for (let m = 0; m < b; m++) {
        const x = batch[m * points + p]!;
        if (x !== x) throw new Error(`batch member ${m} has NaN at point ${p}; climate-quantile counts need finite members`);
        if (mono) {
          // first j with clim_j >= x
          let lo = 0;
          let hi = n;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (climByPoint[row + mid]! >= x) hi = mid;
            else lo = mid + 1;
          }
          if (lo < n) diff[row + lo] = diff[row + lo]! + 1;
        } else {
          let prev = false;
          for (let j = 0; j < n; j++) {
            const on = x <= climByPoint[row + j]!;
            if (on !== prev) diff[row + j] = diff[row + j]! + (on ? 1 : -1);
            prev = on;
          }
        }
      }
    }
    this.count += b;
    return this;
  }

  merge(other: ClimateQuantileCounts): this {
    if (!(other instanceof ClimateQuantileCounts) || other.points !== this.points || other.levels !== this.levels) {
      throw new Error(`merge: expected ClimateQuantileCounts over ${this.points} points and ${this.levels} levels`);
    }
    for (let i = 0; i < this.clim.length; i++) {
      if (this.clim[i] !== other.clim[i]) throw new Error(`merge: climates differ at index ${i}`);
    }
    for (let i = 0; i < this.diff.length; i++) this.diff[i] = this.diff[i]! + other.diff[i]!;
    this.count += other.count;
    return this;
  }

  /** Counts (N, P) of members <= clim_j. */
  counts(): Float64Array {
    const n = this.levels;
    const out = new Float64Array(n * this.points);
    for (let p = 0; p < this.points; p++) {
      let c = 0;
      for (let j = 0; j < n; j++) {
        c += this.diff[p * n + j]!;
        out[j * this.points + p] = c;
      }
    }
    return out;
  }

  /** EFI at every point from the counts (identical to `efiField` on all members; §3.2). */
  efi(eps = EFI_DEFAULT_EPS): Float64Array {
    if (this.count === 0) throw new Error('efi: no members have been added');
    return efiFromCounts(this.counts(), this.levels, this.count, this.points, eps, eps > 0 ? this.clim : undefined);
  }

  toJSON(): { kind: 'climate-quantile-counts'; version: 1; points: number; levels: number; count: number; clim: EncodedArray; diff: EncodedArray } {
    return {
      kind: 'climate-quantile-counts',
      version: 1,
      points: this.points,
      levels: this.levels,
      count: this.count,
      clim: encodeArray(this.clim),
      diff: encodeArray(this.diff),
    };
  }

  static fromJSON(json: ReturnType<ClimateQuantileCounts['toJSON']>): ClimateQuantileCounts {
    checkKind(json, 'climate-quantile-counts');
    const clim = decodeArray('climate-quantile-counts.clim', json.clim, 'float64', json.levels * json.points);
    const acc = new ClimateQuantileCounts(json.points, clim, json.levels);
    acc.diff.set(decodeArray('climate-quantile-counts.diff', json.diff, 'int32', json.levels * json.points));
    acc.count = json.count;
    return acc;
  }
}

/** Options of a bundle of streaming statistics for one field (variable × lead). */
export interface FieldStatisticsOptions {
  points: number;
  /** Scalar thresholds or, with `perPointThresholds`, a (T, P) array. */
  thresholds?: ArrayLike<number>;
  perPointThresholds?: boolean;
  comparison?: EventComparison;
  /** (101, P) M-climate percentiles for EFI counts. */
  climate?: ArrayLike<number>;
}

/** Moments, extremes and (optionally) exceedances and climate counts of one field, added and merged together. */
export class FieldStatistics {
  readonly moments: MomentsAccumulator;
  readonly extremes: ExtremesAccumulator;
  readonly exceedance?: ExceedanceAccumulator;
  readonly climateCounts?: ClimateQuantileCounts;

  constructor(options: FieldStatisticsOptions) {
    this.moments = new MomentsAccumulator(options.points);
    this.extremes = new ExtremesAccumulator(options.points);
    if (options.thresholds) {
      this.exceedance = new ExceedanceAccumulator(options.points, options.thresholds, options.comparison ?? '>', options.perPointThresholds ?? false);
    }
    if (options.climate) this.climateCounts = new ClimateQuantileCounts(options.points, options.climate);
  }

  /** Adds a member-major batch (B, P) (Float32Array or Float64Array). */
  add(batch: NumericArray): this {
    this.moments.add(batch);
    this.extremes.add(batch);
    this.exceedance?.add(batch);
    this.climateCounts?.add(batch);
    return this;
  }

  merge(other: FieldStatistics): this {
    this.moments.merge(other.moments);
    this.extremes.merge(other.extremes);
    if (!!this.exceedance !== !!other.exceedance || !!this.climateCounts !== !!other.climateCounts) {
      throw new Error('merge: FieldStatistics were configured differently (thresholds or climate)');
    }
    if (this.exceedance && other.exceedance) this.exceedance.merge(other.exceedance);
    if (this.climateCounts && other.climateCounts) this.climateCounts.merge(other.climateCounts);
    return this;
  }

  toJSON(): object {
    return {
      kind: 'field-statistics',
      version: 1,
      moments: this.moments.toJSON(),
      extremes: this.extremes.toJSON(),
      exceedance: this.exceedance?.toJSON(),
      climateCounts: this.climateCounts?.toJSON(),
    };
  }

  static fromJSON(json: {
    kind: string;
    version: number;
    moments: ReturnType<MomentsAccumulator['toJSON']>;
    extremes: ReturnType<ExtremesAccumulator['toJSON']>;
    exceedance?: ReturnType<ExceedanceAccumulator['toJSON']>;
    climateCounts?: ReturnType<ClimateQuantileCounts['toJSON']>;
  }): FieldStatistics {
    checkKind(json, 'field-statistics');
    const out = Object.create(FieldStatistics.prototype) as FieldStatistics;
    Object.assign(out, {
      moments: MomentsAccumulator.fromJSON(json.moments),
      extremes: ExtremesAccumulator.fromJSON(json.extremes),
      exceedance: json.exceedance ? ExceedanceAccumulator.fromJSON(json.exceedance) : undefined,
      climateCounts: json.climateCounts ? ClimateQuantileCounts.fromJSON(json.climateCounts) : undefined,
    });
    return out;
  }
}
