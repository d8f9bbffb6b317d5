// Calibration files of planet-kind checkpoints ("<checkpoint>.calibration.json", docs/formats.md "Calibration
// files"): the per-channel 48-h RMSE that sets bred-vector amplitudes, how it was measured, and for SFNO checkpoints
// the static input fields of their training data; plus the measurement itself (`myriad calibrate`).
import { existsSync, readFileSync } from 'node:fs';
import { gridAreaWeights, type Grid } from '../sphere/grid.ts';
import type { AnalysisSource, ForecastModel, Hours } from './model.ts';
import { isoFromHours } from './model.ts';

export const CALIBRATION_FORMAT = 'myriad-calibration';
export const CALIBRATION_SUFFIX = '.calibration.json';
export const CALIBRATION_LEAD_HOURS = 48;

/** Static fields stored with a calibration: float32 little-endian, base64, [nlat, nlon] each. */
export interface EncodedStatics {
  shape: [number, number];
  dtype: 'float32';
  encoding: 'base64';
  fields: Record<string, string>;
}

export interface CalibrationFile {
  format: typeof CALIBRATION_FORMAT;
  version: 1;
  /** model kind ("sfno", "planet") and checkpoint file name the calibration belongs to */
  kind: string;
  checkpoint: string;
  leadHours: typeof CALIBRATION_LEAD_HOURS;
  /** per-channel RMSE at leadHours, area-weighted (WeatherBench 2 weights), √(mean over inits of the weighted MSE) */
  rmse48h: Record<string, number>;
  /** the truth store the analyses came from, and the init times used (ISO, UTC) */
  truth: { store: string };
  inits: string[];
  /** SFNO: the static input fields (orography, land_fraction) of the truth store, as the model was trained on */
  statics?: EncodedStatics;
}

/** The calibration file that belongs to a checkpoint. */
export function calibrationPath(checkpoint: string): string {
  return `${checkpoint}${CALIBRATION_SUFFIX}`;
}

export function encodeStatics(grid: Grid, fields: Map<string, Float32Array>): EncodedStatics {
  const out: Record<string, string> = {};
  for (const [name, f] of fields) {
    if (f.length !== grid.nlat * grid.nlon) throw new RangeError(`static field '${name}': ${f.length} values, expected ${grid.nlat}×${grid.nlon}`);
    const bytes = new Uint8Array(f.length * 4);
    const view = new DataView(bytes.buffer);
    f.forEach((v, i) => view.setFloat32(4 * i, v, true));
    out[name] = Buffer.from(bytes).toString('base64');
  }
  return { shape: [grid.nlat, grid.nlon], dtype: 'float32', encoding: 'base64', fields: out };
}

export function decodeStatics(s: EncodedStatics, where: string): Map<string, Float32Array> {
  if (!s || !Array.isArray(s.shape) || s.shape.length !== 2 || s.dtype !== 'float32' || s.encoding !== 'base64' || typeof s.fields !== 'object') {
    throw new Error(`${where}: statics must be {shape: [nlat, nlon], dtype: "float32", encoding: "base64", fields: {name: base64}}`);
  }
  const n = s.shape[0] * s.shape[1];
  const out = new Map<string, Float32Array>();
  for (const [name, text] of Object.entries(s.fields)) {
    const bytes = Buffer.from(String(text), 'base64');
    if (bytes.length !== 4 * n) throw new Error(`${where}: statics.fields.${name} holds ${bytes.length} bytes, expected ${4 * n} (float32 [${s.shape.join(', ')}])`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    out.set(name, Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true)));
  }
  return out;
}

/**
 * Reads and checks a calibration file for a model with `channels`; errors name the file and the field. A missing
 * file is an error that says how to make one.
 */
