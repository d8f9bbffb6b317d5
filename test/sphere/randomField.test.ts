// Tests for the correlated spherical random field: synthesis convention (4π·ISHT four-pi = √(4π) Ȳ), empirical
// angular spectrum, lag-1 correlation, stationarity and grid variance against the specification within a few
// standard errors, and counter-based reproducibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFromSeed, streamKey } from '../../src/engine/random.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';
import { CorrelatedSphericalField, HENS_SEED_NOISE, RANDOM_FIELD_EARTH_RADIUS } from '../../src/sphere/randomField.ts';
import { createSht } from '../../src/sphere/reference.ts';
import { angularPowerSpectrum } from '../../src/sphere/spectra.ts';

const R = RANDOM_FIELD_EARTH_RADIUS;

test('specification constants: φ = exp(−dt/τ), k_T = (L/R)²/2, amplitude exp(−k_T l(l+1)/2)·F0 on m ≤ l', () => {
  const f = new CorrelatedSphericalField({ grid: { kind: 'equiangular', nlat: 16, nlon: 32 }, ...HENS_SEED_NOISE });
  assert.equal(f.phi, Math.exp(-6 / 48));
  assert.ok(Math.abs(f.kT - (500e3 / 6.371e6) ** 2 / 2) < 1e-18);
  // F0² · 2 Σ_{l=1}^{lmax−1} (2l+1) e^{−k_T l(l+1)} = σ² (1 − φ²), with the torch-harmonics default lmax = nlat = 16
  let sum = 0;
  for (let l = 1; l < 16; l++) sum += (2 * l + 1) * Math.exp(-f.kT * l * (l + 1));
  assert.ok(Math.abs(f.f0 ** 2 * 2 * sum - (1 - f.phi ** 2)) < 1e-15);
  const L = f.lmax;
  assert.equal(L, 16);
  assert.equal(f.amplitude[3 * L + 4], 0, 'm > l is zero');
  assert.ok(Math.abs(f.amplitude[3 * L + 2] / f.amplitude[0] - Math.exp((-f.kT * 12) / 2)) < 1e-15);
  assert.throws(() => new CorrelatedSphericalField({ grid: { kind: 'equiangular', nlat: 16, nlon: 32 }, lengthScale: -1, timeScale: 48, sigma: 1 }), /lengthScale must be a positive finite number, got -1/);
  assert.throws(() => new CorrelatedSphericalField({ grid: { kind: 'hexagonal' as never, nlat: 16, nlon: 32 }, ...HENS_SEED_NOISE }), /CorrelatedSphericalField\.grid\.kind/);
});

// A test configuration with moderate k_T so that the spectrum spans the resolved degrees: L/R = 0.25.
const grid = { kind: 'legendre-gauss' as const, nlat: 48, nlon: 96 };
const count = 300;
const field = new CorrelatedSphericalField({ grid, lengthScale: 0.25 * R, timeScale: 48, sigma: 2, count });
const key = streamKey(2024, 7, 1);

test('synthesis: the grid field has orthonormal coefficients √(4π)·c (imaginary part of m = 0 dropped)', () => {
  const f = new CorrelatedSphericalField({ grid, lengthScale: 0.25 * R, timeScale: 48, sigma: 2, count: 2 });
  const state = f.initialState(keyFromSeed(5));
  const sht = createSht(grid, { lmax: f.lmax, mmax: f.lmax, norm: 'ortho', csphase: true });
  const a = sht.forward(f.toGrid(state));
  const s4 = Math.sqrt(4 * Math.PI);
  let err = 0;
  let mag = 0;
  const L = f.lmax;
  for (let b = 0; b < 2; b++)
    for (let l = 0; l < L; l++)
      for (let m = 0; m <= l; m++) {
        const i = (b * L + l) * L + m;
        err = Math.max(err, Math.abs(a.re[i] - s4 * state.re[i]), Math.abs(a.im[i] - (m === 0 ? 0 : s4 * state.im[i])));
        mag = Math.max(mag, Math.abs(s4 * state.re[i]));
      }
  assert.ok(err < 1e-12 * mag, `relative error ${err / mag}`);
});

test('empirical angular spectrum matches 4π v_l (1 + 4l) within 5 standard errors at every degree', () => {
  const state = field.initialState(key);
  const sht = createSht(grid, { lmax: field.lmax, mmax: field.lmax });
  const p = angularPowerSpectrum(sht.forward(field.toGrid(state)));
  const L = field.lmax;
  let worst = 0;
  let tested = 0;
  for (let l = 0; l < L; l++) {
    // below ~1e−20 of the l = 0 power, rounding noise of the transforms (~1e−15 per coefficient) dominates
    if (field.coefficientVariance(l) < 1e-20 * field.coefficientVariance(0)) continue;
    tested++;
    let mean = 0;
    for (let b = 0; b < count; b++) mean += p.data[b * L + l];
    mean /= count;
    const v = field.coefficientVariance(l);
    const expected = 4 * Math.PI * v * (1 + 4 * l);
    const se = 4 * Math.PI * v * Math.sqrt((2 + 8 * l) / count);
    const z = Math.abs(mean - expected) / se;
    worst = Math.max(worst, z);
    assert.ok(z < 5, `l=${l}: mean ${mean}, expected ${expected} ± ${se} (z = ${z})`);
  }
  assert.ok(tested >= 35, `only ${tested} degrees tested`);
  assert.ok(worst > 0.1, 'the check is live');
});

