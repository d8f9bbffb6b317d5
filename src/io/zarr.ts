// Zarr v3 stores in a local directory (plus, by default, Zarr v2 metadata over the same chunks for xarray): groups, zstd
// arrays with named dims and CF attributes, region reads/writes; files replaced atomically, made durable by flush().
import * as zarr from 'zarrita';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Element types this project stores in Zarr. */
export type ZarrDtype = 'float32' | 'float64' | 'int32' | 'int64';
/** The typed array that holds each {@link ZarrDtype}. */
export type ZarrTypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array;
/** JSON attributes of a group or array (finite numbers only; NaN is not JSON). */
export type ZarrAttributes = Record<string, unknown>;
/** A dense C-order block of values with its shape (a whole array or a region of one). */
export interface ZarrBlock<T extends ZarrTypedArray = ZarrTypedArray> {
  data: T;
  shape: number[];
}

const ZARR_DTYPES: readonly ZarrDtype[] = ['float32', 'float64', 'int32', 'int64'];
const TYPED_ARRAY_OF: Record<ZarrDtype, { name: string; make: (n: number) => ZarrTypedArray; is: (a: unknown) => boolean }> = {
  float32: { name: 'Float32Array', make: (n) => new Float32Array(n), is: (a) => a instanceof Float32Array },
  float64: { name: 'Float64Array', make: (n) => new Float64Array(n), is: (a) => a instanceof Float64Array },
  int32: { name: 'Int32Array', make: (n) => new Int32Array(n), is: (a) => a instanceof Int32Array },
  int64: { name: 'BigInt64Array', make: (n) => new BigInt64Array(n), is: (a) => a instanceof BigInt64Array },
};
const TEMP_MARK = '.tmp-';

/**
 * A zarrita store over a local directory whose writes never leave a torn file: each key is written to a hidden
 * temporary file in the same directory and renamed over the target. With `syncEachWrite` (default) the temporary
 * file is fsync-ed before the rename, so even a power cut leaves either the old or the new bytes. {@link flush}
 * fsyncs whatever is still pending (files when `syncEachWrite` is off, and every directory touched) so a caller can
 * record a unit of work as done only after its outputs are durable.
 */
export class DurableDirectoryStore implements zarr.AsyncMutable {
  readonly root: string;
  readonly syncEachWrite: boolean;
  private readonly dirtyDirectories = new Set<string>();
  private readonly unsyncedFiles = new Set<string>();
  private tempCounter = 0;

  constructor(root: string, options: { syncEachWrite?: boolean } = {}) {
    this.root = path.resolve(root);
    this.syncEachWrite = options.syncEachWrite ?? true;
  }

