// Tile-wise scoring for what needs all members at a point (CRPS, ranks): score a member-major block
// (M, tilePoints) of a contiguous point range, then combine tiles into area-weighted global scores.

import { crpsSumsSorted } from './crps.ts';
import { checkEnsemble, checkLatitudeWeights, checkLength, checkPositiveInteger, gridPoints, type GridShape, type UniformSource } from './grid.ts';
import type { EnsembleTimeStatistics } from './mean.ts';
import { rankOfTruth } from './ranks.ts';
import { decodeArray, encodeArray, type EncodedArray } from './streaming.ts';

/** Per-point results of one tile. */
export interface TileScores {
  points: number;
  ensembleMean: Float64Array;
  /** ddof = 1 (0 for M = 1). */
  ensembleVariance: Float64Array;
  /** (y − x̄)². */
  squaredError: Float64Array;
  crpsSkill: Float64Array;
  crpsSpread: Float64Array;
  crpsFair: Float64Array;
  crpsStandard: Float64Array;
  /** #(x_m < y), ties broken with `uniform` when given (ranks.ts). */
  rank: Int32Array;
}

/**
 * A uniform on [0, 1) addressed by global point index (e.g. a counter-based Philox stream keyed by point), so that
 * tie breaking does not depend on how the grid was tiled or in which order tiles ran.
 */
export interface PointUniform {
  atPoint(globalPoint: number): number;
}

/**
 * Scores one tile: block is member-major (M, tilePoints), truth (tilePoints). Memory is O(M · tilePoints),
 * independent of the grid size; choose tilePoints so that it is bounded for any M.
 * Rank ties are broken with `tieBreak`: a sequential source (draws consumed in point order, so results depend
 * on the tiling) or a `PointUniform` keyed by global point `pointOffset + p` (tiling-independent).
 */
export function scoreTile(
  block: ArrayLike<number>,
  truth: ArrayLike<number>,
  members: number,
  tieBreak?: UniformSource | PointUniform,
  pointOffset = 0,
): TileScores {
  const points = truth.length;
  checkPositiveInteger('tile points (truth length)', points);
  checkEnsemble(block, members, points, 'tile block');
  const out: TileScores = {
    points,
    ensembleMean: new Float64Array(points),
    ensembleVariance: new Float64Array(points),
    squaredError: new Float64Array(points),
    crpsSkill: new Float64Array(points),
    crpsSpread: new Float64Array(points),
    crpsFair: new Float64Array(points),
    crpsStandard: new Float64Array(points),
    rank: new Int32Array(points),
  };
  if (tieBreak !== undefined && typeof tieBreak !== 'function' && typeof tieBreak.atPoint !== 'function') {
    throw new Error('tieBreak must be a function () => number or an object with atPoint(globalPoint)');
  }
  if (!Number.isInteger(pointOffset) || pointOffset < 0) throw new Error(`pointOffset must be an integer >= 0, got ${pointOffset}`);
  const v = new Float64Array(members);
  for (let p = 0; p < points; p++) {
    let sum = 0;
    for (let m = 0; m < members; m++) {
      const x = block[m * points + p]!;
      v[m] = x;
      sum += x;
    }
    const y = truth[p]!;
    const mu = sum / members;
    let ss = 0;
    for (let m = 0; m < members; m++) {
      const d = v[m]! - mu;
      ss += d * d;
    }
    out.rank[p] = rankOfTruth(
      v,
      y,
      tieBreak === undefined ? undefined : typeof tieBreak === 'function' ? tieBreak : () => tieBreak.atPoint(pointOffset + p),
    );
    v.sort();
    const { absErrorSum, giniSum } = crpsSumsSorted(v, y);
    out.ensembleMean[p] = mu;
    out.ensembleVariance[p] = members > 1 ? ss / (members - 1) : 0;
    out.squaredError[p] = (y - mu) * (y - mu);
    out.crpsSkill[p] = absErrorSum / members;
    out.crpsSpread[p] = members > 1 ? (2 * giniSum) / (members * (members - 1)) : 0;
    out.crpsFair[p] = out.crpsSkill[p]! - 0.5 * out.crpsSpread[p]!;
    out.crpsStandard[p] = absErrorSum / members - giniSum / (members * members);
  }
  return out;
}

/** Mergeable area-weighted sums Σ w·v over named per-point quantities (weights by latitude row of each point). */
export class AreaWeightedSums {
  readonly grid: GridShape;
  readonly names: readonly string[];
  readonly sums: Float64Array;
  weightSum = 0;
  private readonly latWeights: Float64Array;

