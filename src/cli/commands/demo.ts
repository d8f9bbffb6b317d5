// `myriad demo`: the main job on the embedded default. Until the ensemble layer exists it runs the engine and
// sphere benchmarks and says plainly which parts of the demo are not built yet.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the demonstration on the embedded default (shipped planet state and checkpoints)')
    .option('--quick', 'a short version of the demo')
    .action(async () => {
      const { runSuite } = await import('../../../bench/index.ts');
      const { releaseSessions } = await import('../../engine/runtime.ts');
      console.log('myriad demo: the ensemble demo (planet, SFNO checkpoints, HENS ensembles, scores) is not built yet.');
      console.log('Running what exists: the engine benchmark (one JSON line per measurement).');
      for (const line of await runSuite('engine', { threads: [1] })) console.log(JSON.stringify(line));
      await releaseSessions();
    });
}
