// Tests for the CF helpers on real files: 500 hPa winds from nc4uvt.nc, orography with row 0 northernmost, CF time
// decoding checked against cftime, unit aliases and conversions, and clear errors for broken coordinates and units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openNetcdf, writeNetcdf } from '../../src/io/netcdf.ts';
import {
  canonicalUnits, checkMonotone, checkUnits, convertUnits, decodeTimes, findCoordinate, readLatLonField,
} from '../../src/io/cf.ts';
import { decodeF8, pythonWithNetcdf4, runPythonJson, skipNoNetcdf4 } from './netcdf-independent.ts';

const fixture = (name: string): string => path.resolve('test/fixtures/ncl', name);

test('500 hPa U and V from nc4uvt.nc: right level, north-first rows, same values as netCDF4-python', { skip: skipNoNetcdf4 }, async () => {
  const f = await openNetcdf(fixture('nc4uvt.nc'));
  try {
    assert.equal(findCoordinate(f, 'U', 'vertical'), 'lev');
    assert.equal(findCoordinate(f, 'U', 'latitude'), 'lat');
    assert.equal(findCoordinate(f, 'U', 'longitude'), 'lon');
    const u = readLatLonField(f, 'U', { select: { vertical: { value: 500, units: 'hPa' }, time: { index: 0 } }, units: 'm s-1' });
    assert.deepEqual(u.dims, ['lat', 'lon']);
    assert.deepEqual(u.shape, [64, 128]);
    assert.deepEqual(u.selected, { lev: 500, time: 0 });
    assert.equal(u.units, 'm s-1');
    assert.ok(u.lat[0] > 87 && u.lat[63] < -87, `row 0 must be northernmost, got lat[0] = ${u.lat[0]}`);
    const ref = runPythonJson(pythonWithNetcdf4!, `
import sys, json, base64
import numpy as np, netCDF4
ds = netCDF4.Dataset(sys.argv[1])
k = int(np.where(ds['lev'][:] == 500)[0][0])
lat = ds['lat'][:]
out = {}
for name in ('U', 'V'):
    x = np.ma.filled(ds[name][0, k, :, :].astype('f8'), np.nan)
    if lat[0] < lat[-1]: x = x[::-1, :]
    out[name] = base64.b64encode(x.ravel().tobytes()).decode()
print(json.dumps(out))`, [fixture('nc4uvt.nc')]) as { U: string; V: string };
    assert.deepEqual(Array.from(u.data, Number), Array.from(decodeF8(ref.U)));
    // The same level chosen in pascals.
    const v = readLatLonField(f, 'V', { select: { lev: { value: 50000, units: 'Pa' }, time: { index: 0 } } });
    assert.deepEqual(Array.from(v.data, Number), Array.from(decodeF8(ref.V)));
    // Physical sanity for January: the strongest zonal-mean jet (200 hPa) is the northern subtropical jet, and at
    // 500 hPa the northern (winter) polar cap is colder than the southern (summer) one.
    const zonalMean = (field: Float32Array | Float64Array, row: number): number => {
      let s = 0;
      for (let c = 0; c < 128; c++) s += field[row * 128 + c];
      return s / 128;
    };
    const u200 = readLatLonField(f, 'U', { select: { lev: { value: 200 }, time: { index: 0 } } });
    let bestRow = 0;
    for (let r = 1; r < 64; r++) if (zonalMean(u200.data, r) > zonalMean(u200.data, bestRow)) bestRow = r;
    assert.ok(u200.lat[bestRow] > 20 && u200.lat[bestRow] < 45, `200 hPa zonal-mean U peaks at ${u200.lat[bestRow]}°`);
    const t500 = readLatLonField(f, 'T', { select: { lev: { value: 500 }, time: { index: 0 } } });
    assert.ok(zonalMean(t500.data, 0) + 5 < zonalMean(t500.data, 63), 'north polar cap colder than south in January');
  } finally {
    f.close();
  }
});

