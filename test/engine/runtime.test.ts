// Runtime: every builder op run forward in float32, float64 and int64 against plain-TS reference computations;
// one cached session for all batch sizes; clear feed errors; threads; an ONNX file PyTorch exported; corrupt files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Graph, type Tensor } from '../../src/engine/graph.ts';
import { type HostTensor, RuntimeError, compile, defaultThreads, loadOnnx } from '../../src/engine/runtime.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { lcg } from './gradcheck.ts';

// ------------------------------------------------------------------ plain-TS reference arrays

interface Nd {
  data: number[];
  shape: number[];
}
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
function unravel(i: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}
function ravel(idx: number[], shape: number[]): number {
  let i = 0;
  for (let k = 0; k < shape.length; k++) i = i * shape[k] + idx[k];
  return i;
}
function fromFn(shape: number[], f: (idx: number[]) => number): Nd {
  return { shape, data: Array.from({ length: size(shape) }, (_, i) => f(unravel(i, shape))) };
}
/** Element of `a` at an index of a broadcast result (aligned right; size-1 axes repeat). */
function atBroadcast(a: Nd, idx: number[]): number {
  const off = idx.length - a.shape.length;
  return a.data[ravel(a.shape.map((d, k) => (d === 1 ? 0 : idx[k + off])), a.shape)];
}
function broadcastShape(...shapes: number[][]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: r }, (_, i) => Math.max(...shapes.map((s) => s[s.length - r + i] ?? 1)));
}
function map(f: (...v: number[]) => number, ...xs: Nd[]): Nd {
  return fromFn(broadcastShape(...xs.map((x) => x.shape)), (idx) => f(...xs.map((x) => atBroadcast(x, idx))));
}
function transpose(a: Nd, perm: number[]): Nd {
  return fromFn(perm.map((p) => a.shape[p]), (idx) => {
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => (src[p] = idx[k]));
    return a.data[ravel(src, a.shape)];
  });
}
function concat(xs: Nd[], axis: number): Nd {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  return fromFn(shape, (idx) => {
    let j = idx[axis];
    for (const x of xs) {
      if (j < x.shape[axis]) return x.data[ravel(idx.map((v, k) => (k === axis ? j : v)), x.shape)];
      j -= x.shape[axis];
    }
    throw new Error('unreachable');
  });
}
function slice(a: Nd, starts: number[], ends: number[], axes: number[], steps: number[]): Nd {
  const shape = [...a.shape];
  const s0 = [...shape].fill(0);
  const st = [...shape].fill(1);
  axes.forEach((ax, i) => {
    const d = a.shape[ax];
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    s0[ax] = clamp(starts[i]);
    st[ax] = steps[i];
    shape[ax] = Math.max(0, Math.ceil((clamp(ends[i]) - s0[ax]) / steps[i]));
  });
  return fromFn(shape, (idx) => a.data[ravel(idx.map((v, k) => s0[k] + v * st[k]), a.shape)]);
}
function pad(a: Nd, pads: number[], value: number): Nd {
  const r = a.shape.length;
  return fromFn(a.shape.map((d, k) => d + pads[k] + pads[k + r]), (idx) => {
    const src = idx.map((v, k) => v - pads[k]);
    return src.every((v, k) => v >= 0 && v < a.shape[k]) ? a.data[ravel(src, a.shape)] : value;
  });
}
function gather(a: Nd, ind: Nd, axis: number): Nd {
  const ir = ind.shape.length;
  return fromFn([...a.shape.slice(0, axis), ...ind.shape, ...a.shape.slice(axis + 1)], (idx) => {
    const j = ind.data[ravel(idx.slice(axis, axis + ir), ind.shape)];
    return a.data[ravel([...idx.slice(0, axis), j, ...idx.slice(axis + ir)], a.shape)];
  });
}
function reduce(a: Nd, axes: number[], keepdims: boolean, kind: 'sum' | 'mean' | 'max'): Nd {
  const keptShape = a.shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const acc = fromFn(keptShape, () => (kind === 'max' ? -Infinity : 0));
  a.data.forEach((v, i) => {
    const idx = unravel(i, a.shape).map((x, k) => (axes.includes(k) ? 0 : x));
    const j = ravel(idx, keptShape);
    acc.data[j] = kind === 'max' ? Math.max(acc.data[j], v) : acc.data[j] + v;
  });
  if (kind === 'mean') {
    const n = axes.reduce((p, k) => p * a.shape[k], 1);
    acc.data = acc.data.map((v) => v / n);
  }
  return keepdims ? acc : { data: acc.data, shape: a.shape.filter((_, k) => !axes.includes(k)) };
}
function matmul(a: Nd, b: Nd): Nd {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return fromFn([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let q = 0; q < k; q++) s += atBroadcast(a, [...bi, i, q]) * atBroadcast(b, [...bi, q, j]);
    return s;
  });
}
/** erf from its Maclaurin series (|x| ≤ 3 here; accurate to ~1e-13), independent of the engine's composition. */
function erfRef(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-18; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const geluRef = (x: number) => 0.5 * x * (1 + erfRef(x / Math.SQRT2));
const geluTanhRef = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** erf to 20 digits (mpmath; agrees with Abramowitz & Stegun Table 7.1). */
const ERF_TABLE: [number, number][] = [
  [0.001, 0.0011283787909692363799],
  [0.1, 0.1124629160182848922],
  [0.5, 0.52049987781304653768],
  [1, 0.84270079294971486934],
  [1.5, 0.96610514647531072707],
  [2, 0.99532226501895273416],
  [3, 0.99997790950300141456],
  [-0.7, -0.67780119383741847298],
  [-2.5, -0.99959304798255504106],
  [4.5, 0.99999999980338395585],
  [5.5, 0.99999999999999264215],
];

// ------------------------------------------------------------------ comparison

function toNumbers(t: HostTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}
function assertClose(name: string, got: HostTensor, want: Nd, tol: number): void {
  assert.deepEqual(got.shape, want.shape, `${name}: shape`);
  const g = toNumbers(got);
  for (let i = 0; i < g.length; i++) {
    const err = Math.abs(g[i] - want.data[i]);
    assert.ok(err <= tol * Math.max(1, Math.abs(want.data[i])), `${name}[${i}]: got ${g[i]}, want ${want.data[i]} (error ${err.toExponential(2)})`);
  }
}

function randomNd(rnd: () => number, shape: number[], lo = -1.5, hi = 1.5): Nd {
  return { shape, data: Array.from({ length: size(shape) }, () => lo + (hi - lo) * rnd()) };
}

// ------------------------------------------------------------------ every op forward, float32 and float64

interface OpCase {
  name: string;
  build: (g: Graph, x: Record<string, Tensor>) => Tensor;
  ref: (x: Record<string, Nd>) => Nd;
}

const FLOAT_INPUTS: Record<string, { shape: number[]; lo?: number; hi?: number }> = {
  a: { shape: [2, 3, 4] },
  b: { shape: [3, 1] },
  c: { shape: [2, 5, 4] },
  pos: { shape: [3, 4], lo: 0.4, hi: 2.5 },
  ex: { shape: [4], lo: -1.5, hi: 2.5 },
  m1: { shape: [2, 1, 3, 5] },
  m2: { shape: [4, 5, 2] },
  w: { shape: [7, 6], lo: -3, hi: 3 },
};

const FLOAT_CASES: OpCase[] = [
  { name: 'Add', build: (g, x) => g.add(x.a, x.b), ref: (x) => map((p, q) => p + q, x.a, x.b) },
  { name: 'Sub', build: (g, x) => g.sub(x.b, x.a), ref: (x) => map((p, q) => p - q, x.b, x.a) },
  { name: 'Mul', build: (g, x) => g.mul(x.a, 2.5), ref: (x) => map((p) => p * 2.5, x.a) },
  { name: 'Div', build: (g, x) => g.div(x.a, x.pos), ref: (x) => map((p, q) => p / q, x.a, x.pos) },
  { name: 'Pow', build: (g, x) => g.pow(x.pos, x.ex), ref: (x) => map((p, q) => p ** q, x.pos, x.ex) },
  { name: 'Max', build: (g, x) => g.maximum(x.a, x.b), ref: (x) => map(Math.max, x.a, x.b) },
  { name: 'Min', build: (g, x) => g.minimum(x.a, x.b), ref: (x) => map(Math.min, x.a, x.b) },
  { name: 'Neg', build: (g, x) => g.neg(x.a), ref: (x) => map((p) => -p, x.a) },
  { name: 'Sqrt', build: (g, x) => g.sqrt(x.pos), ref: (x) => map(Math.sqrt, x.pos) },
  { name: 'Exp', build: (g, x) => g.exp(x.a), ref: (x) => map(Math.exp, x.a) },
  { name: 'Log', build: (g, x) => g.log(x.pos), ref: (x) => map(Math.log, x.pos) },
  { name: 'Sin', build: (g, x) => g.sin(x.w), ref: (x) => map(Math.sin, x.w) },
  { name: 'Cos', build: (g, x) => g.cos(x.w), ref: (x) => map(Math.cos, x.w) },
  { name: 'Tanh', build: (g, x) => g.tanh(x.w), ref: (x) => map(Math.tanh, x.w) },
  { name: 'Relu', build: (g, x) => g.relu(x.a), ref: (x) => map((p) => Math.max(p, 0), x.a) },
  { name: 'Sigmoid', build: (g, x) => g.sigmoid(x.w), ref: (x) => map((p) => 1 / (1 + Math.exp(-p)), x.w) },
  { name: 'Abs', build: (g, x) => g.abs(x.a), ref: (x) => map(Math.abs, x.a) },
  { name: 'Erf', build: (g, x) => g.erf(x.w), ref: (x) => map(erfRef, x.w) },
  { name: 'Gelu', build: (g, x) => g.gelu(x.w), ref: (x) => map(geluRef, x.w) },
  { name: 'Gelu(tanh)', build: (g, x) => g.gelu(x.w, 'tanh'), ref: (x) => map(geluTanhRef, x.w) },
  {
    name: 'Where',
    build: (g, x) => g.where(g.greater(x.a, x.b), x.a, g.neg(x.b)),
    ref: (x) => map((p, q) => (p > q ? p : -q), x.a, x.b),
  },
  { name: 'Less→Cast', build: (g, x) => g.cast(g.less(x.a, 0), x.a.dtype), ref: (x) => map((p) => (p < 0 ? 1 : 0), x.a) },
  { name: 'MatMul', build: (g, x) => g.matmul(x.m1, x.m2), ref: (x) => matmul(x.m1, x.m2) },
  { name: 'MatMul(2d)', build: (g, x) => g.matmul(g.reshape(x.a, [6, 4]), g.transpose(g.reshape(x.c, [10, 4]), [1, 0])), ref: (x) => matmul({ data: x.a.data, shape: [6, 4] }, transpose({ data: x.c.data, shape: [10, 4] }, [1, 0])) },
  { name: 'Transpose', build: (g, x) => g.transpose(x.a, [2, 0, 1]), ref: (x) => transpose(x.a, [2, 0, 1]) },
  { name: 'Reshape', build: (g, x) => g.reshape(x.a, [4, -1]), ref: (x) => ({ data: x.a.data, shape: [4, 6] }) },
  { name: 'Unsqueeze', build: (g, x) => g.unsqueeze(x.b, [0, 3]), ref: (x) => ({ data: x.b.data, shape: [1, 3, 1, 1] }) },
  { name: 'Squeeze', build: (g, x) => g.squeeze(x.b, [1]), ref: (x) => ({ data: x.b.data, shape: [3] }) },
  { name: 'Concat', build: (g, x) => g.concat([x.a, x.c, x.a], 1), ref: (x) => concat([x.a, x.c, x.a], 1) },
  { name: 'Slice(steps)', build: (g, x) => g.slice(x.w, [1, -6], [7, 6], [0, 1], [2, 3]), ref: (x) => slice(x.w, [1, -6], [7, 6], [0, 1], [2, 3]) },
  { name: 'Slice(axis)', build: (g, x) => g.slice(x.c, [1], [4], [1]), ref: (x) => slice(x.c, [1], [4], [1], [1]) },
  { name: 'Pad', build: (g, x) => g.pad(x.a, [0, 1, 2, 1, 0, 1], -0.5), ref: (x) => pad(x.a, [0, 1, 2, 1, 0, 1], -0.5) },
  { name: 'Gather(list)', build: (g, x) => g.gather(x.w, [6, 0, 3, 3], 0), ref: (x) => gather(x.w, { data: [6, 0, 3, 3], shape: [4] }, 0) },
  {
    name: 'Gather(2d idx)',
    build: (g, x) => g.gather(x.a, g.constant([3, 0, 1, 1, 2, 3], [2, 3], 'int64'), 2),
    ref: (x) => gather(x.a, { data: [3, 0, 1, 1, 2, 3], shape: [2, 3] }, 2),
  },
  { name: 'ReduceSum', build: (g, x) => g.reduceSum(x.a, [0, 2]), ref: (x) => reduce(x.a, [0, 2], false, 'sum') },
  { name: 'ReduceSum(keep)', build: (g, x) => g.reduceSum(x.a, [1], true), ref: (x) => reduce(x.a, [1], true, 'sum') },
  { name: 'ReduceSum(all)', build: (g, x) => g.reduceSum(x.c), ref: (x) => reduce(x.c, [0, 1, 2], false, 'sum') },
  { name: 'ReduceMean', build: (g, x) => g.reduceMean(x.c, [1]), ref: (x) => reduce(x.c, [1], false, 'mean') },
  { name: 'ReduceMean(keep)', build: (g, x) => g.reduceMean(x.c, [0, 2], true), ref: (x) => reduce(x.c, [0, 2], true, 'mean') },
  { name: 'ReduceMax', build: (g, x) => g.reduceMax(x.a, [2]), ref: (x) => reduce(x.a, [2], false, 'max') },
  { name: 'ReduceMax(keep)', build: (g, x) => g.reduceMax(x.a, [0, 1], true), ref: (x) => reduce(x.a, [0, 1], true, 'max') },
  { name: 'Expand', build: (g, x) => g.expandAs(x.b, x.a), ref: (x) => map((p) => p, x.b, { data: x.a.data.map(() => 0), shape: x.a.shape }) },
  { name: 'ZerosLike', build: (g, x) => g.zerosLike(x.b), ref: (x) => ({ data: x.b.data.map(() => 0), shape: x.b.shape }) },
  {
    name: 'ScatterAdd',
    build: (g, x) => g.scatterAdd(x.w, g.constant([2, 5, 2], [3], 'int64'), g.slice(x.w, [0], [3], [0])),
    ref: (x) => {
      const out = { data: [...x.w.data], shape: x.w.shape };
      [2, 5, 2].forEach((r, k) => {
        for (let j = 0; j < 6; j++) out.data[r * 6 + j] += x.w.data[k * 6 + j];
      });
      return out;
    },
  },
  { name: 'Identity', build: (g, x) => g.identity(x.b), ref: (x) => x.b },
];

for (const dtype of ['float32', 'float64'] as const) {
  test(`every builder op runs forward in ${dtype} and matches a plain-TS reference`, async () => {
    const rnd = lcg(dtype === 'float32' ? 41 : 42);
    const Arr = dtype === 'float32' ? Float32Array : Float64Array;
    const refs: Record<string, Nd> = {};
    const feeds: Record<string, HostTensor> = {};
    const g = new Graph(`ops_${dtype}`);
    const xs: Record<string, Tensor> = {};
    for (const [name, spec] of Object.entries(FLOAT_INPUTS)) {
      const nd = randomNd(rnd, spec.shape, spec.lo, spec.hi);
      const data = Arr.from(nd.data);
      refs[name] = { data: Array.from(data), shape: spec.shape }; // references see the values as stored
      feeds[name] = { data, shape: spec.shape };
      xs[name] = g.input(name, dtype, spec.shape);
    }
    for (const c of FLOAT_CASES) g.output(c.name, c.build(g, xs));
    // Cast between the float types and to int64 (ONNX Cast truncates toward zero)
    const other = dtype === 'float32' ? 'float64' : 'float32';
    g.output('Cast(float)', g.cast(xs.w, other));
    g.output('Cast(int64)', g.cast(xs.w, 'int64'));
    const exe = await compile(g, { threads: 1 });
    const out = await exe.run(feeds);
    const tol = dtype === 'float32' ? 3e-6 : 1e-12;
    for (const c of FLOAT_CASES) {
      const got = out[c.name];
      assert.equal(got.data.constructor, Arr, `${c.name}: dtype`);
      assertClose(`${dtype} ${c.name}`, got, c.ref(refs), tol);
    }
    assert.ok(out['Cast(float)'].data instanceof (other === 'float64' ? Float64Array : Float32Array));
    assertClose('Cast(float)', out['Cast(float)'], refs.w, dtype === 'float32' ? 0 : 1e-7);
    assert.ok(out['Cast(int64)'].data instanceof BigInt64Array);
    assertClose('Cast(int64)', out['Cast(int64)'], map(Math.trunc, refs.w), 0);
  });
}

test('float64 Erf and Gelu reach tabulated values to 1e-14 (onnxruntime has no float64 kernels for them)', async () => {
  for (const [x, want] of ERF_TABLE) assert.ok(Math.abs(erfRef(x) - want) < 1e-12 || Math.abs(x) > 3, `test reference erf(${x})`);
  const g = new Graph('erf64');
  const x = g.input('x', 'float64', [ERF_TABLE.length]);
  g.output('erf', g.erf(x));
  const z = g.input('z', 'float64', [ERF_TABLE.length]);
  g.output('gelu', g.gelu(z));
  const xs = Float64Array.from(ERF_TABLE, ([v]) => v);
  const zs = xs.map((v) => v * Math.SQRT2);
  const out = await (await compile(g, { threads: 1 })).run({ x: xs, z: zs });
  const erf = out.erf.data as Float64Array;
  const gelu = out.gelu.data as Float64Array;
  ERF_TABLE.forEach(([v, want], i) => {
    assert.ok(Math.abs(erf[i] - want) <= 1e-14, `erf(${v}) = ${erf[i]}, want ${want}`);
    // gelu(√2·a) = (√2·a)/2 · (1 + erf(a))
    const gw = 0.5 * zs[i] * (1 + want);
    assert.ok(Math.abs(gelu[i] - gw) <= 1e-14 * Math.max(1, Math.abs(gw)), `gelu(${zs[i]}) = ${gelu[i]}, want ${gw}`);
  });
  // float32 Erf (onnxruntime's own kernel) at the same points
  const g32 = new Graph('erf32');
  g32.output('erf', g32.erf(g32.input('x', 'float32', [ERF_TABLE.length])));
  const e32 = (await (await compile(g32, { threads: 1 })).run({ x: Float32Array.from(xs) })).erf.data as Float32Array;
  ERF_TABLE.forEach(([v, want], i) => assert.ok(Math.abs(e32[i] - want) <= 2e-7, `float32 erf(${v}) = ${e32[i]}`));
});

test('int64 graphs run: arithmetic, layout, gather, reductions, where, casts', async () => {
  const a: Nd = { shape: [2, 3, 4], data: Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) - 5) };
  const b: Nd = { shape: [3, 1], data: [4, -2, 9] };
  const g = new Graph('int64');
  const ta = g.input('a', 'int64', a.shape);
  const tb = g.input('b', 'int64', b.shape);
  const cases: [string, Tensor, Nd][] = [
    ['Add', g.add(ta, tb), map((p, q) => p + q, a, b)],
    ['Sub', g.sub(ta, 3), map((p) => p - 3, a)],
    ['Mul', g.mul(ta, tb), map((p, q) => p * q, a, b)],
    ['Max', g.maximum(ta, tb), map(Math.max, a, b)],
    ['Transpose', g.transpose(ta, [1, 2, 0]), transpose(a, [1, 2, 0])],
    ['Reshape', g.reshape(ta, [6, 4]), { data: a.data, shape: [6, 4] }],
    ['Concat', g.concat([ta, ta], 0), concat([a, a], 0)],
    ['Slice', g.slice(ta, [0, 1], [3, 4], [1, 2], [2, 2]), slice(a, [0, 1], [3, 4], [1, 2], [2, 2])],
    ['Pad', g.pad(ta, [1, 0, 0, 0, 1, 2], 7), pad(a, [1, 0, 0, 0, 1, 2], 7)],
    ['Gather', g.gather(ta, [2, 2, 0], 1), gather(a, { data: [2, 2, 0], shape: [3] }, 1)],
    ['ReduceSum', g.reduceSum(ta, [2]), reduce(a, [2], false, 'sum')],
    ['ReduceSum(keep)', g.reduceSum(ta, [0], true), reduce(a, [0], true, 'sum')],
    ['ReduceMax', g.reduceMax(ta, [0, 2], true), reduce(a, [0, 2], true, 'max')],
    ['Where', g.where(g.less(ta, tb), ta, tb), map((p, q) => (p < q ? p : q), a, b)],
    ['Equal→Cast', g.cast(g.equal(ta, tb), 'int64'), map((p, q) => (p === q ? 1 : 0), a, b)],
    ['Cast', g.cast(g.mul(g.cast(ta, 'float64'), 0.5), 'int64'), map((p) => Math.trunc(p * 0.5), a)],
  ];
  cases.forEach(([name, t]) => g.output(name, t));
  const big = (x: Nd) => ({ data: BigInt64Array.from(x.data.map((v) => BigInt(v))), shape: x.shape });
  const out = await (await compile(g, { threads: 1 })).run({ a: big(a), b: big(b) });
  for (const [name, , want] of cases) {
    assert.ok(out[name].data instanceof BigInt64Array, `${name}: int64 output`);
    assertClose(`int64 ${name}`, out[name], want, 0);
  }
});

