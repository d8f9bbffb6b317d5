// Every op with a gradient rule is checked against central finite differences in float64, with broadcasting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRADIENT_RULES } from '../../src/engine/autodiff.ts';
import { type GradCase, gradCheck } from './gradcheck.ts';

const cases: Record<string, GradCase[]> = {
  Add: [{ inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4] }], build: (g, [a, b]) => g.add(a, b) }],
  Sub: [{ inputs: [{ name: 'a', shape: [2, 1, 3] }, { name: 'b', shape: [4, 1] }], build: (g, [a, b]) => g.sub(a, b) }],
  Mul: [{ inputs: [{ name: 'a', shape: [2, 3, 1] }, { name: 'b', shape: [1, 4] }], build: (g, [a, b]) => g.mul(a, b) }],
  Div: [{ inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [3, 1], low: 0.5, high: 2 }], build: (g, [a, b]) => g.div(a, b) }],
  Pow: [{ inputs: [{ name: 'a', shape: [2, 3], low: 0.3, high: 2 }, { name: 'b', shape: [3], low: -1.5, high: 2.5 }], build: (g, [a, b]) => g.pow(a, b) }],
  Max: [{ inputs: [{ name: 'a', shape: [4, 3] }, { name: 'b', shape: [3] }], build: (g, [a, b]) => g.maximum(a, b) }],
  Min: [{ inputs: [{ name: 'a', shape: [4, 3] }, { name: 'b', shape: [4, 1] }], build: (g, [a, b]) => g.minimum(a, b) }],
  Neg: [{ inputs: [{ name: 'a', shape: [5] }], build: (g, [a]) => g.neg(a) }],
  Sqrt: [{ inputs: [{ name: 'a', shape: [2, 3], low: 0.2, high: 3 }], build: (g, [a]) => g.sqrt(a) }],
  Exp: [{ inputs: [{ name: 'a', shape: [2, 3] }], build: (g, [a]) => g.exp(a) }],
  Log: [{ inputs: [{ name: 'a', shape: [2, 3], low: 0.2, high: 3 }], build: (g, [a]) => g.log(a) }],
  Sin: [{ inputs: [{ name: 'a', shape: [2, 3], low: -4, high: 4 }], build: (g, [a]) => g.sin(a) }],
  Cos: [{ inputs: [{ name: 'a', shape: [2, 3], low: -4, high: 4 }], build: (g, [a]) => g.cos(a) }],
  Erf: [{ inputs: [{ name: 'a', shape: [3, 4], low: -3, high: 3 }], build: (g, [a]) => g.erf(a) }],
  Tanh: [{ inputs: [{ name: 'a', shape: [2, 3], low: -3, high: 3 }], build: (g, [a]) => g.tanh(a) }],
  Relu: [{ inputs: [{ name: 'a', shape: [2, 5] }], build: (g, [a]) => g.relu(a) }],
  Sigmoid: [{ inputs: [{ name: 'a', shape: [2, 3], low: -4, high: 4 }], build: (g, [a]) => g.sigmoid(a) }],
  Abs: [{ inputs: [{ name: 'a', shape: [2, 5] }], build: (g, [a]) => g.abs(a) }],
  Gelu: [
    { inputs: [{ name: 'a', shape: [3, 4], low: -4, high: 4 }], build: (g, [a]) => g.gelu(a) },
    { inputs: [{ name: 'a', shape: [3, 4], low: -4, high: 4 }], build: (g, [a]) => g.gelu(a, 'tanh') },
  ],
  Where: [
    {
      inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4] }],
      build: (g, [a, b]) => g.where(g.greater(a, 0.2), a, b),
    },
  ],
  MatMul: [
    { inputs: [{ name: 'a', shape: [3, 4] }, { name: 'b', shape: [4, 2] }], build: (g, [a, b]) => g.matmul(a, b) },
    { inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4, 5] }], build: (g, [a, b]) => g.matmul(a, b) },
    { inputs: [{ name: 'a', shape: [2, 1, 3, 4] }, { name: 'b', shape: [3, 4, 2] }], build: (g, [a, b]) => g.matmul(a, b) },
  ],
  Transpose: [{ inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (g, [a]) => g.transpose(a, [2, 0, 1]) }],
  Reshape: [{ inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (g, [a]) => g.reshape(a, [4, -1]) }],
  Identity: [{ inputs: [{ name: 'a', shape: [2, 3] }], build: (g, [a]) => g.identity(a) }],
  Unsqueeze: [{ inputs: [{ name: 'a', shape: [2, 3] }], build: (g, [a]) => g.mul(g.unsqueeze(a, [0, 2]), a) }],
  Squeeze: [{ inputs: [{ name: 'a', shape: [2, 1, 3] }], build: (g, [a]) => g.squeeze(a, [1]) }],
  Concat: [{ inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [2, 2] }], build: (g, [a, b]) => g.concat([a, b, a], 1) }],
  Slice: [
    { inputs: [{ name: 'a', shape: [4, 6] }], build: (g, [a]) => g.slice(a, [1, 2], [3, 5]) },
    { inputs: [{ name: 'a', shape: [4, 7] }], build: (g, [a]) => g.slice(a, [1, -6], [4, 7], [0, 1], [2, 3]) },
  ],
  Pad: [{ inputs: [{ name: 'a', shape: [2, 3] }], build: (g, [a]) => g.pad(a, [1, 0, 0, 2], 0.5) }],
  Gather: [
    { inputs: [{ name: 'a', shape: [5, 3] }], build: (g, [a]) => g.gather(a, [4, 0, 4, 2], 0) },
    { inputs: [{ name: 'a', shape: [2, 5, 3] }], build: (g, [a]) => g.gather(a, [1, 1, 3], 1) },
  ],
  ReduceSum: [
    { inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (g, [a]) => g.reduceSum(a, [1]) },
    { inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (g, [a]) => g.reduceSum(a, [0, 2], true) },
  ],
  ReduceMean: [{ inputs: [{ name: 'a', shape: [2, 3, 4] }], build: (g, [a]) => g.reduceMean(a, [-1]) }],
  ReduceMax: [{ inputs: [{ name: 'a', shape: [3, 5] }], build: (g, [a]) => g.reduceMax(a, [1]) }],
  // A float32 round trip cannot be differenced at 1e-6; the function is linear, so a large step is exact up to
  // float32 rounding of the input (~1e-7 relative), which the looser bound below allows for.
  Cast: [{ inputs: [{ name: 'a', shape: [2, 3] }], step: 1e-2, build: (g, [a]) => g.cast(g.mul(g.cast(a, 'float32'), 3), 'float64') }],
  Expand: [{ inputs: [{ name: 'a', shape: [3, 1] }, { name: 'b', shape: [2, 3, 4] }], build: (g, [a, b]) => g.mul(g.expandAs(a, b), b) }],
  ScatterAdd: [
    {
      inputs: [{ name: 'a', shape: [4, 2] }, { name: 'u', shape: [3, 2] }],
      build: (g, [a, u]) => g.scatterAdd(a, g.constant([1, 3, 1], [3], 'int64'), u),
    },
  ],
};

test('every op with a gradient rule has a finite-difference case', () => {
  const missing = Object.keys(GRADIENT_RULES).filter((op) => !(op in cases));
  assert.deepEqual(missing, []);
});

for (const [op, list] of Object.entries(cases)) {
  list.forEach((c, i) => {
    test(`gradient of ${op} #${i} matches central differences`, async () => {
      const { relErr, maxFd } = await gradCheck(c, 17 + i);
      assert.ok(maxFd > 0, 'the check must exercise a non-zero gradient');
      // Cast goes through float32, so only that case has a looser bound (float32 rounding of the forward pass)
      const tol = op === 'Cast' ? 1e-4 : 1e-6;
      assert.ok(relErr <= tol, `${op}: relative error ${relErr.toExponential(2)} > ${tol}`);
    });
  });
}
