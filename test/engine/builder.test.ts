// Graph builder: shapes inferred at build time (NumPy broadcasting, symbolic batch), and mismatches rejected
// at build time with a message that names the op and both shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, GraphError, broadcastShapes } from '../../src/engine/graph.ts';
import { exportOnnx } from '../../src/engine/onnx.ts';

/** Asserts a GraphError whose message names the op and contains every given fragment (shapes). */
function rejects(fn: () => unknown, op: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GraphError, `expected a GraphError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${op}:`), `message should start with the op '${op}': ${e.message}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `message should mention ${f}: ${e.message}`);
    return true;
  });
}

test('mismatched shapes fail at build time naming the op and both shapes', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [3, 4]);
  const b = g.input('b', 'float32', [5, 2]);
  const c = g.input('c', 'float32', [5]);
  const d = g.input('d', 'float32', [2, 3]);
  rejects(() => g.matmul(a, b), 'MatMul', '[3,4]', '[5,2]');
  rejects(() => g.matmul(g.input('e', 'float32', [2, 3, 4]), g.input('f', 'float32', [3, 4, 2])), 'MatMul', '[2,3,4]', '[3,4,2]');
  rejects(() => g.add(a, c), 'Add', '[3,4]', '[5]');
  rejects(() => g.mul(a, d), 'Mul', '[3,4]', '[2,3]');
  rejects(() => g.concat([a, d], 0), 'Concat', '[3,4]', '[2,3]');
  rejects(() => g.concat([a, c], 0), 'Concat', '[3,4]', '[5]');
  rejects(() => g.reshape(a, [5, 2]), 'Reshape', '[3,4]', '[5,2]');
  rejects(() => g.reshape(a, [5, -1]), 'Reshape', '[3,4]', '[5,-1]');
  rejects(() => g.where(g.greater(a, 0), a, d), 'Where', '[3,4]', '[2,3]');
  rejects(() => g.where(g.greater(c, 0), a, a), 'Where', '[5]', '[3,4]');
  rejects(() => g.transpose(a, [0, 0]), 'Transpose', '[0,0]', '[3,4]');
  rejects(() => g.pad(a, [1, 1]), 'Pad', '[3,4]');
  rejects(() => g.gather(a, [0, 3], 0), 'Gather', '[0, 3)');
  rejects(() => g.reduceSum(a, [2]), 'ReduceSum', 'axis 2', 'rank 2');
  rejects(() => g.slice(a, [0], [2], [0], [0]), 'Slice', 'step 0');
  rejects(() => g.squeeze(a, [0]), 'Squeeze', '[3,4]');
});

test('dtype mismatches and wrong-kind operands fail at build time', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [3]);
  const b = g.input('b', 'float64', [3]);
  const i = g.input('i', 'int64', [3]);
  rejects(() => g.add(a, b), 'Add', 'float32', 'float64');
  rejects(() => g.matmul(g.reshape(i, [1, 3]), g.reshape(i, [3, 1])), 'MatMul', 'int64');
  rejects(() => g.sqrt(i), 'Sqrt', 'int64');
  rejects(() => g.where(a, a, a), 'Where', 'bool');
  rejects(() => g.gather(a, g.cast(a, 'float64'), 0), 'Gather', 'int64');
  const other = new Graph();
  rejects(() => g.add(a, other.input('x', 'float32', [3])), 'Add', 'different graph');
  assert.throws(() => g.input('a', 'float32', [1]), /input 'a' is already defined/);
  assert.throws(() => g.input('late', 'float32', [2, 'N']), /only the leading dimension may be symbolic/);
  assert.throws(() => g.constant([1, 2, 3], [2, 2]), /3 values do not fill shape \[2,2\]/);
});

test('NumPy broadcasting rules for static shapes', () => {
  assert.deepEqual(broadcastShapes('Add', [3, 1, 5], [4, 1]), [3, 4, 5]);
  assert.deepEqual(broadcastShapes('Add', [], [2, 3]), [2, 3]);
  assert.deepEqual(broadcastShapes('Add', [1], [7]), [7]);
  assert.deepEqual(broadcastShapes('Where', [2, 1, 1], [1, 3, 1], [4]), [2, 3, 4]);
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 1, 3]);
  const y = g.input('y', 'float32', [4, 1]);
  assert.deepEqual(g.add(x, y).shape, [2, 4, 3]);
  assert.deepEqual(g.matmul(g.input('p', 'float32', [5, 1, 2, 3]), g.input('q', 'float32', [4, 3, 6])).shape, [5, 4, 2, 6]);
  assert.deepEqual(g.reduceMax(x, [0, 2], true).shape, [1, 1, 1]);
  assert.deepEqual(g.reduceMean(x, [-1]).shape, [2, 1]);
  assert.deepEqual(g.slice(g.input('s', 'float32', [10, 7]), [1, -6], [9, 7], [0, 1], [3, 2]).shape, [3, 3]);
  assert.deepEqual(g.pad(x, [0, 1, 2, 1, 0, 0]).shape, [3, 2, 5]);
  assert.deepEqual(g.gather(x, g.constant([0, 2, 1, 0], [2, 2], 'int64'), 2).shape, [2, 1, 2, 2]);
});

test('a symbolic batch dimension flows through ops and reshapes', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['N', 4, 8]);
  const w = g.input('w', 'float32', [8, 3]);
  const h = g.matmul(x, w);
  assert.deepEqual(h.shape, ['N', 4, 3]);
  const flat = g.reshape(h, [-1, 3]);
  assert.deepEqual(flat.shape, ['N*4', 3]);
  assert.deepEqual(g.reshape(flat, ['N', 12]).shape, ['N', 12]);
  assert.deepEqual(g.reduceSum(h, [0]).shape, [4, 3]);
  assert.deepEqual(g.concat([x, x], 0).shape, ['N*2', 4, 8]);
  assert.deepEqual(g.add(x, g.input('b', 'float32', [1, 1, 8])).shape, ['N', 4, 8]);
  rejects(() => g.add(x, g.input('m', 'float32', ['M', 4, 8])), 'Add', '[N,4,8]', '[M,4,8]');
  rejects(() => g.pad(x, [1, 0, 0, 0, 0, 0]), 'Pad', 'symbolic');
  rejects(() => g.slice(x, [0], [2], [0]), 'Slice', 'symbolic', '[N,4,8]');
  // the export keeps the symbolic name in the model's input type
  g.output('y', h);
  const model = exportOnnx(g);
  assert.ok(Buffer.from(model.bytes).includes(Buffer.from('N')));
  assert.deepEqual(model.inputNames, ['x', 'w', 'b', 'm']);
});

test('graph bookkeeping: outputs, named initializers, scalar reuse', () => {
  const g = new Graph('book');
  const x = g.input('x', 'float64', [2]);
  const w = g.initializer('weight', new Float64Array([1, 2]), [2]);
  assert.equal(g.scalar(0.5, 'float64'), g.scalar(0.5, 'float64'));
  assert.notEqual(g.scalar(0.5, 'float64'), g.scalar(0.5, 'float32'));
  g.output('y', g.mul(x, w));
  assert.throws(() => g.output('y', x), /output 'y' is already defined/);
  assert.throws(() => g.initializer('weight', new Float64Array(2), [2]), /initializer 'weight' is already defined/);
  assert.throws(() => exportOnnx(new Graph('empty')), /graph 'empty' has no outputs/);
});
