// Reverse-mode automatic differentiation over the builder's IR: one gradient rule per op, appended to the
// same graph, with broadcast operands reduce-summed back to their own shapes.
import { type Node, type Shape, type Tensor, Graph, GraphError, dimEquals, formatShape, parseDim } from './graph.ts';

/** Sums a broadcast gradient back to `shape` (leading extra axes and axes where shape has 1). */
export function sumToShape(g: Graph, grad: Tensor, shape: Shape): Tensor {
  const extra = grad.rank - shape.length;
  if (extra < 0) throw new GraphError(`sumToShape: gradient ${formatShape(grad.shape)} has lower rank than ${formatShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    if (i < extra) axes.push(i);
    else if (shape[i - extra] === 1 && grad.shape[i] !== 1) axes.push(i);
  }
  let out = axes.length ? g.reduceSum(grad, axes, true) : grad;
  if (extra > 0) out = g.reshape(out, shape);
  return out;
}

function swapLast(g: Graph, t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return g.transpose(t, perm);
}

type Rule = (g: Graph, node: Node, gy: Tensor) => (Tensor | null)[];

const sqrt2OverPi = Math.sqrt(2 / Math.PI);

/** Gradient rules: for node y = op(inputs), given dL/dy return dL/dinput per input (null: no gradient). */
export const GRADIENT_RULES: Partial<Record<Node['op'], Rule>> = {
  Add: (g, n, gy) => [sumToShape(g, gy, n.inputs[0].shape), sumToShape(g, gy, n.inputs[1].shape)],
  Sub: (g, n, gy) => [sumToShape(g, gy, n.inputs[0].shape), sumToShape(g, g.neg(gy), n.inputs[1].shape)],
  Mul: (g, n, gy) => {
    const [a, b] = n.inputs;
    return [sumToShape(g, g.mul(gy, b), a.shape), sumToShape(g, g.mul(gy, a), b.shape)];
  },
  Div: (g, n, gy) => {
    const [a, b] = n.inputs;
    const ga = g.div(gy, b);
    return [sumToShape(g, ga, a.shape), sumToShape(g, g.neg(g.mul(ga, n.output)), b.shape)];
  },
  Pow: (g, n, gy) => {
    const [a, b] = n.inputs;
    const ga = g.mul(gy, g.mul(b, g.pow(a, g.sub(b, 1))));
    const gb = g.mul(gy, g.mul(n.output, g.log(a)));
    return [sumToShape(g, ga, a.shape), sumToShape(g, gb, b.shape)];
  },
  Max: (g, n, gy) => {
    const [a, b] = n.inputs;
    const takeA = g.not(g.less(a, b));
    return [sumToShape(g, g.where(takeA, gy, 0), a.shape), sumToShape(g, g.where(takeA, 0, gy), b.shape)];
  },
  Min: (g, n, gy) => {
    const [a, b] = n.inputs;
    const takeA = g.not(g.greater(a, b));
    return [sumToShape(g, g.where(takeA, gy, 0), a.shape), sumToShape(g, g.where(takeA, 0, gy), b.shape)];
  },
  Neg: (g, _n, gy) => [g.neg(gy)],
  Sqrt: (g, n, gy) => [g.div(g.mul(gy, 0.5), n.output)],
  Exp: (g, n, gy) => [g.mul(gy, n.output)],
  Log: (g, n, gy) => [g.div(gy, n.inputs[0])],
  Sin: (g, n, gy) => [g.mul(gy, g.cos(n.inputs[0]))],
  Cos: (g, n, gy) => [g.neg(g.mul(gy, g.sin(n.inputs[0])))],
  Erf: (g, n, gy) => {
    const x = n.inputs[0];
    return [g.mul(gy, g.mul(g.exp(g.neg(g.mul(x, x))), 2 / Math.sqrt(Math.PI)))];
  },
  Tanh: (g, n, gy) => [g.mul(gy, g.sub(1, g.mul(n.output, n.output)))],
  Relu: (g, n, gy) => [g.where(g.greater(n.inputs[0], 0), gy, 0)],
  Sigmoid: (g, n, gy) => [g.mul(gy, g.mul(n.output, g.sub(1, n.output)))],
  Abs: (g, n, gy) => [g.where(g.less(n.inputs[0], 0), g.neg(gy), gy)],
  Gelu: (g, n, gy) => {
    const x = n.inputs[0];
    if (n.attrs.approximate === 'tanh') {
      const x2 = g.mul(x, x);
      const u = g.mul(g.add(x, g.mul(g.mul(x2, x), 0.044715)), sqrt2OverPi);
      const t = g.tanh(u);
      const du = g.mul(g.add(g.mul(x2, 3 * 0.044715), 1), sqrt2OverPi);
      const d = g.add(g.mul(g.add(t, 1), 0.5), g.mul(g.mul(g.mul(x, 0.5), g.sub(1, g.mul(t, t))), du));
      return [g.mul(gy, d)];
    }
    const cdf = g.mul(g.add(g.erf(g.mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = g.mul(g.exp(g.mul(g.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [g.mul(gy, g.add(cdf, g.mul(x, pdf)))];
  },
  Where: (g, n, gy) => {
    const [c, a, b] = n.inputs;
    return [null, sumToShape(g, g.where(c, gy, 0), a.shape), sumToShape(g, g.where(c, 0, gy), b.shape)];
  },
  MatMul: (g, n, gy) => {
    const [a, b] = n.inputs;
    return [sumToShape(g, g.matmul(gy, swapLast(g, b)), a.shape), sumToShape(g, g.matmul(swapLast(g, a), gy), b.shape)];
  },
  Transpose: (g, n, gy) => {
    const perm = n.attrs.perm as number[];
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [g.transpose(gy, inv)];
  },
  Reshape: (g, n, gy) => [g.reshape(gy, n.inputs[0].shape)],
  Identity: (_g, _n, gy) => [gy],
  Unsqueeze: (g, n, gy) => [g.squeeze(gy, n.attrs.axes as number[])],
  Squeeze: (g, n, gy) => [g.unsqueeze(gy, n.attrs.axes as number[])],
  Concat: (g, n, gy) => {
    const axis = n.attrs.axis as number;
    let offset = 0;
    return n.inputs.map((t) => {
      const d = t.shape[axis];
      if (typeof d !== 'number') throw new GraphError(`Concat gradient: symbolic size on the concatenation axis ${axis}`);
      const s = g.slice(gy, [offset], [offset + d], [axis]);
      offset += d;
      return s;
    });
  },
  Slice: (g, n, gy) => {
    const x = n.inputs[0];
    const { starts, ends, axes, steps } = n.attrs as { starts: number[]; ends: number[]; axes: number[]; steps: number[] };
    let out = gy;
    axes.forEach((a, i) => {
      const d = x.shape[a];
      if (typeof d !== 'number') return; // a full slice of the symbolic axis
      if (steps[i] > 1) {
        // spread: [.., L, ..] -> [.., L, 1, ..] -> pad to [.., L, step, ..] -> [.., L*step, ..] -> keep end-start
        const L = out.shape[a] as number;
        let t = g.unsqueeze(out, [a + 1]);
        const pads = new Array<number>(2 * t.rank).fill(0);
        pads[t.rank + a + 1] = steps[i] - 1;
        t = g.pad(t, pads);
        const shape = [...out.shape];
        shape[a] = L * steps[i];
        t = g.reshape(t, shape);
        out = g.slice(t, [0], [Math.min(ends[i] - starts[i], L * steps[i])], [a]);
      }
      const pads = new Array<number>(2 * out.rank).fill(0);
      pads[a] = starts[i];
      pads[out.rank + a] = d - starts[i] - (out.shape[a] as number);
      out = g.pad(out, pads);
    });
    return [out];
  },
  Pad: (g, n, gy) => {
    const x = n.inputs[0];
    const pads = n.attrs.pads as number[];
    const axes: number[] = [];
    const st: number[] = [];
    const en: number[] = [];
    x.shape.forEach((d, i) => {
      if (pads[i] === 0 && pads[i + x.rank] === 0) return;
      axes.push(i);
      st.push(pads[i]);
      en.push(pads[i] + (d as number));
    });
    return [axes.length ? g.slice(gy, st, en, axes) : gy];
  },
  Gather: (g, n, gy) => {
    const [x, idx] = n.inputs;
    const axis = n.attrs.axis as number;
    const ir = idx.rank;
    // move the indexed axis of x (and the index block of gy) to the front, scatter-add, move back
    const permX = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
    const xt = axis === 0 ? x : g.transpose(x, permX);
    const permG = [
      ...Array.from({ length: ir }, (_, k) => axis + k),
      ...Array.from({ length: axis }, (_, k) => k),
      ...Array.from({ length: gy.rank - axis - ir }, (_, k) => axis + ir + k),
    ];
    const gyt = permG.every((p, i) => p === i) ? gy : g.transpose(gy, permG);
    const flatIdx = ir === 1 ? idx : g.reshape(idx, [-1]);
    const upd = ir === 1 ? gyt : g.reshape(gyt, [-1, ...xt.shape.slice(1)]);
    const scattered = g.scatterAdd(g.zerosLike(xt), flatIdx, upd);
    if (axis === 0) return [scattered, null];
    const inv = new Array<number>(permX.length);
    permX.forEach((p, i) => (inv[p] = i));
    return [g.transpose(scattered, inv), null];
  },
  ReduceSum: (g, n, gy) => {
    const x = n.inputs[0];
    const axes = n.attrs.axes as number[];
    const k = n.attrs.keepdims ? gy : g.unsqueeze(gy, axes);
    return [g.expandAs(k, x)];
  },
  ReduceMean: (g, n, gy) => {
    const x = n.inputs[0];
    const axes = n.attrs.axes as number[];
    let count = 1;
    for (const a of axes) {
      const d = x.shape[a];
      if (typeof d !== 'number') throw new GraphError(`ReduceMean gradient: reduced axis ${a} is symbolic`);
      count *= d;
    }
    const k = n.attrs.keepdims ? gy : g.unsqueeze(gy, axes);
    return [g.expandAs(g.mul(k, 1 / count), x)];
  },
  ReduceMax: (g, n, gy) => {
    const x = n.inputs[0];
    const axes = n.attrs.axes as number[];
    const m = n.attrs.keepdims ? n.output : g.unsqueeze(n.output, axes);
    const k = n.attrs.keepdims ? gy : g.unsqueeze(gy, axes);
    const mask = g.cast(g.equal(x, m), x.dtype);
    const count = g.reduceSum(mask, axes, true);
    return [g.mul(g.div(mask, count), k)];
  },
  Cast: (g, n, gy) => {
    const x = n.inputs[0];
    if (x.dtype !== 'float32' && x.dtype !== 'float64') return [null];
    return [g.cast(gy, x.dtype)];
  },
  Expand: (g, n, gy) => [sumToShape(g, gy, n.inputs[0].shape), null],
  ScatterAdd: (g, n, gy) => [gy, null, g.gather(gy, n.inputs[1], 0)],
};

/** Ops whose outputs carry no gradient (comparisons, shape queries, constants of shape). */
const NON_DIFFERENTIABLE = new Set<Node['op']>(['Less', 'Greater', 'Equal', 'Not', 'ZerosLike']);

/**
 * Appends the backward pass of `loss` with respect to `params` to the graph and returns one gradient per
 * parameter (zeros where the loss does not depend on it). `loss` must be a scalar unless `seed` (dL/dloss) is given.
 */
export function grad(loss: Tensor, params: Tensor[], seed?: Tensor): Tensor[] {
  const g = loss.graph;
  if (!seed && loss.rank !== 0) throw new GraphError(`grad: loss must be a scalar, got shape ${formatShape(loss.shape)}; pass a seed`);
  if (loss.dtype !== 'float32' && loss.dtype !== 'float64') throw new GraphError(`grad: loss must be float, got ${loss.dtype}`);
  // nodes on a path from any parameter to the loss
  const targetIds = new Set(params.map((p) => p.id));
  const dependsOnParam = new Set<number>(targetIds);
  const relevant: Node[] = [];
  for (const node of g.nodes) {
    if (node.output.id > loss.id && node.output !== loss) continue;
    if (node.inputs.some((t) => dependsOnParam.has(t.id))) {
      dependsOnParam.add(node.output.id);
      relevant.push(node);
    }
  }
  const adj = new Map<number, Tensor>();
  const seedT = seed ?? g.scalar(1, loss.dtype);
  if (seed && !seed.shape.every((d, i) => dimEquals(d, loss.shape[i]))) throw new GraphError(`grad: seed shape ${formatShape(seed.shape)} differs from loss ${formatShape(loss.shape)}`);
  adj.set(loss.id, seedT);
  const reachesLoss = new Set<number>([loss.id]);
  for (let i = relevant.length - 1; i >= 0; i--) {
    const node = relevant[i];
    const gy = adj.get(node.output.id);
    if (!gy || !reachesLoss.has(node.output.id)) continue;
    if (NON_DIFFERENTIABLE.has(node.op)) continue;
    const rule = GRADIENT_RULES[node.op];
    if (!rule) throw new GraphError(`grad: no gradient rule for op ${node.op}`);
    const grads = rule(g, node, gy);
    node.inputs.forEach((inp, k) => {
      const gi = grads[k];
      if (!gi || !dependsOnParam.has(inp.id)) return;
      if (gi.rank !== inp.rank || !gi.shape.every((d, j) => dimEquals(d, inp.shape[j])))
        throw new GraphError(`grad: rule for ${node.op} gave ${formatShape(gi.shape)} for an input of shape ${formatShape(inp.shape)}`);
      const prev = adj.get(inp.id);
      adj.set(inp.id, prev ? g.add(prev, gi) : gi);
      reachesLoss.add(inp.id);
    });
  }
  return params.map((p) => {
    const a = adj.get(p.id);
    if (a) return a;
    if (p.shape.every((d) => typeof d === 'number')) {
      const n = (p.shape as number[]).reduce((x, y) => x * y, 1);
      return g.constant(p.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n), p.shape as number[]);
    }
    return g.zerosLike(p);
  });
}

export { parseDim };
