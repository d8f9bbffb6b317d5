// End-to-end check against WeatherBench 2 run on the closed-form dataset of metrics-factsheet §2.9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latitudeWeights, pointWeights } from '../../src/scores/grid.ts';
import {
  anomalyCorrelation,
  anomalyCorrelationOverTimes,
  anomalyProducts,
  controlMemberMse,
  meanSquaredError,
  energyScore,
  ensembleMean,
  ensembleTimeStatistics,
  summariseEnsemble,
  type EnsembleField,
} from '../../src/scores/mean.ts';
import { brierScore, eventOutcomes, exceedanceCounts, fairBrierScore } from '../../src/scores/probability.ts';
import { outlierFraction, rankHistogram, ranksOfTruth } from '../../src/scores/ranks.ts';
import { WB2_EARTH_RADIUS_M, zonalEnergySpectrum } from '../../src/scores/spectrum.ts';
import { assertAllClose, assertClose, fixture } from './helpers.ts';

const golden = fixture('weatherbench2_golden.json');
const extra = fixture('factsheet_vectors.json').wb2Extra;

const T = 2;
const M = 5;
const nlat = 4;
const nlon = 8;
const grid = { nlat, nlon };
const P = nlat * nlon;
const lat = [-67.5, -22.5, 22.5, 67.5];

function truthAt(t: number): Float64Array {
  const y = new Float64Array(P);
  for (let i = 0; i < nlat; i++) for (let j = 0; j < nlon; j++) y[i * nlon + j] = Math.sin(1.0 + 0.9 * t + 0.7 * i + 0.4 * j);
  return y;
}
function ensembleAt(t: number): EnsembleField {
  const y = truthAt(t);
  const x = new Float64Array(M * P);
  for (let m = 0; m < M; m++)
    for (let i = 0; i < nlat; i++)
      for (let j = 0; j < nlon; j++)
        x[m * P + i * nlon + j] = y[i * nlon + j]! + 0.5 * Math.cos(2.0 + 1.3 * m + 0.6 * t + 0.3 * i + 0.8 * j) + 0.1 * m;
  return { values: x, members: M, grid };
}
const clim = new Float64Array(P);
for (let i = 0; i < nlat; i++) for (let j = 0; j < nlon; j++) clim[i * nlon + j] = 0.2 * Math.cos(0.5 * i + 0.3 * j);

const w = latitudeWeights(lat);
const times = [0, 1];
const truths = times.map(truthAt);
const ensembles = times.map(ensembleAt);

test('latitude weights equal WB2 get_lat_weights', () => {
  assertAllClose(w, golden.lat_weights, 1e-14, 0, 'weights');
  // Row 0 northernmost (decreasing latitudes) gives the same weights, reversed.
  assertAllClose(latitudeWeights([...lat].reverse()), [...golden.lat_weights].reverse(), 1e-14, 0, 'reversed');
});

test('CRPS, ensemble-mean MSE, variance, RMSE, spread and SSR equal WB2', () => {
  const perTime = times.map((t) => ensembleTimeStatistics(ensembles[t]!, truths[t]!, w));
  perTime.forEach((s, t) => assertClose(s.crpsFair, golden.crps_per_time[t], 1e-13, 0, `crps t=${t}`));
  const s = summariseEnsemble(perTime);
  assertClose(s.crpsFair, golden.crps, 1e-13, 0, 'crps');
  assertClose(s.crpsSkill, golden.crps_skill, 1e-13, 0, 'crps skill');
  assertClose(s.crpsSpread, golden.crps_spread, 1e-13, 0, 'crps spread');
  assertClose(s.ensembleMeanMse, golden.ens_mean_mse, 1e-13, 0, 'mse');
  const viaMse = times.map((t) => meanSquaredError(ensembleMean(ensembles[t]!), truths[t]!, grid, w));
  assertClose((viaMse[0]! + viaMse[1]!) / 2, golden.mse_ensmean_via_MSE, 1e-13, 0, 'MSE of the ensemble mean');
  assertClose(s.debiasedEnsembleMeanMse, golden.debiased_ens_mean_mse, 1e-11, 0, 'debiased mse');
  assertClose(s.ensembleVariance, golden.ens_variance, 1e-13, 0, 'variance');
  assertClose(s.ensembleMeanRmseSqrtBeforeTimeAvg, golden.ens_mean_rmse_sqrt_before_time_avg, 1e-13, 0, 'rmse sqrt before');
  assertClose(s.spreadSqrtBeforeTimeAvg, golden.ens_stddev_sqrt_before_time_avg, 1e-13, 0, 'spread sqrt before');
  assertClose(s.ensembleMeanRmse, extra.ensMeanRmse, 1e-13, 0, 'rmse');
  assertClose(s.spread, extra.spread, 1e-13, 0, 'spread');
  assertClose(s.spreadSkill.plain, extra.ssrPlain, 1e-12, 0, 'ssr plain');
  assertClose(s.spreadSkill.fortin, extra.ssrFortin, 1e-12, 0, 'ssr fortin');
  assertClose(s.spreadSkill.unbiased, extra.ssrUnbiased, 1e-11, 0, 'ssr unbiased');
  assertClose(s.crpsSpreadSkill, golden.crps_spread / golden.crps_skill, 1e-13, 0, 'CRPS spread/skill');
  // The standard (ECDF) CRPS differs from the fair one by ΣΣ|xi−xj|/(2M²(M−1)) = spread·(M−1)/(2M)·1/(M−1)… i.e. skill − ½·spread·(M−1)/M.
  assertClose(s.crpsStandard, s.crpsSkill - 0.5 * s.crpsSpread * ((M - 1) / M), 1e-13, 0, 'standard vs fair');
});

