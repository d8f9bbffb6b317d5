// Tests for the Legendre tables: the torch-harmonics test vector, orthonormality under each quadrature,
// normalisation/Condon–Shortley relations, derivative tables against finite differences and m P/sin θ,
// symmetry helpers, and configuration errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRID_KINDS, gridGeometry } from '../../src/sphere/grid.ts';
import {
  defaultTruncation,
  legendreBlock,
  legendreDerivativeTable,
  legendreTable,
  northernHalfTable,
  resolveShtConfig,
  scalarForwardTable,
  scalarInverseTable,
  vectorForwardTable,
} from '../../src/sphere/legendre.ts';

test('ortho + CS table at x = 0.3 matches the torch-harmonics test vector', () => {
  const expected = [
    [0.28209479, 0.14658075, -0.23023584, -0.28547989],
    [0, -0.32958041, -0.22108926, 0.16956184],
    [0, 0, 0.35150952, 0.27900204],
    [0, 0, 0, -0.36218561],
  ];
  const t = legendreTable(4, 4, [0.3]);
  assert.deepEqual(t.shape, [4, 4, 1]);
  for (let m = 0; m < 4; m++) {
    for (let l = 0; l < 4; l++) assert.ok(Math.abs(t.data[m * 4 + l] - expected[m][l]) < 6e-9, `m=${m} l=${l}`);
  }
  // closed forms: P̄_1^0 = √(3/4π) x, P̄_2^2 = √(15/32π) (1−x²) (no CS sign for even m)
  assert.ok(Math.abs(t.data[1] - Math.sqrt(3 / (4 * Math.PI)) * 0.3) < 1e-15);
  assert.ok(Math.abs(t.data[2 * 4 + 2] - Math.sqrt(15 / (32 * Math.PI)) * (1 - 0.09)) < 1e-15);
});

test('orthonormality: 2π Σ_k w_k P̄_l^m P̄_l\'^m = δ_ll\' on every grid kind', () => {
  for (const kind of GRID_KINDS) {
    const nlat = 24;
    const lmax = kind === 'equiangular' ? 12 : kind === 'lobatto' ? 23 : 24;
    const geo = gridGeometry({ kind, nlat, nlon: 48 });
    const mmax = lmax;
    const t = legendreTable(mmax, lmax, geo.cosColatitudes).data;
    let maxErr = 0;
    for (let m = 0; m < mmax; m++) {
      for (let l = m; l < lmax; l++) {
        for (let l2 = m; l2 < lmax; l2++) {
          let s = 0;
          for (let k = 0; k < nlat; k++) s += geo.rowWeights[k] * t[(m * lmax + l) * nlat + k] * t[(m * lmax + l2) * nlat + k];
          maxErr = Math.max(maxErr, Math.abs(2 * Math.PI * s - (l === l2 ? 1 : 0)));
        }
      }
    }
    assert.ok(maxErr < 1e-12, `${kind}: max deviation ${maxErr}`);
  }
});

test('normalisation and Condon–Shortley variants relate to the orthonormal table as documented', () => {
  const x = [-0.9, -0.2, 0.4, 0.77];
  const L = 7;
  const ortho = legendreTable(L, L, x, { csphase: false }).data;
  const cs = legendreTable(L, L, x).data;
  const fourPiF = legendreTable(L, L, x, { norm: 'four-pi', csphase: false }).data;
  const fourPiI = legendreTable(L, L, x, { norm: 'four-pi', csphase: false, inverse: true }).data;
  const schF = legendreTable(L, L, x, { norm: 'schmidt', csphase: false }).data;
  const schI = legendreTable(L, L, x, { norm: 'schmidt', csphase: false, inverse: true }).data;
  const s4 = Math.sqrt(4 * Math.PI);
  for (let m = 0; m < L; m++) {
    for (let l = 0; l < L; l++) {
      for (let k = 0; k < x.length; k++) {
        const i = (m * L + l) * x.length + k;
        const o = ortho[i];
        const tol = 1e-14 * Math.max(1, Math.abs(o) * 10);
        if (m > l) assert.equal(o, 0);
        assert.ok(Math.abs(cs[i] - (m % 2 ? -o : o)) <= tol);
        assert.ok(Math.abs(fourPiF[i] - s4 * o) <= tol);
        assert.ok(Math.abs(fourPiI[i] - o / s4) <= tol);
        assert.ok(Math.abs(schF[i] - o * s4 / Math.sqrt(2 * l + 1)) <= tol);
        assert.ok(Math.abs(schI[i] - (o / s4) * Math.sqrt(2 * l + 1)) <= tol);
      }
    }
  }
});