test('nc4uvt.nc labels T with units "C" (coulomb) although the values are kelvin: asking for K is refused', async () => {
  const f = await openNetcdf(fixture('nc4uvt.nc'));
  try {
    assert.throws(() => checkUnits(f.vars.T, 'K'), /variable T has units "C" \("C" is the coulomb in UDUNITS; Celsius is "degC"\); expected "K"/);
    assert.throws(() => readLatLonField(f, 'T', { select: { lev: { index: 3 }, time: { index: 0 } }, units: 'K' }), /cannot convert units "C"/);
    assert.throws(() => findCoordinate(f, 'T', 'time'), /time looks like its time coordinate but has units "Month"; a time coordinate needs units "<unit> since <date>"/);
    assert.throws(() => readLatLonField(f, 'T', { select: { lev: { value: 550 }, time: { index: 0 } } }), /lev = 550 is not among the values of coordinate lev .*: 1000, 850, 700, 500/);
    assert.throws(() => readLatLonField(f, 'T', { select: { lev: { index: 14 } } }), /index 14 along lev of T is outside 0..13/);
  } finally {
    f.close();
  }
});

test('orography comes back north-first with the Tibetan Plateau and Antarctica where they belong', async () => {
  const f = await openNetcdf(fixture('orog_mod1_rectilinear_grid_2D.nc'));
  try {
    const rawLat = f.read('lat').data as Float64Array;
    assert.ok(rawLat[0] < rawLat[95], 'the file stores latitudes south to north');
    const orog = readLatLonField(f, 'orog', { units: 'm' });
    assert.deepEqual(orog.shape, [96, 192]);
    assert.ok(orog.lat[0] > 88 && orog.lat[95] < -88);
    const raw = f.read('orog').data as Float32Array;
    // Row 0 of the result is the file's last (northernmost) row.
    assert.deepEqual(Array.from(orog.data.subarray(0, 192)), Array.from(raw.subarray(95 * 192, 96 * 192)));
    let max = -Infinity;
    let at = -1;
    orog.data.forEach((v, i) => { if (v > max) [max, at] = [v, i]; });
    const [latMax, lonMax] = [orog.lat[Math.floor(at / 192)], orog.lon[at % 192]];
    assert.ok(latMax > 25 && latMax < 40 && lonMax > 70 && lonMax < 105, `highest point at ${latMax}N ${lonMax}E`);
    let south = 0;
    for (let c = 0; c < 192; c++) south += orog.data[95 * 192 + c] / 192;
    assert.ok(south > 2000, `mean height of the southernmost row is ${south} m`);
  } finally {
    f.close();
  }
});

