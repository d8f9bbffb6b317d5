// `myriad demo`: the main job on the embedded default — HENS SFNO-BVMC and physics ensembles from the shipped
// checkpoints and planet truth, scored, with a report, in one folder named at the end (src/cli/demo.ts).
import { type Command, InvalidArgumentError } from 'commander';
import { reportUserError } from '../errors.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the demonstration on the shipped data: 1,024-member SFNO-BVMC and 64-member physics ensembles, 2 inits, 10 days, scores and report')
    .option('--quick', 'a small version (32 + 8 members, 1 init, 2 days), a few minutes')
    .option('--out <dir>', 'output folder (default: myriad-demo-<date>-<time>)')
    .option('--threads <n>', 'engine threads (default 2)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--threads must be a positive integer, got '${v}'`);
      return n;
    })
    .action(async (opts: { quick?: boolean; out?: string; threads?: number }) => {
      const { runDemo } = await import('../demo.ts');
      try {
        const r = await runDemo({ quick: opts.quick, out: opts.out, threads: opts.threads });
        console.log(`myriad demo: done in ${r.seconds.toFixed(0)} s; everything is in ${r.dir} (open ${r.dir}/report.html; summary in summary.md)`);
      } catch (e) {
        reportUserError('demo', e, (err) => /demo|config|checkpoint|truth|store/i.test(err.message) && !(err instanceof TypeError));
      }
    });
}
