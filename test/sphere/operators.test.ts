// Tests for the reference differential operators: analytic vorticity/divergence of solid-body winds, gradients
// and Laplacians of low-degree fields, and the wind ↔ (vorticity, divergence) round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Float64Tensor, type GridKind, gridGeometry } from '../../src/sphere/grid.ts';
import {
  gradient,
  inverseLaplacianSpectral,
  laplacian,
  laplacianSpectral,
  streamfunctionVelocityPotential,
  SWE_EARTH_RADIUS,
  vorticityDivergence,
  vorticityDivergenceSpectral,
  windFromVorticityDivergence,
} from '../../src/sphere/operators.ts';
import { createSht } from '../../src/sphere/reference.ts';

const R = SWE_EARTH_RADIUS;
const U = 10;
const grids: Array<[GridKind, number, number, number]> = [
  ['legendre-gauss', 32, 64, 32],
  ['equiangular', 33, 64, 16],
  ['lobatto', 33, 64, 32],
];

function fieldOf(kind: GridKind, nlat: number, nlon: number, fn: (lat: number, lon: number) => number): Float64Tensor {
  const geo = gridGeometry({ kind, nlat, nlon });
  const data = new Float64Array(nlat * nlon);
  for (let k = 0; k < nlat; k++) for (let j = 0; j < nlon; j++) data[k * nlon + j] = fn(geo.latitudes[k], geo.longitudes[j]);
  return { data, shape: [nlat, nlon] };
}

