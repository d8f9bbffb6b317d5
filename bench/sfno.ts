// SFNO benchmarks: inference member-steps/s at batch 1, 16, 64, 256 on 1 and 2 threads, training samples/s, and the
// achieved GEMM GFLOP/s against a plain GEMM chain measured in the same run, for the small (shipped-candidate) and
// the torch-harmonics comparison ("th-compare") configurations.
import { Graph, type Tensor, parseDim } from '../src/engine/graph.ts';
import { compile, releaseSessions } from '../src/engine/runtime.ts';
import { Trainer } from '../src/engine/train.ts';
import { loadavg } from 'node:os';
import { Sfno, type SfnoBuildOptions, type SfnoConfig, constantParameters, initSfnoParameters, sfnoParameterShapes } from '../src/models/sfno.ts';
import { SMALL_CONFIG, TH_COMPARE_CONFIG } from '../src/models/presets.ts';
import { rolloutInternal, sphereSquaredErrorSum } from '../src/models/forecast.ts';
import { forecasterBuildOptions } from '../src/models/forecaster.ts';
import type { ChannelLayout } from '../src/models/checkpoint.ts';

const round = (x: number, d: number) => Number(x.toFixed(d));

/** Multiply-add FLOPs (2 per MAC) of every MatMul in a graph, with the symbolic batch N set to `n`. */
export function matmulFlops(g: Graph, n: number): number {
  const size = (d: number | string) => {
    const t = parseDim(d);
    return t.coef * (t.sym === null ? 1 : n);
  };
  let flops = 0;
  for (const node of g.nodes) {
    if (node.op !== 'MatMul') continue;
    const [a] = node.inputs;
    const out = node.output.shape.map(size);
    flops += 2 * out.reduce((p, q) => p * q, 1) * size(a.shape[a.rank - 1]);
  }
  return flops;
}

/** Seconds per call: one warm-up, then repeat until `budget` seconds or `maxRuns` runs (median). */
async function timeIt(fn: () => Promise<unknown>, budget: number, maxRuns: number): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length === 0 || (performance.now() - start) / 1000 < budget)) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((p, q) => p - q);
  return times[times.length >> 1];
}

/** GEMM rate of a chained 2048×256×256 MatMul (the engine suite's gemm_chain yardstick) at `threads`. */
export async function gemmRate(threads: number): Promise<number> {
  const g = new Graph('sfno_bench_gemm');
  let h: Tensor = g.input('a', 'float32', [2048, 256]);
  const b = g.initializer('b', Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i) / 16), [256, 256]);
  for (let c = 0; c < 8; c++) h = g.matmul(h, b);
  g.output('c', h);
  const exe = await compile(g, { threads });
  const a = Float32Array.from({ length: 2048 * 256 }, (_, i) => Math.cos(i));
  const s = await timeIt(() => exe.run({ a }), 1, 15);
  return (2 * 2048 * 256 * 256 * 8) / s / 1e9;
}

export async function inferenceLine(name: string, config: SfnoConfig, batch: number, threads: number, gemm: number, options: SfnoBuildOptions = {}, spinning = true): Promise<object> {
  const model = new Sfno(config, options);
  const g = new Graph(`sfno_bench_${name}`);
  const p = constantParameters(g, config, initSfnoParameters(config, 1));
  const [nlat, nlon] = config.imgSize;
  const x = g.input('x', 'float32', ['N', config.inChans, nlat, nlon]);
  g.output('y', model.forward(g, p, x));
  const t0 = performance.now();
  const exe = await compile(g, { threads, spinning });
  const compileMs = performance.now() - t0;
  const data = Float32Array.from({ length: batch * config.inChans * nlat * nlon }, (_, i) => Math.sin(0.01 * i));
  const budget = batch >= 64 ? 2 : 1;
  const s = await timeIt(() => exe.run({ x: { data, shape: [batch, config.inChans, nlat, nlon] } }), budget, batch >= 256 ? 2 : 10);
  const flops = matmulFlops(g, batch);
  return {
    suite: 'sfno',
    config: name,
    kind: 'inference',
    batch,
    threads,
    memberStepsPerS: round(batch / s, 2),
    msPerStep: round(s * 1e3, 2),
    matmulGflopPerStep: round(flops / 1e9, 3),
    achievedGflops: round(flops / s / 1e9, 2),
    gemmGflops: round(gemm, 1),
    fractionOfGemm: round(flops / s / 1e9 / gemm, 3),
    compileMs: round(compileMs, 0),
    ...(Object.keys(options).length ? { options } : {}),
    ...(spinning ? {} : { spinning }),
    // one-minute load average when the line finished: timings on a shared machine are only comparable at similar load
    loadAverage: round(loadavg()[0], 2),
  };
}

