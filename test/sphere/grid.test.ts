// Tests for sphere grids: quadrature rules against torch-harmonics v0.6.3 output, exactness, grid geometry,
// WeatherBench 2 area weights and grid validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  areaWeights,
  GRID_KINDS,
  type GridKind,
  gridAreaWeights,
  gridGeometry,
  quadratureRule,
  validateGrid,
} from '../../src/sphere/grid.ts';

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/torch-harmonics/quadrature.json', import.meta.url)), 'utf8'),
) as Record<string, { x_ascending: number[]; w: number[] }>;

test('quadrature nodes and weights match torch-harmonics v0.6.3 to a few ulps', () => {
  const names = Object.keys(fixture);
  assert.equal(names.length, 12);
  for (const name of names) {
    const cut = name.lastIndexOf('_');
    const kind = name.slice(0, cut) as GridKind;
    const n = Number(name.slice(cut + 1));
    const rule = quadratureRule(kind, n);
    const ref = fixture[name];
    assert.equal(rule.x.length, ref.x_ascending.length, name);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(rule.x[i] - ref.x_ascending[i]) <= 4.5e-16, `${name} x[${i}]: ${rule.x[i]} vs ${ref.x_ascending[i]}`);
      assert.ok(Math.abs(rule.w[i] - ref.w[i]) <= 2e-15, `${name} w[${i}]: ${rule.w[i]} vs ${ref.w[i]}`);
    }
  }
});

test('quadrature rules integrate monomials up to their degree of exactness', () => {
  // ∫_{-1}^{1} x^d dx = 2/(d+1) for even d, 0 for odd d.
  const exactness = (kind: GridKind, n: number) =>
    kind === 'legendre-gauss' ? 2 * n - 1 : kind === 'lobatto' ? 2 * n - 3 : n % 2 === 0 ? n - 1 : n;
  for (const kind of GRID_KINDS) {
    for (const n of [5, 6, 7, 8, 17]) {
      const { x, w } = quadratureRule(kind, n);
      const top = exactness(kind, n);
      for (let d = 0; d <= top; d++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += w[i] * x[i] ** d;
        const exact = d % 2 === 0 ? 2 / (d + 1) : 0;
        assert.ok(Math.abs(s - exact) < 1e-13, `${kind} n=${n} degree ${d}: ${s} vs ${exact}`);
      }
      // one degree higher (even) is no longer exact (checked on the small rules, where the error is large)
      if (n > 8) continue;
      const d = top + 1 + ((top + 1) % 2);
      let s = 0;
      for (let i = 0; i < n; i++) s += w[i] * x[i] ** d;
      assert.ok(Math.abs(s - 2 / (d + 1)) > 1e-9, `${kind} n=${n} should not integrate degree ${d} exactly`);
    }
  }
});

test('grid geometry: row 0 northernmost, rows are the rule nodes reversed', () => {
  for (const kind of GRID_KINDS) {
    const geo = gridGeometry({ kind, nlat: 9, nlon: 12 });
    for (let k = 0; k < 9; k++) {
      assert.ok(Math.abs(geo.cosColatitudes[k] - geo.nodesAscending[8 - k]) < 1e-15);
      assert.equal(geo.rowWeights[k], geo.weightsAscending[8 - k]);
      assert.ok(Math.abs(geo.latitudes[k] + geo.colatitudes[k] - Math.PI / 2) < 1e-15);
      if (k > 0) assert.ok(geo.latitudes[k] < geo.latitudes[k - 1], 'latitudes descend');
    }
    assert.ok(Math.abs(geo.latitudesDeg[4]) < 1e-12, 'odd nlat has the equator in the middle row');
    if (kind !== 'legendre-gauss') {
      assert.equal(geo.latitudesDeg[0], 90);
      assert.equal(geo.latitudesDeg[8], -90);
    } else {
      assert.ok(Math.abs(geo.latitudesDeg[0] - 75.50288340593555) < 1e-10, 'first Gauss latitude of 9'); // acos of the largest root of P_9
    }
    assert.equal(geo.longitudes[0], 0);
    assert.ok(Math.abs(geo.longitudes[3] - Math.PI / 2) < 1e-15);
    assert.equal(geo.longitudesDeg[6], 180);
    const sum = geo.rowWeights.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 2) < 1e-14);
  }
  const eq = gridGeometry({ kind: 'equiangular', nlat: 5, nlon: 8 });
  assert.deepEqual(Array.from(eq.latitudesDeg).map((v) => Math.round(v * 1e9) / 1e9), [90, 45, 0, -45, -90]);
});

test('WeatherBench 2 area weights reproduce the published test vectors', () => {
  const deg = (a: number[]) => a.map((v) => (v * Math.PI) / 180);
  const cases: Array<[number[], number[]]> = [
    [[-75, -45, -15, 15, 45, 75], [0.401923788647, 1.098076211353, 1.5, 1.5, 1.098076211353, 0.401923788647]],
    [[-90, -45, 0, 45, 90], [0.190301168722, 1.352990250365, 1.913417161825, 1.352990250365, 0.190301168722]],
    [[-67.5, -22.5, 22.5, 67.5], [0.585786437627, 1.414213562373, 1.414213562373, 0.585786437627]],
  ];
  for (const [lats, expected] of cases) {
    const w = areaWeights(deg(lats));
    expected.forEach((e, i) => assert.ok(Math.abs(w[i] - e) < 1e-11, `${lats}: ${w[i]} vs ${e}`));
    // decreasing order (our grids) gives the same weights per latitude
    const wr = areaWeights(deg([...lats].reverse()));
    expected.forEach((e, i) => assert.ok(Math.abs(wr[lats.length - 1 - i] - e) < 1e-11));
  }
  const g = gridAreaWeights({ kind: 'equiangular', nlat: 5, nlon: 10 });
  assert.ok(Math.abs(g[0] - 0.190301168722) < 1e-11 && Math.abs(g[2] - 1.913417161825) < 1e-11);
  assert.throws(() => areaWeights(deg([0, 10, 5])), /strictly monotone/);
});

test('grid validation names the field, the value and what was expected', () => {
  assert.deepEqual(validateGrid({ kind: 'lobatto', nlat: 3, nlon: 4 }), { kind: 'lobatto', nlat: 3, nlon: 4 });
  assert.throws(() => validateGrid({ kind: 'gaussian', nlat: 4, nlon: 8 }), /grid\.kind: expected one of .*'gaussian'/);
  assert.throws(() => validateGrid({ kind: 'equiangular', nlat: 1, nlon: 8 }), /grid\.nlat: expected an integer >= 2 .*got 1/);
  assert.throws(() => validateGrid({ kind: 'legendre-gauss', nlat: 4.5, nlon: 8 }), /grid\.nlat.*4\.5/);
  assert.throws(() => validateGrid({ kind: 'legendre-gauss', nlat: 4, nlon: 0 }), /grid\.nlon: expected an integer >= 1, got 0/);
  assert.throws(() => validateGrid(null), /grid: expected an object/);
  assert.throws(() => quadratureRule('lobatto', 1), /lobatto quadrature: number of nodes must be an integer >= 2, got 1/);
});
