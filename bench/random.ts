// Throughput benchmark of the counter-based RNG fills (src/engine/random.ts); returns JSON-able result lines.
import { normalFill, streamKey, uniformFill } from '../src/engine/random.ts';

interface RandomBenchLine {
  bench: 'philox_normal' | 'philox_uniform';
  dtype: 'float32' | 'float64';
  n: number;
  repeats: number;
  /** Median over the timed repeats, in millions of values per second (wall clock). */
  mvalues_per_s: number;
}

/** Times normalFill and uniformFill for float32 and float64 outputs of `n` values (one warm-up, then `repeats`). */
export async function benchRandom(n = 1 << 22, repeats = 5): Promise<RandomBenchLine[]> {
  const key = streamKey(1, 2, 3);
  const lines: RandomBenchLine[] = [];
  const cases = [
    ['philox_normal', normalFill],
    ['philox_uniform', uniformFill],
  ] as const;
  for (const [bench, fill] of cases) {
    for (const dtype of ['float32', 'float64'] as const) {
      const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      fill(out, key, [0, 0]); // warm-up (JIT)
      const rates: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = process.hrtime.bigint();
        fill(out, key, [r + 1, 0]);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        rates.push(n / seconds / 1e6);
      }
      rates.sort((a, b) => a - b);
      lines.push({ bench, dtype, n, repeats, mvalues_per_s: Number(rates[Math.floor(repeats / 2)].toFixed(2)) });
    }
  }
  return lines;
}
