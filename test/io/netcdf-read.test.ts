// Tests for the NetCDF readers on real files (NCL sample data, a CDO-written 64-bit-offset file, an ncgen CDF-5 file),
// compared value by value with netCDF4-python; hyperslabs; and broken files that must fail with clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectNetcdfFormat, openNetcdf, readNetcdf, type NetcdfAttribute } from '../../src/io/netcdf.ts';
import { decodeF8, NETCDF4_DUMP_SCRIPT, pythonWithNetcdf4, runPythonJson, skipNoNetcdf4, type Netcdf4Dump } from './netcdf-independent.ts';

const FIXTURES = path.resolve('test/fixtures/ncl');
const fixture = (name: string): string => path.join(FIXTURES, name);

/** netCDF default fill values of integer types (netcdf.h NC_FILL_*). */
const INTEGER_DEFAULT_FILL: Record<string, number> = { int8: -127, uint8: 255, int16: -32767, uint16: 65535, int32: -2147483647, uint32: 4294967295 };

function normaliseAttr(a: NetcdfAttribute): string | (number | string)[] {
  if (typeof a === 'string') return a;
  const list = (Array.isArray(a) ? a : [a]) as (number | bigint | string)[];
  return list.map((x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : typeof x === 'bigint' ? Number(x) : x));
}

test('formats are recognised from the first bytes', () => {
  assert.equal(detectNetcdfFormat(fixture('nc4uvt.nc')), 'netcdf4');
  assert.equal(detectNetcdfFormat(fixture('orog_mod1_rectilinear_grid_2D.nc')), 'classic');
  assert.equal(detectNetcdfFormat(fixture('tas_jan_jul_2005.nc')), '64bit-offset');
  assert.equal(detectNetcdfFormat(fixture('packed_cdf5.nc')), '64bit-data');
});

for (const name of ['nc4uvt.nc', 'orog_mod1_rectilinear_grid_2D.nc', 'tas_jan_jul_2005.nc', 'uv300.nc', 'packed_cdf5.nc']) {
  test(`${name}: every variable, dimension and attribute matches netCDF4-python`, { skip: skipNoNetcdf4 }, async () => {
    const ours = await readNetcdf(fixture(name));
    const theirs = runPythonJson(pythonWithNetcdf4!, NETCDF4_DUMP_SCRIPT, [fixture(name)]) as Netcdf4Dump;
    assert.deepEqual(ours.dims, theirs.dims);
    assert.deepEqual(ours.unlimited, theirs.unlimited);
    assert.deepEqual(Object.keys(ours.vars).sort(), Object.keys(theirs.vars).sort());
    const ourGlobal = Object.fromEntries(Object.entries(ours.attrs).map(([k, v]) => [k, normaliseAttr(v)]));
    assert.deepEqual(ourGlobal, theirs.attrs);
    for (const [vn, ref] of Object.entries(theirs.vars)) {
      const v = ours.vars[vn];
      const attrs = Object.fromEntries(Object.entries(v.attrs).map(([k, a]) => [k, normaliseAttr(a)]));
      assert.deepEqual(attrs, ref.attrs, `attributes of ${vn}`);
      if (ref.strings) {
        assert.deepEqual(v.dims, ref.dims.slice(0, -1), `dims of char variable ${vn}`);
        assert.deepEqual(v.data, ref.strings, `strings of ${vn}`);
        continue;
      }
      assert.deepEqual(v.dims, ref.dims, `dims of ${vn}`);
      assert.deepEqual(v.shape, ref.shape, `shape of ${vn}`);
      if (ref.ints) {
        assert.deepEqual(Array.from(v.data as ArrayLike<number | bigint>, (x) => String(x)), ref.ints, `values of ${vn}`);
      } else {
        const expected = decodeF8(ref.f8!);
        const got = Array.from(v.data as ArrayLike<number>, Number);
        assert.equal(got.length, expected.length, `length of ${vn}`);
        // netCDF4-python also masks the netCDF default fill of integer types without _FillValue (e.g. 255 for ubyte);
        // this reader keeps such integers as data (they are legitimate values), so accept exactly that difference.
        const intDefault = v.attrs._FillValue === undefined ? INTEGER_DEFAULT_FILL[v.dtype] : undefined;
        for (let i = 0; i < got.length; i++) {
          if (Number.isNaN(expected[i]) && got[i] === intDefault) continue;
          if (!(Object.is(got[i], expected[i]) || got[i] === expected[i])) assert.fail(`${name} ${vn}[${i}]: ours ${got[i]}, netCDF4-python ${expected[i]}`);
        }
      }
    }
  });
}

