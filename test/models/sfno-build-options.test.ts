// SFNO graph-building options (cache-blocked slabs, the block tail on slabs, MLP orientation, grid-point norm) give
// the same function: each reproduces the torch-harmonics fixture and the default build to float32 rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../src/engine/graph.ts';
import { compile } from '../../src/engine/runtime.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { Sfno, type SfnoBuildOptions, constantParameters, initSfnoParameters, resolveSfnoConfig, sfnoConfigFromTorch } from '../../src/models/sfno.ts';

const fixture = new URL('../fixtures/torch-harmonics/sfno_small_mlp_in_bigskip.safetensors', import.meta.url).pathname;
// the fixture's constructor keywords (see sfno.test.ts and the fixture's PROVENANCE.md)
const torchConfig = {
  img_size: [32, 64], grid: 'equiangular', num_layers: 2, scale_factor: 2, embed_dim: 8, in_chans: 3, out_chans: 3, use_mlp: true,
  normalization_layer: 'instance_norm', big_skip: true, pos_embed: true, operator_type: 'driscoll-healy', activation_function: 'gelu',
};

const VARIANTS: SfnoBuildOptions[] = [
  { gridChunk: 1 },
  { gridChunk: 1, slabTail: false },
  { gridChunk: 3 },
  { gridChunk: 2, mlpLayout: 'hidden-first' },
  { gridChunk: 1, spectralNorm: false },
];

function relMax(a: ArrayLike<number>, r: ArrayLike<number>): number {
  assert.equal(a.length, r.length);
  let d = 0;
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    d = Math.max(d, Math.abs(a[i] - r[i]));
    s = Math.max(s, Math.abs(r[i]));
  }
  return d / s;
}

async function forward(cfg: ReturnType<typeof resolveSfnoConfig>, params: Map<string, Float32Array>, options: SfnoBuildOptions, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const model = new Sfno(cfg, options);
  const g = new Graph('sfno-options');
  const p = constantParameters(g, cfg, params);
  const xi = g.input('x', 'float32', ['N', ...shape.slice(1)]);
  g.output('y', model.forward(g, p, xi));
  const exe = await compile(g, { threads: 1 });
  return (await exe.run({ x: { data: x, shape } })).y.data as Float32Array;
}

test('every build option reproduces the torch-harmonics fixture (instance norm, MLP, GELU, big skip)', async () => {
  const t = loadSafetensors(fixture).tensors;
  const cfg = sfnoConfigFromTorch(torchConfig);
  const params = new Map<string, Float32Array>();
  for (const [k, v] of t) if (k.startsWith('state.')) params.set(k.slice(6), v.data as Float32Array);
  const xs = t.get('x')!;
  const yTorch = t.get('y')!.data as Float32Array;
  for (const options of VARIANTS) {
    const y = await forward(cfg, params, options, xs.data as Float32Array, xs.shape);
    const err = relMax(y, yTorch);
    assert.ok(err < 1e-4, `${JSON.stringify(options)}: max |y − y_torch| / max |y_torch| = ${err}`);
  }
});

test('slabs agree with the whole-grid build at the shipped layout (scale factor 2, Legendre–Gauss, latitude embedding)', async () => {
  // a small relative of the shipped configuration, random non-trivial weights (norm affine and biases perturbed)
  const cfg = resolveSfnoConfig({
    imgSize: [16, 32], grid: 'legendre-gauss', inChans: 5, outChans: 3, embedDim: 6, numLayers: 3, scaleFactor: 2, mlpRatio: 2,
    useMlp: true, normalization: 'instance_norm', activation: 'gelu', bigSkip: true, posEmbed: 'lat', operatorType: 'driscoll-healy',
  });
  const params = initSfnoParameters(cfg, 7);
  for (const [n, v] of params) if (/norm|pos_embed|bias/.test(n)) for (let i = 0; i < v.length; i++) v[i] += 0.3 * Math.sin(1.3 * i + n.length);
  const shape = [3, 5, 16, 32];
  const x = Float32Array.from({ length: 3 * 5 * 16 * 32 }, (_, i) => Math.sin(0.37 * i) + 0.5 * Math.cos(0.011 * i * i));
  const ref = await forward(cfg, params, {}, x, shape);
  let scale = 0;
  for (const r of ref) scale = Math.max(scale, Math.abs(r));
  assert.ok(scale > 0.1, `the reference output is not trivial (max ${scale})`);
  for (const options of VARIANTS) {
    const err = relMax(await forward(cfg, params, options, x, shape), ref);
    assert.ok(err < 1e-5, `${JSON.stringify(options)}: max difference / max = ${err}`);
  }
});
