// The in-memory model shared by the NetCDF readers (classic and NetCDF-4): dimensions, attributes, variables, and
// the CF decoding of raw values (scale_factor/add_offset, _FillValue/missing_value/valid_* → NaN) plus hyperslab helpers.

/** External element types of NetCDF variables. */
export type NetcdfDtype =
  | 'int8' | 'uint8' | 'char' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64' | 'string';

/** Attribute values: text, or numbers (a scalar when the attribute holds one value). */
export type NetcdfAttribute = string | number | bigint | number[] | bigint[] | string[];
export type NetcdfAttributes = Record<string, NetcdfAttribute>;

/** Raw (undecoded) variable values as read from the file. */
export type NetcdfRawData =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array
  | Float32Array | Float64Array | string[];

/** Values after CF decoding: floats with NaN for missing data, integers kept when nothing needed decoding. */
export type NetcdfData = NetcdfRawData;

/** A variable's header: everything except its values. */
export interface NetcdfVariableInfo {
  name: string;
  dims: string[];
  shape: number[];
  dtype: NetcdfDtype;
  attrs: NetcdfAttributes;
}

/** A variable with values (C order, shape `shape`). */
export interface NetcdfVariable extends NetcdfVariableInfo {
  data: NetcdfData;
}

/** The part of a file a reader exposes before any data is read. */
export interface NetcdfHeader {
  path: string;
  format: 'classic' | '64bit-offset' | '64bit-data' | 'netcdf4';
  dims: Record<string, number>;
  /** Names of unlimited (record) dimensions. */
  unlimited: string[];
  attrs: NetcdfAttributes;
  vars: Record<string, NetcdfVariableInfo>;
  /** Child groups (NetCDF-4 only). */
  groups: string[];
}

/** A hyperslab: first index and count along each dimension of a variable. */
export interface NetcdfSlab {
  start: number[];
  count: number[];
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Check a hyperslab against a variable's shape and fill in the defaults (whole variable). */
export function resolveSlab(info: NetcdfVariableInfo, slab: Partial<NetcdfSlab> | undefined, where: string): NetcdfSlab {
  const rank = info.shape.length;
  const start = slab?.start ?? new Array<number>(rank).fill(0);
  const count = slab?.count ?? info.shape.map((n, i) => n - start[i]);
  if (start.length !== rank || count.length !== rank) {
    throw new Error(`${where}: variable "${info.name}" has ${rank} dimensions (${info.dims.join(', ')}), got start ${JSON.stringify(start)} and count ${JSON.stringify(count)}`);
  }
  for (let i = 0; i < rank; i++) {
    if (!Number.isInteger(start[i]) || !Number.isInteger(count[i]) || start[i] < 0 || count[i] < 0 || start[i] + count[i] > info.shape[i]) {
      throw new Error(`${where}: slab [${start[i]}, ${start[i] + count[i]}) on dimension ${info.dims[i]} of variable "${info.name}" is outside 0..${info.shape[i]}`);
    }
  }
  return { start: start.slice(), count: count.slice() };
}

type AnyArray = { length: number; [i: number]: unknown };

/** Copy the hyperslab (start, count) out of a C-order array of `shape` into `out` starting at `outOffset`. */
export function copyHyperslab<T extends AnyArray>(src: T, shape: readonly number[], start: readonly number[], count: readonly number[], out: T, outOffset = 0): void {
  const rank = shape.length;
  if (rank === 0) {
    out[outOffset] = src[0];
    return;
  }
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const n = product(count);
  if (n === 0) return;
  const inner = count[rank - 1];
  const idx = new Array<number>(rank - 1).fill(0);
  let o = outOffset;
  for (;;) {
    let base = start[rank - 1];
    for (let i = 0; i < rank - 1; i++) base += (start[i] + idx[i]) * strides[i];
    for (let k = 0; k < inner; k++) out[o++] = src[base + k];
    let d = rank - 2;
    while (d >= 0) {
      idx[d]++;
      if (idx[d] < count[d]) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}

function numericList(a: NetcdfAttribute | undefined): number[] | undefined {
  if (a === undefined || typeof a === 'string') return undefined;
  if (Array.isArray(a)) return (a as (number | bigint | string)[]).filter((x) => typeof x !== 'string').map(Number);
  return [Number(a)];
}

const FLOAT_TYPES: readonly NetcdfDtype[] = ['float32', 'float64'];
/** netCDF's default fill for float and double (netcdf.h NC_FILL_FLOAT / NC_FILL_DOUBLE = 9.9692099683868690e+36). */
const NC_FILL_DOUBLE = 9.969209968386869e36;

/**
 * CF decoding of raw values: values equal to _FillValue or missing_value, or outside valid_min/valid_max/valid_range
 * (all compared in the packed, stored units) become NaN, as do floats equal to netCDF's default fill when there
 * is no _FillValue; then value * scale_factor + add_offset. The result is a
 * Float64Array, or a Float32Array when the variable is float32 and any scale/offset is float32 too (or absent).
 * Integer variables with none of these attributes, strings and chars are returned unchanged.
 */
export function decodeCf(info: NetcdfVariableInfo, raw: NetcdfRawData, attrTypes?: Record<string, NetcdfDtype>): NetcdfData {
  if (Array.isArray(raw)) return raw;
  const a = info.attrs;
  const scale = numericList(a.scale_factor)?.[0];
  const offset = numericList(a.add_offset)?.[0];
  const fills = [...(numericList(a._FillValue) ?? []), ...(numericList(a.missing_value) ?? [])];
  let lo = numericList(a.valid_min)?.[0] ?? -Infinity;
  let hi = numericList(a.valid_max)?.[0] ?? Infinity;
  const range = numericList(a.valid_range);
  if (range && range.length >= 2) [lo, hi] = [range[0], range[1]];
  // Without _FillValue, float data equal to the netCDF default fill (never written) is missing too, as in netCDF-C's
  // own tools; integer defaults (e.g. 255 for ubyte) are legitimate values and are kept.
  if (a._FillValue === undefined && FLOAT_TYPES.includes(info.dtype)) fills.push(NC_FILL_DOUBLE);
  const needsMask = fills.length > 0 || lo !== -Infinity || hi !== Infinity;
  const isFloat = FLOAT_TYPES.includes(info.dtype);
  if (!isFloat && scale === undefined && offset === undefined && !needsMask) return raw;
  const packingIsFloat32 = ['scale_factor', 'add_offset'].every((k) => a[k] === undefined || attrTypes?.[k] === 'float32');
  const out = info.dtype === 'float32' && packingIsFloat32 ? new Float32Array(raw.length) : new Float64Array(raw.length);
  const sc = scale ?? 1;
  const of = offset ?? 0;
  const fillSet = new Set(fills.filter((f) => !Number.isNaN(f)));
  // A float32 variable's _FillValue is compared as float32 (its exact stored value), not as the decimal in the header.
  if (info.dtype === 'float32') for (const f of [...fillSet]) fillSet.add(Math.fround(f));
  for (let i = 0; i < raw.length; i++) {
    const v = Number(raw[i]);
    if (Number.isNaN(v) || fillSet.has(v) || v < lo || v > hi) out[i] = NaN;
    else out[i] = v * sc + of;
  }
  return out;
}
