// Optimiser graph steps (AdamW, gradient clipping, cosine schedule) against plain-TS reference formulas, and the
// training loop helper: an MLP fits a synthetic regression; steps are deterministic and resumable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, GraphError, type Tensor } from '../../src/engine/graph.ts';
import { compile, RuntimeError } from '../../src/engine/runtime.ts';
import { adamw, clipGradNorm, cosineLr, cosineLrAt } from '../../src/engine/optim.ts';
import { Trainer, type ParamInit } from '../../src/engine/train.ts';
import { lcg } from './gradcheck.ts';

const f64 = (n: number, rnd: () => number, lo = -1, hi = 1) => Float64Array.from({ length: n }, () => lo + (hi - lo) * rnd());

/** AdamW written the way torch.optim.AdamW executes it (decay first, then the bias-corrected Adam step). */
function referenceAdamW(
  p: Float64Array, m: Float64Array, v: Float64Array, gr: Float64Array, t: number,
  lr: number, beta1: number, beta2: number, eps: number, wd: number,
): void {
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - lr * wd;
    m[i] = m[i] + (gr[i] - m[i]) * (1 - beta1);
    v[i] = v[i] * beta2 + (1 - beta2) * gr[i] * gr[i];
    const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
    p[i] -= (lr / bc1) * (m[i] / denom);
  }
}

test('AdamW over several steps matches a hand-written PyTorch-order reference (float64)', async () => {
  const rnd = lcg(5);
  const shapes = [[3, 4], [4]];
  const opts = { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: [0.1, 0] };
  const g = new Graph('adamw');
  const ps = shapes.map((s, i) => g.input(`p${i}`, 'float64', s));
  const gs = shapes.map((s, i) => g.input(`g${i}`, 'float64', s));
  const ms = shapes.map((s, i) => g.input(`m${i}`, 'float64', s));
  const vs = shapes.map((s, i) => g.input(`v${i}`, 'float64', s));
  const t = g.input('t', 'float64', []);
  const lr = g.input('lr', 'float64', []);
  const out = adamw(ps, gs, ms, vs, t, lr, opts);
  shapes.forEach((_, i) => {
    g.output(`p${i}_new`, out.params[i]);
    g.output(`m${i}_new`, out.m[i]);
    g.output(`v${i}_new`, out.v[i]);
  });
  const exe = await compile(g, { threads: 1 });

  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  let P: Float64Array[] = shapes.map((s) => f64(size(s), rnd));
  let M: Float64Array[] = shapes.map((s) => new Float64Array(size(s)));
  let V: Float64Array[] = shapes.map((s) => new Float64Array(size(s)));
  const refP = P.map((a) => a.slice());
  const refM = M.map((a) => a.slice());
  const refV = V.map((a) => a.slice());
  const lrs = [0.05, 0.03, 0.02, 0.01];
  for (let step = 1; step <= lrs.length; step++) {
    const G = shapes.map((s) => f64(size(s), rnd, -2, 2));
    const feeds: Record<string, { data: Float64Array; shape: number[] }> = {
      t: { data: Float64Array.of(step), shape: [] },
      lr: { data: Float64Array.of(lrs[step - 1]), shape: [] },
    };
    shapes.forEach((s, i) => {
      feeds[`p${i}`] = { data: P[i], shape: s };
      feeds[`g${i}`] = { data: G[i], shape: s };
      feeds[`m${i}`] = { data: M[i], shape: s };
      feeds[`v${i}`] = { data: V[i], shape: s };
    });
    const res = await exe.run(feeds);
    shapes.forEach((_, i) => referenceAdamW(refP[i], refM[i], refV[i], G[i], step, lrs[step - 1], opts.beta1, opts.beta2, opts.eps, opts.weightDecay[i]));
    P = shapes.map((_, i) => res[`p${i}_new`].data as Float64Array);
    M = shapes.map((_, i) => res[`m${i}_new`].data as Float64Array);
    V = shapes.map((_, i) => res[`v${i}_new`].data as Float64Array);
    for (let i = 0; i < shapes.length; i++)
      for (let j = 0; j < P[i].length; j++) {
        assert.ok(Math.abs(P[i][j] - refP[i][j]) <= 1e-13, `step ${step} p${i}[${j}]: ${P[i][j]} vs ${refP[i][j]}`);
        assert.ok(Math.abs(M[i][j] - refM[i][j]) <= 1e-14);
        assert.ok(Math.abs(V[i][j] - refV[i][j]) <= 1e-14);
      }
  }
});

