// Tests for the NetCDF-4 writer: files read back by independent readers (netCDF4-python, CDO, xarray) with the same
// values, dimensions and CF attributes; an ensemble mean checked against CDO; atomic replacement; clear input errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNetcdf, writeNetcdf, type NetcdfWriteSpec } from '../../src/io/netcdf.ts';
import {
  decodeF8, NETCDF4_DUMP_SCRIPT, pythonWithNetcdf4, pythonWithXarray, runCdo, runPythonJson,
  skipNoCdo, skipNoNetcdf4, skipNoXarray, type Netcdf4Dump,
} from './netcdf-independent.ts';

const [NT, NE, NLAT, NLON] = [3, 4, 6, 12];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-ncwrite-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** A deterministic, non-trivial ensemble field (time, ensemble, lat, lon) in kelvin. */
function ensembleField(): Float32Array {
  const out = new Float32Array(NT * NE * NLAT * NLON);
  let i = 0;
  for (let t = 0; t < NT; t++) for (let e = 0; e < NE; e++) for (let y = 0; y < NLAT; y++) for (let x = 0; x < NLON; x++) {
    out[i++] = 250 + 30 * Math.cos((y + 0.5) / NLAT * Math.PI - Math.PI / 2) + 2 * Math.sin(x * 0.7 + t) + 0.37 * (e - 1.5) * Math.cos(x + y * 1.3);
  }
  return out;
}

const LAT = Float64Array.from({ length: NLAT }, (_, i) => 75 - 30 * i); // 75 … -75, north first
const LON = Float64Array.from({ length: NLON }, (_, i) => i * 30);
const FIELD = ensembleField();

function ensembleSpec(): NetcdfWriteSpec {
  return {
    dims: { time: NT, ensemble: NE, lat: NLAT, lon: NLON },
    coords: {
      time: { data: Float64Array.from([0, 6, 12]), attrs: { units: 'hours since 2021-03-04 00:00:00' } },
      ensemble: { data: Int32Array.from([0, 1, 2, 3]) },
      lat: { data: LAT },
      lon: { data: LON },
    },
    vars: {
      t2m: { dims: ['time', 'ensemble', 'lat', 'lon'], data: FIELD, attrs: { units: 'K', long_name: '2 metre temperature', standard_name: 'air_temperature' }, compression: 4 },
      seed: { dims: ['ensemble'], data: BigInt64Array.from([101n, 101n, 102n, 102n]), attrs: { long_name: 'bred-vector seed' } },
      subtract_perturbation: { dims: ['ensemble'], data: Int8Array.from([0, 1, 0, 1]) },
      z500: { dims: ['time', 'lat', 'lon'], data: Float64Array.from({ length: NT * NLAT * NLON }, (_, i) => 5500 + i), attrs: { units: 'm', _FillValue: NaN } },
    },
    attrs: { title: 'myriad writer test', model_str: 'sfno-test', ensemble_members: NE },
  };
}

function ensembleMean(): Float64Array {
  const mean = new Float64Array(NT * NLAT * NLON);
  const plane = NLAT * NLON;
  for (let t = 0; t < NT; t++) for (let e = 0; e < NE; e++) for (let p = 0; p < plane; p++) mean[t * plane + p] += FIELD[(t * NE + e) * plane + p] / NE;
  return mean;
}

