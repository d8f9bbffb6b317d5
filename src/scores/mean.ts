// Mean diagnostics of an ensemble forecast (metrics-factsheet §2): ensemble-mean error, spread, the three
// spread-skill ratios, CRPS (fair/standard), ACC, energy score, control/best-member RMSE, latitude-weighted as WB2.

import { crpsSumsSorted } from './crps.ts';
import {
  areaMean,
  checkEnsemble,
  checkLatitudeWeights,
  checkLength,
  gridPoints,
  mean,
  type GridShape,
  type NumericArray,
} from './grid.ts';

/** An ensemble field for one time: member-major values (M, nlat, nlon). */
export interface EnsembleField {
  values: NumericArray;
  members: number;
  grid: GridShape;
}

function checkEnsembleField(ens: EnsembleField, truth: ArrayLike<number>, latWeights: Float64Array): number {
  const points = gridPoints(ens.grid);
  checkEnsemble(ens.values, ens.members, points, 'ensemble.values');
  checkLength('truth', truth, points, `nlat*nlon = ${ens.grid.nlat}*${ens.grid.nlon}`);
  checkLatitudeWeights(latWeights, ens.grid.nlat);
  return points;
}

/** Ensemble mean x̄ per point (Float64). */
export function ensembleMean(ens: EnsembleField): Float64Array {
  const points = gridPoints(ens.grid);
  checkEnsemble(ens.values, ens.members, points, 'ensemble.values');
  const out = new Float64Array(points);
  for (let m = 0; m < ens.members; m++) {
    const base = m * points;
    for (let p = 0; p < points; p++) out[p] = out[p]! + ens.values[base + p]!;
  }
  for (let p = 0; p < points; p++) out[p] = out[p]! / ens.members;
  return out;
}

/** Ensemble variance per point with ddof = 1 (§2.4, §7 trap 4); 0 for M = 1 (WB2 convention). */
export function ensembleVariance(ens: EnsembleField, meanField?: Float64Array): Float64Array {
  const points = gridPoints(ens.grid);
  const mu = meanField ?? ensembleMean(ens);
  const out = new Float64Array(points);
  if (ens.members < 2) return out;
  for (let m = 0; m < ens.members; m++) {
    const base = m * points;
    for (let p = 0; p < points; p++) {
      const d = ens.values[base + p]! - mu[p]!;
      out[p] = out[p]! + d * d;
    }
  }
  for (let p = 0; p < points; p++) out[p] = out[p]! / (ens.members - 1);
  return out;
}

/** Per-point CRPS parts (§1.3 WB2): skill = mean_m|x_m − y|, spread = ΣΣ|x_i − x_j|/(M(M−1)), fair and standard CRPS. */
export interface CrpsFields {
  skill: Float64Array;
  spread: Float64Array;
  fair: Float64Array;
  standard: Float64Array;
}

/** CRPS parts at every point of an ensemble field, sort-based O(M log M) per point. */
export function crpsFields(ens: EnsembleField, truth: ArrayLike<number>): CrpsFields {
  const points = gridPoints(ens.grid);
  checkEnsemble(ens.values, ens.members, points, 'ensemble.values');
  checkLength('truth', truth, points, 'nlat*nlon');
  const m = ens.members;
  const skill = new Float64Array(points);
  const spread = new Float64Array(points);
  const fair = new Float64Array(points);
  const standard = new Float64Array(points);
  const scratch = new Float64Array(m);
  for (let p = 0; p < points; p++) {
    for (let k = 0; k < m; k++) scratch[k] = ens.values[k * points + p]!;
    scratch.sort();
    const { absErrorSum, giniSum } = crpsSumsSorted(scratch, truth[p]!);
    skill[p] = absErrorSum / m;
    // WB2 CRPSSpread: 2·mean_m[(2 rank − M − 1) x]/(M−1); M = 1 → spread 0 (CRPS = MAE).
    spread[p] = m > 1 ? (2 * giniSum) / (m * (m - 1)) : 0;
    fair[p] = skill[p]! - 0.5 * spread[p]!;
    standard[p] = absErrorSum / m - giniSum / (m * m);
  }
  return { skill, spread, fair, standard };
}

/**
 * Area-weighted statistics of one forecast time (each an area mean ⟨·⟩ with latitude weights; §2.2–2.4).
 * These are the time-averageable statistics from which RMSE, spread, SSR and CRPS are formed.
 */
