// The runner end to end on the test model: statistics in the store equal those computed directly from the stored
// members; members are bit-identical whatever the unit size and batch size; a regenerated member equals the stored
// one; statistics-only runs; config errors name the field before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, readRunConfig, validateForecastConfig } from '../../src/ensemble/config.ts';
import { readStoredMember, regenerateMember, runForecast } from '../../src/ensemble/runner.ts';
import { openZarrArray, openZarrStore, readZarrArray, readZarrRegion } from '../../src/io/zarr.ts';
import { TEST_GRID, smallConfig, writeCheckpoints } from './helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-runner-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const P = TEST_GRID.nlat * TEST_GRID.nlon;
let checkpoints: string[] = [];

test('set-up: calibrated checkpoints', async () => {
  checkpoints = await writeCheckpoints(path.join(tmp, 'ck'), 2);
  assert.equal(checkpoints.length, 2);
});

test('statistics in the store equal those of the stored members (mean, variance, min, max, exceedances, climate counts)', async () => {
  const cfg = validateForecastConfig(smallConfig('full', checkpoints), tmp);
  const summary = await runForecast(cfg);
  assert.equal(summary.complete, true);
  assert.equal(summary.unitsRun, 12);
  const root = await openZarrStore(path.join(cfg.outputDir, 'store.zarr'));
  const M = 12;
  const members = await readZarrArray(await openZarrArray(root, 't2m'));
  assert.deepEqual(members.shape, [2, 3, M, TEST_GRID.nlat, TEST_GRID.nlon]);
  const mean = (await readZarrArray(await openZarrArray(root, 't2m_mean'))).data;
  const variance = (await readZarrArray(await openZarrArray(root, 't2m_variance'))).data;
  const min = (await readZarrArray(await openZarrArray(root, 't2m_min'))).data;
  const max = (await readZarrArray(await openZarrArray(root, 't2m_max'))).data;
  const exc = (await readZarrArray(await openZarrArray(root, 't2m_exceedance'))).data;
  const clim = await readZarrArray(await openZarrArray(root, 't2m_climate_count'));
  assert.deepEqual(clim.shape, [2, 3, 101, TEST_GRID.nlat, TEST_GRID.nlon]);
  const climate = (await readZarrArray(await openZarrArray(root, 't2m_climate'))).data as Float64Array;
  // the percentiles are numpy-'linear' percentiles of the 12 climate analyses: the 0th and 100th are their min and max
  assert.ok(climate[0] < climate[100 * P]);
  const x = members.data as Float32Array;
  for (let i = 0; i < 2; i++) for (let l = 0; l < 3; l++) for (let p = 0; p < P; p += 7) {
    const v = Array.from({ length: M }, (_, m) => x[((i * 3 + l) * M + m) * P + p]);
    const mu = v.reduce((a, b) => a + b) / M;
    const s2 = v.reduce((a, b) => a + (b - mu) ** 2, 0) / (M - 1);
    const k = (i * 3 + l) * P + p;
    assert.ok(Math.abs(mean[k] as number - mu) < 1e-9 * Math.abs(mu), `mean ${i},${l},${p}`);
    assert.ok(Math.abs(variance[k] as number - s2) < 1e-8 * s2 + 1e-12, `variance ${i},${l},${p}`);
    assert.equal(min[k], Math.min(...v));
    assert.equal(max[k], Math.max(...v));
    [280, 290].forEach((thr, t) => assert.equal(exc[((i * 3 + l) * 2 + t) * P + p], v.filter((y) => y > thr).length));
    // climate counts: members at or below each stored percentile
    for (let q = 0; q < 101; q += 5) {
      const c = climate[q * P + p];
      assert.equal(clim.data[((i * 3 + l) * 101 + q) * P + p], v.filter((y) => y <= c).length, `climate count ${i},${l},${q},${p}`);
    }
  }
  // the ensemble has spread at lead 0 (perturbations) and at the last lead
  const zvar = (await readZarrArray(await openZarrArray(root, 'z500_variance'))).data as Float64Array;
  const avg = (l: number) => zvar.subarray(l * P, (l + 1) * P).reduce((a, b) => a + b) / P;
  assert.ok(avg(0) > 0 && avg(2) > 0);
});

