// Tile-wise scores and HENS sub-ensemble diagnostics must equal the in-memory computation for any tiling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latitudeWeights, pointWeights } from '../../src/scores/grid.ts';
import { bestMemberPerPoint, ensembleTimeStatistics } from '../../src/scores/mean.ts';
import { outlierFraction, rankHistogram, ranksOfTruth } from '../../src/scores/ranks.ts';
import { extractTile, scorePointsOfTile, scoreTile, TiledEnsembleScores, tileRanges } from '../../src/scores/tiles.ts';
import { twCrps } from '../../src/scores/crps.ts';
import { BeyondTruthHistogram, drawSubEnsembles, membersBeyondTruth, SubEnsembleScores } from '../../src/scores/huge.ts';
import { assertClose, normalSamples, seededUniform } from './helpers.ts';

const grid = { nlat: 6, nlon: 10 };
const P = 60;
const lats = [75, 45, 15, -15, -45, -75];
const w = latitudeWeights(lats);

function randomCase(M: number, seed: number) {
  const u = seededUniform(seed);
  const base = normalSamples(P, u);
  const values = new Float64Array(M * P);
  const noise = normalSamples(M * P, u);
  for (let m = 0; m < M; m++) for (let p = 0; p < P; p++) values[m * P + p] = base[p]! + noise[m * P + p]! * (1 + p / P);
  const truthNoise = normalSamples(P, u);
  const truth = Float64Array.from(base, (b, p) => b + truthNoise[p]! * (1 + p / P));
  return { values, truth };
}

test('tile-wise CRPS/MSE/variance and ranks equal the in-memory statistics for several tilings and merges', () => {
  const M = 23;
  const { values, truth } = randomCase(M, 5);
  const ref = ensembleTimeStatistics({ values, members: M, grid }, truth, w);
  const refHist = rankHistogram(ranksOfTruth(values, truth, M, P), M);
  for (const tileSize of [1, 7, 16, 60]) {
    const ranges = tileRanges(P, tileSize);
    const order = tileSize === 7 ? [...ranges].reverse() : ranges;
    // Two workers take alternate tiles, then merge.
    const a = new TiledEnsembleScores(grid, w, M);
    const b = new TiledEnsembleScores(grid, w, M);
    order.forEach(([offset, count], k) => {
      const tile = scoreTile(extractTile(values, M, P, offset, count), truth.subarray(offset, offset + count), M);
      (k % 2 === 0 ? a : b).addTile(offset, tile);
    });
    // One worker's partial state travels as JSON before the merge.
    const s = TiledEnsembleScores.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(b).statistics();
    for (const key of Object.keys(ref) as Array<keyof typeof ref>) {
      assertClose(s[key], ref[key], 1e-13, 1e-15, `tile ${tileSize} ${key}`);
    }
    a.merge(b);
    assert.deepEqual(Array.from(a.rankCounts), Array.from(refHist), `tile ${tileSize} ranks`);
  }
  // Any per-point score (here HENS' twCRPS with v(z) = max(z, 0.5)) applied tile by tile.
  const whole = scorePointsOfTile(values, truth, M, (x, y) => twCrps(x, y, { lower: 0.5 }, 'standard'));
  for (const [offset, count] of tileRanges(P, 9)) {
    const part = scorePointsOfTile(extractTile(values, M, P, offset, count), truth.subarray(offset, offset + count), M, (x, y) =>
      twCrps(x, y, { lower: 0.5 }, 'standard'),
    );
    assert.deepEqual(Array.from(part), Array.from(whole.subarray(offset, offset + count)));
  }
  const p0 = Array.from({ length: M }, (_, m) => values[m * P]!);
  assert.equal(whole[0], twCrps(p0, truth[0]!, { lower: 0.5 }, 'standard'));
});

test('members beyond the truth binned by σ-distance: hand example and merge', () => {
  // P = 2, M = 4: point 0 members [0, 1, 2, 3] truth 2.5 (z > 0, one member above); point 1 same members, truth 0.2 (z < 0, one below).
  const ens = Float64Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
  const r = membersBeyondTruth(ens, [2.5, 0.2], 4, 2);
  const s = Math.sqrt(5 / 3);
  assertClose(r.sigmaDistance[0]!, (2.5 - 1.5) / s, 1e-15);
  assertClose(r.sigmaDistance[1]!, (0.2 - 1.5) / s, 1e-15);
  assert.deepEqual(Array.from(r.beyond), [1, 1]);
  const h = new BeyondTruthHistogram([-4, -1, 0, 1, 4]);
  h.add(r.sigmaDistance, r.beyond);
  h.merge(BeyondTruthHistogram.fromJSON(JSON.parse(JSON.stringify(new BeyondTruthHistogram([-4, -1, 0, 1, 4]).add([3.9, 5], [0, 0]).toJSON()))));
  const bins = h.bins();
  assert.deepEqual(bins.map((b) => b.cases), [1, 0, 1, 1]);
  assert.equal(bins[3]!.fractionWithMemberBeyond, 0);
  assert.equal(bins[2]!.meanMembersBeyond, 1);
  assert.throws(() => new BeyondTruthHistogram([0, 0]), /strictly increasing/);
});

