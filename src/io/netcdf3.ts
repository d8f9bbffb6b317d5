// Reader for the NetCDF classic formats (CDF-1 classic, CDF-2 64-bit offset, CDF-5 64-bit data), written from the
// published format specification: big-endian header of dimensions, attributes and variables, then fixed and record data.
import * as fs from 'node:fs';
import {
  copyHyperslab, product, resolveSlab,
  type NetcdfAttribute, type NetcdfAttributes, type NetcdfDtype, type NetcdfHeader, type NetcdfRawData,
  type NetcdfSlab, type NetcdfVariableInfo,
} from './netcdf-model.ts';

const NC_DIMENSION = 0x0a;
const NC_VARIABLE = 0x0b;
const NC_ATTRIBUTE = 0x0c;
const STREAMING = 0xffffffff;

const TYPE_OF: Record<number, { dtype: NetcdfDtype; size: number }> = {
  1: { dtype: 'int8', size: 1 },
  2: { dtype: 'char', size: 1 },
  3: { dtype: 'int16', size: 2 },
  4: { dtype: 'int32', size: 4 },
  5: { dtype: 'float32', size: 4 },
  6: { dtype: 'float64', size: 8 },
  7: { dtype: 'uint8', size: 1 },
  8: { dtype: 'uint16', size: 2 },
  9: { dtype: 'uint32', size: 4 },
  10: { dtype: 'int64', size: 8 },
  11: { dtype: 'uint64', size: 8 },
};

interface ClassicVariable extends NetcdfVariableInfo {
  begin: number;
  isRecord: boolean;
  elementSize: number;
  /** Bytes of one record (record variables) or of the whole variable. */
  slabBytes: number;
}

/** Reads a header sequentially, pulling more bytes from the file as needed, with errors that name the offset. */
class HeaderCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(private readonly fd: number, private readonly fileSize: number, private readonly filePath: string, private readonly version: number) {}

  private ensure(n: number, what: string): void {
    if (this.pos + n <= this.bufStart + this.buf.length) return;
    if (this.pos + n > this.fileSize) {
      throw new Error(`NetCDF classic file ${this.filePath} is truncated: reading ${what} needs bytes ${this.pos}..${this.pos + n} but the file has ${this.fileSize}`);
    }
    const want = Math.min(this.fileSize - this.pos, Math.max(n, 1 << 16));
    const b = Buffer.alloc(want);
    fs.readSync(this.fd, b, 0, want, this.pos);
    this.buf = b;
    this.bufStart = this.pos;
  }
  private view(n: number, what: string): [Buffer, number] {
    this.ensure(n, what);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return [this.buf, off];
  }
  u32(what: string): number {
    const [b, o] = this.view(4, what);
    return b.readUInt32BE(o);
  }
  u64(what: string): number {
    const [b, o] = this.view(8, what);
    const v = b.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`NetCDF file ${this.filePath}: ${what} = ${v} at offset ${this.pos - 8} is too large`);
    return Number(v);
  }
  /** NON_NEG: 32-bit, or 64-bit in CDF-5. */
  count(what: string): number {
    return this.version === 5 ? this.u64(what) : this.u32(what);
  }
  /** OFFSET: 32-bit in CDF-1, 64-bit otherwise. */
  offset(what: string): number {
    return this.version === 1 ? this.u32(what) : this.u64(what);
  }
  bytes(n: number, what: string): Buffer {
    const padded = (n + 3) & ~3;
    const [b, o] = this.view(padded, what);
    return b.subarray(o, o + n);
  }
  name(what: string): string {
    const n = this.count(`length of ${what}`);
    if (n > 1 << 16) throw new Error(`NetCDF file ${this.filePath}: ${what} at offset ${this.pos} claims a name of ${n} bytes; the header is corrupt`);
    return this.bytes(n, what).toString('utf8');
  }
}

