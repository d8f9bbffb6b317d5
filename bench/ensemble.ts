// Throughput benchmark of the ensemble layer: end-to-end member-steps/s of `runForecast` (bred-vector breeding,
// Zarr member store, streaming statistics, manifest) next to the bare model rate at the same batch size.
// Models: the engine-graph test model (`toy`), and the demo's unit with the shipped SFNO (`sfno`) and physics model
// (`physics`) on the demo's truth. MYRIAD_BENCH_ENSEMBLE=toy,sfno,physics picks parts; MYRIAD_BENCH_QUICK=1 shortens.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadavg } from 'node:os';
import { validateForecastConfig } from '../src/ensemble/config.ts';
import { ToyModel, hoursFromIso, writeToyCheckpoints } from '../src/ensemble/model.ts';
import { type RunTimings, runForecast } from '../src/ensemble/runner.ts';
import { analysisKind, modelKind } from '../src/ensemble/registry.ts';
import { fileURLToPath } from 'node:url';
import { releaseSessions } from '../src/engine/runtime.ts';

interface EnsembleBenchLine {
  bench: 'ensemble_bare_model' | 'ensemble_end_to_end';
  grid: string;
  members: number;
  steps: number;
  batch: number;
  seconds: number;
  member_steps_per_s: number;
  /** End-to-end only: 1 − end-to-end rate / bare rate, in percent (target ≤ 15). */
  overhead_percent?: number;
  /** End-to-end only: (run time − bare model time) per member-step, in ms: add it to any model's step time. */
  overhead_ms_per_member_step?: number;
  /** End-to-end only: seconds per phase (setup, forecast = breeding + model + glue, statistics, member writes, partials, finalize). */
  phases?: Record<string, number>;
  /** End-to-end only: 1 − (seconds inside the model's forecast calls) / run seconds, in percent, within the same run. */
  in_run_overhead_percent?: number;
  /** Bare only: seconds to compile the sessions a run needs (not part of either rate). */
  compile_seconds?: number;
  /** Seconds of each repeat (interleaved bare / end-to-end). */
  repeats?: number[];
  /** One-minute load average at the end of the line (the machine is shared: compare lines at similar load). */
  load_average?: number;
  detail: string;
}

export interface EnsembleBenchOptions {
  nlat?: number;
  members?: number;
  steps?: number;
  threads?: number;
}

