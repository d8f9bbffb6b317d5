// `myriad mclimate CONFIG|RUN_DIR --out STORE`: builds an M-climate (per-point 101 percentiles per lead of hindcast
// members) from a hindcast forecast config (run first, resumable) or an existing run directory.
import type { Command } from 'commander';
import { reportUserError } from '../errors.ts';

export function register(program: Command): void {
  program
    .command('mclimate')
    .description('build an M-climate store (101 percentiles per point and lead) from hindcasts, for EFI/SOT in myriad score --mclimate')
    .argument('<source>', 'hindcast forecast config (JSON; inits over past dates, a few checkpoints) or a run directory with members')
    .requiredOption('--out <store>', 'M-climate Zarr store to write')
    .option('--by <what>', "percentiles per 'lead' (default) or per calendar 'month' of the valid time (leads pooled)", 'lead')
    .option('--overwrite', 'replace an existing --out')
    .option('--band-mb <n>', 'largest sample band read at once, MiB (default 64)')
    .option('--quiet', 'no progress lines')
    .action(async (source: string, flags: { out: string; by: string; overwrite?: boolean; bandMb?: string; quiet?: boolean }) => {
      try {
        const { buildMclimate } = await import('../../report/mclimate.ts');
        const band = flags.bandMb !== undefined ? Number(flags.bandMb) : undefined;
        if (band !== undefined && !(Number.isInteger(band) && band > 0)) {
          const e = new Error(`--band-mb: expected a positive integer, got '${flags.bandMb}'`);
          e.name = 'ScoreInputError';
          throw e;
        }
        const s = await buildMclimate({
          source, out: flags.out, by: flags.by as 'lead' | 'month', overwrite: flags.overwrite, bandBytes: band !== undefined ? band * 2 ** 20 : undefined,
          onProgress: flags.quiet ? undefined : (m) => process.stderr.write(`myriad mclimate: ${m}\n`),
        });
        console.log(`myriad mclimate: wrote ${s.out} (${s.channels.join(', ')}; ${s.months.length ? `months ${s.months.map((m) => m + 1).join(', ')}` : `leads ${s.leads.join(', ')} h`}; ${s.samplesPerPoint} samples per point from ${s.runDir})`);
      } catch (err) {
        reportUserError('mclimate', err, (e) => ['ScoreInputError', 'ConfigError'].includes(e.name));
      } finally {
        const { releaseSessions } = await import('../../engine/runtime.ts');
        await releaseSessions();
      }
    });
}
