// The planet's model and analysis kinds for the registry — "sfno" (shipped SFNO checkpoints), "planet" (the physics
// model), "truth" (analyses from a planet truth store) — and the calibration of a checkpoint (`myriad calibrate`).
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadCheckpoint } from '../models/checkpoint.ts';
import type { Hours } from './model.ts';
import { hoursFromIso } from './model.ts';
import { hoursFromNoleapHours, noleapHoursFromDate } from './planet-calendar.ts';
import {
  type CalibrationFile, CALIBRATION_LEAD_HOURS, calibrationPath, calibrationRecord, encodeStatics, measureRmse, readCalibration,
} from './planet-calibration.ts';
import { PLANET_CHANNELS, PLANET_GRID, type PlanetCheckpoint, PlanetForecastModel, planetModelOptions, readPlanetCheckpoint } from './planet-physics.ts';
import { SfnoForecastModel, inspectSfno, sfnoGrid } from './planet-sfno.ts';
import { TruthAnalyses, checkTruthStore } from './planet-truth.ts';
import type { AnalysisKind, CheckpointInfo, ModelKind } from './registry.ts';

/** The bred-vector seed channel of the planet models (their z500 counterpart). */
export const PLANET_SEED_CHANNEL = 'height';

export const sfnoKind: ModelKind = {
  kind: 'sfno',
  description: 'an SFNO checkpoint (models/checkpoint.ts safetensors) with its <checkpoint>.calibration.json (48-h RMSE, static inputs)',
  defaultSeedChannel: PLANET_SEED_CHANNEL,
  inspect(file) {
    const { ck } = inspectSfno(file);
    return { channels: [...ck.channels.prognostic], grid: sfnoGrid(ck), nonNegative: [] };
  },
  async load(file, options) {
    const { ck, rmse48h, statics } = inspectSfno(file);
    return SfnoForecastModel.create(ck, { statics, rmse48h, name: options.name, threads: options.threads });
  },
};

/** A planet checkpoint with its calibration: embedded rmse48h or `<file>.calibration.json` (not both). */
export function inspectPlanet(file: string): { ck: PlanetCheckpoint; rmse48h: Float64Array } {
  const ck = readPlanetCheckpoint(file);
  const side = calibrationPath(file);
  const hasSide = existsSync(side);
  if (ck.rmse48h && hasSide) throw new Error(`checkpoint ${file}: calibrated twice (rmse48h in the file and ${side}); remove one of them`);
  if (!ck.rmse48h && !hasSide) {
    throw new Error(`checkpoint ${file}: no 48-h RMSE calibration (neither rmse48h in the file nor ${side}); measure it with \`myriad calibrate --kind planet --checkpoint ${file} --truth <truth store>\``);
  }
  const rmse = ck.rmse48h ?? readCalibration(side, 'planet', PLANET_CHANNELS).rmse48h;
  return { ck, rmse48h: Float64Array.from(PLANET_CHANNELS, (c) => rmse[c]) };
}

export const planetKind: ModelKind = {
  kind: 'planet',
  description: 'the physics model on the 64x128 Gauss forecast grid (JSON checkpoint: planet config overrides, dt, 48-h RMSE)',
  defaultSeedChannel: PLANET_SEED_CHANNEL,
  inspect(file) {
    inspectPlanet(file);
    return { channels: [...PLANET_CHANNELS], grid: { ...PLANET_GRID }, nonNegative: [] };
  },
  async load(file, options) {
    const { ck, rmse48h } = inspectPlanet(file);
    return new PlanetForecastModel({ ...planetModelOptions(ck), rmse48h, name: options.name, threads: options.threads });
  },
};

const TRUTH_OPTIONS = ['kind', 'store'];

export const truthKind: AnalysisKind = {
  kind: 'truth',
  description: 'analyses read from a planet truth store (`store`: path of the Zarr store written by `myriad world run`)',
  check(options, info: CheckpointInfo) {
    const out: [string, string][] = [];
    for (const k of Object.keys(options)) if (!TRUTH_OPTIONS.includes(k)) out.push([`analyses.${k}`, `unknown option for truth analyses (known: ${TRUTH_OPTIONS.join(', ')})`]);
    return [...out, ...checkTruthStore(options.store, info.grid, info.channels)];
  },
  async open(options, info) {
    return TruthAnalyses.open(options.store as string, info.grid, info.channels);
  },
};

// ------------------------------------------------------------------------------------------------ calibration

export interface CalibrateOptions {
  kind: 'sfno' | 'planet';
  checkpoint: string;
  truth: string;
  /** how many inits (default 8), spread over the store's last calendar year, or the init times themselves */
  inits?: number | readonly string[];
  threads?: number;
  onInit?: (k: number, total: number, time: Hours) => void;
}

/**
 * The default calibration inits: `count` times at 00 UTC, evenly spread over a held-out window, each with its 48-h
 * verifying analysis in the store and in the window: the window given (noleap hours [from, to), an SFNO's validation
 * period), else the store's last calendar year (the year `myriad train --validation-years 1` holds out).
 */