test('sub-ensembles: draws are reproducible subsets; tile-wise results equal whole-field results', () => {
  const M = 40;
  const { values, truth } = randomCase(M, 8);
  const sizes = [5, 10, 20, M];
  const draws = drawSubEnsembles(M, sizes, 30, seededUniform(3));
  const again = drawSubEnsembles(M, sizes, 30, seededUniform(3));
  draws.forEach((d, s) => {
    assert.deepEqual(Array.from(d.indices), Array.from(again[s]!.indices));
    for (let r = 0; r < d.resamples; r++) {
      const set = new Set(d.indices.subarray(r * d.size, (r + 1) * d.size));
      assert.equal(set.size, d.size, 'no member drawn twice without replacement');
    }
  });
  const whole = new SubEnsembleScores(grid, w, M, draws).addTile(values, truth, 0);
  const parts = tileRanges(P, 13).map(([offset, count]) =>
    new SubEnsembleScores(grid, w, M, draws).addTile(extractTile(values, M, P, offset, count), truth.subarray(offset, offset + count), offset),
  );
  const merged = parts.reduceRight((acc, x) => SubEnsembleScores.fromJSON(JSON.parse(JSON.stringify(acc.toJSON()))).merge(x));
  const rw = whole.results();
  const rm = merged.results();
  rw.forEach((x, s) => {
    for (const key of ['bestMemberRmseMean', 'meanRangeWidth', 'meanIntervalWidth', 'coverage'] as const) {
      assertClose(rm[s]![key], x[key], 1e-13, 1e-15, `size ${x.size} ${key}`);
    }
  });
  assert.deepEqual(Array.from(merged.satisfactorySizePerPoint()), Array.from(whole.satisfactorySizePerPoint()));
  // The full ensemble: best-member RMSE equals the per-cell best member of mean.ts; coverage = 1 − outlier fraction.
  const full = rw[rw.length - 1]!;
  assertClose(full.bestMemberRmse[0]!, bestMemberPerPoint({ values, members: M, grid }, truth, w).rmse, 1e-13, 0, 'best member');
  const hist = rankHistogram(ranksOfTruth(values, truth, M, P), M, M + 1, pointWeights(grid, w));
  assertClose(full.coverage, 1 - outlierFraction(hist), 1e-13, 0, 'coverage vs outliers');
  // Bigger sub-ensembles: better best member, wider range, higher coverage (monotone on average).
  for (let s = 1; s < rw.length; s++) {
    assert.ok(rw[s]!.bestMemberRmseMean <= rw[s - 1]!.bestMemberRmseMean);
    assert.ok(rw[s]!.meanRangeWidth >= rw[s - 1]!.meanRangeWidth);
    assert.ok(rw[s]!.coverage >= rw[s - 1]!.coverage);
  }
  assert.throws(() => whole.addTile(values.subarray(0, M), truth.subarray(0, 1), 0), /point 0 was already added/);
  assert.throws(() => drawSubEnsembles(M, [M + 1], 2, seededUniform(1)), /exceeds the 40 members/);
});

test('calibrated ensemble: sub-ensemble coverage follows 1 − 2/(k+1); satisfactory size is where it reaches 95%', () => {
  const u = seededUniform(77);
  const M = 60;
  const bigGrid = { nlat: 20, nlon: 30 };
  const NP = 600;
  const values = normalSamples(M * NP, u);
  const truth = normalSamples(NP, u);
  const wts = new Float64Array(20).fill(1);
  const sizes = [3, 9, 19, 60];
  const scores = new SubEnsembleScores(bigGrid, wts, M, drawSubEnsembles(M, sizes, 20, u)).addTile(values, truth, 0);
  for (const r of scores.results()) assertClose(r.coverage, r.expectedCoverage, 0, 0.03, `coverage size ${r.size}`);
  // 1 − 2/(k+1) = 0.5, 0.8, 0.9, 0.967: only the full 60 members reach 95%.
  assert.equal(scores.satisfactorySize(), 60);
});

test('rank tie breaking keyed by global point is independent of the tiling', () => {
  const M = 8;
  const u = seededUniform(12);
  const values = Float64Array.from({ length: M * P }, () => Math.floor(u() * 4));
  const truth = Float64Array.from({ length: P }, () => Math.floor(u() * 4));
  const keyed = { atPoint: (g: number) => seededUniform(1000 + g)() };
  const whole = scoreTile(values, truth, M, keyed, 0).rank;
  for (const size of [1, 7, 25]) {
    for (const [offset, count] of tileRanges(P, size).reverse()) {
      const r = scoreTile(extractTile(values, M, P, offset, count), truth.subarray(offset, offset + count), M, keyed, offset).rank;
      assert.deepEqual(Array.from(r), Array.from(whole.subarray(offset, offset + count)), `tile ${size} at ${offset}`);
    }
  }
  // Ties really occur here and were broken (some rank differs from the count strictly below).
  const below = ranksOfTruth(values, truth, M, P);
  assert.ok(Array.from(whole).some((r, p) => r !== below[p]));
});
