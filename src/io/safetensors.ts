// Reads and writes the safetensors file format (8-byte LE header length, JSON header, raw LE data buffer)
// used for model checkpoints and reference tensors; every malformed input is a SafetensorsError naming the file.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type TensorDType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
export interface NamedTensor {
  dtype: TensorDType;
  shape: number[];
  data: TensorData;
}

/** Any problem with a safetensors file or with tensors handed to the writer. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface SafetensorsContents {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

/** How each on-disk dtype is read: bytes per element and the in-memory dtype it becomes. */
const READ_DTYPES: Record<string, { itemsize: number; dtype: TensorDType }> = {
  F32: { itemsize: 4, dtype: 'float32' },
  F64: { itemsize: 8, dtype: 'float64' },
  I64: { itemsize: 8, dtype: 'int64' },
  I32: { itemsize: 4, dtype: 'int32' },
  U8: { itemsize: 1, dtype: 'uint8' },
  BOOL: { itemsize: 1, dtype: 'bool' },
  F16: { itemsize: 2, dtype: 'float32' },
  BF16: { itemsize: 2, dtype: 'float32' },
};
/** Dtypes defined by the format that this reader does not convert (named so the error can say so). */
const UNSUPPORTED_DTYPES = ['I8', 'I16', 'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2'];

const WRITE_DTYPES: Record<TensorDType, { code: string; itemsize: number; ctor: string }> = {
  float32: { code: 'F32', itemsize: 4, ctor: 'Float32Array' },
  float64: { code: 'F64', itemsize: 8, ctor: 'Float64Array' },
  int64: { code: 'I64', itemsize: 8, ctor: 'BigInt64Array' },
  int32: { code: 'I32', itemsize: 4, ctor: 'Int32Array' },
  uint8: { code: 'U8', itemsize: 1, ctor: 'Uint8Array' },
  bool: { code: 'BOOL', itemsize: 1, ctor: 'Uint8Array' },
};

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Largest header the reader accepts (same bound as the reference implementation: 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function requireLittleEndianHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new SafetensorsError('safetensors: big-endian hosts are not supported');
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
}

function product(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** IEEE half precision bits to a float32 value (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Copies `length` bytes at `begin` into a fresh, aligned typed array of the in-memory dtype. */
function decodeTensor(bytes: Uint8Array, begin: number, code: string, count: number): TensorData {
  const itemsize = READ_DTYPES[code].itemsize;
  // A fresh ArrayBuffer at offset 0 is aligned for every dtype. (Not bytes.slice: on a Node Buffer that is a view.)
  const copy = new Uint8Array(count * itemsize);
  copy.set(bytes.subarray(begin, begin + count * itemsize));
  switch (code) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, count);
    case 'F64':
      return new Float64Array(copy.buffer, 0, count);
    case 'I64':
      return new BigInt64Array(copy.buffer, 0, count);
    case 'I32':
      return new Int32Array(copy.buffer, 0, count);
    case 'U8':
    case 'BOOL':
      return copy;
    case 'BF16': {
      const halves = new Uint16Array(copy.buffer, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = halves[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'F16': {
      const halves = new Uint16Array(copy.buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]);
      return out;
    }
  }
  throw new SafetensorsError(`safetensors: internal error, no decoder for dtype ${code}`);
}

/**
 * Parses a safetensors file held in memory. `source` (a path or label) is named in every error.
 * Tensors come back in file-layout order (ascending data offset); F16 and BF16 become float32.
 */
export function readSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsContents {
  requireLittleEndianHost();
  const fail = (problem: string): never => {
    throw new SafetensorsError(`safetensors file ${source}: ${problem}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected the file contents as a Uint8Array');
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length field`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength64 = view.getBigUint64(0, true);
  if (headerLength64 > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLength64} runs beyond the end of the file (${bytes.length - 8} bytes after the length field)`);
  }
  const headerLength = Number(headerLength64);
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(`header must be a JSON object, got ${header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header}`);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; code: string; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value for "${k}" must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(`tensor "${name}": entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in READ_DTYPES)) {
      if (typeof dtype === 'string' && UNSUPPORTED_DTYPES.includes(dtype)) {
        fail(`tensor "${name}": dtype ${dtype} is not supported (supported: ${Object.keys(READ_DTYPES).join(', ')})`);
      }
      fail(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(READ_DTYPES).join(', ')})`);
    }
    if (!isShape(shape)) fail(`tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`tensor "${name}": data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end) fail(`tensor "${name}": data_offsets [${begin}, ${end}] has begin after end`);
    if (end > dataLength) fail(`tensor "${name}": data_offsets [${begin}, ${end}] run beyond the data buffer of ${dataLength} bytes`);
    const s = shape as number[];
    const expected = product(s) * READ_DTYPES[dtype as string].itemsize;
    if (end - begin !== expected) {
      fail(
        `tensor "${name}": holds ${end - begin} bytes but shape [${s.join(', ')}] of ${dtype} needs ${expected} bytes`,
      );
    }
    entries.push({ name, code: dtype as string, shape: s, begin, end });
  }

  // The tensors must tile the data buffer exactly: no gaps, no overlaps, nothing left over.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (which ends at ${cursor})`);
    if (e.begin > cursor) fail(`tensor "${e.name}": gap in the data buffer, bytes ${cursor}..${e.begin} belong to no tensor`);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(`data buffer is ${dataLength} bytes but the tensors cover only ${cursor}`);

  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) {
    const count = product(e.shape);
    tensors.set(e.name, {
      dtype: READ_DTYPES[e.code].dtype,
      shape: [...e.shape],
      data: decodeTensor(bytes, dataStart + e.begin, e.code, count),
    });
  }
  return { tensors, metadata };
}

