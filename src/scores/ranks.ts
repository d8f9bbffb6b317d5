// Rank of the truth among ensemble members, rank histograms and the outlier fraction (metrics-factsheet §2.7, §4.6).
// Rank convention: 0-based count of members strictly below the truth (WB2/WBX), 0..M; ties broken at random.

import { checkEnsemble, checkLength, checkPositiveInteger, type UniformSource } from './grid.ts';

/**
 * Rank of y among members: #(x_m < y), plus, when some members equal y, a uniformly random position among
 * the ties (#ties + 1 equally likely slots) drawn from `uniform`. Without ties this is WB2's rank exactly; with
 * ties it has the distribution of WB2's noise-based tie breaking (and xskillscore `random_for_tied`) while
 * consuming one draw only when a tie occurs. Without `uniform`, ties are not broken (WBX: count strictly below).
 * A NaN truth or any NaN member ranks as M (WB2: "NaN ranks as largest").
 */
export function rankOfTruth(members: ArrayLike<number>, y: number, uniform?: UniformSource): number {
  const m = members.length;
  if (Number.isNaN(y)) return m;
  let below = 0;
  let ties = 0;
  for (let i = 0; i < m; i++) {
    const x = members[i]!;
    if (Number.isNaN(x)) return m;
    if (x < y) below++;
    else if (x === y) ties++;
  }
  if (ties > 0 && uniform) {
    const u = uniform();
    if (!(u >= 0 && u < 1)) throw new Error(`uniform source must return values in [0, 1), got ${u}`);
    below += Math.floor(u * (ties + 1));
  }
  return below;
}

/**
 * Ranks of the truth at every point of a member-major block (M, P) (one tile or a whole field).
 * Ties consume draws from `uniform` in point order, so results are reproducible for a given source.
 */
export function ranksOfTruth(
  ensemble: ArrayLike<number>,
  truth: ArrayLike<number>,
  members: number,
  points: number,
  uniform?: UniformSource,
): Int32Array {
  checkEnsemble(ensemble, members, points);
  checkLength('truth', truth, points, 'one value per point');
  const out = new Int32Array(points);
  const scratch = new Float64Array(members);
  for (let p = 0; p < points; p++) {
    for (let k = 0; k < members; k++) scratch[k] = ensemble[k * points + p]!;
    out[p] = rankOfTruth(scratch, truth[p]!, uniform);
  }
  return out;
}

/**
 * Rank histogram (M + 1 bins, or `bins` dividing M + 1: bin = rank // ((M+1)/bins), WB2 `RankHistogram`),
 * optionally weighted per sample (e.g. latitude weights). Returns raw (weighted) counts.
 */
export function rankHistogram(ranks: ArrayLike<number>, members: number, bins = members + 1, sampleWeights?: ArrayLike<number>): Float64Array {
  checkPositiveInteger('members', members);
  checkPositiveInteger('bins', bins);
  if ((members + 1) % bins !== 0) throw new Error(`bins (${bins}) must divide members + 1 (${members + 1})`);
  if (sampleWeights) checkLength('sampleWeights', sampleWeights, ranks.length, 'one weight per rank');
  const per = (members + 1) / bins;
  const out = new Float64Array(bins);
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (!Number.isInteger(r) || r < 0 || r > members) throw new Error(`ranks[${i}] must be an integer in [0, ${members}], got ${r}`);
    out[Math.floor(r / per)] += sampleWeights ? sampleWeights[i]! : 1;
  }
  return out;
}

/** Outlier fraction (h_0 + h_M)/N from a full (M + 1)-bin histogram (§4.6). */
export function outlierFraction(histogram: ArrayLike<number>): number {
  if (histogram.length < 2) throw new Error(`histogram needs at least 2 bins (M + 1), got ${histogram.length}`);
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  if (!(total > 0)) return Number.NaN;
  return (histogram[0]! + histogram[histogram.length - 1]!) / total;
}

/** Expected outlier fraction 2/(M + 1) of a calibrated, exchangeable M-member ensemble (§4.6). */
export function expectedOutlierFraction(members: number): number {
  checkPositiveInteger('members', members);
  return 2 / (members + 1);
}