function decodeBigEndian(bytes: Uint8Array, dtype: NetcdfDtype, n: number): NetcdfRawData {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'int8': return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n));
    case 'uint8': case 'char': return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n));
    case 'int16': { const a = new Int16Array(n); for (let i = 0; i < n; i++) a[i] = dv.getInt16(2 * i); return a; }
    case 'uint16': { const a = new Uint16Array(n); for (let i = 0; i < n; i++) a[i] = dv.getUint16(2 * i); return a; }
    case 'int32': { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = dv.getInt32(4 * i); return a; }
    case 'uint32': { const a = new Uint32Array(n); for (let i = 0; i < n; i++) a[i] = dv.getUint32(4 * i); return a; }
    case 'float32': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = dv.getFloat32(4 * i); return a; }
    case 'float64': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = dv.getFloat64(8 * i); return a; }
    case 'int64': { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = dv.getBigInt64(8 * i); return a; }
    case 'uint64': { const a = new BigUint64Array(n); for (let i = 0; i < n; i++) a[i] = dv.getBigUint64(8 * i); return a; }
    default: throw new Error(`unsupported NetCDF classic type ${dtype}`);
  }
}

function emptyLike(dtype: NetcdfDtype, n: number): Exclude<NetcdfRawData, string[]> {
  switch (dtype) {
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'char': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    default: throw new Error(`unsupported NetCDF classic type ${dtype}`);
  }
}

/** Turn a char array (…, strlen) into strings (…), dropping trailing NULs. */
export function charsToStrings(bytes: Uint8Array, shape: readonly number[]): { data: string[]; shape: number[] } {
  if (shape.length === 0) return { data: [Buffer.from(bytes).toString('utf8').replace(/\0+$/, '')], shape: [] };
  const len = shape[shape.length - 1];
  const n = len === 0 ? 0 : bytes.length / len;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(Buffer.from(bytes.subarray(i * len, (i + 1) * len)).toString('utf8').replace(/\0+$/, ''));
  return { data: out, shape: shape.slice(0, -1) };
}

/** An open classic-format file: its header and a reader for variables or hyperslabs of them. */
export class ClassicNetcdfFile {
  readonly header: NetcdfHeader;
  /** The stored type of each attribute, per variable ('' for global), as CF decoding needs it. */
  readonly attrTypes: Record<string, Record<string, NetcdfDtype>> = {};
  private readonly variables: Record<string, ClassicVariable> = {};
  private readonly fd: number;
  private recordBytes = 0;
  private numRecords = 0;

