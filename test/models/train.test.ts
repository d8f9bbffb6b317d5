// Training from scratch on a small synthetic truth dataset: validation loss goes down, the same seed gives identical
// weights, an interrupted run resumes to the same weights, and the best checkpoint loads with its statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/models/checkpoint.ts';
import { loadTruth } from '../../src/models/forecast.ts';
import { permutation, splitSamples, trainSfno, TrainError, type TrainOptions } from '../../src/models/train.ts';
import { tinyTrainOptions, writeSyntheticTruth, yearBoundaryHours } from './synthetic-truth.ts';

const work = mkdtempSync(join(tmpdir(), 'myriad-train-'));
const data = join(work, 'truth.zarr');
const ready = writeSyntheticTruth(data, { hours: yearBoundaryHours(12, 4), nlat: 8, nlon: 16 });

process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const tiny = (out: string, seed: number, extra: Partial<TrainOptions> = {}): TrainOptions => tinyTrainOptions(data, join(work, out), seed, { epochs: 4, ...extra });

test('samples split by calendar year; pairs across the year boundary are dropped', async () => {
  await ready;
  const truth = await loadTruth(data);
  assert.equal(truth.grid.kind, 'equiangular');
  const { train, valid, validYears } = splitSamples(truth, 1);
  assert.deepEqual(validYears, [2001]);
  assert.equal(train.length, 12 * 4 - 1);
  assert.equal(valid.length, 4 * 4 - 1);
  for (const t of train) assert.equal(truth.years[t + 1], 2000);
  assert.throws(() => splitSamples(truth, 2), /cannot hold out 2/);
  // a time not written yet (NaN) removes the two pairs that touch it
  truth.fields.get('tracer')![5 * 8 * 16 + 3] = NaN;
  assert.equal(splitSamples(truth, 1).train.length, train.length - 2);
  assert.ok(!splitSamples(truth, 1).train.includes(5) && !splitSamples(truth, 1).train.includes(4));
  // a held-out period by date: validation from 2 January, a test period from 3 January 12 h (unused)
  truth.fields.get('tracer')![5 * 8 * 16 + 3] = 0;
  const period = splitSamples(truth, { from: '2001-01-02', testFrom: '2001-01-03T12' });
  assert.deepEqual(period.valid, [52, 53, 54, 55, 56]);
  assert.deepEqual(period.train, [...Array(51).keys()], "training pairs may now cross the year boundary");
  assert.deepEqual(period.validYears, [2001]);
  assert.throws(() => splitSamples(truth, { from: '2001-01-02', testFrom: '2001-01-01' }), /must come after/);
  assert.throws(() => splitSamples(truth, { from: '2001-02-29' }), /noleap/);
  const p = permutation(10, 3, 1, 0);
  assert.deepEqual([...p].sort((a, b) => a - b), [...Array(10).keys()]);
  assert.deepEqual(permutation(10, 3, 1, 0), p);
  assert.notDeepEqual(permutation(10, 3, 1, 1), p);
});

test('stores joined in time (a run and its continuation); a test period in the middle is held out', async () => {
  const { joinTruth } = await import('../../src/models/forecast.ts');
  const hours = (from: number, to: number) => Array.from({ length: (to - from) / 6 + 1 }, (_, k) => from + 6 * k);
  const a = join(work, 'join-a.zarr');
  const b = join(work, 'join-b.zarr');
  await writeSyntheticTruth(a, { hours: hours(0, 96), nlat: 8, nlon: 16 });
  await writeSyntheticTruth(b, { hours: hours(96, 192), nlat: 8, nlon: 16 }); // starts at a's last time (same fields)
  const [ta, tb] = [await loadTruth(a), await loadTruth(b)];
  const joined = joinTruth([tb, ta]); // any order
  assert.deepEqual(Array.from(joined.hours), hours(0, 192));
  const P = 8 * 16;
  const h = joined.fields.get('height')!;
  assert.deepEqual(h.subarray(0, 17 * P), ta.fields.get('height'));
  assert.deepEqual(h.subarray(16 * P), tb.fields.get('height'));
  // validation 2–3 January, test 3–6 January, training before and after
  const split = splitSamples(joined, { from: '2000-01-03', testFrom: '2000-01-04', testUntil: '2000-01-06' });
  assert.deepEqual(split.valid, [8, 9, 10]); // pairs wholly inside [t 8, t 12)
  assert.deepEqual(split.train, [...[...Array(7).keys()], ...Array.from({ length: 12 }, (_, k) => 20 + k)]);
  assert.throws(() => splitSamples(joined, { from: '2000-01-03', testFrom: '2000-01-04', testUntil: '2000-01-04' }), /test period end .* must come after the test start/);
  assert.throws(() => splitSamples(joined, { from: '2000-01-03', testUntil: '2000-01-06' }), /needs a test period start/);
  // stores that overlap by more than the junction, or whose junction differs, or of another grid, are refused
  const c = join(work, 'join-c.zarr');
  await writeSyntheticTruth(c, { hours: hours(48, 120), nlat: 8, nlon: 16 });
  const tc = await loadTruth(c);
  assert.throws(() => joinTruth([ta, tc]), /times overlap/);
  const tbShifted = await loadTruth(b);
  tbShifted.fields.get('u')![5] += 1;
  assert.throws(() => joinTruth([ta, tbShifted]), /field 'u' differs/);
  const d = join(work, 'join-d.zarr');
  await writeSyntheticTruth(d, { hours: hours(96, 120), nlat: 8, nlon: 16, kind: 'legendre-gauss' });
  const td = await loadTruth(d);
  assert.throws(() => joinTruth([ta, td]), /grid legendre-gauss 8×16 differs/);
  // training reads several stores
  const r = await trainSfno(tiny('joined', 5, { data: [a, b], epochs: 1, validationPeriod: { from: '2000-01-03', testFrom: '2000-01-04', testUntil: '2000-01-06' } }));
  assert.equal(r.finished, true);
  assert.equal(r.steps, Math.floor(19 / 4));
});