test('CF times decode like cftime for the real file and for noleap/360_day calendars', { skip: skipNoNetcdf4 }, async () => {
  const f = await openNetcdf(fixture('tas_jan_jul_2005.nc'));
  const times = f.read('time').data as Float64Array;
  assert.equal(findCoordinate(f, 'tas', 'time'), 'time');
  const ours = decodeTimes(times, String(f.vars.time.attrs.units), String(f.vars.time.attrs.calendar));
  f.close();
  assert.deepEqual(ours, ['2005-01-16T12:00:00', '2005-07-16T12:00:00']);
  const cases: [number[], string, string][] = [
    [[0, 59, 60, 365, 366, 36524.25], 'days since 2000-01-01 00:00:00', 'standard'],
    [[0, 59, 60, 365, 730.5], 'days since 2000-01-01', 'noleap'],
    [[0, 29, 30, 359, 360, 725.75], 'days since 2000-01-01', '360_day'],
    [[-6, 0, 6, 8766], 'hours since 1999-12-31 18:00:00', 'proleptic_gregorian'],
    [[90, 3600.5], 'minutes since 2021-03-04T06:00:00', 'gregorian'],
    [[-1, 0, 86400 * 366], 'seconds since 1970-01-01', 'standard'],
  ];
  const theirs = runPythonJson(pythonWithNetcdf4!, `
import sys, json, cftime
cases = json.loads(sys.argv[1])
print(json.dumps([[cftime.num2date(v, u, calendar=c).strftime('%Y-%m-%dT%H:%M:%S') for v in vals] for vals, u, c in cases]))`, [JSON.stringify(cases)]);
  assert.deepEqual(cases.map(([vals, u, c]) => decodeTimes(vals, u, c)), theirs);
  assert.deepEqual(decodeTimes([0, 11, 12, 229], 'months since 1958-1-1 00:00:00'), ['1958-01-01T00:00:00', '1958-12-01T00:00:00', '1959-01-01T00:00:00', '1977-02-01T00:00:00']);
  assert.throws(() => decodeTimes([1.5], 'months since 1958-1-1'), /not a whole number of months/);
  assert.throws(() => decodeTimes([1], 'Month'), /not of the form "<unit> since YYYY-MM-DD/);
  assert.throws(() => decodeTimes([1], 'days since 2000-01-01', 'julian'), /calendar "julian" is not supported/);
});

test('broken coordinates get clear errors: non-monotone latitude, no latitude coordinate, wrong dimension order', async () => {
  const bad = await openNetcdf(fixture('nonmonotone_lat.nc'));
  assert.throws(() => readLatLonField(bad, 'z'), /axis lat of .*nonmonotone_lat\.nc is not strictly monotone: value 30 at index 2 follows 20/);
  bad.close();
  const none = await openNetcdf(fixture('no_coordinates.nc'));
  assert.throws(() => findCoordinate(none, 'u', 'latitude'), /lat looks like its latitude coordinate but is not one of its dimensions \(y, x\) and has units "degrees"/);
  assert.throws(() => findCoordinate(none, 'u', 'longitude'), /has no longitude coordinate among its dimensions \(y, x\)/);
  assert.throws(() => checkUnits(none.vars.u, 'm s-1'), /variable u has units "knots"; expected "m s-1"/);
  assert.throws(() => findCoordinate(none, 'w', 'latitude'), /no variable "w"/);
  none.close();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-cf-'));
  const file = path.join(dir, 'lonlat.nc');
  await writeNetcdf(file, {
    dims: { lon: 3, lat: 2 },
    coords: { lon: { data: Float64Array.from([0, 120, 240]) }, lat: { data: Float64Array.from([45, -45]) } },
    vars: { z: { dims: ['lon', 'lat'], data: new Float32Array(6), attrs: { units: 'm' } } },
  });
  const swapped = await openNetcdf(file);
  assert.throws(() => readLatLonField(swapped, 'z'), /has dimensions \(lon, lat\); expected latitude lat and longitude lon as the last two/);
  swapped.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('units: aliases, conversions and monotone checks', () => {
  assert.equal(canonicalUnits('m/s'), 'm s-1');
  assert.equal(canonicalUnits('m s**-1'), 'm s-1');
  assert.equal(canonicalUnits('degree_N'), 'degrees_north');
  assert.equal(canonicalUnits('degreesE'), 'degrees_east');
  assert.equal(canonicalUnits('Kelvin'), 'K');
  assert.equal(canonicalUnits('millibar'), 'hPa');
  assert.equal(canonicalUnits('furlongs'), 'furlongs');
  assert.deepEqual(Array.from(convertUnits([0, -273.15, 15], 'degC', 'K')), [273.15, 0, 288.15]);
  assert.deepEqual(Array.from(convertUnits([500, 1000], 'hPa', 'Pa')), [50000, 100000]);
  assert.deepEqual(Array.from(convertUnits([1.5], 'km', 'metres')), [1500]);
  assert.throws(() => convertUnits([1], 'm', 'K', 'variable x'), /variable x: cannot convert units "m" to "K"/);
  assert.equal(checkMonotone([3, 2, 1], 'a'), 'decreasing');
  assert.equal(checkMonotone([1, 2, 3], 'a'), 'increasing');
  assert.throws(() => checkMonotone([1, 2, 2], 'lon'), /axis lon is not strictly monotone: value 2 at index 2 follows 2/);
  assert.throws(() => checkMonotone([1, NaN, 3], 'lev'), /axis lev is not strictly monotone: value NaN at index 1/);
});
