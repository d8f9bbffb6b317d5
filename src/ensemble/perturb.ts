// Initial-condition perturbations: HENS hemispheric centred bred vectors (fact sheet §1.2), and the baselines
// (Gaussian and correlated-field noise without breeding, lagged ensembles, none). Model-agnostic: they use only
// the ForecastModel and AnalysisSource interfaces and counter-based keys from members.ts.
import { type PhiloxKey, normalFill } from '../engine/index.ts';
import { type Grid, gridGeometry } from '../sphere/grid.ts';
import { CorrelatedSphericalField, HENS_SEED_NOISE } from '../sphere/randomField.ts';
import type { AnalysisSource, ForecastModel, Hours } from './model.ts';
import { type EnsembleLayout, type MemberIdentity, perturbationKey } from './members.ts';

/** Perturbation settings (validated by config.ts). */
export type PerturbationSpec =
  | {
      method: 'bred-vector';
      /** Target = amplitude × the checkpoint's 48-h RMSE per channel (HENS: 0.35). */
      amplitude: number;
      /** Breeding cycles of one step each, from the analyses at t0 − (cycles−1)·step … t0 (HENS: 3). */
      cycles: number;
      /** The channel that gets the seed noise (HENS: z500). */
      seedChannel: string;
      /** Edge of the extratropics in degrees (HENS: 20). */
      boundDegrees: number;
    }
  | { method: 'gaussian'; amplitude: number; channels?: string[]; paired: boolean }
  | { method: 'correlated'; amplitude: number; channels?: string[]; paired: boolean }
  | { method: 'lagged'; lagHours: number }
  | { method: 'none' };

/** The HENS settings (fact sheet §1.2). */
export const HENS_BRED_VECTOR: PerturbationSpec = { method: 'bred-vector', amplitude: 0.35, cycles: 3, seedChannel: 'z500', boundDegrees: 20 };

/** Whether a method makes ± pairs. */
export function isPaired(spec: PerturbationSpec): boolean {
  if (spec.method === 'bred-vector') return true;
  if (spec.method === 'gaussian' || spec.method === 'correlated') return spec.paired;
  return false;
}

// ------------------------------------------------------------------------------------------------ hemispheric RMS

/** Grid geometry per (kind, nlat, nlon), computed once: breeding rescales every member at every cycle (read only). */
const geometryCache = new Map<string, ReturnType<typeof gridGeometry>>();
function cachedGeometry(grid: Grid): ReturnType<typeof gridGeometry> {
  const key = `${grid.kind}:${grid.nlat}:${grid.nlon}`;
  let geo = geometryCache.get(key);
  if (!geo) geometryCache.set(key, (geo = gridGeometry(grid)));
  return geo;
}

/**
 * Row weights of the HENS RMS: sin(colatitude) normalised to mean 1 over all rows (earth2mip-fork
 * `calculate_nh_rms`; on the equiangular grid with poles this is sin(linspace(0, π, nlat))).
 */
export function hensRowWeights(grid: Grid): Float64Array {
  const geo = cachedGeometry(grid);
  const w = geo.colatitudes.map((t) => Math.sin(t));
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  return w.map((v) => v / mean);
}

/** Rows north of +bound (NH set), south of −bound (SH set), and the tropical rows between. */
export function hemisphereRows(grid: Grid, boundDegrees: number): { nh: number; sh: number } {
  const lat = cachedGeometry(grid).latitudesDeg;
  const eps = 1e-9;
  let nh = 0;
  while (nh < lat.length && lat[nh] > boundDegrees + eps) nh++;
  let sh = 0;
  while (sh < lat.length - nh && lat[lat.length - 1 - sh] < -boundDegrees - eps) sh++;
  if (nh === 0 || sh === 0) throw new RangeError(`hemispheric RMS: no grid rows beyond ±${boundDegrees}° on a ${grid.nlat}-row grid`);
  return { nh, sh };
}

/**
 * The HENS hemispheric RMS profile of a field [C, nlat, nlon]: per channel the RMS over the NH rows (weighted mean
 * of w·dx² over those rows' points, w as {@link hensRowWeights}), the same over the SH rows, and per row r(j): the
 * NH value on NH rows, the SH value on SH rows, and torch.linspace(NH, SH, n_tropics) across the tropical rows.
 */
