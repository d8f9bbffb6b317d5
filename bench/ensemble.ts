// Throughput benchmark of the ensemble layer: end-to-end member-steps/s of `runForecast` (bred-vector breeding,
// Zarr member store, streaming statistics, manifest) next to the bare model rate at the same batch size.
// Models: the engine-graph test model, and a shipped SFNO checkpoint on the demo's truth (`ensemble_sfno_*` lines:
// 64 members, one checkpoint, HENS bred vectors, daily stored leads as in the demo).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateForecastConfig } from '../src/ensemble/config.ts';
import { ToyModel, hoursFromIso, writeToyCheckpoints } from '../src/ensemble/model.ts';
import { runForecast } from '../src/ensemble/runner.ts';
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
  /** End-to-end only: seconds per phase (setup, forecast incl. breeding, statistics, member writes, partials, finalize). */
  phases?: Record<string, number>;
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
  try {
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
      const timings = { setup: 0, forecast: 0, statistics: 0, memberWrites: 0, partials: 0, finalize: 0 };
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
    lines.push(...(await benchSfnoEnsemble(dir, threads)));
  } finally {
    await releaseSessions();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

/** The shipped SFNO checkpoint (seed 1) through the runner vs its bare multi-step rate, 64 members, 8 steps. */
async function benchSfnoEnsemble(dir: string, threads: number): Promise<EnsembleBenchLine[]> {
  const checkpoint = fileURLToPath(new URL('../data/checkpoints/sfno-seed1.safetensors', import.meta.url));
  const truth = fileURLToPath(new URL('../data/demo/truth.zarr', import.meta.url));
  if (!fs.existsSync(checkpoint) || !fs.existsSync(truth)) return [];
  const members = 64;
  const steps = 8;
  const model = await modelKind('sfno')!.load(checkpoint, { name: 'sfno-seed1', threads });
  const analyses = await analysisKind('truth')!.open({ kind: 'truth', store: truth }, { channels: model.channels, grid: model.grid, nonNegative: [] }, threads);
  const t0h = hoursFromIso('2000-12-15T00:00Z');
  const one = await analyses.analysis(t0h);
  const x = new Float32Array(members * one.length);
  for (let m = 0; m < members; m++) x.set(one, m * one.length);
  await model.advance!(x, members, t0h, 4); // compile
  let t = performance.now();
  for (let k = 0; k < steps / 4; k++) await model.advance!(x, members, t0h, 4);
  const bareSeconds = (performance.now() - t) / 1000;
  const bareRate = (members * steps) / bareSeconds;
  const grid = `${model.grid.nlat}x${model.grid.nlon}`;
  const out: EnsembleBenchLine[] = [{
    bench: 'ensemble_bare_model', grid, members, steps, batch: members, seconds: Number(bareSeconds.toFixed(4)),
    member_steps_per_s: Number(bareRate.toFixed(1)), detail: `shipped SFNO (seed 1), 4 steps per call, ${threads} thread(s)`,
  }];
  const cfg = validateForecastConfig({
    output: 'run-sfno',
    model: { kind: 'sfno', checkpoints: [checkpoint] },
    analyses: { kind: 'truth', store: truth },
    inits: ['2000-12-15T00:00Z'],
    steps,
    outputEvery: 4,
    channels: ['height', 'tracer'],
    ensemble: { perturbations: members / 2, control: false, memberBlock: members, batchSize: members },
    seed: 1,
    threads,
  }, dir);
  const timings = { setup: 0, forecast: 0, statistics: 0, memberWrites: 0, partials: 0, finalize: 0 };
  t = performance.now();
  const summary = await runForecast(cfg, { timings });
  const seconds = (performance.now() - t) / 1000;
  const rate = summary.memberSteps / seconds;
  out.push({
    bench: 'ensemble_end_to_end', grid, members, steps, batch: members, seconds: Number(seconds.toFixed(4)),
    member_steps_per_s: Number(rate.toFixed(1)),
    overhead_percent: Number((100 * (1 - rate / bareRate)).toFixed(1)),
    overhead_ms_per_member_step: Number(((1000 * (seconds - summary.memberSteps / bareRate)) / summary.memberSteps).toFixed(3)),
    phases: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Number(v.toFixed(3))])),
    detail: 'shipped SFNO (seed 1): HENS bred vectors (3 cycles incl. their compile), member store (height, tracer, daily), statistics',
  });
  return out;
}
