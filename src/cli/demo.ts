// `myriad demo`: the whole pipeline on the shipped data — a HENS SFNO-BVMC ensemble (4 shipped checkpoints × bred
// vectors × ±) and a physics ensemble (the planet model at forecast resolution, bred by itself) from two init dates,
// scored against the shipped verifying truth, with a report; everything in one folder named at the end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shipped inputs of the demo (see data/checkpoints/PROVENANCE.md and data/demo/PROVENANCE.md). */
export const DEMO_DATA = {
  checkpoints: [1, 2, 3, 4].map((s) => fileURLToPath(new URL(`../../data/checkpoints/sfno-seed${s}.safetensors`, import.meta.url))),
  physics: fileURLToPath(new URL('../../data/checkpoints/planet-t42.json', import.meta.url)),
  truth: fileURLToPath(new URL('../../data/demo/truth.zarr', import.meta.url)),
};

/** Init dates of the demo: in the checkpoints' held-out test period (from 2000-12-11). */
export const DEMO_INITS = ['2000-12-15T00:00Z', '2000-12-20T00:00Z'];

export interface DemoOptions {
  quick?: boolean;
  /** output folder (default: myriad-demo-<date>-<time> in the working directory) */
  out?: string;
  threads?: number;
  log?: (line: string) => void;
}

/** The sizes of a demo run. */
export interface DemoPlan {
  inits: string[];
  steps: number;
  outputEvery: number;
  sfnoBredVectors: number;
  physicsBredVectors: number;
  batchSize: number;
}