export function readCalibration(file: string, kind: string, channels: readonly string[]): CalibrationFile {
  if (!existsSync(file)) {
    throw new Error(`calibration ${file} does not exist; measure it with \`myriad calibrate --kind ${kind} --checkpoint <checkpoint> --truth <truth store>\``);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`calibration ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  const j = json as Partial<CalibrationFile>;
  const where = `calibration ${file}`;
  if (j?.format !== CALIBRATION_FORMAT) throw new Error(`${where}: format is ${JSON.stringify(j?.format)}, expected "${CALIBRATION_FORMAT}"`);
  if (j.version !== 1) throw new Error(`${where}: version ${JSON.stringify(j.version)} is not supported (expected 1)`);
  if (j.kind !== kind) throw new Error(`${where}: kind is ${JSON.stringify(j.kind)}, expected "${kind}"`);
  if (j.leadHours !== CALIBRATION_LEAD_HOURS) throw new Error(`${where}: leadHours is ${JSON.stringify(j.leadHours)}, expected ${CALIBRATION_LEAD_HOURS}`);
  const r = j.rmse48h as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') throw new Error(`${where}: rmse48h must be an object {channel: RMSE}, got ${JSON.stringify(j.rmse48h)}`);
  for (const c of channels) {
    const v = r[c];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new Error(`${where}: rmse48h.${c} must be a positive number, got ${JSON.stringify(v)}`);
  }
  return j as CalibrationFile;
}

/**
 * Per-channel area-weighted (WeatherBench 2 weights) RMSE of `model`'s forecasts at `leadHours` from the analyses
 * at `inits` against the analyses valid then: RMSE_c = √(mean over inits of Σ_ij w_i (f − a)² / (nlat·nlon)).
 * Each init runs on its own (a model step takes one valid time per call).
 */
export async function measureRmse(model: ForecastModel, analyses: AnalysisSource, inits: readonly Hours[], leadHours = CALIBRATION_LEAD_HOURS, onInit?: (k: number, time: Hours) => void): Promise<Float64Array> {
  const C = model.channels.length;
  const { nlat, nlon } = model.grid;
  const P = nlat * nlon;
  const w = gridAreaWeights(model.grid);
  const steps = Math.round(leadHours / model.stepHours);
  if (steps * model.stepHours !== leadHours) throw new RangeError(`calibration: lead ${leadHours} h is not a whole number of ${model.stepHours}-h steps`);
  if (inits.length === 0) throw new RangeError('calibration: no init times');
  const idx = analyses.channels.length === C && analyses.channels.every((c, i) => c === model.channels[i]);
  if (!idx) throw new RangeError(`calibration: the analyses' channels (${analyses.channels.join(', ')}) differ from the model's (${model.channels.join(', ')})`);
  const sse = new Float64Array(C);
  for (let k = 0; k < inits.length; k++) {
    onInit?.(k, inits[k]);
    let state = await analyses.analysis(inits[k]);
    let t = inits[k];
    for (let s = 0; s < steps; s++, t += model.stepHours) state = await model.step(state, 1, t);
    const truth = await analyses.analysis(t);
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let i = 0; i < nlat; i++) {
        let row = 0;
        for (let j = 0; j < nlon; j++) {
          const d = state[c * P + i * nlon + j] - truth[c * P + i * nlon + j];
          row += d * d;
        }
        acc += w[i] * row;
      }
      sse[c] += acc / P;
    }
  }
  return sse.map((v) => Math.sqrt(v / inits.length));
}

/** The calibration record of a measurement. */
export function calibrationRecord(kind: string, checkpoint: string, channels: readonly string[], rmse: ArrayLike<number>, store: string, inits: readonly Hours[], statics?: EncodedStatics): CalibrationFile {
  return {
    format: CALIBRATION_FORMAT,
    version: 1,
    kind,
    checkpoint,
    leadHours: CALIBRATION_LEAD_HOURS,
    rmse48h: Object.fromEntries(channels.map((c, i) => [c, rmse[i]])),
    truth: { store },
    inits: inits.map(isoFromHours),
    ...(statics ? { statics } : {}),
  };
}