export async function benchEnsemble(options: EnsembleBenchOptions = {}): Promise<object[]> {
  const nlat = options.nlat ?? 48;
  const grid = { kind: 'equiangular' as const, nlat, nlon: 2 * nlat };
  const perCheckpoint = options.members ?? 32;
  const steps = options.steps ?? 40;
  const batch = Math.min(16, perCheckpoint);
  const threads = options.threads ?? 1;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-bench-ensemble-'));
  const lines: EnsembleBenchLine[] = [];
  const gridText = `${grid.nlat}x${grid.nlon}`;
  const parts = (process.env.MYRIAD_BENCH_ENSEMBLE ?? 'toy,sfno,physics').split(',');
  /** The test model: bare, then members only / members + statistics / statistics only. */
  const benchToy = async (): Promise<void> => {
    const origin = '2024-01-01T00:00Z';
    const checkpoints = await writeToyCheckpoints(path.join(dir, 'ck'), 2, grid, hoursFromIso(origin), threads);

    // bare model: the same batch size, state kept in JS between steps as the runner does
    const model = new ToyModel({ seed: 100, grid, threads });
    const C = model.channels.length;
    let x: Float32Array = new Float32Array(batch * C * grid.nlat * grid.nlon);
    for (let k = 0; k < x.length; k++) x[k] = 270 + (k % 97);
    x = await model.step(x, batch, 0); // compile
    const bareSteps = Math.max(8, Math.round(steps / 2));
    let t0 = performance.now();
    for (let s = 0; s < bareSteps; s++) x = await model.step(x, batch, 0);
    let seconds = (performance.now() - t0) / 1000;
    const bareRate = (batch * bareSteps) / seconds;
    lines.push({
      bench: 'ensemble_bare_model', grid: gridText, members: batch, steps: bareSteps, batch, seconds: Number(seconds.toFixed(4)),
      member_steps_per_s: Number(bareRate.toFixed(1)), detail: `test model, ${C} channels, ${threads} thread(s)`,
    });

    const variants = [
      { name: 'warm-up (compiles the sessions; not reported)', store: { members: true }, statistics: true, steps: 1 },
      { name: 'members only', store: { members: true }, statistics: false, steps },
      { name: 'members + statistics', store: { members: true }, statistics: true, steps },
      { name: 'statistics only', store: { members: false }, statistics: true, steps },
    ];
    for (const [vi, variant] of variants.entries()) {
      const cfg = validateForecastConfig({
        output: `run-${vi}`,
        model: { kind: 'toy', checkpoints },
        analyses: { kind: 'toy-nature', origin },
        inits: ['2024-01-05T00:00Z'],
        steps: variant.steps,
        outputEvery: 1,
        channels: ['z500', 't2m', 'tcwv'],
        ensemble: { perturbations: perCheckpoint / 2, memberBlock: batch, batchSize: batch },
        seed: 1,
        store: variant.store,
        statistics: variant.statistics
          ? { thresholds: { t2m: [290, 300] }, climate: { start: '2024-01-02T00:00Z', count: 16, everyHours: 12 } }
          : { enabled: false },
        threads,
      }, dir);
      const timings = emptyTimings();
      t0 = performance.now();
      const summary = await runForecast(cfg, { timings });
      seconds = (performance.now() - t0) / 1000;
      if (vi === 0) continue;
      const rate = summary.memberSteps / seconds;
      lines.push({
        bench: 'ensemble_end_to_end', grid: gridText, members: 2 * perCheckpoint, steps, batch, seconds: Number(seconds.toFixed(4)),
        member_steps_per_s: Number(rate.toFixed(1)),
        overhead_percent: Number((100 * (1 - rate / bareRate)).toFixed(1)),
        overhead_ms_per_member_step: Number(((1000 * (seconds - summary.memberSteps / bareRate)) / summary.memberSteps).toFixed(3)),
        phases: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Number(v.toFixed(3))])),
        detail: `${variant.name}; HENS bred vectors (3 cycles), 2 checkpoints, 3 channels every step${variant.statistics ? ', 2 thresholds + 101-percentile counts' : ''}`,
      });
    }
  };
  try {
    if (parts.includes('toy')) await benchToy();
    const quick = process.env.MYRIAD_BENCH_QUICK === '1';
    const data = (f: string) => fileURLToPath(new URL(`../data/checkpoints/${f}`, import.meta.url));
    if (parts.includes('sfno'))
      lines.push(...(await benchDemoUnit(dir, { label: 'shipped SFNO (seed 1)', kind: 'sfno', checkpoint: data('sfno-seed1.safetensors'), steps: quick ? 8 : 40, repeats: quick ? 1 : 2, threads })));
    if (parts.includes('physics'))
      lines.push(...(await benchDemoUnit(dir, { label: 'physics (planet-t42.json)', kind: 'planet', checkpoint: data('planet-t42.json'), steps: quick ? 4 : 8, repeats: 1, threads })));
  } finally {
    await releaseSessions();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 3) => Number(x.toFixed(d));
const emptyTimings = (): RunTimings => ({ setup: 0, forecast: 0, breeding: 0, model: 0, statistics: 0, memberWrites: 0, partials: 0, finalize: 0 });

/** One shipped model through the runner exactly as the demo runs one unit, interleaved with its bare rate. */
interface DemoUnitBench {
  label: string;
  kind: 'sfno' | 'planet';
  checkpoint: string;
  steps: number;
  repeats: number;
  threads: number;
}

/**
 * The demo's unit (64 members = 32 bred vectors × ±, memberBlock = batch = 64, stored leads every 4 steps, channels
 * height and tracer, statistics) through `runForecast`, alternating with the bare model on the same 64 members and
 * the same calls (`advance` 4 steps per call for the SFNO, `step` per 6 h for the planet). Sessions are compiled
 * first (reported as compile seconds), so both sides run warm. Also reported: the run's own time inside the model
 * calls between stored leads (`phases.model`), whose complement is the overhead measured inside one process
 * under the same load (`in_run_overhead_percent`).
 */
