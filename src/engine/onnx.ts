// Serialises a builder Graph into an ONNX ModelProto (IR 9, opset 20): prunes unused nodes, lowers the ops that
// onnxruntime's CPU kernels lack in float64 (Erf, Gelu) into accurate compositions, and writes protobuf bytes.
import { ProtoWriter } from './protobuf.ts';
import { type DType, type Dim, type HostData, type Node, type Tensor, Graph, GraphError, dimEquals, parseDim } from './graph.ts';

export const ONNX_OPSET = 20;
export const ONNX_IR_VERSION = 9;

const TYPE_CODE: Record<DType, number> = { float32: 1, float64: 11, int64: 7, bool: 9 };

interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, number | number[] | string | { tensor: OnnxInit }>;
}
interface OnnxInit {
  name: string;
  dtype: DType;
  dims: number[];
  data: HostData;
}

function bytesOf(data: HostData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function writeTensor(w: ProtoWriter, t: OnnxInit): void {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, TYPE_CODE[t.dtype]);
  if (t.name) w.string(8, t.name);
  w.bytes(9, bytesOf(t.data));
}

function writeValueInfo(w: ProtoWriter, name: string, dtype: DType, shape: readonly Dim[]): void {
  w.string(1, name);
  w.message(2, (tp) =>
    tp.message(1, (tt) => {
      tt.int(1, TYPE_CODE[dtype]);
      tt.message(2, (sh) => {
        for (const d of shape)
          sh.message(1, (dim) => {
            if (typeof d === 'number') dim.int(1, d);
            else dim.string(2, d);
          });
      });
    }),
  );
}

function writeNode(w: ProtoWriter, n: OnnxNode, index: number): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op}_${index}`);
  w.string(4, n.op);
  for (const [key, v] of Object.entries(n.attrs)) {
    w.message(5, (a) => {
      a.string(1, key);
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw new GraphError(`attribute ${key}: integer expected`);
        a.int(3, v);
        a.int(20, 2);
      } else if (typeof v === 'string') {
        a.string(4, v);
        a.int(20, 3);
      } else if (Array.isArray(v)) {
        a.packedInts(8, v);
        a.int(20, 7);
      } else {
        a.message(5, (t) => writeTensor(t, v.tensor));
        a.int(20, 4);
      }
    });
  }
}

/** Lowering context: fresh names, constant initializers, emitted nodes. */
class Emitter {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxInit[] = [];
  private counter = 0;
  private constCache = new Map<string, string>();

  fresh(hint: string): string {
    return `_${hint}${this.counter++}`;
  }

  node(op: string, inputs: string[], attrs: OnnxNode['attrs'] = {}, output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }

  ints(values: number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.fresh('ints');
      this.inits.push({ name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
      this.constCache.set(key, name);
    }
    return name;
  }

  scalar(value: number, dtype: DType): string {
    const key = `${dtype}:${value}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = this.fresh('s');
      const data = dtype === 'float64' ? new Float64Array([value]) : dtype === 'float32' ? new Float32Array([value]) : BigInt64Array.from([BigInt(value)]);
      this.inits.push({ name, dtype, dims: [], data });
      this.constCache.set(key, name);
    }
    return name;
  }
}

/**
 * erf in float64 from the everywhere-positive series erf(x) = 2/√π · x · e^(−x²) · Σ_n (2x²)^n / (1·3·…·(2n+1)),
 * on x clamped to [−6, 6] (|erf| rounds to 1 beyond). 120 terms keep the relative error near 1e-15.
 */
export const ERF64_TERMS = 120;
function emitErf64(e: Emitter, x: string, out?: string): string {
  const xc = e.node('Min', [e.node('Max', [x, e.scalar(-6, 'float64')]), e.scalar(6, 'float64')]);
  const x2 = e.node('Mul', [xc, xc]);
  const t = e.node('Mul', [x2, e.scalar(2, 'float64')]);
  let s = e.node('Add', [e.node('Mul', [t, e.scalar(1 / (2 * ERF64_TERMS + 1), 'float64')]), e.scalar(1, 'float64')]);
  for (let n = ERF64_TERMS - 1; n >= 1; n--) {
    s = e.node('Add', [e.node('Mul', [e.node('Mul', [s, t]), e.scalar(1 / (2 * n + 1), 'float64')]), e.scalar(1, 'float64')]);
  }
  const g = e.node('Exp', [e.node('Neg', [x2])]);
  const pre = e.node('Mul', [xc, e.scalar(2 / Math.sqrt(Math.PI), 'float64')]);
  return e.node('Mul', [e.node('Mul', [pre, g]), s], {}, out);
}

