// `myriad forecast`: runs (or resumes) an ensemble forecast from a config file and/or flags, validated before any
// work; progress (members done, member-steps/s, ETA) on a TTY, quiet in pipes. `--toy-setup DIR` writes test-model
// checkpoints and an example config to try it.
import type { Command } from 'commander';
import { reportUserError } from '../errors.ts';

interface ForecastFlags {
  output?: string;
  modelKind?: string;
  checkpoints?: string;
  analysesKind?: string;
  origin?: string;
  inits?: string;
  steps?: string;
  every?: string;
  channels?: string;
  perturbations?: string;
  memberBlock?: string;
  batchSize?: string;
  method?: string;
  seed?: string;
  control?: boolean;
  statsOnly?: boolean;
  threads?: string;
  overwrite?: boolean;
  maxUnits?: string;
  toySetup?: string;
  prepare?: boolean;
  shard?: string;
  quiet?: boolean;
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
/** Numbers from flags stay as given when not numeric, so the config check names the bad value. */
const num = (s: string): number | string => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s);

/** Overlays the flags on a config object (flags win). */
export function configFromFlags(base: Record<string, unknown>, f: ForecastFlags): Record<string, unknown> {
  const cfg: Record<string, unknown> = { ...base };
  const sub = (k: string) => ({ ...((cfg[k] as Record<string, unknown>) ?? {}) });
  if (f.output !== undefined) cfg.output = f.output;
  if (f.modelKind !== undefined || f.checkpoints !== undefined) {
    const m = sub('model');
    if (f.modelKind !== undefined) m.kind = f.modelKind;
    if (f.checkpoints !== undefined) m.checkpoints = list(f.checkpoints);
    m.kind ??= 'toy';
    cfg.model = m;
  }
  if (f.analysesKind !== undefined || f.origin !== undefined) {
    const a = sub('analyses');
    if (f.analysesKind !== undefined) a.kind = f.analysesKind;
    if (f.origin !== undefined) a.origin = f.origin;
    a.kind ??= 'toy-nature';
    cfg.analyses = a;
  }
  if (f.inits !== undefined) cfg.inits = list(f.inits);
  if (f.steps !== undefined) cfg.steps = num(f.steps);
  if (f.every !== undefined) cfg.outputEvery = num(f.every);
  if (f.channels !== undefined) cfg.channels = list(f.channels);
  if (f.perturbations !== undefined || f.memberBlock !== undefined || f.batchSize !== undefined || f.control !== undefined) {
    const e = sub('ensemble');
    if (f.perturbations !== undefined) e.perturbations = num(f.perturbations);
    if (f.memberBlock !== undefined) e.memberBlock = num(f.memberBlock);
    if (f.batchSize !== undefined) e.batchSize = num(f.batchSize);
    if (f.control === false) e.control = false;
    cfg.ensemble = e;
  }
  if (f.method !== undefined) cfg.perturbation = { method: f.method };
  if (f.seed !== undefined) cfg.seed = num(f.seed);
  if (f.statsOnly) cfg.store = { ...sub('store'), members: false };
  if (f.threads !== undefined) cfg.threads = num(f.threads);
  return cfg;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function register(program: Command): void {
  program
    .command('forecast')
    .description('run or resume an ensemble forecast (config file and/or flags; validated before any work)')
    .argument('[config]', 'forecast config (JSON); flags override its fields')
    .option('-o, --output <dir>', 'run directory (member store, statistics, manifest)')
    .option('--model-kind <kind>', 'model kind of the checkpoints (default toy)')
    .option('--checkpoints <files>', 'checkpoint files, comma-separated')
    .option('--analyses-kind <kind>', 'analysis source (default toy-nature)')
    .option('--origin <time>', 'first analysis time of the toy nature run (ISO)')
    .option('--inits <times>', 'init times, comma-separated ISO')
    .option('--steps <n>', 'forecast length in 6-h steps')
    .option('--every <n>', 'store and score every n steps')
    .option('--channels <names>', 'output channels, comma-separated')
    .option('--perturbations <n>', 'bred vectors (perturbations) per checkpoint')
    .option('--member-block <n>', 'members per unit of work and store chunk')
    .option('--batch-size <n>', 'members per model call')
    .option('--method <m>', 'perturbation: bred-vector, gaussian, correlated, lagged, none')
    .option('--seed <n>', 'run seed')
    .option('--no-control', 'no unperturbed control member')
    .option('--stats-only', 'keep only the statistics, not the members')
    .option('--threads <n>', 'engine threads')
    .option('--overwrite', 'replace a run directory that holds a different config')
    .option('--max-units <n>', 'stop after this many units (resume later)')
    .option('--prepare', 'only prepare the run directory and store (before starting shards)')
    .option('--shard <k/n>', 'run shard k of n (0-based; shards may run at once after --prepare)')
    .option('--toy-setup <dir>', 'write 4 test-model checkpoints and an example config (forecast.json) into dir, then exit')
    .option('-q, --quiet', 'no progress output')
    .action(async (configFile: string | undefined, flags: ForecastFlags) => {
      const fs = await import('node:fs');
      const path = await import('node:path');
      const { ConfigError, validateForecastConfig } = await import('../../ensemble/config.ts');
      if (flags.toySetup) {
        const { writeToyCheckpoints, hoursFromIso } = await import('../../ensemble/model.ts');
        const dir = path.resolve(flags.toySetup);
        const origin = '2024-01-01T00:00Z';
        const files = await writeToyCheckpoints(path.join(dir, 'checkpoints'), 4, { kind: 'equiangular', nlat: 32, nlon: 64 }, hoursFromIso(origin));
        const example = {
          output: 'run',
          model: { kind: 'toy', checkpoints: files.map((f) => path.relative(dir, f)) },
          analyses: { kind: 'toy-nature', origin },
          inits: ['2024-01-10T00:00Z'],
          steps: 40,
          outputEvery: 4,
          channels: ['z500', 't2m', 'tcwv'],
          ensemble: { perturbations: 8, memberBlock: 16, batchSize: 16 },
          perturbation: { method: 'bred-vector' },
          seed: 1,
          statistics: { thresholds: { t2m: [290, 300] }, climate: { start: '2024-01-02T00:00Z', count: 40, everyHours: 12 } },
        };
        fs.writeFileSync(path.join(dir, 'forecast.json'), `${JSON.stringify(example, null, 2)}\n`);
        process.stdout.write(`wrote ${files.length} test-model checkpoints and ${path.join(dir, 'forecast.json')}\nrun it with: myriad forecast ${path.join(dir, 'forecast.json')}\n`);
        return;
      }
      let base: Record<string, unknown> = {};
      let baseDir = process.cwd();
      try {
        if (configFile) {
          try {
            base = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
          } catch (err) {
            throw new ConfigError([`config file ${configFile}: cannot read it as JSON (${(err as Error).message})`]);
          }
          baseDir = path.dirname(path.resolve(configFile));
        }
        const cfg = validateForecastConfig(configFromFlags(base, flags), baseDir);
        let shard: { index: number; count: number } | undefined;
        if (flags.shard !== undefined) {
          const m = /^(\d+)\/(\d+)$/.exec(flags.shard.trim());
          if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) < 1) throw new ConfigError([`--shard: got ${JSON.stringify(flags.shard)}; expected k/n with 0 <= k < n, e.g. 0/4`]);
          shard = { index: Number(m[1]), count: Number(m[2]) };
        }
        const { runForecast, prepareRun } = await import('../../ensemble/runner.ts');
        if (flags.prepare) {
          await prepareRun(cfg, { overwrite: flags.overwrite });
          if (!flags.quiet) process.stdout.write(`prepared ${cfg.outputDir}; start the shards with --shard k/n\n`);
          return;
        }
        const { releaseSessions } = await import('../../engine/runtime.ts');
        const tty = process.stderr.isTTY && !flags.quiet;
        const summary = await runForecast(cfg, {
          overwrite: flags.overwrite,
          shard,
          maxUnits: flags.maxUnits !== undefined ? Number(flags.maxUnits) : undefined,
          onProgress: tty
            ? (p) => process.stderr.write(`\r\x1b[Kmembers ${p.membersDone}/${p.membersTotal}  ${p.memberStepsPerSecond.toFixed(1)} member-steps/s  ETA ${formatSeconds(p.etaSeconds)}`)
            : undefined,
        });
        if (tty) process.stderr.write('\n');
        await releaseSessions();
        if (!flags.quiet) {
          process.stdout.write(
            `${summary.complete ? 'complete' : 'stopped'}: ${summary.unitsRun} units this run, ${summary.memberSteps} member-steps in ${summary.seconds.toFixed(1)} s; run directory ${summary.dir}\n`,
          );
        }
      } catch (err) {
        reportUserError('forecast', err, (e) => e instanceof ConfigError);
      }
    });
}
