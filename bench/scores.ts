// Throughput benchmark of the scores layer (src/scores): tile-wise CRPS + ranks and streaming statistics on a
// large ensemble (default 1024 members × 64×128 points); returns JSON-able result lines.
import { latitudeWeights } from '../src/scores/grid.ts';
import { FieldStatistics } from '../src/scores/streaming.ts';
import { scoreTile, TiledEnsembleScores, tileRanges } from '../src/scores/tiles.ts';

interface ScoresBenchLine {
  bench: 'scores_crps_rank_tiles' | 'scores_streaming_stats';
  members: number;
  points: number;
  seconds: number;
  points_per_s: number;
  member_points_per_s: number;
  detail: string;
}

/** xorshift32 uniform source, only for generating benchmark data. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function line(bench: ScoresBenchLine['bench'], members: number, points: number, seconds: number, detail: string): ScoresBenchLine {
  return {
    bench,
    members,
    points,
    seconds: Number(seconds.toFixed(4)),
    points_per_s: Math.round(points / seconds),
    member_points_per_s: Math.round((members * points) / seconds),
    detail,
  };
}

/**
 * Times (1) tile-wise fair/standard CRPS, ensemble mean/variance and ranks with random tie breaking over all
 * points, combined into global area-weighted scores, and (2) streaming mean/variance, min/max, 3 exceedance
 * thresholds and 101 climate-percentile counts (EFI), fed in member batches of `batch`.
 */
export async function benchScores(members = 1024, nlat = 64, nlon = 128, tilePoints = 256, batch = 64): Promise<ScoresBenchLine[]> {
  const points = nlat * nlon;
  const grid = { nlat, nlon };
  const lats = Array.from({ length: nlat }, (_, i) => 90 - (180 * (i + 0.5)) / nlat);
  const weights = latitudeWeights(lats);
  const u = xorshift(12345);
  const ensemble = new Float32Array(members * points);
  for (let i = 0; i < ensemble.length; i++) ensemble[i] = u() + u() + u() - 1.5;
  const truth = new Float32Array(points);
  for (let p = 0; p < points; p++) truth[p] = u() + u() + u() - 1.5;
  const lines: ScoresBenchLine[] = [];

  // (1) Tile-wise CRPS + ranks; the tile copy from the member-major store is part of the cost.
  {
    const t0 = process.hrtime.bigint();
    const scores = new TiledEnsembleScores(grid, weights, members);
    const block = new Float32Array(members * tilePoints);
    for (const [offset, count] of tileRanges(points, tilePoints)) {
      const view = block.subarray(0, members * count);
      for (let m = 0; m < members; m++) view.set(ensemble.subarray(m * points + offset, m * points + offset + count), m * count);
      scores.addTile(offset, scoreTile(view, truth.subarray(offset, offset + count), members, u));
    }
    const s = scores.statistics();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    lines.push(line('scores_crps_rank_tiles', members, points, seconds, `tile ${tilePoints} points; crpsFair ${s.crpsFair.toFixed(4)}`));
  }

  // (2) Streaming statistics fed member batch by member batch.
  {
    const clim = new Float64Array(101 * points);
    for (let j = 0; j < 101; j++) clim.fill(-1.5 + (3 * j) / 100, j * points, (j + 1) * points);
    const t0 = process.hrtime.bigint();
    const stats = new FieldStatistics({ points, thresholds: [-1, 0, 1], climate: clim });
    for (let m = 0; m < members; m += batch) {
      stats.add(ensemble.subarray(m * points, Math.min(members, m + batch) * points));
    }
    const efi = stats.climateCounts!.efi();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    lines.push(line('scores_streaming_stats', members, points, seconds, `batch ${batch}; moments, min/max, 3 thresholds, 101-percentile counts + EFI (${efi[0]!.toFixed(3)})`));
  }
  return lines;
}