test('training lowers the validation loss; same seed, same weights; resume gives the same weights', async () => {
  await ready;
  const a = await trainSfno(tiny('a', 5));
  assert.equal(a.finished, true);
  assert.equal(a.history.length, 4);
  assert.ok(a.bestValLoss < 0.5 * a.initialValLoss, `best validation loss ${a.bestValLoss} vs initial ${a.initialValLoss}`);
  assert.ok(a.history[3].trainLoss < a.history[0].trainLoss, `train loss ${a.history.map((h) => h.trainLoss)}`);
  const ckA = loadCheckpoint(a.bestPath);
  assert.equal(ckA.seed, 5);
  assert.deepEqual(ckA.channels.prognostic, ['u', 'v', 'height', 'tracer']);
  assert.equal(ckA.config.inChans, 8);
  const hMean = ckA.normalisation.mean[ckA.normalisation.channels.indexOf('height')];
  assert.ok(Math.abs(hMean - 100) < 2, `height mean ${hMean}`);
  // the residual scale: std of the normalised 6-h change of height over the training pairs, computed here directly
  const truth = await loadTruth(data);
  const { train } = splitSamples(truth, 1);
  const P = truth.grid.nlat * truth.grid.nlon;
  const h = truth.fields.get('height')!;
  const hStd = ckA.normalisation.std[ckA.normalisation.channels.indexOf('height')];
  const d = train.flatMap((t) => Array.from({ length: P }, (_, p) => (h[(t + 1) * P + p] - h[t * P + p]) / hStd));
  const dm = d.reduce((x, y) => x + y, 0) / d.length;
  const dStd = Math.sqrt(d.reduce((x, y) => x + (y - dm) ** 2, 0) / d.length);
  assert.equal(ckA.channels.residualScale?.length, 4);
  assert.ok(Math.abs(ckA.channels.residualScale![2] - dStd) < 1e-9 * Math.max(1, dStd), `residual scale ${ckA.channels.residualScale![2]} vs ${dStd}`);

  const b = await trainSfno(tiny('b', 5));
  const ckB = loadCheckpoint(b.bestPath);
  assert.equal(ckB.step, ckA.step);
  for (const [n, v] of ckA.params) assert.deepEqual(ckB.params.get(n), v, `parameter ${n} differs between two runs with seed 5`);
  assert.deepEqual(b.history.map((h) => h.valLoss), a.history.map((h) => h.valLoss));

  const c = await trainSfno(tiny('c', 6));
  assert.notDeepEqual(loadCheckpoint(c.bestPath).params.get('encoder.0.weight'), ckA.params.get('encoder.0.weight'));

  // interrupted after 7 steps (mid-epoch 1 of 11 steps per epoch), then resumed: the same final weights
  const first = await trainSfno(tiny('d', 5, { stopAfterSteps: 7 }));
  assert.equal(first.finished, false);
  assert.equal(first.steps, 7);
  const resumed = await trainSfno(tiny('d', 5));
  assert.equal(resumed.finished, true);
  assert.deepEqual(resumed.history.map((h) => h.valLoss), a.history.map((h) => h.valLoss));
  const ckD = loadCheckpoint(resumed.bestPath);
  for (const [n, v] of ckA.params) assert.deepEqual(ckD.params.get(n), v, `parameter ${n} differs after resuming`);

  // a resume directory of another run is refused
  await assert.rejects(trainSfno(tiny('d', 9, { stopAfterSteps: 1 })), /different run/);
});

test('bad training options are rejected with the option named', async () => {
  await ready;
  await assert.rejects(trainSfno(tiny('e', 1, { batchSize: 0 })), (e: Error) => e instanceof TrainError && /batchSize/.test(e.message));
  await assert.rejects(trainSfno(tiny('e', 1, { batchSize: 400 })), /batchSize 400 exceeds/);
  await assert.rejects(trainSfno(tiny('e', 1, { model: { embedDim: -3 } })), /embedDim/);
  await assert.rejects(trainSfno({ ...tiny('e', 1), data: join(work, 'missing.zarr') }), /cannot open/);
});
