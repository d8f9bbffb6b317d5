// The adjusted-MSE training loss (AMSE, Subich et al. 2025): the graph loss against a float64 reference built from
// the plain-TypeScript SHT and the formula, equality with the grid MSE when the spectra agree, the excess the formula
// predicts for damped and decorrelated degrees, finite-difference gradients, a tiny training run, and bad values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../../src/engine/graph.ts';
import { compile, releaseSessions } from '../../src/engine/runtime.ts';
import { loadCheckpoint } from '../../src/models/checkpoint.ts';
import { Sfno, resolveSfnoConfig } from '../../src/models/sfno.ts';
import { AMSE_EPSILON, amseTruncation, scaledErrorSum, sphereAmseSum, trainSfno, TrainError, type TrainOptions } from '../../src/models/train.ts';
import type { Grid } from '../../src/sphere/grid.ts';
import { createSht } from '../../src/sphere/reference.ts';
import { ShtPlan, toInternal } from '../../src/sphere/sht.ts';
import { gradCheck, lcg } from '../engine/gradcheck.ts';
import { tinyTrainOptions, writeSyntheticTruth, yearBoundaryHours } from './synthetic-truth.ts';

const GRID: Grid = { kind: 'legendre-gauss', nlat: 64, nlon: 128 };
const BAND = 40; // random fields hold degrees l < BAND: products stay within the grid's exact quadrature
const N = 2;
const C = 2;
const P = GRID.nlat * GRID.nlon;
const model = new Sfno(resolveSfnoConfig({ imgSize: [GRID.nlat, GRID.nlon], grid: GRID.kind, inChans: C, outChans: C, embedDim: 4, numLayers: 1, scaleFactor: 2 }));
const W = Float32Array.from([1.5, 0.5]); // per-channel weights (residual scale⁻¹ in training)
const synth = createSht(GRID, { lmax: BAND, mmax: BAND });
const analyser = createSht(GRID, amseTruncation(GRID));

/** Spectra (re, im) [N·C, BAND, BAND] with a red spectrum, m ≤ l, Im = 0 at m = 0. */
function randomSpectra(seed: number): { re: Float64Array; im: Float64Array } {
  const rnd = lcg(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const n = N * C * BAND * BAND;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let f = 0; f < N * C; f++)
    for (let l = 0; l < BAND; l++)
      for (let m = 0; m <= l; m++) {
        const i = (f * BAND + l) * BAND + m;
        const amp = 3 / (1 + l) ** 0.8;
        re[i] = amp * gauss();
        im[i] = m === 0 ? 0 : amp * gauss();
      }
  return { re, im };
}

/** Fields [N, C, nlat, nlon] (float32) of spectra [N·C, BAND, BAND]. */
function fields(c: { re: Float64Array; im: Float64Array }): Float32Array {
  return Float32Array.from(synth.inverse({ re: c.re, im: c.im, shape: [N * C, BAND, BAND] }).data);
}

/**
 * Changes every coefficient at degrees l ≥ from: × amount, and, when `phases`, rotated by a random phase (m > 0) or a
 * random sign (m = 0, which must stay real): the per-degree power of the rotated coefficients is unchanged.
 */
function transform(c: { re: Float64Array; im: Float64Array }, from: number, amount: number, phases: boolean, seed = 99) {
  const rnd = lcg(seed);
  const re = Float64Array.from(c.re);
  const im = Float64Array.from(c.im);
  for (let f = 0; f < N * C; f++)
    for (let l = from; l < BAND; l++)
      for (let m = 0; m <= l; m++) {
        const i = (f * BAND + l) * BAND + m;
        let cr = amount;
        let ci = 0;
        if (phases) {
          if (m === 0) cr *= rnd() < 0.5 ? -1 : 1;
          else {
            const phi = 2 * Math.PI * rnd();
            ci = cr * Math.sin(phi);
            cr *= Math.cos(phi);
          }
        }
        re[i] = c.re[i] * cr - c.im[i] * ci;
        im[i] = c.re[i] * ci + c.im[i] * cr;
      }
  return { re, im };
}

