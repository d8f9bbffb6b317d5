// The SFNO graph against torch-harmonics v0.6.3 fixtures (outputs and autodiff gradients), state_dict names,
// the diagonal operator, initialisation statistics and configuration errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Graph } from '../../src/engine/graph.ts';
import { grad } from '../../src/engine/autodiff.ts';
import { compile } from '../../src/engine/runtime.ts';
import { loadSafetensors, type NamedTensor } from '../../src/io/safetensors.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';
import {
  Sfno,
  SfnoConfigError,
  constantParameters,
  initSfnoParameters,
  inputParameters,
  resolveSfnoConfig,
  sfnoConfigFromTorch,
  sfnoParameterShapes,
} from '../../src/models/sfno.ts';

const dir = new URL('../fixtures/torch-harmonics/', import.meta.url);
const FIXTURES: Record<string, Record<string, unknown>> = {
  'sfno_small_mlp_in_bigskip.safetensors': {
    img_size: [32, 64], grid: 'equiangular', num_layers: 2, scale_factor: 2, embed_dim: 8, in_chans: 3, out_chans: 3, use_mlp: true,
    normalization_layer: 'instance_norm', big_skip: true, pos_embed: true, operator_type: 'driscoll-healy', activation_function: 'gelu',
  },
  'sfno_lg_nomlp_layernorm.safetensors': {
    img_size: [24, 48], grid: 'legendre-gauss', num_layers: 3, scale_factor: 1, embed_dim: 12, in_chans: 4, out_chans: 4, use_mlp: false,
    normalization_layer: 'layer_norm', big_skip: false, pos_embed: false, operator_type: 'driscoll-healy', activation_function: 'relu',
  },
};

function load(file: string): Map<string, NamedTensor> {
  return loadSafetensors(new URL(file, dir).pathname).tensors;
}

function stateOf(t: Map<string, NamedTensor>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of t) if (k.startsWith('state.')) out.set(k.slice(6), v.data as Float32Array);
  return out;
}

function relMax(a: ArrayLike<number>, r: ArrayLike<number>): { err: number; scale: number } {
  assert.equal(a.length, r.length);
  let d = 0;
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    d = Math.max(d, Math.abs(a[i] - r[i]));
    s = Math.max(s, Math.abs(r[i]));
  }
  return { err: d / s, scale: s };
}

test('the index of the fixtures names the configurations this test uses', () => {
  const index = JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')) as { sfno?: { file: string; config: Record<string, unknown> }[] };
  // the SHT helper's index.json may not list the SFNO cases; the file metadata does (checked below)
  for (const c of index.sfno ?? []) assert.deepEqual(c.config, FIXTURES[c.file]);
});

for (const [file, torchConfig] of Object.entries(FIXTURES)) {
  test(`${file}: state_dict names and shapes are the model's parameters`, () => {
    const t = load(file);
    const cfg = sfnoConfigFromTorch(torchConfig);
    const expected = [...t.keys()].filter((k) => k.startsWith('state.')).map((k) => [k.slice(6), t.get(k)!.shape]);
    assert.deepEqual([...sfnoParameterShapes(cfg)], expected);
  });

  test(`${file}: forward reproduces torch-harmonics y (float32, symbolic batch)`, async () => {
    const t = load(file);
    const cfg = sfnoConfigFromTorch(torchConfig);
    const model = new Sfno(cfg);
    const g = new Graph('sfno-fixture');
    const p = constantParameters(g, cfg, stateOf(t));
    const xs = t.get('x')!;
    const x = g.input('x', 'float32', ['N', ...xs.shape.slice(1)]);
    g.output('y', model.forward(g, p, x));
    const exe = await compile(g, { threads: 1 });
    const out = await exe.run({ x: { data: xs.data as Float32Array, shape: xs.shape } });
    assert.deepEqual(out.y.shape, t.get('y')!.shape);
    const { err } = relMax(out.y.data as Float32Array, t.get('y')!.data as Float32Array);
    assert.ok(err < 1e-4, `max |y − y_torch| / max |y_torch| = ${err}`);
    // one member alone gives the same as inside the batch (no mixing across members)
    const n1 = xs.data.length / xs.shape[0];
    const one = await exe.run({ x: { data: (xs.data as Float32Array).slice(n1), shape: [1, ...xs.shape.slice(1)] } });
    const r1 = relMax(one.y.data as Float32Array, (t.get('y')!.data as Float32Array).slice(n1));
    assert.ok(r1.err < 1e-4, `member 1 alone: ${r1.err}`);
  });
}