test('members are bit-identical whatever the unit size and batch size; a regenerated member equals the stored one', async () => {
  const a = validateForecastConfig(smallConfig('batch-a', checkpoints, { ensemble: { perturbations: 3, memberBlock: 2, batchSize: 4 } }), tmp);
  const b = validateForecastConfig(smallConfig('batch-b', checkpoints, { ensemble: { perturbations: 3, memberBlock: 6, batchSize: 1 }, inits: ['2024-01-04T12:00Z'] }), tmp);
  const c = validateForecastConfig(smallConfig('batch-c', checkpoints, { ensemble: { perturbations: 3, memberBlock: 3, batchSize: 5, fixedBatch: true }, inits: ['2024-01-04T12:00Z'] }), tmp);
  await runForecast(a);
  await runForecast(b);
  // init 1 of run a is init 0 of run b
  const ra = await readZarrRegion(await openZarrArray(await openZarrStore(path.join(a.outputDir, 'store.zarr')), 'z500'), [1, 0, 0, 0, 0], [1, 3, 12, TEST_GRID.nlat, TEST_GRID.nlon]);
  const rb = await readZarrRegion(await openZarrArray(await openZarrStore(path.join(b.outputDir, 'store.zarr')), 'z500'), [0, 0, 0, 0, 0], [1, 3, 12, TEST_GRID.nlat, TEST_GRID.nlon]);
  assert.ok(Buffer.from(ra.data.buffer).equals(Buffer.from(rb.data.buffer)));
  // padded fixed-size model calls (batches of 5 for blocks of 3, breeding controls of 1) give the same bits
  await runForecast(c);
  const rc = await readZarrRegion(await openZarrArray(await openZarrStore(path.join(c.outputDir, 'store.zarr')), 'z500'), [0, 0, 0, 0, 0], [1, 3, 12, TEST_GRID.nlat, TEST_GRID.nlon]);
  assert.ok(Buffer.from(ra.data.buffer).equals(Buffer.from(rc.data.buffer)));
  // regenerate from the run directory alone
  const cfg = readRunConfig(a.outputDir);
  for (const m of [0, 5, 11]) {
    const r = await regenerateMember(cfg, 1, m);
    const stored = await readStoredMember(a.outputDir, 1, m, cfg.channels);
    assert.ok(Buffer.from(r.data.buffer).equals(Buffer.from(stored.buffer)), `member ${m}`);
  }
  // a channel that was not stored can still be regenerated
  const q = await regenerateMember(cfg, 0, 3, ['q700']);
  assert.equal(q.data.length, 3 * P);
  assert.ok(q.data.every((v) => v >= 0));
});

test('statistics-only runs keep no members and the same statistics', async () => {
  const cfg = validateForecastConfig(smallConfig('stats-only', checkpoints, { store: { members: false } }), tmp);
  await runForecast(cfg);
  const root = await openZarrStore(path.join(cfg.outputDir, 'store.zarr'));
  await assert.rejects(openZarrArray(root, 'z500'), /no Zarr array/);
  const full = await openZarrStore(path.join(tmp, 'full', 'store.zarr'));
  for (const name of ['z500_mean', 't2m_variance', 'tcwv_max', 't2m_exceedance']) {
    const x = await readZarrArray(await openZarrArray(root, name));
    const y = await readZarrArray(await openZarrArray(full, name));
    assert.ok(Buffer.from(x.data.buffer as ArrayBuffer).equals(Buffer.from(y.data.buffer as ArrayBuffer)), name);
  }
});

test('config errors name the field, the value and what was expected, before any work', () => {
  const problems = (extra: Record<string, unknown>): string => {
    try {
      validateForecastConfig({ ...smallConfig('never', checkpoints), ...extra }, tmp);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail('expected a ConfigError');
  };
  assert.match(problems({ channels: ['z500', 'z850'] }), /channels\[1\]: unknown channel "z850"; expected one of the model's channels \(z500, t850, t2m, q700, tcwv\)/);
  assert.match(problems({ ensemble: { perturbations: -4 } }), /ensemble\.perturbations: got -4; expected a number >= 1/);
  assert.match(problems({ model: { kind: 'toy', checkpoints: [checkpoints[0], 'missing.json'] } }), /model\.checkpoints\[1\]: checkpoint file .*missing\.json does not exist/);
  assert.match(problems({ model: { kind: 'sfno-x', checkpoints } }), /model\.kind: got "sfno-x"; expected one of 'planet', 'sfno', 'toy'/);
  assert.match(problems({ inits: ['2024-01-03T03:00Z'] }), /inits\[0\]: got "2024-01-03T03:00Z"; expected a time on the 6-hourly model clock/);
  assert.match(problems({ perturbation: { method: 'bred-vector', seedChannel: 'h500' } }), /perturbation\.seedChannel: unknown channel "h500"/);
  assert.match(problems({ perturbation: { method: 'magic' } }), /perturbation\.method: got "magic"; expected one of 'bred-vector', 'gaussian', 'correlated', 'lagged', 'none'/);
  assert.match(problems({ ensemble: { perturbations: 3, memberBlock: 4 } }), /ensemble\.memberBlock: member block 4 does not divide the 6 members per checkpoint/);
  assert.match(problems({ statistics: { thresholds: { t850: [1] } } }), /statistics\.thresholds\.t850: channel "t850" is not among the output channels/);
  assert.match(problems({ stepz: 3 }), /\(config\): unknown field\(s\) 'stepz'/);
  assert.match(problems({ steps: 2.5 }), /steps: got 2\.5; expected integer/);
  // the run directory was never created
  assert.equal(fs.existsSync(path.join(tmp, 'never')), false);
});

test('a run directory holding another config is refused unless overwritten', async () => {
  const cfg = validateForecastConfig(smallConfig('full', checkpoints, { seed: 18 }), tmp);
  await assert.rejects(runForecast(cfg, { maxUnits: 0 }), /holds a run with a different config/);
});