export function demoPlan(quick: boolean): DemoPlan {
  return quick
    ? { inits: DEMO_INITS.slice(0, 1), steps: 8, outputEvery: 4, sfnoBredVectors: 4, physicsBredVectors: 4, batchSize: 32 }
    : { inits: DEMO_INITS, steps: 40, outputEvery: 4, sfnoBredVectors: 128, physicsBredVectors: 32, batchSize: 64 };
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Checks that the shipped inputs are there, naming what is missing and how to get it. */
export function checkDemoData(): void {
  const missing = [...DEMO_DATA.checkpoints, DEMO_DATA.physics, DEMO_DATA.truth].filter((f) => !fs.existsSync(f));
  if (missing.length)
    throw new Error(`the demo's shipped data is missing: ${missing.join(', ')} (a complete checkout has them; scripts/make-checkpoints.sh regenerates them)`);
}

export interface DemoResult {
  dir: string;
  seconds: number;
  summary: Record<string, unknown>;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const quick = options.quick ?? false;
  const plan = demoPlan(quick);
  checkDemoData();
  const dir = path.resolve(options.out ?? `myriad-demo-${quick ? 'quick-' : ''}${stamp()}`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => !['sfno', 'physics', 'configs'].includes(f)))
    throw new Error(`demo output folder ${dir} exists and holds other files; choose another --out`);
  fs.mkdirSync(path.join(dir, 'configs'), { recursive: true });
  const { validateForecastConfig } = await import('../ensemble/config.ts');
  const { runForecast } = await import('../ensemble/runner.ts');
  const { memberCount } = await import('../ensemble/members.ts');
  const { releaseSessions } = await import('../engine/runtime.ts');
  const started = performance.now();
  const threads = options.threads ?? 2;

  const common = {
    analyses: { kind: 'truth', store: DEMO_DATA.truth },
    inits: plan.inits,
    steps: plan.steps,
    outputEvery: plan.outputEvery,
    channels: ['height', 'tracer'],
    perturbation: { method: 'bred-vector' },
    threads,
  };
  const ensembles = [
    {
      label: 'SFNO-BVMC',
      key: 'sfno',
      config: {
        ...common,
        output: path.join(dir, 'sfno'),
        model: { kind: 'sfno', checkpoints: DEMO_DATA.checkpoints },
        ensemble: { perturbations: plan.sfnoBredVectors, control: false, memberBlock: Math.min(2 * plan.sfnoBredVectors, 64), batchSize: plan.batchSize },
        seed: 1,
      },
    },
    {
      label: 'physics',
      key: 'physics',
      config: {
        ...common,
        output: path.join(dir, 'physics'),
        model: { kind: 'planet', checkpoints: [DEMO_DATA.physics] },
        ensemble: { perturbations: plan.physicsBredVectors, control: false, memberBlock: Math.min(2 * plan.physicsBredVectors, 64), batchSize: plan.batchSize },
        seed: 2,
      },
    },
  ];
  const runs: Record<string, unknown>[] = [];
  for (const e of ensembles) {
    fs.writeFileSync(path.join(dir, 'configs', `${e.key}.json`), `${JSON.stringify(e.config, null, 2)}\n`);
    const cfg = validateForecastConfig(e.config, dir);
    const members = memberCount(cfg.layout);
    log(`myriad demo: ${e.label} ensemble: ${members} members × ${plan.inits.length} init(s), ${(plan.steps * 6) / 24} days`);
    let last = 0;
    const t0 = performance.now();
    const summary = await runForecast(cfg, {
      overwrite: true,
      onProgress: (p) => {
        const now = performance.now();
        if (now - last < 5000 && p.unitsDone < p.unitsTotal) return;
        last = now;
        log(`  members ${p.membersDone}/${p.membersTotal}, ${p.memberStepsPerSecond.toFixed(1)} member-steps/s, ETA ${Number.isFinite(p.etaSeconds) ? `${p.etaSeconds.toFixed(0)} s` : '?'}`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    runs.push({ ensemble: e.label, membersPerInit: members, inits: plan.inits, memberSteps: summary.memberSteps, seconds: Number(seconds.toFixed(1)), memberStepsPerSecond: Number((summary.memberSteps / seconds).toFixed(1)) });
    await releaseSessions();
  }

  // scores and report
  const { scoreRun, writeScoreOutput } = await import('../report/evaluate.ts');
  const scoresDir = path.join(dir, 'scores');
  const tScore = performance.now();
  for (const e of ensembles) {
    log(`myriad demo: scoring ${e.label}`);
    // 5 bootstrap resamples per sub-ensemble size: at 1,024 members the bootstraps dominate the scoring time
    const out = await scoreRun({ runDir: path.join(dir, e.key), truth: DEMO_DATA.truth, name: e.label, resamples: 5 });
    writeScoreOutput(scoresDir, out);
  }
  const scoreSeconds = (performance.now() - tScore) / 1000;
  const { loadReportInput } = await import('../report/bundle.ts');
  const { renderReport } = await import('../report/html.ts');
  const { writeFileAtomic } = await import('../report/results.ts');
  const input = loadReportInput(scoresDir);
  const reportPath = path.join(dir, 'report.html');
  writeFileAtomic(reportPath, renderReport(input, { title: `myriad demo${quick ? ' (quick)' : ''}: SFNO-BVMC vs physics ensemble on the planet` }));

  // summary: headline scores per ensemble, variable and lead
  const pick = (metric: string, variable: string, ensemble: string) =>
    input.results
      .filter((r) => r.metric === metric && r.variable === variable && r.ensemble === ensemble && r.region === 'global')
      .map((r) => ({ leadHours: r.lead_hours, value: Number(r.value.toPrecision(4)) }));
  const headline: Record<string, unknown> = {};
  for (const e of ensembles)
    for (const v of ['height', 'tracer'])
      headline[`${e.label}/${v}`] = Object.fromEntries(['rmse', 'spread', 'ssr', 'crps'].map((m) => [m, pick(m, v, e.label)]));
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    demo: quick ? 'quick' : 'full',
    inits: plan.inits,
    forecastDays: (plan.steps * 6) / 24,
    runs,
    scoreSeconds: Number(scoreSeconds.toFixed(1)),
    totalSeconds: Number(seconds.toFixed(1)),
    outputs: { sfno: 'sfno/', physics: 'physics/', scores: 'scores/results.json, scores/results.csv', report: 'report.html', configs: 'configs/' },
    headline,
  };
  fs.writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
  fs.writeFileSync(path.join(dir, 'summary.md'), summaryMarkdown(summary, input.results));
  return { dir, seconds, summary };
}

function summaryMarkdown(summary: { runs: Record<string, unknown>[]; inits: string[]; forecastDays: number; totalSeconds: number; demo: string }, results: { metric: string; variable: string; lead_hours: number; ensemble: string; region: string; value: number }[]): string {
  const lines = [`# myriad demo (${summary.demo})`, '', `Inits ${summary.inits.join(', ')}; ${summary.forecastDays}-day forecasts; ${summary.totalSeconds} s in all.`, ''];
  lines.push('| ensemble | members per init | member-steps | seconds | member-steps/s |', '|---|---|---|---|---|');
  for (const r of summary.runs) lines.push(`| ${r.ensemble} | ${r.membersPerInit} | ${r.memberSteps} | ${r.seconds} | ${r.memberStepsPerSecond} |`);
  const leads = [...new Set(results.filter((r) => r.metric === 'rmse').map((r) => r.lead_hours))].sort((a, b) => a - b).filter((l) => l > 0);
  for (const [metric, what] of [['rmse', 'RMSE of the ensemble mean'], ['ssr', 'spread-skill ratio'], ['crps', 'CRPS']]) {
    lines.push('', `**${what}** (global, latitude-weighted)`, '', `| ensemble / variable | ${leads.map((l) => `${l / 24} d`).join(' | ')} |`, `|---|${leads.map(() => '---').join('|')}|`);
    for (const ens of [...new Set(results.map((r) => r.ensemble))])
      for (const v of ['height', 'tracer']) {
        const row = leads.map((l) => results.find((r) => r.metric === metric && r.variable === v && r.ensemble === ens && r.lead_hours === l && r.region === 'global')?.value);
        if (row.some((x) => x !== undefined)) lines.push(`| ${ens} / ${v} | ${row.map((x) => (x === undefined ? '' : x.toPrecision(3))).join(' | ')} |`);
      }
  }
  lines.push('', 'Files: `report.html` (open in a browser), `scores/results.csv` and `.json` (tidy), `sfno/` and `physics/` (run directories: member store `store.zarr`, statistics, manifest), `configs/`.', '');
  return lines.join('\n');
}