/** Per field (n, c) and degree: PSD of x and y and their cross spectrum, float64, from the reference SHT of w_c·field. */
function referenceSpectra(a: Float32Array, b: Float32Array) {
  const { lmax, mmax } = analyser.config;
  const weighted = (x: Float32Array) => Float64Array.from(x, (v, i) => v * W[Math.floor(i / P) % C]);
  const X = analyser.forward({ data: weighted(a), shape: [N * C, GRID.nlat, GRID.nlon] });
  const Y = analyser.forward({ data: weighted(b), shape: [N * C, GRID.nlat, GRID.nlon] });
  const out: { px: number; py: number; cxy: number }[] = [];
  for (let f = 0; f < N * C; f++)
    for (let l = 0; l < lmax; l++) {
      let px = 0;
      let py = 0;
      let cxy = 0;
      for (let m = 0; m < Math.min(mmax, l + 1); m++) {
        const i = (f * lmax + l) * mmax + m;
        const k = m === 0 ? 1 : 2;
        px += k * (X.re[i] ** 2 + X.im[i] ** 2);
        py += k * (Y.re[i] ** 2 + Y.im[i] ** 2);
        cxy += k * (X.re[i] * Y.re[i] + X.im[i] * Y.im[i]);
      }
      out.push({ px, py, cxy });
    }
  return out;
}

/** The brief's formula, float64: Σ (√PSDx − √PSDy)² + 2·max(PSDx, PSDy)·(1 − ρ), with the documented ε guard. */
function referenceAmse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (const { px, py, cxy } of referenceSpectra(a, b)) {
    const sx = Math.sqrt(px + AMSE_EPSILON);
    const sy = Math.sqrt(py + AMSE_EPSILON);
    s += (sx - sy) ** 2 + 2 * Math.max(px, py) * (1 - cxy / (sx * sy));
  }
  return s;
}

/** The training code's loss fragments on public [N, C, nlat, nlon] inputs: AMSE and the existing grid MSE. */
const lossGraph = (async () => {
  const g = new Graph('amse_vs_mse');
  const a = model.toInternal(g, g.input('a', 'float32', [N, C, GRID.nlat, GRID.nlon]));
  const b = model.toInternal(g, g.input('b', 'float32', [N, C, GRID.nlat, GRID.nlon]));
  g.output('amse', scaledErrorSum(g, model, a, b, W, 'amse'));
  g.output('mse', scaledErrorSum(g, model, a, b, W));
  return compile(g, { threads: 1 });
})();

async function losses(a: Float32Array, b: Float32Array): Promise<{ amse: number; mse: number }> {
  const exe = await lossGraph;
  const out = await exe.run({ a: { data: a, shape: [N, C, GRID.nlat, GRID.nlon] }, b: { data: b, shape: [N, C, GRID.nlat, GRID.nlon] } });
  return { amse: (out.amse.data as Float32Array)[0], mse: (out.mse.data as Float32Array)[0] };
}

const close = (x: number, y: number, rel: number, what: string) => assert.ok(Math.abs(x - y) <= rel * Math.abs(y), `${what}: ${x} vs ${y} (relative ${Math.abs(x - y) / Math.abs(y)})`);

test('the graph AMSE equals the formula evaluated in float64 with the reference SHT', async () => {
  const truth = randomSpectra(1);
  const b = fields(truth);
  // a forecast with damped, partly decorrelated small scales and an independent error everywhere
  const noise = randomSpectra(2);
  const damped = transform(truth, 12, 0.6, true);
  const a = fields({ re: damped.re.map((v, i) => v + 0.3 * noise.re[i]), im: damped.im.map((v, i) => v + 0.3 * noise.im[i]) });
  const ref = referenceAmse(a, b);
  const { amse, mse } = await losses(a, b);
  close(amse, ref, 2e-5, 'AMSE');
  assert.ok(amse > mse * 1.05, `AMSE ${amse} exceeds MSE ${mse} for damped decorrelated scales`);
  // a prediction equal to the truth has no loss; a prediction of zero costs the truth's power (ρ reads 0 there)
  assert.ok(Math.abs((await losses(b, b)).amse) <= 1e-5 * ref, 'AMSE of the truth itself');
  const zero = new Float32Array(b.length);
  close((await losses(zero, b)).amse, referenceAmse(zero, b), 2e-5, 'AMSE of a zero forecast');
});

test('with truth’s per-degree spectrum (random phases) AMSE equals the existing grid MSE', async () => {
  const truth = randomSpectra(3);
  const b = fields(truth);
  const a = fields(transform(truth, 0, 1, true, 7));
  const { amse, mse } = await losses(a, b);
  // Parseval, independently: MSE's per-degree decomposition (σx − σy)² + 2σxσy(1 − ρ) from the reference spectra
  let parseval = 0;
  for (const { px, py, cxy } of referenceSpectra(a, b)) parseval += px + py - 2 * cxy;
  close(mse, parseval, 2e-5, 'grid MSE vs its spectral decomposition');
  close(amse, mse, 2e-5, 'AMSE vs MSE at equal spectra');
});

