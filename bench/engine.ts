// Engine benchmarks: GEMM rate (the yardstick for later performance figures), batched MatMul, the fixed cost of
// one session run, and training steps/s of a small MLP; returns JSON-able result lines.
import { Graph, type Tensor } from '../src/engine/graph.ts';
import { type Executable, type Feed, compile } from '../src/engine/runtime.ts';
import { type ParamInit, Trainer } from '../src/engine/train.ts';

export interface EngineBenchOptions {
  /** Thread counts for the GEMM and batched MatMul lines (default [1, 2]). */
  threads?: number[];
  /** Timed repetitions per GEMM line after warm-up (default 15). */
  repeats?: number;
}

/** Median wall-clock seconds of `repeats` calls after `warmup` untimed ones. */
async function medianSeconds(fn: () => Promise<unknown>, warmup: number, repeats: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : 0.5 * (times[mid - 1] + times[mid]);
}

/** Deterministic, well-scaled benchmark data (values do not matter for speed, only that they stay finite). */
function fill(dtype: 'float32' | 'float64', n: number, scale: number, phase: number): Float32Array | Float64Array {
  const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * Math.sin(0.7 * i + phase);
  return a;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * C = A·B with A [batch…, m, k] fed each run and B [batch…, k, n] an initializer; `chain` MatMuls per run
 * (C·B·B…) amortise the feed/fetch copies so that the kernel rate shows. GFLOP/s = 2·m·k·n·batch·chain/s/1e9.
 */
async function matmulRate(dtype: 'float32' | 'float64', batch: number[], m: number, k: number, n: number, threads: number, chain: number, repeats: number): Promise<{ gflops: number; ms: number }> {
  if (chain > 1 && k !== n) throw new Error('a MatMul chain needs k = n');
  const nb = batch.reduce((a, b) => a * b, 1);
  const g = new Graph(`bench_matmul_${dtype}_${batch.join('x')}_${m}x${k}x${n}_c${chain}`);
  let h: Tensor = g.input('a', dtype, [...batch, m, k]);
  const b = g.initializer('b', fill(dtype, nb * k * n, 1 / Math.sqrt(k), 0.3), [...batch, k, n]);
  for (let c = 0; c < chain; c++) h = g.matmul(h, b);
  g.output('c', h);
  const exe = await compile(g, { threads });
  const a = fill(dtype, nb * m * k, 1, 0);
  const seconds = await medianSeconds(() => exe.run({ a }), 3, repeats);
  return { gflops: round((2 * nb * m * k * n * chain) / seconds / 1e9, 1), ms: round(seconds * 1e3, 3) };
}

const MLP_LAYERS = [2, 32, 32, 1];

async function trainMlpRate(batch: number, threads: number, steps: number): Promise<{ stepsPerS: number; compileMs: number }> {
  const params = new Map<string, ParamInit>();
  for (let l = 0; l + 1 < MLP_LAYERS.length; l++) {
    const [fin, fout] = [MLP_LAYERS[l], MLP_LAYERS[l + 1]];
    params.set(`w${l}`, { data: fill('float32', fin * fout, Math.sqrt(6 / (fin + fout)), l) as Float32Array, shape: [fin, fout] });
    params.set(`b${l}`, { data: new Float32Array(fout), shape: [fout] });
  }
  const t0 = process.hrtime.bigint();
  const trainer = await Trainer.create({
    name: `bench_train_mlp_${batch}`,
    params,
    loss: (g, p) => {
      let h: Tensor = g.input('x', 'float32', [batch, 2]);
      const y = g.input('y', 'float32', [batch, 1]);
      for (let l = 0; l + 1 < MLP_LAYERS.length; l++) {
        h = g.add(g.matmul(h, p.get(`w${l}`)!), p.get(`b${l}`)!);
        if (l + 2 < MLP_LAYERS.length) h = g.gelu(h);
      }
      const d = g.sub(h, y);
      return g.reduceMean(g.mul(d, d));
    },
    optimizer: { lr: { baseLr: 1e-2, warmupSteps: 10, totalSteps: 10 * steps }, clipNorm: 1 },
    threads,
  });
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const x = fill('float32', 2 * batch, 1, 0.1) as Float32Array;
  const y = fill('float32', batch, 1, 0.9) as Float32Array;
  const feeds: Record<string, Feed> = { x: { data: x, shape: [batch, 2] }, y: { data: y, shape: [batch, 1] } };
  for (let i = 0; i < 20; i++) await trainer.step(feeds);
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await trainer.step(feeds);
  const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
  return { stepsPerS: round(steps / seconds, 1), compileMs: round(compileMs, 1) };
}

async function sessionRunMicros(threads: number, runs: number): Promise<number> {
  const g = new Graph('bench_tiny');
  g.output('y', g.add(g.input('x', 'float32', [1]), 1));
  const exe: Executable = await compile(g, { threads });
  const x = new Float32Array(1);
  const seconds = await medianSeconds(
    async () => {
      for (let i = 0; i < 100; i++) await exe.run({ x });
    },
    3,
    Math.max(1, Math.round(runs / 100)),
  );
  return round((seconds / 100) * 1e6, 1);
}

/** Runs the engine benchmarks; one object per result line. */
export async function benchEngine(options: EngineBenchOptions = {}): Promise<object[]> {
  const threadList = options.threads ?? [1, 2];
  for (const t of threadList) if (!Number.isInteger(t) || t < 1) throw new Error(`benchEngine: thread counts must be positive integers, got ${t}`);
  const repeats = options.repeats ?? 15;
  const lines: object[] = [];
  const [m, k, n] = [8192, 256, 256];
  for (const threads of threadList) {
    // one MatMul per session run, A fed and C fetched: the rate a caller of the engine sees
    const single = await matmulRate('float32', [], m, k, n, threads, 1, repeats);
    lines.push({ bench: 'gemm', dtype: 'float32', m, k, n, threads, gflops: single.gflops, ms: single.ms, matmuls_per_run: 1 });
  }
  for (const threads of threadList) {
    // eight chained MatMuls per run: feed/fetch copies amortised, closer to the kernel rate
    const chain = await matmulRate('float32', [], m, k, n, threads, 8, Math.max(3, Math.round(repeats / 3)));
    lines.push({ bench: 'gemm_chain', dtype: 'float32', m, k, n, threads, gflops: chain.gflops, ms_per_matmul: round(chain.ms / 8, 3), matmuls_per_run: 8 });
  }
  for (const threads of threadList) {
    const d = await matmulRate('float64', [], m, k, n, threads, 1, Math.max(3, Math.round(repeats / 2)));
    lines.push({ bench: 'gemm', dtype: 'float64', m, k, n, threads, gflops: d.gflops, ms: d.ms, matmuls_per_run: 1 });
  }
  for (const threads of threadList) {
    const batch = 32;
    const r = await matmulRate('float32', [batch], 256, 256, 256, threads, 1, repeats);
    lines.push({ bench: 'matmul_batched', dtype: 'float32', batch, m: 256, k: 256, n: 256, threads, gflops: r.gflops, ms: r.ms });
  }
  lines.push({ bench: 'session_run', graph: 'y = x + 1, x float32[1]', threads: 1, us: await sessionRunMicros(1, 3000) });
  const batch = 256;
  const train = await trainMlpRate(batch, 1, 300);
  lines.push({
    bench: 'train_mlp',
    layers: MLP_LAYERS.join('-'),
    activation: 'gelu',
    dtype: 'float32',
    batch,
    optimizer: 'adamw+clip+cosine',
    threads: 1,
    steps_per_s: train.stepsPerS,
    compile_ms: train.compileMs,
  });
  return lines;
}