/**
 * Several steps per session call with the state kept in the graph in the internal layout (how an ensemble runs):
 * `steps` forecast steps of `batch` members, statics, season and forcings shared by the members.
 */
export async function rolloutLine(name: string, config: SfnoConfig, batch: number, steps: number, threads: number, gemm: number, options: SfnoBuildOptions = {}, spinning = true): Promise<object> {
  const model = new Sfno(config, options);
  const nProg = config.outChans;
  const nStat = config.inChans - nProg >= 2 ? 2 : 0;
  const nForcing = config.inChans - nProg - nStat === 4 ? 2 : 0;
  const nTime = config.inChans - nProg - nStat - nForcing;
  const layout: ChannelLayout = {
    prognostic: Array.from({ length: nProg }, (_, i) => `p${i}`),
    statics: Array.from({ length: nStat }, (_, i) => `s${i}`),
    timeFeatures: nTime === 2 ? ['season_sin', 'season_cos'] : [],
    residual: true,
    stepHours: 6,
    ...(nForcing ? { forcings: ['stirring_start', 'stirring_end'] } : {}),
  };
  if (nTime !== 0 && nTime !== 2) throw new Error(`rollout bench: cannot map ${config.inChans} inputs to prognostic/static/season/forcing channels`);
  const [nlat, nlon] = config.imgSize;
  const g = new Graph(`sfno_bench_rollout_${name}`);
  const p = constantParameters(g, config, initSfnoParameters(config, 1));
  const x = g.input('x', 'float32', ['N', nProg, nlat, nlon]);
  const statics = g.constant(Float32Array.from({ length: nlon * nStat * nlat }, (_, i) => Math.cos(i)), [nlon, nStat, nlat]);
  const season = g.constant(Float32Array.from({ length: steps * 2 }, (_, i) => Math.sin(i)), [steps, 2]);
  // the forcing is an input, as in the Forecaster (a constant could be folded into the encoder)
  const forcing = nForcing ? g.input('forcing', 'float32', [nlon, steps + 1, nlat]) : null;
  const states = rolloutInternal(g, model, layout, p, model.toInternal(g, x), statics, season, steps, forcing);
  g.output('y', model.fromInternal(g, states[steps - 1]));
  const exe = await compile(g, { threads, spinning });
  const data = Float32Array.from({ length: batch * nProg * nlat * nlon }, (_, i) => 0.1 * Math.sin(0.01 * i));
  const feeds: Record<string, { data: Float32Array; shape: number[] }> = { x: { data, shape: [batch, nProg, nlat, nlon] } };
  if (nForcing) feeds.forcing = { data: Float32Array.from({ length: nlon * (steps + 1) * nlat }, (_, i) => Math.sin(0.37 * i)), shape: [nlon, steps + 1, nlat] };
  const s = await timeIt(() => exe.run(feeds), 2, 3);
  const flops = matmulFlops(g, batch);
  return {
    suite: 'sfno',
    config: name,
    kind: 'rollout',
    batch,
    stepsPerCall: steps,
    threads,
    memberStepsPerS: round((batch * steps) / s, 2),
    achievedGflops: round(flops / s / 1e9, 2),
    gemmGflops: round(gemm, 1),
    fractionOfGemm: round(flops / s / 1e9 / gemm, 3),
    ...(Object.keys(options).length ? { options } : {}),
    ...(spinning ? {} : { spinning }),
    loadAverage: round(loadavg()[0], 2),
  };
}

