// `myriad demo --quick` end to end on the shipped checkpoints and truth: the folder it names holds both run
// directories, tidy scores for both ensembles (checked against the member store and the truth, independently of the
// scoring code), a summary and a report that opens in headless Chromium; a folder holding other files is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openZarrArray, openZarrStore, readZarrArray, readZarrRegion } from '../../src/io/zarr.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';

const bin = new URL('../../bin/myriad.js', import.meta.url).pathname;
const truthStore = new URL('../../data/demo/truth.zarr', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium';

test('myriad demo --quick runs both ensembles, scores them against the shipped truth and writes a report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'myriad-demo-'));
  const out = join(dir, 'demo');
  const r = spawnSync(process.execPath, [bin, 'demo', '--quick', '--out', out], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`everything is in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  for (const f of ['summary.json', 'summary.md', 'report.html', 'scores/results.json', 'scores/results.csv', 'sfno/store.zarr', 'physics/store.zarr', 'configs/sfno.json'])
    assert.ok(existsSync(join(out, f)), `${f} exists`);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.runs.map((x: { ensemble: string; membersPerInit: number }) => [x.ensemble, x.membersPerInit]), [['SFNO-BVMC', 32], ['physics', 8]]);

  // independent check of one score: RMSE of the SFNO ensemble mean of height at day 2, from the member store and truth
  const results = JSON.parse(readFileSync(join(out, 'scores/results.json'), 'utf8'));
  const records: { metric: string; variable: string; lead_hours: number; ensemble: string; region: string; value: number }[] = Array.isArray(results) ? results : results.results;
  const reported = records.find((x) => x.metric === 'rmse' && x.variable === 'height' && x.lead_hours === 48 && x.ensemble === 'SFNO-BVMC' && x.region === 'global');
  assert.ok(reported, 'rmse of height at 48 h for SFNO-BVMC is reported');
  const store = await openZarrStore(join(out, 'sfno/store.zarr'));
  const names = ['height', 'tracer'];
  const arrays = await Promise.all(names.map(async (n) => {
    try {
      return await openZarrArray(store, n);
    } catch {
      return undefined;
    }
  }));
  const heightArr = arrays[0];
  if (heightArr) {
    // member store layout (docs/formats.md): [init, lead, member, lat, lon]
    const [, nlead, members, nlat, nlon] = heightArr.shape;
    const block = (await readZarrRegion(heightArr, [0, nlead - 1, 0, 0, 0], [1, 1, members, nlat, nlon])).data as Float32Array;
    const P = nlat * nlon;
    const truth = await openZarrStore(truthStore);
    const time = (await readZarrArray(await openZarrArray(truth, 'time'))).data as Float64Array;
    const valid = 348 * 24 + 48; // 2000-12-15T00Z (day of year 348, from 0) + 48 h, noleap hours since 2000-01-01
    const ti = Array.from(time).indexOf(valid);
    assert.ok(ti >= 0, 'the verifying time is in the shipped truth');
    const y = (await readZarrRegion(await openZarrArray(truth, 'height'), [ti, 0, 0], [1, nlat, nlon])).data as Float32Array;
    const lat = gridGeometry({ kind: 'legendre-gauss', nlat, nlon }).latitudesDeg;
    // WeatherBench 2 area weights: sin of cell bounds, normalised to mean 1
    const bounds = Array.from({ length: nlat + 1 }, (_, i) => (i === 0 ? 90 : i === nlat ? -90 : (lat[i - 1] + lat[i]) / 2));
    const w = Array.from({ length: nlat }, (_, i) => Math.sin((bounds[i] * Math.PI) / 180) - Math.sin((bounds[i + 1] * Math.PI) / 180));
    const wm = w.reduce((a, b) => a + b, 0) / nlat;
    let se = 0;
    for (let i = 0; i < nlat; i++)
      for (let j = 0; j < nlon; j++) {
        let m = 0;
        for (let k = 0; k < members; k++) m += block[k * P + i * nlon + j];
        se += (w[i] / wm) * (m / members - y[i * nlon + j]) ** 2;
      }
    const rmse = Math.sqrt(se / P);
    assert.ok(Math.abs(rmse - reported!.value) <= 1e-3 * rmse + 1e-6, `rmse ${reported!.value} vs independent ${rmse}`);
  }
  assert.ok(records.some((x) => x.ensemble === 'physics' && x.metric === 'crps' && x.variable === 'tracer'), 'physics ensemble scored');

  // the report opens in headless Chromium without console errors
  if (existsSync(CHROMIUM)) {
    const c = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', `--user-data-dir=${join(dir, 'profile')}`, '--enable-logging=stderr', '--v=0', '--dump-dom', `file://${join(out, 'report.html')}`], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    assert.equal(c.status, 0, c.stderr.slice(-2000));
    assert.match(c.stdout, /<svg/);
    const errors = c.stderr.split('\n').filter((l) => /:CONSOLE[(:]/.test(l) && /error/i.test(l));
    assert.deepEqual(errors, []);
  }

  // a folder that holds other files is refused, and left as it was
  const busy = join(dir, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'notes.txt'), 'keep me');
  const refused = spawnSync(process.execPath, [bin, 'demo', '--quick', '--out', busy], { encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /exists and holds other files/);
  assert.equal(readFileSync(join(busy, 'notes.txt'), 'utf8'), 'keep me');
  rmSync(dir, { recursive: true, force: true });
});