// ------------------------------------------------------------------ sessions, batches, feeds, threads

function batchGraph(): Graph {
  const g = new Graph('batched');
  const x = g.input('x', 'float32', ['N', 3]);
  const w = g.initializer('w', Float32Array.from([1, -2, 0.5, 3, 0, 1]), [3, 2]);
  const h = g.add(g.matmul(x, w), 1);
  g.output('y', h);
  g.output('flat', g.reshape(g.unsqueeze(h, [1]), [-1]));
  return g;
}

test('a graph with a symbolic batch runs for several batch sizes on one cached session', async () => {
  const g = batchGraph();
  const exe = await compile(g, { threads: 1 });
  assert.equal(await compile(g, { threads: 1 }), exe, 'same graph → same Executable');
  assert.equal(await compile(batchGraph(), { threads: 1 }), exe, 'an identical rebuilt graph → same Executable');
  const W = [1, -2, 0.5, 3, 0, 1];
  for (const n of [1, 4, 9]) {
    const x = Float32Array.from({ length: 3 * n }, (_, i) => (i % 5) - 2);
    const out = await exe.run(n % 2 ? { x: { data: x, shape: [n, 3] } } : { x });
    const want = fromFn([n, 2], ([i, j]) => 1 + [0, 1, 2].reduce((s, k) => s + x[i * 3 + k] * W[k * 2 + j], 0));
    assertClose(`batch ${n}`, out.y, want, 0);
    assert.deepEqual(out.flat.shape, [2 * n]);
  }
  assert.equal(await compile(g, { threads: 1 }), exe);
});

