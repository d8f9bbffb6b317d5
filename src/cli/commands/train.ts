// `myriad train`: trains an SFNO from scratch on a truth dataset (Zarr) with a seed; resumes an interrupted run in
// the same output directory. Heavy modules load inside the action so `myriad --help` stays fast.
import { type Command, InvalidArgumentError } from 'commander';
import { reportUserError } from '../errors.ts';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`--${name} must be an integer, got '${v}'`);
    return n;
  };
}

function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`--${name} must be a number, got '${v}'`);
    return n;
  };
}

// TRAINING_LOSSES of src/models/train.ts, restated so that parsing the flag does not load the models layer (the
// action imports it; trainSfno rejects any name this list and that one disagree on)
const LOSSES = ['mse', 'amse'];

function lossKind(v: string): string {
  if (!LOSSES.includes(v)) throw new InvalidArgumentError(`--loss must be one of ${LOSSES.join(', ')}, got '${v}'`);
  return v;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train an SFNO forecast model from scratch on a truth dataset (resumes if DIR holds an unfinished run)')
    .requiredOption('--data <path>', 'truth dataset (Zarr group with u, v, height, tracer, orography, land_fraction); several stores of one planet, comma-separated, are joined in time (e.g. a run and its continuation)')
    .requiredOption('--seed <n>', 'seed of the initial weights and the data order', int('seed'))
    .requiredOption('--out <dir>', 'output directory: best.safetensors, resume.safetensors, history.json')
    .option('--epochs <n>', 'epochs', int('epochs'), 10)
    .option('--batch-size <n>', 'samples per optimiser step', int('batch-size'), 4)
    .option('--lr <x>', 'peak learning rate (cosine schedule)', num('lr'), 2e-3)
    .option('--warmup-steps <n>', 'linear warm-up steps', int('warmup-steps'), 0)
    .option('--weight-decay <x>', 'AdamW decoupled weight decay', num('weight-decay'), 0.01)
    .option('--clip-norm <x>', 'global gradient-norm clip', num('clip-norm'), 1)
    .option('--validation-years <n>', 'final calendar years held out for validation', int('validation-years'), 1)
    .option('--validation-from <date>', 'hold out times from this date (YYYY-MM-DD, noleap) for validation instead of whole years')
    .option('--test-from <date>', 'with --validation-from: times from this date on are neither trained nor validated on (a test period)')
    .option('--test-until <date>', 'with --test-from: the test period ends here; later times are trained on again')
    .option('--samples-per-epoch <n>', 'a seeded subset of the training pairs per epoch (default: all)', int('samples-per-epoch'))
    .option('--embed-dim <n>', 'SFNO embedding width (default 24)', int('embed-dim'))
    .option('--layers <n>', 'SFNO blocks (default 4)', int('layers'))
    .option('--scale-factor <n>', 'internal grid coarsening (default 2)', int('scale-factor'))
    .option('--mlp-ratio <x>', 'MLP hidden width / embedding width (default 2)', num('mlp-ratio'))
    .option('--no-mlp', 'no MLP in the blocks')
    .option('--norm <kind>', 'instance_norm (default) | layer_norm | none')
    .option('--activation <kind>', 'gelu (default) | relu | identity')
    .option('--operator <kind>', 'driscoll-healy (default) | diagonal')
    .option('--pos-embed <kind>', 'lat (default) | latlon | const | none')
    .option('--no-big-skip', 'no big skip connection')
    .option('--no-residual', 'predict the next state itself rather than its change')
    .option('--rollout-steps <n>', 'autoregressive 6-h steps per sample: loss averaged over the rollout, gradients through it', int('rollout-steps'), 1)
    .option('--init-from <checkpoint>', 'fine-tune: start from this checkpoint (its architecture, normalisation and residual scales) instead of seeded weights')
    .option('--input-noise <x>', 'Gaussian noise on the training inputs, in residual-scale units per channel (default 0)', num('input-noise'), 0)
    .option('--loss <kind>', 'training and validation loss: mse (quadrature-weighted squared error) | amse (adjusted MSE, Subich et al. 2025: keeps the spectrum, no reward for damping decorrelated scales)', lossKind, 'mse')
    .option('--no-stirring-inputs', "do not give the network the planet's stirring (recorded in the dataset) as forcing channels")
    .option('--threads <n>', 'intra-op threads', int('threads'))
    .option('--json', 'print the result as one JSON line')
    .action(async (o: Record<string, unknown>) => {
      const { trainSfno } = await import('../../models/train.ts');
      const { writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { releaseSessions } = await import('../../engine/runtime.ts');
      // Ctrl-C: finish the current step, write the resume state, exit (a second Ctrl-C kills at once)
      const abort = new AbortController();
      process.once('SIGINT', () => {
        console.error('myriad train: interrupted, saving the resume state…');
        abort.abort();
      });
      const run = trainSfno({
        signal: abort.signal,
        data: (o.data as string).includes(',') ? (o.data as string).split(',') : (o.data as string),
        out: o.out as string,
        seed: o.seed as number,
        epochs: o.epochs as number,
        batchSize: o.batchSize as number,
        lr: o.lr as number,
        warmupSteps: o.warmupSteps as number,
        weightDecay: o.weightDecay as number,
        clipNorm: o.clipNorm as number,
        validationYears: o.validationYears as number,
        validationPeriod: o.validationFrom ? { from: o.validationFrom as string, testFrom: o.testFrom as string | undefined, testUntil: o.testUntil as string | undefined } : undefined,
        samplesPerEpoch: o.samplesPerEpoch as number | undefined,
        residual: o.residual as boolean,
        threads: o.threads as number | undefined,
        rolloutSteps: o.rolloutSteps as number,
        initFrom: o.initFrom as string | undefined,
        inputNoise: o.inputNoise as number,
        loss: o.loss as 'mse' | 'amse',
        stirringInputs: o.stirringInputs !== false,
        // only the architecture options given on the command line; the rest are the small shipped configuration's
        model: Object.fromEntries(
          Object.entries({
            embedDim: o.embedDim,
            numLayers: o.layers,
            scaleFactor: o.scaleFactor,
            mlpRatio: o.mlpRatio,
            useMlp: o.mlp === false ? false : undefined,
            normalization: o.norm,
            activation: o.activation,
            operatorType: o.operator,
            posEmbed: o.posEmbed,
            bigSkip: o.bigSkip === false ? false : undefined,
          }).filter(([, v]) => v !== undefined),
        ),
      });
      let result;
      try {
        result = await run;
      } catch (err) {
        // configuration and data problems are reported as one line naming the problem
        reportUserError('train', err, (e) => ['TrainError', 'DatasetError', 'CheckpointError', 'SfnoConfigError', 'SafetensorsError'].includes(e.name));
        await releaseSessions();
        return;
      }
      writeFileSync(join(o.out as string, 'history.json'), `${JSON.stringify(result, null, 2)}\n`);
      await releaseSessions();
      if (abort.signal.aborted) process.exitCode = 130;
      if (o.json) console.log(JSON.stringify(result));
      else if (!result.finished) console.log(`stopped after step ${result.steps}; run the same command again to resume`);
      else
        console.log(`best validation loss ${result.bestValLoss.toFixed(4)} (initial ${result.initialValLoss.toFixed(4)}) → ${result.bestPath}`);
    });
}
