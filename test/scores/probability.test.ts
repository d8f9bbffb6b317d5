// Tests of Brier score, Murphy decomposition, reliability, ROC/AUC and log score against metrics-factsheet §4.7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  brierDecomposition,
  brierScore,
  eventOutcomes,
  eventProbabilities,
  exceedanceCounts,
  fairBrierScore,
  logScore,
  reliabilityDiagram,
  rocCurve,
} from '../../src/scores/probability.ts';
import { assertAllClose, assertClose, fixture, seededUniform } from './helpers.ts';

const b = fixture('factsheet_vectors.json').brier;
const scalars = fixture('factsheet_vectors.json').scalars;

test('Brier score, fair Brier score and the Murphy decomposition (one bin per distinct p)', () => {
  assertClose(brierScore(b.p, b.o), b.bs, 1e-14, 0, 'BS');
  const counts = b.p.map((p: number) => p * b.M);
  assertClose(fairBrierScore(counts, b.M, b.o), b.fairBs, 1e-14, 0, 'fair BS');
  const d = brierDecomposition(b.p, b.o, { bins: 'distinct' });
  assertClose(d.reliability, b.rel, 1e-14, 0, 'REL');
  assertClose(d.resolution, b.res, 1e-14, 0, 'RES');
  assertClose(d.uncertainty, b.unc, 1e-14, 0, 'UNC');
  assertClose(d.reliability - d.resolution + d.uncertainty, b.bs, 1e-14, 0, 'REL − RES + UNC');
  assertClose(d.skillScore, b.bss, 1e-14, 0, 'BSS');
  // HENS climatological base rate: UNC = ō(1 − ō), RES around ō, REL unchanged.
  const h = brierDecomposition(b.p, b.o, { bins: 'distinct' }, undefined, 0.05);
  assertClose(h.uncertainty, 0.05 * 0.95, 1e-15, 0, 'HENS UNC');
  assertClose(h.reliability, b.rel, 1e-14, 0, 'HENS REL');
  const obar = [0, 1 / 3, 0.5, 1, 2 / 3];
  const n = [2, 3, 2, 2, 3];
  assertClose(h.resolution, obar.reduce((acc, o, k) => acc + n[k]! * (o - 0.05) ** 2, 0) / 12, 1e-14, 0, 'HENS RES');
  assertClose(brierScore([0.271], [0]), scalars['brier_0_0.271'], 1e-12, 0, 'scoringrules brier');
});

test('reliability diagram: per-value counts and observed frequencies, 10 bins left- and right-closed', () => {
  for (const closed of ['left', 'right'] as const) {
    const bins = reliabilityDiagram(b.p, b.o, { bins: 10, closed });
    assert.equal(bins.length, 10);
    let total = 0;
    for (const r of b.reliability) {
      const k = bins.findIndex((x) => x.count > 0 && Math.abs(x.meanForecast - r.p) < 1e-12);
      assert.ok(k >= 0, `bin for p=${r.p} (${closed})`);
      assert.equal(bins[k]!.count, r.n);
      assertClose(bins[k]!.observedFrequency, r.obar, 1e-14, 0, `obar p=${r.p}`);
      total += r.n;
    }
    assert.equal(bins.reduce((s, x) => s + x.count, 0), total);
    // p = 0.5 sits at the upper edge of bin 4 when right-closed, at the lower edge of bin 5 when left-closed.
    assert.equal(bins[closed === 'left' ? 5 : 4]!.count, 2);
    assert.equal(bins[9]!.count, 3, 'p = 1 falls into the last bin');
  }
  // Edges are numpy.linspace's (3·0.1 = 0.30000000000000004): p = 0.3 lies in bin 2 when left-closed (xskillscore),
  // p = 0.7 (edge 0.7000000000000001) in bin 6 when right-closed; p = 0.2 = 2·0.1 exactly is an edge in both.
  const edgeCase = reliabilityDiagram([0.3, 0.7, 0.2], [1, 0, 1], { bins: 10, closed: 'left' });
  assert.deepEqual(edgeCase.map((x) => x.count), [0, 0, 2, 0, 0, 0, 1, 0, 0, 0]);
  const edgeRight = reliabilityDiagram([0.3, 0.7, 0.2], [1, 0, 1], { bins: 10, closed: 'right' });
  assert.deepEqual(edgeRight.map((x) => x.count), [0, 1, 1, 0, 0, 0, 1, 0, 0, 0]);
  // With 10 right-closed bins the decomposition is still exact here (one distinct p per bin).
  const d = brierDecomposition(b.p, b.o);
  assertClose(d.reliability, b.rel, 1e-14, 0, 'REL 10 bins');
});