export function hemisphericRms(dx: ArrayLike<number>, channels: number, grid: Grid, boundDegrees = 20): { nh: Float64Array; sh: Float64Array; profile: Float64Array } {
  const { nlat, nlon } = grid;
  if (dx.length !== channels * nlat * nlon) throw new RangeError(`hemisphericRms: field has ${dx.length} values, expected [${channels}, ${nlat}, ${nlon}]`);
  const w = hensRowWeights(grid);
  const rows = hemisphereRows(grid, boundDegrees);
  const nhRms = new Float64Array(channels);
  const shRms = new Float64Array(channels);
  const profile = new Float64Array(channels * nlat);
  const nt = nlat - rows.nh - rows.sh;
  for (let c = 0; c < channels; c++) {
    const base = c * nlat * nlon;
    let sn = 0;
    for (let i = 0; i < rows.nh; i++) for (let j = 0; j < nlon; j++) sn += w[i] * dx[base + i * nlon + j] ** 2;
    let ss = 0;
    for (let i = nlat - rows.sh; i < nlat; i++) for (let j = 0; j < nlon; j++) ss += w[i] * dx[base + i * nlon + j] ** 2;
    const rn = Math.sqrt(sn / (rows.nh * nlon));
    const rs = Math.sqrt(ss / (rows.sh * nlon));
    nhRms[c] = rn;
    shRms[c] = rs;
    for (let i = 0; i < nlat; i++) {
      let r: number;
      if (i < rows.nh) r = rn;
      else if (i >= nlat - rows.sh) r = rs;
      else {
        const k = i - rows.nh;
        r = nt === 1 ? rn : rn + ((rs - rn) * k) / (nt - 1);
      }
      profile[c * nlat + i] = r;
    }
  }
  return { nh: nhRms, sh: shRms, profile };
}

/**
 * HENS hemispheric rescaling in place: dx_c[j, :] ← dx_c[j, :] · target_c / r_c(j). A zero r (a constant channel,
 * earth2studio PR #364) is replaced by 1.
 */
export function hemisphericRescale(dx: Float64Array, channels: number, grid: Grid, target: ArrayLike<number>, boundDegrees = 20): void {
  const { nlat, nlon } = grid;
  const { profile } = hemisphericRms(dx, channels, grid, boundDegrees);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < nlat; i++) {
      const r = profile[c * nlat + i];
      const f = target[c] / (r > 0 ? r : 1);
      const base = (c * nlat + i) * nlon;
      for (let j = 0; j < nlon; j++) dx[base + j] *= f;
    }
  }
}

// ------------------------------------------------------------------------------------------------ seed noise

const fieldCache = new Map<string, CorrelatedSphericalField>();

/** The HENS seed-noise field on a grid (L = 500 km, τ = 48 h, σ = 1), `count` independent fields. */
export function seedNoiseField(grid: Grid, count = 1): CorrelatedSphericalField {
  const k = `${grid.kind}:${grid.nlat}:${grid.nlon}:${count}`;
  let f = fieldCache.get(k);
  if (!f) {
    f = new CorrelatedSphericalField({ grid, ...HENS_SEED_NOISE, count });
    fieldCache.set(k, f);
  }
  return f;
}

/** One draw (the AR(1) initial state, as the reference's first forward()) of `count` fields: [count, nlat, nlon]. */
export function correlatedNoise(grid: Grid, key: PhiloxKey, count = 1): Float64Array {
  const f = seedNoiseField(grid, count);
  return f.toGrid(f.initialState(key)).data;
}

function channelIndex(model: ForecastModel, name: string, what: string): number {
  const i = model.channels.indexOf(name);
  if (i < 0) throw new RangeError(`${what}: channel '${name}' is not one of the model's channels (${model.channels.join(', ')})`);
  return i;
}

/** Per-channel targets amplitude × RMSE_48h; errors if the calibration is missing. */
export function perturbationTargets(model: ForecastModel, amplitude: number): Float64Array {
  return model.rmse48h.map((r, c) => {
    if (!(r > 0)) throw new RangeError(`model ${model.name}: the 48-h RMSE calibration of channel '${model.channels[c]}' is ${r}; bred-vector amplitudes need a positive value`);
    return amplitude * r;
  });
}

