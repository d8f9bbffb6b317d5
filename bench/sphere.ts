// Sphere benchmarks: graph SHTs (forward/inverse) on the cases the issue names, as standalone graphs (host I/O
// included), as round trips chained inside one graph (no host I/O) and through torch-harmonics' layout.
//
// Line fields (times are medians over interleaved repeats, ms, float32, the threads given):
//   forward_ms / inverse_ms            internal layout [nlon,B,nlat] -> packed spectra (-> field), one session run each:
//                                      what a user running the fragment as its own graph gets (feed + run, the result
//                                      written into a caller-owned buffer reused from run to run, as a program
//                                      transforming many fields would); the packed spectra cross the host boundary as
//                                      one flat vector (flattenPacked / unflattenPacked: one fetch or feed instead of
//                                      one per block)
//   forward_alloc_ms / inverse_alloc_ms the same with the result fetched into a new array each run (allocation + copy)
//   forward_cpu_ms / inverse_cpu_ms    this process's CPU time (user + system) during those runs: robust to other jobs
//                                      taking turns on the cores, still inflated when they share one core's caches
//   roundtrip_ingraph_ms               forward + inverse inside one graph, without host I/O: the run time of a graph
//                                      chaining K round trips minus that of one round trip, over K − 1 (what the
//                                      fragments cost inside a larger graph such as SFNO's); roundtrip_ingraph_cpu_ms
//                                      the same from process CPU time
//   forward_api_ms / inverse_api_ms    [B,nlat,nlon] <-> complex [B,lmax,mmax] (torch-harmonics' layout), feed+run+fetch
//   gflop                              useful flops of one transform: the DFT's flop model plus the Legendre triangle
//                                      (l >= m only, half grids), not counting the zero padding the GEMMs also do
//   *_gflops                           gflop / time; gemm_ingraph_gflops: the engine's in-graph GEMM rate measured in
//                                      the same process (10 minus 2 chained 2048x256x256 MatMuls), to read them against
// MYRIAD_BENCH_SPHERE_CASES=180x360,721x1440 (nlat x nlon) restricts the cases.
import { Graph } from '../src/engine/graph.ts';
import { compile, releaseSessions, type Executable } from '../src/engine/runtime.ts';
import { ShtPlan, analysis, synthesis, shtForward, shtInverse, dftCost, flattenPacked, unflattenPacked, packedLength } from '../src/sphere/sht.ts';
import type { GridKind } from '../src/sphere/grid.ts';

interface Case {
  grid: GridKind;
  nlat: number;
  nlon: number;
  lmax: number;
  batch: number;
}

const CASES: Case[] = [
  { grid: 'equiangular', nlat: 180, nlon: 360, lmax: 90, batch: 8 },
  { grid: 'equiangular', nlat: 721, nlon: 1440, lmax: 360, batch: 1 },
  { grid: 'legendre-gauss', nlat: 64, nlon: 128, lmax: 64, batch: 1 },
  { grid: 'legendre-gauss', nlat: 64, nlon: 128, lmax: 43, batch: 64 },
];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * Medians (ms) of several runs of each function, interleaved round by round so that load changes hit all alike:
 * wall-clock time and this process's CPU time (user + system; less sensitive to other jobs on a shared machine).
 */
async function timeInterleaved(fns: (() => Promise<unknown>)[], repeats: number): Promise<{ wall: number; cpu: number }[]> {
  for (let i = 0; i < 3; i++) for (const fn of fns) await fn();
  const t = fns.map(() => [] as number[]);
  const c = fns.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++)
    for (let i = 0; i < fns.length; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fns[i]();
      t[i].push(performance.now() - t0);
      const d = process.cpuUsage(c0);
      c[i].push((d.user + d.system) / 1000);
    }
  return t.map((w, i) => ({ wall: median(w), cpu: median(c[i]) }));
}