test('ROC points and AUC (trapezoid = Mann–Whitney)', () => {
  const roc = rocCurve(b.p, b.o, 'continuous');
  assertAllClose(roc.falseAlarmRate, b.roc.far, 1e-14, 0, 'FAR');
  assertAllClose(roc.hitRate, b.roc.hr, 1e-14, 0, 'HR');
  assert.equal(roc.thresholds[0], Infinity);
  assertAllClose(roc.thresholds.slice(1), b.roc.thresholds.slice(1), 0, 0, 'thresholds');
  assertClose(roc.auc, b.auc, 1e-14, 0, 'AUC');
  // Explicit thresholds give the same curve.
  assertClose(rocCurve(b.p, b.o, [0, 0.25, 0.5, 0.75, 1]).auc, b.auc, 1e-14, 0, 'AUC explicit');
  // Mann–Whitney on random continuous forecasts.
  const u = seededUniform(3);
  const p = Array.from({ length: 300 }, () => Math.round(u() * 20) / 20);
  const o = p.map((x) => (u() < x ? 1 : 0));
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < p.length; i++)
    for (let j = 0; j < p.length; j++)
      if (o[i] === 1 && o[j] === 0) {
        pairs++;
        wins += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
      }
  assertClose(rocCurve(p, o).auc, wins / pairs, 1e-12, 0, 'Mann–Whitney');
});

test('log score and event probabilities', () => {
  assertClose(logScore([0.481], [0]), scalars['log_0_0.481'], 1e-7, 0, 'scoringrules log score');
  assert.ok(Number.isFinite(logScore([0, 1], [1, 0], 1e-9)), 'eps keeps p ∈ {0, 1} finite');
  assertClose(logScore([0, 1], [1, 0], 1e-9), -Math.log(1e-9), 1e-12, 0, 'HENS eps');
  const ens = Float64Array.from([0, 1, 2, 1, 1, 3]); // M = 3, P = 2 member-major
  assert.deepEqual(Array.from(exceedanceCounts(ens, 3, 2, 1, '>')), [1, 1]);
  assert.deepEqual(Array.from(exceedanceCounts(ens, 3, 2, 1, '>=')), [2, 3]);
  assert.deepEqual(Array.from(eventProbabilities(ens, 3, 2, [0.5, 2.5])), [2 / 3, 1 / 3]);
  assert.deepEqual(Array.from(eventOutcomes([1, 2], 1)), [0, 1]);
});

test('bad inputs get clear errors', () => {
  assert.throws(() => brierScore([1.2], [1]), /probabilities\[0\] must be in \[0, 1\]/);
  assert.throws(() => brierScore([0.2], [2]), /outcomes\[0\] must be 0 or 1/);
  assert.throws(() => brierScore([0.2, 0.3], [1]), /outcomes has length 1, expected 2/);
  assert.throws(() => fairBrierScore([5], 4, [1]), /exceedingMembers\[0\]/);
  assert.throws(() => exceedanceCounts([1, 2], 2, 1, [1, 2]), /threshold has length 2/);
  assert.throws(() => reliabilityDiagram([0.1], [1], { bins: 0 }), /bins must be a positive integer/);
});
