// `myriad score RUN_DIR --truth STORE`: scores an ensemble run against a truth store and writes (or merges into) tidy
// results (results.json, results.csv) and report-bundle.json in --out, one `ensemble` label per run.
import type { Command } from 'commander';
import { reportUserError } from '../errors.ts';

interface ScoreFlags {
  truth: string;
  climate?: string;
  mclimate?: string;
  out: string;
  name?: string;
  variables?: string;
  bandMb?: string;
  sizes?: string;
  resamples?: string;
  spectrumMembers?: string;
  seed?: string;
  rankBins?: string;
  statistics?: boolean;
  quiet?: boolean;
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new FlagError(`${flag}: expected a non-negative integer, got '${text}'`);
  return n;
}

class FlagError extends Error {
  override name = 'FlagError';
}

export function register(program: Command): void {
  program
    .command('score')
    .description('score an ensemble run against a truth store (tidy results + report bundle)')
    .argument('<run-dir>', 'run directory written by myriad forecast (store.zarr)')
    .requiredOption('--truth <store>', 'truth Zarr store (myriad world run): variables named like the run channels')
    .option('--climate <store>', 'store with a climate group (myriad world climate) for the 95th/99th-percentile events; default: the truth store')
    .option('--mclimate <store>', 'M-climate store (myriad mclimate) for EFI and SOT from the members')
    .option('--out <dir>', 'results directory (merged with the results of other ensembles already there)', 'scores')
    .option('--name <label>', 'ensemble label (the ensemble column); default: the run directory name')
    .option('--variables <list>', 'variables to score, comma-separated (default: all run channels)')
    .option('--band-mb <n>', 'largest member slab or band read at once, MiB (bounds memory; default 256: all members of up to one chunk\'s leads for the whole field, each chunk then decompressed once)')
    .option('--sizes <list>', 'bootstrapped sub-ensemble sizes (default 50,100,500,1000; the whole ensemble is always added)')
    .option('--resamples <n>', 'resamples per sub-ensemble size (default 20)')
    .option('--spectrum-members <n>', 'members whose spectra are averaged (default 20)')
    .option('--rank-bins <n>', 'rank-histogram bins, dividing members + 1 (default: every rank up to 1,000 members)')
    .option('--seed <n>', 'seed of rank tie breaking and sub-ensemble draws (default 0)')
    .option('--no-statistics', 'compute everything from the members, ignoring the run\'s streaming statistics')
    .option('--quiet', 'no progress lines')
    .action(async (runDir: string, flags: ScoreFlags) => {
      try {
        const { scoreRun, writeScoreOutput } = await import('../../report/evaluate.ts');
        const sizes = flags.sizes !== undefined ? list(flags.sizes).map((s) => positiveInt('--sizes', s)!) : undefined;
        const bandMb = positiveInt('--band-mb', flags.bandMb);
        const t0 = performance.now();
        const out = await scoreRun({
          runDir,
          truth: flags.truth,
          climate: flags.climate,
          mclimate: flags.mclimate,
          name: flags.name,
          variables: flags.variables !== undefined ? list(flags.variables) : undefined,
          bandBytes: bandMb !== undefined ? Math.max(1, bandMb) * 1024 * 1024 : undefined,
          subEnsembleSizes: sizes,
          resamples: positiveInt('--resamples', flags.resamples),
          spectrumMembers: positiveInt('--spectrum-members', flags.spectrumMembers),
          seed: positiveInt('--seed', flags.seed),
          rankBins: positiveInt('--rank-bins', flags.rankBins),
          useStatistics: flags.statistics !== false,
          onProgress: flags.quiet ? undefined : (m) => process.stderr.write(`myriad score: ${m}\n`),
        });
        const w = writeScoreOutput(flags.out, out);
        for (const n of out.notes) process.stderr.write(`myriad score: note: ${n}\n`);
        console.log(`myriad score: ${out.records.length} results for '${out.ensemble}' in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${flags.out} now holds ${w.records} results (${w.ensembles.join(', ')})`);
      } catch (err) {
        reportUserError('score', err, (e) => ['ScoreInputError', 'FlagError', 'ResultsFormatError'].includes(e.name));
      }
    });
}
