// The planet's stirring as SFNO forcing channels: the field against the planet's own stirring tendency, its
// normalisation and linearity in time, the checkpoint layout's checks, and a forced rollout against step-by-step
// forwards on fully assembled inputs (the Forecaster included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../../src/engine/graph.ts';
import { compile } from '../../src/engine/runtime.ts';
import { createSht } from '../../src/sphere/reference.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';
import { type ChannelLayout, CheckpointError, loadCheckpoint, saveCheckpoint } from '../../src/models/checkpoint.ts';
import { assembleInput, assembleState, channelStats, forcingInternal, loadTruth, rolloutInternal, seasonFeatures, staticsInternal } from '../../src/models/forecast.ts';
import { STIRRING_FORCINGS, StirringForcing, stirringSpecOf } from '../../src/models/forcing.ts';
import { Forecaster } from '../../src/models/forecaster.ts';
import { Sfno, constantParameters, initSfnoParameters, resolveSfnoConfig } from '../../src/models/sfno.ts';
import { DEFAULT_PLANET, FORECAST_GRID, Planet } from '../../src/world/planet.ts';
import { maxRelativeDifference } from './compare.ts';
import { writeSyntheticTruth } from './synthetic-truth.ts';

const work = mkdtempSync(join(tmpdir(), 'myriad-forcing-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const rms = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0) / a.length);

test('stirring forcing: the planet model\'s own stirring tendency on the forecast grid, divided by the rate', () => {
  const spec = stirringSpecOf(DEFAULT_PLANET)!;
  const grid = { kind: 'legendre-gauss' as const, nlat: FORECAST_GRID.nlat, nlon: FORECAST_GRID.nlon };
  const forcing = new StirringForcing(spec, grid);
  // the planet at forecast resolution applies the envelope on its grid and truncates the product to l < 43
  const planet = new Planet(DEFAULT_PLANET, { nlat: FORECAST_GRID.nlat, lmax: FORECAST_GRID.lmax, dt: 480 });
  const sht = createSht(grid, { lmax: FORECAST_GRID.lmax, mmax: FORECAST_GRID.lmax, norm: 'ortho', csphase: false });
  for (const hours of [1234 * 6, 1234 * 6 + 3, 98765.5]) {
    const st = planet.stirringSpectra(hours * 3600);
    const ref = sht.inverse({ re: st.re, im: st.im, shape: [FORECAST_GRID.lmax, FORECAST_GRID.lmax] }).data;
    const f = forcing.field(hours);
    const diff = Float64Array.from(f, (v, i) => v - ref[i] / DEFAULT_PLANET.stirringRate);
    const rel = rms(diff) / rms(f);
    assert.ok(rms(f) > 0.1, `field rms ${rms(f)}`);
    assert.ok(rel < 1e-3, `hours ${hours}: relative rms difference ${rel}`);
  }
});

test('stirring forcing: unit variance at the envelope peak, linear between 6-h knots, seed and rate recorded', () => {
  const grid = { kind: 'legendre-gauss' as const, nlat: 64, nlon: 128 };
  const spec = stirringSpecOf({ ...DEFAULT_PLANET, stirringLatitudeWidth: 0 })!;
  const forcing = new StirringForcing(spec, grid);
  // isotropic field of grid mean square rate²: pointwise variance 1 after division by the rate, at every latitude
  let ss = 0;
  let n = 0;
  for (let q = 0; q < 150; q++) {
    const f = forcing.field(q * 120); // 5 days apart: τ = 0.5 d, independent samples
    for (const v of f) ss += v * v;
    n += f.length;
  }
  assert.ok(Math.abs(ss / n - 1) < 0.1, `mean square ${ss / n}`);
  // with the envelope, the rows nearest ±45° keep variance ≈ envelope² there
  const enveloped = new StirringForcing(stirringSpecOf(DEFAULT_PLANET)!, grid);
  const lat = gridGeometry(grid).latitudesDeg;
  const row = lat.reduce((best, v, k) => (Math.abs(v - 45) < Math.abs(lat[best] - 45) ? k : best), 0);
  const e2 = Math.exp(-2 * ((lat[row] - 45) / 20) ** 2);
  let rs = 0;
  for (let q = 0; q < 150; q++) {
    const f = enveloped.field(q * 120 + 3000);
    for (let j = 0; j < 128; j++) rs += f[row * 128 + j] ** 2;
  }
  assert.ok(Math.abs(rs / (150 * 128) / e2 - 1) < 0.25, `variance at ${lat[row].toFixed(1)}°: ${rs / (150 * 128)} vs ${e2}`);
  // linear in time between knots
  const a = forcing.field(600);
  const b = forcing.field(606);
  const mid = forcing.field(603);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(mid[i] - (a[i] + b[i]) / 2) < 1e-5);
  assert.deepEqual(forcing.channel('stirring_start', 600, 6), a);
  assert.deepEqual(forcing.channel('stirring_end', 600, 6), b);
  assert.throws(() => forcing.channel('wind', 600, 6), /unknown forcing channel 'wind'/);
  // another seed, another field
  const other = new StirringForcing({ ...spec, stirringSeed: 2 }, grid).field(600);
  assert.ok(rms(Float64Array.from(other, (v, i) => v - a[i])) > 0.5);
  // no stirring, no forcing
  assert.equal(stirringSpecOf({ stirringRate: 0 }), null);
  assert.throws(() => new StirringForcing({ ...spec, stirringRate: 0 }, grid), /stirringRate must be positive/);
  assert.throws(() => new StirringForcing(spec, { kind: 'legendre-gauss', nlat: 8, nlon: 16 }), /degree 16 does not fit a grid of 8 latitudes/);
});

const PHYSICS = { stirringMinDegree: 2, stirringMaxDegree: 4, stirringRate: 1e-10 };

test('forced rollout equals step-by-step forwards on assembled inputs; the Forecaster needs the planet time', async () => {
  const path = join(work, 'truth.zarr');
  await writeSyntheticTruth(path, { hours: [0, 6, 12, 18, 24, 30], nlat: 8, nlon: 16, physics: PHYSICS });
  const data = await loadTruth(path);
  assert.ok(data.forcing, 'the store records a stirring');
  assert.equal(data.forcing!.spec.stirringMaxDegree, 4);
  const layout: ChannelLayout = {
    prognostic: ['u', 'v', 'height', 'tracer'], statics: ['orography', 'land_fraction'], timeFeatures: ['season_sin', 'season_cos'],
    residual: true, stepHours: 6, forcings: [...STIRRING_FORCINGS], stirring: data.forcing!.spec,
  };
  const nIn = 10;
  const stats = channelStats(data, [0, 1, 2, 3, 4], layout);
  const cfg = resolveSfnoConfig({ imgSize: [8, 16], inChans: nIn, outChans: 4, embedDim: 6, numLayers: 2, scaleFactor: 1, bigSkip: true, posEmbed: 'latlon', normalization: 'instance_norm', activation: 'gelu' });
  const model = new Sfno(cfg);
  const values = initSfnoParameters(cfg, 3);
  const P = 8 * 16;
  // the assembled input's last two channels are the stirring at t and t + 6 h
  const x = new Float32Array(nIn * P);
  assembleInput(data, 1, layout, stats, x, 0);
  assert.deepEqual(x.subarray(8 * P, 9 * P), data.forcing!.field(6));
  assert.deepEqual(x.subarray(9 * P, 10 * P), data.forcing!.field(12));
  // reference: forward on fully assembled public inputs, twice, feeding the first prediction back
  const ref = new Graph('ref');
  const pr = constantParameters(ref, cfg, values);
  const xr = ref.input('x', 'float32', ['N', nIn, 8, 16]);
  ref.output('y', ref.add(model.forward(ref, pr, xr), ref.slice(xr, [0], [4], [1])));
  const refExe = await compile(ref, { threads: 1 });
  const x1 = new Float32Array(nIn * P);
  assembleInput(data, 0, layout, stats, x1, 0);
  const y1 = (await refExe.run({ x: { data: x1, shape: [1, nIn, 8, 16] } })).y.data as Float32Array;
  const x2 = new Float32Array(nIn * P);
  assembleInput(data, 1, layout, stats, x2, 0);
  x2.set(y1.subarray(0, 4 * P), 0);
  const y2 = (await refExe.run({ x: { data: x2, shape: [1, nIn, 8, 16] } })).y.data as Float32Array;
  const cmp = (a: Float32Array, b: Float32Array) => maxRelativeDifference(a, b, 4 * P);
  // the rollout graph with the forcing as a shared per-step input
  const g = new Graph('rollout');
  const p = constantParameters(g, cfg, values);
  const s0 = g.input('state', 'float32', ['N', 4, 8, 16]);
  const statics = g.constant(staticsInternal(model, layout, stats, data.statics), [16, 2, 8]);
  const season = g.input('season', 'float32', [2, 2]);
  const forcing = g.input('forcing', 'float32', [16, 3, 8]);
  const states = rolloutInternal(g, model, layout, p, model.toInternal(g, s0), statics, season, 2, forcing);
  states.forEach((s, i) => g.output(`s${i}`, model.fromInternal(g, s)));
  const exe = await compile(g, { threads: 1 });
  const state = new Float32Array(2 * 4 * P);
  assembleState(data, 0, layout, stats, state, 0);
  assembleState(data, 0, layout, stats, state, 1);
  const seasonData = Float32Array.from([...seasonFeatures(data.dayOfYear[0]), ...seasonFeatures(data.dayOfYear[1])]);
  const fields = [0, 6, 12].map((h) => data.forcing!.field(h));
  const run = (f: Float32Array[]) => exe.run({ state: { data: state, shape: [2, 4, 8, 16] }, season: { data: seasonData, shape: [2, 2] }, forcing: { data: forcingInternal(model, f), shape: [16, 3, 8] } });
  const out = await run(fields);
  assert.ok(cmp(out.s0.data as Float32Array, y1) < 1e-5, `step 1: ${cmp(out.s0.data as Float32Array, y1)}`);
  assert.ok(cmp(out.s1.data as Float32Array, y2) < 1e-5, `step 2: ${cmp(out.s1.data as Float32Array, y2)}`);
  // the forcing matters: another stirring gives another forecast
  const shifted = await run([600, 606, 612].map((h) => data.forcing!.field(h)));
  assert.ok(cmp(shifted.s0.data as Float32Array, y1) > 1e-4, `forcing ignored: ${cmp(shifted.s0.data as Float32Array, y1)}`);
  assert.throws(() => rolloutInternal(new Graph('x'), model, layout, p, model.toInternal(g, s0), statics, season, 2, null), /forcing must be \[16, 3, 8\]/);

  // the Forecaster computes the forcing from the checkpoint's stirring and the planet time
  const ck = { config: cfg, channels: layout, normalisation: stats, seed: 3, step: 0, params: values };
  const fc = await Forecaster.create(ck, { steps: 2, statics: data.statics, threads: 1 });
  assert.equal(fc.needsPlanetTime, true);
  const phys = new Float32Array(2 * 4 * P);
  for (let m = 0; m < 2; m++) layout.prognostic.forEach((name, c) => phys.set(data.fields.get(name)!.subarray(0, P), (m * 4 + c) * P));
  const [f1, f2] = await fc.run(phys, 2, data.dayOfYear[0], data.planetHours[0]);
  const denorm = (y: Float32Array) => Float32Array.from(y.subarray(0, 4 * P), (v, i) => v * stats.std[Math.floor(i / P)] + stats.mean[Math.floor(i / P)]);
  assert.ok(cmp(f1, denorm(y1)) < 1e-5, `forecaster step 1: ${cmp(f1, denorm(y1))}`);
  assert.ok(cmp(f2, denorm(y2)) < 1e-5, `forecaster step 2: ${cmp(f2, denorm(y2))}`);
  await assert.rejects(fc.run(phys, 2, data.dayOfYear[0]), /planet time \(noleap hours since 2000-01-01\) is required/);

  // the layout survives a checkpoint round trip; bad forcing entries are refused naming the problem
  const file = join(work, 'forced.safetensors');
  saveCheckpoint(file, ck);
  const back = loadCheckpoint(file);
  assert.deepEqual(back.channels.forcings, [...STIRRING_FORCINGS]);
  assert.deepEqual(back.channels.stirring, layout.stirring);
  const bad: [Partial<ChannelLayout>, RegExp][] = [
    [{ forcings: ['stirring_start', 'wind'] }, /unknown forcing 'wind'/],
    [{ forcings: ['stirring_start', 'stirring_start'] }, /names 'stirring_start' twice/],
    [{ stirring: undefined }, /stirring must be an object/],
    [{ stirring: { ...layout.stirring!, stirringRate: 0 } }, /stirringRate must be positive/],
    [{ stirring: { ...layout.stirring!, stirringDays: -1 } }, /stirringDays must be a positive number/],
  ];
  for (const [change, message] of bad) assert.throws(() => saveCheckpoint(join(work, 'bad.safetensors'), { ...ck, channels: { ...layout, ...change } }), (e: Error) => e instanceof CheckpointError && message.test(e.message), JSON.stringify(change));
  // a store without the planet's stirring cannot feed a forced model
  const plain = join(work, 'plain.zarr');
  await writeSyntheticTruth(plain, { hours: [0, 6, 12], nlat: 8, nlon: 16 });
  const plainData = await loadTruth(plain);
  assert.equal(plainData.forcing, null);
  assert.throws(() => assembleInput(plainData, 0, layout, stats, new Float32Array(nIn * P), 0), /records no stirring/);
});

test('training on a store with a stirring gives a forced checkpoint (single- and multi-step); opting out gives none', async () => {
  const { trainSfno } = await import('../../src/models/train.ts');
  const { yearBoundaryHours } = await import('./synthetic-truth.ts');
  const path = join(work, 'train-truth.zarr');
  await writeSyntheticTruth(path, { hours: yearBoundaryHours(4, 2), nlat: 8, nlon: 16, physics: PHYSICS });
  const common = { data: path, seed: 2, model: { embedDim: 8, numLayers: 1, mlpRatio: 1 }, epochs: 1, batchSize: 4, lr: 5e-3, threads: 1, progress: false };
  const forced = await trainSfno({ ...common, out: join(work, 'forced') });
  const ck = loadCheckpoint(forced.bestPath);
  assert.equal(ck.config.inChans, 10);
  assert.deepEqual(ck.channels.forcings, ['stirring_start', 'stirring_end']);
  assert.equal(ck.channels.stirring!.stirringMaxDegree, 4);
  assert.equal(ck.channels.stirring!.stirringRate, 1e-10);
  const plain = await trainSfno({ ...common, out: join(work, 'unforced'), stirringInputs: false });
  const ckPlain = loadCheckpoint(plain.bestPath);
  assert.equal(ckPlain.config.inChans, 8);
  assert.equal(ckPlain.channels.forcings, undefined);
  // a 2-step fine-tune feeds the forcing of the second step; fine-tuning keeps the checkpoint's channels
  const tuned = await trainSfno({ ...common, out: join(work, 'forced-k2'), initFrom: forced.bestPath, rolloutSteps: 2 });
  assert.equal(tuned.finished, true);
  assert.ok(tuned.bestValLoss <= tuned.initialValLoss && Number.isFinite(tuned.bestValLoss));
  assert.deepEqual(loadCheckpoint(tuned.bestPath).channels.forcings, ['stirring_start', 'stirring_end']);
  const plainTuned = await trainSfno({ ...common, out: join(work, 'unforced-k2'), initFrom: plain.bestPath, rolloutSteps: 2 });
  assert.equal(loadCheckpoint(plainTuned.bestPath).config.inChans, 8);
  // a forced checkpoint cannot be fine-tuned on data without that stirring
  const other = join(work, 'other-truth.zarr');
  await writeSyntheticTruth(other, { hours: yearBoundaryHours(4, 2), nlat: 8, nlon: 16, physics: { ...PHYSICS, stirringSeed: 5 } });
  await assert.rejects(trainSfno({ ...common, data: other, out: join(work, 'mixed'), initFrom: forced.bestPath }), /was trained with the stirring .*"stirringSeed":1.*has .*"stirringSeed":5/);
  const none = join(work, 'none-truth.zarr');
  await writeSyntheticTruth(none, { hours: yearBoundaryHours(4, 2), nlat: 8, nlon: 16 });
  await assert.rejects(trainSfno({ ...common, data: none, out: join(work, 'mixed2'), initFrom: forced.bestPath }), /records no stirring/);
});