test('netCDF4-python reads the written file back: dims, coordinates, CF attributes, values, compression', { skip: skipNoNetcdf4 }, async () => {
  const file = path.join(tmp, 'ens-nc4.nc');
  await writeNetcdf(file, ensembleSpec());
  const dump = runPythonJson(pythonWithNetcdf4!, NETCDF4_DUMP_SCRIPT, [file]) as Netcdf4Dump;
  assert.equal(dump.format, 'NETCDF4');
  assert.deepEqual(dump.dims, { time: NT, ensemble: NE, lat: NLAT, lon: NLON });
  assert.deepEqual(dump.attrs, { Conventions: 'CF-1.8', title: 'myriad writer test', model_str: 'sfno-test', ensemble_members: [NE] });
  assert.deepEqual(Object.keys(dump.vars), ['time', 'ensemble', 'lat', 'lon', 't2m', 'seed', 'subtract_perturbation', 'z500']);
  assert.deepEqual(dump.vars.lat.attrs, { standard_name: 'latitude', long_name: 'latitude', units: 'degrees_north', axis: 'Y' });
  assert.deepEqual(dump.vars.lon.attrs, { standard_name: 'longitude', long_name: 'longitude', units: 'degrees_east', axis: 'X' });
  assert.deepEqual(dump.vars.time.attrs, { standard_name: 'time', long_name: 'time', calendar: 'proleptic_gregorian', axis: 'T', units: 'hours since 2021-03-04 00:00:00' });
  assert.deepEqual(dump.vars.ensemble.attrs, { standard_name: 'realization', long_name: 'ensemble member' });
  assert.deepEqual(dump.vars.t2m.dims, ['time', 'ensemble', 'lat', 'lon']);
  assert.equal(dump.vars.t2m.dtype, 'float32');
  assert.deepEqual(dump.vars.t2m.attrs, { units: 'K', long_name: '2 metre temperature', standard_name: 'air_temperature' });
  assert.deepEqual(Array.from(decodeF8(dump.vars.t2m.f8!)), Array.from(FIELD));
  assert.deepEqual(Array.from(decodeF8(dump.vars.lat.f8!)), Array.from(LAT));
  assert.equal(dump.vars.seed.dtype, 'int64');
  assert.deepEqual(dump.vars.seed.ints, ['101', '101', '102', '102']);
  assert.equal(dump.vars.subtract_perturbation.dtype, 'int8');
  assert.deepEqual(dump.vars.subtract_perturbation.ints, ['0', '1', '0', '1']);
  assert.deepEqual(dump.vars.z500.attrs, { units: 'm', _FillValue: ['NaN'] });
  const filters = runPythonJson(pythonWithNetcdf4!, `
import sys, json, netCDF4
ds = netCDF4.Dataset(sys.argv[1])
print(json.dumps({k: {kk: vv for kk, vv in (ds[k].filters() or {}).items() if kk in ('zlib', 'complevel')} for k in ('t2m', 'z500')}))`, [file]);
  assert.deepEqual(filters, { t2m: { zlib: true, complevel: 4 }, z500: { zlib: false, complevel: 0 } });
});

test('CDO sees the grid and time axis, and its mean over the ensemble axis equals ours', { skip: skipNoCdo }, async () => {
  const file = path.join(tmp, 'ens-cdo.nc');
  await writeNetcdf(file, ensembleSpec());
  const info = runCdo(['-s', 'sinfon', file]);
  assert.match(info, /File format : NetCDF4/);
  assert.match(info, /lonlat\s+: points=72 \(12x6\)/);
  assert.match(info, /lat : 75 to -75 by -30 degrees_north/);
  assert.match(info, /lon : 0 to 330 by 30 degrees_east/);
  assert.match(info, /RefTime =\s+2021-03-04 00:00:00\s+Units = hours\s+Calendar = proleptic_gregorian/);
  assert.match(info, /2021-03-04 06:00:00\s+2021-03-04 12:00:00/);
  assert.match(info, /: t2m\b/);
  // CDO takes the non-horizontal, non-time axis (ensemble) as a generic vertical axis: vertmean = ensemble mean.
  const text = runCdo(['-s', '-outputf,%.10g,1', '-vertmean', '-selname,t2m', file]);
  const values = text.trim().split(/\s+/).map(Number);
  const mean = ensembleMean();
  assert.equal(values.length, mean.length);
  for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(values[i] - mean[i]) < 2e-4, `ensemble mean at ${i}: CDO ${values[i]}, ours ${mean[i]}`);
});

test('CDO ensmean over per-member files equals our mean, and we read CDO\'s output file', { skip: skipNoCdo }, async () => {
  const plane = NLAT * NLON;
  const files: string[] = [];
  for (let e = 0; e < NE; e++) {
    const member = new Float32Array(NT * plane);
    for (let t = 0; t < NT; t++) member.set(FIELD.subarray((t * NE + e) * plane, (t * NE + e + 1) * plane), t * plane);
    const f = path.join(tmp, `member_${e}.nc`);
    await writeNetcdf(f, {
      dims: { time: NT, lat: NLAT, lon: NLON },
      coords: { time: { data: Float64Array.from([0, 6, 12]), attrs: { units: 'hours since 2021-03-04 00:00:00' } }, lat: { data: LAT }, lon: { data: LON } },
      vars: { t2m: { dims: ['time', 'lat', 'lon'], data: member, attrs: { units: 'K' } } },
      attrs: { member: e },
    });
    files.push(f);
  }
  const out = path.join(tmp, 'ensmean.nc');
  runCdo(['-s', '-O', 'ensmean', ...files, out]);
  const ds = await readNetcdf(out);
  const got = ds.vars.t2m.data as Float32Array;
  assert.deepEqual(ds.vars.t2m.dims, ['time', 'lat', 'lon']);
  assert.deepEqual(Array.from(ds.vars.lat.data as Float64Array), Array.from(LAT));
  const mean = ensembleMean();
  for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(got[i] - mean[i]) < 1e-4, `ensmean at ${i}: CDO ${got[i]}, ours ${mean[i]}`);
});

