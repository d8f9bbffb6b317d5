// Export and interoperability: the NetCDF-4 export read by netCDF4-python (dims, CF attributes, values equal the
// store), CDO's ensemble means (vertmean over the ensemble axis, ensmean over per-member exports) against the
// streaming mean, and the member store opened by xarray (Debian's zarr/xarray) with named dimensions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateForecastConfig } from '../../src/ensemble/config.ts';
import { exportRun } from '../../src/ensemble/export.ts';
import { runForecast } from '../../src/ensemble/runner.ts';
import { readNetcdf } from '../../src/io/netcdf.ts';
import { openZarrArray, openZarrStore, readZarrRegion } from '../../src/io/zarr.ts';
import {
  NETCDF4_DUMP_SCRIPT, decodeF8, pythonWithNetcdf4, pythonWithXarray, runCdo, runPythonJson, skipNoCdo, skipNoNetcdf4, skipNoXarray,
  type Netcdf4Dump,
} from '../io/netcdf-independent.ts';
import { TEST_GRID, smallConfig, writeCheckpoints } from './helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-export-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const M = 12;
let runDir = '';
let exported = '';

test('set-up: a small run and its export', async () => {
  const checkpoints = await writeCheckpoints(path.join(tmp, 'ck'), 2);
  const cfg = validateForecastConfig(smallConfig('run', checkpoints), tmp);
  await runForecast(cfg);
  runDir = cfg.outputDir;
  exported = path.join(tmp, 'all.nc');
  const s = await exportRun(runDir, exported, { init: '2024-01-04T12:00Z' });
  assert.equal(s.members, M);
  assert.deepEqual(s.leads, [0, 12, 24]);
  await assert.rejects(exportRun(runDir, path.join(tmp, 'x.nc'), { leads: [6] }), /leads: 6 h is not a stored lead \(stored: 0, 12, 24 h\)/);
  await assert.rejects(exportRun(runDir, path.join(tmp, 'x.nc'), { channels: ['q700'] }), /channels: 'q700' is not in the run/);
  // our own reader: time first, then ensemble
  const ds = await readNetcdf(exported, { vars: ['t2m', 't2m_mean'] });
  assert.deepEqual(ds.vars.t2m.dims, ['time', 'ensemble', 'lat', 'lon']);
});

test('netCDF4-python reads the export: dims, CF attributes, members and statistics equal the store', { skip: skipNoNetcdf4 }, async () => {
  const dump = runPythonJson(pythonWithNetcdf4!, NETCDF4_DUMP_SCRIPT, [exported]) as Netcdf4Dump;
  assert.equal(dump.format, 'NETCDF4');
  assert.deepEqual(dump.dims, { time: 3, ensemble: M, threshold_t2m: 2, lat: TEST_GRID.nlat, lon: TEST_GRID.nlon });
  assert.equal(dump.vars.time.attrs.units, 'hours since 2024-01-04 12:00:00');
  assert.equal(dump.vars.ensemble.attrs.standard_name, 'realization');
  assert.equal(dump.vars.lat.attrs.units, 'degrees_north');
  assert.equal(dump.vars.t2m.attrs.units, 'K');
  const root = await openZarrStore(path.join(runDir, 'store.zarr'));
  const stored = (await readZarrRegion(await openZarrArray(root, 't2m'), [1, 0, 0, 0, 0], [1, 3, M, TEST_GRID.nlat, TEST_GRID.nlon])).data as Float32Array;
  assert.deepEqual(Array.from(decodeF8(dump.vars.t2m.f8!)), Array.from(stored));
  const mean = (await readZarrRegion(await openZarrArray(root, 't2m_mean'), [1, 0, 0, 0], [1, 3, TEST_GRID.nlat, TEST_GRID.nlon])).data as Float64Array;
  assert.deepEqual(Array.from(decodeF8(dump.vars.t2m_mean.f8!)), Array.from(mean));
  // exceedance probability = count / members
  const prob = decodeF8(dump.vars.t2m_probability.f8!);
  const exc = (await readZarrRegion(await openZarrArray(root, 't2m_exceedance'), [1, 0, 0, 0, 0], [1, 3, 2, TEST_GRID.nlat, TEST_GRID.nlon])).data as Int32Array;
  for (let i = 0; i < exc.length; i += 11) assert.equal(prob[i], Math.fround(exc[i] / M));
  assert.deepEqual(dump.vars.member_sign.ints, ['0', '-1', '1', '-1', '1', '-1', '1', '-1', '1', '-1', '1', '-1']);
});