test('sfno_small_mlp_in_bigskip: autodiff reproduces the loss and every torch gradient', async () => {
  const file = 'sfno_small_mlp_in_bigskip.safetensors';
  const t = load(file);
  const meta = loadSafetensors(new URL(file, dir).pathname).metadata;
  assert.match(meta.loss, /Clenshaw-Curtis/);
  const cfg = sfnoConfigFromTorch(FIXTURES[file]);
  const model = new Sfno(cfg);
  const g = new Graph('sfno-grad');
  const p = inputParameters(g, cfg);
  const xs = t.get('x')!;
  const x = g.input('x', 'float32', xs.shape);
  const target = g.input('target', 'float32', xs.shape);
  const y = model.forward(g, p, x);
  // the file's loss: mean over batch of Σ_channels Σ_k,j w_k (2π/nlon) (y − target)², w = Clenshaw–Curtis weights
  const [nlat, nlon] = cfg.imgSize;
  const geo = gridGeometry({ kind: 'equiangular', nlat, nlon });
  const w = Float32Array.from(geo.rowWeights, (v) => (v * 2 * Math.PI) / nlon);
  const d = g.sub(y, target);
  const loss = g.reduceMean(g.reduceSum(g.mul(g.mul(d, d), g.constant(w, [nlat, 1])), [1, 2, 3]));
  g.output('loss', loss);
  const names = [...p.keys()];
  const grads = grad(loss, names.map((n) => p.get(n)!));
  names.forEach((n, i) => g.output(`grad.${n}`, grads[i]));
  const exe = await compile(g, { threads: 1 });
  const feeds: Record<string, { data: Float32Array; shape: number[] }> = {
    x: { data: xs.data as Float32Array, shape: xs.shape },
    target: { data: t.get('target')!.data as Float32Array, shape: xs.shape },
  };
  for (const n of names) feeds[n] = { data: t.get(`state.${n}`)!.data as Float32Array, shape: t.get(`state.${n}`)!.shape };
  const out = await exe.run(feeds);
  const refLoss = (t.get('loss')!.data as Float64Array)[0];
  assert.ok(Math.abs(out.loss.data[0] as number - refLoss) / refLoss < 1e-5, `loss ${out.loss.data[0]} vs ${refLoss}`);
  let global = 0;
  for (const n of names) for (const v of t.get(`grad.${n}`)!.data as Float32Array) global = Math.max(global, Math.abs(v));
  for (const n of names) {
    const ref = t.get(`grad.${n}`)!.data as Float32Array;
    const { err, scale } = relMax(out[`grad.${n}`].data as Float32Array, ref);
    if (scale < 1e-5 * global) {
      // the spectral biases feed an instance norm, which removes per-channel constants: exactly zero up to round-off
      assert.ok(n.endsWith('filter.filter.bias'), `${n}: unexpectedly tiny reference gradient ${scale}`);
      assert.ok(err * scale < 1e-5 * global, `${n}: |grad| ${err * scale} should be round-off`);
      continue;
    }
    assert.ok(err < 1e-3, `${n}: relative gradient error ${err}`);
  }
});

