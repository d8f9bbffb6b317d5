// Tests for the Zarr v3 store helpers: spec-level metadata and chunk layout (checked with the zstd CLI as an
// independent decoder), xarray/zarr-python 2 via the v2 metadata, region round trips, atomic chunk replacement, clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createZarrArray, createZarrGroup, createZarrStore, flushZarr, listZarrArrays, openZarrArray, openZarrGroup,
  openZarrStore, readZarrArray, readZarrAttributes, readZarrRegion, sweepZarrTempFiles, writeZarrArray, writeZarrRegion,
} from '../../src/io/zarr.ts';

/** Debian's python3 with zarr-python 2 and xarray, if installed. */
const pythonWithZarr = ['/usr/bin/python3', 'python3'].find((exe) => spawnSync(exe, ['-c', 'import zarr, xarray'], { encoding: 'utf8' }).status === 0);

function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `myriad-zarr-${tag}-`));
}
const hasZstd = spawnSync('zstd', ['--version']).status === 0;

test('metadata follows the Zarr v3 spec and chunks decode with the zstd CLI', { skip: hasZstd ? false : 'zstd CLI not installed (Debian package zstd)' }, async () => {
  const dir = tempDir('spec');
  const root = await createZarrStore(path.join(dir, 's.zarr'), { attrs: { title: 'spec check', Conventions: 'CF-1.8' }, v2Metadata: false });
  const [nlat, nlon] = [5, 7];
  const arr = await createZarrArray(root, 't2m', {
    shape: [nlat, nlon], chunks: [2, 4], dtype: 'float32', dims: ['lat', 'lon'],
    attrs: { units: 'K', long_name: '2 metre temperature' },
  });
  const data = Float32Array.from({ length: nlat * nlon }, (_, i) => 250 + i * 0.25);
  await writeZarrArray(arr, { data, shape: [nlat, nlon] });

  const groupMeta = JSON.parse(fs.readFileSync(path.join(dir, 's.zarr', 'zarr.json'), 'utf8'));
  assert.deepEqual(groupMeta, { zarr_format: 3, node_type: 'group', attributes: { title: 'spec check', Conventions: 'CF-1.8' } });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 's.zarr', 't2m', 'zarr.json'), 'utf8'));
  assert.equal(meta.zarr_format, 3);
  assert.equal(meta.node_type, 'array');
  assert.deepEqual(meta.shape, [5, 7]);
  assert.equal(meta.data_type, 'float32');
  assert.deepEqual(meta.chunk_grid, { name: 'regular', configuration: { chunk_shape: [2, 4] } });
  assert.deepEqual(meta.chunk_key_encoding, { name: 'default', configuration: { separator: '/' } });
  assert.deepEqual(meta.codecs.map((c: { name: string }) => c.name), ['bytes', 'zstd']);
  assert.equal(meta.codecs[0].configuration.endian, 'little');
  assert.equal(meta.fill_value, 'NaN');
  assert.deepEqual(meta.dimension_names, ['lat', 'lon']);
  assert.deepEqual(meta.attributes, { units: 'K', long_name: '2 metre temperature' });

  // ceil(5/2) x ceil(7/4) = 3 x 2 chunks, keys c/i/j.
  const keys = fs.readdirSync(path.join(dir, 's.zarr', 't2m', 'c')).flatMap((i) =>
    fs.readdirSync(path.join(dir, 's.zarr', 't2m', 'c', i)).map((j) => `c/${i}/${j}`)).sort();
  assert.deepEqual(keys, ['c/0/0', 'c/0/1', 'c/1/0', 'c/1/1', 'c/2/0', 'c/2/1']);

  // Rebuild the whole array from the chunk files alone, decompressing each with the zstd CLI: chunk (i, j) holds rows
  // 2i..2i+1 and columns 4j..4j+3 in C order, edge chunks stored at full size (their padding is not part of the array).
  const rebuilt = new Float32Array(nlat * nlon).fill(NaN);
  for (const key of keys) {
    const [, i, j] = key.split('/').map(Number);
    const raw = spawnSync('zstd', ['-d', '-c', path.join(dir, 's.zarr', 't2m', ...key.split('/'))]);
    assert.equal(raw.status, 0, raw.stderr.toString());
    assert.equal(raw.stdout.length, 2 * 4 * 4, `chunk ${key} decompresses to a full 2x4 float32 chunk`);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 4; c++) {
        const [gr, gc] = [2 * i + r, 4 * j + c];
        if (gr < nlat && gc < nlon) rebuilt[gr * nlon + gc] = raw.stdout.readFloatLE((r * 4 + c) * 4);
      }
    }
  }
  assert.deepEqual(Array.from(rebuilt), Array.from(data));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('xarray and zarr-python 2 open the store through its v2 metadata: named dims, CF attrs, values, fill', {
  skip: pythonWithZarr ? false : 'zarr-python/xarray not installed (Debian packages python3-zarr, python3-xarray; npm test installs them)',
}, async () => {
  const dir = tempDir('xarray');
  const root = await createZarrStore(dir, { attrs: { title: 'ensemble summary', Conventions: 'CF-1.8' } });
  const [nm, nlat, nlon] = [3, 5, 8];
  const lat = await createZarrArray(root, 'lat', { shape: [nlat], chunks: [nlat], dtype: 'float64', dims: ['lat'], attrs: { units: 'degrees_north', standard_name: 'latitude' } });
  await writeZarrArray(lat, { data: Float64Array.from([60, 30, 0, -30, -60]), shape: [nlat] });
  const lon = await createZarrArray(root, 'lon', { shape: [nlon], chunks: [nlon], dtype: 'float64', dims: ['lon'], attrs: { units: 'degrees_east' } });
  await writeZarrArray(lon, { data: Float64Array.from({ length: nlon }, (_, i) => i * 45), shape: [nlon] });
  const t2m = await createZarrArray(root, 't2m', { shape: [nm, nlat, nlon], chunks: [1, 3, 4], dtype: 'float32', dims: ['member', 'lat', 'lon'], attrs: { units: 'K', long_name: '2 metre temperature' } });
  // Members 0 and 1 written, member 2 never: xarray must see NaN (the fill value) there.
  const values = Float32Array.from({ length: 2 * nlat * nlon }, (_, i) => 260 + (i % 37) * 0.5);
  await writeZarrRegion(t2m, [0, 0, 0], { data: values, shape: [2, nlat, nlon] });
  const seeds = await createZarrArray(root, 'stats/seed', { shape: [nm], chunks: [2], dtype: 'int64', dims: ['member'], fillValue: -1 });
  await writeZarrArray(seeds, { data: BigInt64Array.from([7n, 2n ** 40n, 9n]), shape: [nm] });
  await flushZarr(root);
  const script = `
import sys, json
import numpy as np, xarray as xr, zarr
ds = xr.open_zarr(sys.argv[1], consolidated=False)
z = zarr.open_group(sys.argv[1], mode='r')
t = ds.t2m.values
print(json.dumps({'dims': dict(ds.sizes), 't2m_dims': list(ds.t2m.dims), 'coords': sorted(ds.coords), 'attrs': ds.attrs,
  't2m_attrs': {k: v for k, v in ds.t2m.attrs.items()}, 'lat': ds.lat.values.tolist(),
  'written': np.asarray(t[:2], dtype='f8').ravel().tolist(), 'member2_nan': int(np.isnan(t[2]).sum()),
  'seed': [int(x) for x in z['stats/seed'][:]], 'chunks': list(z['t2m'].chunks), 'compressor': z['t2m'].compressor.codec_id}))`;
  const r = spawnSync(pythonWithZarr!, ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.deepEqual(got.dims, { member: nm, lat: nlat, lon: nlon });
  assert.deepEqual(got.t2m_dims, ['member', 'lat', 'lon']);
  assert.deepEqual(got.coords, ['lat', 'lon']);
  assert.deepEqual(got.attrs, { title: 'ensemble summary', Conventions: 'CF-1.8' });
  assert.deepEqual(got.t2m_attrs, { units: 'K', long_name: '2 metre temperature' });
  assert.deepEqual(got.lat, [60, 30, 0, -30, -60]);
  assert.deepEqual(got.written, Array.from(values));
  assert.equal(got.member2_nan, nlat * nlon);
  assert.deepEqual(got.seed, [7, 2 ** 40, 9]);
  assert.deepEqual(got.chunks, [1, 3, 4]);
  assert.equal(got.compressor, 'zstd');
  // The v3 metadata names the same chunk files with the spec's "v2" chunk-key encoding.
  const v3 = JSON.parse(fs.readFileSync(path.join(dir, 't2m', 'zarr.json'), 'utf8'));
  assert.deepEqual(v3.chunk_key_encoding, { name: 'v2', configuration: { separator: '/' } });
  assert.deepEqual(v3.dimension_names, ['member', 'lat', 'lon']);
  assert.equal(fs.existsSync(path.join(dir, 't2m', '1', '1', '1')), true);
  // The same store through our own v3 reader.
  const again = await openZarrArray(await openZarrStore(dir), 't2m');
  assert.deepEqual(Array.from(((await readZarrRegion(again, [0, 0, 0], [2, nlat, nlon])).data as Float32Array)), Array.from(values));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('region writes across chunk edges match a plain reference; unwritten chunks read as fill and are not stored', async () => {
  const dir = tempDir('region');
  const root = await createZarrStore(dir);
  const shape = [3, 10, 9];
  const arr = await createZarrArray(root, 'f', { shape, chunks: [2, 4, 4], dtype: 'float64', dims: ['member', 'lat', 'lon'] });
  const reference = new Float64Array(3 * 10 * 9).fill(NaN);
  const start = [1, 3, 2];
  const regionShape = [2, 5, 6];
  const region = new Float64Array(2 * 5 * 6);
  for (let a = 0; a < 2; a++) for (let b = 0; b < 5; b++) for (let c = 0; c < 6; c++) {
    const v = Math.sin(a * 31 + b * 7 + c) * 100;
    region[(a * 5 + b) * 6 + c] = v;
    reference[((a + 1) * 10 + (b + 3)) * 9 + (c + 2)] = v;
  }
  await writeZarrRegion(arr, start, { data: region, shape: regionShape });
  const whole = await readZarrArray(arr);
  assert.deepEqual(whole.shape, shape);
  assert.deepEqual(Array.from(whole.data as Float64Array), Array.from(reference));
  // Chunk (0, 2, 0) covers lat 8..9, which the region (lat 3..7) never touched: no file.
  assert.equal(fs.existsSync(path.join(dir, 'f', '0', '2', '0')), false);
  assert.equal(fs.existsSync(path.join(dir, 'f', '0', '0', '0')), true);
  // A region read that straddles chunks.
  const part = await readZarrRegion(arr, [2, 4, 5], [1, 2, 3]);
  assert.deepEqual(part.shape, [1, 2, 3]);
  const expected: number[] = [];
  for (let b = 4; b < 6; b++) for (let c = 5; c < 8; c++) expected.push(reference[(2 * 10 + b) * 9 + c]);
  assert.deepEqual(Array.from(part.data as Float64Array), expected);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('int32, int64 and float32 arrays round-trip through a reopened store with attributes and dims', async () => {
  const dir = tempDir('dtypes');
  const root = await createZarrStore(dir, { attrs: { run: 'r1' } });
  const sub = await createZarrGroup(root, 'members', { kind: 'member block' });
  const i32 = await createZarrArray(sub, 'seed', { shape: [5], chunks: [2], dtype: 'int32', dims: ['member'], fillValue: -1 });
  await writeZarrArray(i32, { data: Int32Array.from([3, -7, 2147483647, -2147483648, 0]), shape: [5] });
  const i64 = await createZarrArray(sub, 'step', { shape: [3], chunks: [3], dtype: 'int64', dims: ['lead'], compressionLevel: 0 });
  await writeZarrArray(i64, { data: BigInt64Array.from([1n, -(2n ** 40n), 2n ** 62n]), shape: [3] });
  const f32 = await createZarrArray(root, 'lat', { shape: [4], chunks: [4], dtype: 'float32', dims: ['lat'], attrs: { units: 'degrees_north', standard_name: 'latitude' } });
  await writeZarrArray(f32, { data: Float32Array.from([67.5, 22.5, -22.5, -67.5]), shape: [4] });
  await flushZarr(root);

  const reopened = await openZarrStore(dir);
  assert.deepEqual(reopened.attrs, { run: 'r1' });
  assert.deepEqual(await listZarrArrays(reopened), ['lat', 'members/seed', 'members/step']);
  const g = await openZarrGroup(reopened, 'members');
  assert.deepEqual(g.attrs, { kind: 'member block' });
  const seed = await openZarrArray(g, 'seed');
  assert.equal(seed.dtype, 'int32');
  assert.equal(seed.fillValue, -1);
  assert.deepEqual(seed.dims, ['member']);
  assert.deepEqual(Array.from((await readZarrArray(seed)).data as Int32Array), [3, -7, 2147483647, -2147483648, 0]);
  const step = await openZarrArray(reopened, 'members/step');
  assert.deepEqual(Array.from((await readZarrArray(step)).data as BigInt64Array), [1n, -(2n ** 40n), 2n ** 62n]);
  // compressionLevel 0: the chunk is the raw little-endian bytes.
  const rawStep = fs.readFileSync(path.join(dir, 'members', 'step', '0'));
  assert.equal(rawStep.length, 24);
  assert.equal(rawStep.readBigInt64LE(16), 2n ** 62n);
  const lat = await openZarrArray(reopened, 'lat');
  assert.deepEqual(await readZarrAttributes(lat), { units: 'degrees_north', standard_name: 'latitude' });
  assert.deepEqual(Array.from((await readZarrArray(lat)).data as Float32Array), [67.5, 22.5, -22.5, -67.5]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('flush syncs pending files and directories; normal writes leave no temporary files', async () => {
  const dir = tempDir('flush');
  const root = await createZarrStore(dir, { syncEachWrite: false });
  const arr = await createZarrArray(root, 'x', { shape: [8, 8], chunks: [4, 4], dtype: 'float32', dims: ['y', 'x'] });
  await writeZarrArray(arr, { data: new Float32Array(64).fill(1.5), shape: [8, 8] });
  assert.ok(root.store.pendingCount >= 4 + 1, `expected pending files, got ${root.store.pendingCount}`);
  await flushZarr(root);
  assert.equal(root.store.pendingCount, 0);
  assert.equal(sweepZarrTempFiles(dir), 0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a chunk is replaced by rename: the previous file is never modified in place', async () => {
  const dir = tempDir('rename');
  const root = await createZarrStore(dir);
  const arr = await createZarrArray(root, 'v', { shape: [6], chunks: [6], dtype: 'float32', dims: ['i'] });
  await writeZarrArray(arr, { data: new Float32Array(6).fill(1), shape: [6] });
  const chunk = path.join(dir, 'v', '0');
  const keep = path.join(dir, 'old-chunk');
  fs.linkSync(chunk, keep); // a second name for the old inode
  const before = fs.readFileSync(keep);
  await writeZarrArray(arr, { data: new Float32Array(6).fill(2), shape: [6] });
  assert.notEqual(fs.statSync(chunk).ino, fs.statSync(keep).ino, 'the chunk should be a new file renamed into place');
  assert.deepEqual(fs.readFileSync(keep), before, 'the old file must be left untouched');
  assert.deepEqual(Array.from((await readZarrArray(arr)).data as Float32Array), [2, 2, 2, 2, 2, 2]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a writer killed mid-write never leaves a torn chunk', async () => {
  const dir = tempDir('kill');
  const n = 1 << 19;
  const root = await createZarrStore(dir, { syncEachWrite: false });
  await createZarrArray(root, 'big', { shape: [n], chunks: [n], dtype: 'float64', dims: ['i'], compressionLevel: 1 });
  // The child rewrites the single chunk with a constant k = 1, 2, 3, ... until killed.
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const z = await import(${JSON.stringify(path.resolve('src/io/zarr.ts'))});
    const root = await z.openZarrStore(${JSON.stringify(dir)}, { syncEachWrite: false });
    const arr = await z.openZarrArray(root, 'big');
    for (let k = 1; ; k++) {
      const data = new Float64Array(${n});
      for (let i = 0; i < data.length; i++) data[i] = k + (i % 997) * 1e-3;
      process.stdout.write('w' + k + '\\n');
      await z.writeZarrArray(arr, { data, shape: [${n}] });
    }`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => {
    let seen = 0;
    child.stdout.on('data', (buf: Buffer) => {
      seen += buf.toString().split('\n').filter((l) => l.startsWith('w')).length;
      if (seen >= 3) { child.kill('SIGKILL'); resolve(); }
    });
  });
  await new Promise((r) => child.on('exit', r));
  const arr = await openZarrArray(await openZarrStore(dir), 'big');
  const got = (await readZarrArray(arr)).data as Float64Array;
  const k = Math.round(got[0]);
  assert.ok(k >= 1, `chunk should hold one complete write, first value ${got[0]}`);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== k + (i % 997) * 1e-3) assert.fail(`torn chunk: value ${got[i]} at ${i} is not from write ${k}`);
  }
  sweepZarrTempFiles(dir);
  assert.equal(sweepZarrTempFiles(dir), 0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad input gets clear errors', async () => {
  const dir = tempDir('errors');
  const root = await createZarrStore(dir);
  const arr = await createZarrArray(root, 'a', { shape: [4, 6], chunks: [2, 3], dtype: 'float32', dims: ['lat', 'lon'] });
  await assert.rejects(writeZarrArray(arr, { data: new Float64Array(24), shape: [4, 6] }), /must be a Float32Array for dtype float32/);
  await assert.rejects(writeZarrArray(arr, { data: new Float32Array(23), shape: [4, 6] }), /23 values, shape \[4,6\] needs 24/);
  await assert.rejects(writeZarrRegion(arr, [3, 0], { data: new Float32Array(12), shape: [2, 6] }), /region \[3, 5\) on axis 0 \(lat\) exceeds its size 4/);
  await assert.rejects(readZarrRegion(arr, [0], [1, 1]), /start must be 2 non-negative integers/);
  await assert.rejects(createZarrArray(root, 'b', { shape: [4, 6], chunks: [2], dtype: 'float32', dims: ['lat', 'lon'] }), /chunks \[2\] has rank 1/);
  await assert.rejects(createZarrArray(root, 'b', { shape: [4, 6], chunks: [2, 2], dtype: 'float32', dims: ['lat'] }), /dims must name each of the 2 axes/);
  await assert.rejects(createZarrArray(root, 'b', { shape: [4], chunks: [2], dtype: 'uint8' as never, dims: ['x'] }), /dtype "uint8" is not supported/);
  await assert.rejects(createZarrArray(root, 'b', { shape: [4], chunks: [2], dtype: 'float32', dims: ['x'], attrs: { scale: NaN } }), /attribute scale .* no NaN/);
  await assert.rejects(createZarrArray(root, 'a', { shape: [4], chunks: [2], dtype: 'float32', dims: ['x'] }), /a node already exists there/);
  await assert.rejects(createZarrArray(root, '../evil', { shape: [4], chunks: [2], dtype: 'float32', dims: ['x'] }), /not a valid Zarr node path/);
  await assert.rejects(openZarrArray(root, 'missing'), /no Zarr array "\/missing"/);
  await assert.rejects(createZarrStore(dir), /exists and is not empty/);
  fs.writeFileSync(path.join(dir, 'a', 'zarr.json'), '{ not json');
  await assert.rejects(openZarrArray(root, 'a'), /zarr.json of node "\/a" .* is not valid JSON/);
  fs.rmSync(dir, { recursive: true, force: true });
});