test('derivative tables: d=0 is ∂θ P̄ (finite differences), d=1 is m P̄ / sin θ', () => {
  const thetas = [0.3, 0.9, 1.5, 2.2, 2.9];
  const L = 9;
  const x = thetas.map(Math.cos);
  const d = legendreDerivativeTable(L, L, x, { csphase: true });
  assert.deepEqual(d.shape, [2, L, L, thetas.length]);
  const p = legendreTable(L, L, x, { csphase: true }).data;
  const h = 1e-6;
  const plus = legendreTable(L, L, thetas.map((t) => Math.cos(t + h))).data;
  const minus = legendreTable(L, L, thetas.map((t) => Math.cos(t - h))).data;
  const n = thetas.length;
  for (let m = 0; m < L; m++) {
    for (let l = 0; l < L; l++) {
      for (let k = 0; k < n; k++) {
        const i = (m * L + l) * n + k;
        const fd = (plus[i] - minus[i]) / (2 * h);
        assert.ok(Math.abs(d.data[i] - fd) < 1e-8, `dθ m=${m} l=${l} k=${k}: ${d.data[i]} vs ${fd}`);
        const expected = (m * p[i]) / Math.sin(thetas[k]);
        assert.ok(Math.abs(d.data[L * L * n + i] - expected) < 1e-13, `m/sin m=${m} l=${l}`);
      }
    }
  }
});

test('SHT tables: shapes, folded weights, defaults and validation', () => {
  const cfg = resolveShtConfig({ kind: 'legendre-gauss', nlat: 10, nlon: 20 }, { lmax: 8, mmax: 6 });
  const geo = gridGeometry(cfg.grid);
  const fwd = scalarForwardTable(cfg);
  const inv = scalarInverseTable(cfg);
  assert.deepEqual(fwd.shape, [6, 8, 10]);
  for (let i = 0; i < fwd.data.length; i++) assert.ok(Math.abs(fwd.data[i] - inv.data[i] * geo.shtWeights[i % 10]) < 1e-16);
  const vf = vectorForwardTable(cfg);
  assert.deepEqual(vf.shape, [2, 6, 8, 10]);
  assert.deepEqual(defaultTruncation({ kind: 'equiangular', nlat: 33, nlon: 64 }), { lmax: 33, mmax: 33 });
  assert.deepEqual(defaultTruncation({ kind: 'lobatto', nlat: 33, nlon: 64 }), { lmax: 32, mmax: 33 });
  assert.deepEqual(defaultTruncation({ kind: 'legendre-gauss', nlat: 32, nlon: 64 }), { lmax: 32, mmax: 33 });
  assert.throws(() => resolveShtConfig({ kind: 'legendre-gauss', nlat: 10, nlon: 20 }, { norm: 'backward' as never }), /sht\.norm: expected one of 'ortho', 'four-pi', 'schmidt', got "backward"/);
  assert.throws(() => resolveShtConfig({ kind: 'legendre-gauss', nlat: 10, nlon: 20 }, { lmax: 0 }), /sht\.lmax: expected an integer >= 1, got 0/);
  assert.throws(() => resolveShtConfig({ kind: 'legendre-gauss', nlat: 0, nlon: 20 }), /sht\.grid\.nlat/);
});

test('symmetry helpers: per-m blocks and the northern half with P(−x) = (−1)^(l+m) P(x)', () => {
  for (const kind of GRID_KINDS) {
    for (const nlat of [8, 9]) {
      const cfg = resolveShtConfig({ kind, nlat, nlon: 16 }, { lmax: 6, mmax: 6 });
      const t = scalarInverseTable(cfg);
      for (let m = 0; m < 6; m++) {
        for (let l = m; l < 6; l++) {
          for (let k = 0; k < nlat; k++) {
            const a = t.data[(m * 6 + l) * nlat + k];
            const b = t.data[(m * 6 + l) * nlat + nlat - 1 - k];
            assert.ok(Math.abs(b - ((l + m) % 2 ? -a : a)) < 1e-14, `${kind} m=${m} l=${l} k=${k}`);
          }
        }
      }
      const half = northernHalfTable(t);
      assert.deepEqual(half.shape, [6, 6, Math.ceil(nlat / 2)]);
      assert.equal(half.data[(2 * 6 + 3) * half.shape[2] + 1], t.data[(2 * 6 + 3) * nlat + 1]);
      const block = legendreBlock(t, 2);
      assert.deepEqual(block.shape, [4, nlat]);
      assert.equal(block.data[nlat + 3], t.data[(2 * 6 + 3) * nlat + 3]);
    }
  }
  const vt = vectorForwardTable(resolveShtConfig({ kind: 'lobatto', nlat: 7, nlon: 12 }, { lmax: 5, mmax: 5 }));
  const vb = legendreBlock(vt, 1, 1);
  assert.deepEqual(vb.shape, [4, 7]);
  assert.equal(vb.data[7 + 2], vt.data[((1 * 5 + 1) * 5 + 2) * 7 + 2]);
  assert.throws(() => legendreBlock(vt, 1), /component must be 0 or 1/);
});