test('diagonal operator with weights equal across orders equals Driscoll–Healy', async () => {
  const base = { imgSize: [16, 32] as [number, number], grid: 'equiangular' as const, scaleFactor: 2, inChans: 2, outChans: 2, embedDim: 4, numLayers: 2,
    activation: 'gelu' as const, normalization: 'instance_norm' as const, bigSkip: true, posEmbed: 'lat' as const };
  const dh = resolveSfnoConfig({ ...base, operatorType: 'driscoll-healy' });
  const dg = resolveSfnoConfig({ ...base, operatorType: 'diagonal' });
  const pdh = initSfnoParameters(dh, 7);
  const pdg = new Map(pdh);
  const L = new Sfno(dh).dims.modes;
  for (const [name, shape] of sfnoParameterShapes(dg)) {
    if (!name.endsWith('filter.filter.weight')) continue;
    const src = pdh.get(name)!; // [O, I, L, 2]
    const dst = new Float32Array(shape.reduce((a, b) => a * b, 1)); // [O, I, L, M, 2]
    for (let oi = 0; oi < shape[0] * shape[1]; oi++)
      for (let l = 0; l < L; l++)
        for (let m = 0; m < L; m++)
          for (let c = 0; c < 2; c++) dst[(((oi * L + l) * L + m) * 2) + c] = src[(oi * L + l) * 2 + c];
    pdg.set(name, dst);
  }
  // a non-zero position embedding so that the 'lat' layout is exercised
  const pe = pdh.get('pos_embed')!;
  for (let i = 0; i < pe.length; i++) pe[i] = Math.sin(i);
  const run = async (cfg: typeof dh, values: Map<string, Float32Array>) => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['N', 2, 16, 32]);
    g.output('y', new Sfno(cfg).forward(g, constantParameters(g, cfg, values), x));
    const data = Float32Array.from({ length: 3 * 2 * 16 * 32 }, (_, i) => Math.cos(0.37 * i) + 0.1 * Math.sin(i * i));
    return (await (await compile(g, { threads: 1 })).run({ x: { data, shape: [3, 2, 16, 32] } })).y.data as Float32Array;
  };
  const a = await run(dh, pdh);
  const b = await run(dg, pdg);
  const { err, scale } = relMax(b, a);
  assert.ok(scale > 0.1 && err < 1e-5, `diagonal vs DH: ${err} (scale ${scale})`);
  // and a diagonal weight that does depend on m changes the result
  const w = pdg.get('blocks.0.filter.filter.weight')!;
  for (let i = 0; i < w.length; i += 2 * L) w[i + 2] += 0.5; // m = 1 entries only
  const c = await run(dg, pdg);
  assert.ok(relMax(c, a).err > 1e-3);
});

test('initialisation follows torch-harmonics v0.6.3 distributions and is reproducible by seed', () => {
  const cfg = resolveSfnoConfig({ imgSize: [32, 64], inChans: 3, outChans: 3, embedDim: 32, numLayers: 1, scaleFactor: 1, activation: 'gelu', normalization: 'instance_norm', posEmbed: 'latlon', bigSkip: true });
  const p = initSfnoParameters(cfg, 11);
  const std = (a: Float32Array, pick: (i: number) => boolean = () => true) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < a.length; i++) if (pick(i)) { s += a[i] * a[i]; n++; }
    return { v: Math.sqrt(s / n), n };
  };
  // the sample std of n normals has relative spread ≈ 1/√(2n): allow 4 of those
  const near = (e: { v: number; n: number }, want: number, what: string) =>
    assert.ok(Math.abs(e.v / want - 1) < 4 / Math.sqrt(2 * e.n), `${what}: std ${e.v} from ${e.n} values, expected ${want}`);
  near(std(p.get('encoder.0.weight')!), Math.sqrt(1 / 3), 'encoder');
  near(std(p.get('blocks.0.mlp.fwd.0.weight')!), Math.sqrt(2 / 32), 'fc1');
  near(std(p.get('blocks.0.mlp.fwd.2.weight')!), Math.sqrt(1 / 64), 'fc2');
  near(std(p.get('decoder.0.weight')!), Math.sqrt(1 / 35), 'decoder');
  const L = 32;
  const fw = p.get('blocks.0.filter.filter.weight')!; // [32, 32, L, 2]
  near(std(fw, (i) => Math.floor(i / 2) % L !== 0), Math.sqrt(1 / 32), 'filter l > 0');
  near(std(fw, (i) => Math.floor(i / 2) % L === 0), Math.sqrt(2 / 32), 'filter l = 0');
  assert.ok(p.get('pos_embed')!.every((v) => v === 0));
  assert.ok(p.get('blocks.0.norm0.weight')!.every((v) => v === 1));
  assert.deepEqual(initSfnoParameters(cfg, 11), p);
  assert.notDeepEqual(initSfnoParameters(cfg, 12).get('encoder.0.weight'), p.get('encoder.0.weight'));
});