function emitErf(e: Emitter, x: string, dtype: DType, out?: string): string {
  return dtype === 'float64' ? emitErf64(e, x, out) : e.node('Erf', [x], {}, out);
}

function reshapeTarget(input: Tensor, out: readonly Dim[]): number[] {
  return out.map((d, i) => {
    if (typeof d === 'number') return d;
    if (i < input.rank && dimEquals(d, input.shape[i])) return 0;
    return -1;
  });
}

const SAME_NAME = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Less', 'Greater', 'Equal', 'Not', 'Where',
  'Neg', 'Sqrt', 'Exp', 'Log', 'Sin', 'Cos', 'Tanh', 'Relu', 'Sigmoid', 'Abs', 'MatMul', 'Identity',
]);

function emitNode(e: Emitter, node: Node, name: (t: Tensor) => string): void {
  const ins = node.inputs.map(name);
  const out = name(node.output);
  const x = node.inputs[0];
  const a = node.attrs;
  if (SAME_NAME.has(node.op)) {
    e.node(node.op, ins, {}, out);
    return;
  }
  switch (node.op) {
    case 'Erf':
      emitErf(e, ins[0], x.dtype, out);
      return;
    case 'Gelu': {
      const dt = x.dtype;
      if (a.approximate === 'tanh') {
        const x3 = e.node('Mul', [e.node('Mul', [ins[0], ins[0]]), ins[0]]);
        const inner = e.node('Mul', [e.node('Add', [ins[0], e.node('Mul', [x3, e.scalar(0.044715, dt)])]), e.scalar(Math.sqrt(2 / Math.PI), dt)]);
        const th = e.node('Add', [e.node('Tanh', [inner]), e.scalar(1, dt)]);
        e.node('Mul', [e.node('Mul', [ins[0], e.scalar(0.5, dt)]), th], {}, out);
      } else {
        const erf = emitErf(e, e.node('Mul', [ins[0], e.scalar(Math.SQRT1_2, dt)]), dt);
        e.node('Mul', [e.node('Mul', [ins[0], e.scalar(0.5, dt)]), e.node('Add', [erf, e.scalar(1, dt)])], {}, out);
      }
      return;
    }
    case 'Transpose':
      e.node('Transpose', ins, { perm: a.perm as number[] }, out);
      return;
    case 'Reshape':
      e.node('Reshape', [ins[0], e.ints(reshapeTarget(x, node.output.shape))], {}, out);
      return;
    case 'Unsqueeze':
    case 'Squeeze':
      e.node(node.op, [ins[0], e.ints(a.axes as number[])], {}, out);
      return;
    case 'Concat':
      e.node('Concat', ins, { axis: a.axis as number }, out);
      return;
    case 'Slice':
      e.node('Slice', [ins[0], e.ints(a.starts as number[]), e.ints(a.ends as number[]), e.ints(a.axes as number[]), e.ints(a.steps as number[])], {}, out);
      return;
    case 'Pad':
      e.node('Pad', [ins[0], e.ints(a.pads as number[]), e.scalar(a.value as number, x.dtype)], { mode: 'constant' }, out);
      return;
    case 'Gather':
      e.node('Gather', ins, { axis: a.axis as number }, out);
      return;
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax': {
      const axes = a.axes as number[];
      if (axes.length === 0) e.node('Identity', [ins[0]], {}, out);
      else e.node(node.op, [ins[0], e.ints(axes)], { keepdims: a.keepdims ? 1 : 0 }, out);
      return;
    }
    case 'Cast':
      e.node('Cast', ins, { to: TYPE_CODE[a.to as DType] }, out);
      return;
    case 'Expand':
      e.node('Expand', [ins[0], e.node('Shape', [ins[1]])], {}, out);
      return;
    case 'ZerosLike': {
      const dt = x.dtype;
      const zero: OnnxInit = { name: '', dtype: dt, dims: [1], data: dt === 'float64' ? new Float64Array(1) : dt === 'int64' ? new BigInt64Array(1) : dt === 'bool' ? new Uint8Array(1) : new Float32Array(1) };
      e.node('ConstantOfShape', [e.node('Shape', [ins[0]])], { value: { tensor: zero } }, out);
      return;
    }
    case 'ScatterAdd': {
      const idx = e.node('Unsqueeze', [ins[1], e.ints([1])]);
      e.node('ScatterND', [ins[0], idx, ins[2]], { reduction: 'add' }, out);
      return;
    }
    case 'Shape':
      e.node('Shape', ins, {}, out);
      return;
    default:
      throw new GraphError(`ONNX export: no lowering for op ${node.op}`);
  }
}

