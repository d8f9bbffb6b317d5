// Tests for the float64 reference SHTs: every torch-harmonics v0.6.3 fixture (scalar and vector, forward and
// inverse, three grids, three normalisations), the analytic test vector, exact round trips of band-limited
// fields on all grid kinds, row-wise synthesis, and input validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { GRID_KINDS, type Float64Tensor, type GridKind, gridGeometry } from '../../src/sphere/grid.ts';
import type { ShtNorm } from '../../src/sphere/legendre.ts';
import { createSht } from '../../src/sphere/reference.ts';

const fixtureDir = fileURLToPath(new URL('../fixtures/torch-harmonics/', import.meta.url));
const index = JSON.parse(readFileSync(fixtureDir + 'index.json', 'utf8')) as {
  sht: Array<{ file: string; grid: GridKind; nlat: number; nlon: number; lmax: number; mmax: number; norm: ShtNorm; csphase: boolean }>;
};

function relativeError(actual: Float64Array, expected: Float64Array): number {
  assert.equal(actual.length, expected.length);
  let err = 0;
  let mag = 0;
  for (let i = 0; i < actual.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    mag = Math.max(mag, Math.abs(expected[i]));
  }
  return err / mag;
}

test('reproduces every torch-harmonics v0.6.3 SHT fixture to 1e-10 of its max magnitude', () => {
  assert.equal(index.sht.length, 5);
  let vectorCases = 0;
  for (const c of index.sht) {
    const st = loadSafetensors(fixtureDir + c.file).tensors;
    const real = (name: string): Float64Tensor => {
      const t = st.get(name);
      assert.ok(t && t.dtype === 'float64', `${c.file}: ${name} missing or not float64`);
      return { data: t.data as Float64Array, shape: t.shape };
    };
    const complex = (name: string) => ({ re: real(`${name}_re`).data, im: real(`${name}_im`).data, shape: real(`${name}_re`).shape });
    const sht = createSht({ kind: c.grid, nlat: c.nlat, nlon: c.nlon }, { lmax: c.lmax, mmax: c.mmax, norm: c.norm, csphase: c.csphase });
    const check = (what: string, actual: Float64Array, expected: Float64Array) => {
      const e = relativeError(actual, expected);
      assert.ok(e <= 1e-10, `${c.file} ${what}: relative error ${e}`);
    };
    const f = sht.forward(real('x'));
    assert.deepEqual(f.shape, real('coeffs_re').shape);
    check('forward re', f.re, real('coeffs_re').data);
    check('forward im', f.im, real('coeffs_im').data);
    const y = sht.inverse(complex('coeffs_in'));
    assert.deepEqual(y.shape, real('y').shape);
    check('inverse', y.data, real('y').data);
    check('inverse by row', sht.inverseByRow(complex('coeffs_in')).data, real('y').data);
    if (st.has('vec_x')) {
      vectorCases++;
      const vf = sht.vectorForward(real('vec_x'));
      assert.deepEqual(vf.shape, real('vec_coeffs_re').shape);
      check('vector forward re', vf.re, real('vec_coeffs_re').data);
      check('vector forward im', vf.im, real('vec_coeffs_im').data);
      const vy = sht.vectorInverse(complex('vec_coeffs_in'));
      assert.deepEqual(vy.shape, real('vec_y').shape);
      check('vector inverse', vy.data, real('vec_y').data);
    }
  }
  assert.equal(vectorCases, 4);
});

test('analytic test vector: f = 1 + cosθ + sin²θ cos2λ + sinθ sinλ + ½ cosθ sinθ cosλ on 8×16 grids', () => {
  for (const kind of GRID_KINDS) {
    const sht = createSht({ kind, nlat: 8, nlon: 16 }, { lmax: 4, mmax: 4 });
    const geo = gridGeometry(sht.config.grid);
    const x = new Float64Array(8 * 16);
    for (let k = 0; k < 8; k++) {
      const t = geo.colatitudes[k];
      for (let j = 0; j < 16; j++) {
        const lam = geo.longitudes[j];
        x[k * 16 + j] = 1 + Math.cos(t) + Math.sin(t) ** 2 * Math.cos(2 * lam) + Math.sin(t) * Math.sin(lam) + 0.5 * Math.cos(t) * Math.sin(t) * Math.cos(lam);
      }
    }
    const c = sht.forward({ data: x, shape: [8, 16] });
    const at = (l: number, m: number) => [c.re[l * 4 + m], c.im[l * 4 + m]];
    const close = (v: number[], e: number[], what: string) =>
      assert.ok(Math.abs(v[0] - e[0]) < 1e-13 && Math.abs(v[1] - e[1]) < 1e-13, `${kind} ${what}: ${v} vs ${e}`);
    close(at(0, 0), [3.544907701811032, 0], 'f00');
    close(at(1, 0), [2.046653415892977, 0], 'f10');
    close(at(1, 1), [0, 1.447202509116535], 'f11');
    close(at(2, 1), [-0.323604318759283, 0], 'f21');
    close(at(2, 2), [1.294417275037133, 0], 'f22');
    close(at(3, 2), [0, 0], 'f32');
    close(at(1, 2), [0, 0], 'm > l');
  }
});

