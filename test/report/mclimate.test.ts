// `myriad mclimate` on toy hindcasts: the store's per-lead percentiles equal numpy-'linear' percentiles of all
// hindcast members computed here; the runner's analysis-based M-climate uses the same rule (climatePercentiles);
// `scoreRun --mclimate` gives the EFI of the members against it (efiField) and SOT maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ToyNatureRun, hoursFromIso } from '../../src/ensemble/model.ts';
import { openZarrArray, openZarrStore, readZarrArray } from '../../src/io/zarr.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';
import { climatePercentiles } from '../../src/scores/climate.ts';
import { efiField } from '../../src/scores/efi.ts';
import { areaMean, latitudeWeights, pointWeights } from '../../src/scores/grid.ts';
import { rocCurve } from '../../src/scores/probability.ts';
import { buildMclimate } from '../../src/report/mclimate.ts';
import { ScoreInputError, scoreRun } from '../../src/report/evaluate.ts';
import { noleapHours, writeTruthStore } from '../../src/report/synthetic.ts';
import { ORIGIN, TEST_GRID, smallConfig, writeCheckpoints } from '../ensemble/helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-mclimate-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const P = TEST_GRID.nlat * TEST_GRID.nlon;
const INITS = ['2024-01-02T00:00Z', '2024-01-02T12:00Z', '2024-01-03T00:00Z'];

/** numpy.percentile(x, k) with the default linear rule, written out independently (equal to rounding). */
function numpyPercentile(x: number[], k: number): number {
  const s = [...x].sort((a, b) => a - b);
  const h = ((s.length - 1) * k) / 100;
  const i = Math.floor(h);
  return i + 1 < s.length ? s[i]! + (h - i) * (s[i + 1]! - s[i]!) : s[i]!;
}

const near = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `${what}: ${got} vs ${want}`);
let runDir = '';
const storePath = path.join(tmp, 'mclim.zarr');

test('mclimate from a hindcast config: per-lead percentiles of all hindcast members', async () => {
  const checkpoints = await writeCheckpoints(path.join(tmp, 'ck'), 1);
  const cfgFile = path.join(tmp, 'hindcast.json');
  fs.writeFileSync(cfgFile, JSON.stringify(smallConfig('hind', checkpoints, { inits: INITS, ensemble: { perturbations: 3, memberBlock: 3, batchSize: 8 } })));
  const s = await buildMclimate({ source: cfgFile, out: storePath, bandBytes: 4 * 18 * 32 * 5 });
  runDir = s.runDir;
  assert.deepEqual(s.leads, [0, 12, 24]);
  const run = await openZarrStore(path.join(runDir, 'store.zarr'));
  const members = await readZarrArray(await openZarrArray(run, 't2m'));
  const [ni, nl, M] = members.shape as [number, number, number];
  assert.equal(s.samplesPerPoint, ni * M);
  const root = await openZarrStore(storePath);
  assert.equal(root.attrs.myriad_format, 'myriad-mclimate');
  const clim = await readZarrArray(await openZarrArray(root, 't2m_climate'));
  assert.deepEqual(clim.shape, [3, 101, TEST_GRID.nlat, TEST_GRID.nlon]);
  const x = members.data as Float32Array;
  for (let l = 0; l < nl; l++) {
    for (let p = 0; p < P; p += 13) {
      const sample: number[] = [];
      for (let i = 0; i < ni; i++) for (let m = 0; m < M; m++) sample.push(x[((i * nl + l) * M + m) * P + p]!);
      for (const k of [0, 1, 10, 50, 90, 99, 100]) near(clim.data[(l * 101 + k) * P + p] as number, numpyPercentile(sample, k), `lead ${l} point ${p} percentile ${k}`);
    }
  }
});

test("the runner's analysis-based M-climate follows the same percentile rule (climatePercentiles)", async () => {
  const run = await openZarrStore(path.join(runDir, 'store.zarr'));
  const stored = (await readZarrArray(await openZarrArray(run, 't2m_climate'))).data as Float64Array;
  // smallConfig: statistics.climate = 12 analyses every 12 h from 2024-01-01T12
  const nature = new ToyNatureRun({ grid: TEST_GRID, origin: hoursFromIso(ORIGIN), threads: 1 });
  const c = nature.channels.indexOf('t2m');
  const samples = new Float32Array(12 * P);
  for (let k = 0; k < 12; k++) samples.set((await nature.analysis(hoursFromIso('2024-01-01T12:00Z') + 12 * k)).subarray(c * P, (c + 1) * P), k * P);
  assert.deepEqual(climatePercentiles(samples, 12, P), stored);
});

