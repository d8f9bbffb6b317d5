// NetCDF-4 (HDF5) files through h5wasm: a reader that maps HDF5 dimension scales back to NetCDF dimensions, and a
// writer that lays out datasets the way netCDF-C expects (dimension scales, _Netcdf4Dimid, DIMENSION_LIST, char attrs).
import * as fs from 'node:fs';
import h5wasm from 'h5wasm/node';
import type { Dataset, Group, File as H5File } from 'h5wasm/node';
import {
  product, resolveSlab,
  type NetcdfAttribute, type NetcdfAttributes, type NetcdfDtype, type NetcdfHeader, type NetcdfRawData,
  type NetcdfSlab, type NetcdfVariableInfo,
} from './netcdf-model.ts';

interface ErrorHandlerSwitch {
  activate_throwing_error_handler(): number;
  deactivate_throwing_error_handler(): number;
}
let ready: Promise<unknown> | undefined;
let hdf5Module: ErrorHandlerSwitch | undefined;
/** Load the HDF5 WebAssembly module once. */
export function hdf5Ready(): Promise<unknown> {
  ready ??= h5wasm.ready.then((m) => {
    hdf5Module = m as unknown as ErrorHandlerSwitch;
    return m;
  });
  return ready;
}

/** The innermost HDF5 error of a diagnostic stack, as one line. */
function summariseHdf5Error(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const entries = [...text.matchAll(/#\d+: .*? in (\w+\(\)): (.*)\n\s*major: (.*)\n\s*minor: (.*)/g)];
  if (entries.length === 0) return text.split('\n')[0];
  const last = entries[entries.length - 1];
  return `${last[2].trim()} (HDF5 ${last[1]}: ${last[4].trim()})`;
}

/**
 * Run an h5wasm call with HDF5's errors thrown as exceptions (instead of printed to stderr), and report them with
 * `context` and the innermost HDF5 message.
 */
export function withHdf5Errors<T>(context: string, fn: () => T): T {
  hdf5Module?.activate_throwing_error_handler();
  try {
    return fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg.startsWith('NetCDF-4 file') || msg.startsWith('HDF5 file')) throw err;
    throw new Error(`${context}: ${summariseHdf5Error(err)}`);
  } finally {
    hdf5Module?.deactivate_throwing_error_handler();
  }
}

/**
 * Check an HDF5 file's superblock against its size, so a truncated file is reported as such before HDF5 tries to
 * read it. Handles superblock versions 0–3 with the signature at offset 0, 512, 1024, ….
 */
export function checkHdf5Superblock(filePath: string): void {
  const fd = fs.openSync(filePath, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const sig = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    let base = -1;
    for (let off = 0; off + 8 <= size && off <= 1 << 20; off = off === 0 ? 512 : off * 2) {
      const b = Buffer.alloc(8);
      fs.readSync(fd, b, 0, 8, off);
      if (b.equals(sig)) {
        base = off;
        break;
      }
    }
    if (base < 0) throw new Error(`HDF5 file ${filePath} has no HDF5 signature`);
    const head = Buffer.alloc(128);
    const got = fs.readSync(fd, head, 0, 128, base);
    const version = head[8];
    let offsetSize: number;
    let eofAt: number;
    if (version === 0 || version === 1) {
      offsetSize = head[13];
      eofAt = 24 + (version === 1 ? 4 : 0) + 2 * offsetSize;
    } else if (version === 2 || version === 3) {
      offsetSize = head[9];
      eofAt = 12 + 2 * offsetSize;
    } else {
      throw new Error(`HDF5 file ${filePath} has superblock version ${version}, which this reader does not know`);
    }
    if (![2, 4, 8].includes(offsetSize) || eofAt + offsetSize > got) {
      throw new Error(`HDF5 file ${filePath} is truncated or corrupt: its superblock is incomplete (${size} bytes in the file)`);
    }
    const eof = offsetSize === 8 ? Number(head.readBigUInt64LE(eofAt)) : offsetSize === 4 ? head.readUInt32LE(eofAt) : head.readUInt16LE(eofAt);
    if (base + eof > size) {
      throw new Error(`HDF5 file ${filePath} is truncated: its superblock says the file ends at byte ${base + eof}, but it has ${size} bytes`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Attributes that carry HDF5 or netCDF-4 bookkeeping rather than user metadata. */
const HIDDEN_ATTRIBUTES = new Set([
  'CLASS', 'NAME', 'REFERENCE_LIST', 'DIMENSION_LIST', 'DIMENSION_LABELS', '_Netcdf4Dimid', '_Netcdf4Coordinates',
  '_NCProperties', '_nc3_strict', '_IsNetcdf4', '_SuperblockVersion',
]);
/** netCDF-C's marker in the NAME of a dimension scale that is not also a variable. */
export const DIMENSION_WITHOUT_VARIABLE = 'This is a netCDF dimension but not a netCDF variable.';

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;

function dtypeOf(meta: { type: number; size: number; signed: boolean }, where: string): NetcdfDtype {
  if (meta.type === H5T_FLOAT) {
    if (meta.size === 4) return 'float32';
    if (meta.size === 8) return 'float64';
  } else if (meta.type === H5T_INTEGER) {
    const bits = meta.size * 8;
    if ([8, 16, 32, 64].includes(bits)) return `${meta.signed ? 'int' : 'uint'}${bits}` as NetcdfDtype;
  } else if (meta.type === H5T_STRING) {
    return meta.size === 1 ? 'char' : 'string';
  }
  throw new Error(`${where}: HDF5 type class ${meta.type} of size ${meta.size} has no NetCDF equivalent that this reader handles`);
}

function toAttribute(value: unknown): NetcdfAttribute | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value.replace(/\0+$/, '');
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (ArrayBuffer.isView(value)) {
    const list = Array.from(value as unknown as ArrayLike<number | bigint>);
    return (list.length === 1 ? list[0] : list) as NetcdfAttribute;
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return value.length === 1 ? value[0] : (value as string[]);
    if (value.every((v) => typeof v === 'number')) return value.length === 1 ? value[0] : (value as number[]);
  }
  return undefined; // references, compounds: not NetCDF attributes
}

function readAttributes(obj: Dataset | Group, where: string): { attrs: NetcdfAttributes; types: Record<string, NetcdfDtype> } {
  const attrs: NetcdfAttributes = {};
  const types: Record<string, NetcdfDtype> = {};
  for (const [name, attr] of Object.entries(obj.attrs)) {
    if (HIDDEN_ATTRIBUTES.has(name)) continue;
    const value = toAttribute(attr.value);
    if (value === undefined) continue;
    attrs[name] = value;
    try {
      types[name] = dtypeOf(attr.metadata, `${where} attribute ${name}`);
    } catch {
      /* attribute of an exotic type: value kept, type unknown */
    }
  }
  return { attrs, types };
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** An open NetCDF-4 file (one group of it): header plus raw reads. */
export class Hdf5NetcdfFile {
  readonly header: NetcdfHeader;
  readonly attrTypes: Record<string, Record<string, NetcdfDtype>> = {};
  private readonly file: H5File;
  private readonly group: Group;

  /** Call {@link hdf5Ready} first. `groupPath` selects a group ('/' for the root). */
  constructor(readonly filePath: string, groupPath = '/') {
    checkHdf5Superblock(filePath);
    this.file = withHdf5Errors(`cannot open NetCDF-4/HDF5 file ${filePath}`, () => new h5wasm.File(filePath, 'r'));
    try {
      const g = groupPath === '/' || groupPath === '' ? this.file : this.file.get(groupPath);
      if (!(g instanceof h5wasm.Group)) throw new Error(`NetCDF-4 file ${filePath} has no group "${groupPath}"`);
      this.group = g;
      this.header = withHdf5Errors(`cannot read the structure of NetCDF-4 file ${filePath}`, () => this.parse());
    } catch (err) {
      this.file.close();
      throw err;
    }
  }

  close(): void {
    this.file.close();
  }

  private parse(): NetcdfHeader {
    const g = this.group;
    const datasets: [string, Dataset][] = [];
    const groups: string[] = [];
    for (const key of g.keys()) {
      const obj = g.get(key);
      if (obj instanceof h5wasm.Dataset) datasets.push([key, obj]);
      else if (obj instanceof h5wasm.Group) groups.push(key);
    }
    // Dimensions: dimension scales, ordered by _Netcdf4Dimid where present.
    const dimEntries: { name: string; size: number; id: number; unlimited: boolean; isVariable: boolean }[] = [];
    for (const [key, ds] of datasets) {
      const attrs = ds.attrs;
      if (attrs.CLASS?.value !== 'DIMENSION_SCALE') continue;
      const nameAttr = attrs.NAME?.value;
      const shape = ds.shape ?? [];
      const max = ds.metadata.maxshape;
      const unlimited = !!max && max.length > 0 && (max[0] === null || max[0] < 0 || max[0] > Number.MAX_SAFE_INTEGER);
      const id = typeof attrs._Netcdf4Dimid?.value === 'number' ? (attrs._Netcdf4Dimid.value as number) : 1e9 + dimEntries.length;
      const isVariable = !(typeof nameAttr === 'string' && nameAttr.startsWith(DIMENSION_WITHOUT_VARIABLE));
      dimEntries.push({ name: key, size: shape[0] ?? 0, id, unlimited, isVariable });
    }
    dimEntries.sort((a, b) => a.id - b.id);
    const dims: Record<string, number> = {};
    for (const d of dimEntries) dims[d.name] = d.size;
    const phony = new Map<number, string>();
    const vars: Record<string, NetcdfVariableInfo> = {};
    for (const [key, ds] of datasets) {
      const dimEntry = dimEntries.find((d) => d.name === key);
      if (dimEntry && !dimEntry.isVariable) continue;
      const where = `NetCDF-4 file ${this.filePath} variable ${key}`;
      const shape = ds.shape ?? [];
      const dtype = dtypeOf(ds.metadata, where);
      const varDims: string[] = [];
      for (let i = 0; i < shape.length; i++) {
        let scales: string[] = [];
        try {
          scales = ds.get_attached_scales(i);
        } catch {
          scales = [];
        }
        if (scales.length > 0) varDims.push(baseName(scales[0]));
        else if (dimEntry && shape.length === 1) varDims.push(key);
        else {
          // netCDF-C names dimensions it has to invent after their size.
          if (!phony.has(shape[i])) phony.set(shape[i], `phony_dim_${phony.size}`);
          const name = phony.get(shape[i])!;
          dims[name] ??= shape[i];
          varDims.push(name);
        }
      }
      const { attrs, types } = readAttributes(ds, where);
      this.attrTypes[key] = types;
      vars[key] = { name: key, dims: varDims, shape: shape.slice(), dtype, attrs };
    }
    const { attrs, types } = readAttributes(g, `NetCDF-4 file ${this.filePath}`);
    this.attrTypes[''] = types;
    return {
      path: this.filePath, format: 'netcdf4', dims,
      unlimited: dimEntries.filter((d) => d.unlimited).map((d) => d.name), attrs, vars, groups,
    };
  }

  /** Raw values of a variable or a hyperslab of it (C order). Strings come back as string[]. */
  readRaw(name: string, slab?: Partial<NetcdfSlab>): { data: NetcdfRawData; shape: number[] } {
    const info = this.header.vars[name];
    if (!info) throw new Error(`NetCDF-4 file ${this.filePath} has no variable "${name}" (it has: ${Object.keys(this.header.vars).join(', ')})`);
    const { start, count } = resolveSlab(info, slab, `reading ${this.filePath}`);
    const ds = this.group.get(name) as Dataset;
    const whole = start.every((s) => s === 0) && count.every((c, i) => c === info.shape[i]);
    if (product(count) === 0) return { data: emptyOf(info.dtype), shape: count };
    const value = withHdf5Errors(`cannot read variable ${name} of NetCDF-4 file ${this.filePath} (truncated or corrupt?)`,
      () => (whole ? ds.value : ds.slice(start.map((s, i) => [s, s + count[i]]))));
    let data: NetcdfRawData;
    if (typeof value === 'string') data = [value];
    else if (Array.isArray(value)) data = (value as unknown[]).flat(Infinity).map((v) => String(v));
    else if (ArrayBuffer.isView(value)) data = value as unknown as NetcdfRawData;
    else if (typeof value === 'number') data = info.dtype === 'float32' ? Float32Array.of(value) : Float64Array.of(value);
    else if (typeof value === 'bigint') data = BigInt64Array.of(value);
    else throw new Error(`NetCDF-4 file ${this.filePath}: variable ${name} has values this reader cannot represent`);
    return { data, shape: count };
  }
}

function emptyOf(dtype: NetcdfDtype): NetcdfRawData {
  return dtype === 'string' || dtype === 'char' ? [] : new Float64Array(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** Typed arrays the writer stores, and the HDF5 dtype string of each. */
export type NetcdfWritableArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | BigInt64Array;

export function h5DtypeOf(data: unknown): string | undefined {
  if (data instanceof Float32Array) return '<f';
  if (data instanceof Float64Array) return '<d';
  if (data instanceof Int8Array) return '|b';
  if (data instanceof Uint8Array) return '|B';
  if (data instanceof Int16Array) return '<h';
  if (data instanceof Int32Array) return '<i';
  if (data instanceof BigInt64Array) return '<q';
  return undefined;
}

/** Value of an attribute to write: text, a number (stored as int32 when integral, else float64), or a typed array. */
export type NetcdfAttributeInput = string | number | number[] | string[] | NetcdfWritableArray;

/**
 * Write one attribute the way netCDF-C does: text as a scalar fixed-length UTF-8 string (NC_CHAR), numbers with
 * the type of `typeHint` (for _FillValue, missing_value, valid_*) or of their typed array.
 */
export function writeAttribute(obj: Dataset | Group, name: string, value: NetcdfAttributeInput, typeHint?: NetcdfWritableArray, where = ''): void {
  if (typeof value === 'string') {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes === 0) obj.create_attribute(name, [''], [1], 'S');
    else obj.create_attribute(name, value, [], `S${bytes}`);
    return;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    obj.create_attribute(name, value as string[], [value.length], 'S');
    return;
  }
  let arr: NetcdfWritableArray;
  if (ArrayBuffer.isView(value)) arr = value as NetcdfWritableArray;
  else {
    const list = (Array.isArray(value) ? value : [value]) as number[];
    if (list.length === 0 || list.some((v) => typeof v !== 'number')) throw new Error(`${where} attribute ${name}: expected text, numbers or a typed array, got ${JSON.stringify(value)}`);
    if (typeHint) {
      const Ctor = typeHint.constructor as { from(a: ArrayLike<number>): NetcdfWritableArray; new (n: number): NetcdfWritableArray };
      arr = typeHint instanceof BigInt64Array ? BigInt64Array.from(list.map((v) => BigInt(v))) : Ctor.from(list);
    } else if (list.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) arr = Int32Array.from(list);
    else arr = Float64Array.from(list);
  }
  const dtype = h5DtypeOf(arr);
  if (!dtype) throw new Error(`${where} attribute ${name}: unsupported array type ${arr.constructor.name}`);
  obj.create_attribute(name, arr, arr.length === 1 ? [] : [arr.length], dtype);
}

/** Everything the HDF5 layer needs to write one NetCDF-4 file (validated by the caller). */
export interface Hdf5WritePlan {
  dims: { name: string; size: number; coordinate?: { data: NetcdfWritableArray; attrs: Record<string, NetcdfAttributeInput> } }[];
  vars: { name: string; dims: string[]; data: NetcdfWritableArray; attrs: Record<string, NetcdfAttributeInput>; chunks?: number[]; compression?: number }[];
  attrs: Record<string, NetcdfAttributeInput>;
}

const TYPED_ATTRS = new Set(['_FillValue', 'missing_value', 'valid_min', 'valid_max', 'valid_range']);

/** Write `plan` to `filePath` (created or truncated). Call {@link hdf5Ready} first. */
export function writeHdf5Netcdf(filePath: string, plan: Hdf5WritePlan): void {
  const f = new h5wasm.File(filePath, 'w', { track_order: true });
  try {
    // Dimensions first, as dimension scales, in order: this order becomes the netCDF dimension ids.
    plan.dims.forEach((d, id) => {
      let ds: Dataset;
      if (d.coordinate) {
        ds = f.create_dataset({ name: d.name, data: d.coordinate.data, shape: [d.size], dtype: h5DtypeOf(d.coordinate.data)!, track_order: true });
        ds.make_scale(d.name);
      } else {
        ds = f.create_dataset({ name: d.name, data: new Float32Array(d.size), shape: [d.size], dtype: '<f', track_order: true });
        ds.make_scale(`${DIMENSION_WITHOUT_VARIABLE}${String(d.size).padStart(10)}`);
      }
      ds.create_attribute('_Netcdf4Dimid', Int32Array.of(id), [], '<i');
      if (d.coordinate) for (const [k, v] of Object.entries(d.coordinate.attrs)) writeAttribute(ds, k, v, TYPED_ATTRS.has(k) ? d.coordinate.data : undefined, `coordinate ${d.name}`);
    });
    for (const v of plan.vars) {
      const shape = v.dims.map((dn) => plan.dims.find((d) => d.name === dn)!.size);
      const ds = f.create_dataset({
        name: v.name, data: v.data, shape, dtype: h5DtypeOf(v.data)!, track_order: true,
        ...(v.compression && v.compression > 0 && shape.length > 0 ? { chunks: v.chunks, compression: v.compression } : {}),
      });
      v.dims.forEach((dn, i) => ds.attach_scale(i, `/${dn}`));
      for (const [k, val] of Object.entries(v.attrs)) writeAttribute(ds, k, val, TYPED_ATTRS.has(k) ? v.data : undefined, `variable ${v.name}`);
    }
    for (const [k, val] of Object.entries(plan.attrs)) writeAttribute(f, k, val, undefined, 'global');
  } finally {
    f.close();
  }
}