test('xarray opens the file with named dims, decoded times and the same ensemble mean', { skip: skipNoXarray }, async () => {
  const file = path.join(tmp, 'ens-xr.nc');
  await writeNetcdf(file, ensembleSpec());
  const r = runPythonJson(pythonWithXarray!, `
import sys, json, base64
import numpy as np, xarray as xr
ds = xr.open_dataset(sys.argv[1])
m = ds.t2m.astype('f8').mean('ensemble')
print(json.dumps({'dims': dict(ds.sizes), 't2m_dims': list(ds.t2m.dims), 'coords': sorted(ds.coords),
  'time': [str(t)[:19] for t in ds.time.values], 'units': ds.t2m.attrs.get('units'), 'conv': ds.attrs.get('Conventions'),
  'mean': base64.b64encode(m.values.ravel().tobytes()).decode(), 'z500_nan': int(np.isnan(ds.z500.values).sum())}))`, [file]) as {
    dims: Record<string, number>; t2m_dims: string[]; coords: string[]; time: string[]; units: string; conv: string; mean: string; z500_nan: number;
  };
  assert.deepEqual(r.dims, { time: NT, ensemble: NE, lat: NLAT, lon: NLON });
  assert.deepEqual(r.t2m_dims, ['time', 'ensemble', 'lat', 'lon']);
  assert.deepEqual(r.coords, ['ensemble', 'lat', 'lon', 'time']);
  assert.deepEqual(r.time, ['2021-03-04T00:00:00', '2021-03-04T06:00:00', '2021-03-04T12:00:00']);
  assert.equal(r.units, 'K');
  assert.equal(r.conv, 'CF-1.8');
  assert.equal(r.z500_nan, 0);
  const theirs = decodeF8(r.mean);
  const ours = ensembleMean();
  for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(theirs[i] - ours[i]) < 1e-9, `mean at ${i}: xarray ${theirs[i]}, ours ${ours[i]}`);
});

test('our reader reads our writer: every integer and float type, attributes with NaN and non-ASCII text', async () => {
  const file = path.join(tmp, 'types.nc');
  await writeNetcdf(file, {
    dims: { n: 3 },
    vars: {
      i8: { dims: ['n'], data: Int8Array.from([-128, 0, 127]) },
      u8: { dims: ['n'], data: Uint8Array.from([0, 128, 255]) },
      i16: { dims: ['n'], data: Int16Array.from([-32768, 1, 32767]) },
      i32: { dims: ['n'], data: Int32Array.from([-(2 ** 31), 5, 2 ** 31 - 1]) },
      i64: { dims: ['n'], data: BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 63n - 1n]) },
      f32: { dims: ['n'], data: Float32Array.from([1.5, NaN, -0.25]), attrs: { _FillValue: NaN, units: '°C', note: 'Überprüft', valid: [1, 2.5] } },
      f64: { dims: ['n'], data: Float64Array.from([1e-300, 2, 3e300]), attrs: { _FillValue: -999, scale: Float32Array.of(0.5) } },
    },
    attrs: { empty: '', list: ['a', 'bc'] },
  });
  const ds = await readNetcdf(file);
  assert.equal(ds.format, 'netcdf4');
  assert.deepEqual(ds.dims, { n: 3 });
  assert.deepEqual(Array.from(ds.vars.i8.data as Int8Array), [-128, 0, 127]);
  assert.deepEqual(Array.from(ds.vars.u8.data as Uint8Array), [0, 128, 255]);
  assert.deepEqual(Array.from(ds.vars.i16.data as Int16Array), [-32768, 1, 32767]);
  assert.deepEqual(Array.from(ds.vars.i32.data as Int32Array), [-(2 ** 31), 5, 2 ** 31 - 1]);
  assert.deepEqual(Array.from(ds.vars.i64.data as BigInt64Array), [-(2n ** 63n), 0n, 2n ** 63n - 1n]);
  assert.deepEqual(Array.from(ds.vars.f32.data as Float32Array), [1.5, NaN, -0.25]);
  assert.deepEqual(ds.vars.f32.attrs, { _FillValue: NaN, units: '°C', note: 'Überprüft', valid: [1, 2.5] });
  assert.deepEqual(Array.from(ds.vars.f64.data as Float64Array), [1e-300, 2, 3e300]);
  assert.deepEqual(ds.vars.f64.attrs, { _FillValue: -999, scale: 0.5 });
  assert.deepEqual(ds.attrs, { Conventions: 'CF-1.8', empty: '', list: ['a', 'bc'] });
  assert.deepEqual(ds.vars.i8.dims, ['n']);
});