  private filePath(key: string): string {
    const rel = key.replace(/^\/+/, '');
    const full = path.resolve(this.root, rel);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw new Error(`zarr store key "${key}" points outside the store root ${this.root}`);
    }
    return full;
  }

  async get(key: zarr.AbsolutePath): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await fs.promises.readFile(this.filePath(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async getRange(key: zarr.AbsolutePath, range: zarr.RangeQuery): Promise<Uint8Array | undefined> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(this.filePath(key), 'r');
      const size = (await handle.stat()).size;
      const [offset, length] = 'suffixLength' in range
        ? [Math.max(0, size - range.suffixLength), Math.min(range.suffixLength, size)]
        : [range.offset, Math.max(0, Math.min(range.length, size - range.offset))];
      const out = new Uint8Array(length);
      await handle.read(out, 0, length, offset);
      return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    } finally {
      await handle?.close();
    }
  }

  async set(key: zarr.AbsolutePath, value: Uint8Array): Promise<void> {
    const target = this.filePath(key);
    const dir = path.dirname(target);
    await fs.promises.mkdir(dir, { recursive: true });
    const temp = path.join(dir, `.${path.basename(target)}${TEMP_MARK}${process.pid}-${++this.tempCounter}-${randomBytes(3).toString('hex')}`);
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(temp, 'wx');
      await handle.writeFile(value);
      if (this.syncEachWrite) await handle.sync();
      await handle.close();
      handle = undefined;
      await fs.promises.rename(temp, target);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await fs.promises.unlink(temp).catch(() => undefined);
      throw err;
    }
    if (!this.syncEachWrite) this.unsyncedFiles.add(target);
    // The rename lives in `dir`; newly made directories live in their parents, up to the root.
    for (let d = dir; ; d = path.dirname(d)) {
      this.dirtyDirectories.add(d);
      if (d === this.root || d === path.dirname(d) || !d.startsWith(this.root)) break;
    }
  }

  async delete(key: zarr.AbsolutePath): Promise<boolean> {
    const target = this.filePath(key);
    try {
      await fs.promises.unlink(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    this.unsyncedFiles.delete(target);
    this.dirtyDirectories.add(path.dirname(target));
    return true;
  }

  /** Number of files and directories whose last writes are not yet known to be on disk. */
  get pendingCount(): number {
    return this.unsyncedFiles.size + this.dirtyDirectories.size;
  }

  /** fsync every file written without sync and every directory touched since the last flush. */
  async flush(): Promise<void> {
    for (const file of [...this.unsyncedFiles]) {
      await fsyncPath(file, 'r');
      this.unsyncedFiles.delete(file);
    }
    // Deepest first, so a directory entry is synced after the directory it names.
    const dirs = [...this.dirtyDirectories].sort((a, b) => b.length - a.length);
    for (const dir of dirs) {
      await fsyncPath(dir, 'r');
      this.dirtyDirectories.delete(dir);
    }
  }
}

async function fsyncPath(p: string, flags: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(p, flags);
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Some file systems refuse fsync on directories; the data files themselves were synced.
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw err;
  } finally {
    await handle?.close();
  }
}

/** A Zarr group: the store it lives in and its path inside it ('/' for the root). */
export interface ZarrGroup {
  readonly store: DurableDirectoryStore;
  readonly path: string;
  readonly attrs: ZarrAttributes;
  /** Whether nodes created under this group also get Zarr v2 metadata (.zgroup/.zarray/.zattrs). */
  readonly v2Metadata: boolean;
}

/** A Zarr array with its metadata in project terms; `node` is zarrita's handle. */
export interface ZarrArray {
  readonly store: DurableDirectoryStore;
  readonly path: string;
  readonly shape: number[];
  readonly chunks: number[];
  readonly dtype: ZarrDtype;
  readonly dims: string[];
  readonly fillValue: number | bigint;
  readonly attrs: ZarrAttributes;
  readonly node: zarr.Array<ZarrDtype, DurableDirectoryStore>;
}

/** What {@link createZarrArray} needs. `dims` become Zarr v3 `dimension_names` (xarray's dimension names). */
export interface ZarrArraySpec {
  shape: number[];
  chunks: number[];
  dtype: ZarrDtype;
  dims: string[];
  /** Value of never-written chunks; default NaN for floats, 0 for integers. */
  fillValue?: number | bigint;
  attrs?: ZarrAttributes;
  /** zstd level (1–22, default 3); 0 stores chunks uncompressed. */
  compressionLevel?: number;
  overwrite?: boolean;
}

function checkNodeName(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${what} name must be a non-empty string, got ${JSON.stringify(name)}`);
  for (const part of name.split('/')) {
    if (part === '' || part === '.' || part === '..' || part.startsWith('__') || part.includes(TEMP_MARK) || part === 'zarr.json') {
      throw new Error(`${what} name "${name}" is not a valid Zarr node path (parts must be non-empty, not "."/"..", not start with "__")`);
    }
  }
}

function checkAttributes(attrs: unknown, where: string): ZarrAttributes {
  if (attrs === undefined) return {};
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
    throw new Error(`attributes of ${where} must be a plain object, got ${JSON.stringify(attrs)}`);
  }
  const visit = (v: unknown, at: string): void => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new Error(`attribute ${at} of ${where} is ${v}; Zarr attributes are JSON, which has no NaN or Infinity (use fillValue for missing data)`);
    }
    if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol' || v === undefined) {
      throw new Error(`attribute ${at} of ${where} has type ${typeof v}, which is not JSON`);
    }
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}[${i}]`));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, `${at}.${k}`);
  };
  for (const [k, v] of Object.entries(attrs)) visit(v, k);
  return attrs as ZarrAttributes;
}

