// The graph builder: typed tensor handles with static shapes (plus one optional symbolic batch dimension),
// NumPy-broadcasting ops checked at build time, and the intermediate representation that autodiff and ONNX export read.

export type DType = 'float32' | 'float64' | 'int64' | 'bool';
/** A dimension: a static size, or a symbolic size written 'N' or 'N*k' (k times the batch size N). */
export type Dim = number | string;
export type Shape = readonly Dim[];
export type HostData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export class GraphError extends Error {
  override name = 'GraphError';
}

// ---------------------------------------------------------------- symbolic dimensions

interface DimTerm {
  coef: number;
  sym: string | null;
}

export function parseDim(d: Dim): DimTerm {
  if (typeof d === 'number') return { coef: d, sym: null };
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\*(\d+))?$/.exec(d);
  if (!m) throw new GraphError(`invalid symbolic dimension '${d}': expected a name such as 'N' or 'N*4'`);
  return { coef: m[2] ? Number(m[2]) : 1, sym: m[1] };
}

function formatDim(t: DimTerm): Dim {
  if (t.sym === null) return t.coef;
  return t.coef === 1 ? t.sym : `${t.sym}*${t.coef}`;
}

export function dimEquals(a: Dim, b: Dim): boolean {
  const pa = parseDim(a);
  const pb = parseDim(b);
  return pa.coef === pb.coef && pa.sym === pb.sym;
}

export function formatShape(s: Shape): string {
  return `[${s.join(',')}]`;
}

/** Product of a shape as coef × symbol (symbol null when static). Throws if two different symbols multiply. */
export function shapeProduct(s: Shape): DimTerm {
  let coef = 1;
  let sym: string | null = null;
  for (const d of s) {
    const t = parseDim(d);
    coef *= t.coef;
    if (t.sym !== null) {
      if (sym !== null) throw new GraphError(`shape ${formatShape(s)} has more than one symbolic dimension`);
      sym = t.sym;
    }
  }
  return { coef, sym };
}

export function isStatic(s: Shape): s is readonly number[] {
  return s.every((d) => typeof d === 'number');
}

export function staticSize(s: Shape): number {
  if (!isStatic(s)) throw new GraphError(`shape ${formatShape(s)} is symbolic where a static shape is needed`);
  return s.reduce((a, b) => a * b, 1);
}

/** NumPy broadcasting of several shapes; `op` names the operation in errors. */
export function broadcastShapes(op: string, ...shapes: Shape[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (!dimEquals(d, e))
        throw new GraphError(
          `${op}: shapes ${shapes.map(formatShape).join(' and ')} are not broadcastable (axis ${i - rank}: ${d} vs ${e})`,
        );
    }
    out.push(d);
  }
  return out;
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new GraphError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

// ---------------------------------------------------------------- IR

export type OpName =
  | 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Max' | 'Min'
  | 'Neg' | 'Sqrt' | 'Exp' | 'Log' | 'Sin' | 'Cos' | 'Erf' | 'Tanh' | 'Relu' | 'Gelu' | 'Sigmoid' | 'Abs'
  | 'Less' | 'Greater' | 'Equal' | 'Not' | 'Where'
  | 'MatMul' | 'Transpose' | 'Reshape' | 'Unsqueeze' | 'Squeeze' | 'Concat' | 'Slice' | 'Pad' | 'Gather'
  | 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'Cast' | 'Shape' | 'Expand' | 'ScatterAdd' | 'ZerosLike' | 'Identity';

export type Attrs = Record<string, unknown>;

export interface Node {
  readonly id: number;
  readonly op: OpName;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: Attrs;
}

export type TensorSource =
  | { kind: 'input'; name: string }
  | { kind: 'constant'; data: HostData; name?: string }
  | { kind: 'node'; node: Node };

export type Operand = Tensor | number;

