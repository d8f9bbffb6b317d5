// M-climate percentiles: per point the 101 percentiles 0…100 of a sample (numpy 'linear', type 7), stored
// percentile-major (101, P) as the EFI and the runner's climate counts expect (metrics-factsheet §3.2, §3.4).

import { checkLength, checkPositiveInteger } from './grid.ts';
import { CLIMATE_PERCENTILES } from './streaming.ts';

/**
 * Percentiles 0…100 at every point of a sample-major array (S, P): q_k = x_(lo) + (pos − lo)(x_(lo+1) − x_(lo)) with
 * pos = k/100 · (S − 1) over the point's sorted sample — numpy.percentile's default and the formula
 * `RunContext.climatePercentiles` in the runner uses. A NaN sample value throws (naming sample and point).
 * Writes into `out` (101, P) at columns [pointOffset, pointOffset + P) of a `totalPoints`-wide array when given.
 */
export function climatePercentiles(
  samples: ArrayLike<number>,
  sampleCount: number,
  points: number,
  out?: Float64Array,
  pointOffset = 0,
  totalPoints = points,
): Float64Array {
  checkPositiveInteger('sampleCount', sampleCount);
  checkPositiveInteger('points', points);
  checkLength('samples', samples, sampleCount * points, `samples*points = ${sampleCount}*${points}, sample-major`);
  const q = out ?? new Float64Array(CLIMATE_PERCENTILES * totalPoints);
  checkLength('out', q, CLIMATE_PERCENTILES * totalPoints, `101*totalPoints = 101*${totalPoints}`);
  if (pointOffset < 0 || pointOffset + points > totalPoints) throw new Error(`points [${pointOffset}, ${pointOffset + points}) outside ${totalPoints}`);
  const S = sampleCount;
  const col = new Float64Array(S);
  for (let p = 0; p < points; p++) {
    for (let s = 0; s < S; s++) {
      const x = samples[s * points + p]!;
      if (Number.isNaN(x)) throw new Error(`climate sample ${s} is NaN at point ${pointOffset + p}`);
      col[s] = x;
    }
    col.sort();
    for (let k = 0; k < CLIMATE_PERCENTILES; k++) {
      const pos = (k / (CLIMATE_PERCENTILES - 1)) * (S - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, S - 1);
      q[k * totalPoints + pointOffset + p] = col[lo]! + (col[hi]! - col[lo]!) * (pos - lo);
    }
  }
  return q;
}