test('AdamW rejects mismatched state and bad hyper-parameters at build time', () => {
  const g = new Graph();
  const p = g.input('p', 'float32', [3]);
  const gr = g.input('g', 'float32', [3]);
  const m = g.input('m', 'float32', [4]);
  const t = g.input('t', 'float32', []);
  assert.throws(() => adamw([p], [gr], [m], [gr], t, 0.1), (e: Error) => e instanceof GraphError && /first moment 0 is float32\[4\], parameter is float32\[3\]/.test(e.message));
  assert.throws(() => adamw([p], [gr], [gr], [gr], t, 0.1, { beta1: 1 }), /beta1 must be in \[0, 1\)/);
  const t64 = g.input('t64', 'float64', []);
  assert.throws(() => adamw([p], [gr], [gr], [gr], t64, 0.1), /step: expected dtype float32, got float64/);
});

test('clipGradNorm: global norm and min(1, max/(norm+1e-6)) scaling as clip_grad_norm_', async () => {
  const rnd = lcg(9);
  const a = f64(6, rnd, -3, 3);
  const b = f64(5, rnd, -3, 3);
  const norm = Math.sqrt([...a, ...b].reduce((s, x) => s + x * x, 0));
  for (const maxNorm of [norm / 4, norm * 2]) {
    const g = new Graph();
    const ta = g.input('a', 'float64', [2, 3]);
    const tb = g.input('b', 'float64', [5]);
    const c = clipGradNorm([ta, tb], maxNorm);
    g.output('norm', c.norm);
    g.output('ca', c.grads[0]);
    g.output('cb', c.grads[1]);
    const r = await (await compile(g, { threads: 1 })).run({ a: { data: a, shape: [2, 3] }, b: { data: b, shape: [5] } });
    assert.ok(Math.abs((r.norm.data as Float64Array)[0] - norm) <= 1e-12 * norm);
    const scale = Math.min(1, maxNorm / (norm + 1e-6));
    const got = [...(r.ca.data as Float64Array), ...(r.cb.data as Float64Array)];
    [...a, ...b].forEach((x, i) => assert.ok(Math.abs(got[i] - x * scale) <= 1e-13, `element ${i}`));
    const clippedNorm = Math.sqrt(got.reduce((s, x) => s + x * x, 0));
    if (maxNorm < norm) assert.ok(Math.abs(clippedNorm - maxNorm) < 1e-5 * maxNorm);
    else assert.ok(Math.abs(clippedNorm - norm) < 1e-12 * norm);
  }
  const g = new Graph();
  assert.throws(() => clipGradNorm([g.input('a', 'float32', [2])], 0), /maxNorm must be positive/);
});

test('cosine schedule in-graph: warm-up ramp, peak, half-way point, floor', async () => {
  const schedule = { baseLr: 0.1, minLr: 0.01, warmupSteps: 4, totalSteps: 24 };
  const g = new Graph();
  const s = g.input('s', 'float64', []);
  g.output('lr', cosineLr(s, schedule));
  const exe = await compile(g, { threads: 1 });
  const at = async (k: number) => ((await exe.run({ s: { data: Float64Array.of(k), shape: [] } })).lr.data as Float64Array)[0];
  // closed-form anchors: (s+1)/W·base during warm-up, base at s=W, midpoint (base+min)/2 at s=W+(T-W)/2, min from s=T on
  assert.ok(Math.abs((await at(0)) - 0.025) < 1e-15);
  assert.ok(Math.abs((await at(2)) - 0.075) < 1e-15);
  assert.ok(Math.abs((await at(4)) - 0.1) < 1e-15);
  assert.ok(Math.abs((await at(14)) - 0.055) < 1e-15);
  assert.ok(Math.abs((await at(24)) - 0.01) < 1e-15);
  assert.ok(Math.abs((await at(40)) - 0.01) < 1e-15);
  for (let k = 0; k < 30; k++) assert.ok(Math.abs((await at(k)) - cosineLrAt(k, schedule)) < 1e-15, `step ${k}`);
  // float32 step counter, no warm-up: starts at the peak
  const g32 = new Graph();
  const s32 = g32.input('s', 'float32', []);
  g32.output('lr', cosineLr(s32, { baseLr: 1, totalSteps: 10 }));
  const r = await (await compile(g32, { threads: 1 })).run({ s: { data: Float32Array.of(0), shape: [] } });
  assert.equal((r.lr.data as Float32Array)[0], 1);
  assert.throws(() => cosineLr(s, { baseLr: 0.1, totalSteps: 10, warmupSteps: 11 }), /warmupSteps must be an integer in \[0, totalSteps=10\]/);
});

// ------------------------------------------------------------------ training loop

const LAYERS = [2, 32, 32, 1];

function mlpInit(seed: number): Map<string, ParamInit> {
  const rnd = lcg(seed);
  const params = new Map<string, ParamInit>();
  for (let l = 0; l + 1 < LAYERS.length; l++) {
    const [fin, fout] = [LAYERS[l], LAYERS[l + 1]];
    const bound = Math.sqrt(6 / (fin + fout));
    params.set(`w${l}`, { data: Float32Array.from({ length: fin * fout }, () => (2 * rnd() - 1) * bound), shape: [fin, fout] });
    params.set(`b${l}`, { data: new Float32Array(fout), shape: [fout] });
  }
  return params;
}