test('CF decoding of the CDF-5 file: packing, _FillValue, missing_value, valid_range, char and unsigned types', async () => {
  const ds = await readNetcdf(fixture('packed_cdf5.nc'));
  assert.equal(ds.format, '64bit-data');
  assert.deepEqual(ds.unlimited, ['time']);
  const wind = ds.vars.wind;
  assert.ok(wind.data instanceof Float64Array);
  // Raw shorts from the CDL: 0, 100, fill, 250 / missing, -500, 3001 (> valid max), 1 / -3000, 3000, 7, -1.
  const raw = [0, 100, null, 250, null, -500, null, 1, -3000, 3000, 7, -1];
  const expected = raw.map((r) => (r === null ? NaN : r * 0.01 + 10));
  assert.deepEqual(Array.from(wind.data as Float64Array), expected);
  const undecoded = await readNetcdf(fixture('packed_cdf5.nc'), { decode: false, vars: ['wind'] });
  assert.deepEqual(Array.from(undecoded.vars.wind.data as Int16Array), [0, 100, -32767, 250, -32766, -500, 3001, 1, -3000, 3000, 7, -1]);
  assert.deepEqual(ds.vars.name.data, ['alpha', 'beta', 'gamma', 'delta']);
  assert.deepEqual(ds.vars.name.dims, ['station']);
  assert.deepEqual(Array.from(ds.vars.count.data as BigUint64Array), [1n, 2n, 9007199254740993n, 4n]);
  assert.deepEqual(Array.from(ds.vars.flag.data as Uint8Array), [0, 1, 255, 7]);
  assert.deepEqual(Array.from(ds.vars.pressure.data as Float32Array), [1000.5, NaN, 850.25, 500]);
  assert.deepEqual(ds.attrs.weights, [0.25, 0.5, 0.25]);
});

test('hyperslab reads equal the same cut of a whole read (classic record variable and NetCDF-4)', async () => {
  const tas = await openNetcdf(fixture('tas_jan_jul_2005.nc'));
  try {
    const whole = tas.read('tas');
    assert.deepEqual(whole.shape, [2, 96, 192]);
    const part = tas.read('tas', { start: [1, 10, 180], count: [1, 3, 12] });
    assert.deepEqual(part.shape, [1, 3, 12]);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 12; c++) {
        assert.equal((part.data as Float32Array)[r * 12 + c], (whole.data as Float32Array)[(1 * 96 + 10 + r) * 192 + 180 + c]);
      }
    }
    assert.throws(() => tas.read('tas', { start: [2, 0, 0], count: [1, 96, 192] }), /slab \[2, 3\) on dimension time of variable "tas" is outside 0..2/);
    assert.throws(() => tas.read('nope'), /has no variable "nope"/);
  } finally {
    tas.close();
  }
  const uvt = await openNetcdf(fixture('nc4uvt.nc'));
  try {
    const whole = uvt.read('U');
    const k = Array.from(uvt.read('lev').data as Int32Array).indexOf(500);
    assert.ok(k >= 0, 'nc4uvt.nc has a 500 hPa level');
    const level = uvt.read('U', { start: [0, k, 0, 0], count: [1, 1, 64, 128] });
    assert.deepEqual(Array.from(level.data as Float32Array), Array.from((whole.data as Float32Array).subarray(k * 64 * 128, (k + 1) * 64 * 128)));
    assert.deepEqual(uvt.groups, ['grp1', 'group2', 'g3']);
  } finally {
    uvt.close();
  }
  const grp = await readNetcdf(fixture('nc4uvt.nc'), { group: 'grp1', vars: ['lev'] });
  assert.deepEqual(Array.from(grp.vars.lev.data as Int32Array).slice(0, 3), [1000, 850, 700]);
  await assert.rejects(openNetcdf(fixture('nc4uvt.nc'), { group: 'nope' }), /has no group "nope"/);
});

test('broken files fail with errors that say what is wrong', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-ncbroken-'));
  const write = (name: string, bytes: Uint8Array): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  const orog = fs.readFileSync(fixture('orog_mod1_rectilinear_grid_2D.nc'));
  const uvt = fs.readFileSync(fixture('nc4uvt.nc'));
  await assert.rejects(readNetcdf(write('text.nc', Buffer.from('hello, this is not netcdf'))), /is not a NetCDF file: it starts with bytes \[68 65 6c 6c 6f 2c 20 74\]/);
  await assert.rejects(readNetcdf(write('empty.nc', new Uint8Array(0))), /is not a NetCDF file/);
  await assert.rejects(readNetcdf(write('cdf9.nc', Buffer.from('CDF\x09\0\0\0\0', 'latin1'))), /is not a NetCDF file/);
  await assert.rejects(readNetcdf(path.join(dir, 'missing.nc')), /cannot open NetCDF file .*missing\.nc/);
  // Classic, cut inside the data and inside the header.
  await assert.rejects(readNetcdf(write('orog-data-cut.nc', orog.subarray(0, 40000))), /is truncated: variable \w+ needs bytes up to \d+ but the file has 40000/);
  await assert.rejects(readNetcdf(write('orog-header-cut.nc', orog.subarray(0, 200))), /is truncated: reading .* needs bytes/);
  // Classic with a damaged list tag.
  const badTag = Buffer.from(orog);
  badTag.writeUInt32BE(0x0d, 8);
  await assert.rejects(readNetcdf(write('orog-bad-tag.nc', badTag)), /expected the dimension list tag 10 .* found 13; the header is corrupt/);
  // NetCDF-4 cut short, and with its metadata overwritten.
  await assert.rejects(readNetcdf(write('uvt-cut.nc', uvt.subarray(0, 100000))), /is truncated: its superblock says the file ends at byte 2437725, but it has 100000 bytes/);
  const garbled = Buffer.from(uvt);
  garbled.fill(0xab, 600, 5000);
  await assert.rejects(readNetcdf(write('uvt-garbled.nc', garbled)), /cannot read the structure of NetCDF-4 file .*uvt-garbled\.nc: .*checksum/);
  fs.rmSync(dir, { recursive: true, force: true });
});
