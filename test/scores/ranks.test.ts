// Tests of ranks, rank histograms with random tie breaking and outlier fractions (metrics-factsheet §2.7, §4.6, §4.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedOutlierFraction, outlierFraction, rankHistogram, rankOfTruth, ranksOfTruth } from '../../src/scores/ranks.ts';
import { assertClose, fixture, normalSamples, seededUniform } from './helpers.ts';

const facts = fixture('factsheet_vectors.json');

test('WeatherBench-X rank histogram vector: ranks, normalised histogram, outlier fraction', () => {
  const r = facts.rankWbx;
  const P = r.targets.length;
  const M = 5;
  const ens = new Float64Array(M * P);
  r.members.forEach((row: number[], p: number) => row.forEach((x, m) => (ens[m * P + p] = x)));
  const ranks = ranksOfTruth(ens, r.targets, M, P);
  assert.deepEqual(Array.from(ranks), r.ranks);
  const hist = rankHistogram(ranks, M);
  assert.deepEqual(Array.from(hist, (h) => h / P), r.histogram);
  assert.equal(outlierFraction(hist), r.outlierFraction);
  assertClose(expectedOutlierFraction(M), 1 / 3, 1e-15);
});

test('expected outlier fractions 2/(M+1) match the fact-sheet table', () => {
  for (const [m, v] of facts.outlierExpected) assertClose(expectedOutlierFraction(m), v, 2e-3, 0, `M=${m}`);
});

test('ties are broken uniformly among the tied positions, reproducibly for a given source', () => {
  const members = [1, 2, 2, 2, 3];
  const counts = new Array(6).fill(0);
  const u = seededUniform(5);
  const n = 20000;
  for (let i = 0; i < n; i++) counts[rankOfTruth(members, 2, u)]++;
  // #below = 1, 3 ties → ranks 1..4 each with probability 1/4.
  assert.equal(counts[0], 0);
  assert.equal(counts[5], 0);
  for (let r = 1; r <= 4; r++) assertClose(counts[r] / n, 0.25, 0, 0.015, `rank ${r}`);
  const a = Array.from({ length: 50 }, ((u1) => () => rankOfTruth(members, 2, u1))(seededUniform(9)));
  const b = Array.from({ length: 50 }, ((u2) => () => rankOfTruth(members, 2, u2))(seededUniform(9)));
  assert.deepEqual(a, b);
  assert.equal(rankOfTruth(members, 2), 1, 'without a source: count strictly below');
  assert.equal(rankOfTruth([1, Number.NaN], 0), 2, 'NaN ranks as largest');
});

test('calibrated Gaussian ensembles give a flat histogram and outlier fraction near 2/(M+1)', () => {
  const u = seededUniform(21);
  const M = 9;
  const N = 6000;
  const ens = normalSamples(M * N, u);
  const truth = normalSamples(N, u);
  const hist = rankHistogram(ranksOfTruth(ens, truth, M, N, u), M);
  for (const h of hist) assertClose(h / N, 1 / (M + 1), 0, 0.02);
  assertClose(outlierFraction(hist), expectedOutlierFraction(M), 0, 0.02);
  // Coarser bins must divide M + 1.
  assert.deepEqual(Array.from(rankHistogram([0, 1, 9, 4], 9, 5)), [2, 0, 1, 0, 1]);
  assert.throws(() => rankHistogram([0], 9, 3), /must divide/);
  assert.throws(() => rankHistogram([10], 9), /ranks\[0\] must be an integer in \[0, 9\]/);
});