test('CDO: the mean over the ensemble axis and ensmean over per-member exports equal the streaming mean', { skip: skipNoCdo }, async () => {
  const root = await openZarrStore(path.join(runDir, 'store.zarr'));
  const mean = (await readZarrRegion(await openZarrArray(root, 't2m_mean'), [1, 0, 0, 0], [1, 3, TEST_GRID.nlat, TEST_GRID.nlon])).data as Float64Array;
  const info = runCdo(['-s', 'sinfon', exported]);
  assert.match(info, /RefTime =\s+2024-01-04 12:00:00/);
  assert.match(info, /lonlat\s+: points=512 \(32x16\)/);
  const vert = runCdo(['-s', '-outputf,%.10g,1', '-vertmean', '-selname,t2m', exported]).trim().split(/\s+/).map(Number);
  assert.equal(vert.length, mean.length);
  for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(vert[i] - mean[i]) < 1e-4, `vertmean ${i}: CDO ${vert[i]}, ours ${mean[i]}`);
  const files: string[] = [];
  for (let m = 0; m < M; m++) {
    const f = path.join(tmp, `member-${m}.nc`);
    await exportRun(runDir, f, { init: 1, members: [m], channels: ['t2m'], statistics: false });
    files.push(f);
  }
  const out = path.join(tmp, 'ensmean.nc');
  runCdo(['-s', '-O', 'ensmean', ...files, out]);
  const got = (await readNetcdf(out, { vars: ['t2m'] })).vars.t2m.data as Float32Array;
  assert.equal(got.length, mean.length);
  for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(got[i] - mean[i]) < 1e-4, `ensmean ${i}: CDO ${got[i]}, ours ${mean[i]}`);
});

test('xarray opens the member store with named dimensions; its mean over members equals the stored mean', { skip: skipNoXarray }, async () => {
  const r = runPythonJson(pythonWithXarray!, `
import sys, json
import numpy as np
import xarray as xr
ds = xr.open_zarr(sys.argv[1], consolidated=False)
m = ds['z500'].isel(init=0).mean('member').values.astype('float64')
s = ds['z500_mean'].isel(init=0).values
print(json.dumps({ 'dims': list(ds['z500'].dims), 'shape': list(ds['z500'].shape), 'maxdiff': float(abs(m - s).max()),
  'scale': float(abs(s).max()), 'lead': (ds['lead'].values / np.timedelta64(1, 'h')).tolist(), 'init': str(ds['init'].values[1])[:16], 'members': int(ds.sizes['member']) }))
`, [path.join(runDir, 'store.zarr')]) as { dims: string[]; shape: number[]; maxdiff: number; scale: number; lead: number[]; init: string; members: number };
  assert.deepEqual(r.dims, ['init', 'lead', 'member', 'lat', 'lon']);
  assert.deepEqual(r.shape, [2, 3, M, TEST_GRID.nlat, TEST_GRID.nlon]);
  assert.deepEqual(r.lead, [0, 12, 24]); // CF-decoded as time deltas
  assert.equal(r.init, '2024-01-04T12:00'); // CF-decoded init times
  assert.ok(r.maxdiff <= 1e-6 * r.scale, `xarray mean differs by ${r.maxdiff}`);
});