/** The engine's in-graph GEMM rate (GFLOP/s): (10 − 2) chained [2048×256]·[256×256] float32 MatMuls per run. */
async function gemmRate(threads: number): Promise<number> {
  const m = 2048;
  const k = 256;
  const chain = async (n: number) => {
    const g = new Graph(`bench_sphere_gemm_reference_${n}`);
    let h = g.input('a', 'float32', [m, k]);
    const b = g.constant(new Float32Array(k * k).map((_, i) => Math.sin(i) / 16), [k, k], 'float32');
    for (let c = 0; c < n; c++) h = g.matmul(h, b);
    g.output('c', h);
    return compile(g, { threads });
  };
  const [e2, e10] = [await chain(2), await chain(10)];
  const a = new Float32Array(m * k).map((_, i) => Math.cos(i));
  const [t2, t10] = await timeInterleaved([() => e2.run({ a }), () => e10.run({ a })], 15);
  return (8 * 2 * m * k * k) / (t10.wall - t2.wall) / 1e6;
}

/** Useful flops of one transform: the DFT (plan's flop model) plus the Legendre triangle l ≥ m on the half grids. */
function flops(plan: ShtPlan, batch: number): number {
  const { nlat, nlon } = plan.config.grid;
  let leg = 0;
  for (const b of plan.blocks) {
    const rows = b.parity === 'all' ? nlat : b.parity === 'even' ? plan.nHalf : plan.nHalfAnti;
    let entries = 0;
    for (const m of b.ms) for (const l of b.ls) if (l >= m) entries++;
    leg += 2 * entries * rows * 2 * batch; // (re, im) × batch rows, 2 flops per multiply-add
  }
  return batch * nlat * dftCost(nlon, plan.config.mmax, plan.dft.n1) + leg;
}

function data(shape: number[], f: (i: number) => number): Float32Array {
  return new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => f(i));
}

/** A graph of `k` chained round trips (analysis then synthesis) on the internal layout. */
function roundTrips(plan: ShtPlan, c: Case, k: number): Graph {
  const g = new Graph(`sht-roundtrip-${k}`);
  let y = g.input('x', 'float32', [c.nlon, c.batch, c.nlat]);
  for (let i = 0; i < k; i++) y = synthesis(g, plan, analysis(g, plan, y));
  g.output('y', y);
  return g;
}

