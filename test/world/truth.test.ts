// `myriad world run` on a small config: the Zarr store it writes is read back with the right coordinates, CF
// attributes and plausible fields; a run killed mid-way and started again completes the same store, identical to an
// uninterrupted run (no gaps, no duplicates); `myriad world climate` writes monthly statistics; bad configs are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openZarrArray, openZarrGroup, openZarrStore, readZarrArray } from '../../src/io/zarr.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { noleapHoursFromIso, parseTruthRunConfig, runTruth } from '../../src/world/truth.ts';

const bin = new URL('../../bin/myriad.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'myriad-world-'));
const config = JSON.stringify({ days: 1.5, start: 'rest', threads: 1, stepsPerCall: 6, planet: { truth: { nlat: 64, lmax: 43, dt: 400 } } });
const configPath = join(dir, 'small.json');
writeFileSync(configPath, config);

async function readAll(store: string) {
  const g = await openZarrStore(store);
  const out: Record<string, { data: ArrayLike<number>; shape: number[]; attrs: Record<string, unknown> }> = {};
  for (const name of ['time', 'lat', 'lon', 'u', 'v', 'height', 'tracer', 'orography', 'land_fraction']) {
    const a = await openZarrArray(g, name);
    const b = await readZarrArray(a);
    out[name] = { data: b.data as ArrayLike<number>, shape: b.shape, attrs: a.attrs };
  }
  return { group: g, arrays: out };
}

test('world run writes a truth store with CF coordinates and plausible fields; killed and restarted it completes identically', async () => {
  const reference = join(dir, 'reference.zarr');
  await runTruth(config, reference);
  const { group, arrays: a } = await readAll(reference);
  assert.deepEqual(Array.from(a.time.data), [0, 6, 12, 18, 24, 30, 36]);
  assert.equal(a.time.attrs.units, 'hours since 2000-01-01 00:00:00');
  assert.equal(a.time.attrs.calendar, 'noleap');
  assert.equal(a.lat.attrs.units, 'degrees_north');
  assert.equal(a.lon.attrs.units, 'degrees_east');
  assert.deepEqual(a.u.shape, [7, 64, 128]);
  const lat = Array.from(a.lat.data);
  assert.ok(lat[0] > 87 && lat[63] < -87 && lat.every((v, i) => i === 0 || v < lat[i - 1]), 'latitudes descend from the north');
  assert.equal(a.lon.data[0], 0);
  assert.equal(a.lon.data[1], 360 / 128);
  for (const [name, units] of [['u', 'm s-1'], ['v', 'm s-1'], ['height', 'm'], ['tracer', 'K'], ['orography', 'm'], ['land_fraction', '1']] as const) {
    assert.equal(a[name].attrs.units, units, `${name} units`);
    assert.equal(typeof a[name].attrs.long_name, 'string');
    for (const x of Array.from(a[name].data)) assert.ok(Number.isFinite(x), `${name} finite`);
  }
  assert.equal(group.attrs.grid, 'legendre-gauss');
  assert.ok(typeof group.attrs.physics === 'object');
  // plausible: free surface around the mean depth (2000 m) plus orography; tracer a temperature; land on the continents
  const h = Array.from(a.height.data);
  assert.ok(Math.min(...h) > 1000 && Math.max(...h) < 3500, `height range ${Math.min(...h)}..${Math.max(...h)}`);
  const T = Array.from(a.tracer.data);
  assert.ok(Math.min(...T) > 200 && Math.max(...T) < 320);
  const lf = Array.from(a.land_fraction.data);
  const landShare = lf.reduce((s, x) => s + x, 0) / lf.length;
  assert.ok(landShare > 0.2 && landShare < 0.45, `land share ${landShare}`);
  // Tibet (≈ 32°N, 88°E) is high, the central Pacific (0°, 180°) is sea
  const at = (arr: ArrayLike<number>, la: number, lo: number) => {
    const k = lat.reduce((best, v, i) => (Math.abs(v - la) < Math.abs(lat[best] - la) ? i : best), 0);
    return arr[k * 128 + Math.round(lo / (360 / 128))];
  };
  assert.ok(at(a.orography.data, 32, 88) > 200 && at(a.land_fraction.data, 32, 88) > 0.9);
  assert.ok(at(a.orography.data, 0, 180) < 20 && at(a.land_fraction.data, 0, 180) < 0.1);
  // winds develop from the resting start
  assert.ok(Math.max(...Array.from(a.u.data).slice(6 * 64 * 128).map(Math.abs)) > 5);

  // the CLI, killed once the first day is durable, then run again
  const resumed = join(dir, 'resumed.zarr');
  const child = spawn(process.execPath, [bin, 'world', 'run', '--config', configPath, '--out', resumed], { stdio: 'ignore' });
  const checkpoint = join(resumed, 'myriad-checkpoint.safetensors');
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(checkpoint) && Number(loadSafetensors(checkpoint).metadata?.written) >= 4) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the run finished before it could be killed'));
    });
  }).catch((e) => assert.fail(e));
  await new Promise((r) => child.on('exit', r));
  const written = Number(loadSafetensors(checkpoint).metadata?.written);
  assert.ok(written >= 4 && written < 7, `killed after ${written} times`);
  const again = spawnSync(process.execPath, [bin, 'world', 'run', '--config', configPath, '--out', resumed, '--quiet'], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /resumed and completed/);
  const r = await readAll(resumed);
  for (const name of ['time', 'u', 'v', 'height', 'tracer']) assert.deepEqual(Array.from(r.arrays[name].data), Array.from(a[name].data), `${name} identical to the uninterrupted run`);

  // monthly climate statistics
  const clim = spawnSync(process.execPath, [bin, 'world', 'climate', reference], { encoding: 'utf8' });
  assert.equal(clim.status, 0, clim.stderr);
  const cg = await openZarrGroup(await openZarrStore(reference), 'climate');
  const mean = (await readZarrArray(await openZarrArray(cg, 'height_mean'))) as { data: Float32Array; shape: number[] };
  const p99 = (await readZarrArray(await openZarrArray(cg, 'height_p99'))) as { data: Float32Array; shape: number[] };
  const p1 = (await readZarrArray(await openZarrArray(cg, 'height_p1'))) as { data: Float32Array; shape: number[] };
  assert.deepEqual(mean.shape, [12, 64, 128]);
  const P = 64 * 128;
  for (let p = 0; p < P; p += 97) {
    let s = 0;
    for (let t = 0; t < 7; t++) s += a.height.data[t * P + p];
    assert.ok(Math.abs(mean.data[p] - s / 7) < 1e-3 * Math.abs(s / 7), 'January mean');
    assert.ok(p1.data[p] <= mean.data[p] + 1e-3 && mean.data[p] <= p99.data[p] + 1e-3);
  }
  assert.ok(Number.isNaN(mean.data[P]), 'February has no data');

  // an excerpt keeps the chosen times bit for bit, the statics and the climate of their month
  const excerpt = join(dir, 'excerpt.zarr');
  const ex = spawnSync(process.execPath, [bin, 'world', 'excerpt', reference, '--out', excerpt, '--times', '2000-01-01T06Z,2000-01-01T12Z..2000-01-02T12Z/12h'], { encoding: 'utf8' });
  assert.equal(ex.status, 0, ex.stderr);
  const e = await readAll(excerpt);
  assert.deepEqual(Array.from(e.arrays.time.data), [6, 12, 24, 36]);
  assert.equal(e.arrays.time.attrs.calendar, 'noleap');
  for (const name of ['u', 'height', 'tracer'])
    [1, 2, 4, 6].forEach((ti, k) => assert.deepEqual(Array.from(e.arrays[name].data).slice(k * P, (k + 1) * P), Array.from(a[name].data).slice(ti * P, (ti + 1) * P), `${name} at time ${ti}`));
  assert.deepEqual(Array.from(e.arrays.orography.data), Array.from(a.orography.data));
  const ecg = await openZarrGroup(await openZarrStore(excerpt), 'climate');
  const emean = (await readZarrArray(await openZarrArray(ecg, 'height_p99'))) as { data: Float32Array };
  assert.deepEqual(Array.from(emean.data.subarray(0, P)), Array.from(p99.data.subarray(0, P)));
  const missing = spawnSync(process.execPath, [bin, 'world', 'excerpt', reference, '--out', join(dir, 'bad.zarr'), '--times', '2000-01-05T00Z'], { encoding: 'utf8' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /not in/);
  rmSync(dir, { recursive: true, force: true });
});

