// Tests of the ensemble CRPS estimators against properscoring/scoringrules vectors (metrics-factsheet §1.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  crpsAdjustedToSize,
  crpsEnsemble,
  crpsGaussian,
  crpsWeighted,
  erf,
  intervalWeight,
  owCrps,
  twCrps,
  vrCrps,
} from '../../src/scores/crps.ts';
import { assertClose, fixture, normalSamples, seededUniform } from './helpers.ts';

const vectors = fixture('crps_vectors.json');
const facts = fixture('factsheet_vectors.json');

/** Independent O(M²) kernel form E|X − y| − ½ E|X − X'| with divisor M² (standard) or M(M−1) (fair). */
function crpsPairwise(x: ArrayLike<number>, y: number, fair: boolean): number {
  const m = x.length;
  let a = 0;
  let b = 0;
  for (let i = 0; i < m; i++) {
    a += Math.abs(x[i]! - y);
    for (let j = 0; j < m; j++) b += Math.abs(x[i]! - x[j]!);
  }
  return a / m - b / (2 * (fair ? m * (m - 1) : m * m));
}

/** Independent exact integral of (F_M(z) − 1{y <= z})² over the sorted members (§1.2 integral form). */
function crpsIntegral(x: ArrayLike<number>, y: number): number {
  const s = Array.from(x).sort((a, b) => a - b);
  const m = s.length;
  const pts = [...s, y].sort((a, b) => a - b);
  let total = 0;
  for (let k = 0; k + 1 < pts.length; k++) {
    const lo = pts[k]!;
    const hi = pts[k + 1]!;
    if (hi <= lo) continue;
    const mid = (lo + hi) / 2;
    const f = s.filter((v) => v <= mid).length / m;
    const h = y <= mid ? 1 : 0;
    total += (hi - lo) * (f - h) ** 2;
  }
  return total;
}

test('toy ensembles reproduce properscoring (standard) and scoringrules fair values (Table A)', () => {
  for (const c of vectors.toy) {
    assertClose(crpsEnsemble(c.ens, c.y, 'standard'), c.expected_properscoring, 1e-14, 1e-15, `std y=${c.y} ens=${c.ens}`);
    for (const key of ['properscoring', 'sr_nrg', 'sr_qd', 'sr_int', 'hersbach']) {
      assertClose(crpsEnsemble(c.ens, c.y, 'standard'), c[key], 1e-14, 1e-15, `${key} y=${c.y} ens=${c.ens}`);
    }
    if ('sr_pwm' in c) assertClose(crpsEnsemble(c.ens, c.y, 'fair'), c.sr_pwm, 1e-14, 1e-15, `pwm (fair) y=${c.y}`);
    if (c.ens.length >= 2) assertClose(crpsEnsemble(c.ens, c.y, 'fair'), c.sr_fair, 1e-14, 1e-15, `fair y=${c.y} ens=${c.ens}`);
    else assert.ok(Number.isNaN(crpsEnsemble(c.ens, c.y, 'fair')), 'fair CRPS of one member is NaN');
  }
});

test('10-member vector (Table C): standard, fair and member-weighted values', () => {
  const c = facts.tableC;
  assertClose(crpsEnsemble(c.ens, c.y, 'standard'), c.standard, 1e-8, 0, 'standard');
  assertClose(crpsEnsemble(c.ens, c.y, 'fair'), c.fair, 1e-8, 0, 'fair');
  const w = c.ens.map((_: number, i: number) => i);
  assertClose(crpsWeighted(c.ens, w, c.y), c.weightedByIndex, 1e-8, 0, 'weighted');
});

test('member-weighted CRPS reproduces properscoring weight examples (Table B)', () => {
  for (const c of facts.weighted) assertClose(crpsWeighted(c.ens, c.w, c.y), c.crps, 1e-12, 1e-15, `y=${c.y} ens=${c.ens} w=${c.w}`);
});

test('threshold-, outcome-weighted and vertically re-scaled CRPS (Table D per case and means)', () => {
  const { forecasts, observations, means } = facts.tableD;
  const sums = { twA: 0, twB: 0, owA: 0, owB: 0, vrA: 0, vrB: 0 };
  forecasts.forEach((f: number[], i: number) => {
    const y = observations[i];
    assertClose(crpsEnsemble(f, y, 'standard'), vectors.crps_rows[i], 1e-8, 1e-12, `crps row ${i}`);
    assertClose(crpsEnsemble(f, y, 'fair'), vectors.fair_rows[i], 1e-8, 1e-12, `fair row ${i}`);
    const twA = twCrps(f, y, { lower: -1 }, 'standard');
    const twB = twCrps(f, y, { upper: 1.85 }, 'standard');
    assertClose(twA, vectors.tw_a[i], 1e-8, 1e-12, `tw a row ${i}`);
    assertClose(twB, vectors.tw_b[i], 1e-8, 1e-12, `tw b row ${i}`);
    assertClose(twA, vectors.sr_tw_a[i], 1e-8, 1e-12, `scoringrules tw a row ${i}`);
    assertClose(twB, vectors.sr_tw_b[i], 1e-8, 1e-12, `scoringrules tw b row ${i}`);
    assertClose(twCrps(f, y, { lower: -1 }, 'fair'), vectors.tw_a_fair[i], 1e-8, 1e-12, `tw a fair row ${i}`);
    const owA = owCrps(f, y, (z) => (z > -1 ? 1 : 0));
    assertClose(owA, vectors.ow_a[i], 1e-8, 1e-12, `ow a row ${i}`);
    const vrA = vrCrps(f, y, intervalWeight({ lower: -1 }));
    assertClose(vrA, vectors.vr_a[i], 1e-8, 1e-12, `vr a row ${i}`);
    sums.twA += twA;
    sums.twB += twB;
    sums.owA += owA;
    sums.owB += owCrps(f, y, (z) => (z < 1.85 ? 1 : 0));
    sums.vrA += vrA;
    sums.vrB += vrCrps(f, y, intervalWeight({ upper: 1.85 }));
  });
  assertClose(sums.twA / 10, means['tw_a_-1_std'], 1e-6, 0, 'tw a mean');
  assertClose(sums.twB / 10, means['tw_b_1.85_std'], 1e-6, 0, 'tw b mean');
  assertClose(sums.owA / 10, means['ow_a_-1'], 1e-6, 0, 'ow a mean');
  assertClose(sums.owB / 10, means['ow_b_1.85'], 1e-6, 0, 'ow b mean');
  assertClose(sums.vrA / 10, means['vr_a_-1'], 1e-6, 0, 'vr a mean');
  assertClose(sums.vrB / 10, means['vr_b_1.85'], 1e-6, 0, 'vr b mean');
});