export async function trainingLine(name: string, config: SfnoConfig, batch: number, threads: number, gemm: number): Promise<object> {
  const model = new Sfno(config);
  const shapes = sfnoParameterShapes(config);
  const [nlat, nlon] = config.imgSize;
  let flops = 0;
  const trainer = await Trainer.create({
    name: `sfno_bench_train_${name}`,
    params: new Map([...initSfnoParameters(config, 1)].map(([n, d]) => [n, { data: d, shape: shapes.get(n)! }])),
    loss: (g, p) => {
      const x = g.input('x', 'float32', [batch, config.inChans, nlat, nlon]);
      const target = g.input('target', 'float32', [batch, config.outChans, nlat, nlon]);
      const y = model.forwardInternal(g, p, model.toInternal(g, x));
      return g.div(sphereSquaredErrorSum(g, model, y, model.toInternal(g, target)), batch);
    },
    optimizer: { lr: 1e-4, clipNorm: 1 },
    threads,
  });
  // the FLOPs of the whole step graph (forward, backward, update): rebuild it once to count
  {
    const g = new Graph('count');
    const p = new Map([...shapes].map(([n, s]) => [n, g.input(n, 'float32', s)]));
    const x = g.input('x', 'float32', [batch, config.inChans, nlat, nlon]);
    const target = g.input('target', 'float32', [batch, config.outChans, nlat, nlon]);
    const y = model.forwardInternal(g, p, model.toInternal(g, x));
    const loss = g.div(sphereSquaredErrorSum(g, model, y, model.toInternal(g, target)), batch);
    const { grad } = await import('../src/engine/autodiff.ts');
    grad(loss, [...p.values()]);
    flops = matmulFlops(g, batch);
  }
  const xs = Float32Array.from({ length: batch * config.inChans * nlat * nlon }, (_, i) => Math.sin(0.01 * i));
  const ts = Float32Array.from({ length: batch * config.outChans * nlat * nlon }, (_, i) => Math.cos(0.01 * i));
  const s = await timeIt(() => trainer.step({ x: { data: xs, shape: [batch, config.inChans, nlat, nlon] }, target: { data: ts, shape: [batch, config.outChans, nlat, nlon] } }), 2, 5);
  return {
    suite: 'sfno',
    config: name,
    kind: 'training',
    batch,
    threads,
    samplesPerS: round(batch / s, 2),
    msPerStep: round(s * 1e3, 1),
    matmulGflopPerStep: round(flops / 1e9, 3),
    achievedGflops: round(flops / s / 1e9, 2),
    gemmGflops: round(gemm, 1),
    fractionOfGemm: round(flops / s / 1e9 / gemm, 3),
    loadAverage: round(loadavg()[0], 2),
  };
}

/** All lines: GEMM yardstick, inference sweeps and training for both configurations. */
export async function benchSfno(): Promise<object[]> {
  const lines: object[] = [];
  // every line's sessions are released after it: th-compare at batch 256 alone holds ≈ 10 GB of activations per
  // session, and cached sessions of earlier lines would keep theirs (the whole suite reached 24 GB and was killed)
  const line = async (made: Promise<object>) => {
    lines.push(await made);
    await releaseSessions();
  };
  const quick = process.env.MYRIAD_BENCH_QUICK === '1';
  const threadsList = [1, 2];
  const gemm = new Map<number, number>();
  for (const t of threadsList) {
    gemm.set(t, await gemmRate(t));
    lines.push({ suite: 'sfno', kind: 'gemm_reference', threads: t, gemmGflops: round(gemm.get(t)!, 1), shape: '2048x256x256 chain 8' });
  }
  const configs: [string, SfnoConfig][] = [['small', SMALL_CONFIG], ['th-compare', TH_COMPARE_CONFIG]];
  for (const [name, config] of configs) {
    for (const threads of threadsList)
      for (const batch of quick ? [1, 16] : [1, 16, 64, 256]) await line(inferenceLine(name, config, batch, threads, gemm.get(threads)!));
    for (const threads of threadsList) await line(rolloutLine(name, config, quick ? 16 : 64, 4, threads, gemm.get(threads)!));
    // how the Forecaster runs the shipped configuration in the demo: its default graph options for the thread count
    // (forecasterBuildOptions) and no spinning of idle threads; tagged "graphs":"forecaster"
    if (config === SMALL_CONFIG) {
      const b = quick ? 16 : 64;
      for (const threads of threadsList) {
        const fast = forecasterBuildOptions(threads);
        await line(inferenceLine(name, config, b, threads, gemm.get(threads)!, fast, false).then((l) => ({ ...l, graphs: 'forecaster' })));
        await line(rolloutLine(name, config, b, 4, threads, gemm.get(threads)!, fast, false).then((l) => ({ ...l, graphs: 'forecaster' })));
      }
    }
    for (const threads of threadsList) await line(trainingLine(name, config, name === 'small' ? 8 : 4, threads, gemm.get(threads)!));
  }
  return lines;
}
