// Streaming accumulators must equal the in-memory computation (to rounding) for any split and merge order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { efiField } from '../../src/scores/efi.ts';
import { latitudeWeights, pointWeights } from '../../src/scores/grid.ts';
import { ensembleTimeStatistics } from '../../src/scores/mean.ts';
import { brierScore, eventOutcomes, exceedanceCounts, fairBrierScore } from '../../src/scores/probability.ts';
import { outlierFraction, rankHistogram, ranksOfTruth } from '../../src/scores/ranks.ts';
import { streamedScores } from '../../src/scores/streamed.ts';
import {
  ClimateQuantileCounts,
  ExceedanceAccumulator,
  ExtremesAccumulator,
  FieldStatistics,
  MomentsAccumulator,
} from '../../src/scores/streaming.ts';
import { assertAllClose, normalSamples, seededUniform } from './helpers.ts';

const M = 37;
const P = 60;
const u = seededUniform(2024);
// Float32 members, rounded to a 1/8 grid on some points so that ties with thresholds and climates occur.
const members = Float32Array.from(normalSamples(M * P, u), (v, i) => (i % 3 === 0 ? Math.round(v * 8) / 8 : 10 + 3 * v));

// Climate (101, P): monotone on even points, non-monotone (jittered) on odd points; includes exact 1/8 values.
const clim = new Float64Array(101 * P);
for (let p = 0; p < P; p++) {
  const centre = p % 3 === 0 ? 0 : 10;
  const scale = p % 3 === 0 ? 1 : 3;
  for (let j = 0; j < 101; j++) {
    let v = centre + scale * (-2.5 + (5 * j) / 100);
    if (p % 3 === 0) v = Math.round(v * 8) / 8;
    if (p % 2 === 1) v += 0.02 * Math.sin(17 * j + p);
    clim[j * P + p] = v;
  }
}

function memberRows(order: number[], start: number, count: number): Float32Array {
  const out = new Float32Array(count * P);
  for (let k = 0; k < count; k++) out.set(members.subarray(order[start + k]! * P, (order[start + k]! + 1) * P), k * P);
  return out;
}

function inMemory() {
  const mean = new Float64Array(P);
  const variance = new Float64Array(P);
  const min = new Float64Array(P).fill(Infinity);
  const max = new Float64Array(P).fill(-Infinity);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let m = 0; m < M; m++) {
      const x = members[m * P + p]!;
      s += x;
      min[p] = Math.min(min[p]!, x);
      max[p] = Math.max(max[p]!, x);
    }
    mean[p] = s / M;
    let ss = 0;
    for (let m = 0; m < M; m++) ss += (members[m * P + p]! - mean[p]!) ** 2;
    variance[p] = ss / (M - 1);
  }
  return { mean, variance, min, max };
}