test('energy score (adjacent pairs), ACC and member-0 RMSE equal WB2', () => {
  const es = times.map((t) => energyScore(ensembles[t]!, truths[t]!, w, 'adjacent').score);
  assertClose((es[0]! + es[1]!) / 2, golden.energy_score, 1e-13, 0, 'energy score');
  const products = times.map((t) => anomalyProducts(ensembleMean(ensembles[t]!), truths[t]!, clim, grid, w));
  products.forEach((p, t) => assertClose(anomalyCorrelation(p), golden.acc_ensmean_per_time[t], 1e-13, 0, `acc t=${t}`));
  const acc = anomalyCorrelationOverTimes(products);
  assertClose(acc.wb2, golden.acc_ensmean, 1e-13, 0, 'acc');
  assertClose(acc.pooled, extra.accPooled, 1e-13, 0, 'acc pooled');
  const mse0 = times.map((t) => controlMemberMse(ensembles[t]!, truths[t]!, w, 0));
  assertClose((Math.sqrt(mse0[0]!) + Math.sqrt(mse0[1]!)) / 2, golden.rmse_member0_sqrt_before, 1e-13, 0, 'member 0 rmse');
  assertClose(Math.sqrt((mse0[0]! + mse0[1]!) / 2), extra.rmseMember0SqrtAfterMean, 1e-13, 0, 'member 0 rmse sqrt after');
  // All-pairs energy-score spread (WBX) is a different estimator: check it against a direct O(M²) evaluation.
  const e0 = energyScore(ensembles[0]!, truths[0]!, w, 'fair');
  assert.ok(Math.abs(e0.spread - energyScore(ensembles[0]!, truths[0]!, w, 'adjacent').spread) > 1e-6);
  assertClose(energyScore(ensembles[0]!, truths[0]!, w, 'standard').spread, (e0.spread * (M - 1)) / M, 1e-14, 0, 'standard = fair·(M−1)/M');
  // With two members there is a single pair: adjacent and fair spreads coincide.
  const two = { values: ensembles[0]!.values.subarray(0, 2 * P), members: 2, grid };
  assertClose(energyScore(two, truths[0]!, w, 'adjacent').spread, energyScore(two, truths[0]!, w, 'fair').spread, 1e-15, 0, 'M = 2');
});

test('rank histogram, outlier fraction and Brier scores equal WB2', () => {
  const ranks = times.flatMap((t) => Array.from(ranksOfTruth(ensembles[t]!.values, truths[t]!, M, P)));
  const hist = rankHistogram(ranks, M);
  assert.deepEqual(Array.from(hist), golden.rank_hist_counts);
  assert.equal(outlierFraction(hist), extra.outlierFraction);
  const pw = pointWeights(grid, w);
  const bs: number[] = [];
  const fair: number[] = [];
  for (const t of times) {
    const counts = exceedanceCounts(ensembles[t]!.values, M, P, 0, '>');
    const p = Float64Array.from(counts, (c) => c / M);
    const o = eventOutcomes(truths[t]!, 0, '>');
    bs.push(brierScore(p, o, pw));
    fair.push(fairBrierScore(counts, M, o, pw));
  }
  assertClose((bs[0]! + bs[1]!) / 2, golden.brier_thr0_spatialavg_timeavg, 1e-13, 0, 'brier');
  assertClose((fair[0]! + fair[1]!) / 2, golden.debiased_brier_thr0_spatialavg_timeavg, 1e-13, 0, 'debiased brier');
});

test('zonal energy spectrum of y[t=0] equals WB2 ZonalEnergySpectrum', () => {
  assert.equal(WB2_EARTH_RADIUS_M, golden.EARTH_RADIUS_M);
  const s = zonalEnergySpectrum(truths[0]!, grid, lat);
  assertAllClose(s, golden.zonal_spectrum_t0.flat(), 1e-11, 0, 'spectrum');
});
