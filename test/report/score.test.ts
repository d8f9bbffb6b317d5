// The evaluation pipeline end to end on a small toy-model run: `scoreRun`'s streamed (statistics) and tile-wise
// (member bands) results equal in-memory scores computed with the scores library on all members at once; several
// runs combine into one results file; inputs with a grid mismatch, missing truth times or NaNs are refused by name;
// the report made from the results loads in headless Chromium without errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateForecastConfig } from '../../src/ensemble/config.ts';
import { ToyNatureRun, hoursFromIso } from '../../src/ensemble/model.ts';
import { runForecast } from '../../src/ensemble/runner.ts';
import { openZarrArray, openZarrStore, readZarrArray } from '../../src/io/zarr.ts';
import { gridGeometry } from '../../src/sphere/grid.ts';
import { latitudeWeights, pointWeights } from '../../src/scores/grid.ts';
import { anomalyCorrelationOverTimes, anomalyProducts, bestMember, controlMemberMse, energyScore, ensembleMean, ensembleTimeStatistics, summariseEnsemble, type EnsembleTimeStatistics } from '../../src/scores/mean.ts';
import { brierDecomposition, brierScore, eventProbabilities, eventOutcomes, fairBrierScore, logScore, reliabilityDiagram, rocCurve, exceedanceCounts } from '../../src/scores/probability.ts';
import { intervalWeight, owCrps, twCrps } from '../../src/scores/crps.ts';
import { rankHistogram, ranksOfTruth } from '../../src/scores/ranks.ts';
import { BeyondTruthHistogram, membersBeyondTruth } from '../../src/scores/huge.ts';
import { DEFAULT_SIGMA_EDGES } from '../../src/scores/pass.ts';
import { ScoreInputError, addWeightedEventBand, rankBinsFor, scoreRun, smallestCoveringSize, writeScoreOutput, type ScoreOutput } from '../../src/report/evaluate.ts';
import { loadReportInput } from '../../src/report/bundle.ts';
import { renderReport, REPORT_SECTIONS } from '../../src/report/html.ts';
import type { ResultRecord } from '../../src/report/results.ts';
import { noleapHours, writeTruthStore } from '../../src/report/synthetic.ts';
import { TEST_GRID, ORIGIN, smallConfig, writeCheckpoints } from '../ensemble/helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-score-'));
process.on('exit', () => (process.env.KEEP_TMP ? console.error(tmp) : fs.rmSync(tmp, { recursive: true, force: true })));
const geo = gridGeometry(TEST_GRID);
const P = TEST_GRID.nlat * TEST_GRID.nlon;
const VARS = ['z500', 't2m', 'tcwv'];
const runDir = path.join(tmp, 'run');
const truthDir = path.join(tmp, 'truth.zarr');
/** Truth times: every 6 h from 2024-01-01T00 to 2024-01-06T00 (calendar dates in January, noleap = Gregorian there). */
const truthTimes = Array.from({ length: 21 }, (_, k) => noleapHours(2024, 1, 1, 0) + 6 * k);
const truthFields = new Map<string, Float32Array[]>();