test('a run started from another store\'s final state continues it exactly (clock, fields, history)', async () => {
  // a 0.5-day store continued for 0.5 days, against one uninterrupted 1-day run
  const here = mkdtempSync(join(tmpdir(), 'myriad-continue-'));
  const first = join(here, 'first.zarr');
  await runTruth(JSON.stringify({ ...JSON.parse(config), days: 0.5 }), first);
  const state = join(first, 'myriad-checkpoint.safetensors');
  const longer = join(here, 'longer.zarr');
  await runTruth(JSON.stringify({ ...JSON.parse(config), days: 1 }), longer);
  const continued = join(here, 'continued.zarr');
  await runTruth(JSON.stringify({ ...JSON.parse(config), days: 0.5, start: { state } }), continued);
  const l = (await readAll(longer)).arrays;
  const c = (await readAll(continued)).arrays;
  assert.deepEqual(Array.from(c.time.data), [12, 18, 24]);
  const P = 64 * 128;
  for (const name of ['u', 'v', 'height', 'tracer'])
    assert.deepEqual(Array.from(c[name].data), Array.from(l[name].data).slice(2 * P), `${name} of the continuation`);
  assert.throws(() => parseTruthRunConfig(JSON.stringify({ days: 1, start: { state: join(here, 'nothing.safetensors') } })), /start.state: no file/);
  rmSync(here, { recursive: true, force: true });
  assert.throws(() => parseTruthRunConfig('{"days": 1, "start": {"file": "x"}}'), /start must be "shipped", "rest" or \{"state"/);
});

test('noleap calendar times: hours since 2000-01-01, no 29 February', () => {
  assert.equal(noleapHoursFromIso('2000-01-01T00Z'), 0);
  assert.equal(noleapHoursFromIso('2000-03-01T06Z'), (31 + 28) * 24 + 6);
  assert.equal(noleapHoursFromIso('2001-01-15T00:00Z'), (365 + 14) * 24);
  assert.throws(() => noleapHoursFromIso('2000-02-29T00Z'), /29 February/);
  assert.throws(() => noleapHoursFromIso('2000-13-01T00Z'), /noleap/);
  assert.throws(() => noleapHoursFromIso('yesterday'), /YYYY-MM-DD/);
});

test('truth run configs are checked with clear messages', () => {
  assert.throws(() => parseTruthRunConfig('{', 'x.json'), /x.json: not valid JSON/);
  assert.throws(() => parseTruthRunConfig('{"days": -1}'), /days must be a positive multiple of 0.25/);
  assert.throws(() => parseTruthRunConfig('{"days": 1, "start": "warm"}'), /start must be "shipped", "rest" or \{"state"/);
  assert.throws(() => parseTruthRunConfig('{"days": 1, "planet": {"meanDepth": -5}}'), /meanDepth must be a positive number/);
  assert.throws(() => parseTruthRunConfig('{"days": 1, "planet": {"truth": {"nlat": 64, "lmax": 30, "dt": 600}}}'), /truth.lmax must be an integer in \[43/);
  assert.throws(() => parseTruthRunConfig('{"days": 1, "colour": 3}'), /unknown key 'colour'/);
});
