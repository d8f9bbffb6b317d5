// Finite-difference gradient checking for builder graphs in float64 (shared by the engine and sphere tests).
import { Graph, type Tensor } from '../../src/engine/graph.ts';
import { grad } from '../../src/engine/autodiff.ts';
import { compile } from '../../src/engine/runtime.ts';

/** Deterministic pseudo-random numbers for test inputs (not the project's RNG: tests stay independent of it). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface GradCase {
  inputs: { name: string; shape: number[]; low?: number; high?: number; values?: number[] }[];
  build: (g: Graph, xs: Tensor[]) => Tensor;
  /** finite-difference step relative to max(1, |x|); default 1e-6 */
  step?: number;
}

/** Returns the relative L2 error between autodiff and central differences, over all inputs. */
export async function gradCheck(c: GradCase, seed = 1): Promise<{ relErr: number; maxFd: number }> {
  const rnd = lcg(seed);
  const values = c.inputs.map((inp) => {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    if (inp.values) return Float64Array.from(inp.values);
    const lo = inp.low ?? -1.5;
    const hi = inp.high ?? 1.5;
    return Float64Array.from({ length: n }, () => lo + (hi - lo) * rnd());
  });
  const g = new Graph('gradcheck');
  const xs = c.inputs.map((inp) => g.input(inp.name, 'float64', inp.shape));
  const y = c.build(g, xs);
  // a random projection makes the loss depend on every output element with distinct weights
  const ny = (y.shape as number[]).reduce((a, b) => a * b, 1);
  const proj = g.constant(Float64Array.from({ length: ny }, () => rnd() * 2 - 1), y.shape as number[]);
  const loss = g.reduceSum(g.mul(y, proj));
  const grads = grad(loss, xs);
  g.output('loss', loss);
  grads.forEach((gr, i) => g.output(`g${i}`, gr));
  const exe = await compile(g, { threads: 1 });
  const feeds = (vals: Float64Array[]) => Object.fromEntries(c.inputs.map((inp, i) => [inp.name, { data: vals[i], shape: inp.shape }]));
  const base = await exe.run(feeds(values));
  let num = 0;
  let den = 0;
  let maxFd = 0;
  for (let i = 0; i < values.length; i++) {
    const ad = base[`g${i}`].data as Float64Array;
    for (let j = 0; j < values[i].length; j++) {
      const x0 = values[i][j];
      const h = (c.step ?? 1e-6) * Math.max(1, Math.abs(x0));
      values[i][j] = x0 + h;
      const lp = ((await exe.run(feeds(values), ['loss'])).loss.data as Float64Array)[0];
      values[i][j] = x0 - h;
      const lm = ((await exe.run(feeds(values), ['loss'])).loss.data as Float64Array)[0];
      values[i][j] = x0;
      const fd = (lp - lm) / (2 * h);
      num += (ad[j] - fd) ** 2;
      den += fd * fd;
      maxFd = Math.max(maxFd, Math.abs(fd));
    }
  }
  return { relErr: Math.sqrt(num / Math.max(den, 1e-300)), maxFd };
}
