// Child process for the SIGKILL/resume and shard tests: runs (or resumes) the forecast whose config file is argv[2];
// argv[3] "prepare" only prepares the run, "k/n" runs shard k of n.
import { readForecastConfig } from '../../src/ensemble/config.ts';
import { prepareRun, runForecast } from '../../src/ensemble/runner.ts';

const cfg = readForecastConfig(process.argv[2]);
const mode = process.argv[3];
if (mode === 'prepare') {
  await prepareRun(cfg);
} else {
  const shard = mode ? { index: Number(mode.split('/')[0]), count: Number(mode.split('/')[1]) } : undefined;
  const summary = await runForecast(cfg, { shard });
  process.stdout.write(`${JSON.stringify({ complete: summary.complete, unitsRun: summary.unitsRun })}\n`);
}
