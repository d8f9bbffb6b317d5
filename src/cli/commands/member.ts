// `myriad member`: regenerates one member of a run on demand (any of the model's channels), bit-identical to the
// stored one; --verify compares with the store, --out writes it to NetCDF-4.
import type { Command } from 'commander';
import { reportUserError } from '../errors.ts';

interface MemberFlags {
  run: string;
  member: string;
  init?: string;
  channels?: string;
  verify?: boolean;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('member')
    .description('regenerate one ensemble member of a run, bit-identical to the stored one')
    .requiredOption('--run <dir>', 'run directory')
    .requiredOption('--member <m>', 'member index within the init time')
    .option('--init <i>', 'init index (default 0)', '0')
    .option('--channels <names>', 'channels (default: the run\'s output channels; any model channel works)')
    .option('--verify', 'compare with the stored member and fail if any value differs')
    .option('--out <file.nc>', 'write the member to NetCDF-4')
    .action(async (flags: MemberFlags) => {
      const { readRunConfig, ConfigError } = await import('../../ensemble/config.ts');
      const { regenerateMember, readStoredMember } = await import('../../ensemble/runner.ts');
      const { memberLabel } = await import('../../ensemble/members.ts');
      const { isoFromHours, channelUnits } = await import('../../ensemble/model.ts');
      try {
        const cfg = readRunConfig(flags.run);
        const member = Number(flags.member);
        const init = Number(flags.init);
        const channels = flags.channels ? flags.channels.split(',').map((s) => s.trim()) : cfg.channels;
        const r = await regenerateMember(cfg, init, member, channels);
        process.stdout.write(`member ${member} (${memberLabel(r.identity)}) of init ${isoFromHours(r.init)}: ${r.leads.length} leads × ${channels.length} channels\n`);
        if (flags.verify) {
          const stored = await readStoredMember(cfg.outputDir, init, member, channels);
          const same = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).equals(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
          process.stdout.write(same ? 'verified: bit-identical to the stored member\n' : 'MISMATCH: the regenerated member differs from the stored one\n');
          if (!same) process.exitCode = 1;
        }
        if (flags.out) {
          const { writeNetcdf } = await import('../../io/netcdf.ts');
          const { gridGeometry } = await import('../../sphere/grid.ts');
          const geo = gridGeometry(cfg.info.grid);
          const P = cfg.info.grid.nlat * cfg.info.grid.nlon;
          const NT = r.leads.length;
          const vars: Record<string, { dims: string[]; data: Float32Array; attrs: Record<string, string> }> = {};
          channels.forEach((ch, k) => {
            const d = new Float32Array(NT * P);
            for (let t = 0; t < NT; t++) d.set(r.data.subarray((t * channels.length + k) * P, (t * channels.length + k + 1) * P), t * P);
            vars[ch] = { dims: ['time', 'lat', 'lon'], data: d, attrs: channelUnits(ch) ? { units: channelUnits(ch)! } : {} };
          });
          await writeNetcdf(flags.out, {
            dims: { time: NT, lat: cfg.info.grid.nlat, lon: cfg.info.grid.nlon },
            coords: {
              time: { data: Float64Array.from(r.leads), attrs: { units: `hours since ${isoFromHours(r.init).replace('T', ' ').replace('Z', ':00')}` } },
              lat: { data: Float64Array.from(geo.latitudesDeg) },
              lon: { data: Float64Array.from(geo.longitudesDeg) },
            },
            vars,
            attrs: { member, member_label: memberLabel(r.identity), seed: cfg.seed, checkpoint: cfg.checkpointFiles[r.identity.checkpoint] },
          });
          process.stdout.write(`wrote ${flags.out}\n`);
        }
        const { releaseSessions } = await import('../../engine/runtime.ts');
        await releaseSessions();
      } catch (err) {
        reportUserError('member', err, (e) => e instanceof ConfigError || e instanceof RangeError);
      }
    });
}