export interface EnsembleTimeStatistics {
  members: number;
  /** ⟨(y − x̄)²⟩ (WB2 EnsembleMeanMSE). */
  ensembleMeanMse: number;
  /** ⟨(y − x̄)² − s²/M⟩ (WB2 DebiasedEnsembleMeanMSE; NaN for M = 1). */
  debiasedEnsembleMeanMse: number;
  /** ⟨s²⟩ with ddof = 1 (WB2 EnsembleVariance). */
  ensembleVariance: number;
  /** ⟨mean_m|x_m − y|⟩ (WB2 CRPSSkill). */
  crpsSkill: number;
  /** ⟨ΣΣ|x_i − x_j|/(M(M−1))⟩ (WB2 CRPSSpread). */
  crpsSpread: number;
  /** Fair CRPS = crpsSkill − ½ crpsSpread (WB2 CRPS). */
  crpsFair: number;
  /** Standard (ECDF) CRPS area mean (properscoring/xskillscore; HENS Part I). */
  crpsStandard: number;
}

/** All mean-diagnostic statistics of one forecast time. */
export function ensembleTimeStatistics(
  ens: EnsembleField,
  truth: ArrayLike<number>,
  latWeights: Float64Array,
): EnsembleTimeStatistics {
  const points = checkEnsembleField(ens, truth, latWeights);
  const mu = ensembleMean(ens);
  const variance = ensembleVariance(ens, mu);
  const se = new Float64Array(points);
  const debiased = new Float64Array(points);
  for (let p = 0; p < points; p++) {
    const d = truth[p]! - mu[p]!;
    se[p] = d * d;
    debiased[p] = ens.members > 1 ? se[p]! - variance[p]! / ens.members : Number.NaN;
  }
  const crps = crpsFields(ens, truth);
  return {
    members: ens.members,
    ensembleMeanMse: areaMean(se, ens.grid, latWeights),
    debiasedEnsembleMeanMse: areaMean(debiased, ens.grid, latWeights),
    ensembleVariance: areaMean(variance, ens.grid, latWeights),
    crpsSkill: areaMean(crps.skill, ens.grid, latWeights),
    crpsSpread: areaMean(crps.spread, ens.grid, latWeights),
    crpsFair: areaMean(crps.fair, ens.grid, latWeights),
    crpsStandard: areaMean(crps.standard, ens.grid, latWeights),
  };
}

/** Spread-skill ratio in its three forms (§2.5). */
export interface SpreadSkillRatios {
  /** sqrt(mean⟨s²⟩)/sqrt(mean⟨(x̄−y)²⟩) (WB2 visualisation, earth2studio); → sqrt(M/(M+1)) for a perfect ensemble. */
  plain: number;
  /** sqrt((M+1)/M) · plain (Fortin et al. 2014; easyVerification FairSprErr); → 1. */
  fortin: number;
  /** sqrt(mean⟨s²⟩ / mean⟨(x̄−y)² − s²/M⟩) (WBX UnbiasedSpreadSkillRatio, makani); → 1. */
  unbiased: number;
}

/** The three spread-skill ratios from time-averaged variance and ensemble-mean MSE (§2.5). */
export function spreadSkillRatios(meanVariance: number, meanEnsembleMeanMse: number, members: number): SpreadSkillRatios {
  if (!Number.isInteger(members) || members < 1) throw new Error(`members must be a positive integer, got ${members}`);
  const plain = Math.sqrt(meanVariance) / Math.sqrt(meanEnsembleMeanMse);
  return {
    plain,
    fortin: Math.sqrt((members + 1) / members) * plain,
    unbiased: Math.sqrt(meanVariance / (meanEnsembleMeanMse - meanVariance / members)),
  };
}

/** Mean diagnostics over several forecast times (init times for one lead), WB2 order: area mean, then time mean (§2.2). */
export interface EnsembleSummary {
  members: number;
  times: number;
  ensembleMeanMse: number;
  debiasedEnsembleMeanMse: number;
  ensembleVariance: number;
  /** RMSE of the ensemble mean = sqrt(mean_t ⟨(y − x̄)²⟩) (§2.3, §7 trap 3). */
  ensembleMeanRmse: number;
  /** Spread = sqrt(mean_t ⟨s²⟩) (§2.4). */
  spread: number;
  /** Legacy mean_t sqrt(⟨(y − x̄)²⟩_t) (WB2 EnsembleMeanRMSESqrtBeforeTimeAvg). */
  ensembleMeanRmseSqrtBeforeTimeAvg: number;
  /** Legacy mean_t sqrt(⟨s²⟩_t) (WB2 EnsembleStddevSqrtBeforeTimeAvg). */
  spreadSqrtBeforeTimeAvg: number;
  spreadSkill: SpreadSkillRatios;
  crpsSkill: number;
  crpsSpread: number;
  crpsFair: number;
  crpsStandard: number;
  /** CRPS spread/skill ratio E|X − X'|/E|X − Y| = crpsSpread/crpsSkill (WB2 CRPS docstring: 1 if X ~ Y, 0 <= SS < 2). */
  crpsSpreadSkill: number;
}