function windOf(kind: GridKind, nlat: number, nlon: number, u: (lat: number, lon: number) => number, v: (lat: number, lon: number) => number): Float64Tensor {
  const a = fieldOf(kind, nlat, nlon, u).data;
  const b = fieldOf(kind, nlat, nlon, v).data;
  const data = new Float64Array(2 * a.length);
  data.set(a, 0);
  data.set(b, a.length);
  return { data, shape: [2, nlat, nlon] };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

test('solid-body winds: u = U cos φ has vorticity 2U sin φ / R and no divergence; v = U cos φ has divergence −2U sin φ / R', () => {
  for (const [kind, nlat, nlon, L] of grids) {
    const sht = createSht({ kind, nlat, nlon }, { lmax: L, mmax: L, exactVectorNorm: true });
    const scale = (2 * U) / R;
    const zonal = vorticityDivergence(sht, windOf(kind, nlat, nlon, (p) => U * Math.cos(p), () => 0), R);
    const expectedZeta = fieldOf(kind, nlat, nlon, (p) => (2 * U * Math.sin(p)) / R).data;
    assert.ok(maxAbsDiff(zonal.vorticity.data, expectedZeta) < 1e-12 * scale, `${kind} vorticity`);
    assert.ok(maxAbsDiff(zonal.divergence.data, new Float64Array(nlat * nlon)) < 1e-12 * scale, `${kind} divergence`);
    const meridional = vorticityDivergence(sht, windOf(kind, nlat, nlon, () => 0, (p) => U * Math.cos(p)), R);
    const expectedDelta = fieldOf(kind, nlat, nlon, (p) => (-2 * U * Math.sin(p)) / R).data;
    assert.ok(maxAbsDiff(meridional.divergence.data, expectedDelta) < 1e-12 * scale, `${kind} divergence of v`);
    assert.ok(maxAbsDiff(meridional.vorticity.data, new Float64Array(nlat * nlon)) < 1e-12 * scale, `${kind} vorticity of v`);
  }
  // the v0.6.3-faithful vector table (float32-rounded 1/(l(l+1))) is off by at most ~1e-7 relative
  const faithful = createSht({ kind: 'legendre-gauss', nlat: 32, nlon: 64 });
  const z = vorticityDivergence(faithful, windOf('legendre-gauss', 32, 64, (p) => U * Math.cos(p), () => 0), R).vorticity.data;
  const e = maxAbsDiff(z, fieldOf('legendre-gauss', 32, 64, (p) => (2 * U * Math.sin(p)) / R).data);
  assert.ok(e < 1e-7 * (2 * U) / R);
});

test('gradient and Laplacian of low-degree fields match their closed forms', () => {
  for (const [kind, nlat, nlon, L] of grids) {
    const sht = createSht({ kind, nlat, nlon }, { lmax: L, mmax: L, exactVectorNorm: true });
    // f = R (sin φ + cos φ cos λ): ∇f = (−sin λ, cos φ − sin φ cos λ), ∇²f = −2 f / R²
    const f = fieldOf(kind, nlat, nlon, (p, l) => R * (Math.sin(p) + Math.cos(p) * Math.cos(l)));
    const g = gradient(sht, f, R);
    assert.deepEqual(g.shape, [2, nlat, nlon]);
    const gu = fieldOf(kind, nlat, nlon, (_p, l) => -Math.sin(l)).data;
    const gv = fieldOf(kind, nlat, nlon, (p, l) => Math.cos(p) - Math.sin(p) * Math.cos(l)).data;
    assert.ok(maxAbsDiff(g.data.subarray(0, nlat * nlon), gu) < 1e-12, `${kind} gradient east`);
    assert.ok(maxAbsDiff(g.data.subarray(nlat * nlon), gv) < 1e-12, `${kind} gradient north`);
    const lap = laplacian(sht, f, R);
    const expected = f.data.map((x) => (-2 * x) / (R * R));
    const lapErr = maxAbsDiff(lap.data, expected);
    // rounding noise in the top degrees is amplified by l(l+1) ≈ 1000
    assert.ok(lapErr < 1e-10 * (2 / R), `${kind} laplacian: error ${lapErr} of scale ${2 / R}`);
  }
});

test('wind → (vorticity, divergence) → wind is the identity for band-limited winds; ψ, χ invert the Laplacian', () => {
  for (const [kind, nlat, nlon, L] of grids) {
    for (const norm of ['ortho', 'four-pi'] as const) {
      const sht = createSht({ kind, nlat, nlon }, { lmax: L, mmax: L, norm, exactVectorNorm: true });
      // random band-limited vorticity and divergence (l ≥ 1), batch of 2
      const make = (seed: number) => {
        const re = new Float64Array(2 * L * L);
        const im = new Float64Array(2 * L * L);
        let s = seed;
        for (let b = 0; b < 2; b++)
          for (let l = 1; l < L; l++)
            for (let m = 0; m <= l; m++) {
              s = (s * 16807) % 2147483647;
              re[(b * L + l) * L + m] = (s / 2147483647 - 0.5) * 1e-5;
              s = (s * 16807) % 2147483647;
              im[(b * L + l) * L + m] = m === 0 ? 0 : (s / 2147483647 - 0.5) * 1e-5;
            }
        return { re, im, shape: [2, L, L] };
      };
      const zeta = make(11);
      const delta = make(29);
      const wind = windFromVorticityDivergence(sht, zeta, delta, R);
      assert.deepEqual(wind.shape, [2, 2, nlat, nlon]);
      const back = vorticityDivergenceSpectral(sht, wind, R);
      assert.ok(maxAbsDiff(back.vorticity.re, zeta.re) < 1e-12 * 1e-5, `${kind} ${norm} vorticity`);
      assert.ok(maxAbsDiff(back.divergence.im, delta.im) < 1e-12 * 1e-5, `${kind} ${norm} divergence`);
      const { streamfunction } = streamfunctionVelocityPotential(zeta, delta, R);
      assert.ok(maxAbsDiff(laplacianSpectral(streamfunction, R).re, zeta.re) < 1e-18);
    }
  }
  const schmidt = createSht({ kind: 'legendre-gauss', nlat: 8, nlon: 16 }, { norm: 'schmidt' });
  assert.throws(() => vorticityDivergence(schmidt, { data: new Float64Array(256), shape: [2, 8, 16] }), /'schmidt' is not supported/);
  assert.throws(() => inverseLaplacianSpectral({ re: new Float64Array(4), im: new Float64Array(4), shape: [2, 2] }, -1), /radius must be a positive finite number/);
});