/** Reads a safetensors file from disk. */
export function loadSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(`safetensors file ${path}: cannot read (${(e as Error).message})`);
  }
  return readSafetensors(bytes, path);
}

/**
 * Serialises tensors (in insertion order) and optional string metadata into safetensors bytes.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference implementation does.
 */
export function writeSafetensors(
  tensors: Map<string, NamedTensor> | Record<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  requireLittleEndianHost();
  const fail = (problem: string): never => {
    throw new SafetensorsError(`writeSafetensors: ${problem}`);
  };
  const list: [string, NamedTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  // Header entries as JSON text, kept in insertion order (a plain object would move integer-like names first).
  const headerEntries: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') fail('metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata value for "${k}" must be a string, got ${JSON.stringify(v)}`);
    }
    headerEntries.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const [name, t] of list) {
    if (name === '__metadata__') fail('a tensor may not be named "__metadata__"');
    if (t === null || typeof t !== 'object') fail(`tensor "${name}": expected {dtype, shape, data}`);
    const spec = WRITE_DTYPES[t.dtype as TensorDType];
    if (!spec) fail(`tensor "${name}": cannot write dtype ${JSON.stringify(t.dtype)} (expected one of ${Object.keys(WRITE_DTYPES).join(', ')})`);
    if (!isShape(t.shape)) fail(`tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    const ctorName = (t.data as object | undefined)?.constructor?.name;
    if (ctorName !== spec.ctor) fail(`tensor "${name}": dtype ${t.dtype} needs a ${spec.ctor}, got ${ctorName ?? typeof t.data}`);
    const count = product(t.shape);
    if (t.data.length !== count) {
      fail(`tensor "${name}": shape [${t.shape.join(', ')}] has ${count} elements but data has ${t.data.length}`);
    }
    const byteLength = count * spec.itemsize;
    const entry = { dtype: spec.code, shape: t.shape, data_offsets: [offset, offset + byteLength] };
    headerEntries.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, byteLength));
    offset += byteLength;
  }
  let headerBytes = new TextEncoder().encode(`{${headerEntries.join(',')}}`);
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(headerBytes);
    headerBytes = withSpaces;
  }
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(headerBytes, 8);
  let at = 8 + padded;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Writes a safetensors file atomically: temporary file in the same directory, fsync, rename over `path`. */
export function saveSafetensors(
  path: string,
  tensors: Map<string, NamedTensor> | Record<string, NamedTensor>,
  metadata?: Record<string, string>,
): void {
  const bytes = writeSafetensors(tensors, metadata);
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; keep the original error */
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      /* temp may not exist */
    }
    throw new SafetensorsError(`safetensors file ${path}: cannot write (${(e as Error).message})`);
  }
  // Make the rename itself durable where the platform allows fsync on a directory.
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    /* directory fsync is not available everywhere (e.g. Windows) */
  }
}
