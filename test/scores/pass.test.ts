// FieldPass (member bands of any points, in any order) against the in-memory scores library on one field with ties:
// area-mean statistics, energy score, best/control member, ranks, events, σ-bins, EFI/SOT, sub-ensembles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { efiField, sot } from '../../src/scores/efi.ts';
import { latitudeWeights, pointWeights } from '../../src/scores/grid.ts';
import { BeyondTruthHistogram, SubEnsembleScores, drawSubEnsembles, membersBeyondTruth } from '../../src/scores/huge.ts';
import { bestMember, controlMemberMse, energyScore, ensembleTimeStatistics } from '../../src/scores/mean.ts';
import { DEFAULT_SIGMA_EDGES, FieldPass } from '../../src/scores/pass.ts';
import { brierScore, eventOutcomes, eventProbabilities } from '../../src/scores/probability.ts';
import { ranksOfTruth } from '../../src/scores/ranks.ts';

const grid = { nlat: 6, nlon: 10 };
const P = 60;
const M = 9;
let seed = 99;
const u = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
// values on a 0.25 lattice so that ties between members and the truth occur
const ens = Float64Array.from({ length: M * P }, () => Math.round((u() * 4 - 2) * 4) / 4);
const truth = Float64Array.from({ length: P }, () => Math.round((u() * 4 - 2) * 4) / 4);
const thr = Float64Array.from({ length: P }, (_, p) => 0.5 * Math.sin(p));
const clim = new Float64Array(101 * P);
for (let j = 0; j < 101; j++) for (let p = 0; p < P; p++) clim[j * P + p] = -2.5 + (5 * j) / 100 + 0.01 * Math.cos(p);
const lat = Array.from({ length: 6 }, (_, i) => 75 - 30 * i);
const w = latitudeWeights(lat);

test('bands of shuffled points give the in-memory scores', () => {
  const draws = drawSubEnsembles(M, [3, 5], 4, u);
  const pass = new FieldPass({ grid, latWeights: w, members: M, control: 0, eventThresholds: 1, climate: true, keepFields: true, subEnsembles: draws, tieBreak: (g) => ((g * 0.618) % 1) });
  const order = Array.from({ length: P }, (_, p) => p).sort(() => u() - 0.5);
  for (let start = 0; start < P; ) {
    const n = Math.min(P - start, 1 + Math.floor(u() * 13));
    const idx = order.slice(start, start + n);
    const block = new Float32Array(M * n);
    idx.forEach((g, k) => {
      for (let m = 0; m < M; m++) block[m * n + k] = ens[m * P + g]!;
    });
    const clb = new Float64Array(101 * n);
    idx.forEach((g, k) => {
      for (let j = 0; j < 101; j++) clb[j * n + k] = clim[j * P + g]!;
    });
    pass.addBand(block, idx, idx.map((g) => truth[g]!), idx.map((g) => thr[g]!), clb);
    start += n;
  }
  const r = pass.result();
  const field = { values: ens, members: M, grid };
  const s = ensembleTimeStatistics(field, truth, w);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  close(r.ensembleMeanMse, s.ensembleMeanMse, 'MSE');
  close(r.ensembleVariance, s.ensembleVariance, 'variance');
  close(r.crpsFair, s.crpsFair, 'fair CRPS');
  close(r.crpsStandard, s.crpsStandard, 'CRPS');
  close(r.energyScore, energyScore(field, truth, w, 'adjacent').score, 'energy score');
  close(r.controlRmse, Math.sqrt(controlMemberMse(field, truth, w)), 'control RMSE');
  close(r.bestMemberRmse, bestMember(field, truth, w).rmse, 'best member RMSE');
  // ranks: between #(x < y) and #(x <= y) at every point, counts summing to P
  const lower = ranksOfTruth(ens, truth, M, P);
  let ties = 0;
  for (let p = 0; p < P; p++) for (let m = 0; m < M; m++) if (ens[m * P + p] === truth[p]) ties++;
  assert.ok(ties > 5, `the data has ties (${ties})`);
  assert.equal(r.rankCounts.reduce((a, b) => a + b, 0), P);
  const sumBelow = Array.from(lower).reduce((a, b) => a + b, 0);
  const sumGot = r.rankCounts.reduce((a, c, k) => a + c * k, 0);
  assert.ok(sumBelow <= sumGot && sumGot <= sumBelow + ties);
  // events
  const pw = pointWeights(grid, w);
  close(pass.events[0]!.brier(), brierScore(eventProbabilities(ens, M, P, thr), eventOutcomes(truth, thr), pw), 'Brier');
  // σ-bins
  const mb = membersBeyondTruth(ens, truth, M, P);
  const ref = new BeyondTruthHistogram(DEFAULT_SIGMA_EDGES).add(mb.sigmaDistance, mb.beyond, pw).bins();
  pass.sigma.bins().forEach((b, i) => {
    close(b.cases, ref[i]!.cases, `σ-bin ${i} cases`);
    if (b.cases > 0) close(b.meanMembersBeyond, ref[i]!.meanMembersBeyond, `σ-bin ${i} members beyond`);
  });
  // EFI and SOT
  const efi = efiField(clim, 101, ens, M, P);
  for (let p = 0; p < P; p++) {
    close(pass.efiField![p]!, efi[p]!, `EFI ${p}`);
    const c = Array.from({ length: 101 }, (_, j) => clim[j * P + p]!);
    const x = Array.from({ length: M }, (_, m) => ens[m * P + p]!);
    const up = sot(c, x, 90);
    if (Number.isNaN(up)) assert.ok(Number.isNaN(pass.sotUpper![p]!));
    else close(pass.sotUpper![p]!, up, `SOT90 ${p}`);
    close(pass.sotLower![p]!, sot(c, x, 10), `SOT10 ${p}`);
  }
  // sub-ensembles: the same as one whole-field tile
  const whole = new SubEnsembleScores(grid, w, M, draws).addTile(ens, truth, 0).results();
  pass.subEnsembles!.results().forEach((res, i) => {
    close(res.bestMemberRmseMean, whole[i]!.bestMemberRmseMean, `sub ${res.size} best member`);
    close(res.coverage, whole[i]!.coverage, `sub ${res.size} coverage`);
    close(res.meanIntervalWidth, whole[i]!.meanIntervalWidth, `sub ${res.size} interval`);
  });
});

test('a point added twice, a NaN member and an incomplete field are refused by name', () => {
  const pass = new FieldPass({ grid, latWeights: w, members: 2 });
  pass.addBand([1, 2], [5], [1.5]);
  assert.throws(() => pass.addBand([1, 2], [5], [1.5]), /point 5 was already added/);
  assert.throws(() => pass.addBand([1, Number.NaN], [6], [1.5]), /member 1 is NaN at point 6 \(row 0, column 6\)/);
  assert.throws(() => pass.result(), /1 of 60 points were added/);
});