/** A handle on a value in a graph: dtype and shape are known when it is built. */
export class Tensor {
  source!: TensorSource;
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    return `Tensor#${this.id}<${this.dtype}${formatShape(this.shape)}>`;
  }
  add(b: Operand): Tensor { return this.graph.add(this, b); }
  sub(b: Operand): Tensor { return this.graph.sub(this, b); }
  mul(b: Operand): Tensor { return this.graph.mul(this, b); }
  div(b: Operand): Tensor { return this.graph.div(this, b); }
  pow(b: Operand): Tensor { return this.graph.pow(this, b); }
  neg(): Tensor { return this.graph.neg(this); }
  matmul(b: Tensor): Tensor { return this.graph.matmul(this, b); }
  reshape(shape: Shape): Tensor { return this.graph.reshape(this, shape); }
  transpose(perm: number[]): Tensor { return this.graph.transpose(this, perm); }
  sum(axes?: number[], keepdims = false): Tensor { return this.graph.reduceSum(this, axes, keepdims); }
  mean(axes?: number[], keepdims = false): Tensor { return this.graph.reduceMean(this, axes, keepdims); }
  cast(to: DType): Tensor { return this.graph.cast(this, to); }
}

const FLOAT: ReadonlySet<DType> = new Set(['float32', 'float64']);

export function hostArray(dtype: DType, n: number): HostData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'bool': return new Uint8Array(n);
  }
}

