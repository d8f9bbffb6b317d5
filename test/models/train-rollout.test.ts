// Multi-step (autoregressive) fine-tuning: K-step samples, the K-step loss against an independent rollout through
// the inference Forecaster, fine-tuning from a checkpoint (same seed → same weights, resume), input noise, bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/models/checkpoint.ts';
import { loadTruth } from '../../src/models/forecast.ts';
import { Forecaster } from '../../src/models/forecaster.ts';
import { rolloutStarts, splitSamples, trainSfno, TrainError, type TrainOptions } from '../../src/models/train.ts';
import { releaseSessions } from '../../src/engine/runtime.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';
import { tinyTrainOptions, writeSyntheticTruth, yearBoundaryHours } from './synthetic-truth.ts';

const work = mkdtempSync(join(tmpdir(), 'myriad-train-rollout-'));
const data = join(work, 'truth.zarr');
const ready = writeSyntheticTruth(data, { hours: yearBoundaryHours(8, 3), nlat: 8, nlon: 16 });

process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const tiny = (out: string, seed: number, extra: Partial<TrainOptions> = {}): TrainOptions => tinyTrainOptions(data, join(work, out), seed, extra);

test('K-step samples start where the next K pairs are all on one side of the split', () => {
  assert.deepEqual(rolloutStarts([0, 1, 2, 4, 5, 6, 7], 1), [0, 1, 2, 4, 5, 6, 7]);
  assert.deepEqual(rolloutStarts([0, 1, 2, 4, 5, 6, 7], 3), [0, 4, 5]);
  assert.deepEqual(rolloutStarts([0, 2, 4], 2), []);
});

test('fine-tuning on 2-step rollouts: the loss matches an independent rollout, lowers it, and is reproducible', async () => {
  await ready;
  const base = await trainSfno(tiny('base', 3));
  const ckBase = loadCheckpoint(base.bestPath);

  // K = 1 from the checkpoint: the same validation loss the checkpoint was selected with
  const same = await trainSfno(tiny('k1', 3, { initFrom: base.bestPath, model: undefined, epochs: 1, lr: 1e-9, stopAfterSteps: 1 }));
  assert.ok(Math.abs(same.initialValLoss - base.bestValLoss) <= 1e-6 * base.bestValLoss, `${same.initialValLoss} vs ${base.bestValLoss}`);
  // the starting weights are the first best candidate (kept unless an epoch beats them)
  assert.equal(same.finished, false);
  for (const [n, v] of ckBase.params) assert.deepEqual(loadCheckpoint(same.bestPath).params.get(n), v, `parameter ${n} of the starting candidate`);

  const opts = tiny('k2', 7, { initFrom: base.bestPath, model: undefined, rolloutSteps: 2, epochs: 2, lr: 1e-3 });
  const a = await trainSfno(opts);

  // the 2-step validation loss of the starting weights, computed independently: the inference Forecaster's
  // 2-step rollout in physical units, errors in units of std·residualScale per channel, quadrature weights × 2π/nlon
  const truth = await loadTruth(data);
  const { valid } = splitSamples(truth, 1);
  const starts = rolloutStarts(valid, 2);
  const { nlat, nlon } = truth.grid;
  const P = nlat * nlon;
  const geo = gridGeometry(truth.grid);
  const fc = await Forecaster.create(ckBase, { steps: 2, statics: truth.statics, threads: 1 });
  const chans = ckBase.channels.prognostic;
  const scale = chans.map((c, i) => ckBase.normalisation.std[ckBase.normalisation.channels.indexOf(c)] * ckBase.channels.residualScale![i]);
  let sum = 0;
  for (const t of starts) {
    const state = new Float32Array(chans.length * P);
    chans.forEach((c, i) => state.set(truth.fields.get(c)!.subarray(t * P, (t + 1) * P), i * P));
    const out = await fc.run(state, 1, truth.dayOfYear[t]);
    for (let k = 0; k < 2; k++)
      chans.forEach((c, i) => {
        const f = truth.fields.get(c)!;
        for (let p = 0; p < P; p++) {
          const d = (out[k][i * P + p] - f[(t + 1 + k) * P + p]) / scale[i];
          sum += d * d * geo.rowWeights[Math.floor(p / nlon)] * ((2 * Math.PI) / nlon);
        }
      });
  }
  const expected = sum / (starts.length * 2);
  assert.ok(Math.abs(a.initialValLoss - expected) <= 1e-4 * expected, `2-step validation loss ${a.initialValLoss} vs independent ${expected}`);
  assert.ok(a.bestValLoss < a.initialValLoss, `fine-tuning did not lower the 2-step loss: ${a.bestValLoss} vs ${a.initialValLoss}`);
  assert.equal(a.bestValLoss, Math.min(...a.history.map((h) => h.valLoss)));

  // the fine-tuned checkpoint keeps the starting checkpoint's normalisation and residual scales and records its origin
  const ckA = loadCheckpoint(a.bestPath);
  assert.deepEqual(ckA.normalisation, ckBase.normalisation);
  assert.deepEqual(ckA.channels.residualScale, ckBase.channels.residualScale);
  assert.equal(ckA.training?.rolloutSteps, 2);
  assert.equal(ckA.training?.initFrom, base.bestPath);

  // same seed → same weights; interrupted and resumed → same weights
  const b = await trainSfno({ ...opts, out: join(work, 'k2b') });
  for (const [n, v] of ckA.params) assert.deepEqual(loadCheckpoint(b.bestPath).params.get(n), v, `parameter ${n} differs between two fine-tunes with seed 7`);
  const first = await trainSfno({ ...opts, out: join(work, 'k2c'), stopAfterSteps: 3 });
  assert.equal(first.finished, false);
  const resumed = await trainSfno({ ...opts, out: join(work, 'k2c') });
  assert.deepEqual(resumed.history.map((h) => h.valLoss), a.history.map((h) => h.valLoss));
  for (const [n, v] of ckA.params) assert.deepEqual(loadCheckpoint(resumed.bestPath).params.get(n), v, `parameter ${n} differs after resuming`);
  // a resume state from other starting weights is refused
  await assert.rejects(trainSfno({ ...opts, out: join(work, 'k2c'), initFrom: a.bestPath, epochs: 3 }), /different run/);
  await releaseSessions();
});