// ------------------------------------------------------------------------------------------------ bred vectors

/** Runs `states` (K members) through one model step in batches of at most `batchSize`. */
export async function stepInBatches(model: ForecastModel, states: Float32Array, members: number, time: Hours, batchSize: number): Promise<Float32Array> {
  const per = states.length / members;
  const out = new Float32Array(states.length);
  for (let b0 = 0; b0 < members; b0 += batchSize) {
    const n = Math.min(batchSize, members - b0);
    out.set(await model.step(states.subarray(b0 * per, (b0 + n) * per), n, time), b0 * per);
  }
  return out;
}

/** {@link stepInBatches} over `steps` steps, through the model's multi-step `advance` when it has one. */
export async function advanceInBatches(model: ForecastModel, states: Float32Array, members: number, time: Hours, batchSize: number, steps: number): Promise<Float32Array> {
  if (steps === 1 || !model.advance) {
    let s = states;
    for (let k = 0; k < steps; k++) s = await stepInBatches(model, s, members, time + k * model.stepHours, batchSize);
    return s;
  }
  const per = states.length / members;
  const out = new Float32Array(states.length);
  for (let b0 = 0; b0 < members; b0 += batchSize) {
    const n = Math.min(batchSize, members - b0);
    out.set(await model.advance(states.subarray(b0 * per, (b0 + n) * per), n, time, steps), b0 * per);
  }
  return out;
}

/**
 * HENS bred vectors for perturbation keys `keys` (one per bred vector), fact sheet §1.2:
 * dx = T ⊙ η with η the correlated seed field on the seed channel only (others 0), T_c = amplitude · RMSE_48h(c);
 * then for step = cycles−1 … 0: x0 = X(t0 − step·Δt), dx = M(x0 + dx) − M(x0), hemispheric rescale to T.
 * Returns one float64 [C, nlat, nlon] per key. Each bred vector depends only on its key (batches are independent).
 */
export async function breedVectors(
  model: ForecastModel,
  analyses: AnalysisSource,
  t0: Hours,
  keys: readonly PhiloxKey[],
  spec: Extract<PerturbationSpec, { method: 'bred-vector' }>,
  batchSize = 8,
): Promise<Float64Array[]> {
  const C = model.channels.length;
  const { nlat, nlon } = model.grid;
  const P = nlat * nlon;
  const target = perturbationTargets(model, spec.amplitude);
  const hc = channelIndex(model, spec.seedChannel, 'perturbation.seedChannel');
  const K = keys.length;
  const dxs = keys.map((key) => {
    const eta = correlatedNoise(model.grid, key, 1);
    const dx = new Float64Array(C * P);
    for (let k = 0; k < P; k++) dx[hc * P + k] = target[hc] * eta[k];
    return dx;
  });
  for (let step = spec.cycles - 1; step >= 0; step--) {
    const t = t0 - step * model.stepHours;
    const x0 = await analyses.analysis(t);
    const xc = await model.step(x0, 1, t);
    const xp = new Float32Array(K * C * P);
    for (let k = 0; k < K; k++) {
      const dx = dxs[k];
      for (let i = 0; i < C * P; i++) xp[k * C * P + i] = x0[i] + dx[i];
    }
    const yp = await stepInBatches(model, xp, K, t, batchSize);
    for (let k = 0; k < K; k++) {
      const dx = dxs[k];
      for (let i = 0; i < C * P; i++) dx[i] = yp[k * C * P + i] - xc[i];
      hemisphericRescale(dx, C, model.grid, target, spec.boundDegrees);
    }
  }
  return dxs;
}

// ------------------------------------------------------------------------------------------------ members' initial states

/** Which channels a noise baseline perturbs (default all). */
function channelMask(model: ForecastModel, channels: string[] | undefined): Uint8Array {
  const m = new Uint8Array(model.channels.length);
  if (!channels) m.fill(1);
  else for (const name of channels) m[channelIndex(model, name, 'perturbation.channels')] = 1;
  return m;
}

