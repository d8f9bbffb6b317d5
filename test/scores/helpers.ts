// Test helpers for the scores layer: a small seeded uniform source, Gaussian samples, fixture loading, closeness checks.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

/** mulberry32: a tiny seeded uniform source on [0, 1) for reproducible tests (not the project's Philox). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller from a uniform source. */
export function normalSamples(n: number, uniform: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Reads a JSON fixture from test/fixtures/metrics. */
export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/metrics/${name}`, import.meta.url), 'utf8')) as T;
}

/** Asserts |actual − expected| <= atol + rtol·|expected| (NaN matches NaN). */
export function assertClose(actual: number, expected: number, rtol = 1e-12, atol = 0, what = ''): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  const tol = atol + rtol * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected}, got ${actual} (diff ${actual - expected}, tol ${tol})`);
}

/** Elementwise assertClose. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-12, atol = 0, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i]!, expected[i]!, rtol, atol, `${what}[${i}]`);
}
