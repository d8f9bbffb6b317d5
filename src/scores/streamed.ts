// Scores available from streamed per-point statistics alone (no second pass over members): ensemble-mean MSE,
// variance, spread-skill inputs, Brier scores per threshold and the outlier fraction from min/max.

import { areaMean, checkLength, checkLatitudeWeights, gridPoints, type GridShape } from './grid.ts';
import type { FieldStatistics } from './streaming.ts';

/** Area-weighted scores of one forecast time computed from `FieldStatistics` and the truth. */
export interface StreamedScores {
  members: number;
  /** ⟨(y − x̄)²⟩. */
  ensembleMeanMse: number;
  /** ⟨s²⟩, ddof = 1. */
  ensembleVariance: number;
  /** ⟨(y − x̄)² − s²/M⟩. */
  debiasedEnsembleMeanMse: number;
  /** Per threshold: ⟨(p − o)²⟩ with p = count/M, o = 1{y ⋈ t} (same comparison as the accumulator). */
  brier: number[];
  /** Per threshold: fair Brier ⟨(p − o)² − p(1 − p)/(M − 1)⟩ (NaN for M = 1). */
  fairBrier: number[];
  /** Area-weighted fraction of points where the truth lies outside [min, max] of the members (§4.6). */
  outlierFraction: number;
}

/**
 * Scores from streamed statistics: equal (to rounding) to `ensembleTimeStatistics`' MSE/variance terms, to
 * `brierScore`/`fairBrierScore` with latitude weights, and, when no member equals the truth, to the outlier
 * fraction of the latitude-weighted rank histogram.
 */
export function streamedScores(stats: FieldStatistics, truth: ArrayLike<number>, grid: GridShape, latWeights: Float64Array): StreamedScores {
  const points = gridPoints(grid);
  if (stats.moments.points !== points) throw new Error(`statistics cover ${stats.moments.points} points, grid has ${points}`);
  checkLength('truth', truth, points, `nlat*nlon = ${grid.nlat}*${grid.nlon}`);
  checkLatitudeWeights(latWeights, grid.nlat);
  const m = stats.moments.count;
  if (m < 1) throw new Error('streamedScores: no members have been added');
  const variance = stats.moments.variance(1);
  const se = new Float64Array(points);
  const debiased = new Float64Array(points);
  const outside = new Float64Array(points);
  for (let p = 0; p < points; p++) {
    const y = truth[p]!;
    const d = y - stats.moments.mean[p]!;
    se[p] = d * d;
    debiased[p] = m > 1 ? se[p]! - variance[p]! / m : Number.NaN;
    outside[p] = y < stats.extremes.min[p]! || y > stats.extremes.max[p]! ? 1 : 0;
  }
  const brier: number[] = [];
  const fairBrier: number[] = [];
  const ex = stats.exceedance;
  if (ex) {
    const bs = new Float64Array(points);
    const fb = new Float64Array(points);
    for (let t = 0; t < ex.thresholdCount; t++) {
      for (let p = 0; p < points; p++) {
        const thr = ex.thresholds[t * points + p]!;
        const y = truth[p]!;
        const o = ex.comparison === '>' ? (y > thr ? 1 : 0) : y >= thr ? 1 : 0;
        const prob = ex.counts[t * points + p]! / m;
        bs[p] = (prob - o) ** 2;
        fb[p] = m > 1 ? bs[p]! - (prob * (1 - prob)) / (m - 1) : Number.NaN;
      }
      brier.push(areaMean(bs, grid, latWeights));
      fairBrier.push(areaMean(fb, grid, latWeights));
    }
  }
  return {
    members: m,
    ensembleMeanMse: areaMean(se, grid, latWeights),
    ensembleVariance: areaMean(variance, grid, latWeights),
    debiasedEnsembleMeanMse: areaMean(debiased, grid, latWeights),
    brier,
    fairBrier,
    outlierFraction: areaMean(outside, grid, latWeights),
  };
}