function splits(): Array<{ name: string; order: number[]; sizes: number[] }> {
  const identity = Array.from({ length: M }, (_, i) => i);
  const reversed = [...identity].reverse();
  const shuffled = [...identity];
  const r = seededUniform(99);
  for (let i = M - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return [
    { name: 'one batch', order: identity, sizes: [M] },
    { name: 'member by member', order: identity, sizes: new Array(M).fill(1) },
    { name: 'reversed, uneven', order: reversed, sizes: [5, 1, 20, 11] },
    { name: 'shuffled, uneven', order: shuffled, sizes: [2, 13, 3, 7, 12] },
  ];
}

test('moments, extremes, exceedances and climate counts equal in-memory values for several split orders', () => {
  const ref = inMemory();
  const thresholds = [-0.5, 0, 0.125, 10, 12.5];
  const refEfi = efiField(clim, 101, members, M, P);
  for (const s of splits()) {
    const moments = new MomentsAccumulator(P);
    const extremes = new ExtremesAccumulator(P);
    const exceed = new ExceedanceAccumulator(P, thresholds, '>');
    const counts = new ClimateQuantileCounts(P, clim);
    let start = 0;
    for (const size of s.sizes) {
      const batch = memberRows(s.order, start, size);
      moments.add(batch);
      extremes.add(batch);
      exceed.add(batch);
      counts.add(batch);
      start += size;
    }
    assert.equal(moments.count, M);
    assertAllClose(moments.mean, ref.mean, 1e-13, 1e-13, `${s.name} mean`);
    assertAllClose(moments.variance(), ref.variance, 1e-12, 1e-13, `${s.name} variance`);
    assert.deepEqual(Array.from(extremes.min), Array.from(ref.min), `${s.name} min`);
    assert.deepEqual(Array.from(extremes.max), Array.from(ref.max), `${s.name} max`);
    for (let t = 0; t < thresholds.length; t++) {
      for (let p = 0; p < P; p++) {
        let c = 0;
        for (let m = 0; m < M; m++) if (members[m * P + p]! > thresholds[t]!) c++;
        assert.equal(exceed.counts[t * P + p], c, `${s.name} exceedance t=${t} p=${p}`);
      }
    }
    const got = counts.counts();
    for (let j = 0; j < 101; j += 7) {
      for (let p = 0; p < P; p++) {
        let c = 0;
        for (let m = 0; m < M; m++) if (members[m * P + p]! <= clim[j * P + p]!) c++;
        assert.equal(got[j * P + p], c, `${s.name} clim count j=${j} p=${p}`);
      }
    }
    assertAllClose(counts.efi(), refEfi, 0, 1e-14, `${s.name} EFI from counts`);
  }
});

test('merging partial accumulators in any tree order, through JSON, equals one pass', () => {
  const ref = inMemory();
  const parts = [
    [0, 9],
    [9, 1],
    [10, 20],
    [30, 7],
  ] as const;
  const order = Array.from({ length: M }, (_, i) => i);
  const build = ([start, size]: readonly [number, number]) =>
    new FieldStatistics({ points: P, thresholds: [0, 11], climate: clim }).add(memberRows(order, start, size));
  const viaJson = (f: FieldStatistics) => FieldStatistics.fromJSON(JSON.parse(JSON.stringify(f.toJSON())));
  const a = viaJson(build(parts[3])).merge(build(parts[0]));
  const b = build(parts[2]).merge(viaJson(build(parts[1])));
  const all = viaJson(b.merge(a));
  assertAllClose(all.moments.mean, ref.mean, 1e-13, 1e-13, 'merged mean');
  assertAllClose(all.moments.variance(), ref.variance, 1e-12, 1e-13, 'merged variance');
  assert.deepEqual(Array.from(all.extremes.min), Array.from(ref.min));
  assert.deepEqual(Array.from(all.extremes.max), Array.from(ref.max));
  assert.equal(all.exceedance!.count, M);
  assertAllClose(all.climateCounts!.efi(), efiField(clim, 101, members, M, P), 0, 1e-14, 'merged EFI');
  const one = build([0, M]);
  assert.deepEqual(Array.from(all.exceedance!.counts), Array.from(one.exceedance!.counts));
  assert.deepEqual(Array.from(all.climateCounts!.counts()), Array.from(one.climateCounts!.counts()));
});

test('JSON state round-trips exactly and bad state or batches are rejected with named errors', () => {
  const m = new MomentsAccumulator(P).add(members);
  const back = MomentsAccumulator.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  assert.deepEqual(Array.from(back.mean), Array.from(m.mean));
  assert.deepEqual(Array.from(back.m2), Array.from(m.m2));
  assert.throws(() => m.add(new Float32Array(P + 1)), /not a positive multiple of points/);
  assert.throws(() => m.merge(new MomentsAccumulator(P + 1)), /MomentsAccumulator over 60 points/);
  assert.throws(() => MomentsAccumulator.fromJSON({ ...m.toJSON(), kind: 'extremes' } as never), /expected a serialised moments/);
  assert.throws(() => new ClimateQuantileCounts(P, new Float64Array(100 * P)), /clim has length 6000, expected 6060/);
  const e1 = new ExceedanceAccumulator(P, [0]);
  assert.throws(() => e1.merge(new ExceedanceAccumulator(P, [1])), /thresholds differ/);
  assert.throws(() => new ClimateQuantileCounts(P, clim).merge(new ClimateQuantileCounts(P, clim.map((v) => v + 1))), /climates differ/);
});

test('scores from streamed statistics equal the in-memory scores', () => {
  const grid = { nlat: 6, nlon: 10 };
  const w = latitudeWeights([75, 45, 15, -15, -45, -75]);
  const truth = Float64Array.from(normalSamples(P, seededUniform(5)), (v, p) => (p % 3 === 0 ? v : 10 + 3 * v));
  const thresholds = [0, 11];
  const stats = new FieldStatistics({ points: P, thresholds });
  for (let m = 0; m < M; m += 10) stats.add(members.subarray(m * P, Math.min(M, m + 10) * P));
  const s = streamedScores(stats, truth, grid, w);
  const ref = ensembleTimeStatistics({ values: members, members: M, grid }, truth, w);
  assertAllClose([s.ensembleMeanMse, s.ensembleVariance, s.debiasedEnsembleMeanMse], [ref.ensembleMeanMse, ref.ensembleVariance, ref.debiasedEnsembleMeanMse], 1e-12, 1e-14, 'mse/var');
  const pw = pointWeights(grid, w);
  thresholds.forEach((t, k) => {
    const counts = exceedanceCounts(members, M, P, t);
    const o = eventOutcomes(truth, t);
    assertAllClose([s.brier[k]!, s.fairBrier[k]!], [brierScore(Float64Array.from(counts, (c) => c / M), o, pw), fairBrierScore(counts, M, o, pw)], 1e-13, 1e-15, `brier ${t}`);
  });
  const hist = rankHistogram(ranksOfTruth(members, truth, M, P), M, M + 1, pw);
  assertAllClose([s.outlierFraction], [outlierFraction(hist)], 1e-13, 1e-15, 'outliers');
});
