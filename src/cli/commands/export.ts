// `myriad export`: writes chosen members, leads and statistics of a run to NetCDF-4 (CF-1.8, `ensemble`
// dimension, time first so CDO reads it).
import type { Command } from 'commander';
import { reportUserError } from '../errors.ts';

interface ExportFlags {
  run: string;
  out: string;
  init?: string;
  members?: string;
  leads?: string;
  channels?: string;
  statistics?: boolean;
  climateCounts?: boolean;
}

/** "0-3,7,9" → [0, 1, 2, 3, 7, 9]. */
export function parseIndexList(text: string, what: string): number[] {
  const out: number[] = [];
  if (text.trim() === '') return out;
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new RangeError(`${what}: '${part}' is not an index or a range like 0-7`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) throw new RangeError(`${what}: range '${part}' ends before it starts`);
    for (let k = a; k <= b; k++) out.push(k);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('export')
    .description('export members, leads and statistics of a run to NetCDF-4 (CF, ensemble dimension)')
    .requiredOption('--run <dir>', 'run directory')
    .requiredOption('--out <file.nc>', 'output file')
    .option('--init <i|time>', 'init index or ISO time (default 0)')
    .option('--members <list>', "members, e.g. 0-15,32 (default all stored; '' for none)")
    .option('--leads <hours>', 'lead times in hours, comma-separated (default all stored)')
    .option('--channels <names>', 'channels, comma-separated (default all)')
    .option('--no-statistics', 'leave out the statistics')
    .option('--climate-counts', 'include the 101 climate-percentile counts')
    .action(async (flags: ExportFlags) => {
      const { exportRun } = await import('../../ensemble/export.ts');
      try {
        const init = flags.init === undefined ? undefined : /^\d+$/.test(flags.init) ? Number(flags.init) : flags.init;
        const summary = await exportRun(flags.run, flags.out, {
          init,
          members: flags.members !== undefined ? parseIndexList(flags.members, '--members') : undefined,
          leads: flags.leads !== undefined ? flags.leads.split(',').map((s) => Number(s.trim())) : undefined,
          channels: flags.channels?.split(',').map((s) => s.trim()),
          statistics: flags.statistics,
          climateCounts: flags.climateCounts,
        });
        process.stdout.write(`wrote ${summary.file}: init ${summary.init}, ${summary.members} members, leads ${summary.leads.join(',')} h, variables ${summary.variables.join(', ')}\n`);
      } catch (err) {
        reportUserError('export', err, (e) => e instanceof RangeError);
      }
    });
}
