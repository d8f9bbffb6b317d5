// Comparing model outputs in the models tests: the largest absolute difference over the first n values relative to
// the largest magnitude of the reference.
export function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}