  constructor(grid: GridShape, latWeights: Float64Array, names: readonly string[]) {
    gridPoints(grid);
    checkLatitudeWeights(latWeights, grid.nlat);
    if (names.length < 1) throw new Error('AreaWeightedSums needs at least one quantity name');
    this.grid = { nlat: grid.nlat, nlon: grid.nlon };
    this.latWeights = Float64Array.from(latWeights);
    this.names = [...names];
    this.sums = new Float64Array(names.length);
  }

  /** Adds per-point values of the points [pointOffset, pointOffset + n), one array per name (same order). */
  add(pointOffset: number, values: readonly ArrayLike<number>[]): this {
    if (values.length !== this.names.length) throw new Error(`add: expected ${this.names.length} value arrays (${this.names.join(', ')}), got ${values.length}`);
    const n = values[0]!.length;
    const total = this.grid.nlat * this.grid.nlon;
    if (!Number.isInteger(pointOffset) || pointOffset < 0 || pointOffset + n > total) {
      throw new Error(`pointOffset ${pointOffset} with ${n} points does not fit the ${total}-point grid`);
    }
    values.forEach((v, i) => checkLength(`values[${i}] (${this.names[i]})`, v, n, 'one value per tile point'));
    for (let p = 0; p < n; p++) {
      const w = this.latWeights[Math.floor((pointOffset + p) / this.grid.nlon)]!;
      this.weightSum += w;
      for (let q = 0; q < values.length; q++) this.sums[q] += w * values[q]![p]!;
    }
    return this;
  }

  merge(other: AreaWeightedSums): this {
    if (other.names.length !== this.names.length || other.names.some((n, i) => n !== this.names[i])) {
      throw new Error('merge: AreaWeightedSums hold different quantities');
    }
    for (let i = 0; i < this.sums.length; i++) this.sums[i] += other.sums[i]!;
    this.weightSum += other.weightSum;
    return this;
  }

  /** Area means by name. */
  means(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((n, i) => (out[n] = this.sums[i]! / this.weightSum));
    return out;
  }

  toJSON(): { kind: 'area-weighted-sums'; version: 1; grid: GridShape; latWeights: EncodedArray; names: string[]; sums: EncodedArray; weightSum: number } {
    return {
      kind: 'area-weighted-sums',
      version: 1,
      grid: { ...this.grid },
      latWeights: encodeArray(this.latWeights),
      names: [...this.names],
      sums: encodeArray(this.sums),
      weightSum: this.weightSum,
    };
  }

  static fromJSON(json: ReturnType<AreaWeightedSums['toJSON']>): AreaWeightedSums {
    if (!json || json.kind !== 'area-weighted-sums' || json.version !== 1) throw new Error(`expected a serialised area-weighted-sums state, got kind ${String(json?.kind)}`);
    const w = decodeArray('area-weighted-sums.latWeights', json.latWeights, 'float64', json.grid.nlat) as Float64Array;
    const out = new AreaWeightedSums(json.grid, w, json.names);
    out.sums.set(decodeArray('area-weighted-sums.sums', json.sums, 'float64', json.names.length));
    out.weightSum = json.weightSum;
    return out;
  }
}

const TILE_QUANTITIES = ['squaredError', 'debiasedSquaredError', 'ensembleVariance', 'crpsSkill', 'crpsSpread', 'crpsFair', 'crpsStandard'] as const;

/**
 * Global scores of one forecast time assembled from tiles: area-weighted means equal to `ensembleTimeStatistics`
 * (to rounding) and the (unweighted) rank histogram over all points. Tiles may arrive in any order and partial
 * results from different workers can be merged.
 */
export class TiledEnsembleScores {
  readonly members: number;
  readonly sums: AreaWeightedSums;
  readonly rankCounts: Float64Array;

  constructor(grid: GridShape, latWeights: Float64Array, members: number) {
    checkPositiveInteger('members', members);
    this.members = members;
    this.sums = new AreaWeightedSums(grid, latWeights, TILE_QUANTITIES);
    this.rankCounts = new Float64Array(members + 1);
  }