function percentileOf(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (pos - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

function climateOf(v: string, q: number): Float32Array {
  const f = truthFields.get(v)!;
  return Float32Array.from({ length: P }, (_, p) => percentileOf(f.map((x) => x[p]!), q));
}

async function truthStore(dir: string, opts: { times?: number[]; lat?: number[]; nan?: boolean } = {}): Promise<void> {
  const times = opts.times ?? truthTimes;
  await writeTruthStore(dir, {
    time: times,
    lat: opts.lat ?? Array.from(geo.latitudesDeg),
    lon: Array.from(geo.longitudesDeg),
    variables: VARS,
    field: (v, t) => {
      const f = truthFields.get(v)![truthTimes.indexOf(times[t]!)]!.slice();
      if (opts.nan && t === 10) f[37] = Number.NaN;
      return f;
    },
    climate: climateOf,
    climateMean: (v) => climateOf(v, 50),
  });
}

let checkpoints: string[] = [];
let streamed: ScoreOutput;
let tiled: ScoreOutput;

test('set-up: a toy run (2 inits, leads 0/12/24 h, 12 members) and a truth store of the nature run', async () => {
  checkpoints = await writeCheckpoints(path.join(tmp, 'ck'), 2);
  const cfg = validateForecastConfig(smallConfig('run', checkpoints), tmp);
  const summary = await runForecast(cfg);
  assert.equal(summary.complete, true);
  const nature = new ToyNatureRun({ grid: TEST_GRID, origin: hoursFromIso(ORIGIN), threads: 1 });
  for (const v of VARS) truthFields.set(v, []);
  for (let k = 0; k < truthTimes.length; k++) {
    const a = await nature.analysis(hoursFromIso(ORIGIN) + 6 * k);
    VARS.forEach((v) => truthFields.get(v)!.push(a.slice(nature.channels.indexOf(v) * P, (nature.channels.indexOf(v) + 1) * P)));
  }
  await truthStore(truthDir);
});

test('scoreRun: statistics-based and member-band (1-row bands) scores agree, and cover every metric family', async () => {
  streamed = await scoreRun({ runDir, truth: truthDir, name: 'toy', subEnsembleSizes: [3, 6], resamples: 5, spectrumMembers: 4 });
  tiled = await scoreRun({ runDir, truth: truthDir, name: 'toy', useStatistics: false, bandBytes: 1, subEnsembleSizes: [3, 6], resamples: 5, spectrumMembers: 4 });
  const key = (r: ResultRecord) => JSON.stringify({ ...r, value: 0 });
  const a = new Map(streamed.records.map((r) => [key(r), r.value]));
  const b = new Map(tiled.records.map((r) => [key(r), r.value]));
  let compared = 0;
  for (const [k, v] of a) {
    if (!b.has(k)) continue;
    const w = b.get(k)!;
    if (Number.isNaN(v)) assert.ok(Number.isNaN(w), k);
    else assert.ok(Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(v)), `${k}: ${v} vs ${w}`);
    compared++;
  }
  assert.ok(compared > 500, `compared ${compared} records`);
  // seeded tie breaking does not depend on the banding: rank histograms are identical
  const ranksOf = (o: ScoreOutput) => o.records.filter((r) => r.metric === 'rank_histogram').map((r) => r.value);
  assert.deepEqual(ranksOf(tiled), ranksOf(streamed));
  const metrics = new Set(streamed.records.map((r) => r.metric));
  for (const m of ['rmse', 'spread', 'ssr', 'ssr_fortin', 'ssr_unbiased', 'crps', 'fair_crps', 'energy_score', 'control_rmse', 'most_accurate_member_rmse', 'best_member_rmse', 'outlier_fraction',
    'expected_outlier_fraction', 'rank_histogram', 'brier_score', 'fair_brier_score', 'brier_reliability', 'reliability_observed', 'roc_auc', 'roc_hit_rate',
    'sigma_bin_cases', 'coverage', 'interval_width', 'efi_mean', 'log_score', 'tw_crps', 'ow_crps', 'smallest_size_95']) {
    assert.ok(metrics.has(m), `metric ${m} present`);
  }
  const thresholds = new Set(streamed.records.filter((r) => r.metric === 'brier_score').map((r) => `${r.variable} ${r.threshold}`));
  assert.deepEqual([...thresholds].sort(), [
    't2m > 280', 't2m > 290', 't2m M-climate p95', 't2m M-climate p99', 't2m p95', 't2m p99',
    'tcwv M-climate p95', 'tcwv M-climate p99', 'tcwv p95', 'tcwv p99', 'z500 M-climate p95', 'z500 M-climate p99', 'z500 p95', 'z500 p99',
  ]);
  for (const out of [streamed, tiled]) {
    for (const m of ['log_score', 'tw_crps', 'ow_crps']) {
      const got = new Set(out.records.filter((r) => r.metric === m).map((r) => `${r.variable} ${r.threshold}`));
      assert.deepEqual([...got].sort(), [...thresholds].sort(), `${m}: the events of brier_score`);
    }
  }
  assert.ok(streamed.spectra.some((s) => s.kind === 'members') && streamed.spectra.some((s) => s.kind === 'truth') && streamed.spectra.some((s) => s.region === 'zonal'));
  assert.ok(streamed.maps.some((m) => m.name === 'efi'));
});

test('addWeightedEventBand: log score (probabilities clipped to [1/(2M), 1 − 1/(2M)]), twCRPS and owCRPS equal the library per point, edge cases included', () => {
  // 4 members × 3 points; point 0: truth above a threshold no member reaches (owCRPS undefined, p clipped to 1/8),
  // point 1: every member above the threshold (p clipped to 7/8), point 2: truth below the threshold (owCRPS 0)
  const members = [[1, 2, 3, 4], [5, 6, 7, 8], [0.5, 2.5, 1.5, 3.5]];
  const truth = [10, 6.5, 1];
  const thr = [5, 4, 2];
  const wts = [0.5, 1, 2];
  const block = new Float64Array(12);
  members.forEach((col, k) => col.forEach((x, m) => (block[m * 3 + k] = x)));
  const sums = [{ logNum: 0, twNum: 0, owNum: 0, owWeight: 0, weight: 0 }];
  addWeightedEventBand(sums, block, 4, truth, thr, wts);
  const s = sums[0]!;
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  close(s.weight, 3.5, 'weight');
  close(s.logNum / s.weight, logScore([1 / 8, 7 / 8, 2 / 4], [1, 1, 0], 0, wts), 'log score');
  close(s.logNum / s.weight, (0.5 * Math.log(8) + 1 * -Math.log(7 / 8) + 2 * Math.log(2)) / 3.5, 'log score by hand');
  close(s.twNum, members.reduce((a, col, k) => a + wts[k]! * twCrps(col, truth[k]!, { lower: thr[k]! }, 'standard'), 0), 'twCRPS');
  assert.ok(Number.isNaN(owCrps(members[0]!, truth[0]!, intervalWeight({ lower: thr[0]! }))));
  close(s.owWeight, 3, 'owCRPS weight leaves out the undefined point');
  close(s.owNum, 1 * owCrps(members[1]!, truth[1]!, intervalWeight({ lower: 4 })), 'owCRPS');
  assert.equal(smallestCoveringSize([{ size: 50, coverage: 0.96 }, { size: 10, coverage: 0.9 }, { size: 100, coverage: 0.99 }]), 50);
  assert.ok(Number.isNaN(smallestCoveringSize([{ size: 10, coverage: 0.5 }])));
  assert.throws(() => addWeightedEventBand(sums, block, 5, truth, thr, wts), /expected 5 members × 3 points/);
});

test('scores equal in-memory references computed on all members at once', async () => {
  const root = await openZarrStore(path.join(runDir, 'store.zarr'));
  const lat = (await readZarrArray(await openZarrArray(root, 'lat'))).data as Float64Array;
  const w = latitudeWeights(lat);
  const pw = pointWeights(TEST_GRID, w);
  const inits = ['2024-01-03T00:00Z', '2024-01-04T12:00Z'].map((s) => hoursFromIso(s));
  const leads = [0, 12, 24];
  const pick = (out: ScoreOutput, metric: string, v: string, lead: number, extra: Record<string, unknown> = {}) => {
    const r = out.records.filter((x) => x.metric === metric && x.variable === v && x.lead_hours === lead && Object.entries(extra).every(([k, e]) => x[k] === e) && Object.keys(x).length === 6 + Object.keys(extra).length);
    assert.equal(r.length, 1, `${metric} ${v} ${lead} ${JSON.stringify(extra)}: ${r.length} records`);
    return r[0]!.value;
  };
  const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);
  for (const v of VARS) {
    const all = await readZarrArray(await openZarrArray(root, v));
    const [, , M] = all.shape as [number, number, number];
    for (const [li, lead] of leads.entries()) {
      const per: EnsembleTimeStatistics[] = [];
      const anomalies: ReturnType<typeof anomalyProducts>[] = [];
      let es = 0;
      let ctl = 0;
      let best = 0;
      const ranks: number[] = [];
      const ties: number[] = [];
      const probs: number[] = [];
      const outs: number[] = [];
      const weightsAll: number[] = [];
      const sigma = new BeyondTruthHistogram(DEFAULT_SIGMA_EDGES);
      const exc: number[] = [];
      const excOut: number[] = [];
      // member-based event scores per point (p95 and, for t2m, > 280): clipped probabilities, twCRPS, owCRPS
      const weighted = new Map<string, { p: number[]; o: number[]; tw: number[]; ow: number[]; owW: number[] }>();
      const addWeighted = (key: string, values: Float32Array, y: ArrayLike<number>, thr: (p: number) => number) => {
        let e = weighted.get(key);
        if (!e) weighted.set(key, (e = { p: [], o: [], tw: [], ow: [], owW: [] }));
        for (let p = 0; p < P; p++) {
          const col = Array.from({ length: M }, (_, m) => values[m * P + p]!);
          const t = thr(p);
          const prob = col.filter((x) => x > t).length / M;
          e.p.push(Math.min(Math.max(prob, 1 / (2 * M)), 1 - 1 / (2 * M)));
          e.o.push(y[p]! > t ? 1 : 0);
          e.tw.push(twCrps(col, y[p]!, { lower: t }, 'standard'));
          const ow = owCrps(col, y[p]!, intervalWeight({ lower: t }));
          if (Number.isFinite(ow)) {
            e.ow.push(ow);
            e.owW.push(pw[p]!);
          }
        }
      };
      for (const [ii, t0] of inits.entries()) {
        const values = (all.data as Float32Array).subarray(((ii * 3 + li) * M) * P, ((ii * 3 + li) * M + M) * P);
        const y = truthFields.get(v)![truthTimes.indexOf(noleapHours(2024, 1, 1, 0) + (t0 + lead - hoursFromIso(ORIGIN)))]!;
        const ens = { values, members: M, grid: TEST_GRID };
        per.push(ensembleTimeStatistics(ens, y, w));
        anomalies.push(anomalyProducts(ensembleMean(ens), y, climateOf(v, 50), TEST_GRID, w));
        es += energyScore(ens, y, w, 'adjacent').score / inits.length;
        ctl += controlMemberMse(ens, y, w) / inits.length;
        best += bestMember(ens, y, w).rmse ** 2 / inits.length;
        ranks.push(...ranksOfTruth(values, y, M, P));
        for (let p = 0; p < P; p++) {
          let n = 0;
          for (let m = 0; m < M; m++) if (values[m * P + p] === y[p]) n++;
          ties.push(n);
        }
        const thr = climateOf(v, 95);
        addWeighted('p95', values, y, (p) => thr[p]!);
        if (v === 't2m') addWeighted('> 280', values, y, () => 280);
        probs.push(...eventProbabilities(values, M, P, thr));
        outs.push(...eventOutcomes(y, thr));
        weightsAll.push(...pw);
        const mb = membersBeyondTruth(values, y, M, P);
        sigma.add(mb.sigmaDistance, mb.beyond, pw);
        if (v === 't2m') {
          exc.push(...exceedanceCounts(values, M, P, 280));
          excOut.push(...eventOutcomes(y, 280));
        }
      }
      const s = summariseEnsemble(per);
      for (const out of [streamed, tiled]) {
        const what = (m: string) => `${out === streamed ? 'streamed' : 'tiled'} ${m} ${v} ${lead}`;
        close(pick(out, 'rmse', v, lead), s.ensembleMeanRmse, what('rmse'));
        close(pick(out, 'acc', v, lead), anomalyCorrelationOverTimes(anomalies).wb2, what('acc'));
        close(pick(out, 'spread', v, lead), s.spread, what('spread'));
        close(pick(out, 'ssr', v, lead), s.spreadSkill.plain, what('ssr'));
        close(pick(out, 'ssr_fortin', v, lead), s.spreadSkill.fortin, what('ssr_fortin'));
        if (Number.isFinite(s.spreadSkill.unbiased)) close(pick(out, 'ssr_unbiased', v, lead), s.spreadSkill.unbiased, what('ssr_unbiased'));
        close(pick(out, 'crps', v, lead), s.crpsStandard, what('crps'));
        close(pick(out, 'fair_crps', v, lead), s.crpsFair, what('fair_crps'));
        close(pick(out, 'energy_score', v, lead), es, what('energy_score'));
        close(pick(out, 'control_rmse', v, lead), Math.sqrt(ctl), what('control_rmse'));
        close(pick(out, 'most_accurate_member_rmse', v, lead), Math.sqrt(best), what('most_accurate_member_rmse'));
        // ranks: #(x < y) plus a seeded draw among ties, so between the counts without and with the tied members
        const got = Array.from({ length: M + 1 }, (_, bin) => pick(out, 'rank_histogram', v, lead, { bin }));
        const lower = rankHistogram(ranks, M);
        const upper = rankHistogram(ranks.map((r, i) => r + ties[i]!), M);
        let cg = 0, cl = 0, cu = 0;
        for (let k = 0; k <= M; k++) {
          cg += got[k]!; cl += lower[k]!; cu += upper[k]!;
          assert.ok(cu <= cg && cg <= cl, what(`cumulative rank count ${k}: ${cu} <= ${cg} <= ${cl}`));
        }
        if (ties.every((t) => t === 0)) assert.deepEqual(got, Array.from(lower), what('rank histogram'));
        close(pick(out, 'outlier_fraction', v, lead), (got[0]! + got[M]!) / ranks.length, what('outlier_fraction'));
        const th = { threshold: 'p95' };
        close(pick(out, 'brier_score', v, lead, th), brierScore(probs, outs, weightsAll), what('brier p95'));
        close(pick(out, 'fair_brier_score', v, lead, th), fairBrierScore(probs.map((p) => Math.round(p * M)), M, outs, weightsAll), what('fair brier p95'));
        const dec = brierDecomposition(probs, outs, undefined, weightsAll);
        close(pick(out, 'brier_reliability', v, lead, th), dec.reliability, what('REL'));
        close(pick(out, 'brier_resolution', v, lead, th), dec.resolution, what('RES'));
        reliabilityDiagram(probs, outs, {}, weightsAll).forEach((b, bin) => {
          const got = pick(out, 'reliability_observed', v, lead, { ...th, bin });
          if (Number.isNaN(b.observedFrequency)) assert.ok(Number.isNaN(got));
          else close(got, b.observedFrequency, what(`reliability bin ${bin}`));
        });
        close(pick(out, 'roc_auc', v, lead, th), rocCurve(probs, outs, 'continuous', weightsAll).auc, what('AUC p95'));
        for (const [threshold, e] of weighted) {
          const mean = (a: number[], wts: number[]) => a.reduce((s, x, i) => s + x * wts[i]!, 0) / wts.reduce((s, x) => s + x, 0);
          close(pick(out, 'log_score', v, lead, { threshold }), logScore(e.p, e.o, 0, weightsAll), what(`log_score ${threshold}`));
          close(pick(out, 'tw_crps', v, lead, { threshold }), mean(e.tw, weightsAll), what(`tw_crps ${threshold}`));
          close(pick(out, 'ow_crps', v, lead, { threshold }), mean(e.ow, e.owW), what(`ow_crps ${threshold}`));
        }
        // smallest_size_95: the smallest size whose coverage record is >= 0.95 (NaN if none)
        const cov = out.records.filter((r) => r.metric === 'coverage' && r.variable === v && r.lead_hours === lead && typeof r.size === 'number');
        assert.ok(cov.length >= 3, what('coverage records'));
        const ok = cov.filter((r) => r.value >= 0.95).map((r) => r.size as number);
        const want = ok.length ? Math.min(...ok) : Number.NaN;
        const gotSize = pick(out, 'smallest_size_95', v, lead);
        if (Number.isNaN(want)) assert.ok(Number.isNaN(gotSize), what('smallest_size_95 NaN'));
        else assert.equal(gotSize, want, what('smallest_size_95'));
        sigma.bins().forEach((b) => {
          close(pick(out, 'sigma_bin_cases', v, lead, { bin_lower: b.lower, bin_upper: b.upper }), b.cases, what('sigma cases'));
        });
        if (v === 't2m') {
          const p = exc.map((e) => e / M);
          close(pick(out, 'brier_score', v, lead, { threshold: '> 280' }), brierScore(p, excOut, weightsAll), what('brier > 280'));
          close(pick(out, 'roc_auc', v, lead, { threshold: '> 280' }), rocCurve(p, excOut, 'continuous', weightsAll).auc, what('AUC > 280'));
        }
      }
    }
  }
});