export function defaultCalibrationInits(analyses: TruthAnalyses, count: number, window?: { from: number; to: number; what: string }): Hours[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`--inits: expected a positive integer, got ${count}`);
  const t = analyses.noleapTimes;
  const last = t[t.length - 1];
  const from = window?.from ?? Math.floor(last / (24 * 365)) * 24 * 365;
  const to = window?.to ?? Infinity;
  const have = new Set(t);
  const candidates = Array.from(t).filter((h) => h >= from && h + CALIBRATION_LEAD_HOURS < to && h % 24 === 0 && have.has(h + CALIBRATION_LEAD_HOURS));
  if (candidates.length < count) {
    const where = window?.what ?? 'the last calendar year';
    throw new RangeError(`--inits: ${where} of truth store ${analyses.store} (${analyses.describeRange()}) has ${candidates.length} 00-UTC inits with a 48-h verifying analysis; asked for ${count}`);
  }
  const picked = count === 1 ? [candidates[0]] : Array.from({ length: count }, (_, k) => candidates[Math.round((k * (candidates.length - 1)) / (count - 1))]);
  return picked.map(hoursFromNoleapHours);
}

/** Relative agreement of two statistics (static-field mean/std against the checkpoint's normalisation). */
function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Measures a checkpoint's 48-h RMSE against a truth store; returns the calibration record (not yet written). */
export async function calibrateCheckpoint(o: CalibrateOptions): Promise<CalibrationFile> {
  const name = basename(o.checkpoint);
  if (!existsSync(o.checkpoint)) throw new Error(`--checkpoint: ${o.checkpoint} does not exist`);
  let makeModel: () => Promise<SfnoForecastModel | PlanetForecastModel>;
  let statics: Map<string, Float32Array> | undefined;
  let analyses: TruthAnalyses;
  let window: { from: number; to: number; what: string } | undefined;
  if (o.kind === 'sfno') {
    const ck = loadCheckpoint(o.checkpoint);
    // a checkpoint trained with a held-out period by date is calibrated inside its validation period
    const period = ck.training?.validationPeriod as { from?: unknown; testFrom?: unknown } | undefined;
    if (period && typeof period.from === 'string') {
      const to = typeof period.testFrom === 'string' ? noleapHoursFromDate(period.testFrom, `checkpoint ${o.checkpoint}: training.validationPeriod.testFrom`) : Infinity;
      window = { from: noleapHoursFromDate(period.from, `checkpoint ${o.checkpoint}: training.validationPeriod.from`), to, what: `the validation period (${period.from}${Number.isFinite(to) ? ` to ${String(period.testFrom)}` : ' on'})` };
    }
    const grid = sfnoGrid(ck);
    analyses = await TruthAnalyses.open(o.truth, grid, ck.channels.prognostic, '--truth');
    statics = await analyses.statics(ck.channels.statics);
    // the statics must be the ones the checkpoint was trained on: their mean and std are in its normalisation
    for (const [n, f] of statics) {
      const i = ck.normalisation.channels.indexOf(n);
      let s = 0;
      for (const v of f) s += v;
      const mean = s / f.length;
      let v2 = 0;
      for (const v of f) v2 += (v - mean) ** 2;
      const std = v2 / f.length > 1e-12 ? Math.sqrt(v2 / f.length) : 1;
      if (i >= 0 && !(close(mean, ck.normalisation.mean[i]) && close(std, ck.normalisation.std[i]))) {
        throw new Error(`--truth: static field '${n}' of ${o.truth} (mean ${mean}, std ${std}) is not the one checkpoint ${o.checkpoint} was trained on (mean ${ck.normalisation.mean[i]}, std ${ck.normalisation.std[i]})`);
      }
    }
    const st = statics;
    makeModel = () => SfnoForecastModel.create(ck, { statics: st, name, threads: o.threads });
  } else if (o.kind === 'planet') {
    const ck = readPlanetCheckpoint(o.checkpoint);
    makeModel = async () => new PlanetForecastModel({ ...planetModelOptions(ck), name, threads: o.threads });
    analyses = await TruthAnalyses.open(o.truth, PLANET_GRID, PLANET_CHANNELS, '--truth');
  } else {
    throw new Error(`--kind: got ${JSON.stringify(o.kind)}; expected 'sfno' or 'planet'`);
  }
  const inits = Array.isArray(o.inits)
    ? (o.inits as string[]).map((s, i) => hoursFromIso(s, `--inits[${i}]`))
    : defaultCalibrationInits(analyses, (o.inits as number | undefined) ?? 8, window);
  for (const t of inits) {
    analyses.timeIndex(t);
    analyses.timeIndex(t + CALIBRATION_LEAD_HOURS);
  }
  const model = await makeModel();
  const rmse = await measureRmse(model, analyses, inits, CALIBRATION_LEAD_HOURS, (k, t) => o.onInit?.(k, inits.length, t));
  return calibrationRecord(o.kind, name, model.channels, rmse, o.truth, inits, statics ? encodeStatics(model.grid, statics) : undefined);
}

/** A planet checkpoint's JSON text with a calibration embedded (rmse48h + how it was measured). */
export function embedCalibration(checkpointFile: string, cal: CalibrationFile): string {
  const json = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Record<string, unknown>;
  const { rmse48h, truth, inits, leadHours } = cal;
  return `${JSON.stringify({ ...json, rmse48h, calibration: { truth, inits, leadHours } }, null, 1)}\n`;
}