/** x ± dx rounded to float32, with the model's non-negative channels clipped at 0. */
export function applyPerturbation(model: ForecastModel, x0: Float32Array, dx: Float64Array | null, sign: 1 | -1, out: Float32Array): void {
  const C = model.channels.length;
  const P = x0.length / C;
  if (dx) for (let i = 0; i < x0.length; i++) out[i] = x0[i] + sign * dx[i];
  else out.set(x0);
  for (const name of model.nonNegative) {
    const c = model.channels.indexOf(name);
    if (c < 0) continue;
    for (let k = c * P; k < (c + 1) * P; k++) if (out[k] < 0) out[k] = 0;
  }
}

/** Everything needed to make members' initial states for one (init, checkpoint). */
export interface InitialStateContext {
  model: ForecastModel;
  analyses: AnalysisSource;
  /** Init time and its index in the run (the key uses the time). */
  t0: Hours;
  runSeed: number;
  layout: EnsembleLayout;
  spec: PerturbationSpec;
  batchSize: number;
}

/**
 * Initial states [members.length, C, nlat, nlon] of the given members (all of one checkpoint) valid at t0. Each
 * member's state depends only on its identity, the run seed, the init time, the model and the analyses.
 */
export async function initialStates(ctx: InitialStateContext, members: readonly MemberIdentity[]): Promise<Float32Array> {
  const { model, analyses, t0, spec } = ctx;
  const C = model.channels.length;
  const P = model.grid.nlat * model.grid.nlon;
  const out = new Float32Array(members.length * C * P);
  if (members.length === 0) return out;
  const checkpoint = members[0].checkpoint;
  if (members.some((m) => m.checkpoint !== checkpoint)) throw new RangeError('initialStates: all members must belong to one checkpoint');
  const x0 = await analyses.analysis(t0);
  // the distinct perturbations needed (control members need none)
  const needed = [...new Set(members.filter((m) => !m.control).map((m) => m.perturbation))].sort((a, b) => a - b);
  const dx = new Map<number, Float64Array | null>();
  if (spec.method === 'bred-vector') {
    const keys = needed.map((k) => perturbationKey(ctx.runSeed, t0, checkpoint, k, 'seed'));
    const vecs = await breedVectors(model, analyses, t0, keys, spec, ctx.batchSize);
    needed.forEach((k, i) => dx.set(k, vecs[i]));
  } else if (spec.method === 'gaussian' || spec.method === 'correlated') {
    const target = perturbationTargets(model, spec.amplitude);
    const mask = channelMask(model, spec.channels);
    for (const k of needed) {
      const key = perturbationKey(ctx.runSeed, t0, checkpoint, k, spec.method);
      let noise: Float64Array;
      if (spec.method === 'gaussian') {
        noise = new Float64Array(C * P);
        normalFill(noise, key, [0x47415553, 0]); // "GAUS", step 0
      } else {
        noise = correlatedNoise(model.grid, key, C);
      }
      for (let c = 0; c < C; c++) for (let i = c * P; i < (c + 1) * P; i++) noise[i] = mask[c] ? target[c] * noise[i] : 0;
      dx.set(k, noise);
    }
  } else if (spec.method === 'lagged') {
    // member k starts from the analysis k lags earlier and is stepped forward to t0 (its own forecast, valid at t0)
    const lagSteps = spec.lagHours / model.stepHours;
    if (!Number.isInteger(lagSteps) || lagSteps < 1) throw new RangeError(`perturbation.lagHours: ${spec.lagHours} is not a positive multiple of the model step (${model.stepHours} h)`);
    for (let mi = 0; mi < members.length; mi++) {
      const m = members[mi];
      const lag = m.control ? 0 : m.perturbation;
      let t = t0 - lag * spec.lagHours;
      let x = await analyses.analysis(t);
      for (let s = 0; s < lag * lagSteps; s++, t += model.stepHours) x = await model.step(x, 1, t);
      out.set(x, mi * C * P);
    }
    return out;
  }
  const tmp = new Float32Array(C * P);
  members.forEach((m, mi) => {
    applyPerturbation(model, x0, m.control || spec.method === 'none' ? null : dx.get(m.perturbation)!, m.sign, tmp);
    out.set(tmp, mi * C * P);
  });
  return out;
}