  /** Adds the scores of one tile covering global points [pointOffset, pointOffset + tile.points). */
  addTile(pointOffset: number, tile: TileScores): this {
    const debiased = new Float64Array(tile.points);
    for (let p = 0; p < tile.points; p++) {
      debiased[p] = this.members > 1 ? tile.squaredError[p]! - tile.ensembleVariance[p]! / this.members : Number.NaN;
    }
    this.sums.add(pointOffset, [
      tile.squaredError,
      debiased,
      tile.ensembleVariance,
      tile.crpsSkill,
      tile.crpsSpread,
      tile.crpsFair,
      tile.crpsStandard,
    ]);
    for (let p = 0; p < tile.points; p++) this.rankCounts[tile.rank[p]!] += 1;
    return this;
  }

  merge(other: TiledEnsembleScores): this {
    if (other.members !== this.members) throw new Error(`merge: member counts differ (${this.members} vs ${other.members})`);
    this.sums.merge(other.sums);
    for (let i = 0; i < this.rankCounts.length; i++) this.rankCounts[i] += other.rankCounts[i]!;
    return this;
  }

  toJSON(): { kind: 'tiled-ensemble-scores'; version: 1; members: number; sums: ReturnType<AreaWeightedSums['toJSON']>; rankCounts: EncodedArray } {
    return { kind: 'tiled-ensemble-scores', version: 1, members: this.members, sums: this.sums.toJSON(), rankCounts: encodeArray(this.rankCounts) };
  }

  static fromJSON(json: ReturnType<TiledEnsembleScores['toJSON']>): TiledEnsembleScores {
    if (!json || json.kind !== 'tiled-ensemble-scores' || json.version !== 1) throw new Error(`expected a serialised tiled-ensemble-scores state, got kind ${String(json?.kind)}`);
    const sums = AreaWeightedSums.fromJSON(json.sums);
    const out = new TiledEnsembleScores(sums.grid, decodeArray('latWeights', json.sums.latWeights, 'float64', sums.grid.nlat) as Float64Array, json.members);
    out.sums.merge(sums);
    out.rankCounts.set(decodeArray('tiled-ensemble-scores.rankCounts', json.rankCounts, 'float64', json.members + 1));
    return out;
  }

  /** The same statistics as `ensembleTimeStatistics` for this time. */
  statistics(): EnsembleTimeStatistics {
    const m = this.sums.means();
    return {
      members: this.members,
      ensembleMeanMse: m.squaredError!,
      debiasedEnsembleMeanMse: m.debiasedSquaredError!,
      ensembleVariance: m.ensembleVariance!,
      crpsSkill: m.crpsSkill!,
      crpsSpread: m.crpsSpread!,
      crpsFair: m.crpsFair!,
      crpsStandard: m.crpsStandard!,
    };
  }
}

/** Splits P points into contiguous tiles of at most `tilePoints` points: [offset, count] pairs. */
export function tileRanges(points: number, tilePoints: number): Array<[number, number]> {
  checkPositiveInteger('points', points);
  checkPositiveInteger('tilePoints', tilePoints);
  const out: Array<[number, number]> = [];
  for (let o = 0; o < points; o += tilePoints) out.push([o, Math.min(tilePoints, points - o)]);
  return out;
}

/** Copies the member-major tile (M, count) of points [offset, offset + count) out of a full (M, P) ensemble. */
export function extractTile(ensemble: ArrayLike<number>, members: number, points: number, offset: number, count: number): Float64Array {
  checkEnsemble(ensemble, members, points);
  if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 1 || offset + count > points) {
    throw new Error(`tile [${offset}, ${offset + count}) is outside the ${points} points`);
  }
  const out = new Float64Array(members * count);
  for (let m = 0; m < members; m++) {
    for (let p = 0; p < count; p++) out[m * count + p] = ensemble[m * points + offset + p]!;
  }
  return out;
}

/**
 * Applies a per-point ensemble score to every point of a tile (M, tilePoints), e.g.
 * `(x, y) => twCrps(x, y, { lower: t }, 'standard')` or `(x, y) => owCrps(x, y, w)`. The members of one point
 * are passed as a reused Float64Array scratch (copy it if you keep it).
 */
export function scorePointsOfTile(
  block: ArrayLike<number>,
  truth: ArrayLike<number>,
  members: number,
  score: (members: Float64Array, y: number) => number,
): Float64Array {
  const points = truth.length;
  checkPositiveInteger('tile points (truth length)', points);
  checkEnsemble(block, members, points, 'tile block');
  const out = new Float64Array(points);
  const v = new Float64Array(members);
  for (let p = 0; p < points; p++) {
    for (let m = 0; m < members; m++) v[m] = block[m * points + p]!;
    out[p] = score(v, truth[p]!);
  }
  return out;
}
