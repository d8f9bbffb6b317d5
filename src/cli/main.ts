// The `myriad` command: parses arguments and hands each subcommand to the layer that does the work.
// Subcommands live in src/cli/commands/<name>.ts, each exporting `register(program)`; they load their layers
// lazily inside the action so that `myriad --help` stays fast.
import { Command } from 'commander';
import { readFileSync, readdirSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const program = new Command();
program.name('myriad').description('Huge ensemble weather forecasts on the sphere').version(pkg.version);
program.showHelpAfterError();

const dir = new URL('./commands/', import.meta.url);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
  const mod = (await import(new URL(file, dir).href)) as { register?: (p: Command) => void };
  if (typeof mod.register !== 'function') throw new Error(`src/cli/commands/${file} does not export register(program)`);
  mod.register(program);
}
await program.parseAsync(process.argv);