test('AR(1): lag-1 correlation φ and stationary variance within 5 standard errors', () => {
  const c0 = field.initialState(key);
  const c1 = field.advance(c0, key, 1);
  const L = field.lmax;
  let cross = 0;
  let sq0 = 0;
  let sq1 = 0;
  let n = 0;
  for (let b = 0; b < count; b++)
    for (let l = 0; l < L; l++) {
      const v = field.coefficientVariance(l);
      for (let m = 0; m <= l; m++) {
        const i = (b * L + l) * L + m;
        for (const [x0, x1] of [[c0.re[i], c1.re[i]], [c0.im[i], c1.im[i]]]) {
          cross += (x0 * x1) / v;
          sq0 += (x0 * x0) / v;
          sq1 += (x1 * x1) / v;
          n++;
        }
      }
    }
  const r = cross / Math.sqrt(sq0 * sq1);
  const seR = (1 - field.phi ** 2) / Math.sqrt(n);
  assert.ok(Math.abs(r - field.phi) < 5 * seR, `lag-1 correlation ${r}, expected ${field.phi} ± ${seR}`);
  const seVar = Math.sqrt(2 / n);
  assert.ok(Math.abs(sq0 / n - 1) < 5 * seVar, `initial variance ratio ${sq0 / n}`);
  assert.ok(Math.abs(sq1 / n - 1) < 5 * seVar, `variance ratio after one step ${sq1 / n}`);
});

test('HENS settings: grid variance ≈ σ² as specified, and the HENS truncation keeps every non-negligible degree', () => {
  const g = { kind: 'legendre-gauss' as const, nlat: 96, nlon: 192 };
  const f = new CorrelatedSphericalField({ grid: g, ...HENS_SEED_NOISE, count: 20 });
  const expected = f.expectedGridVariance();
  assert.ok(expected > 0.95 && expected < 1, `expected grid variance ${expected}`);
  const fields = f.toGrid(f.initialState(streamKey(1, 2, 3)));
  const w = gridGeometry(g).rowWeights;
  let mean = 0;
  for (let b = 0; b < 20; b++) {
    let s = 0;
    for (let k = 0; k < 96; k++) for (let j = 0; j < 192; j++) s += w[k] * fields.data[(b * 96 + k) * 192 + j] ** 2;
    mean += s / (2 * 192);
  }
  mean /= 20;
  let varOfMean = 0;
  for (let l = 0; l < f.lmax; l++) varOfMean += f.coefficientVariance(l) ** 2 * (2 + 16 * l);
  const se = Math.sqrt(varOfMean / 20);
  assert.ok(Math.abs(mean - expected) < 5 * se, `sphere-mean variance ${mean}, expected ${expected} ± ${se}`);
  // the full-resolution HENS field (nlat 720) keeps degrees until exp(−k_T l(l+1)/2) < 1e−18
  const hens = new CorrelatedSphericalField({ grid: { kind: 'equiangular', nlat: 720, nlon: 1440 }, ...HENS_SEED_NOISE });
  assert.ok(hens.lmax > 150 && hens.lmax < 200, `kept degrees ${hens.lmax}`);
  assert.ok(Math.exp((-hens.kT * hens.lmax * (hens.lmax + 1)) / 2) < 1e-18);
});

test('counter-based reproducibility: same key, same fields; other keys or steps, different noise', () => {
  const small = new CorrelatedSphericalField({ grid: { kind: 'equiangular', nlat: 12, nlon: 24 }, ...HENS_SEED_NOISE, lengthScale: 2e6, count: 3 });
  const k = streamKey(1, 0, 5);
  const a = [...small.sequence(k, 3)];
  const b = [...small.sequence(k, 3)];
  assert.deepEqual(a[2].field.data, b[2].field.data);
  // regenerating step 2 from the stored step-1 state gives the same field
  assert.deepEqual(small.toGrid(small.advance(a[1].state, k, 2)).data, a[2].field.data);
  const other = [...small.sequence(streamKey(1, 0, 6), 1)];
  assert.notDeepEqual(other[0].field.data, a[0].field.data);
  assert.notDeepEqual(small.advance(a[1].state, k, 3).re, a[2].state.re);
  assert.deepEqual(a[0].field.shape, [3, 12, 24]);
  assert.throws(() => small.advance(a[0].state, k, 0), /step must be >= 1/);
});
