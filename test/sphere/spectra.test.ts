// Tests for power spectra: the analytic angular spectrum of 1 + 2 sin φ + 3 cos²φ cos 2λ on all grids, Parseval,
// and the WeatherBench 2 zonal energy spectrum test vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRID_KINDS, gridGeometry } from '../../src/sphere/grid.ts';
import { createSht } from '../../src/sphere/reference.ts';
import { angularPowerSpectrum, WB2_EARTH_RADIUS, zonalEnergySpectrum } from '../../src/sphere/spectra.ts';

test('angular power spectrum of f = 1 + 2 sin φ + 3 cos²φ cos 2λ is [4π, 16π/3, 48π/5] (ortho) on every grid', () => {
  for (const kind of GRID_KINDS) {
    const nlat = kind === 'legendre-gauss' ? 32 : 33;
    const lmax = kind === 'equiangular' ? 16 : 32;
    const sht = createSht({ kind, nlat, nlon: 64 }, { lmax, mmax: lmax });
    const geo = gridGeometry(sht.config.grid);
    const x = new Float64Array(nlat * 64);
    for (let k = 0; k < nlat; k++) {
      const p = geo.latitudes[k];
      for (let j = 0; j < 64; j++) x[k * 64 + j] = 1 + 2 * Math.sin(p) + 3 * Math.cos(p) ** 2 * Math.cos(2 * geo.longitudes[j]);
    }
    const spectrum = angularPowerSpectrum(sht.forward({ data: x, shape: [1, nlat, 64] }));
    assert.deepEqual(spectrum.shape, [1, lmax]);
    const expected = [4 * Math.PI, (16 * Math.PI) / 3, (48 * Math.PI) / 5];
    for (let l = 0; l < lmax; l++) {
      const e = l < 3 ? expected[l] : 0;
      assert.ok(Math.abs(spectrum.data[l] - e) < 1e-12, `${kind} P(${l}) = ${spectrum.data[l]}, expected ${e}`);
    }
    const total = spectrum.data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 59.48082090796674) < 1e-11, `${kind} Parseval: ${total}`);
  }
});

test('zonal energy spectrum follows WeatherBench 2 (Nyquist doubled, S scaled by the circumference)', () => {
  const L = 8;
  const lats = [0, Math.PI / 3];
  const data = new Float64Array(2 * 2 * L);
  for (let j = 0; j < L; j++) {
    const lam = (2 * Math.PI * j) / L;
    data[j] = 1 + 2 * Math.cos(3 * lam); // field 0, equator
    data[L + j] = Math.cos(4 * lam); // field 0, 60°N: pure Nyquist
    data[2 * L + j] = Math.sin(lam); // field 1, equator
    data[3 * L + j] = 0;
  }
  const z = zonalEnergySpectrum({ data, shape: [2, 2, L] }, lats);
  assert.deepEqual(z.spectrum.shape, [2, 2, 5]);
  const C0 = 2 * Math.PI * WB2_EARTH_RADIUS;
  const C1 = C0 * Math.cos(Math.PI / 3);
  const expect = (row: number, values: number[], c: number) =>
    values.forEach((v, k) => assert.ok(Math.abs(z.spectrum.data[row * 5 + k] / c - v) < 1e-14, `row ${row} k=${k}: ${z.spectrum.data[row * 5 + k] / c} vs ${v}`));
  expect(0, [1, 0, 0, 2, 0], C0);
  expect(1, [0, 0, 0, 0, 2], C1);
  expect(2, [0, 0.5, 0, 0, 0], C0);
  // Parseval (no Nyquist content): (C/L) Σ f² = Σ S
  let sumF2 = 0;
  for (let j = 0; j < L; j++) sumF2 += data[j] ** 2;
  const sumS = z.spectrum.data.subarray(0, 5).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs((C0 / L) * sumF2 - sumS) < 1e-6);
  assert.ok(Math.abs(z.frequency.data[3] - 3 / C0) < 1e-20);
  assert.equal(z.wavelength.data[0], Infinity);
  assert.ok(Math.abs(z.wavelength.data[5 + 2] - C1 / 2) < 1e-6);
  assert.throws(() => zonalEnergySpectrum({ data, shape: [2, 2, L] }, [0]), /1 latitudes given for 2 rows/);
});
