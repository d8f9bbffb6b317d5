// `myriad world …`: run the planet and write truth datasets (resumable), per-month climate statistics of a truth store,
// and preparation of the shipped Earth fields from the NCL sample files.
import type { Command } from 'commander';
import { reportUserError } from '../errors.ts';

export function register(program: Command): void {
  const world = program.command('world').description('the planet: a shallow-water world whose truth is known exactly');
  world
    .command('run')
    .description('run the planet and write 6-hourly truth (u, v, height, tracer) on the 64x128 forecast grid to a Zarr v3 store; resumes an interrupted store')
    .requiredOption('--config <file>', 'JSON run config: {"days": N, "start": "shipped"|"rest", "spinupDays": 0, "planet": {...}}')
    .requiredOption('--out <store>', 'output Zarr store directory')
    .option('--quiet', 'no progress display')
    .action(async (opts: { config: string; out: string; quiet?: boolean }) => {
      const { runTruth, readConfigFile } = await import('../../world/truth.ts');
      const { releaseSessions } = await import('../../engine/runtime.ts');
      const started = Date.now();
      const tty = process.stderr.isTTY;
      const r = await runTruth(readConfigFile(opts.config), opts.out, (p) => {
        if (opts.quiet) return;
        const pct = ((100 * p.written) / p.total).toFixed(1);
        const eta = p.written > 0 ? ((Date.now() - started) / 1000 / p.written) * (p.total - p.written) : 0;
        const msg = `world run: ${p.written}/${p.total} times (${pct}%), day ${p.simulatedDays.toFixed(2)}, ~${eta.toFixed(0)} s left`;
        if (tty) process.stderr.write(`\r${msg}   `);
        else process.stderr.write(`${msg}\n`);
      }, opts.config);
      if (tty && !opts.quiet) process.stderr.write('\n');
      console.log(`${r.resumed ? 'resumed and completed' : 'wrote'} ${opts.out}: ${r.written} times`);
      await releaseSessions();
    });
  world
    .command('climate')
    .description('per-point climate statistics per calendar month (mean, std, percentiles 1, 5, 10, 90, 95, 99) into group "climate" of a truth store')
    .argument('<store>', 'truth Zarr store written by `myriad world run`')
    .action(async (store: string) => {
      const { writeClimate } = await import('../../world/truth.ts');
      const r = await writeClimate(store);
      console.log(`wrote ${store}/climate for months ${r.months.map((m) => m + 1).join(', ')}`);
    });
  world
    .command('excerpt')
    .description('copy chosen times (and the climate of their months) of a truth store into a new, smaller store')
    .argument('<store>', 'truth Zarr store written by `myriad world run`')
    .requiredOption('--out <store>', 'new Zarr store')
    .requiredOption('--times <list>', 'comma-separated calendar times (noleap), each YYYY-MM-DDTHHZ or a range START..END/Nh (every N hours)')
    .action(async (store: string, opts: { out: string; times: string }) => {
      const { writeTruthExcerpt, noleapHoursFromIso } = await import('../../world/truth.ts');
      try {
        const hours: number[] = [];
        for (const item of opts.times.split(',').map((x) => x.trim()).filter((x) => x)) {
          const range = /^(.+)\.\.(.+)\/(\d+)h$/.exec(item);
          if (range) {
            const [a, b, every] = [noleapHoursFromIso(range[1]), noleapHoursFromIso(range[2]), Number(range[3])];
            if (!(every > 0) || b < a) throw new Error(`--times: range ${item} must go forwards in steps of at least 1 h`);
            for (let h = a; h <= b; h += every) hours.push(h);
          } else hours.push(noleapHoursFromIso(item));
        }
        const unique = [...new Set(hours)].sort((x, y) => x - y);
        const r = await writeTruthExcerpt(store, opts.out, unique);
        console.log(`wrote ${opts.out}: ${r.times} times`);
      } catch (e) {
        reportUserError('world excerpt', e, (err) => err instanceof RangeError || /excerpt|does not exist|not a|zarr/i.test(err.message));
      }
    });
  world
    .command('prepare-data')
    .description('analyse the NCL sample files (orography, land fraction, tas) into data/planet/earth-t63.safetensors')
    .requiredOption('--from <dir>', 'directory holding orog_mod1_rectilinear_grid_2D.nc, sftlf_mod1_rectilinear_grid_2D.nc, tas_rectilinear_grid_2D.nc')
    .action(async (opts: { from: string }) => {
      const { prepareEarthFields, saveEarthFields, EARTH_DATA_PATH } = await import('../../world/earth.ts');
      saveEarthFields(await prepareEarthFields(opts.from));
      console.log(`wrote ${EARTH_DATA_PATH}`);
    });
}
