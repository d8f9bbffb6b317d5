// Tests the safetensors reader/writer: round trips of every dtype, a file written by the Python library,
// hand-built BF16/F16 tensors, and a clear SafetensorsError for every kind of malformed file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadSafetensors,
  readSafetensors,
  saveSafetensors,
  SafetensorsError,
  writeSafetensors,
  type NamedTensor,
} from '../../src/io/safetensors.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/safetensors/pytorch_mlp_io.safetensors', import.meta.url));

/** Builds a file by hand from a header (string or object) and a data buffer. */
function build(header: string | object, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function assertBad(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => readSafetensors(bytes, 'bad.safetensors'),
    (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${String(e)}`);
      assert.match(e.message, /bad\.safetensors/);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

test('round trip of every writable dtype with metadata', () => {
  const tensors = new Map<string, NamedTensor>([
    ['f32', { dtype: 'float32', shape: [2, 3], data: new Float32Array([1.5, -2, 3.25, 0, -0, 1e-30]) }],
    ['f64', { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) }],
    ['i64', { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) }],
    ['i32', { dtype: 'int32', shape: [1, 2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) }],
    ['u8', { dtype: 'uint8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) }],
    ['flag', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['empty', { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) }],
    ['scalar', { dtype: 'float64', shape: [], data: new Float64Array([42]) }],
    ['7', { dtype: 'int32', shape: [1], data: new Int32Array([7]) }],
  ]);
  const metadata = { format: 'pt', note: 'ünïcode ✓' };
  const bytes = writeSafetensors(tensors, metadata);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0, 'header padded to a multiple of 8');
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  assert.match(headerText, /^\{.*\} *$/);
  assert.ok(headerText.indexOf('"f32"') < headerText.indexOf('"7"'), 'header keeps insertion order');

  const back = readSafetensors(bytes);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [name, t] of tensors) {
    const r = back.tensors.get(name)!;
    assert.equal(r.dtype, t.dtype, name);
    assert.deepEqual(r.shape, t.shape, name);
    assert.equal(r.data.constructor, t.data.constructor, name);
    assert.deepEqual(Array.from(r.data as ArrayLike<number | bigint>), Array.from(t.data as ArrayLike<number | bigint>), name);
    assert.equal(r.data.byteOffset % r.data.BYTES_PER_ELEMENT, 0, `${name} aligned`);
  }
  // -0 survives bit for bit
  assert.ok(Object.is((back.tensors.get('f32')!.data as Float32Array)[4], -0));
});

test('plain object input and no metadata', () => {
  const bytes = writeSafetensors({ a: { dtype: 'int32', shape: [2], data: new Int32Array([3, 4]) } });
  const back = readSafetensors(bytes);
  assert.deepEqual(back.metadata, {});
  assert.deepEqual(Array.from(back.tensors.get('a')!.data as Int32Array), [3, 4]);
});

test('writer sends subarray views correctly (respects byteOffset)', () => {
  const base = new Float64Array([9, 1, 2, 3, 9]);
  const bytes = writeSafetensors({ v: { dtype: 'float64', shape: [3], data: base.subarray(1, 4) } });
  assert.deepEqual(Array.from(readSafetensors(bytes).tensors.get('v')!.data as Float64Array), [1, 2, 3]);
});

test('reads a file written by the Python safetensors library', () => {
  const { tensors, metadata } = loadSafetensors(FIXTURE);
  assert.equal(metadata.model, 'pytorch_mlp.onnx');
  const x = tensors.get('x')!;
  const y = tensors.get('y')!;
  assert.equal(x.dtype, 'float32');
  assert.deepEqual(x.shape, [3, 8]);
  assert.equal(x.data.length, 24);
  assert.equal(y.dtype, 'float32');
  assert.deepEqual(y.shape, [3, 4]);
  assert.equal(y.data.length, 12);
  // Values decoded independently with Python's struct module.
  assert.equal((x.data as Float32Array)[0], Math.fround(-1.2536547183990479));
  assert.equal((x.data as Float32Array)[23], Math.fround(-0.47551384568214417));
  assert.equal((y.data as Float32Array)[0], Math.fround(-0.44524550437927246));
  assert.equal((y.data as Float32Array)[11], Math.fround(0.20337751507759094));
});

test('reading an unaligned view of a file yields aligned copies', () => {
  const raw = readFileSync(FIXTURE);
  const shifted = new Uint8Array(raw.length + 3);
  shifted.set(raw, 3);
  const { tensors } = readSafetensors(shifted.subarray(3), 'shifted');
  const x = tensors.get('x')!.data as Float32Array;
  assert.equal(x.byteOffset % 4, 0);
  assert.equal(x[0], Math.fround(-1.2536547183990479));
});

test('BF16 and F16 tensors built by hand are converted to float32', () => {
  // bf16 bit patterns: 1.0, -2.0, 0.5, 3.140625, +inf, smallest normal 2^-126
  const bf16 = new Uint16Array([0x3f80, 0xc000, 0x3f00, 0x4049, 0x7f80, 0x0080]);
  // f16 bit patterns: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), -inf, 0.333251953125
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0xfc00, 0x3555]);
  const data = new Uint8Array(24);
  data.set(new Uint8Array(bf16.buffer), 0);
  data.set(new Uint8Array(f16.buffer), 12);
  const bytes = build(
    {
      b: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 12] },
      h: { dtype: 'F16', shape: [6], data_offsets: [12, 24] },
    },
    data,
  );
  const { tensors } = readSafetensors(bytes);
  const b = tensors.get('b')!;
  assert.equal(b.dtype, 'float32');
  assert.deepEqual(b.shape, [2, 3]);
  assert.deepEqual(Array.from(b.data as Float32Array), [1, -2, 0.5, 3.140625, Infinity, 2 ** -126]);
  const h = tensors.get('h')!;
  assert.equal(h.dtype, 'float32');
  assert.deepEqual(Array.from(h.data as Float32Array), [1, -2, 65504, 2 ** -24, -Infinity, 0.333251953125]);
});

test('saveSafetensors writes atomically and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myriad-st-'));
  try {
    const path = join(dir, 'w.safetensors');
    saveSafetensors(path, { w: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } }, { k: 'v' });
    saveSafetensors(path, { w: { dtype: 'float32', shape: [3], data: new Float32Array([4, 5, 6]) } });
    assert.deepEqual(readdirSync(dir), ['w.safetensors']);
    const back = loadSafetensors(path);
    assert.deepEqual(Array.from(back.tensors.get('w')!.data as Float32Array), [4, 5, 6]);
    assert.deepEqual(back.metadata, {});
    assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /missing\.safetensors.*cannot read/);
    assert.throws(
      () => saveSafetensors(join(dir, 'no', 'such', 'dir.safetensors'), {}),
      (e: unknown) => e instanceof SafetensorsError && /cannot write/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const F32x2 = (extra: object = {}) => ({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, ...extra });

test('truncated and corrupt files give a SafetensorsError naming the problem', () => {
  const good = build(F32x2(), new Uint8Array(8));
  assert.equal(readSafetensors(good).tensors.size, 1);

  assertBad(new Uint8Array(0), /shorter than the 8-byte/);
  assertBad(new Uint8Array(5), /5 bytes, shorter/);
  assertBad(good.subarray(0, 20), /header length .* beyond the end/);
  assertBad(build(F32x2(), new Uint8Array(8), 2n ** 64n - 1n), /header length .* beyond the end/);
  assertBad(build('{"t": {"dtype": "F32",'), /not valid JSON/);
  assertBad(build(''), /not valid JSON/);
  assertBad(build('[1,2]'), /must be a JSON object, got an array/);
  assertBad(build('42'), /must be a JSON object, got number/);
  assertBad(build('null'), /must be a JSON object, got null/);
  const badUtf8 = new Uint8Array(11);
  new DataView(badUtf8.buffer).setBigUint64(0, 3n, true);
  badUtf8.set([0x7b, 0xff, 0x7d], 8);
  assertBad(badUtf8, /not valid UTF-8/);

  assertBad(build({ t: 5 }), /tensor "t": entry must be an object/);
  assertBad(build({ t: { dtype: 'Q7', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /unknown dtype "Q7"/);
  assertBad(build({ t: { dtype: 'U16', shape: [4], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype U16 is not supported/);
  assertBad(build({ t: { shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /unknown dtype undefined/);
  for (const shape of [[-1], [1.5], ['2'], 2, null, [null]]) {
    assertBad(build({ t: { dtype: 'F32', shape, data_offsets: [0, 8] } }, new Uint8Array(8)), /shape must be an array of non-negative integers/);
  }
  for (const off of [[0], [0, 8, 9], [-8, 0], [0, '8'], null, [0, 8.5]]) {
    assertBad(build({ t: { dtype: 'F32', shape: [2], data_offsets: off } }, new Uint8Array(8)), /data_offsets must be \[begin, end\]/);
  }
  assertBad(build({ t: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)), /begin after end/);
  assertBad(build(F32x2(), new Uint8Array(4)), /beyond the data buffer of 4 bytes/);
  assertBad(build({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /holds 8 bytes but shape \[3\] of F32 needs 12/);
  assertBad(
    build(F32x2({ u: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }), new Uint8Array(12)),
    /overlap/,
  );
  assertBad(
    build(F32x2({ u: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }), new Uint8Array(16)),
    /gap in the data buffer, bytes 8\.\.12/,
  );
  assertBad(build(F32x2(), new Uint8Array(12)), /data buffer is 12 bytes but the tensors cover only 8/);
  assertBad(build({ t: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /gap .* bytes 0\.\.4/);
  assertBad(build(F32x2({ __metadata__: { a: 1 } }), new Uint8Array(8)), /__metadata__ value for "a" must be a string/);
  assertBad(build(F32x2({ __metadata__: ['x'] }), new Uint8Array(8)), /__metadata__ must be an object/);
});

test('every truncation of a real file is rejected with a SafetensorsError', () => {
  const raw = new Uint8Array(readFileSync(FIXTURE));
  for (let n = 0; n < raw.length; n++) {
    assert.throws(() => readSafetensors(raw.subarray(0, n), 'cut'), SafetensorsError, `cut at ${n}`);
  }
});

test('writer rejects inconsistent tensors with a clear message', () => {
  const bad = (t: unknown, pattern: RegExp) =>
    assert.throws(
      () => writeSafetensors({ w: t as NamedTensor }),
      (e: unknown) => e instanceof SafetensorsError && pattern.test(e.message) && /"w"/.test(e.message),
    );
  bad({ dtype: 'float32', shape: [3], data: new Float32Array(2) }, /3 elements but data has 2/);
  bad({ dtype: 'float32', shape: [2], data: new Float64Array(2) }, /needs a Float32Array, got Float64Array/);
  bad({ dtype: 'int8', shape: [2], data: new Int8Array(2) }, /cannot write dtype "int8"/);
  bad({ dtype: 'int32', shape: [-2], data: new Int32Array(2) }, /shape must be/);
  assert.throws(() => writeSafetensors({}, { a: 3 as unknown as string }), /metadata value for "a" must be a string/);
  assert.throws(
    () => writeSafetensors({ __metadata__: { dtype: 'uint8', shape: [0], data: new Uint8Array(0) } }),
    /may not be named "__metadata__"/,
  );
});