test('damped (and decorrelated) high degrees: AMSE exceeds MSE by what the formula predicts, and damping no longer pays', async () => {
  const truth = randomSpectra(4);
  const b = fields(truth);
  // pure damping keeps ρ = 1: both losses are Σ (σx − σy)², no excess
  const pure = await losses(fields(transform(truth, 20, 0.5, false)), b);
  close(pure.amse, pure.mse, 2e-5, 'pure damping');
  // damping and decorrelation at l ≥ 20: excess Σ_l 2·(max(PSDx, PSDy) − σx·σy)·(1 − ρ)
  const rotated = fields(transform(truth, 20, 1, true));
  const damped = fields(transform(truth, 20, 0.5, true));
  let excess = 0;
  for (const { px, py, cxy } of referenceSpectra(damped, b)) {
    if (px === 0 && py === 0) continue;
    const sxy = Math.sqrt(px * py);
    excess += 2 * (Math.max(px, py) - sxy) * (1 - cxy / sxy);
  }
  const d = await losses(damped, b);
  const r = await losses(rotated, b);
  assert.ok(excess > 0.05 * d.mse, `a sizeable predicted excess: ${excess} of MSE ${d.mse}`);
  close(d.amse - d.mse, excess, 1e-4, 'AMSE − MSE of the damped, decorrelated forecast');
  // the double penalty: MSE prefers the damped forecast of decorrelated scales, AMSE the one with truth's amplitude
  assert.ok(d.mse < r.mse, `MSE rewards damping: ${d.mse} < ${r.mse}`);
  assert.ok(d.amse > r.amse, `AMSE does not: ${d.amse} > ${r.amse}`);
});

test('gradients of the AMSE match central finite differences (float64)', async () => {
  const grid: Grid = { kind: 'legendre-gauss', nlat: 6, nlon: 12 };
  const plan = new ShtPlan(grid, { ...amseTruncation(grid), dtype: 'float64' });
  const r = await gradCheck({
    inputs: [
      { name: 'x', shape: [3, 6, 12] },
      { name: 'y', shape: [3, 6, 12] },
    ],
    build: (g, [x, y]) => sphereAmseSum(g, plan, toInternal(g, plan, x), toInternal(g, plan, y)),
  });
  assert.ok(r.relErr < 1e-6, `relative error ${r.relErr}`);
  assert.ok(r.maxFd > 1e-3, 'the loss depends on its inputs');
});

const work = mkdtempSync(join(tmpdir(), 'myriad-amse-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const data = join(work, 'truth.zarr');
const ready = writeSyntheticTruth(data, { kind: 'legendre-gauss', hours: yearBoundaryHours(8, 3), nlat: 8, nlon: 16 });
const tiny = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions => tinyTrainOptions(data, join(work, out), 5, { loss: 'amse', ...extra });

test('training with loss amse lowers the validation AMSE, is reproducible and records the loss', async () => {
  await ready;
  const a = await trainSfno(tiny('a'));
  const b = await trainSfno(tiny('b'));
  assert.ok(a.bestValLoss < 0.7 * a.initialValLoss, `validation AMSE ${a.initialValLoss} → ${a.bestValLoss}`);
  const ca = loadCheckpoint(a.bestPath);
  const cb = loadCheckpoint(b.bestPath);
  for (const [n, v] of ca.params) assert.deepEqual(cb.params.get(n), v, `parameter ${n} of two same-seed runs`);
  assert.equal(ca.training?.loss, 'amse');
  // the validation loss is the AMSE: the same weights scored with the grid MSE give less (AMSE ≥ MSE)
  const mse = await trainSfno(tiny('mse', { initFrom: a.bestPath, model: undefined, loss: 'mse', epochs: 1, lr: 1e-9, stopAfterSteps: 1 }));
  assert.ok(mse.initialValLoss < a.bestValLoss, `MSE ${mse.initialValLoss} < AMSE ${a.bestValLoss} of the same weights`);
  assert.equal(loadCheckpoint(mse.bestPath).training?.loss, 'amse', 'the starting checkpoint keeps its own record');
  assert.equal((loadCheckpoint(mse.bestPath).training?.keptBy as { loss?: string }).loss, undefined, 'an mse run records no loss');
  await releaseSessions();
});

test('a bad loss is refused, naming the option and the flag', async () => {
  await ready;
  await assert.rejects(trainSfno(tiny('bad', { loss: 'l1' as 'mse' })), (e: Error) => e instanceof TrainError && /loss must be one of mse, amse, got "l1"/.test(e.message));
  const bin = new URL('../../bin/myriad.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [bin, 'train', '--data', data, '--seed', '1', '--out', join(work, 'cli'), '--loss', 'l1'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--loss must be one of mse, amse, got 'l1'/);
});