test('a statistics-only run (no members) gives the same streamed scores: RMSE, spread, SSR, Brier, M-climate events and EFI from counts, outliers', async () => {
  const cfg = validateForecastConfig(smallConfig('stats-only', checkpoints, { store: { members: false } }), tmp);
  assert.equal((await runForecast(cfg)).complete, true);
  const only = await scoreRun({ runDir: path.join(tmp, 'stats-only'), truth: truthDir, name: 'toy' });
  assert.ok(only.notes.some((n) => /members not stored/.test(n)));
  const want = new Map(tiled.records.map((r) => [JSON.stringify({ ...r, value: 0 }), r.value]));
  const checked = new Set<string>();
  for (const r of only.records) {
    // ROC curve points: a weight total that rounds to just below 1 adds a (1, 1) padding point; the area is compared
    if (r.metric === 'roc_hit_rate' || r.metric === 'roc_false_alarm_rate') continue;
    const k = JSON.stringify({ ...r, value: 0 });
    assert.ok(want.has(k), `record ${k} also comes from the members`);
    if (r.metric === 'outlier_fraction') continue; // area-weighted from min/max here, unweighted ranks there
    const v = want.get(k)!;
    if (Number.isNaN(v)) assert.ok(Number.isNaN(r.value), k);
    else assert.ok(Math.abs(r.value - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${k}: ${r.value} vs ${v}`);
    checked.add(r.metric);
  }
  for (const m of ['rmse', 'spread', 'ssr_unbiased', 'brier_score', 'roc_auc', 'efi_mean']) assert.ok(checked.has(m), m);
  assert.ok(only.records.some((r) => r.metric === 'brier_score' && r.threshold === 'M-climate p95'), 'M-climate events from the counts');
  assert.ok(!checked.has('crps'), 'CRPS needs the members');
  // outliers from min/max: the truth outside [min, max] (area-weighted) bounds the rank-based fraction (ties aside)
  for (const r of only.records.filter((x) => x.metric === 'outlier_fraction' && x.lead_hours > 0)) {
    const t = tiled.records.find((x) => x.metric === 'outlier_fraction' && x.variable === r.variable && x.lead_hours === r.lead_hours)!;
    assert.ok(r.value >= 0 && r.value <= 1 && (r.value > 0) === (t.value > 0), `${r.variable} ${r.lead_hours}: ${r.value} vs ${t.value}`);
  }
});

test('rank histograms of huge ensembles come in coarse bins (bin_width ranks each) that the report reads', () => {
  assert.equal(rankBinsFor(12), 13);
  assert.equal(rankBinsFor(1000), 1001);
  assert.equal(rankBinsFor(7424), 825); // 7425 = 3³·5²·11: 9 ranks per bin
  const coarse = [3, 1, 0, 2, 4].map((value, bin) => ({ metric: 'rank_histogram', variable: 'x', lead_hours: 24, region: 'global', ensemble: 'e', bin, bin_width: 3, value }));
  const html = renderReport({ results: coarse });
  assert.match(html, /among 14 members\. Ranks 0…14 summed into 5 groups\./);
  assert.match(html, />12–14</);
});

test('several runs combine into one results file, told apart by the ensemble column', () => {
  const out = path.join(tmp, 'scores');
  writeScoreOutput(out, streamed);
  const second = { ...tiled, ensemble: 'toy-members', records: tiled.records.map((r) => ({ ...r, ensemble: 'toy-members' })), spectra: tiled.spectra.map((s) => ({ ...s, ensemble: 'toy-members' })), maps: [] };
  const w = writeScoreOutput(out, second);
  assert.deepEqual(w.ensembles, ['toy', 'toy-members']);
  // scoring 'toy' again replaces its records rather than duplicating them
  const again = writeScoreOutput(out, streamed);
  assert.equal(again.records, streamed.records.length + second.records.length);
  const input = loadReportInput(out);
  assert.equal(input.results.length, again.records);
  assert.deepEqual([...new Set(input.spectra!.map((s) => s.ensemble))].sort(), ['toy', 'toy-members']);
});

test('the report of the scores loads in headless Chromium without console errors and shows every section with figures', (t) => {
  const chromium = '/usr/bin/chromium';
  const input = loadReportInput(path.join(tmp, 'scores'));
  const html = renderReport(input);
  const file = path.join(tmp, 'report.html');
  fs.writeFileSync(file, html);
  for (const [id] of REPORT_SECTIONS) {
    const body = html.split(`<section id="${id}"`)[1]!.split('</section>')[0]!;
    assert.ok(/<svg /.test(body) || id === 'summary', `section ${id} has figures`);
    assert.ok(!/class="absent"/.test(body), `section ${id} has data`);
  }
  if (!fs.existsSync(chromium)) {
    t.skip(`${chromium} is not installed (Debian package chromium)`);
    return;
  }
  const r = spawnSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${path.join(tmp, 'profile')}`, '--enable-logging=stderr', '--v=0', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const consoleLines = r.stderr.split('\n').filter((l) => /:CONSOLE[(:]/.test(l));
  assert.deepEqual(consoleLines, []);
  assert.equal((r.stdout.match(/<svg /g) ?? []).length, (html.match(/<svg /g) ?? []).length, 'every SVG is in the DOM');
  assert.match(r.stdout, /Rank histogram, t2m, global, toy/);
});

test('score refuses a grid mismatch, missing truth times, NaNs and unknown variables, naming the problem', async () => {
  const shifted = path.join(tmp, 'shifted.zarr');
  await truthStore(shifted, { lat: Array.from(geo.latitudesDeg, (x) => x * 0.99) });
  await assert.rejects(scoreRun({ runDir, truth: shifted }), (e: Error) => e instanceof ScoreInputError && /grid mismatch: latitude row 0/.test(e.message));
  const short = path.join(tmp, 'short.zarr');
  await truthStore(short, { times: truthTimes.slice(0, 14) });
  await assert.rejects(scoreRun({ runDir, truth: short }), (e: Error) => e instanceof ScoreInputError && /has no time for valid time 2024-01-04T12 \(init 2024-01-04T12 \+ 0 h\): truth times run from 210240 to 210318 hours since 2000-01-01T00 \(noleap\)/.test(e.message));
  const nan = path.join(tmp, 'nan.zarr');
  await truthStore(nan, { nan: true });
  await assert.rejects(scoreRun({ runDir, truth: nan }), (e: Error) => e instanceof ScoreInputError && /z500 is NaN at 2024-01-03T12 \(row 1, column 5\)/.test(e.message));
  await assert.rejects(scoreRun({ runDir, truth: truthDir, rankBins: 5 }), (e: Error) => e instanceof ScoreInputError && /rank bins: 5 does not divide the 13 ranks of a 12-member ensemble/.test(e.message));
  await assert.rejects(scoreRun({ runDir, truth: truthDir, variables: ['q700'] }), (e: Error) => e instanceof ScoreInputError && /variable 'q700' is not in run/.test(e.message));
  // through the command line: exit status 2 and one line naming the problem
  const r = spawnSync(process.execPath, ['bin/myriad.js', 'score', runDir, '--truth', shifted, '--out', path.join(tmp, 'x')], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..') });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^myriad score: grid mismatch/);
});