function mlpLoss(batch: number) {
  return (g: Graph, p: Map<string, Tensor>): Tensor => {
    const x = g.input('x', 'float32', [batch, 2]);
    const y = g.input('y', 'float32', [batch, 1]);
    let h: Tensor = x;
    for (let l = 0; l + 1 < LAYERS.length; l++) {
      h = g.add(g.matmul(h, p.get(`w${l}`)!), p.get(`b${l}`)!);
      if (l + 2 < LAYERS.length) h = g.tanh(h);
    }
    const d = g.sub(h, y);
    return g.reduceMean(g.mul(d, d));
  };
}

function regressionData(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rnd = lcg(seed);
  const x = Float32Array.from({ length: 2 * n }, () => 2 * rnd() - 1);
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(2 * x[2 * i]) * Math.cos(1.5 * x[2 * i + 1]) + 0.5 * x[2 * i] * x[2 * i]);
  return { x, y };
}

test('training an MLP 2→32→32→1 from random init brings the loss below 1% of its start', async () => {
  const batch = 128;
  const data = regressionData(batch, 3);
  const steps = 400;
  const trainer = await Trainer.create({
    params: mlpInit(11),
    loss: mlpLoss(batch),
    optimizer: { lr: { baseLr: 0.02, warmupSteps: 10, totalSteps: steps, minLr: 1e-4 }, weightDecay: 1e-4, clipNorm: 5 },
    threads: 1,
  });
  assert.deepEqual(trainer.batchInputs, ['x', 'y']);
  const feeds = { x: { data: data.x, shape: [batch, 2] }, y: { data: data.y, shape: [batch, 1] } };
  const first = await trainer.step(feeds);
  assert.ok(first.loss > 0.05, `initial loss ${first.loss}`);
  assert.ok(Math.abs(first.lr - 0.002) < 1e-9, `first lr ${first.lr}`);
  assert.ok(first.gradNorm > 0);
  let last = first;
  for (let k = 1; k < steps; k++) last = await trainer.step(feeds);
  assert.equal(last.step, steps);
  assert.equal(trainer.stepCount, steps);
  assert.ok(Math.abs(last.lr - 1e-4) < 1e-6, `final lr ${last.lr}`);
  assert.ok(last.loss < 0.01 * first.loss, `loss ${first.loss} → ${last.loss}`);
  const params = trainer.params();
  assert.deepEqual([...params.keys()], ['w0', 'b0', 'w1', 'b1', 'w2', 'b2']);
  assert.ok(params.get('w1') instanceof Float32Array && params.get('w1')!.length === 32 * 32);
  // the returned arrays are copies: changing them does not touch the trainer
  params.get('b2')![0] = 123;
  assert.notEqual(trainer.params().get('b2')![0], 123);
});

test('training is deterministic and resumes exactly from saved parameters and optimiser state', async () => {
  const batch = 32;
  const data = regressionData(batch, 4);
  const feeds = { x: { data: data.x, shape: [batch, 2] }, y: { data: data.y, shape: [batch, 1] } };
  const make = () =>
    Trainer.create({ params: mlpInit(2), loss: mlpLoss(batch), optimizer: { lr: { baseLr: 0.01, totalSteps: 20 }, clipNorm: 1, noDecay: ['b0', 'b1', 'b2'] }, threads: 1 });
  const a = await make();
  const b = await make();
  for (let k = 0; k < 10; k++) {
    const ra = await a.step(feeds);
    const rb = await b.step(feeds);
    assert.deepEqual(ra, rb);
  }
  const c = await make();
  c.load(b.params(), b.optimizerState());
  assert.equal(c.stepCount, 10);
  assert.equal(c.nextLr, a.nextLr);
  for (let k = 0; k < 5; k++) assert.deepEqual(await c.step(feeds), await a.step(feeds));
  for (const [name, arr] of a.params()) assert.deepEqual(c.params().get(name), arr, name);

  assert.throws(() => c.load(new Map([['w0', new Float32Array(3)]])), (e: Error) => e instanceof RuntimeError && /parameter 'w0' must be a float32 array of 64 values/.test(e.message));
  await assert.rejects(c.step({ x: feeds.x, y: feeds.y, z: feeds.y }), /'z' is not a batch input \(batch inputs: x, y\)/);
  await assert.rejects(
    Trainer.create({ params: { w: { data: new Float32Array(3), shape: [2, 2] } }, loss: (g, p) => g.reduceSum(p.get('w')!), optimizer: { lr: 0.1 } }),
    /parameter 'w' has 3 values for shape \[2,2\]/,
  );
});