  constructor(readonly filePath: string) {
    this.fd = fs.openSync(filePath, 'r');
    try {
      this.header = this.parse();
    } catch (err) {
      fs.closeSync(this.fd);
      throw err;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private parse(): NetcdfHeader {
    const fileSize = fs.fstatSync(this.fd).size;
    const magic = Buffer.alloc(4);
    fs.readSync(this.fd, magic, 0, Math.min(4, fileSize), 0);
    if (magic.toString('latin1', 0, 3) !== 'CDF' || ![1, 2, 5].includes(magic[3])) {
      throw new Error(`${this.filePath} is not a NetCDF classic file: it starts with bytes ${[...magic].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, expected "CDF" and version 1, 2 or 5`);
    }
    const version = magic[3];
    const cur = new HeaderCursor(this.fd, fileSize, this.filePath, version);
    cur.pos = 4;
    const rawRecords = cur.count('number of records');
    // Dimensions.
    const dimNames: string[] = [];
    const dimSizes: number[] = [];
    let recordDim = -1;
    const readListTag = (expected: number, what: string): number => {
      const tag = cur.u32(`${what} tag`);
      const n = cur.count(`${what} count`);
      if (tag === 0 && n === 0) return 0;
      if (tag !== expected) throw new Error(`NetCDF file ${this.filePath}: expected the ${what} tag ${expected} at offset ${cur.pos - (version === 5 ? 12 : 8)}, found ${tag}; the header is corrupt`);
      return n;
    };
    const nDims = readListTag(NC_DIMENSION, 'dimension list');
    for (let i = 0; i < nDims; i++) {
      const name = cur.name(`name of dimension ${i}`);
      const size = cur.count(`size of dimension ${name}`);
      if (size === 0) {
        if (recordDim >= 0) throw new Error(`NetCDF file ${this.filePath}: two unlimited dimensions (${dimNames[recordDim]}, ${name}); the classic format allows one`);
        recordDim = i;
      }
      dimNames.push(name);
      dimSizes.push(size);
    }
    const readAttributes = (owner: string): NetcdfAttributes => {
      const attrs: NetcdfAttributes = {};
      const types: Record<string, NetcdfDtype> = {};
      const n = readListTag(NC_ATTRIBUTE, `attribute list of ${owner}`);
      for (let i = 0; i < n; i++) {
        const name = cur.name(`attribute name of ${owner}`);
        const typeCode = cur.u32(`type of attribute ${owner}:${name}`);
        const t = TYPE_OF[typeCode];
        if (!t || (version !== 5 && typeCode > 6)) throw new Error(`NetCDF file ${this.filePath}: attribute ${owner}:${name} has unknown type code ${typeCode}`);
        const count = cur.count(`length of attribute ${owner}:${name}`);
        const bytes = cur.bytes(count * t.size, `values of attribute ${owner}:${name}`);
        types[name] = t.dtype;
        if (t.dtype === 'char') {
          attrs[name] = Buffer.from(bytes).toString('utf8').replace(/\0+$/, '');
        } else {
          const values = decodeBigEndian(new Uint8Array(bytes), t.dtype, count) as Exclude<NetcdfRawData, string[]>;
          const list = Array.from(values as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' && v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v));
          attrs[name] = (list.length === 1 ? list[0] : list) as NetcdfAttribute;
        }
      }
      this.attrTypes[owner === 'global attributes' ? '' : owner.replace(/^variable /, '')] = types;
      return attrs;
    };
    const globalAttrs = readAttributes('global attributes');
    // Variables.
    const nVars = readListTag(NC_VARIABLE, 'variable list');
    const recordVars: ClassicVariable[] = [];
    for (let i = 0; i < nVars; i++) {
      const name = cur.name(`name of variable ${i}`);
      const rank = cur.count(`rank of variable ${name}`);
      if (rank > 1024) throw new Error(`NetCDF file ${this.filePath}: variable ${name} claims ${rank} dimensions; the header is corrupt`);
      const dimIds: number[] = [];
      for (let k = 0; k < rank; k++) {
        const id = cur.count(`dimension id ${k} of variable ${name}`);
        if (id >= dimNames.length) throw new Error(`NetCDF file ${this.filePath}: variable ${name} uses dimension id ${id}, but only ${dimNames.length} dimensions exist`);
        dimIds.push(id);
      }
      const attrs = readAttributes(`variable ${name}`);
      const typeCode = cur.u32(`type of variable ${name}`);
      const t = TYPE_OF[typeCode];
      if (!t || (version !== 5 && typeCode > 6)) throw new Error(`NetCDF file ${this.filePath}: variable ${name} has unknown type code ${typeCode}`);
      cur.count(`vsize of variable ${name}`); // recomputed below: the stored value saturates for huge variables
      const begin = cur.offset(`begin of variable ${name}`);
      const isRecord = rank > 0 && dimIds[0] === recordDim;
      const innerShape = dimIds.slice(isRecord ? 1 : 0).map((d) => dimSizes[d]);
      const v: ClassicVariable = {
        name, dims: dimIds.map((d) => dimNames[d]), shape: [], dtype: t.dtype, attrs,
        begin, isRecord, elementSize: t.size, slabBytes: product(innerShape) * t.size,
      };
      this.variables[name] = v;
      if (isRecord) recordVars.push(v);
    }
    // A record holds each record variable's slab padded to 4 bytes, except when only one record variable exists.
    this.recordBytes = recordVars.length === 1 ? recordVars[0].slabBytes : recordVars.reduce((s, v) => s + ((v.slabBytes + 3) & ~3), 0);
    if (version !== 5 && rawRecords === STREAMING) {
      const firstRecord = recordVars.length ? Math.min(...recordVars.map((v) => v.begin)) : fileSize;
      this.numRecords = this.recordBytes > 0 ? Math.floor((fileSize - firstRecord) / this.recordBytes) : 0;
    } else {
      this.numRecords = rawRecords;
    }
    if (recordDim >= 0) dimSizes[recordDim] = this.numRecords;
    // Shapes and a check that every variable's data lies inside the file.
    for (const v of Object.values(this.variables)) {
      v.shape = v.dims.map((d) => dimSizes[dimNames.indexOf(d)]);
      const end = v.isRecord ? v.begin + Math.max(0, this.numRecords - 1) * this.recordBytes + (this.numRecords > 0 ? v.slabBytes : 0) : v.begin + v.slabBytes;
      if (end > fileSize) {
        throw new Error(`NetCDF classic file ${this.filePath} is truncated: variable ${v.name} needs bytes up to ${end} but the file has ${fileSize}`);
      }
    }
    const dims: Record<string, number> = {};
    dimNames.forEach((d, i) => { dims[d] = dimSizes[i]; });
    const vars: Record<string, NetcdfVariableInfo> = {};
    for (const v of Object.values(this.variables)) vars[v.name] = { name: v.name, dims: v.dims, shape: v.shape, dtype: v.dtype, attrs: v.attrs };
    return {
      path: this.filePath,
      format: version === 1 ? 'classic' : version === 2 ? '64bit-offset' : '64bit-data',
      dims, unlimited: recordDim >= 0 ? [dimNames[recordDim]] : [], attrs: globalAttrs, vars, groups: [],
    };
  }

  private readBytes(offset: number, length: number): Uint8Array {
    const b = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, b, done, length - done, offset + done);
      if (n === 0) throw new Error(`NetCDF classic file ${this.filePath} ended at ${offset + done} while reading ${length} bytes from ${offset}`);
      done += n;
    }
    return b;
  }

  /** Raw values of a variable or a hyperslab of it (C order). Char variables come back as bytes. */
  readRaw(name: string, slab?: Partial<NetcdfSlab>): { data: Exclude<NetcdfRawData, string[]>; shape: number[] } {
    const v = this.variables[name];
    if (!v) throw new Error(`NetCDF file ${this.filePath} has no variable "${name}" (it has: ${Object.keys(this.variables).join(', ')})`);
    const { start, count } = resolveSlab(v, slab, `reading ${this.filePath}`);
    const out = emptyLike(v.dtype, product(count));
    if (out.length === 0) return { data: out, shape: count };
    if (v.shape.length === 0) {
      return { data: decodeBigEndian(this.readBytes(v.begin, v.elementSize), v.dtype, 1) as Exclude<NetcdfRawData, string[]>, shape: [] };
    }
    const innerShape = v.shape.slice(1);
    const innerCount = product(innerShape);
    const outerStride = innerCount * v.elementSize;
    if (!v.isRecord) {
      // Read the rows [start0, start0 + count0) of the outermost dimension in one go, then cut the slab.
      const rows = count[0];
      const bytes = this.readBytes(v.begin + start[0] * outerStride, rows * outerStride);
      const values = decodeBigEndian(bytes, v.dtype, rows * innerCount) as Exclude<NetcdfRawData, string[]>;
      copyHyperslab(values, [rows, ...innerShape], [0, ...start.slice(1)], count, out);
    } else {
      const perRecord = product(count.slice(1));
      for (let r = 0; r < count[0]; r++) {
        const bytes = this.readBytes(v.begin + (start[0] + r) * this.recordBytes, v.slabBytes);
        const values = decodeBigEndian(bytes, v.dtype, innerCount) as Exclude<NetcdfRawData, string[]>;
        copyHyperslab(values, innerShape, start.slice(1), count.slice(1), out, r * perRecord);
      }
    }
    return { data: out, shape: count };
  }
}
