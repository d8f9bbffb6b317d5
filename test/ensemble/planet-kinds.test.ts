// The planet's ensemble kinds: calendar mapping (Gregorian ↔ noleap), the "truth" analysis kind, the "sfno" kind end
// to end with bred vectors (members bit-identical across batch sizes), the "planet" physics kind against the world
// model's own Planet.advance, config refusals naming the field, and calibration against an independent RMSE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, validateForecastConfig, type ForecastConfigInput } from '../../src/ensemble/config.ts';
import { hoursFromIso, isoFromHours } from '../../src/ensemble/model.ts';
import { calibrationPath, decodeStatics, measureRmse } from '../../src/ensemble/planet-calibration.ts';
import { hoursFromNoleapHours, noleapDayOfYear, noleapHoursFromHours } from '../../src/ensemble/planet-calendar.ts';
import { calibrateCheckpoint, defaultCalibrationInits } from '../../src/ensemble/planet-kinds.ts';
import { PlanetForecastModel } from '../../src/ensemble/planet-physics.ts';
import { TruthAnalyses } from '../../src/ensemble/planet-truth.ts';
import { runForecast } from '../../src/ensemble/runner.ts';
import { openZarrArray, openZarrStore, readZarrArray } from '../../src/io/zarr.ts';
import { type Checkpoint, saveCheckpoint } from '../../src/models/checkpoint.ts';
import { STIRRING_FORCINGS, stirringSpecOf } from '../../src/models/forcing.ts';
import { SMALL_CONFIG } from '../../src/models/presets.ts';
import { initSfnoParameters, resolveSfnoConfig } from '../../src/models/sfno.ts';
import { spectraFromGrid } from '../../src/world/cases.ts';
import { DEFAULT_PLANET } from '../../src/world/planet.ts';
import { ForecastGridOutput, SHIPPED_STATE_PATH, loadState, stateForModel } from '../../src/world/truth.ts';
import { writeSyntheticTruth } from '../models/synthetic-truth.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-planet-kinds-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const GRID = { kind: 'legendre-gauss' as const, nlat: 64, nlon: 128 };
const P = GRID.nlat * GRID.nlon;
const CHANNELS = ['u', 'v', 'height', 'tracer'];
/** the synthetic truth store: 2 days, 6-hourly, from 2001-01-10T00 (noleap hours since 2000-01-01) */
const STORE_START_NOLEAP = (365 + 9) * 24;
const STORE_HOURS = Array.from({ length: 9 }, (_, k) => STORE_START_NOLEAP + 6 * k);
const store = path.join(tmp, 'truth.zarr');
const checkpoint = path.join(tmp, 'sfno.safetensors');

// ------------------------------------------------------------------------------------------------ calendar

