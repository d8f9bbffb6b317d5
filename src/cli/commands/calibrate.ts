// `myriad calibrate`: measures a checkpoint's per-channel 48-h RMSE (latitude-weighted) against a planet truth store
// and writes its calibration file (docs/formats.md "Calibration files"), which the sfno and planet kinds read.
import { type Command, InvalidArgumentError } from 'commander';
import { reportUserError } from '../errors.ts';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

/** --inits: a count, or comma-separated ISO times. */
function inits(v: string): number | string[] {
  const s = v.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1) throw new InvalidArgumentError(`--inits must be a positive count or ISO times, got '${v}'`);
    return n;
  }
  const list = s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  if (list.length === 0) throw new InvalidArgumentError(`--inits must be a positive count or ISO times, got '${v}'`);
  return list;
}

const USER_ERRORS = ['Error', 'RangeError', 'CheckpointError', 'DatasetError', 'SafetensorsError', 'SfnoConfigError'];

export function register(program: Command): void {
  program
    .command('calibrate')
    .description("measure a checkpoint's per-channel 48-h RMSE against a planet truth store (bred-vector amplitudes)")
    .requiredOption('--kind <kind>', 'model kind: sfno | planet')
    .requiredOption('--checkpoint <file>', 'the checkpoint (sfno: .safetensors; planet: JSON)')
    .requiredOption('--truth <store>', 'planet truth store (Zarr) giving the initial and verifying analyses')
    .option('--inits <n|times>', "how many inits, spread over the store's last calendar year at 00 UTC (default 8), or comma-separated ISO times", inits)
    .option('--out <file>', 'calibration file to write (default <checkpoint>.calibration.json)')
    .option('--embed', 'planet kind: write rmse48h into the checkpoint JSON instead of a separate file')
    .option('--threads <n>', 'intra-op threads', int('threads'))
    .option('--json', 'print the calibration as JSON')
    .action(async (o: { kind: string; checkpoint: string; truth: string; inits?: number | string[]; out?: string; embed?: boolean; threads?: number; json?: boolean }) => {
      // flag checks first: no heavy module is loaded for a mistake on the command line
      const flagProblem =
        o.kind !== 'sfno' && o.kind !== 'planet' ? `--kind: got '${o.kind}'; expected 'sfno' or 'planet'`
        : o.embed && o.kind !== 'planet' ? '--embed: only planet checkpoints (JSON) can hold their calibration'
        : o.embed && o.out ? '--embed and --out exclude each other'
        : undefined;
      if (flagProblem) {
        reportUserError('calibrate', new Error(flagProblem), () => true);
        return;
      }
      const { calibrateCheckpoint, embedCalibration } = await import('../../ensemble/planet-kinds.ts');
      const { calibrationPath } = await import('../../ensemble/planet-calibration.ts');
      const { writeFileDurable } = await import('../../ensemble/runner.ts');
      const { isoFromHours } = await import('../../ensemble/model.ts');
      const { releaseSessions } = await import('../../engine/runtime.ts');
      const { resolve } = await import('node:path');
      try {
        const checkpoint = resolve(o.checkpoint);
        const started = performance.now();
        const cal = await calibrateCheckpoint({
          kind: o.kind as 'sfno' | 'planet',
          checkpoint,
          truth: resolve(o.truth),
          inits: o.inits,
          threads: o.threads,
          onInit: (k, n, t) => {
            if (!o.json) process.stderr.write(`calibrate: init ${k + 1}/${n} ${isoFromHours(t)}\n`);
          },
        });
        const out = o.embed ? checkpoint : resolve(o.out ?? calibrationPath(checkpoint));
        writeFileDurable(out, o.embed ? embedCalibration(checkpoint, cal) : `${JSON.stringify(cal, null, 1)}\n`);
        const seconds = (performance.now() - started) / 1000;
        if (o.json) console.log(JSON.stringify({ ...cal, statics: undefined, file: out, seconds }));
        else {
          const rm = Object.entries(cal.rmse48h).map(([c, v]) => `${c} ${v.toPrecision(4)}`).join(', ');
          console.log(`48-h RMSE over ${cal.inits.length} inits: ${rm} → ${out} (${seconds.toFixed(0)} s)`);
        }
      } catch (err) {
        reportUserError('calibrate', err, (e) => USER_ERRORS.includes(e.name));
      } finally {
        await releaseSessions();
      }
    });
}
