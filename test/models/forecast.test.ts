// Forecast inputs: grid detection, statistics, seasonal features, and the in-graph rollout with shared statics
// against step-by-step forwards on fully assembled inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../../src/engine/graph.ts';
import { compile } from '../../src/engine/runtime.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';
import type { ChannelLayout } from '../../src/models/checkpoint.ts';
import {
  assembleInput, assembleState, channelStats, detectGridKind, loadTruth, rolloutInternal, seasonFeatures, staticsInternal,
} from '../../src/models/forecast.ts';
import { Sfno, constantParameters, initSfnoParameters, resolveSfnoConfig } from '../../src/models/sfno.ts';
import { Forecaster } from '../../src/models/forecaster.ts';
import { maxRelativeDifference } from './compare.ts';
import { writeSyntheticTruth } from './synthetic-truth.ts';

const work = mkdtempSync(join(tmpdir(), 'myriad-forecast-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

test('latitudes identify the grid kind', () => {
  for (const kind of ['equiangular', 'legendre-gauss', 'lobatto'] as const)
    assert.equal(detectGridKind(gridGeometry({ kind, nlat: 12, nlon: 24 }).latitudesDeg, 24), kind);
  assert.throws(() => detectGridKind([80, 40, 0, -40, -80], 10), /match no equiangular/);
});

test('season features: phase of the noleap year', () => {
  const [s0, c0] = seasonFeatures(0);
  assert.equal(s0, 0);
  assert.equal(c0, 1);
  const [s1, c1] = seasonFeatures(365 / 4);
  assert.ok(Math.abs(s1 - 1) < 1e-12 && Math.abs(c1) < 1e-12);
});

test('rollout with shared statics equals step-by-step forwards on assembled inputs', async () => {
  const path = join(work, 'truth.zarr');
  await writeSyntheticTruth(path, { hours: [0, 6, 12, 18, 24, 30], nlat: 8, nlon: 16 });
  const data = await loadTruth(path);
  assert.equal(data.dayOfYear[4], 1);
  const layout: ChannelLayout = { prognostic: ['u', 'v', 'height', 'tracer'], statics: ['orography', 'land_fraction'], timeFeatures: ['season_sin', 'season_cos'], residual: true, stepHours: 6 };
  const stats = channelStats(data, [0, 1, 2, 3, 4], layout);
  assert.ok(Math.abs(stats.mean[2] - 100) < 2);
  const cfg = resolveSfnoConfig({ imgSize: [8, 16], inChans: 8, outChans: 4, embedDim: 6, numLayers: 2, scaleFactor: 1, bigSkip: true, posEmbed: 'latlon', normalization: 'instance_norm', activation: 'gelu' });
  const model = new Sfno(cfg);
  const values = initSfnoParameters(cfg, 3);
  const P = 8 * 16;
  const N = 2;
  const starts = [0, 1];
  // reference: forward on fully assembled public inputs, twice, feeding the first prediction back as the state
  const ref = new Graph('ref');
  const pr = constantParameters(ref, cfg, values);
  const xr = ref.input('x', 'float32', ['N', 8, 8, 16]);
  ref.output('y', ref.add(model.forward(ref, pr, xr), ref.slice(xr, [0], [4], [1])));
  const refExe = await compile(ref, { threads: 1 });
  const x = new Float32Array(N * 8 * P);
  starts.forEach((t, k) => assembleInput(data, t, layout, stats, x, k));
  const y1 = (await refExe.run({ x: { data: x, shape: [N, 8, 8, 16] } })).y.data as Float32Array;
  const x2 = new Float32Array(N * 8 * P);
  starts.forEach((t, k) => assembleInput(data, t + 1, layout, stats, x2, k)); // statics and season of t+1
  for (let k = 0; k < N; k++) x2.set(y1.subarray(k * 4 * P, (k + 1) * 4 * P), k * 8 * P);
  const y2 = (await refExe.run({ x: { data: x2, shape: [N, 8, 8, 16] } })).y.data as Float32Array;

  // rollout: both members start at the same time (shared season), so use start 0 for both here
  const g = new Graph('rollout');
  const p = constantParameters(g, cfg, values);
  const s0 = g.input('state', 'float32', ['N', 4, 8, 16]);
  const statics = g.constant(staticsInternal(model, layout, stats, data.statics), [16, 2, 8]);
  const season = g.input('season', 'float32', [2, 2]);
  const states = rolloutInternal(g, model, layout, p, model.toInternal(g, s0), statics, season, 2);
  states.forEach((s, i) => g.output(`s${i}`, model.fromInternal(g, s)));
  const exe = await compile(g, { threads: 1 });
  const state = new Float32Array(N * 4 * P);
  for (let k = 0; k < N; k++) assembleState(data, 0, layout, stats, state, k);
  const seasonData = Float32Array.from([...seasonFeatures(data.dayOfYear[0]), ...seasonFeatures(data.dayOfYear[1])]);
  const out = await exe.run({ state: { data: state, shape: [N, 4, 8, 16] }, season: { data: seasonData, shape: [2, 2] } });
  // member 0 of the reference started at t = 0 as well
  const cmp = (a: Float32Array, b: Float32Array) => maxRelativeDifference(a, b, 4 * P);
  assert.ok(cmp(out.s0.data as Float32Array, y1) < 1e-5, `step 1: ${cmp(out.s0.data as Float32Array, y1)}`);
  assert.ok(cmp(out.s1.data as Float32Array, y2) < 1e-5, `step 2: ${cmp(out.s1.data as Float32Array, y2)}`);
  // and the second member differs from the first in the reference (it started 6 h later): the test is not vacuous
  assert.ok(cmp(y1.subarray(4 * P), y1) > 1e-3);

  // the Forecaster: physical units in and out, the same two steps
  const fc = await Forecaster.create({ config: cfg, channels: layout, normalisation: stats, seed: 3, step: 0, params: values }, { steps: 2, statics: data.statics, threads: 1 });
  const phys = new Float32Array(4 * P);
  layout.prognostic.forEach((name, c) => phys.set(data.fields.get(name)!.subarray(0, P), c * P));
  const [f1, f2] = await fc.run(phys, 1, data.dayOfYear[0]);
  const denorm = (y: Float32Array) => Float32Array.from(y.subarray(0, 4 * P), (v, i) => v * stats.std[Math.floor(i / P)] + stats.mean[Math.floor(i / P)]);
  assert.ok(cmp(f1, denorm(y1)) < 1e-5, `forecaster step 1: ${cmp(f1, denorm(y1))}`);
  assert.ok(cmp(f2, denorm(y2)) < 1e-5, `forecaster step 2: ${cmp(f2, denorm(y2))}`);
  await assert.rejects(fc.run(phys, 2, 0), /expected 2 members × 4 channels × 8 × 16/);
});