test('scoreRun --mclimate: EFI of the members against the M-climate, its ROC against the truth > p95, and SOT maps', async () => {
  const geo = gridGeometry(TEST_GRID);
  const nature = new ToyNatureRun({ grid: TEST_GRID, origin: hoursFromIso(ORIGIN), threads: 1 });
  const times = Array.from({ length: 13 }, (_, k) => noleapHours(2024, 1, 1, 0) + 6 * k);
  const truth = path.join(tmp, 'truth.zarr');
  const thr95 = (await nature.analysis(hoursFromIso(ORIGIN))).slice(2 * P, 3 * P);
  await writeTruthStore(truth, {
    time: times, lat: geo.latitudesDeg, lon: geo.longitudesDeg, variables: ['t2m'],
    field: async (_v, t) => (await nature.analysis(hoursFromIso(ORIGIN) + 6 * t)).slice(2 * P, 3 * P),
    climate: (_v, q) => Float32Array.from(thr95, (x) => x + (q - 95)),
  });
  const out = await scoreRun({ runDir, truth, mclimate: storePath, variables: ['t2m'], subEnsembleSizes: [], spectrumMembers: 2 });
  const run = await openZarrStore(path.join(runDir, 'store.zarr'));
  const members = await readZarrArray(await openZarrArray(run, 't2m'));
  const [ni, nl, M] = members.shape as [number, number, number];
  const clim = (await readZarrArray(await openZarrArray(await openZarrStore(storePath), 't2m_climate'))).data as Float64Array;
  const w = latitudeWeights(geo.latitudesDeg);
  const pw = pointWeights(TEST_GRID, w);
  for (let l = 0; l < nl; l++) {
    let want = 0;
    const rocEfi: number[] = [];
    const rocEvent: number[] = [];
    const rocWeight: number[] = [];
    for (let i = 0; i < ni; i++) {
      const ens = (members.data as Float32Array).subarray((i * nl + l) * M * P, ((i * nl + l) * M + M) * P);
      const efi = efiField(clim.subarray(l * 101 * P, (l + 1) * 101 * P), 101, ens, M, P);
      want += areaMean(efi, TEST_GRID, w) / ni;
      const valid = hoursFromIso(INITS[i]!) + 12 * l;
      const y = (await nature.analysis(valid)).slice(2 * P, 3 * P);
      efi.forEach((e, p) => {
        rocEfi.push(Math.max(e, 0));
        rocEvent.push(y[p]! > thr95[p]! ? 1 : 0);
        rocWeight.push(pw[p]!);
      });
      if (i === 0) {
        const map = out.maps.find((m) => m.name === 'efi' && m.lead_hours === 12 * l)!;
        map.values.forEach((v, p) => assert.ok(Math.abs(v - efi[p]!) < 1e-12, `EFI map lead ${12 * l} point ${p}`));
      }
    }
    const got = out.records.find((r) => r.metric === 'efi_mean' && r.lead_hours === 12 * l)!.value;
    assert.ok(Math.abs(got - want) < 1e-12, `efi_mean lead ${12 * l}: ${got} vs ${want}`);
    const auc = rocCurve(rocEfi, rocEvent, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], rocWeight).auc;
    const gotAuc = out.records.find((r) => r.metric === 'roc_auc' && r.threshold === 'EFI vs p95' && r.lead_hours === 12 * l)!.value;
    assert.ok(Math.abs(gotAuc - auc) < 1e-12, `EFI ROC area lead ${12 * l}: ${gotAuc} vs ${auc}`);
  }
  assert.equal(out.maps.filter((m) => m.name === 'sot').length, nl);
  // a store that is not an M-climate is refused by name
  await assert.rejects(scoreRun({ runDir, truth, mclimate: truth, variables: ['t2m'] }), (e: Error) => e instanceof ScoreInputError && /not a myriad M-climate store/.test(e.message));
});

test('mclimate by calendar month pools every lead and init valid in the month; score picks the valid month', async () => {
  const byMonth = path.join(tmp, 'mclim-month.zarr');
  const s = await buildMclimate({ source: runDir, out: byMonth, by: 'month' });
  assert.deepEqual(s.months, [0]);
  const run = await openZarrStore(path.join(runDir, 'store.zarr'));
  const members = await readZarrArray(await openZarrArray(run, 'tcwv'));
  const [ni, nl, M] = members.shape as [number, number, number];
  const clim = (await readZarrArray(await openZarrArray(await openZarrStore(byMonth), 'tcwv_climate'))).data as Float64Array;
  assert.equal(clim.length, 12 * 101 * P);
  for (let p = 0; p < P; p += 17) {
    const sample = Array.from({ length: ni * nl * M }, (_, k) => (members.data as Float32Array)[k * P + p]!);
    for (const k of [0, 5, 50, 95, 100]) near(clim[k * P + p]!, numpyPercentile(sample, k), `January point ${p} percentile ${k}`);
    assert.ok(Number.isNaN(clim[(101 + 50) * P + p]!), 'February has no hindcasts');
  }
  const out = await scoreRun({ runDir, truth: path.join(tmp, 'truth.zarr'), mclimate: byMonth, variables: ['t2m'], subEnsembleSizes: [], spectrumMembers: 2 });
  assert.equal(out.maps.filter((m) => m.name === 'efi').length, nl);
});

test('myriad mclimate refuses an existing output and a missing source, naming them', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/myriad.js', 'mclimate', ...args], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..') });
  let r = cli(runDir, '--out', storePath, '--quiet');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^myriad mclimate: mclimate: .*mclim\.zarr exists; choose another --out or pass --overwrite/);
  r = cli(path.join(tmp, 'nothing.json'), '--out', path.join(tmp, 'x.zarr'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nothing\.json does not exist/);
});