/** Combines per-time statistics into the reported mean diagnostics (time means, then sqrt/ratios). */
export function summariseEnsemble(perTime: readonly EnsembleTimeStatistics[]): EnsembleSummary {
  if (perTime.length === 0) throw new Error('summariseEnsemble: no forecast times given');
  const members = perTime[0]!.members;
  for (const s of perTime) {
    if (s.members !== members) throw new Error(`summariseEnsemble: member counts differ (${members} vs ${s.members})`);
  }
  const pick = (f: (s: EnsembleTimeStatistics) => number): number => mean(perTime.map(f));
  const mse = pick((s) => s.ensembleMeanMse);
  const variance = pick((s) => s.ensembleVariance);
  return {
    members,
    times: perTime.length,
    ensembleMeanMse: mse,
    debiasedEnsembleMeanMse: pick((s) => s.debiasedEnsembleMeanMse),
    ensembleVariance: variance,
    ensembleMeanRmse: Math.sqrt(mse),
    spread: Math.sqrt(variance),
    ensembleMeanRmseSqrtBeforeTimeAvg: pick((s) => Math.sqrt(s.ensembleMeanMse)),
    spreadSqrtBeforeTimeAvg: pick((s) => Math.sqrt(s.ensembleVariance)),
    spreadSkill: spreadSkillRatios(variance, mse, members),
    crpsSkill: pick((s) => s.crpsSkill),
    crpsSpread: pick((s) => s.crpsSpread),
    crpsFair: pick((s) => s.crpsFair),
    crpsStandard: pick((s) => s.crpsStandard),
    crpsSpreadSkill: pick((s) => s.crpsSpread) / pick((s) => s.crpsSkill),
  };
}

/** Area-mean squared error ⟨(f − y)²⟩ of one deterministic field (WB2 MSE for one time). */
export function meanSquaredError(forecast: ArrayLike<number>, truth: ArrayLike<number>, grid: GridShape, latWeights: Float64Array): number {
  const points = gridPoints(grid);
  checkLength('forecast', forecast, points, 'nlat*nlon');
  checkLength('truth', truth, points, 'nlat*nlon');
  const se = new Float64Array(points);
  for (let p = 0; p < points; p++) {
    const d = forecast[p]! - truth[p]!;
    se[p] = d * d;
  }
  return areaMean(se, grid, latWeights);
}

function memberView(ens: EnsembleField, m: number): NumericArray {
  const points = gridPoints(ens.grid);
  if (!Number.isInteger(m) || m < 0 || m >= ens.members) {
    throw new Error(`member index must be an integer in [0, ${ens.members - 1}], got ${m}`);
  }
  return ens.values.subarray(m * points, (m + 1) * points);
}

/** Per-member area-mean squared errors ⟨(x_m − y)²⟩ of one time (the basis of control and best-member RMSE). */
export function memberMeanSquaredErrors(ens: EnsembleField, truth: ArrayLike<number>, latWeights: Float64Array): Float64Array {
  checkEnsembleField(ens, truth, latWeights);
  const out = new Float64Array(ens.members);
  for (let m = 0; m < ens.members; m++) out[m] = meanSquaredError(memberView(ens, m), truth, ens.grid, latWeights);
  return out;
}

/** Area-mean squared error of the control member (member `control`, default 0 = unperturbed; HENS `deterministic_mse`). */
export function controlMemberMse(ens: EnsembleField, truth: ArrayLike<number>, latWeights: Float64Array, control = 0): number {
  checkEnsembleField(ens, truth, latWeights);
  return meanSquaredError(memberView(ens, control), truth, ens.grid, latWeights);
}

/** The member with the smallest area-mean squared error at one time, and its RMSE. */
export function bestMember(ens: EnsembleField, truth: ArrayLike<number>, latWeights: Float64Array): { member: number; rmse: number } {
  const mse = memberMeanSquaredErrors(ens, truth, latWeights);
  let best = 0;
  for (let m = 1; m < mse.length; m++) if (mse[m]! < mse[best]!) best = m;
  return { member: best, rmse: Math.sqrt(mse[best]!) };
}

/**
 * Best member at each grid cell (HENS Part II "most accurate member" per cell): min_m |x_m − y| per point,
 * and its area-weighted RMS sqrt(⟨min_m (x_m − y)²⟩).
 */
export function bestMemberPerPoint(
  ens: EnsembleField,
  truth: ArrayLike<number>,
  latWeights: Float64Array,
): { minAbsError: Float64Array; rmse: number } {
  const points = checkEnsembleField(ens, truth, latWeights);
  const minAbs = new Float64Array(points).fill(Infinity);
  for (let m = 0; m < ens.members; m++) {
    const base = m * points;
    for (let p = 0; p < points; p++) {
      const e = Math.abs(ens.values[base + p]! - truth[p]!);
      if (e < minAbs[p]! || Number.isNaN(e)) minAbs[p] = e;
    }
  }
  const sq = new Float64Array(points);
  for (let p = 0; p < points; p++) sq[p] = minAbs[p]! * minAbs[p]!;
  return { minAbsError: minAbs, rmse: Math.sqrt(areaMean(sq, ens.grid, latWeights)) };
}

