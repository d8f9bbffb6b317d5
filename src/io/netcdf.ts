// NetCDF import and export: open/read classic (CDF-1/2/5) and NetCDF-4 files with CF decoding, and write CF-1.8
// NetCDF-4 files (via h5wasm) that netCDF-C tools read unchanged, atomically (temp file + fsync + rename).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { charsToStrings, ClassicNetcdfFile } from './netcdf3.ts';
import {
  hdf5Ready, h5DtypeOf, Hdf5NetcdfFile, writeHdf5Netcdf,
  type Hdf5WritePlan, type NetcdfAttributeInput, type NetcdfWritableArray,
} from './netcdf4.ts';
import {
  decodeCf, product,
  type NetcdfData, type NetcdfDtype, type NetcdfHeader, type NetcdfRawData, type NetcdfSlab,
  type NetcdfVariable, type NetcdfVariableInfo,
} from './netcdf-model.ts';

export type {
  NetcdfAttribute, NetcdfAttributes, NetcdfData, NetcdfDtype, NetcdfHeader, NetcdfSlab, NetcdfVariable, NetcdfVariableInfo,
} from './netcdf-model.ts';
export type { NetcdfAttributeInput, NetcdfWritableArray } from './netcdf4.ts';

export type NetcdfFormat = NetcdfHeader['format'];

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Which NetCDF flavour a file is, from its first bytes (HDF5 may sit after a user block of 512·2^k bytes). */
export function detectNetcdfFormat(filePath: string): NetcdfFormat {
  let fd: number;
  try {
    fd = fs.openSync(filePath, 'r');
  } catch (err) {
    throw new Error(`cannot open NetCDF file ${filePath}: ${(err as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, Math.min(8, size), 0);
    if (head.toString('latin1', 0, 3) === 'CDF') {
      if (head[3] === 1) return 'classic';
      if (head[3] === 2) return '64bit-offset';
      if (head[3] === 5) return '64bit-data';
    }
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      const b = Buffer.alloc(8);
      fs.readSync(fd, b, 0, 8, off);
      if (b.equals(HDF5_SIGNATURE)) return 'netcdf4';
      if (off > 1 << 20) break;
    }
    const shown = [...head.subarray(0, Math.min(8, size))].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${filePath} is not a NetCDF file: it starts with bytes [${shown}] (${size} bytes in all); expected "CDF" + version 1/2/5, or the HDF5 signature 89 48 44 46 0d 0a 1a 0a`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Options of a read: `decode` (default true) applies CF packing and masking; char arrays become strings. */
export interface NetcdfReadOptions {
  decode?: boolean;
}

/** An open NetCDF file: the header at once, values on demand. Close it when done. */
export interface NetcdfFile extends NetcdfHeader {
  /** Read a variable, or a hyperslab of it. */
  read(name: string, slab?: Partial<NetcdfSlab>, options?: NetcdfReadOptions): NetcdfVariable;
  close(): void;
}

/** Open a NetCDF file of any flavour. For NetCDF-4, `group` selects a group by path (default the root). */
export async function openNetcdf(filePath: string, options: { group?: string } = {}): Promise<NetcdfFile> {
  const format = detectNetcdfFormat(filePath);
  let backend: ClassicNetcdfFile | Hdf5NetcdfFile;
  if (format === 'netcdf4') {
    await hdf5Ready();
    backend = new Hdf5NetcdfFile(filePath, options.group ?? '/');
  } else {
    if (options.group && options.group !== '/') throw new Error(`${filePath} is a NetCDF ${format} file, which has no groups (asked for group "${options.group}")`);
    backend = new ClassicNetcdfFile(filePath);
  }
  const header = backend.header;
  return {
    ...header,
    read(name: string, slab?: Partial<NetcdfSlab>, readOptions: NetcdfReadOptions = {}): NetcdfVariable {
      const info = header.vars[name];
      if (!info) throw new Error(`NetCDF file ${filePath} has no variable "${name}" (it has: ${Object.keys(header.vars).join(', ')})`);
      const raw: { data: NetcdfRawData; shape: number[] } = backend.readRaw(name, slab);
      const decode = readOptions.decode ?? true;
      return finishVariable(info, raw, decode, backend.attrTypes[name]);
    },
    close(): void {
      backend.close();
    },
  };
}

function finishVariable(info: NetcdfVariableInfo, raw: { data: NetcdfRawData; shape: number[] }, decode: boolean, attrTypes?: Record<string, NetcdfDtype>): NetcdfVariable {
  if (info.dtype === 'char' && decode) {
    if (Array.isArray(raw.data)) {
      // NetCDF-4 char arrays arrive as one-character strings: join along the last dimension.
      const len = raw.shape.length ? raw.shape[raw.shape.length - 1] : 1;
      const out: string[] = [];
      for (let i = 0; i < raw.data.length; i += len) out.push(raw.data.slice(i, i + len).join('').replace(/\0+$/, ''));
      return { ...info, dims: info.dims.slice(0, -1), shape: raw.shape.slice(0, -1), data: out };
    }
    const s = charsToStrings(raw.data as Uint8Array, raw.shape);
    return { ...info, dims: info.dims.slice(0, -1), shape: s.shape, data: s.data };
  }
  const data: NetcdfData = decode ? decodeCf(info, raw.data, attrTypes) : raw.data;
  return { ...info, shape: raw.shape, data };
}

/** A whole file in memory: header plus every (or the chosen) variable's values. */
export interface NetcdfDataset extends NetcdfHeader {
  vars: Record<string, NetcdfVariable>;
}

/** Read a NetCDF file (all variables, or `vars`) into memory. */
export async function readNetcdf(filePath: string, options: NetcdfReadOptions & { vars?: string[]; group?: string } = {}): Promise<NetcdfDataset> {
  const file = await openNetcdf(filePath, { group: options.group });
  try {
    const names = options.vars ?? Object.keys(file.vars);
    const vars: Record<string, NetcdfVariable> = {};
    for (const name of names) vars[name] = file.read(name, undefined, options);
    const { read: _read, close: _close, ...header } = file;
    return { ...header, vars };
  } finally {
    file.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** A variable to write: its dimension names, C-order values and attributes. */
export interface NetcdfWriteVariable {
  dims: string[];
  data: NetcdfWritableArray;
  attrs?: Record<string, NetcdfAttributeInput>;
  /** Deflate level 1–9 (overrides the file default); 0 = none. */
  compression?: number;
  /** HDF5 chunk shape when compressed; default 1 along leading dims, full along the last two. */
  chunks?: number[];
}

/** A 1-D coordinate variable named after its dimension. */
export interface NetcdfWriteCoordinate {
  data: NetcdfWritableArray;
  attrs?: Record<string, NetcdfAttributeInput>;
}

/** What {@link writeNetcdf} writes. The order of `dims` is the file's dimension order. */
export interface NetcdfWriteSpec {
  dims: Record<string, number>;
  coords?: Record<string, NetcdfWriteCoordinate>;
  vars: Record<string, NetcdfWriteVariable>;
  /** Global attributes; Conventions defaults to "CF-1.8". */
  attrs?: Record<string, NetcdfAttributeInput>;
  /** Default deflate level for data variables (0 = none, the default). */
  compression?: number;
}

/** CF attributes filled in for coordinates with well-known names when the caller gave none. */
const COORDINATE_DEFAULTS: Record<string, Record<string, string>> = {
  lat: { standard_name: 'latitude', long_name: 'latitude', units: 'degrees_north', axis: 'Y' },
  latitude: { standard_name: 'latitude', long_name: 'latitude', units: 'degrees_north', axis: 'Y' },
  lon: { standard_name: 'longitude', long_name: 'longitude', units: 'degrees_east', axis: 'X' },
  longitude: { standard_name: 'longitude', long_name: 'longitude', units: 'degrees_east', axis: 'X' },
  time: { standard_name: 'time', long_name: 'time', calendar: 'proleptic_gregorian', axis: 'T' },
  ensemble: { standard_name: 'realization', long_name: 'ensemble member' },
  member: { standard_name: 'realization', long_name: 'ensemble member' },
};

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/') || /[\x00-\x1f\x7f]/.test(name) || name !== name.trim()) {
    throw new Error(`${what} name ${JSON.stringify(name)} is not a valid NetCDF name (non-empty, no "/", no control characters or edge spaces)`);
  }
}

function checkDeflate(level: number | undefined, what: string): number {
  const l = level ?? 0;
  if (!Number.isInteger(l) || l < 0 || l > 9) throw new Error(`${what}: compression must be a deflate level 0..9, got ${level}`);
  return l;
}

/** Validate a write spec and turn it into the HDF5 layer's plan (coordinate defaults, chunking). */
export function planNetcdfWrite(spec: NetcdfWriteSpec): Hdf5WritePlan {
  if (!spec || typeof spec !== 'object') throw new Error('writeNetcdf: spec must be an object with dims, vars and optional coords/attrs');
  const dimNames = Object.keys(spec.dims ?? {});
  for (const d of dimNames) {
    checkName(d, 'dimension');
    const n = spec.dims[d];
    if (!Number.isInteger(n) || n < 1) throw new Error(`writeNetcdf: dimension ${d} has size ${n}; expected an integer >= 1`);
  }
  const coords = spec.coords ?? {};
  const defaultLevel = checkDeflate(spec.compression, 'writeNetcdf');
  const plan: Hdf5WritePlan = { dims: [], vars: [], attrs: { Conventions: 'CF-1.8', ...(spec.attrs ?? {}) } };
  for (const c of Object.keys(coords)) {
    if (!dimNames.includes(c)) throw new Error(`writeNetcdf: coordinate ${c} is not one of the dimensions (${dimNames.join(', ')}); a coordinate variable is named after its dimension`);
  }
  for (const d of dimNames) {
    const c = coords[d];
    if (!c) {
      plan.dims.push({ name: d, size: spec.dims[d] });
      continue;
    }
    if (!h5DtypeOf(c.data)) throw new Error(`writeNetcdf: coordinate ${d} data must be a Float32Array, Float64Array, Int8/16/32Array, Uint8Array or BigInt64Array, got ${c.data?.constructor?.name}`);
    if (c.data.length !== spec.dims[d]) throw new Error(`writeNetcdf: coordinate ${d} has ${c.data.length} values, dimension ${d} has size ${spec.dims[d]}`);
    const attrs: Record<string, NetcdfAttributeInput> = { ...(COORDINATE_DEFAULTS[d] ?? {}), ...(c.attrs ?? {}) };
    const stdName = attrs.standard_name;
    if (stdName === 'latitude') {
      for (const v of Array.from(c.data as ArrayLike<number | bigint>)) {
        if (!(Number(v) >= -90 && Number(v) <= 90)) throw new Error(`writeNetcdf: latitude coordinate ${d} has value ${v}, outside [-90, 90]`);
      }
    }
    if (stdName === 'time' && !(typeof attrs.units === 'string' && /\bsince\b/.test(attrs.units))) {
      throw new Error(`writeNetcdf: time coordinate ${d} needs units like "hours since 2020-01-01 00:00:00", got ${JSON.stringify(attrs.units)}`);
    }
    plan.dims.push({ name: d, size: spec.dims[d], coordinate: { data: c.data, attrs } });
  }
  for (const [name, v] of Object.entries(spec.vars ?? {})) {
    checkName(name, 'variable');
    const where = `writeNetcdf: variable ${name}`;
    if (dimNames.includes(name)) throw new Error(`${where} has the name of a dimension; give it under coords instead`);
    if (!Array.isArray(v.dims)) throw new Error(`${where}: dims must be an array of dimension names`);
    for (const d of v.dims) if (!dimNames.includes(d)) throw new Error(`${where} uses dimension ${JSON.stringify(d)}, which is not declared (declared: ${dimNames.join(', ')})`);
    if (new Set(v.dims).size !== v.dims.length) throw new Error(`${where}: dims ${JSON.stringify(v.dims)} repeat a dimension`);
    if (!h5DtypeOf(v.data)) throw new Error(`${where}: data must be a Float32Array, Float64Array, Int8/16/32Array, Uint8Array or BigInt64Array, got ${v.data?.constructor?.name}`);
    const shape = v.dims.map((d) => spec.dims[d]);
    if (v.data.length !== product(shape)) throw new Error(`${where} has ${v.data.length} values; dims (${v.dims.join(', ')}) = ${JSON.stringify(shape)} need ${product(shape)}`);
    const level = v.compression === undefined ? defaultLevel : checkDeflate(v.compression, where);
    let chunks: number[] | undefined;
    if (level > 0 && shape.length > 0) {
      chunks = v.chunks ?? shape.map((n, i) => (i >= shape.length - 2 ? n : 1));
      if (chunks.length !== shape.length || chunks.some((c, i) => !Number.isInteger(c) || c < 1 || c > shape[i])) {
        throw new Error(`${where}: chunks ${JSON.stringify(chunks)} must give 1..size for each of the dims ${JSON.stringify(shape)}`);
      }
    }
    plan.vars.push({ name, dims: v.dims.slice(), data: v.data, attrs: { ...(v.attrs ?? {}) }, chunks, compression: level });
  }
  return plan;
}

/**
 * Write a CF-1.8 NetCDF-4 file. The file is written under a temporary name in the same directory, fsync-ed and
 * renamed over `filePath`, so an existing file is replaced whole or not at all.
 */
export async function writeNetcdf(filePath: string, spec: NetcdfWriteSpec): Promise<void> {
  const plan = planNetcdfWrite(spec);
  await hdf5Ready();
  const target = path.resolve(filePath);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) throw new Error(`writeNetcdf: directory ${dir} does not exist`);
  const temp = path.join(dir, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeHdf5Netcdf(temp, plan);
    const fd = fs.openSync(temp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } catch {
    /* directories that refuse fsync: the file itself is synced */
  } finally {
    fs.closeSync(dfd);
  }
}