function bandLimitedCoefficients(batch: number, lmax: number, mmax: number, seed: number, zeroL0 = false) {
  const re = new Float64Array(batch * lmax * mmax);
  const im = new Float64Array(batch * lmax * mmax);
  let s = seed;
  const next = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  for (let b = 0; b < batch; b++) {
    for (let l = 0; l < lmax; l++) {
      for (let m = 0; m <= Math.min(l, mmax - 1); m++) {
        if (zeroL0 && l === 0) continue;
        re[(b * lmax + l) * mmax + m] = next();
        im[(b * lmax + l) * mmax + m] = m === 0 ? 0 : next();
      }
    }
  }
  return { re, im, shape: [batch, lmax, mmax] };
}

test('band-limited fields round-trip to 1e-12 on all three grids (scalar and vector, batched)', () => {
  const cases: Array<[GridKind, number, number, number]> = [
    ['equiangular', 33, 64, 16],
    ['legendre-gauss', 24, 48, 24],
    ['lobatto', 25, 48, 24],
  ];
  for (const [kind, nlat, nlon, L] of cases) {
    for (const norm of ['ortho', 'four-pi', 'schmidt'] as const) {
      const sht = createSht({ kind, nlat, nlon }, { lmax: L, mmax: L, norm });
      const c = bandLimitedCoefficients(3, L, L, 12345 + nlat);
      const back = sht.forward(sht.inverse(c));
      const e = Math.max(relativeError(back.re, c.re), relativeError(back.im, c.im));
      assert.ok(e < 1e-12, `${kind} ${norm} scalar round trip: ${e}`);
      // grid → spectrum → grid as well
      const g = sht.inverse(c);
      const e2 = relativeError(sht.inverse(sht.forward(g)).data, g.data);
      assert.ok(e2 < 1e-12, `${kind} ${norm} grid round trip: ${e2}`);
    }
    for (const norm of ['ortho', 'four-pi'] as const) {
      const sht = createSht({ kind, nlat, nlon }, { lmax: L, mmax: L, norm, exactVectorNorm: true });
      const c1 = bandLimitedCoefficients(2, L, L, 777 + nlat, true);
      const c2 = bandLimitedCoefficients(2, L, L, 999 + nlat, true);
      // stack (batch 2) × (s, t)
      const plane = L * L;
      const re = new Float64Array(4 * plane);
      const im = new Float64Array(4 * plane);
      for (let b = 0; b < 2; b++) {
        re.set(c1.re.subarray(b * plane, (b + 1) * plane), 2 * b * plane);
        im.set(c1.im.subarray(b * plane, (b + 1) * plane), 2 * b * plane);
        re.set(c2.re.subarray(b * plane, (b + 1) * plane), (2 * b + 1) * plane);
        im.set(c2.im.subarray(b * plane, (b + 1) * plane), (2 * b + 1) * plane);
      }
      const vc = { re, im, shape: [2, 2, L, L] };
      const back = sht.vectorForward(sht.vectorInverse(vc));
      assert.deepEqual(back.shape, [2, 2, L, L]);
      const e = Math.max(relativeError(back.re, re), relativeError(back.im, im));
      assert.ok(e < 1e-12, `${kind} ${norm} vector round trip: ${e}`);
      // v0.6.3's float32-rounded 1/(l(l+1)) leaves a ~1e-8 deviation, never more than 1e-7
      const faithful = createSht({ kind, nlat, nlon }, { lmax: L, mmax: L, norm });
      const eF = relativeError(faithful.vectorForward(faithful.vectorInverse(vc)).re, re);
      assert.ok(eF > 1e-12 && eF < 1e-7, `${kind} ${norm} faithful vector round trip: ${eF}`);
    }
  }
});

test('transforms validate shapes and report the expected layout', () => {
  const sht = createSht({ kind: 'legendre-gauss', nlat: 6, nlon: 12 }, { lmax: 6, mmax: 6 });
  assert.throws(() => sht.forward({ data: new Float64Array(6 * 10), shape: [6, 10] }), /sht\.forward input: expected shape \(…, nlat=6, nlon=12\), got \[6, 10\]/);
  assert.throws(() => sht.forward({ data: new Float64Array(10), shape: [6, 12] }), /data has 10 values but shape \[6, 12\] needs 72/);
  assert.throws(
    () => sht.inverse({ re: new Float64Array(25), im: new Float64Array(25), shape: [5, 5] }),
    /sht\.inverse input: expected shape \(…, lmax=6, mmax=6\), got \[5, 5\]/,
  );
  assert.throws(() => sht.vectorForward({ data: new Float64Array(72), shape: [6, 12] }), /expected shape \(…, 2=2, nlat=6, nlon=12\)/);
  // default truncation is torch-harmonics v0.6.3's
  const d = createSht({ kind: 'lobatto', nlat: 9, nlon: 16 });
  assert.equal(d.lmax, 8);
  assert.equal(d.mmax, 9);
  // leading batch dims are kept
  const f = sht.forward({ data: new Float64Array(2 * 3 * 72), shape: [2, 3, 6, 12] });
  assert.deepEqual(f.shape, [2, 3, 6, 6]);
});