function joinNode(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

function location(store: DurableDirectoryStore, nodePath: string): zarr.Location<DurableDirectoryStore> {
  return new zarr.Location(store, nodePath as zarr.AbsolutePath);
}

async function readNodeMetadata(store: DurableDirectoryStore, nodePath: string): Promise<Record<string, unknown> | undefined> {
  const bytes = await store.get(`${nodePath === '/' ? '' : nodePath}/zarr.json` as zarr.AbsolutePath);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`zarr.json of node "${nodePath}" in ${store.root} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Create a Zarr v3 store (its root group) in directory `root`. Refuses an existing store unless `overwrite`, which
 * deletes the directory first.
 *
 * With `v2Metadata` (default true) every group and array also gets Zarr v2 metadata describing the very same chunk
 * files (arrays then use the v3 "v2" chunk-key encoding, keys `i/j/k`, and `_ARRAY_DIMENSIONS` in `.zattrs`), so
 * readers that only know Zarr v2 (zarr-python 2, xarray on Debian bookworm) open the store with named dimensions.
 * Without it, chunk keys are the v3 default `c/i/j/k` and only v3 readers can open the store.
 */
export async function createZarrStore(
  root: string,
  options: { attrs?: ZarrAttributes; overwrite?: boolean; syncEachWrite?: boolean; v2Metadata?: boolean } = {},
): Promise<ZarrGroup> {
  const attrs = checkAttributes(options.attrs, `store ${root}`);
  if (fs.existsSync(root)) {
    const entries = fs.readdirSync(root);
    if (entries.length > 0) {
      if (!options.overwrite) throw new Error(`cannot create Zarr store at ${root}: the directory exists and is not empty (pass overwrite: true to replace it)`);
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  const store = new DurableDirectoryStore(root, { syncEachWrite: options.syncEachWrite });
  const v2Metadata = options.v2Metadata ?? true;
  await zarr.create(location(store, '/'), { attributes: attrs });
  if (v2Metadata) await writeV2GroupMetadata(store, '/', attrs);
  return { store, path: '/', attrs, v2Metadata };
}

const encodeJson = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));

function nodeKey(nodePath: string, file: string): zarr.AbsolutePath {
  return `${nodePath === '/' ? '' : nodePath}/${file}` as zarr.AbsolutePath;
}

async function writeV2GroupMetadata(store: DurableDirectoryStore, nodePath: string, attrs: ZarrAttributes): Promise<void> {
  await store.set(nodeKey(nodePath, '.zgroup'), encodeJson({ zarr_format: 2 }));
  await store.set(nodeKey(nodePath, '.zattrs'), encodeJson(attrs));
}

const V2_DTYPE: Record<ZarrDtype, string> = { float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8' };

/** Open the root group of an existing Zarr v3 store. */
export async function openZarrStore(root: string, options: { syncEachWrite?: boolean } = {}): Promise<ZarrGroup> {
  const store = new DurableDirectoryStore(root, options);
  return openNodeAsGroup(store, '/');
}

async function openNodeAsGroup(store: DurableDirectoryStore, nodePath: string): Promise<ZarrGroup> {
  const meta = await readNodeMetadata(store, nodePath);
  if (!meta) throw new Error(`no Zarr group at "${nodePath}" in ${store.root} (zarr.json missing)`);
  if (meta.zarr_format !== 3) throw new Error(`node "${nodePath}" in ${store.root} has zarr_format ${JSON.stringify(meta.zarr_format)}, expected 3`);
  if (meta.node_type !== 'group') throw new Error(`node "${nodePath}" in ${store.root} is a ${String(meta.node_type)}, expected a group`);
  const v2Metadata = (await store.get(nodeKey(nodePath, '.zgroup'))) !== undefined;
  return { store, path: nodePath, attrs: (meta.attributes ?? {}) as ZarrAttributes, v2Metadata };
}

/** Create a child group `name` (may contain '/' to nest) under `parent`. */
export async function createZarrGroup(parent: ZarrGroup, name: string, attrs?: ZarrAttributes): Promise<ZarrGroup> {
  checkNodeName(name, 'group');
  const nodePath = joinNode(parent.path, name);
  const checked = checkAttributes(attrs, `group ${nodePath}`);
  if (await readNodeMetadata(parent.store, nodePath)) throw new Error(`cannot create group "${nodePath}" in ${parent.store.root}: a node already exists there`);
  // Intermediate groups of a nested name ('a/b') are created too, so both v3 and v2 readers can walk to it.
  const parts = name.split('/');
  for (let k = 1; k < parts.length; k++) {
    const mid = joinNode(parent.path, parts.slice(0, k).join('/'));
    if (!(await readNodeMetadata(parent.store, mid))) {
      await zarr.create(location(parent.store, mid), { attributes: {} });
      if (parent.v2Metadata) await writeV2GroupMetadata(parent.store, mid, {});
    }
  }
  await zarr.create(location(parent.store, nodePath), { attributes: checked });
  if (parent.v2Metadata) await writeV2GroupMetadata(parent.store, nodePath, checked);
  return { store: parent.store, path: nodePath, attrs: checked, v2Metadata: parent.v2Metadata };
}

/** Open the child group `name` of `parent`. */
export async function openZarrGroup(parent: ZarrGroup, name: string): Promise<ZarrGroup> {
  checkNodeName(name, 'group');
  return openNodeAsGroup(parent.store, joinNode(parent.path, name));
}

function checkShape(shape: unknown, what: string, minimum: number): number[] {
  if (!Array.isArray(shape) || shape.some((n) => !Number.isInteger(n) || n < minimum)) {
    throw new Error(`${what} must be an array of integers >= ${minimum}, got ${JSON.stringify(shape)}`);
  }
  return shape.slice();
}

/** Create an array `name` in `group` (zstd-compressed, regular chunks, chunk keys `c/i/j/...`). */
export async function createZarrArray(group: ZarrGroup, name: string, spec: ZarrArraySpec): Promise<ZarrArray> {
  checkNodeName(name, 'array');
  const nodePath = joinNode(group.path, name);
  const where = `array "${nodePath}"`;
  if (!ZARR_DTYPES.includes(spec.dtype)) throw new Error(`${where}: dtype ${JSON.stringify(spec.dtype)} is not supported; expected one of ${ZARR_DTYPES.join(', ')}`);
  const shape = checkShape(spec.shape, `${where}: shape`, 0);
  const chunks = checkShape(spec.chunks, `${where}: chunks`, 1);
  if (chunks.length !== shape.length) throw new Error(`${where}: chunks ${JSON.stringify(chunks)} has rank ${chunks.length}, shape ${JSON.stringify(shape)} has rank ${shape.length}`);
  if (!Array.isArray(spec.dims) || spec.dims.length !== shape.length || spec.dims.some((d) => typeof d !== 'string' || d === '')) {
    throw new Error(`${where}: dims must name each of the ${shape.length} axes, got ${JSON.stringify(spec.dims)}`);
  }
  if (new Set(spec.dims).size !== spec.dims.length) throw new Error(`${where}: dims ${JSON.stringify(spec.dims)} repeat a name`);
  const level = spec.compressionLevel ?? 3;
  if (!Number.isInteger(level) || level < 0 || level > 22) throw new Error(`${where}: compressionLevel must be an integer 0..22, got ${level}`);
  const isInt = spec.dtype === 'int32' || spec.dtype === 'int64';
  let fillValue: number | bigint = spec.fillValue ?? (isInt ? 0 : NaN);
  if (isInt) {
    if (typeof fillValue === 'number' && !Number.isSafeInteger(fillValue)) throw new Error(`${where}: fillValue ${fillValue} is not an integer, but dtype is ${spec.dtype}`);
    if (spec.dtype === 'int32' && (Number(fillValue) < -(2 ** 31) || Number(fillValue) >= 2 ** 31)) throw new Error(`${where}: fillValue ${fillValue} does not fit int32`);
    if (spec.dtype === 'int64') fillValue = BigInt(fillValue);
  } else if (typeof fillValue !== 'number') {
    throw new Error(`${where}: fillValue must be a number for dtype ${spec.dtype}, got ${typeof fillValue}`);
  }
  const attrs = checkAttributes(spec.attrs, where);
  if (await readNodeMetadata(group.store, nodePath)) {
    if (!spec.overwrite) throw new Error(`cannot create ${where} in ${group.store.root}: a node already exists there (pass overwrite: true)`);
    fs.rmSync(group.store.root + nodePath, { recursive: true, force: true });
  }
  const codecs: zarr.CodecMetadata[] = [{ name: 'bytes', configuration: { endian: 'little' } }];
  if (level > 0) codecs.push({ name: 'zstd', configuration: { level, checksum: false } });
  // JSON has no bigint: the metadata stores the integer as a number (exact up to 2^53).
  const jsonFill = typeof fillValue === 'bigint' ? Number(fillValue) : fillValue;
  const parts = name.split('/');
  for (let k = 1; k < parts.length; k++) {
    const mid = joinNode(group.path, parts.slice(0, k).join('/'));
    if (!(await readNodeMetadata(group.store, mid))) {
      await zarr.create(location(group.store, mid), { attributes: {} });
      if (group.v2Metadata) await writeV2GroupMetadata(group.store, mid, {});
    }
  }
  const node = await zarr.create(location(group.store, nodePath), {
    shape,
    chunkShape: chunks,
    dtype: spec.dtype,
    codecs,
    fillValue: jsonFill as never,
    dimensionNames: spec.dims.slice(),
    attributes: attrs,
    ...(group.v2Metadata ? { chunkSeparator: '/' as const } : {}),
  });
  if (group.v2Metadata) {
    // Same chunks seen through Zarr v2 eyes: v2 keys 'i/j' (the v3 metadata below says so too), zstd as compressor.
    const v3 = JSON.parse(new TextDecoder().decode(await group.store.get(nodeKey(nodePath, 'zarr.json'))));
    v3.chunk_key_encoding = { name: 'v2', configuration: { separator: '/' } };
    await group.store.set(nodeKey(nodePath, 'zarr.json'), encodeJson(v3));
    await group.store.set(nodeKey(nodePath, '.zarray'), encodeJson({
      zarr_format: 2, shape, chunks, dtype: V2_DTYPE[spec.dtype],
      compressor: level > 0 ? { id: 'zstd', level } : null,
      fill_value: jsonFill, order: 'C', filters: null, dimension_separator: '/',
    }));
    await group.store.set(nodeKey(nodePath, '.zattrs'), encodeJson({ ...attrs, _ARRAY_DIMENSIONS: spec.dims }));
    const reopened = await zarr.open.v3(location(group.store, nodePath), { kind: 'array' });
    return { store: group.store, path: nodePath, shape, chunks, dtype: spec.dtype, dims: spec.dims.slice(), fillValue, attrs, node: reopened as unknown as ZarrArray['node'] };
  }
  return { store: group.store, path: nodePath, shape, chunks, dtype: spec.dtype, dims: spec.dims.slice(), fillValue, attrs, node: node as ZarrArray['node'] };
}

/** Open the array `name` (may contain '/') of `group`. */
export async function openZarrArray(group: ZarrGroup, name: string): Promise<ZarrArray> {
  checkNodeName(name, 'array');
  const nodePath = joinNode(group.path, name);
  const meta = await readNodeMetadata(group.store, nodePath);
  if (!meta) throw new Error(`no Zarr array "${nodePath}" in ${group.store.root} (zarr.json missing)`);
  if (meta.node_type !== 'array') throw new Error(`node "${nodePath}" in ${group.store.root} is a ${String(meta.node_type)}, expected an array`);
  if (meta.zarr_format !== 3) throw new Error(`array "${nodePath}" in ${group.store.root} has zarr_format ${JSON.stringify(meta.zarr_format)}, expected 3`);
  const dtype = meta.data_type as ZarrDtype;
  if (!ZARR_DTYPES.includes(dtype)) throw new Error(`array "${nodePath}" has data_type ${JSON.stringify(meta.data_type)}; this reader handles ${ZARR_DTYPES.join(', ')}`);
  const node = (await zarr.open.v3(location(group.store, nodePath), { kind: 'array' })) as unknown as ZarrArray['node'];
  const shape = node.shape.slice();
  const names = meta.dimension_names as (string | null)[] | undefined;
  const dims = shape.map((_, i) => names?.[i] ?? `dim_${i}`);
  return { store: group.store, path: nodePath, shape, chunks: node.chunks.slice(), dtype, dims, fillValue: node.fillValue as number | bigint, attrs: node.attrs as ZarrAttributes, node };
}

/** How many chunks a read or write encodes/decodes at once (zarrita's default is all of them, which for a large
 * region means every chunk in memory and every file open at the same time). */
const CHUNK_CONCURRENCY = 8;

function boundedQueue(): { add(fn: () => Promise<void>): void; onIdle(): Promise<void[]> } {
  let active = 0;
  const waiting: (() => void)[] = [];
  const all: Promise<void>[] = [];
  return {
    add(fn: () => Promise<void>): void {
      all.push(new Promise<void>((resolve, reject) => {
        const start = (): void => {
          active++;
          fn().then(resolve, reject).finally(() => {
            active--;
            waiting.shift()?.();
          });
        };
        if (active < CHUNK_CONCURRENCY) start();
        else waiting.push(start);
      }));
    },
    onIdle: () => Promise.all(all),
  };
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

function checkBlock(arr: ZarrArray, block: ZarrBlock, what: string): void {
  const kind = TYPED_ARRAY_OF[arr.dtype];
  if (!kind.is(block.data)) throw new Error(`${what} of "${arr.path}": data must be a ${kind.name} for dtype ${arr.dtype}, got ${block.data?.constructor?.name}`);
  checkShape(block.shape, `${what} of "${arr.path}": shape`, 0);
  if (block.shape.length !== arr.shape.length) throw new Error(`${what} of "${arr.path}": shape ${JSON.stringify(block.shape)} has rank ${block.shape.length}, the array has rank ${arr.shape.length}`);
  if (block.data.length !== product(block.shape)) throw new Error(`${what} of "${arr.path}": data has ${block.data.length} values, shape ${JSON.stringify(block.shape)} needs ${product(block.shape)}`);
}

function regionSelection(arr: ZarrArray, start: number[], shape: number[], what: string): zarr.Slice[] {
  if (!Array.isArray(start) || start.length !== arr.shape.length || start.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${what} of "${arr.path}": start must be ${arr.shape.length} non-negative integers, got ${JSON.stringify(start)}`);
  }
  return start.map((s, i) => {
    if (s + shape[i] > arr.shape[i]) {
      throw new Error(`${what} of "${arr.path}": region [${s}, ${s + shape[i]}) on axis ${i} (${arr.dims[i]}) exceeds its size ${arr.shape[i]}`);
    }
    return zarr.slice(s, s + shape[i]);
  });
}