test('a failed write leaves the existing file untouched and no temporary file behind', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'atomic-'));
  const file = path.join(dir, 'out.nc');
  await writeNetcdf(file, ensembleSpec());
  const before = fs.readFileSync(file);
  // Fails inside the HDF5 writer (an attribute value of an unsupported kind), after the temporary file was created.
  const bad = ensembleSpec();
  bad.vars.t2m.attrs = { units: 'K', broken: { nested: true } as never };
  await assert.rejects(writeNetcdf(file, bad), /attribute broken: expected text, numbers or a typed array/);
  assert.deepEqual(fs.readFileSync(file), before);
  assert.deepEqual(fs.readdirSync(dir), ['out.nc']);
  // A successful rewrite replaces it whole.
  const next = ensembleSpec();
  next.attrs = { title: 'second version' };
  await writeNetcdf(file, next);
  assert.equal((await readNetcdf(file, { vars: [] })).attrs.title, 'second version');
  assert.deepEqual(fs.readdirSync(dir), ['out.nc']);
});

test('bad specs get clear errors before anything is written', async () => {
  const file = path.join(tmp, 'never.nc');
  const spec = (): NetcdfWriteSpec => ensembleSpec();
  const withVar = (v: Partial<NetcdfWriteSpec['vars'][string]>): NetcdfWriteSpec => {
    const s = spec();
    s.vars.t2m = { ...s.vars.t2m, ...v };
    return s;
  };
  await assert.rejects(writeNetcdf(file, withVar({ dims: ['time', 'member', 'lat', 'lon'] })), /variable t2m uses dimension "member", which is not declared/);
  await assert.rejects(writeNetcdf(file, withVar({ data: new Float32Array(5) })), /variable t2m has 5 values; dims \(time, ensemble, lat, lon\) = \[3,4,6,12\] need 864/);
  await assert.rejects(writeNetcdf(file, withVar({ data: [1, 2] as never })), /data must be a Float32Array/);
  await assert.rejects(writeNetcdf(file, withVar({ compression: 12 })), /compression must be a deflate level 0..9, got 12/);
  await assert.rejects(writeNetcdf(file, withVar({ compression: 2, chunks: [1, 1, 7, 12] })), /chunks \[1,1,7,12\] must give 1..size/);
  const noUnits = spec();
  noUnits.coords!.time.attrs = {};
  await assert.rejects(writeNetcdf(file, noUnits), /time coordinate time needs units like "hours since/);
  const badLat = spec();
  badLat.coords!.lat = { data: Float64Array.from([95, 60, 30, 0, -30, -60]) };
  await assert.rejects(writeNetcdf(file, badLat), /latitude coordinate lat has value 95, outside \[-90, 90\]/);
  const strayCoord = spec();
  strayCoord.coords!.level = { data: Float64Array.from([500]) };
  await assert.rejects(writeNetcdf(file, strayCoord), /coordinate level is not one of the dimensions/);
  const badDim = spec();
  badDim.dims.time = 0;
  await assert.rejects(writeNetcdf(file, badDim), /dimension time has size 0; expected an integer >= 1/);
  await assert.rejects(writeNetcdf(path.join(tmp, 'no-such-dir', 'x.nc'), spec()), /directory .*no-such-dir does not exist/);
  assert.equal(fs.existsSync(file), false);
});
