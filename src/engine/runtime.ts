// The runtime: compiles graphs (or ONNX files other tools wrote) into onnxruntime sessions, cached by graph
// identity and thread count, and runs them with typed-array feeds and fetches.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { type DType, type HostData, Graph, GraphError, formatShape, parseDim } from './graph.ts';
import { exportOnnx } from './onnx.ts';

export interface HostTensor {
  data: HostData;
  shape: number[];
}
export type Feed = HostTensor | HostData;
/**
 * Caller-owned output buffers by output name: onnxruntime writes those results straight into them (no allocation
 * and no copy per run; a typed array alone when the graph fixes the output's shape, or with an explicit shape).
 */
export type OutputBuffers = Record<string, HostTensor | HostData>;

export interface CompileOptions {
  /** Intra-op threads; default: all cores (or MYRIAD_THREADS). */
  threads?: number;
  /**
   * Whether idle intra-op threads spin while waiting for work (onnxruntime's default, true). Spinning threads
   * take cycles from the working thread when cores are shared (two vCPUs on one physical core, other processes).
   */
  spinning?: boolean;
}

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

export function defaultThreads(): number {
  const env = Number(process.env.MYRIAD_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

const ORT_DTYPE: Record<string, DType> = { float32: 'float32', float64: 'float64', int64: 'int64', bool: 'bool' };

function dtypeOf(data: HostData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

interface InputSpec {
  dtype: DType;
  shape: (number | string)[];
}

/**
 * A concrete shape for `dims`: symbolic sizes from the feeds' bindings, at most one left open taken from the element
 * count `count` (when given); null when that does not fix it.
 */
function concreteShape(dims: readonly (number | string)[], bound: Map<string, number>, count: number | null): number[] | null {
  const shape: number[] = [];
  const open: number[] = [];
  for (const d of dims) {
    if (typeof d === 'number') {
      shape.push(d);
      continue;
    }
    const p = parseDim(d);
    const v = p.sym ? bound.get(p.sym) : undefined;
    if (v === undefined) open.push(shape.length);
    shape.push(v === undefined ? 0 : v * p.coef);
  }
  if (open.length === 0) return shape;
  const known = shape.reduce((a, b, i) => (open.includes(i) ? a : a * b), 1);
  if (open.length > 1 || count === null || known === 0 || count % known !== 0) return null;
  shape[open[0]] = count / known;
  return shape;
}

/** A compiled graph: one onnxruntime session plus what its inputs must look like. */
export class Executable {
  constructor(
    readonly session: ort.InferenceSession,
    readonly key: string,
    readonly inputs: Map<string, InputSpec> | null,
    readonly outputNames: string[],
    readonly outputs: Map<string, InputSpec> | null = null,
    /** outputs the session produces before their trailing reshape: the shape onnxruntime sees, by name */
    readonly reshapedOutputs: Map<string, InputSpec> = new Map(),
  ) {}

  /**
   * Runs with feeds by input name; returns every output (or only `fetch`). Outputs named in `into` are written into
   * those caller-owned buffers, which the result then holds (reuse them across runs to skip the per-run allocation
   * and copy of large results).
   */
  async run(feeds: Record<string, Feed>, fetch?: string[], into?: OutputBuffers): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    const bound = new Map<string, number>();
    for (const [name, f] of Object.entries(feeds)) {
      const spec = this.inputs?.get(name);
      if (this.inputs && !spec) throw new RuntimeError(`feed '${name}' is not an input of this graph (inputs: ${[...this.inputs.keys()].join(', ')})`);
      const data = ArrayBuffer.isView(f) ? (f as HostData) : (f as HostTensor).data;
      let shape: number[];
      if (ArrayBuffer.isView(f)) {
        if (!spec) throw new RuntimeError(`feed '${name}' needs an explicit shape`);
        shape = this.resolveShape(name, spec, data.length, bound);
      } else shape = (f as HostTensor).shape;
      const dt = dtypeOf(data);
      if (spec) {
        if (spec.dtype !== dt) throw new RuntimeError(`feed '${name}': expected ${spec.dtype}, got ${dt}`);
        this.checkShape(name, spec, shape, bound);
      }
      const n = shape.reduce((a, b) => a * b, 1);
      if (n !== data.length) throw new RuntimeError(`feed '${name}': ${data.length} values do not fill shape ${formatShape(shape)}`);
      ortFeeds[name] = new ort.Tensor(dt === 'bool' ? 'bool' : dt, data as never, shape);
    }
    if (this.inputs) for (const name of this.inputs.keys()) if (!(name in feeds)) throw new RuntimeError(`missing feed for input '${name}'`);
    const names = fetch ?? this.outputNames;
    for (const name of names) if (!this.outputNames.includes(name)) throw new RuntimeError(`'${name}' is not an output of this graph (outputs: ${this.outputNames.join(', ')})`);
    let fetches: ort.InferenceSession.FetchesType | undefined = fetch;
    if (into) {
      const pre: Record<string, ort.Tensor | null> = {};
      for (const name of Object.keys(into))
        if (!names.includes(name)) throw new RuntimeError(`output buffer '${name}': not an output ${fetch ? 'fetched by this run' : 'of this graph'} (${names.join(', ')})`);
      for (const name of names) pre[name] = into[name] ? this.outputTensor(name, into[name], bound) : null;
      fetches = pre;
    }
    let res: ort.InferenceSession.OnnxValueMapType;
    try {
      res = fetches ? await this.session.run(ortFeeds, fetches) : await this.session.run(ortFeeds);
    } catch (err) {
      throw new RuntimeError(`onnxruntime could not run the model: ${(err as Error).message}`);
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(res)) {
      const dt = ORT_DTYPE[t.type];
      if (!dt) throw new RuntimeError(`output '${name}' has unsupported type ${t.type}`);
      const buffer = into?.[name];
      const data = buffer ? (ArrayBuffer.isView(buffer) ? (buffer as HostData) : (buffer as HostTensor).data) : (t.data as HostData);
      let shape = t.dims.map(Number);
      if (this.reshapedOutputs.has(name)) {
        // the session's output is the tensor before the graph's final reshape: the same values, the declared shape
        const declared = concreteShape(this.outputs!.get(name)!.shape, bound, data.length);
        if (!declared) throw new RuntimeError(`output '${name}': cannot restore its shape ${formatShape(this.outputs!.get(name)!.shape)} from ${data.length} values`);
        shape = declared;
      }
      out[name] = { data, shape };
    }
    return out;
  }

  /** A caller's output buffer as an onnxruntime tensor, checked against the graph's output (dtype, shape, size). */
  private outputTensor(name: string, buffer: HostTensor | HostData, bound: Map<string, number>): ort.Tensor {
    const data = ArrayBuffer.isView(buffer) ? (buffer as HostData) : (buffer as HostTensor).data;
    const spec = this.outputs?.get(name);
    const dt = dtypeOf(data);
    if (spec && spec.dtype !== dt) throw new RuntimeError(`output buffer '${name}': expected ${spec.dtype}, got ${dt}`);
    let shape: number[];
    if (ArrayBuffer.isView(buffer)) {
      if (!spec) throw new RuntimeError(`output buffer '${name}' needs an explicit shape`);
      const s = concreteShape(spec.shape, bound, null);
      if (!s) throw new RuntimeError(`output buffer '${name}': its shape ${formatShape(spec.shape)} is not fixed by the feeds; pass { data, shape }`);
      shape = s;
    } else {
      shape = (buffer as HostTensor).shape;
      if (spec && (shape.length !== spec.shape.length || spec.shape.some((d, i) => typeof d === 'number' && d !== shape[i])))
        throw new RuntimeError(`output buffer '${name}': shape ${formatShape(shape)} does not match ${formatShape(spec.shape)}`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new RuntimeError(`output buffer '${name}': ${data.length} values do not fill shape ${formatShape(shape)}`);
    const inner = this.reshapedOutputs.get(name);
    if (inner) {
      // onnxruntime writes the tensor before the graph's final reshape: the same values in another shape
      const s = concreteShape(inner.shape, bound, n);
      if (!s) throw new RuntimeError(`output buffer '${name}': the shape before its reshape, ${formatShape(inner.shape)}, is not fixed by the feeds`);
      shape = s;
    }
    return new ort.Tensor(dt === 'bool' ? 'bool' : dt, data as never, shape);
  }

  private resolveShape(name: string, spec: InputSpec, n: number, bound: Map<string, number>): number[] {
    let known = 1;
    let symAt = -1;
    spec.shape.forEach((d, i) => {
      if (typeof d === 'number') known *= d;
      else symAt = i;
    });
    const shape = spec.shape.map((d) => (typeof d === 'number' ? d : 0));
    if (symAt >= 0) {
      const p = parseDim(spec.shape[symAt]);
      const size = n / known;
      if (!Number.isInteger(size)) throw new RuntimeError(`feed '${name}': ${n} values do not fit shape ${formatShape(spec.shape)}`);
      shape[symAt] = size;
      if (p.sym) bound.set(p.sym, size / p.coef);
    }
    return shape;
  }

  private checkShape(name: string, spec: InputSpec, shape: number[], bound: Map<string, number>): void {
    const bad = () => new RuntimeError(`feed '${name}': shape ${formatShape(shape)} does not match ${formatShape(spec.shape)}`);
    if (shape.length !== spec.shape.length) throw bad();
    spec.shape.forEach((d, i) => {
      if (typeof d === 'number') {
        if (shape[i] !== d) throw bad();
        return;
      }
      const p = parseDim(d);
      if (shape[i] % p.coef !== 0) throw bad();
      const v = shape[i] / p.coef;
      const prev = bound.get(p.sym!);
      if (prev !== undefined && prev !== v)
        throw new RuntimeError(`feed '${name}': symbolic size ${p.sym} = ${v} disagrees with ${prev} from another feed`);
      bound.set(p.sym!, v);
    });
  }
}

const cache = new Map<string, Promise<Executable>>();

async function createSession(bytes: Uint8Array, threads: number, spinning = true): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    ...(spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
}

function sessionKey(hash: string, threads: number, spinning: boolean): string {
  return `${hash}:${threads}${spinning ? '' : ':nospin'}`;
}

/** Compiles a graph once per (graph bytes, threads); later calls with an identical graph reuse the session. */
export async function compile(graph: Graph, options: CompileOptions = {}): Promise<Executable> {
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new RuntimeError(`threads must be a positive integer, got ${threads}`);
  const spinning = options.spinning ?? true;
  const model = exportOnnx(graph, { elideOutputReshapes: true });
  const key = sessionKey(createHash('sha256').update(model.bytes).digest('hex'), threads, spinning);
  let p = cache.get(key);
  if (!p) {
    const specs = new Map<string, InputSpec>();
    for (const [name, t] of graph.inputs) specs.set(name, { dtype: t.dtype, shape: [...t.shape] });
    const outSpecs = new Map<string, InputSpec>();
    for (const [name, t] of graph.outputs) outSpecs.set(name, { dtype: t.dtype, shape: [...t.shape] });
    const innerSpecs = new Map<string, InputSpec>();
    for (const [name, t] of model.reshapedOutputs) innerSpecs.set(name, { dtype: t.dtype, shape: [...t.shape] });
    p = createSession(model.bytes, threads, spinning)
      .then((s) => new Executable(s, key, specs, model.outputNames, outSpecs, innerSpecs))
      .catch((err: unknown) => {
        cache.delete(key);
        throw new RuntimeError(`onnxruntime rejected graph '${graph.name}': ${(err as Error).message}`);
      });
    cache.set(key, p);
  }
  return p;
}

/** Loads an ONNX model written by another tool (path or bytes). Input shapes are checked by onnxruntime itself. */
export async function loadOnnx(source: string | Uint8Array, options: CompileOptions = {}): Promise<Executable> {
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? new Uint8Array(readFileSync(source)) : source;
  } catch (err) {
    throw new RuntimeError(`cannot read ONNX model ${source}: ${(err as Error).message}`);
  }
  if (bytes.length === 0) throw new RuntimeError(`cannot load ONNX model${typeof source === 'string' ? ` ${source}` : ''}: it is empty (0 bytes)`);
  const threads = options.threads ?? defaultThreads();
  const spinning = options.spinning ?? true;
  const key = sessionKey(createHash('sha256').update(bytes).digest('hex'), threads, spinning);
  let p = cache.get(key);
  if (!p) {
    p = createSession(bytes, threads, spinning)
      .then((s) => new Executable(s, key, null, [...s.outputNames]))
      .catch((err: unknown) => {
        cache.delete(key);
        throw new RuntimeError(`cannot load ONNX model${typeof source === 'string' ? ` ${source}` : ''}: ${(err as Error).message}`);
      });
    cache.set(key, p);
  }
  return p;
}

/** Drops every cached session (frees native memory). */
export async function releaseSessions(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    try {
      await (await p).session.release();
    } catch {
      /* a failed compile has nothing to release */
    }
  }
}

/** Builds, compiles and runs a graph in one call (convenience for tests and small jobs). */
export async function evaluate(build: (g: Graph) => void, feeds: Record<string, Feed> = {}, options: CompileOptions = {}): Promise<Record<string, HostTensor>> {
  const g = new Graph();
  build(g);
  if (g.outputs.size === 0) throw new GraphError('evaluate: the graph declares no outputs');
  const exe = await compile(g, options);
  return exe.run(feeds);
}