/** Write the whole array. */
export async function writeZarrArray(arr: ZarrArray, block: ZarrBlock): Promise<void> {
  checkBlock(arr, block, 'write');
  if (block.shape.some((n, i) => n !== arr.shape[i])) throw new Error(`write of "${arr.path}": shape ${JSON.stringify(block.shape)} differs from the array's ${JSON.stringify(arr.shape)}`);
  await writeZarrRegion(arr, arr.shape.map(() => 0), block);
}

/**
 * Write a hyperslab starting at `start`. Chunks only partly covered are read, merged and rewritten, so concurrent
 * writers must own whole chunks.
 */
export async function writeZarrRegion(arr: ZarrArray, start: number[], block: ZarrBlock): Promise<void> {
  checkBlock(arr, block, 'region write');
  const selection = regionSelection(arr, start, block.shape, 'region write');
  if (product(block.shape) === 0) return;
  await zarr.set(arr.node, selection, { data: block.data, shape: block.shape.slice(), stride: stridesOf(block.shape) } as never, { createQueue: boundedQueue });
}

/** Read the whole array. */
export async function readZarrArray(arr: ZarrArray): Promise<ZarrBlock> {
  return readZarrRegion(arr, arr.shape.map(() => 0), arr.shape);
}

/** Read a hyperslab of `shape` starting at `start` (never-written chunks read as the fill value). */
export async function readZarrRegion(arr: ZarrArray, start: number[], shape: number[]): Promise<ZarrBlock> {
  checkShape(shape, `region read of "${arr.path}": shape`, 0);
  if (shape.length !== arr.shape.length) throw new Error(`region read of "${arr.path}": shape ${JSON.stringify(shape)} has rank ${shape.length}, the array has rank ${arr.shape.length}`);
  const selection = regionSelection(arr, start, shape, 'region read');
  if (product(shape) === 0) return { data: TYPED_ARRAY_OF[arr.dtype].make(0), shape: shape.slice() };
  const got = await zarr.get(arr.node, selection, { createQueue: boundedQueue });
  const data = got.data as unknown as ZarrTypedArray;
  // zarrita returns C-order data for basic slices; guard the assumption instead of trusting it silently.
  const expected = stridesOf(got.shape);
  if (got.stride.some((s, i) => s !== expected[i])) throw new Error(`region read of "${arr.path}": unexpected non-C-order result from zarrita`);
  return { data, shape: got.shape.slice() };
}

