// Child process for the SIGKILL/resume test: runs (or resumes) the forecast whose config file is argv[2].
import { readForecastConfig } from '../../src/ensemble/config.ts';
import { runForecast } from '../../src/ensemble/runner.ts';

const cfg = readForecastConfig(process.argv[2]);
const summary = await runForecast(cfg);
process.stdout.write(`${JSON.stringify({ complete: summary.complete, unitsRun: summary.unitsRun })}\n`);
