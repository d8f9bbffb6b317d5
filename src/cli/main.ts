// The `myriad` command: parses arguments and hands each subcommand to the layer that does the work.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerBenchCommand } from './bench.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const program = new Command();
program.name('myriad').description('Huge ensemble weather forecasts on the sphere').version(pkg.version);
program
  .command('demo')
  .description('run the demonstration on the embedded default')
  .action(() => {
    console.log('demo: not built yet');
  });
registerBenchCommand(program);
await program.parseAsync(process.argv);