test('bad feeds give clear RuntimeErrors', async () => {
  const g = new Graph('feeds');
  const x = g.input('x', 'float32', ['N', 4]);
  const y = g.input('y', 'float32', ['N', 1]);
  const w = g.input('w', 'float32', [4, 1]);
  g.output('out', g.add(g.matmul(x, w), y));
  const exe = await compile(g, { threads: 1 });
  const ok = { x: { data: new Float32Array(8), shape: [2, 4] }, y: { data: new Float32Array(2), shape: [2, 1] }, w: { data: new Float32Array(4), shape: [4, 1] } };
  assert.deepEqual((await exe.run(ok)).out.shape, [2, 1]);
  const expect = async (feeds: Record<string, unknown>, re: RegExp) =>
    assert.rejects(exe.run(feeds as never), (e: Error) => {
      assert.ok(e instanceof RuntimeError, `expected RuntimeError, got ${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  await expect({ ...ok, x: { data: new Float64Array(8), shape: [2, 4] } }, /feed 'x': expected float32, got float64/);
  await expect({ ...ok, w: { data: new BigInt64Array(4), shape: [4, 1] } }, /feed 'w': expected float32, got int64/);
  await expect({ ...ok, x: { data: new Float32Array(6), shape: [2, 3] } }, /feed 'x': shape \[2,3\] does not match \[N,4\]/);
  await expect({ ...ok, w: { data: new Float32Array(4), shape: [1, 4] } }, /feed 'w': shape \[1,4\] does not match \[4,1\]/);
  await expect({ ...ok, x: { data: new Float32Array(7), shape: [2, 4] } }, /feed 'x': 7 values do not fill shape \[2,4\]/);
  await expect({ ...ok, x: new Float32Array(7) }, /feed 'x': 7 values do not fit shape \[N,4\]/);
  await expect({ x: ok.x, y: ok.y }, /missing feed for input 'w'/);
  await expect({ ...ok, z: ok.w }, /feed 'z' is not an input of this graph \(inputs: x, y, w\)/);
  await expect({ ...ok, y: { data: new Float32Array(3), shape: [3, 1] } }, /symbolic size N = 3 disagrees with 2/);
});

test('outputs can be written into caller-owned buffers, reused across runs; bad buffers give clear errors', async () => {
  const g = new Graph('into');
  const x = g.input('x', 'float32', ['N', 3]);
  g.output('double', g.mul(x, 2));
  g.output('rowsum', g.reduceSum(x, [1]));
  const exe = await compile(g, { threads: 1 });
  const buf = new Float32Array(6).fill(Number.NaN);
  for (const shift of [0, 10]) {
    const xd = Float32Array.from({ length: 6 }, (_, i) => i + shift);
    const out = await exe.run({ x: xd }, undefined, { double: buf });
    assert.equal(out.double.data, buf, 'the result is the caller\'s buffer');
    assert.deepEqual(out.double.shape, [2, 3]);
    assert.deepEqual(Array.from(buf), Array.from(xd, (v) => 2 * v));
    assert.deepEqual(Array.from(out.rowsum.data as Float32Array), [3 + 3 * shift, 12 + 3 * shift], 'other outputs are fetched as usual');
  }
  const withShape = await exe.run({ x: new Float32Array([1, 2, 3]) }, ['rowsum'], { rowsum: { data: new Float32Array(1), shape: [1] } });
  assert.deepEqual(Array.from(withShape.rowsum.data as Float32Array), [6]);
  assert.deepEqual(Object.keys(withShape), ['rowsum']);
  const expect = async (p: Promise<unknown>, re: RegExp) =>
    assert.rejects(p, (e: Error) => {
      assert.ok(e instanceof RuntimeError, `expected RuntimeError, got ${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  const xd = new Float32Array(6);
  await expect(exe.run({ x: xd }, undefined, { double: new Float32Array(5) }), /output buffer 'double': 5 values do not fill shape \[2,3\]/);
  await expect(exe.run({ x: xd }, undefined, { double: new Float64Array(6) }), /output buffer 'double': expected float32, got float64/);
  await expect(exe.run({ x: xd }, undefined, { double: { data: new Float32Array(6), shape: [3, 2] } }), /output buffer 'double': shape \[3,2\] does not match \[N,3\]/);
  await expect(exe.run({ x: xd }, undefined, { triple: new Float32Array(6) }), /output buffer 'triple': not an output of this graph/);
  await expect(exe.run({ x: xd }, ['rowsum'], { double: buf }), /output buffer 'double': not an output fetched by this run/);
  await expect(exe.run({ x: xd }, ['nope']), /'nope' is not an output of this graph \(outputs: double, rowsum\)/);
});

test('reshaped graph outputs keep their declared shapes (the session produces them before the reshape)', async () => {
  const g = new Graph('reshaped-outputs');
  const x = g.input('x', 'float32', ['N', 6]);
  const y = g.mul(x, 3);
  g.output('cube', g.reshape(y, [-1, 2, 3]));
  g.output('flat', g.reshape(g.reshape(y, [-1, 3]), [-1]));
  g.output('plain', y);
  g.output('echo', g.reshape(x, [-1, 3, 2]));
  const exe = await compile(g, { threads: 1 });
  assert.deepEqual([...exe.reshapedOutputs.keys()].sort(), ['cube', 'echo', 'flat']);
  for (const n of [1, 3]) {
    const xd = Float32Array.from({ length: 6 * n }, (_, i) => i - 4);
    const out = await exe.run({ x: xd });
    assert.deepEqual(out.cube.shape, [n, 2, 3]);
    assert.deepEqual(out.flat.shape, [6 * n]);
    assert.deepEqual(out.plain.shape, [n, 6]);
    assert.deepEqual(out.echo.shape, [n, 3, 2]);
    for (const k of ['cube', 'flat', 'plain'] as const) assert.deepEqual(Array.from(out[k].data as Float32Array), Array.from(xd, (v) => 3 * v), k);
    assert.deepEqual(Array.from(out.echo.data as Float32Array), Array.from(xd));
    const buf = new Float32Array(6 * n);
    const into = await exe.run({ x: xd }, ['cube'], { cube: buf });
    assert.equal(into.cube.data, buf);
    assert.deepEqual(into.cube.shape, [n, 2, 3]);
    assert.deepEqual(Array.from(buf), Array.from(xd, (v) => 3 * v));
  }
});

test('spinning of idle intra-op threads can be switched off: its own session, the same results', async () => {
  const g = new Graph('spinning');
  const a = g.input('a', 'float32', [64, 48]);
  const b = g.input('b', 'float32', [48, 40]);
  g.output('c', g.matmul(a, b));
  const spin = await compile(g, { threads: 2 });
  const idle = await compile(g, { threads: 2, spinning: false });
  assert.notEqual(spin, idle);
  assert.equal(await compile(g, { threads: 2, spinning: true }), spin);
  const rnd = lcg(5);
  const A = Float32Array.from({ length: 64 * 48 }, () => rnd() - 0.5);
  const B = Float32Array.from({ length: 48 * 40 }, () => rnd() - 0.5);
  const want = matmul({ data: Array.from(A), shape: [64, 48] }, { data: Array.from(B), shape: [48, 40] });
  assertClose('spinning off', (await idle.run({ a: A, b: B })).c, want, 1e-5);
});

test('thread count is configurable and part of the session cache key', async () => {
  const g = new Graph('threads');
  const a = g.input('a', 'float32', [64, 48]);
  const b = g.input('b', 'float32', [48, 40]);
  g.output('c', g.matmul(a, b));
  const one = await compile(g, { threads: 1 });
  const two = await compile(g, { threads: 2 });
  assert.notEqual(one, two);
  assert.ok(one.key.endsWith(':1') && two.key.endsWith(':2'));
  const rnd = lcg(3);
  const A = Float32Array.from({ length: 64 * 48 }, () => rnd() - 0.5);
  const B = Float32Array.from({ length: 48 * 40 }, () => rnd() - 0.5);
  const r1 = (await one.run({ a: A, b: B })).c;
  const r2 = (await two.run({ a: A, b: B })).c;
  const want = matmul({ data: Array.from(A), shape: [64, 48] }, { data: Array.from(B), shape: [48, 40] });
  assertClose('threads=1', r1, want, 1e-5);
  assertClose('threads=2', r2, want, 1e-5);
  await assert.rejects(compile(g, { threads: 0 }), /threads must be a positive integer, got 0/);
  const saved = process.env.MYRIAD_THREADS;
  try {
    process.env.MYRIAD_THREADS = '3';
    assert.equal(defaultThreads(), 3);
  } finally {
    if (saved === undefined) delete process.env.MYRIAD_THREADS;
    else process.env.MYRIAD_THREADS = saved;
  }
});

// ------------------------------------------------------------------ ONNX files written by other tools

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/onnx/${name}`, import.meta.url));

test('an ONNX model exported by PyTorch reproduces its recorded output within 1e-5', async () => {
  const io = loadSafetensors(fixture('pytorch_mlp_io.safetensors'));
  const x = io.tensors.get('x')!;
  const y = io.tensors.get('y')!;
  assert.deepEqual([x.shape, y.shape], [[3, 8], [3, 4]]);
  const exe = await loadOnnx(fixture('pytorch_mlp.onnx'), { threads: 1 });
  assert.deepEqual([...exe.session.inputNames, ...exe.session.outputNames], ['x', 'y']);
  const out = await exe.run({ x: { data: x.data as Float32Array, shape: x.shape } });
  const yRef: Nd = { data: Array.from(y.data as Float32Array), shape: y.shape };
  assertClose('pytorch y', out.y, yRef, 1e-5);
  // the exported batch axis is dynamic: the first two rows alone give the first two rows of y
  const out2 = await exe.run({ x: { data: (x.data as Float32Array).slice(0, 16), shape: [2, 8] } });
  assertClose('pytorch y[:2]', out2.y, { data: yRef.data.slice(0, 8), shape: [2, 4] }, 1e-5);
  assert.equal(await loadOnnx(fixture('pytorch_mlp.onnx'), { threads: 1 }), exe, 'loaded models are cached too');
  await assert.rejects(exe.run({ x: { data: new Float32Array(9), shape: [1, 9] } }), (e: Error) => e instanceof RuntimeError && /invalid dimensions for input: x/.test(e.message));
});

test('a corrupt, truncated, empty or missing ONNX file gives a clear RuntimeError', async () => {
  const bytes = new Uint8Array(readFileSync(fixture('pytorch_mlp.onnx')));
  const flipped = bytes.slice();
  for (let i = 200; i < 260; i++) flipped[i] ^= 0x5a;
  const bad: [string, Uint8Array | string, RegExp][] = [
    ['truncated', bytes.slice(0, Math.floor(bytes.length / 3)), /cannot load ONNX model: .*protobuf parsing failed/],
    ['bytes flipped', flipped, /cannot load ONNX model: .*protobuf parsing failed/],
    ['not a model', new TextEncoder().encode('this is not an ONNX model'), /cannot load ONNX model: .*protobuf parsing failed/],
    ['empty', new Uint8Array(0), /cannot load ONNX model: it is empty \(0 bytes\)/],
    ['missing', fixture('no_such_model.onnx'), /cannot read ONNX model .*no_such_model\.onnx: ENOENT/],
  ];
  for (const [what, source, re] of bad)
    await assert.rejects(loadOnnx(source, { threads: 1 }), (e: Error) => {
      assert.ok(e instanceof RuntimeError, `${what}: expected RuntimeError, got ${e.name}`);
      assert.match(e.message, re, what);
      return true;
    });
});