/** Paths (relative to `group`, sorted) of every array below `group`, nested groups included. */
export async function listZarrArrays(group: ZarrGroup): Promise<string[]> {
  const base = group.path === '/' ? group.store.root : path.join(group.store.root, group.path);
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const childNode = joinNode(group.path, childRel);
      const meta = await readNodeMetadata(group.store, childNode).catch(() => undefined);
      if (meta?.node_type === 'array') out.push(childRel);
      else if (meta?.node_type === 'group') await walk(path.join(dir, e.name), childRel);
    }
  };
  await walk(base, '');
  return out.sort();
}

/** Attributes of a group or array as stored on disk now (re-read, so another writer's updates are seen). */
export async function readZarrAttributes(node: ZarrGroup | ZarrArray): Promise<ZarrAttributes> {
  const meta = await readNodeMetadata(node.store, node.path);
  if (!meta) throw new Error(`no Zarr node "${node.path}" in ${node.store.root}`);
  return (meta.attributes ?? {}) as ZarrAttributes;
}

/** Make every write to this store so far durable (fsync files and directories). Call before recording work as done. */
export async function flushZarr(node: ZarrGroup | ZarrArray): Promise<void> {
  await node.store.flush();
}

/**
 * Remove temporary files left by writers that were killed mid-write. Only call when no writer is active on the store:
 * a live writer's temporary file would be removed under it. Returns how many were removed.
 */
export function sweepZarrTempFiles(root: string): number {
  let removed = 0;
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith('.') && e.name.includes(TEMP_MARK)) {
        fs.unlinkSync(p);
        removed++;
      }
    }
  };
  if (fs.existsSync(root)) walk(root);
  return removed;
}