test('sorted O(M log M) estimators equal the O(M²) kernel form and the exact ECDF integral on random ensembles with ties', () => {
  const u = seededUniform(7);
  for (let trial = 0; trial < 40; trial++) {
    const m = 2 + Math.floor(u() * 30);
    const x = Array.from({ length: m }, () => Math.round(u() * 8) / 4 - 1); // many ties
    const y = trial % 5 === 0 ? x[0]! : u() * 3 - 1.5;
    assertClose(crpsEnsemble(x, y, 'standard'), crpsPairwise(x, y, false), 1e-12, 1e-14, `std trial ${trial}`);
    assertClose(crpsEnsemble(x, y, 'standard'), crpsIntegral(x, y), 1e-12, 1e-14, `integral trial ${trial}`);
    assertClose(crpsEnsemble(x, y, 'fair'), crpsPairwise(x, y, true), 1e-12, 1e-14, `fair trial ${trial}`);
    // SpecsVerification size adjustment: R_new = ∞ → fair, R_new = R → standard.
    assertClose(crpsAdjustedToSize(x, y, Infinity), crpsPairwise(x, y, true), 1e-12, 1e-14, 'adjusted ∞');
    assertClose(crpsAdjustedToSize(x, y, m), crpsPairwise(x, y, false), 1e-12, 1e-14, 'adjusted R');
  }
});

test('Float32 input gives the same CRPS as its Float64 copy', () => {
  const x = Float32Array.from([0.1, -0.3, 2.5, 1.25, 0.7]);
  assert.equal(crpsEnsemble(x, 0.2, 'fair'), crpsEnsemble(Float64Array.from(x), 0.2, 'fair'));
});

test('Gaussian closed form (§1.6) and fair CRPS of a large Gaussian sample approaches it', () => {
  for (const g of facts.gaussian) assertClose(crpsGaussian(g.y, g.mu, g.sigma), g.crps, 1e-13, 0, `gaussian ${g.y}`);
  assertClose(erf(0.5), 0.5204998778130465, 1e-14);
  assertClose(erf(3.5), 0.9999992569016276, 1e-14);
  assertClose(erf(-1.2), -0.9103139782296353, 1e-14);
  // E[fair CRPS] = CRPS(F, y) exactly; average over many ensembles of size 8 (standard one is biased up by E|X−X'|/(2M)).
  const u = seededUniform(11);
  let fair = 0;
  let std = 0;
  const reps = 4000;
  for (let r = 0; r < reps; r++) {
    const x = normalSamples(8, u);
    fair += crpsEnsemble(x, 0.7, 'fair');
    std += crpsEnsemble(x, 0.7, 'standard');
  }
  const exact = crpsGaussian(0.7, 0, 1);
  assertClose(fair / reps, exact, 0.02, 0, 'fair mean');
  const bias = 2 / Math.sqrt(Math.PI) / (2 * 8); // E|X−X'| = 2/√π for N(0,1); bias = E|X−X'|/(2M)
  assertClose(std / reps, exact + bias, 0.02, 0, 'standard mean');
});

test('bad inputs get clear errors; NaN propagates', () => {
  assert.throws(() => crpsEnsemble([], 0, 'fair'), /non-empty/);
  assert.throws(() => crpsEnsemble([1, 2], 0, 'biased' as never), /estimator/);
  assert.throws(() => crpsWeighted([1, 2], [1], 0), /one entry per member/);
  assert.throws(() => crpsWeighted([1, 2], [0, 0], 0), /not all be zero/);
  assert.throws(() => twCrps([1, 2], 0, { lower: 2, upper: 1 }, 'fair'), /lower < upper/);
  assert.throws(() => crpsGaussian(0, 0, 0), /sigma/);
  assert.ok(Number.isNaN(crpsEnsemble([1, Number.NaN], 0, 'standard')));
  assert.ok(Number.isNaN(crpsEnsemble([1, 2], Number.NaN, 'fair')));
  // properscoring skips NaN members: crps(0, [nan, 1]) = 1 (§1.7).
  assert.equal(crpsEnsemble([Number.NaN, 1], 0, 'standard', 'omit'), 1);
  assert.ok(Number.isNaN(crpsEnsemble([Number.NaN, Number.NaN], 0, 'standard', 'omit')));
  assert.throws(() => crpsEnsemble([1], 0, 'standard', 'skip' as never), /nanPolicy/);
});