/** Noleap hours since 2000-01-01 by counting Gregorian days and dropping each 29 February on the way (reference). */
function referenceNoleapHours(iso: string): number {
  const d = new Date(iso);
  const y = d.getUTCFullYear();
  const leap = (yy: number) => (yy % 4 === 0 && yy % 100 !== 0) || yy % 400 === 0;
  const doy = Math.round((Date.UTC(y, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(y, 0, 1)) / 86400e3);
  const skipped = leap(y) && d.getUTCMonth() >= 2 ? 1 : 0;
  return ((y - 2000) * 365 + doy - skipped) * 24 + d.getUTCHours();
}

test('calendar: same YYYY-MM-DDTHH on both clocks, round trip over 1999–2005, 29 February refused', () => {
  assert.equal(noleapHoursFromHours(hoursFromIso('2000-01-01T00:00Z')), 0);
  assert.equal(noleapHoursFromHours(hoursFromIso('2001-01-01T00:00Z')), 8760);
  assert.equal(noleapHoursFromHours(hoursFromIso('2000-03-01T06:00Z')), (31 + 28) * 24 + 6);
  assert.equal(noleapHoursFromHours(hoursFromIso('1999-12-31T18:00Z')), -6);
  let n = 0;
  for (let h = hoursFromIso('1999-06-01T00:00Z'); h < hoursFromIso('2005-06-01T00:00Z'); h += 6) {
    const iso = isoFromHours(h);
    if (iso.slice(5, 10) === '02-29') {
      assert.throws(() => noleapHoursFromHours(h, { what: 'inits[0]' }), new RegExp(`inits\\[0\\]: ${iso.slice(0, 13)}.*29 February`));
      continue;
    }
    const nh = noleapHoursFromHours(h);
    assert.equal(nh, referenceNoleapHours(iso), iso);
    assert.equal(hoursFromNoleapHours(nh), h, iso);
    n++;
  }
  assert.equal(n, 6 * 365 * 4);
  // the models' clock treats 29 February as the 28th; the season is the noleap day of year
  assert.equal(noleapHoursFromHours(hoursFromIso('2004-02-29T12:00Z'), { leapDay: 'previous' }), noleapHoursFromHours(hoursFromIso('2004-02-28T12:00Z')));
  assert.equal(noleapDayOfYear(hoursFromIso('2003-03-01T06:00Z')), 59.25);
  assert.equal(noleapDayOfYear(hoursFromIso('1998-12-31T18:00Z')), 364.75);
});

// ------------------------------------------------------------------------------------------------ set-up

test('set-up: a 2-day synthetic truth store and a tiny random-init SFNO on the 64×128 Gauss grid', async () => {
  await writeSyntheticTruth(store, { kind: 'legendre-gauss', nlat: 64, nlon: 128, hours: STORE_HOURS });
  const config = resolveSfnoConfig({ ...SMALL_CONFIG, embedDim: 8, numLayers: 1 });
  const ck: Checkpoint = {
    config,
    // as the shipped checkpoints: the planet's stirring at the step's start and end as forcing channels
    channels: { prognostic: CHANNELS, statics: ['orography', 'land_fraction'], timeFeatures: ['season_sin', 'season_cos'], residual: true, stepHours: 6, forcings: [...STIRRING_FORCINGS], stirring: stirringSpecOf(DEFAULT_PLANET)! },
    normalisation: await storeNormalisation(store),
    seed: 5,
    step: 0,
    params: initSfnoParameters(config, 5),
  };
  saveCheckpoint(checkpoint, ck);
  // zero weights: the residual network predicts no change, i.e. persistence
  saveCheckpoint(path.join(tmp, 'persistence.safetensors'), { ...ck, params: new Map([...ck.params].map(([k, v]) => [k, new Float32Array(v.length)])) });
});

/** Mean and std (divisor n) of every channel over the store, and of the statics (as training computes them). */
async function storeNormalisation(file: string): Promise<Checkpoint['normalisation']> {
  const root = await openZarrStore(file);
  const out: Checkpoint['normalisation'] = { channels: [], mean: [], std: [] };
  for (const name of [...CHANNELS, 'orography', 'land_fraction']) {
    const d = (await readZarrArray(await openZarrArray(root, name))).data as Float32Array;
    let s = 0;
    for (const v of d) s += v;
    const mean = s / d.length;
    let v2 = 0;
    for (const v of d) v2 += (v - mean) ** 2;
    out.channels.push(name);
    out.mean.push(mean);
    out.std.push(v2 / d.length > 1e-12 ? Math.sqrt(v2 / d.length) : 1);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ truth analyses

test('truth analyses: the store field at the same calendar time; 29 February and times outside the store refused', async () => {
  const a = await TruthAnalyses.open(store, GRID, CHANNELS);
  const root = await openZarrStore(store);
  const height = (await readZarrArray(await openZarrArray(root, 'height'))).data as Float32Array;
  const x = await a.analysis(hoursFromIso('2001-01-10T18:00Z'));
  assert.equal(x.length, 4 * P);
  assert.deepEqual(x.subarray(2 * P, 3 * P), height.subarray(3 * P, 4 * P));
  assert.equal(isoFromHours(a.range.first), '2001-01-10T00:00Z');
  assert.equal(isoFromHours(a.range.last), '2001-01-12T00:00Z');
  await assert.rejects(a.analysis(hoursFromIso('2001-01-12T06:00Z')), /no analysis at 2001-01-12T06:00Z; the store holds 2001-01-10T00:00Z to 2001-01-12T00:00Z \(9 times/);
  await assert.rejects(a.analysis(hoursFromIso('2004-02-29T00:00Z')), /2004-02-29T00:00Z is 29 February/);
});

// ------------------------------------------------------------------------------------------------ calibration

test('calibration: the SFNO with zero weights (persistence) has the RMSE computed independently', async () => {
  const persistence = path.join(tmp, 'persistence.safetensors');
  const cal = await calibrateCheckpoint({ kind: 'sfno', checkpoint: persistence, truth: store, inits: ['2001-01-10T00:00Z'], threads: 1 });
  // independent: WeatherBench 2 weights from cell bounds, persistence error between the first and the last time
  const root = await openZarrStore(store);
  const lat = (await readZarrArray(await openZarrArray(root, 'lat'))).data as Float64Array;
  const phi = Array.from(lat, (d) => (d * Math.PI) / 180);
  const bounds = phi.map((_, i) => [i === phi.length - 1 ? -Math.PI / 2 : (phi[i] + phi[i + 1]) / 2, i === 0 ? Math.PI / 2 : (phi[i - 1] + phi[i]) / 2]);
  const raw = bounds.map(([lo, hi]) => Math.sin(hi) - Math.sin(lo));
  const w = raw.map((r) => (r * raw.length) / raw.reduce((s, v) => s + v, 0));
  for (const c of CHANNELS) {
    const f = (await readZarrArray(await openZarrArray(root, c))).data as Float32Array;
    let acc = 0;
    for (let i = 0; i < GRID.nlat; i++) for (let j = 0; j < GRID.nlon; j++) acc += w[i] * (f[8 * P + i * GRID.nlon + j] - f[i * GRID.nlon + j]) ** 2;
    const expected = Math.sqrt(acc / P);
    assert.ok(expected > 0.01, `${c}: the store changes over 48 h`);
    assert.ok(Math.abs(cal.rmse48h[c] - expected) < 1e-4 * expected, `${c}: ${cal.rmse48h[c]} vs ${expected}`);
  }
  assert.deepEqual(cal.inits, ['2001-01-10T00:00Z']);
  const statics = decodeStatics(cal.statics!, 'test');
  const oro = (await readZarrArray(await openZarrArray(root, 'orography'))).data as Float32Array;
  assert.deepEqual(statics.get('orography'), oro);
  // a store whose statics are not the checkpoint's training statics is refused
  const other = path.join(tmp, 'other-statics.zarr');
  await writeSyntheticTruth(other, { kind: 'legendre-gauss', nlat: 64, nlon: 128, hours: STORE_HOURS });
  const { createZarrArray, writeZarrArray } = await import('../../src/io/zarr.ts');
  const arr = await createZarrArray(await openZarrStore(other), 'orography', { shape: [64, 128], chunks: [64, 128], dtype: 'float32', dims: ['lat', 'lon'], overwrite: true });
  await writeZarrArray(arr, { data: oro.map((v) => v * 2), shape: [64, 128] });
  await assert.rejects(calibrateCheckpoint({ kind: 'sfno', checkpoint: persistence, truth: other, inits: 1 }), /static field 'orography'.*is not the one checkpoint/);
  // an init whose verifying analysis is past the store's end is refused before any work, naming the time and the range
  await assert.rejects(calibrateCheckpoint({ kind: 'sfno', checkpoint: persistence, truth: store, inits: ['2001-01-11T00:00Z'] }), /no analysis at 2001-01-13T00:00Z; the store holds 2001-01-10T00:00Z to 2001-01-12T00:00Z/);
  // default inits: 00-UTC times of the store's last year with a 48-h verifying analysis, or inside the validation
  // period a checkpoint was trained with (refused before any work when the period holds too few)
  assert.deepEqual(defaultCalibrationInits(await TruthAnalyses.open(store, GRID, CHANNELS), 1).map(isoFromHours), ['2001-01-10T00:00Z']);
  const held = path.join(tmp, 'held-out.safetensors');
  const { loadCheckpoint } = await import('../../src/models/checkpoint.ts');
  saveCheckpoint(held, { ...loadCheckpoint(persistence), training: { validationPeriod: { from: '2001-01-10T06' } } });
  await assert.rejects(calibrateCheckpoint({ kind: 'sfno', checkpoint: held, truth: store }), /--inits: the validation period \(2001-01-10T06 on\) of truth store .* has 0 00-UTC inits with a 48-h verifying analysis; asked for 8/);
});

test('calibration of a persistence ForecastModel: measureRmse over two inits is √(mean of the weighted MSEs)', async () => {
  const a = await TruthAnalyses.open(store, GRID, CHANNELS);
  const persistence = { name: 'p', channels: CHANNELS, grid: GRID, stepHours: 6, rmse48h: new Float64Array(4), nonNegative: [], step: async (s: Float32Array) => s.slice() };
  // 24-h lead from two inits: RMSE² is the mean of the two weighted MSEs
  const inits = [hoursFromIso('2001-01-10T00:00Z'), hoursFromIso('2001-01-11T00:00Z')];
  const r = await measureRmse(persistence, a, inits, 24);
  const w = (await import('../../src/sphere/grid.ts')).gridAreaWeights(GRID);
  for (let c = 0; c < 4; c++) {
    let mse = 0;
    for (const t of inits) {
      const x0 = await a.analysis(t);
      const x1 = await a.analysis(t + 24);
      for (let i = 0; i < GRID.nlat; i++) for (let j = 0; j < GRID.nlon; j++) mse += (w[i] * (x1[c * P + i * GRID.nlon + j] - x0[c * P + i * GRID.nlon + j]) ** 2) / P / 2;
    }
    assert.ok(Math.abs(r[c] - Math.sqrt(mse)) < 1e-9 * Math.sqrt(mse), `channel ${c}`);
  }
});

test('myriad calibrate writes the calibration file the sfno kind reads; bad flags exit 2 naming the flag', { timeout: 120_000 }, () => {
  const bin = new URL('../../bin/myriad.js', import.meta.url).pathname;
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'calibrate', ...args], { encoding: 'utf8', cwd: tmp });
  const persistence = path.join(tmp, 'persistence.safetensors');
  const out = path.join(tmp, 'persistence.cal.json');
  const ok = run('--kind', 'sfno', '--checkpoint', 'persistence.safetensors', '--truth', 'truth.zarr', '--inits', '2001-01-10T00:00Z', '--out', out, '--threads', '1', '--json');
  assert.equal(ok.status, 0, ok.stderr);
  const written = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(written.format, 'myriad-calibration');
  assert.equal(written.checkpoint, 'persistence.safetensors');
  assert.equal(written.truth.store, store);
  assert.deepEqual(Object.keys(written.rmse48h), CHANNELS);
  assert.deepEqual(Object.keys(written.statics.fields), ['orography', 'land_fraction']);
  assert.equal(JSON.parse(ok.stdout).file, out);
  const embed = run('--kind', 'sfno', '--checkpoint', persistence, '--truth', store, '--embed');
  assert.equal(embed.status, 2);
  assert.match(embed.stderr, /myriad calibrate: --embed: only planet checkpoints/);
});

// ------------------------------------------------------------------------------------------------ config refusals

function sfnoConfig(output: string, extra: Partial<ForecastConfigInput> = {}): ForecastConfigInput {
  return {
    output,
    model: { kind: 'sfno', checkpoints: [checkpoint] },
    analyses: { kind: 'truth', store },
    inits: ['2001-01-10T12:00Z'],
    steps: 2,
    channels: ['u', 'height'],
    ensemble: { perturbations: 2, batchSize: 1 },
    seed: 3,
    threads: 1,
    ...extra,
  };
}

function problems(input: ForecastConfigInput): string {
  try {
    validateForecastConfig(input, tmp);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return '';
}

test('config: a missing calibration, a missing store, a store without a model channel and unknown channels are refused naming the field', async () => {
  assert.match(problems(sfnoConfig('x')), /model\.checkpoints\[0\]: calibration .*sfno\.safetensors\.calibration\.json does not exist; measure it with `myriad calibrate --kind sfno/);
  const cal = await calibrateCheckpoint({ kind: 'sfno', checkpoint, truth: store, inits: ['2001-01-10T00:00Z'], threads: 1 });
  fs.writeFileSync(calibrationPath(checkpoint), JSON.stringify(cal));
  assert.equal(problems(sfnoConfig('x')), '');
  assert.match(problems(sfnoConfig('x', { analyses: { kind: 'truth', store: 'nowhere.zarr' } })), /analyses\.store: truth store .*nowhere\.zarr does not exist/);
  const noTracer = path.join(tmp, 'no-tracer.zarr');
  fs.cpSync(store, noTracer, { recursive: true });
  fs.rmSync(path.join(noTracer, 'tracer'), { recursive: true });
  assert.match(problems(sfnoConfig('x', { analyses: { kind: 'truth', store: noTracer } })), /analyses\.store: truth store .* has no array for the model channel\(s\) 'tracer'/);
  assert.match(problems(sfnoConfig('x', { channels: ['z500'] })), /channels\[0\]: unknown channel "z500"; expected one of the model's channels \(u, v, height, tracer\)/);
  assert.match(problems(sfnoConfig('x', { analyses: { kind: 'truth', store, origin: 1 } as never })), /analyses\.origin: unknown option for truth analyses/);
  assert.match(problems(sfnoConfig('x', { perturbation: { method: 'bred-vector', seedChannel: 'z500' } })), /perturbation\.seedChannel: unknown channel "z500"/);
  assert.match(problems(sfnoConfig('x', { analyses: { kind: 'truth' } })), /analyses\.store: expected the path of a planet truth store/);
});

// ------------------------------------------------------------------------------------------------ sfno end to end

test('sfno + truth: a bred-vector forecast runs end to end; members are bit-identical across batch sizes (1 and 3)', async () => {
  const a = validateForecastConfig(sfnoConfig('run-b1'), tmp);
  assert.equal(a.perturbationSpec.method === 'bred-vector' && a.perturbationSpec.seedChannel, 'height');
  const b = validateForecastConfig(sfnoConfig('run-b3', { ensemble: { perturbations: 2, batchSize: 3 } }), tmp);
  const sa = await runForecast(a);
  const sb = await runForecast(b);
  assert.equal(sa.complete && sb.complete, true);
  const cfgJson = JSON.parse(fs.readFileSync(path.join(a.outputDir, 'config.json'), 'utf8'));
  assert.equal(cfgJson.perturbation.seedChannel, 'height');
  assert.equal(cfgJson.analyses.store, store);
  for (const ch of ['u', 'height']) {
    const xa = (await readZarrArray(await openZarrArray(await openZarrStore(path.join(a.outputDir, 'store.zarr')), ch))).data as Float32Array;
    const xb = (await readZarrArray(await openZarrArray(await openZarrStore(path.join(b.outputDir, 'store.zarr')), ch))).data as Float32Array;
    // members: 0 the control, 1 = x − dx₀, 2 = x + dx₁, 3 = x − dx₁; leads 0, 6, 12 h
    assert.equal(xa.length, 3 * 4 * P);
    assert.ok(xa.every((v) => Number.isFinite(v)));
    assert.deepEqual(xb, xa, `${ch}: batch size 1 vs 3`);
    // lead 0: the control is the analysis; the ± pair are symmetric about it; leads differ from lead 0
    const analysis = await (await TruthAnalyses.open(store, GRID, CHANNELS)).analysis(hoursFromIso('2001-01-10T12:00Z'));
    const c = CHANNELS.indexOf(ch);
    assert.deepEqual(xa.subarray(0, P), analysis.subarray(c * P, (c + 1) * P));
    let spread = 0;
    for (let k = 0; k < P; k++) {
      const plus = xa[2 * P + k] - analysis[c * P + k];
      const minus = xa[3 * P + k] - analysis[c * P + k];
      // x ± dx rounded to float32 twice: symmetric to a few ulps of the larger magnitude
      assert.ok(Math.abs(plus + minus) <= 2 ** -21 * (Math.abs(analysis[c * P + k]) + Math.abs(plus)), `${ch} pair symmetry at ${k}: ${plus} ${minus}`);
      spread = Math.max(spread, Math.abs(plus));
    }
    assert.ok(spread > 0, `${ch}: members are perturbed`);
    assert.notDeepEqual(xa.subarray(2 * 4 * P, 2 * 4 * P + P), xa.subarray(0, P));
  }
});

// ------------------------------------------------------------------------------------------------ the physics kind

test('planet kind: one 6-h step equals Planet.advance of the same state (reference grid → spectra) and is independent of the batch', async () => {
  const model = new PlanetForecastModel({ dt: 1800, stepsPerCall: 4, threads: 1 });
  const sw = model.planet.model;
  // the input: the shipped spun-up state on the forecast grid, as the truth writer's output path makes it
  const state = stateForModel(sw, loadState(SHIPPED_STATE_PATH));
  const f = await new ForecastGridOutput(sw).fields(sw.fresh(state.spec, 1));
  const x = new Float32Array(4 * P);
  [f.u, f.v, f.height, f.tracer].forEach((a, i) => x.set(a, i * P));
  const time = hoursFromIso('2001-01-15T06:00Z');
  const y = await model.step(x, 1, time);
  // reference: float64 reference SHT of the grid fields, the planet's own advance, the truth writer's output path
  const g = sw.options.gravity;
  const f64 = (a: Float32Array) => Float64Array.from(a);
  const spec = spectraFromGrid(sw, { phi: Float64Array.from(f.height, (h) => h * g), u: f64(f.u), v: f64(f.v), tracer: f64(f.tracer) });
  const seconds = ((365 + 14) * 24 + 6) * 3600;
  const advanced = await model.planet.advance(sw.stateFromLM(spec.re, spec.im, 1), seconds, 6 * 3600, 4);
  const r = await new ForecastGridOutput(sw).fields(advanced);
  [r.u, r.v, r.height, r.tracer].forEach((ref, c) => {
    let scale = 0;
    let change = 0;
    let diff = 0;
    for (let k = 0; k < P; k++) {
      scale = Math.max(scale, Math.abs(ref[k]));
      change = Math.max(change, Math.abs(ref[k] - x[c * P + k]));
      diff = Math.max(diff, Math.abs(y[c * P + k] - ref[k]));
    }
    assert.ok(change > 1e-3 * scale, `${CHANNELS[c]}: the step changes the state (${change})`);
    assert.ok(diff <= 4 * 2 ** -24 * scale, `${CHANNELS[c]}: ${diff} vs float32 rounding of ${scale}`);
  });
  // member 0 of a batch of 2 is bit-identical to the single-member step; member 1 is its own
  const x2 = new Float32Array(8 * P);
  x2.set(x);
  for (let k = 0; k < 4 * P; k++) x2[4 * P + k] = x[k] + Math.sin(k) * 0.5;
  const y2 = await model.step(x2, 2, time);
  assert.deepEqual(y2.subarray(0, 4 * P), y);
  assert.notDeepEqual(y2.subarray(4 * P), y);
});
