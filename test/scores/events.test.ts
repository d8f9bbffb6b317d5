// ProbabilityHistogram (pooled ensemble event forecasts) against the metrics fact sheet's Brier/ROC vector (§4.7) and
// against the per-sample library functions on weighted data; merging is exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbabilityHistogram } from '../../src/scores/events.ts';
import { brierDecomposition, brierScore, fairBrierScore, reliabilityDiagram, rocCurve } from '../../src/scores/probability.ts';

// fact sheet §4.7: M = 4 ensemble probabilities and outcomes
const P = [0, 0, 0.25, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1, 1];
const O = [0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0];

test('fact-sheet vector: BS 37/192, fair BS 11/72, REL 23/576, RES 7/72, UNC 1/4, AUC 19/24, ROC points', () => {
  const h = new ProbabilityHistogram(4);
  P.forEach((p, i) => h.add(p * 4, O[i]!));
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-15, `${what}: ${a} vs ${b}`);
  close(h.brier(), 37 / 192, 'BS');
  close(h.fairBrier(), 11 / 72, 'fair BS');
  const d = h.decomposition({ bins: 'distinct' });
  close(d.reliability, 23 / 576, 'REL');
  close(d.resolution, 7 / 72, 'RES');
  close(d.uncertainty, 1 / 4, 'UNC');
  close(d.skillScore, 11 / 48, 'BSS');
  const roc = h.roc();
  close(roc.auc, 19 / 24, 'AUC');
  assert.deepEqual(roc.falseAlarmRate.map((x) => Math.round(x * 6)), [0, 1, 1, 2, 4, 6]);
  assert.deepEqual(roc.hitRate.map((x) => Math.round(x * 6)), [0, 2, 4, 5, 6, 6]);
  close(h.baseRate(), 1 / 2, 'base rate');
});

test('weighted and split into parts: equals the per-sample functions on all samples', () => {
  let s = 12345;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const M = 9;
  const e: number[] = [];
  const o: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < 500; i++) {
    e.push(Math.floor(u() * (M + 1)));
    o.push(u() < 0.3 + 0.05 * e[i]! ? 1 : 0);
    w.push(0.2 + u());
  }
  const a = new ProbabilityHistogram(M);
  const b = new ProbabilityHistogram(M);
  e.forEach((x, i) => (i % 3 ? a : b).add(x, o[i]!, w[i]!));
  a.merge(b);
  const p = e.map((x) => x / M);
  const close = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) < 1e-12, `${what}: ${x} vs ${y}`);
  close(a.brier(), brierScore(p, o, w), 'Brier');
  close(a.fairBrier(), fairBrierScore(e, M, o, w), 'fair Brier');
  const d1 = a.decomposition();
  const d2 = brierDecomposition(p, o, undefined, w);
  close(d1.reliability, d2.reliability, 'REL');
  close(d1.resolution, d2.resolution, 'RES');
  a.reliability().forEach((bin, k) => {
    const ref = reliabilityDiagram(p, o, {}, w)[k]!;
    close(bin.count, ref.count, `bin ${k} count`);
    if (ref.count > 0) close(bin.observedFrequency, ref.observedFrequency, `bin ${k} frequency`);
  });
  close(a.roc().auc, rocCurve(p, o, 'continuous', w).auc, 'AUC');
  assert.throws(() => a.add(M + 1, 0), /exceeding members must be an integer in \[0, 9\], got 10/);
  assert.throws(() => a.add(1, 2), /outcome must be 0 or 1, got 2/);
});
