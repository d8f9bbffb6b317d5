// The `myriad bench <suite|all>` subcommand: runs benchmark suites and prints one JSON object per line
// (--json) or a readable table per suite.
import type { Command } from 'commander';
import { BenchError, SUITES, runSuite, suiteAvailable } from '../../bench/index.ts';
import { releaseSessions } from '../engine/runtime.ts';
import { reportUserError } from './errors.ts';

export interface BenchCliOptions {
  json?: boolean;
  threads?: string;
}

/** Parses "1,2,4" into thread counts; a clear error otherwise. */
export function parseThreadList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.length === 0 || out.some((t, i) => parts[i] === '' || !Number.isInteger(t) || t < 1))
    throw new BenchError(`--threads: expected a comma-separated list of positive integers such as 1,2; got '${text}'`);
  return out;
}

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A plain-text table: one row per line object, columns in order of first appearance. */
export function formatTable(lines: object[]): string {
  const cols: string[] = [];
  for (const l of lines) for (const k of Object.keys(l)) if (!cols.includes(k)) cols.push(k);
  const rows = lines.map((l) => cols.map((c) => (c in l ? cell((l as Record<string, unknown>)[c]) : '')));
  const width = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((s, i) => s.padEnd(width[i])).join('  ').trimEnd();
  return [fmt(cols), fmt(width.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

/** Runs the named suite (or every available one for 'all') and prints the results. */
export async function runBenchCommand(suite: string, options: BenchCliOptions): Promise<void> {
  const threads = options.threads !== undefined ? parseThreadList(options.threads) : undefined;
  let names: string[];
  if (suite === 'all') {
    names = Object.keys(SUITES).filter(suiteAvailable);
    const missing = Object.keys(SUITES).filter((s) => !suiteAvailable(s));
    if (missing.length) process.stderr.write(`bench: not built yet, skipped: ${missing.join(', ')}\n`);
  } else {
    if (!(suite in SUITES)) throw new BenchError(`unknown benchmark suite '${suite}' (known: ${Object.keys(SUITES).join(', ')}, all)`);
    names = [suite];
  }
  try {
    for (const name of names) {
      const lines = await runSuite(name, { threads });
      if (options.json) for (const l of lines) process.stdout.write(`${JSON.stringify(l)}\n`);
      else process.stdout.write(`\n== ${name}\n${formatTable(lines)}\n`);
    }
  } finally {
    await releaseSessions();
  }
}

/** Registers `bench` on the `myriad` program. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(`run benchmark suites (${Object.keys(SUITES).join(', ')}, or all)`)
    .argument('<suite>', 'suite name, or all')
    .option('--json', 'print one JSON object per result line')
    .option('--threads <list>', 'thread counts for the GEMM lines, comma-separated (default 1,2)')
    .action(async (suite: string, options: BenchCliOptions) => {
      try {
        await runBenchCommand(suite, options);
      } catch (err) {
        reportUserError('bench', err, (e) => e instanceof BenchError);
      }
    });
}