/** Area-mean products for ACC at one time (§2.6): ⟨f'y'⟩, ⟨f'²⟩, ⟨y'²⟩ with f' = f − c, y' = y − c (uncentred). */
export interface AnomalyProducts {
  forecastTruth: number;
  forecastForecast: number;
  truthTruth: number;
}

/** Area-mean anomaly products of one time (uncentred: the spatial mean of anomalies is not removed). */
export function anomalyProducts(
  forecast: ArrayLike<number>,
  truth: ArrayLike<number>,
  climatology: ArrayLike<number>,
  grid: GridShape,
  latWeights: Float64Array,
): AnomalyProducts {
  const points = gridPoints(grid);
  checkLength('forecast', forecast, points, 'nlat*nlon');
  checkLength('truth', truth, points, 'nlat*nlon');
  checkLength('climatology', climatology, points, 'nlat*nlon');
  const fy = new Float64Array(points);
  const ff = new Float64Array(points);
  const yy = new Float64Array(points);
  for (let p = 0; p < points; p++) {
    const fa = forecast[p]! - climatology[p]!;
    const ya = truth[p]! - climatology[p]!;
    fy[p] = fa * ya;
    ff[p] = fa * fa;
    yy[p] = ya * ya;
  }
  return {
    forecastTruth: areaMean(fy, grid, latWeights),
    forecastForecast: areaMean(ff, grid, latWeights),
    truthTruth: areaMean(yy, grid, latWeights),
  };
}

/** Uncentred ACC of one time: ⟨f'y'⟩/sqrt(⟨f'²⟩⟨y'²⟩) (WB2 ACC per time, §2.6). */
export function anomalyCorrelation(products: AnomalyProducts): number {
  return products.forecastTruth / Math.sqrt(products.forecastForecast * products.truthTruth);
}

/** ACC over times: WB2 = mean of per-time ACCs; pooled (WBX) = ratio of time-mean products (§2.6, §7 trap 7). */
export function anomalyCorrelationOverTimes(perTime: readonly AnomalyProducts[]): { wb2: number; pooled: number } {
  if (perTime.length === 0) throw new Error('anomalyCorrelationOverTimes: no forecast times given');
  const wb2 = mean(perTime.map(anomalyCorrelation));
  const pooled = anomalyCorrelation({
    forecastTruth: mean(perTime.map((p) => p.forecastTruth)),
    forecastForecast: mean(perTime.map((p) => p.forecastForecast)),
    truthTruth: mean(perTime.map((p) => p.truthTruth)),
  });
  return { wb2, pooled };
}

/** Energy-score spread estimator (§2.7, §7 trap 12). */
export type EnergySpreadEstimator = 'adjacent' | 'fair' | 'standard';

/**
 * Energy score of one time with the area-weighted L2 norm ‖a‖ = sqrt(⟨a²⟩) (§2.7):
 * skill = mean_m ‖x_m − y‖; spread 'adjacent' = (1/(M−1)) Σ_n ‖x_n − x_{n+1}‖ (WB2 EnergyScore),
 * 'fair' = ΣΣ_{i≠j} ‖x_i − x_j‖/(M(M−1)), 'standard' = ΣΣ‖x_i − x_j‖/M² (WBX / scoringrules, O(M²) norms).
 * ES = skill − ½ spread.
 */
export function energyScore(
  ens: EnsembleField,
  truth: ArrayLike<number>,
  latWeights: Float64Array,
  spreadEstimator: EnergySpreadEstimator = 'adjacent',
): { skill: number; spread: number; score: number } {
  checkEnsembleField(ens, truth, latWeights);
  const m = ens.members;
  const norm = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.sqrt(meanSquaredError(a, b, ens.grid, latWeights));
  let skill = 0;
  for (let k = 0; k < m; k++) skill += norm(memberView(ens, k), truth);
  skill /= m;
  let spread = 0;
  if (m > 1) {
    if (spreadEstimator === 'adjacent') {
      for (let k = 0; k + 1 < m; k++) spread += norm(memberView(ens, k), memberView(ens, k + 1));
      spread /= m - 1;
    } else if (spreadEstimator === 'fair' || spreadEstimator === 'standard') {
      let pairs = 0;
      for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) pairs += norm(memberView(ens, i), memberView(ens, j));
      spread = (2 * pairs) / (spreadEstimator === 'fair' ? m * (m - 1) : m * m);
    } else {
      throw new Error(`energy score spread estimator must be 'adjacent', 'fair' or 'standard', got ${String(spreadEstimator)}`);
    }
  }
  return { skill, spread, score: skill - 0.5 * spread };
}
