// Benchmark suites by name: each maps to `bench/<file>.ts` exporting an async function that returns result lines.
// Suites whose file does not exist yet are reported as not built rather than failing the whole run.
import { existsSync } from 'node:fs';

export interface BenchOptions {
  /** Thread counts for benchmarks that sweep them (the engine's GEMM lines). */
  threads?: number[];
}

export type BenchFunction = (options?: BenchOptions) => Promise<object[]>;

interface SuiteEntry {
  file: string;
  exportName: string;
}

/** Every suite the project plans, in the order `all` runs them. */
export const SUITES: Record<string, SuiteEntry> = {
  engine: { file: 'engine.ts', exportName: 'benchEngine' },
  random: { file: 'random.ts', exportName: 'benchRandom' },
  sphere: { file: 'sphere.ts', exportName: 'benchSphere' },
  world: { file: 'world.ts', exportName: 'benchWorld' },
  sfno: { file: 'sfno.ts', exportName: 'benchSfno' },
  ensemble: { file: 'ensemble.ts', exportName: 'benchEnsemble' },
  scores: { file: 'scores.ts', exportName: 'benchScores' },
};

export class BenchError extends Error {
  override name = 'BenchError';
}

/** Whether the suite's file exists (a suite of a layer not built yet does not). */
export function suiteAvailable(name: string): boolean {
  const s = SUITES[name];
  return s !== undefined && existsSync(new URL(`./${s.file}`, import.meta.url));
}

/** Loads a suite's benchmark function; a clear BenchError for unknown or not-yet-built suites. */
export async function loadSuite(name: string): Promise<BenchFunction> {
  const s = SUITES[name];
  if (!s) throw new BenchError(`unknown benchmark suite '${name}' (known: ${Object.keys(SUITES).join(', ')}, all)`);
  const url = new URL(`./${s.file}`, import.meta.url);
  if (!existsSync(url)) throw new BenchError(`benchmark suite '${name}' is not built yet (bench/${s.file} does not exist)`);
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[s.exportName];
  if (typeof fn !== 'function') throw new BenchError(`bench/${s.file} does not export a function ${s.exportName}`);
  return fn as BenchFunction;
}

/** Runs one suite and returns its result lines unchanged. Only the engine suite takes the thread list. */
export async function runSuite(name: string, options: BenchOptions = {}): Promise<object[]> {
  const fn = await loadSuite(name);
  return fn(name === 'engine' ? options : undefined);
}