test('bad fine-tuning options are rejected with the option named', async () => {
  await ready;
  await assert.rejects(trainSfno(tiny('e', 1, { rolloutSteps: 0 })), (e: Error) => e instanceof TrainError && /rolloutSteps/.test(e.message));
  await assert.rejects(trainSfno(tiny('e', 1, { inputNoise: -1 })), /inputNoise must be a non-negative number/);
  await assert.rejects(trainSfno(tiny('e', 1, { initFrom: join(work, 'nothing.safetensors') })), /initFrom: checkpoint .* does not exist/);
  await assert.rejects(trainSfno(tiny('e', 1, { rolloutSteps: 200 })), /no training samples of 200 consecutive/);
  const base = await trainSfno(tiny('e2', 1, { epochs: 1 }));
  // input noise changes the training (other weights), reproducibly for a seed
  const noisy = (out: string) => trainSfno(tiny(out, 1, { epochs: 1, inputNoise: 2 }));
  const [n1, n2] = [loadCheckpoint((await noisy('n1')).bestPath), loadCheckpoint((await noisy('n2')).bestPath)];
  assert.deepEqual(n1.params.get('encoder.0.weight'), n2.params.get('encoder.0.weight'));
  assert.notDeepEqual(n1.params.get('encoder.0.weight'), loadCheckpoint(base.bestPath).params.get('encoder.0.weight'));
  await assert.rejects(trainSfno(tiny('e3', 1, { initFrom: base.bestPath, model: { embedDim: 12 } })), /initFrom: .*configuration/);
  await assert.rejects(trainSfno(tiny('e3', 1, { initFrom: base.bestPath, model: undefined, residual: false })), /is residual, this run is not residual/);
});