test('bad configurations are rejected with the field named', () => {
  assert.throws(() => resolveSfnoConfig({ imgSize: [32, 64], inChans: 3, outChans: 3, embedDim: 0 }), (e: Error) => e instanceof SfnoConfigError && /embedDim/.test(e.message));
  assert.throws(() => resolveSfnoConfig({ imgSize: [32, 64], inChans: 3, outChans: 3, normalization: 'batch_norm' }), /normalization.*'layer_norm'/);
  assert.throws(() => resolveSfnoConfig({ imgSize: [32, 64], inChans: 3, outChans: 3, embedDimm: 8 }), /unknown field 'embedDimm'/);
  assert.throws(() => resolveSfnoConfig({ imgSize: [4, 8], inChans: 3, outChans: 3, scaleFactor: 8 }), /scaleFactor/);
  assert.throws(() => sfnoConfigFromTorch({ img_size: [8, 16], in_chans: 1, out_chans: 1, factorization: 'cp' }), /factorization/);
  const cfg = resolveSfnoConfig({ imgSize: [8, 16], inChans: 1, outChans: 1, embedDim: 4, numLayers: 1, scaleFactor: 1 });
  const g = new Graph();
  const p = inputParameters(g, cfg);
  p.delete('decoder.0.weight');
  assert.throws(() => new Sfno(cfg).forward(g, p, g.input('x', 'float32', ['N', 1, 8, 16])), /decoder\.0\.weight' is missing/);
});

test('autodiff of the diagonal operator, layer norm across a grid change and lat embedding matches finite differences', async () => {
  const cfg = resolveSfnoConfig({ imgSize: [12, 24], grid: 'equiangular', scaleFactor: 2, inChans: 2, outChans: 2, embedDim: 4, numLayers: 2,
    operatorType: 'diagonal', normalization: 'layer_norm', activation: 'gelu', posEmbed: 'lat', bigSkip: true, useMlp: true, mlpRatio: 1.5 });
  const model = new Sfno(cfg);
  const values = initSfnoParameters(cfg, 21);
  // non-trivial norm affines and embedding so that their gradients are exercised
  for (const [n, v] of values) if (/norm|pos_embed|bias/.test(n)) for (let i = 0; i < v.length; i++) v[i] += 0.3 * Math.sin(1.7 * i + n.length);
  const g = new Graph('fd');
  const p = inputParameters(g, cfg);
  const x = g.input('x', 'float32', [2, 2, 12, 24]);
  const y = model.forward(g, p, x);
  const loss = g.reduceSum(g.mul(g.mul(y, y), g.constant(Float32Array.from({ length: 12 * 24 }, (_, i) => 1 + 0.5 * Math.cos(i)), [12, 24])));
  g.output('loss', loss);
  const names = [...p.keys()];
  grad(loss, names.map((n) => p.get(n)!)).forEach((t, i) => g.output(`g.${names[i]}`, t));
  const exe = await compile(g, { threads: 1 });
  const xs = Float32Array.from({ length: 2 * 2 * 12 * 24 }, (_, i) => Math.sin(0.3 * i) + 0.2 * Math.cos(0.11 * i * i));
  const shapes = sfnoParameterShapes(cfg);
  const run = async (vals: Map<string, Float32Array>) => {
    const feeds: Record<string, { data: Float32Array; shape: number[] }> = { x: { data: xs, shape: [2, 2, 12, 24] } };
    for (const n of names) feeds[n] = { data: vals.get(n)!, shape: shapes.get(n)! };
    return exe.run(feeds);
  };
  const base = await run(values);
  // per parameter: directional derivative along a fixed pseudo-random direction, central differences in float32
  for (const n of names) {
    const v0 = values.get(n)!;
    const dir = Float32Array.from(v0, (_, i) => Math.sin(12.9898 * (i + 1) + n.length));
    const gN = base[`g.${n}`].data as Float32Array;
    let analytic = 0;
    for (let i = 0; i < dir.length; i++) analytic += gN[i] * dir[i];
    if (n.endsWith('filter.filter.bias')) {
      assert.ok(Math.abs(analytic) < 1e-3, `${n}: removed by the layer norm, gradient ${analytic}`);
      continue;
    }
    const eps = 1e-2;
    const shifted = (s: number) => new Map([...values].map(([k, v]) => [k, k === n ? Float32Array.from(v, (a, i) => a + s * eps * dir[i]) : v]));
    const lp = ((await run(shifted(1))).loss.data as Float32Array)[0];
    const lm = ((await run(shifted(-1))).loss.data as Float32Array)[0];
    const fd = (lp - lm) / (2 * eps);
    assert.ok(Math.abs(fd - analytic) <= 2e-2 * Math.max(Math.abs(fd), 1e-3 * (base.loss.data as Float32Array)[0]), `${n}: finite difference ${fd} vs autodiff ${analytic}`);
  }
});
