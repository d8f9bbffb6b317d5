// Tests of latitude weights (metrics-factsheet §2.1), the zonal energy spectrum (§2.8) and the spread-skill
// ratio forms on a perfect ensemble (§2.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaMean, cosineLatitudeWeights, latitudeWeights } from '../../src/scores/grid.ts';
import { bestMember, ensembleTimeStatistics, summariseEnsemble } from '../../src/scores/mean.ts';
import { memberMeanZonalSpectrum, RealDft, spectrumRatio, zonalEnergySpectrum, zonalFrequencies } from '../../src/scores/spectrum.ts';
import { assertAllClose, assertClose, fixture, normalSamples, seededUniform } from './helpers.ts';

const facts = fixture('factsheet_vectors.json');

test('latitude weights: WB2 cell-area and cos(φ) tables, and errors', () => {
  for (const row of facts.latWeights) {
    assertAllClose(latitudeWeights(row.lat), row.wb2, 1e-11, 0, `wb2 ${row.lat}`);
    assertAllClose(cosineLatitudeWeights(row.lat), row.cos, 1e-11, 1e-12, `cos ${row.lat}`);
  }
  assert.throws(() => latitudeWeights([0, 10, 5]), /strictly monotone/);
  assert.throws(() => latitudeWeights([0, 100]), /must be in \[-90, 90\]/);
  assert.throws(() => areaMean([1, 2], { nlat: 1, nlon: 3 }, Float64Array.of(1)), /field has length 2, expected 3/);
});

test('zonal spectrum at the equator (L = 8): S/C for 1 + 2cos(3λ) and the doubled Nyquist bin of cos(4λ)', () => {
  const grid = { nlat: 1, nlon: 8 };
  const lam = Array.from({ length: 8 }, (_, l) => (2 * Math.PI * l) / 8);
  const radius = 6_367_500;
  const c = 2 * Math.PI * radius;
  const fields = [lam.map((x) => 1 + 2 * Math.cos(3 * x)), lam.map((x) => Math.cos(4 * x))];
  facts.zonalEquator.cases.forEach((k: { S_over_C: number[] }, i: number) => {
    const s = zonalEnergySpectrum(fields[i]!, grid, [0], radius);
    assertAllClose(Array.from(s, (v) => v / c), k.S_over_C, 1e-12, 1e-12, `case ${i}`);
  });
  const f = zonalFrequencies(grid, [0], radius);
  assertClose(f[3]!, 3 / c, 1e-15);
});

test('zonal spectrum satisfies Parseval for odd L; member-mean spectrum of identical members equals the spectrum', () => {
  const u = seededUniform(4);
  const grid = { nlat: 3, nlon: 15 };
  const lat = [60, 0, -60];
  const field = normalSamples(45, u);
  const s = zonalEnergySpectrum(field, grid, lat);
  for (let i = 0; i < 3; i++) {
    const c = 2 * Math.PI * 6_367_500 * Math.cos((lat[i]! * Math.PI) / 180);
    let energy = 0;
    for (let l = 0; l < 15; l++) energy += field[i * 15 + l]! ** 2;
    let total = 0;
    for (let k = 0; k < 8; k++) total += s[i * 8 + k]!;
    assertClose(total, (c / 15) * energy, 1e-12, 0, `Parseval row ${i}`);
  }
  const ens = new Float64Array(3 * 45);
  for (let m = 0; m < 3; m++) ens.set(field, m * 45);
  assertAllClose(memberMeanZonalSpectrum(ens, 3, grid, lat), s, 1e-14, 0, 'member mean');
  assert.ok(spectrumRatio(s, s).every((v) => Math.abs(v - 1) < 1e-15));
  assert.throws(() => new RealDft(0), /positive integer/);
});

test('perfect ensemble: Fortin and unbiased SSR ≈ 1, plain SSR ≈ sqrt(M/(M+1)); best member is found', () => {
  const u = seededUniform(31);
  const M = 4;
  const grid = { nlat: 8, nlon: 16 };
  const P = 128;
  const w = latitudeWeights([78.75, 56.25, 33.75, 11.25, -11.25, -33.75, -56.25, -78.75]);
  const perTime = [];
  for (let t = 0; t < 60; t++) {
    const values = normalSamples(M * P, u);
    const truth = normalSamples(P, u);
    perTime.push(ensembleTimeStatistics({ values: Float32Array.from(values), members: M, grid }, truth, w));
  }
  const s = summariseEnsemble(perTime);
  assertClose(s.spreadSkill.fortin, 1, 0.03, 0, 'fortin');
  assertClose(s.spreadSkill.unbiased, 1, 0.04, 0, 'unbiased');
  assertClose(s.spreadSkill.plain, Math.sqrt(M / (M + 1)), 0.03, 0, 'plain');
  const values = new Float64Array(3 * P);
  const truth = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    values[p] = 1;
    values[P + p] = 0.1;
    values[2 * P + p] = -0.5;
  }
  const best = bestMember({ values, members: 3, grid }, truth, w);
  assert.equal(best.member, 1);
  assertClose(best.rmse, 0.1, 1e-14);
});