/** The nodes needed to compute `targets`, in topological order. */
export function neededNodes(targets: Iterable<Tensor>): Node[] {
  const seen = new Set<number>();
  const nodes: Node[] = [];
  const stack: Tensor[] = [...targets];
  const visit = new Set<Node>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    if (t.source.kind === 'node') {
      visit.add(t.source.node);
      stack.push(...t.source.node.inputs);
    }
  }
  for (const n of visit) nodes.push(n);
  nodes.sort((p, q) => p.id - q.id);
  return nodes;
}

/**
 * Several single-axis, unit-step Slices of one tensor along one axis whose ranges do not overlap become one ONNX
 * Split (one pass over the input instead of one per slice; onnxruntime's per-node cost is several µs). Maps the
 * first slice's node id to the plan, and the others to null (emitted with it).
 */
interface SplitPlan {
  input: Tensor;
  axis: number;
  sizes: number[];
  /** for each part of `sizes`, the slice nodes whose output it is (empty for gaps) */
  parts: Node[][];
}

function planSplits(nodes: Node[]): Map<number, SplitPlan | null> {
  const groups = new Map<string, Node[]>();
  for (const n of nodes) {
    if (n.op !== 'Slice') continue;
    const a = n.attrs as { axes: number[]; steps: number[] };
    if (a.axes.length !== 1 || a.steps[0] !== 1) continue;
    const d = n.inputs[0].shape[a.axes[0]];
    if (typeof d !== 'number') continue;
    const key = `${n.inputs[0].id}:${a.axes[0]}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(n);
  }
  const out = new Map<number, SplitPlan | null>();
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const axis = (list[0].attrs.axes as number[])[0];
    const dim = list[0].inputs[0].shape[axis] as number;
    const ranges = new Map<string, { s: number; e: number; nodes: Node[] }>();
    for (const n of list) {
      const s = (n.attrs.starts as number[])[0];
      const e = (n.attrs.ends as number[])[0];
      const k = `${s}:${e}`;
      const r = ranges.get(k);
      if (r) r.nodes.push(n);
      else ranges.set(k, { s, e, nodes: [n] });
    }
    const sorted = [...ranges.values()].filter((r) => r.e > r.s).sort((p, q) => p.s - q.s);
    if (sorted.length < 2 || sorted.some((r, i) => i > 0 && r.s < sorted[i - 1].e)) continue;
    const sizes: number[] = [];
    const parts: Node[][] = [];
    let pos = 0;
    for (const r of sorted) {
      if (r.s > pos) {
        sizes.push(r.s - pos);
        parts.push([]);
      }
      sizes.push(r.e - r.s);
      parts.push(r.nodes);
      pos = r.e;
    }
    if (pos < dim) {
      sizes.push(dim - pos);
      parts.push([]);
    }
    const plan: SplitPlan = { input: list[0].inputs[0], axis, sizes, parts };
    const members = sorted.flatMap((r) => r.nodes);
    const first = Math.min(...members.map((n) => n.id));
    for (const n of members) out.set(n.id, n.id === first ? plan : null);
  }
  return out;
}

function emitSplit(e: Emitter, plan: SplitPlan, name: (t: Tensor) => string): void {
  const outputs = plan.parts.map((nodes) => (nodes.length ? name(nodes[0].output) : e.fresh('unused')));
  e.nodes.push({ op: 'Split', inputs: [name(plan.input), e.ints(plan.sizes)], outputs, attrs: { axis: plan.axis } });
  for (const nodes of plan.parts) for (const n of nodes.slice(1)) e.node('Identity', [name(nodes[0].output)], {}, name(n.output));
}

export interface ExportedModel {
  bytes: Uint8Array;
  inputNames: string[];
  outputNames: string[];
  /** outputs the model declares with the shape before their trailing reshapes (`elideOutputReshapes`), by name */
  reshapedOutputs: Map<string, Tensor>;
}

export interface ExportOptions {
  /**
   * Declare a graph output made by Reshape nodes as the tensor they reshape (the same values in the same order):
   * onnxruntime copies a reshaped graph output into a buffer of its own, whereas the producer of an output that is
   * not reshaped writes straight into it. For the runtime, which restores the declared shape on the host; files for
   * other tools keep the declared shapes (default false).
   */
  elideOutputReshapes?: boolean;
}

/** The tensor behind a chain of Reshape nodes (the tensor itself when it is not a reshape). */
function unreshaped(t: Tensor): Tensor {
  while (t.source.kind === 'node' && t.source.node.op === 'Reshape') t = t.source.node.inputs[0];
  return t;
}

/** Serialises the graph's declared inputs and outputs (and whatever connects them) to ONNX bytes. */
export function exportOnnx(graph: Graph, options: ExportOptions = {}): ExportedModel {
  if (graph.outputs.size === 0) throw new GraphError(`graph '${graph.name}' has no outputs`);
  for (const name of graph.outputs.keys())
    if (graph.inputs.has(name)) throw new GraphError(`output '${name}' has the same name as an input`);
  // outputs as the model declares them: behind their reshapes when asked (the reshape nodes are then not needed for them)
  const declared = new Map<string, Tensor>();
  const reshapedOutputs = new Map<string, Tensor>();
  for (const [outName, t] of graph.outputs) {
    const inner = options.elideOutputReshapes ? unreshaped(t) : t;
    declared.set(outName, inner);
    if (inner !== t) reshapedOutputs.set(outName, inner);
  }
  const nodes = neededNodes(declared.values());
  const e = new Emitter();
  const names = new Map<number, string>();
  const name = (t: Tensor): string => {
    let n = names.get(t.id);
    if (n !== undefined) return n;
    if (t.source.kind === 'input') n = t.source.name;
    else if (t.source.kind === 'constant') {
      n = t.source.name ?? `_c${t.id}`;
      e.inits.push({ name: n, dtype: t.dtype, dims: t.shape as number[], data: t.source.data });
    } else n = `_t${t.id}`;
    names.set(t.id, n);
    return n;
  };
  const splits = planSplits(nodes);
  for (const node of nodes) {
    const plan = splits.get(node.id);
    if (plan === undefined) emitNode(e, node, name);
    else if (plan !== null) emitSplit(e, plan, name);
  }
  for (const [outName, t] of declared) e.node('Identity', [name(t)], {}, outName);

  const w = new ProtoWriter();
  w.int(1, ONNX_IR_VERSION);
  w.string(2, 'myriad');
  w.string(3, '0.1');
  w.message(7, (g) => {
    e.nodes.forEach((n, i) => g.message(1, (nw) => writeNode(nw, n, i)));
    g.string(2, graph.name);
    for (const init of e.inits) g.message(5, (tw) => writeTensor(tw, init));
    for (const [inName, t] of graph.inputs) g.message(11, (vi) => writeValueInfo(vi, inName, t.dtype, t.shape));
    for (const [outName, t] of declared) g.message(12, (vi) => writeValueInfo(vi, outName, t.dtype, t.shape));
  });
  w.message(8, (op) => {
    op.string(1, '');
    op.int(2, ONNX_OPSET);
  });
  return { bytes: w.finish(), inputNames: [...graph.inputs.keys()], outputNames: [...graph.outputs.keys()], reshapedOutputs };
}

export { parseDim };