/** A computation graph under construction. Nodes are appended in topological order. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs = new Map<string, Tensor>();
  readonly outputs = new Map<string, Tensor>();
  private nextId = 0;
  private scalarCache = new Map<string, Tensor>();
  private namedConstants = new Map<string, Tensor>();
  private arrayConstants = new WeakMap<HostData, Map<string, Tensor>>();

  constructor(readonly name = 'myriad') {}

  private newTensor(dtype: DType, shape: Shape): Tensor {
    for (const d of shape) {
      if (typeof d === 'number' && (!Number.isInteger(d) || d < 0))
        throw new GraphError(`invalid dimension ${d} in shape ${formatShape(shape)}`);
      if (typeof d === 'string') parseDim(d);
    }
    return new Tensor(this, this.nextId++, dtype, [...shape]);
  }

  private own(op: string, t: Tensor): Tensor {
    if (!(t instanceof Tensor)) throw new GraphError(`${op}: operand is not a Tensor (got ${typeof t})`);
    if (t.graph !== this) throw new GraphError(`${op}: tensor ${t} belongs to a different graph`);
    return t;
  }

  /** A graph input fed at run time. Only the leading dimension may be symbolic. */
  input(name: string, dtype: DType, shape: Shape): Tensor {
    if (this.inputs.has(name) || this.namedConstants.has(name)) throw new GraphError(`input '${name}' is already defined`);
    shape.forEach((d, i) => {
      if (typeof d === 'string' && i !== 0)
        throw new GraphError(`input '${name}': only the leading dimension may be symbolic, got ${formatShape(shape)}`);
    });
    const t = this.newTensor(dtype, shape);
    t.source = { kind: 'input', name };
    this.inputs.set(name, t);
    return t;
  }

  /** A constant tensor embedded in the model. With a name it is an ONNX initializer of that name (e.g. a weight). */
  constant(data: HostData | number[], shape: readonly number[], dtype?: DType, name?: string): Tensor {
    const dt: DType =
      dtype ??
      (data instanceof Float64Array ? 'float64' : data instanceof BigInt64Array ? 'int64' : data instanceof Uint8Array ? 'bool' : 'float32');
    let arr: HostData;
    if (Array.isArray(data)) {
      arr = hostArray(dt, data.length);
      if (arr instanceof BigInt64Array) data.forEach((v, i) => ((arr as BigInt64Array)[i] = BigInt(v)));
      else (arr as Float32Array).set(data);
    } else {
      arr = data;
      const expected = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, bool: Uint8Array }[dt];
      if (!(arr instanceof expected)) throw new GraphError(`constant${name ? ` '${name}'` : ''}: data is not a ${expected.name} for dtype ${dt}`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (arr.length !== n)
      throw new GraphError(`constant${name ? ` '${name}'` : ''}: ${arr.length} values do not fill shape ${formatShape(shape)} (${n})`);
    if (name !== undefined && (this.namedConstants.has(name) || this.inputs.has(name)))
      throw new GraphError(`initializer '${name}' is already defined`);
    // the same typed array with the same shape is one initializer (e.g. SHT tables shared by several transforms)
    const shapeKey = `${dt}:${shape.join(',')}`;
    const reusable = name === undefined && !Array.isArray(data);
    if (reusable) {
      const hit = this.arrayConstants.get(arr)?.get(shapeKey);
      if (hit) return hit;
    }
    const t = this.newTensor(dt, shape);
    t.source = { kind: 'constant', data: arr, name };
    if (name !== undefined) this.namedConstants.set(name, t);
    if (reusable) {
      let byShape = this.arrayConstants.get(arr);
      if (!byShape) this.arrayConstants.set(arr, (byShape = new Map()));
      byShape.set(shapeKey, t);
    }
    return t;
  }

  /** A named initializer (a weight stored in the model). */
  initializer(name: string, data: HostData, shape: readonly number[]): Tensor {
    return this.constant(data, shape, undefined, name);
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      t = this.constant([value], [], dtype);
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** Marks a tensor as a graph output under `name`. */
  output(name: string, t: Tensor): Tensor {
    this.own('output', t);
    if (this.outputs.has(name)) throw new GraphError(`output '${name}' is already defined`);
    this.outputs.set(name, t);
    return t;
  }

  /** Appends a node after checking it; `op` shapes come from the caller's inference. */
  addNode(op: OpName, inputs: Tensor[], dtype: DType, shape: Shape, attrs: Attrs = {}): Tensor {
    inputs.forEach((t) => this.own(op, t));
    const out = this.newTensor(dtype, shape);
    const node: Node = { id: this.nodes.length, op, inputs, output: out, attrs };
    out.source = { kind: 'node', node };
    this.nodes.push(node);
    return out;
  }

  // ------------------------------------------------------------ elementwise

  private operand(op: string, x: Operand, like: DType): Tensor {
    return typeof x === 'number' ? this.scalar(x, like) : this.own(op, x);
  }

  private binary(op: OpName, a: Operand, b: Operand): Tensor {
    if (typeof a === 'number' && typeof b === 'number') throw new GraphError(`${op}: at least one operand must be a Tensor`);
    const dt = typeof a === 'number' ? (b as Tensor).dtype : a.dtype;
    const ta = this.operand(op, a, dt);
    const tb = this.operand(op, b, dt);
    if (ta.dtype !== tb.dtype) throw new GraphError(`${op}: dtypes differ (${ta.dtype} ${formatShape(ta.shape)} vs ${tb.dtype} ${formatShape(tb.shape)})`);
    if (ta.dtype === 'bool') throw new GraphError(`${op}: arithmetic on bool tensors is not supported`);
    const shape = broadcastShapes(op, ta.shape, tb.shape);
    const compare = op === 'Less' || op === 'Greater' || op === 'Equal';
    return this.addNode(op, [ta, tb], compare ? 'bool' : ta.dtype, shape);
  }

  private unary(op: OpName, x: Tensor, attrs: Attrs = {}, floatOnly = true): Tensor {
    this.own(op, x);
    if (floatOnly && !FLOAT.has(x.dtype)) throw new GraphError(`${op}: needs a float tensor, got ${x.dtype} ${formatShape(x.shape)}`);
    return this.addNode(op, [x], x.dtype, x.shape, attrs);
  }

  add(a: Operand, b: Operand): Tensor { return this.binary('Add', a, b); }
  sub(a: Operand, b: Operand): Tensor { return this.binary('Sub', a, b); }
  mul(a: Operand, b: Operand): Tensor { return this.binary('Mul', a, b); }
  div(a: Operand, b: Operand): Tensor { return this.binary('Div', a, b); }
  pow(a: Operand, b: Operand): Tensor { return this.binary('Pow', a, b); }
  maximum(a: Operand, b: Operand): Tensor { return this.binary('Max', a, b); }
  minimum(a: Operand, b: Operand): Tensor { return this.binary('Min', a, b); }
  less(a: Operand, b: Operand): Tensor { return this.binary('Less', a, b); }
  greater(a: Operand, b: Operand): Tensor { return this.binary('Greater', a, b); }
  equal(a: Operand, b: Operand): Tensor { return this.binary('Equal', a, b); }
  not(x: Tensor): Tensor {
    this.own('Not', x);
    if (x.dtype !== 'bool') throw new GraphError(`Not: needs a bool tensor, got ${x.dtype}`);
    return this.addNode('Not', [x], 'bool', x.shape);
  }
  neg(x: Tensor): Tensor { return this.unary('Neg', x); }
  sqrt(x: Tensor): Tensor { return this.unary('Sqrt', x); }
  exp(x: Tensor): Tensor { return this.unary('Exp', x); }
  log(x: Tensor): Tensor { return this.unary('Log', x); }
  sin(x: Tensor): Tensor { return this.unary('Sin', x); }
  cos(x: Tensor): Tensor { return this.unary('Cos', x); }
  erf(x: Tensor): Tensor { return this.unary('Erf', x); }
  tanh(x: Tensor): Tensor { return this.unary('Tanh', x); }
  relu(x: Tensor): Tensor { return this.unary('Relu', x); }
  sigmoid(x: Tensor): Tensor { return this.unary('Sigmoid', x); }
  abs(x: Tensor): Tensor { return this.unary('Abs', x); }
  /** GELU, exact (erf form) or with PyTorch's tanh approximation. */
  gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor { return this.unary('Gelu', x, { approximate }); }
  square(x: Tensor): Tensor { return this.mul(x, x); }

  where(cond: Tensor, a: Operand, b: Operand): Tensor {
    this.own('Where', cond);
    if (cond.dtype !== 'bool') throw new GraphError(`Where: condition must be bool, got ${cond.dtype}`);
    if (typeof a === 'number' && typeof b === 'number') throw new GraphError('Where: at least one branch must be a Tensor');
    const dt = typeof a === 'number' ? (b as Tensor).dtype : a.dtype;
    const ta = this.operand('Where', a, dt);
    const tb = this.operand('Where', b, dt);
    if (ta.dtype !== tb.dtype) throw new GraphError(`Where: branch dtypes differ (${ta.dtype} vs ${tb.dtype})`);
    const shape = broadcastShapes('Where', cond.shape, ta.shape, tb.shape);
    return this.addNode('Where', [cond, ta, tb], ta.dtype, shape);
  }

  // ------------------------------------------------------------ linear algebra and layout

  /** Batched, broadcasting matrix product of tensors of rank ≥ 2: [..., m, k] × [..., k, n]. */
  matmul(a: Tensor, b: Tensor): Tensor {
    this.own('MatMul', a);
    this.own('MatMul', b);
    if (a.dtype !== b.dtype) throw new GraphError(`MatMul: dtypes differ (${a.dtype} vs ${b.dtype})`);
    if (!FLOAT.has(a.dtype)) throw new GraphError(`MatMul: needs float tensors, got ${a.dtype}`);
    if (a.rank < 2 || b.rank < 2)
      throw new GraphError(`MatMul: operands must have rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
    const k1 = a.shape[a.rank - 1];
    const k2 = b.shape[b.rank - 2];
    if (!dimEquals(k1, k2))
      throw new GraphError(`MatMul: inner dimensions differ: ${formatShape(a.shape)} × ${formatShape(b.shape)} (${k1} vs ${k2})`);
    let batch: Dim[];
    try {
      batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    } catch {
      throw new GraphError(`MatMul: batch dimensions of ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast`);
    }
    return this.addNode('MatMul', [a, b], a.dtype, [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]]);
  }

  transpose(x: Tensor, perm: number[]): Tensor {
    this.own('Transpose', x);
    const sorted = [...perm].sort((p, q) => p - q);
    if (perm.length !== x.rank || sorted.some((p, i) => p !== i))
      throw new GraphError(`Transpose: perm [${perm}] is not a permutation of the axes of ${formatShape(x.shape)}`);
    return this.addNode('Transpose', [x], x.dtype, perm.map((p) => x.shape[p]), { perm: [...perm] });
  }

  /** Reshape to `shape`; one entry may be -1 (inferred). Symbolic sizes must balance: [N,4,8] → ['N*4',8]. */
  reshape(x: Tensor, shape: Shape): Tensor {
    this.own('Reshape', x);
    const inP = shapeProduct(x.shape);
    const known = shape.filter((d) => d !== -1);
    const infer = shape.length - known.length;
    if (infer > 1) throw new GraphError(`Reshape: more than one -1 in target ${formatShape(shape)}`);
    const outP = shapeProduct(known);
    let out: Dim[] = [...shape];
    if (infer === 1) {
      const coef = inP.coef / outP.coef;
      const sym = outP.sym === null ? inP.sym : outP.sym === inP.sym ? null : undefined;
      if (sym === undefined || !Number.isInteger(coef) || (outP.sym !== null && inP.sym === null))
        throw new GraphError(`Reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
      out = shape.map((d) => (d === -1 ? formatDim({ coef, sym }) : d));
    } else if (inP.coef !== outP.coef || inP.sym !== outP.sym) {
      throw new GraphError(`Reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)} (sizes differ)`);
    }
    const syms = out.filter((d) => typeof d === 'string');
    if (syms.length > 1) throw new GraphError(`Reshape: target ${formatShape(out)} has more than one symbolic dimension`);
    return this.addNode('Reshape', [x], x.dtype, out);
  }

  unsqueeze(x: Tensor, axes: number[]): Tensor {
    this.own('Unsqueeze', x);
    const rank = x.rank + axes.length;
    const ax = axes.map((a) => normAxis('Unsqueeze', a, rank)).sort((p, q) => p - q);
    if (new Set(ax).size !== ax.length) throw new GraphError(`Unsqueeze: repeated axes [${axes}]`);
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x.shape[j++]);
    return this.addNode('Unsqueeze', [x], x.dtype, out, { axes: ax });
  }

  squeeze(x: Tensor, axes: number[]): Tensor {
    this.own('Squeeze', x);
    const ax = axes.map((a) => normAxis('Squeeze', a, x.rank));
    for (const a of ax) if (x.shape[a] !== 1) throw new GraphError(`Squeeze: axis ${a} of ${formatShape(x.shape)} is not 1`);
    return this.addNode('Squeeze', [x], x.dtype, x.shape.filter((_, i) => !ax.includes(i)), { axes: [...new Set(ax)].sort() });
  }

  concat(xs: Tensor[], axis: number): Tensor {
    if (xs.length === 0) throw new GraphError('Concat: no inputs');
    xs.forEach((t) => this.own('Concat', t));
    const r = xs[0].rank;
    const a = normAxis('Concat', axis, r);
    let sum: DimTerm = { coef: 0, sym: null };
    for (const t of xs) {
      if (t.rank !== r || t.dtype !== xs[0].dtype)
        throw new GraphError(`Concat: inputs differ in rank or dtype: ${xs.map((u) => u.dtype + formatShape(u.shape)).join(', ')}`);
      t.shape.forEach((d, i) => {
        if (i !== a && !dimEquals(d, xs[0].shape[i]))
          throw new GraphError(`Concat: shapes ${xs.map((u) => formatShape(u.shape)).join(', ')} differ off axis ${a}`);
      });
      const p = parseDim(t.shape[a]);
      if (sum.coef !== 0 && p.sym !== sum.sym && p.coef !== 0) throw new GraphError(`Concat: mixed symbolic sizes on axis ${a}`);
      sum = { coef: sum.coef + p.coef, sym: p.sym ?? sum.sym };
    }
    const shape = [...xs[0].shape];
    shape[a] = formatDim(sum);
    return this.addNode('Concat', xs, xs[0].dtype, shape, { axis: a });
  }

  /** Slice [start, end) with step along the given axes (defaults: all leading axes). Step ≥ 1. */
  slice(x: Tensor, starts: number[], ends: number[], axes?: number[], steps?: number[]): Tensor {
    this.own('Slice', x);
    const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis('Slice', a, x.rank));
    const st = steps ?? ax.map(() => 1);
    if (starts.length !== ax.length || ends.length !== ax.length || st.length !== ax.length)
      throw new GraphError(`Slice: starts/ends/axes/steps lengths differ`);
    const shape: Dim[] = [...x.shape];
    const S: number[] = [];
    const E: number[] = [];
    ax.forEach((a, i) => {
      const d = x.shape[a];
      if (!Number.isInteger(st[i]) || st[i] < 1) throw new GraphError(`Slice: step ${st[i]} must be a positive integer`);
      if (typeof d !== 'number') {
        if (starts[i] === 0 && ends[i] >= Number.MAX_SAFE_INTEGER) {
          S.push(0);
          E.push(Number.MAX_SAFE_INTEGER);
          return;
        }
        throw new GraphError(`Slice: cannot slice symbolic axis ${a} of ${formatShape(x.shape)}`);
      }
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      const s = clamp(starts[i]);
      const e = clamp(ends[i]);
      S.push(s);
      E.push(e);
      shape[a] = Math.max(0, Math.ceil((e - s) / st[i]));
    });
    return this.addNode('Slice', [x], x.dtype, shape, { starts: S, ends: E, axes: ax, steps: [...st] });
  }

  /** Constant padding; `pads` = [begin_0, …, begin_{r-1}, end_0, …, end_{r-1}] (ONNX order), non-negative. */
  pad(x: Tensor, pads: number[], value = 0): Tensor {
    this.own('Pad', x);
    if (pads.length !== 2 * x.rank) throw new GraphError(`Pad: need ${2 * x.rank} pads for ${formatShape(x.shape)}, got ${pads.length}`);
    if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new GraphError(`Pad: pads must be non-negative integers, got [${pads}]`);
    const shape = x.shape.map((d, i) => {
      if (pads[i] === 0 && pads[i + x.rank] === 0) return d;
      if (typeof d !== 'number') throw new GraphError(`Pad: cannot pad symbolic axis ${i}`);
      return d + pads[i] + pads[i + x.rank];
    });
    return this.addNode('Pad', [x], x.dtype, shape, { pads: [...pads], value });
  }

  /** Gather along `axis` with int64 indices (a tensor or a list; negative indices are not allowed). */
  gather(x: Tensor, indices: Tensor | number[], axis: number): Tensor {
    this.own('Gather', x);
    const a = normAxis('Gather', axis, x.rank);
    const d = x.shape[a];
    let idx: Tensor;
    if (Array.isArray(indices)) {
      if (typeof d === 'number' && indices.some((i) => !Number.isInteger(i) || i < 0 || i >= d))
        throw new GraphError(`Gather: index out of range [0, ${d}) in [${indices.slice(0, 8)}${indices.length > 8 ? ',…' : ''}]`);
      idx = this.constant(indices, [indices.length], 'int64');
    } else {
      idx = this.own('Gather', indices);
      if (idx.dtype !== 'int64') throw new GraphError(`Gather: indices must be int64, got ${idx.dtype}`);
    }
    const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
    return this.addNode('Gather', [x, idx], x.dtype, shape, { axis: a });
  }

  private reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: Tensor, axes: number[] | undefined, keepdims: boolean): Tensor {
    this.own(op, x);
    const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(op, a, x.rank));
    const set = new Set(ax);
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!set.has(i)) shape.push(d);
      else if (keepdims) shape.push(1);
    });
    return this.addNode(op, [x], x.dtype, shape, { axes: [...set].sort((p, q) => p - q), keepdims });
  }
  reduceSum(x: Tensor, axes?: number[], keepdims = false): Tensor { return this.reduce('ReduceSum', x, axes, keepdims); }
  reduceMean(x: Tensor, axes?: number[], keepdims = false): Tensor { return this.reduce('ReduceMean', x, axes, keepdims); }
  reduceMax(x: Tensor, axes?: number[], keepdims = false): Tensor { return this.reduce('ReduceMax', x, axes, keepdims); }

  cast(x: Tensor, to: DType): Tensor {
    this.own('Cast', x);
    if (x.dtype === to) return x;
    return this.addNode('Cast', [x], to, x.shape, { to });
  }

  /** Broadcasts x to the shape of `like` (at run time, so symbolic sizes work). */
  expandAs(x: Tensor, like: Tensor): Tensor {
    this.own('Expand', x);
    this.own('Expand', like);
    const shape = broadcastShapes('Expand', x.shape, like.shape);
    if (shape.length !== like.rank || shape.some((d, i) => !dimEquals(d, like.shape[i])))
      throw new GraphError(`Expand: ${formatShape(x.shape)} does not broadcast to ${formatShape(like.shape)}`);
    return this.addNode('Expand', [x, like], x.dtype, like.shape);
  }

  /** Zeros with the shape and dtype of `like`. */
  zerosLike(like: Tensor): Tensor {
    this.own('ZerosLike', like);
    return this.addNode('ZerosLike', [like], like.dtype, like.shape);
  }

  /** out = base + scatter of `updates` into `base` along axis 0 at int64 `indices` [K] (repeated indices add up). */
  scatterAdd(base: Tensor, indices: Tensor, updates: Tensor): Tensor {
    [base, indices, updates].forEach((t) => this.own('ScatterAdd', t));
    if (indices.dtype !== 'int64' || indices.rank !== 1) throw new GraphError(`ScatterAdd: indices must be int64 of rank 1`);
    const expect = [indices.shape[0], ...base.shape.slice(1)];
    if (updates.rank !== expect.length || updates.shape.some((d, i) => !dimEquals(d, expect[i])))
      throw new GraphError(`ScatterAdd: updates ${formatShape(updates.shape)} must have shape ${formatShape(expect)}`);
    return this.addNode('ScatterAdd', [base, indices, updates], base.dtype, base.shape);
  }

  identity(x: Tensor): Tensor {
    this.own('Identity', x);
    return this.addNode('Identity', [x], x.dtype, x.shape);
  }
}
