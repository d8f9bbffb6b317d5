// The engine-graph SHTs (scalar and vector, forward and inverse, float64 and float32, direct and factorised DFT)
// against the torch-harmonics v0.6.3 fixtures, plus round trips, symbolic batches and finite-difference gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Graph } from '../../src/engine/graph.ts';
import { compile } from '../../src/engine/runtime.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { ShtPlan, analysis, synthesis, flatByDegree, flattenPacked, unflattenPacked, packedLength, shtForward, shtInverse, vectorShtForward, vectorShtInverse, type ShtGraphOptions } from '../../src/sphere/sht.ts';
import type { GridKind } from '../../src/sphere/grid.ts';
import { gradCheck } from '../engine/gradcheck.ts';

const dir = new URL('../fixtures/torch-harmonics/', import.meta.url);
const index = JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')) as {
  sht: { file: string; arrays: Record<string, string>; grid: GridKind; nlat: number; nlon: number; lmax: number; mmax: number; norm: 'ortho' | 'four-pi' | 'schmidt'; csphase: boolean }[];
};

function f64(t: { data: unknown }): Float64Array {
  return Float64Array.from(t.data as ArrayLike<number>);
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

type Variant = { dtype: 'float32' | 'float64'; dft: ShtGraphOptions['dft']; groupSize?: number; blockLayout?: ShtGraphOptions['blockLayout'] };
const variants: Variant[] = [
  { dtype: 'float64', dft: 'direct' },
  { dtype: 'float64', dft: 'factorised', groupSize: 3 },
  { dtype: 'float64', dft: 'direct', groupSize: 2, blockLayout: 'degree-major' },
  { dtype: 'float32', dft: 'factorised' },
];

for (const c of index.sht) {
  for (const v of variants) {
    test(`graph SHT ${c.file} ${v.dtype} ${v.dft}${v.groupSize ? ` groups of ${v.groupSize}` : ''}${v.blockLayout ? ` ${v.blockLayout}` : ''} reproduces torch-harmonics`, async () => {
      const t = loadSafetensors(new URL(c.file, dir).pathname).tensors;
      const plan = new ShtPlan({ kind: c.grid, nlat: c.nlat, nlon: c.nlon }, { lmax: c.lmax, mmax: c.mmax, norm: c.norm, csphase: c.csphase, dtype: v.dtype, dft: v.dft, groupSize: v.groupSize, blockLayout: v.blockLayout });
      const g = new Graph('sht-fixture');
      const dt = v.dtype;
      const x = g.input('x', dt, [2, c.nlat, c.nlon]);
      const ci = { re: g.input('cre', dt, [2, c.lmax, c.mmax]), im: g.input('cim', dt, [2, c.lmax, c.mmax]) };
      const vx = g.input('vx', dt, [2, 2, c.nlat, c.nlon]);
      const vci = { re: g.input('vcre', dt, [2, 2, c.lmax, c.mmax]), im: g.input('vcim', dt, [2, 2, c.lmax, c.mmax]) };
      const fc = shtForward(g, plan, x);
      g.output('fre', fc.re);
      g.output('fim', fc.im);
      g.output('y', shtInverse(g, plan, ci));
      const vf = vectorShtForward(g, plan, vx);
      g.output('vfre', vf.re);
      g.output('vfim', vf.im);
      g.output('vy', vectorShtInverse(g, plan, vci));
      const hasVector = 'vec_x' in c.arrays; // the Schmidt case holds scalar transforms only (see index.json)
      const exe = await compile(g, { threads: 1 });
      const conv = (a: Float64Array) => (dt === 'float64' ? a : Float32Array.from(a));
      const zeros = (shape: number[]) => new Float64Array(shape.reduce((a, b) => a * b, 1));
      const vec = (name: string, shape: number[]) => conv(hasVector ? f64(t.get(name)!) : zeros(shape));
      const out = await exe.run({
        x: { data: conv(f64(t.get('x')!)), shape: [2, c.nlat, c.nlon] },
        cre: { data: conv(f64(t.get('coeffs_in_re')!)), shape: [2, c.lmax, c.mmax] },
        cim: { data: conv(f64(t.get('coeffs_in_im')!)), shape: [2, c.lmax, c.mmax] },
        vx: { data: vec('vec_x', [2, 2, c.nlat, c.nlon]), shape: [2, 2, c.nlat, c.nlon] },
        vcre: { data: vec('vec_coeffs_in_re', [2, 2, c.lmax, c.mmax]), shape: [2, 2, c.lmax, c.mmax] },
        vcim: { data: vec('vec_coeffs_in_im', [2, 2, c.lmax, c.mmax]), shape: [2, 2, c.lmax, c.mmax] },
      });
      const checks: [string, string][] = [
        ['fre', 'coeffs_re'], ['fim', 'coeffs_im'], ['y', 'y'],
        ['vfre', 'vec_coeffs_re'], ['vfim', 'vec_coeffs_im'], ['vy', 'vec_y'],
      ];
      for (const [mine, ref] of hasVector ? checks : checks.slice(0, 3)) {
        const r = f64(t.get(ref)!);
        const scale = maxAbs(r);
        const err = maxDiff(out[mine].data as Float32Array, r) / scale;
        const tol = dt === 'float64' ? 1e-10 : 1e-5;
        assert.ok(err <= tol, `${c.file} ${mine} vs ${ref}: error ${err.toExponential(2)} of max |ref| ${scale.toExponential(2)} > ${tol}`);
      }
    });
  }
}

test('graph SHT runs with a symbolic batch and band-limited fields round-trip (all grids)', async () => {
  for (const kind of ['equiangular', 'legendre-gauss', 'lobatto'] as GridKind[]) {
    const nlat = kind === 'legendre-gauss' ? 12 : 13;
    const L = 6;
    const plan = new ShtPlan({ kind, nlat, nlon: 24 }, { lmax: L, mmax: L, dtype: 'float64' });
    const g = new Graph('roundtrip');
    const cre = g.input('cre', 'float64', ['N', 3, L, L]);
    const cim = g.input('cim', 'float64', ['N', 3, L, L]);
    const x = shtInverse(g, plan, { re: cre, im: cim });
    const back = shtForward(g, plan, x);
    g.output('re', back.re);
    g.output('im', back.im);
    const exe = await compile(g, { threads: 1 });
    for (const n of [1, 4]) {
      const size = n * 3 * L * L;
      const re = new Float64Array(size);
      const im = new Float64Array(size);
      let s = 7;
      for (let i = 0; i < size; i++) {
        const l = Math.floor(i / L) % L;
        const m = i % L;
        s = (s * 69069 + 1) >>> 0;
        if (m <= l) re[i] = s / 2 ** 32 - 0.5;
        s = (s * 69069 + 1) >>> 0;
        if (m <= l && m > 0) im[i] = s / 2 ** 32 - 0.5;
      }
      const out = await exe.run({ cre: { data: re, shape: [n, 3, L, L] }, cim: { data: im, shape: [n, 3, L, L] } });
      assert.deepEqual(out.re.shape, [n, 3, L, L]);
      assert.ok(maxDiff(out.re.data as Float64Array, re) < 1e-12, `${kind} re round trip`);
      assert.ok(maxDiff(out.im.data as Float64Array, im) < 1e-12, `${kind} im round trip`);
    }
  }
});

test('gradients of the graph SHTs match finite differences', async () => {
  for (const blockLayout of ['batch-major', 'degree-major'] as const) {
  const plan = new ShtPlan({ kind: 'legendre-gauss', nlat: 6, nlon: 12 }, { lmax: 5, mmax: 5, dtype: 'float64', dft: 'factorised', groupSize: 2, blockLayout });
  const fwd = await gradCheck({
    inputs: [{ name: 'x', shape: [2, 6, 12] }],
    build: (g, [x]) => {
      const c = shtForward(g, plan, x);
      return g.add(g.mul(c.re, c.re), c.im);
    },
  });
  assert.ok(fwd.relErr < 1e-6, `forward: ${fwd.relErr}`);
  const inv = await gradCheck({
    inputs: [{ name: 're', shape: [1, 5, 5] }, { name: 'im', shape: [1, 5, 5] }],
    build: (g, [re, im]) => g.sin(shtInverse(g, plan, { re, im })),
  });
  assert.ok(inv.relErr < 1e-6, `inverse: ${inv.relErr}`);
  const vec = await gradCheck({
    inputs: [{ name: 'v', shape: [1, 2, 6, 12] }],
    build: (g, [v]) => {
      const c = vectorShtForward(g, plan, v);
      return vectorShtInverse(g, plan, { re: g.mul(c.re, c.im), im: c.re });
    },
  });
  assert.ok(vec.relErr < 1e-6, `vector: ${vec.relErr}`);
  }
});

test('Legendre blocks group ascending orders of one parity, the same for the direct and the factorised DFT', () => {
  const grid = { kind: 'equiangular' as GridKind, nlat: 37, nlon: 72 };
  const direct = new ShtPlan(grid, { lmax: 18, mmax: 18, dft: 'direct', groupSize: 4 });
  const fact = new ShtPlan(grid, { lmax: 18, mmax: 18, dft: 'factorised', dftFactor: 8, groupSize: 4 });
  assert.ok(direct.contiguous, 'direct DFT: orders of one parity are adjacent, blocks are plain slices');
  assert.ok(!fact.contiguous, 'factorised DFT: orders are interleaved over the stage-2 batches');
  for (const plan of [direct, fact]) {
    const seen = new Set<string>();
    for (const b of plan.blocks) {
      b.ms.forEach((m, i) => {
        assert.equal(m % 2, b.ms[0] % 2, 'one parity of m per block');
        if (i > 0) assert.ok(m > b.ms[i - 1], 'ascending orders');
        assert.equal(plan.dft.order[b.slots[i]], m, 'slot holds the order in DFT order');
        for (const l of b.ls) seen.add(`${l},${m}`);
      });
      assert.equal(b.i0, b.slots[0]);
    }
    // every (l, m) with l ≥ m appears (degrees below m are padding the tables hold as zeros)
    for (let m = 0; m < 18; m++) for (let l = m; l < 18; l++) assert.ok(seen.has(`${l},${m}`), `(${l}, ${m}) in some block`);
  }
  assert.deepEqual(
    fact.blocks.map((b) => [b.ms, b.ls, b.parity]),
    direct.blocks.map((b) => [b.ms, b.ls, b.parity]),
  );
});

test('odd DFT factors give the direct DFT transform (forward and inverse, float64)', async () => {
  // nlon 30 = 5 × 6 and 15 × 2: odd first factors have no Nyquist order in stage 1
  const grid = { kind: 'equiangular' as GridKind, nlat: 15, nlon: 30 };
  const L = 14;
  const build = (o: ShtGraphOptions) => {
    const plan = new ShtPlan(grid, { lmax: L, mmax: L, dtype: 'float64', ...o });
    const g = new Graph('odd-factor');
    const c = shtForward(g, plan, g.input('x', 'float64', [2, 15, 30]));
    g.output('re', c.re);
    g.output('im', c.im);
    g.output('y', shtInverse(g, plan, { re: g.input('cre', 'float64', [2, L, L]), im: g.input('cim', 'float64', [2, L, L]) }));
    return compile(g, { threads: 1 });
  };
  const feeds = {
    x: Float64Array.from({ length: 2 * 15 * 30 }, (_, i) => Math.sin(0.7 * i) + Math.cos(0.013 * i * i)),
    cre: Float64Array.from({ length: 2 * L * L }, (_, i) => Math.cos(0.31 * i)),
    cim: Float64Array.from({ length: 2 * L * L }, (_, i) => Math.sin(0.17 * i)),
  };
  const ref = await (await build({ dft: 'direct' })).run(feeds);
  for (const dftFactor of [5, 15]) {
    const plan = new ShtPlan(grid, { lmax: L, mmax: L, dft: 'factorised', dftFactor });
    assert.equal(plan.dft.n1, dftFactor);
    const out = await (await build({ dft: 'factorised', dftFactor })).run(feeds);
    for (const k of ['re', 'im', 'y']) {
      const scale = maxAbs(ref[k].data as Float64Array);
      assert.ok(scale > 0.1, `${k} is not trivially zero`);
      assert.ok(maxDiff(out[k].data as Float64Array, ref[k].data as Float64Array) < 1e-12 * scale, `factor ${dftFactor} ${k}`);
    }
  }
  assert.throws(() => new ShtPlan(grid, { lmax: L, mmax: L, dft: 'factorised', dftFactor: 7 }), /proper divisor of nlon 30/);
});

test('packed spectra flatten to one vector and back (both block layouts, groups and single orders), and the flat synthesis equals the blockwise one', async () => {
  for (const [blockLayout, groupSize] of [['batch-major', 3], ['degree-major', 3], ['batch-major', 1]] as const) {
    const plan = new ShtPlan({ kind: 'legendre-gauss', nlat: 10, nlon: 20 }, { lmax: 9, mmax: 9, dtype: 'float64', groupSize, blockLayout });
    assert.equal(flatByDegree(plan), groupSize === 1);
    const B = 3;
    const g = new Graph('flat-packed');
    const x = g.input('x', 'float64', [20, B, 10]);
    const blocks = analysis(g, plan, x);
    const flat = flattenPacked(g, plan, blocks);
    assert.deepEqual(flat.shape, [packedLength(plan, B)]);
    g.output('flat', flat);
    blocks.forEach((b, i) => g.output(`b${i}`, b));
    const s = g.input('s', 'float64', [packedLength(plan, B)]);
    const back = unflattenPacked(g, plan, s, B);
    back.forEach((b, i) => assert.deepEqual(b.shape, blocks[i].shape));
    g.output('yflat', synthesis(g, plan, back));
    g.output('yblocks', synthesis(g, plan, blocks));
    const exe = await compile(g, { threads: 1 });
    const xd = Float64Array.from({ length: 20 * B * 10 }, (_, i) => Math.sin(0.37 * i));
    const first = await exe.run({ x: xd, s: new Float64Array(packedLength(plan, B)) });
    // the flat vector is the blocks' values, block after block; single-order blocks [1, 2·B, nl] joined along degree
    const blockValues = plan.blocks.map((_, i) => Array.from(first[`b${i}`].data as Float64Array));
    const concat = flatByDegree(plan)
      ? Array.from({ length: 2 * B }, (_, r) => plan.blocks.flatMap((b, i) => blockValues[i].slice(r * b.ls.length, (r + 1) * b.ls.length))).flat()
      : blockValues.flat();
    assert.deepEqual(Array.from(first.flat.data as Float64Array), concat);
    const out = await exe.run({ x: xd, s: first.flat.data as Float64Array });
    const scale = maxAbs(out.yblocks.data as Float64Array);
    assert.ok(scale > 0.1);
    assert.ok(maxDiff(out.yflat.data as Float64Array, out.yblocks.data as Float64Array) < 1e-14 * scale, blockLayout);
    assert.throws(() => unflattenPacked(g, plan, s, 2), /expected a float64 vector of \d+ values \(Bf 2\)/);
  }
});