export async function benchSphere(options: { threads?: number[] } = {}): Promise<object[]> {
  const lines: object[] = [];
  const threadList = options.threads ?? [1];
  const only = process.env.MYRIAD_BENCH_SPHERE_CASES?.split(',').map((s) => s.trim());
  const cases = only ? CASES.filter((c) => only.includes(`${c.nlat}x${c.nlon}`)) : CASES;
  for (const threads of threadList) {
    const gemm = await gemmRate(threads);
    for (const c of cases) {
      const plan = new ShtPlan({ kind: c.grid, nlat: c.nlat, nlon: c.nlon }, { lmax: c.lmax, mmax: c.lmax, dtype: 'float32' });
      const repeats = c.nlat > 300 ? 7 : 25;
      // internal layout: field [nlon, B, nlat] → packed spectra → field
      const gf = new Graph('sht-forward');
      const x = gf.input('x', 'float32', [c.nlon, c.batch, c.nlat]);
      gf.output('s', flattenPacked(gf, plan, analysis(gf, plan, x)));
      const gi = new Graph('sht-inverse');
      const nPacked = packedLength(plan, c.batch);
      gi.output('y', synthesis(gi, plan, unflattenPacked(gi, plan, gi.input('s', 'float32', [nPacked]), c.batch)));
      const K = c.nlat > 300 ? 3 : 5;
      // public layout (torch-harmonics'): [B, nlat, nlon] ↔ [B, lmax, mmax]
      const gpf = new Graph('sht-forward-api');
      const cp = shtForward(gpf, plan, gpf.input('x', 'float32', [c.batch, c.nlat, c.nlon]));
      gpf.output('re', cp.re);
      gpf.output('im', cp.im);
      const gpi = new Graph('sht-inverse-api');
      const re = gpi.input('re', 'float32', [c.batch, c.lmax, c.lmax]);
      const im = gpi.input('im', 'float32', [c.batch, c.lmax, c.lmax]);
      gpi.output('y', shtInverse(gpi, plan, { re, im }));
      const exe: Executable[] = await Promise.all([gf, gi, gpf, gpi, roundTrips(plan, c, 1), roundTrips(plan, c, K)].map((g) => compile(g, { threads })));
      const xd = data([c.nlon, c.batch, c.nlat], (i) => Math.sin(i * 0.37));
      const sd = data([nPacked], (k) => Math.cos(k * 0.11));
      const xpd = new Float32Array(c.batch * c.nlat * c.nlon).map((_, i) => Math.sin(i * 0.37));
      const cd = new Float32Array(c.batch * c.lmax * c.lmax).map((_, i) => Math.cos(i * 0.11));
      const sOut = new Float32Array(nPacked);
      const yOut = new Float32Array(c.nlon * c.batch * c.nlat);
      const [fw, iw, fa, ia, r1, rK, fn, inew] = await timeInterleaved(
        [
          () => exe[0].run({ x: xd }, undefined, { s: sOut }),
          () => exe[1].run({ s: sd }, undefined, { y: yOut }),
          () => exe[2].run({ x: xpd }),
          () => exe[3].run({ re: cd, im: cd }),
          () => exe[4].run({ x: xd }),
          () => exe[5].run({ x: xd }),
          () => exe[0].run({ x: xd }),
          () => exe[1].run({ s: sd }),
        ],
        repeats,
      );
      const [forward, inverse, forwardApi, inverseApi] = [fw.wall, iw.wall, fa.wall, ia.wall];
      await releaseSessions();
      const roundTrip = (rK.wall - r1.wall) / (K - 1);
      const roundTripCpu = (rK.cpu - r1.cpu) / (K - 1);
      const f = flops(plan, c.batch);
      const rate = (ms: number) => +(f / ms / 1e6).toFixed(2);
      lines.push({
        bench: 'sht',
        grid: c.grid,
        nlat: c.nlat,
        nlon: c.nlon,
        lmax: c.lmax,
        mmax: c.lmax,
        batch: c.batch,
        threads,
        dtype: 'float32',
        forward_ms: +forward.toFixed(3),
        inverse_ms: +inverse.toFixed(3),
        forward_cpu_ms: +fw.cpu.toFixed(3),
        inverse_cpu_ms: +iw.cpu.toFixed(3),
        forward_alloc_ms: +fn.wall.toFixed(3),
        inverse_alloc_ms: +inew.wall.toFixed(3),
        roundtrip_ingraph_ms: +roundTrip.toFixed(3),
        roundtrip_ingraph_cpu_ms: +roundTripCpu.toFixed(3),
        forward_api_ms: +forwardApi.toFixed(3),
        inverse_api_ms: +inverseApi.toFixed(3),
        dft: plan.dft.n1 === 1 ? 'direct' : `${plan.dft.n1}x${plan.dft.n2}`,
        gflop: +(f / 1e9).toFixed(4),
        forward_gflops: rate(forward),
        inverse_gflops: rate(inverse),
        roundtrip_ingraph_gflops: rate(roundTrip / 2),
        gemm_ingraph_gflops: +gemm.toFixed(1),
        layout:
          'forward_ms/inverse_ms: internal layout [nlon,B,nlat] <-> packed spectra (one flat vector), feed+run, result into a reused caller-owned buffer (wall; *_cpu_ms: process CPU time; *_alloc_ms: result fetched into a new array); roundtrip_ingraph_ms: forward+inverse inside a graph (K chained minus one, over K-1), no host I/O; *_api_ms: [B,nlat,nlon] <-> [B,lmax,mmax], feed+run+fetch',
      });
    }
  }
  return lines;
}