async function benchDemoUnit(dir: string, b: DemoUnitBench): Promise<EnsembleBenchLine[]> {
  const truth = fileURLToPath(new URL('../data/demo/truth.zarr', import.meta.url));
  if (!fs.existsSync(b.checkpoint) || !fs.existsSync(truth)) return [];
  const members = 64;
  const k = 4;
  const model = await modelKind(b.kind)!.load(b.checkpoint, { name: path.basename(b.checkpoint), threads: b.threads });
  const analyses = await analysisKind('truth')!.open({ kind: 'truth', store: truth }, { channels: model.channels, grid: model.grid, nonNegative: [] }, b.threads);
  const t0h = hoursFromIso('2000-12-15T00:00Z');
  const one = await analyses.analysis(t0h);
  const x0: Float32Array = new Float32Array(members * one.length);
  for (let m = 0; m < members; m++) x0.set(one, m * one.length);
  const bare = async (steps: number): Promise<number> => {
    let x: Float32Array = x0;
    const t = performance.now();
    for (let s = 0; s < steps; s += k) {
      const n = Math.min(k, steps - s);
      if (model.advance) x = await model.advance(x, members, t0h + 6 * s, n);
      else for (let j = 0; j < n; j++) x = await model.step(x, members, t0h + 6 * (s + j));
    }
    return (performance.now() - t) / 1000;
  };
  // compile every session the run uses (the engine caches sessions by graph, so the run's own model reuses them):
  // the forecast calls at batch 64, and breeding's calls (one step; control alone, 32 perturbed members)
  let t = performance.now();
  await bare(k);
  await model.step(x0.subarray(0, one.length), 1, t0h);
  await model.step(x0.subarray(0, 32 * one.length), 32, t0h);
  const compileSeconds = (performance.now() - t) / 1000;
  const grid = `${model.grid.nlat}x${model.grid.nlon}`;
  const bareSeconds: number[] = [];
  const runs: { seconds: number; memberSteps: number; timings: RunTimings; load: number }[] = [];
  for (let r = 0; r < b.repeats; r++) {
    bareSeconds.push(await bare(b.steps));
    const cfg = validateForecastConfig({
      output: `run-${b.kind}-${r}`,
      model: { kind: b.kind, checkpoints: [b.checkpoint] },
      analyses: { kind: 'truth', store: truth },
      inits: ['2000-12-15T00:00Z'],
      steps: b.steps,
      outputEvery: 4,
      channels: ['height', 'tracer'],
      perturbation: { method: 'bred-vector' },
      ensemble: { perturbations: members / 2, control: false, memberBlock: members, batchSize: members },
      seed: 1,
      threads: b.threads,
    }, dir);
    const timings = emptyTimings();
    t = performance.now();
    const summary = await runForecast(cfg, { timings });
    runs.push({ seconds: (performance.now() - t) / 1000, memberSteps: summary.memberSteps, timings, load: loadavg()[0] });
    fs.rmSync(cfg.outputDir, { recursive: true, force: true });
  }
  const bareRate = (members * b.steps) / median(bareSeconds);
  const out: EnsembleBenchLine[] = [{
    bench: 'ensemble_bare_model', grid, members, steps: b.steps, batch: members, seconds: round(median(bareSeconds), 4),
    member_steps_per_s: round(bareRate, 1), compile_seconds: round(compileSeconds, 2), repeats: bareSeconds.map((s) => round(s, 3)),
    load_average: round(loadavg()[0], 2),
    detail: `${b.label}, batch 64, ${model.advance ? `${k} steps per call` : 'one 6-h step per call'}, ${b.threads} thread(s); median of ${b.repeats}, interleaved with the runs below`,
  }];
  const best = runs.map((r) => r.seconds);
  const seconds = median(best);
  // phases: of the run nearest the median (the first of two equally near)
  const mid = runs.reduce((a, r) => (Math.abs(r.seconds - seconds) < Math.abs(a.seconds - seconds) ? r : a));
  const memberSteps = mid.memberSteps;
  const rate = memberSteps / seconds;
  const inRun = runs.map((r) => 100 * (1 - (r.timings.model ?? 0) / r.seconds));
  out.push({
    bench: 'ensemble_end_to_end', grid, members, steps: b.steps, batch: members, seconds: round(seconds, 4),
    member_steps_per_s: round(rate, 1),
    overhead_percent: round(100 * (1 - rate / bareRate), 1),
    overhead_ms_per_member_step: round((1000 * (seconds - memberSteps / bareRate)) / memberSteps, 3),
    in_run_overhead_percent: round(median(inRun), 1),
    repeats: best.map((s) => round(s, 3)),
    load_average: round(median(runs.map((r) => r.load)), 2),
    phases: Object.fromEntries(Object.entries(mid.timings).map(([key, v]) => [key, round(v ?? 0)])),
    detail: `${b.label}: the demo's unit (32 bred vectors × ±, 3 breeding cycles, member store height + tracer every 24 h, statistics), sessions warm`,
  });
  return out;
}
