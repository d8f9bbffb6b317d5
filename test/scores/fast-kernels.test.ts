// The fast per-point kernels of the member pass against direct formulas written out here: the radix MemberSorter
// against a comparator sort, sub-ensemble order statistics read off the full sorted order against copying and sorting
// every sub-ensemble, the weighted event scores against the pairwise CRPS, the FFT zonal power against the plain DFT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latitudeWeights } from '../../src/scores/grid.ts';
import { SubEnsembleScores, drawSubEnsembles, type SubEnsembleDraws } from '../../src/scores/huge.ts';
import { DEFAULT_SIGMA_EDGES, FieldPass, addWeightedEventPoint, newWeightedEventSums } from '../../src/scores/pass.ts';
import { MemberSorter } from '../../src/scores/sorted.ts';
import { RealDft } from '../../src/scores/spectrum.ts';
import { assertClose, normalSamples, seededUniform } from './helpers.ts';

/** Stable comparator argsort (−0 before +0, NaN last): the reference order. */
function referenceOrder(values: ArrayLike<number>): number[] {
  const key = (x: number) => (Number.isNaN(x) ? [2, 0] : Object.is(x, -0) ? [0, 0] : [1, x]);
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => {
    const ka = key(values[a]!);
    const kb = key(values[b]!);
    if (ka[0] === 2 || kb[0] === 2) return ka[0] === kb[0] ? a - b : ka[0] === 2 ? 1 : -1;
    const xa = values[a]!;
    const xb = values[b]!;
    if (xa !== xb) return xa < xb ? -1 : 1;
    if (ka[0] !== kb[0]) return ka[0] - kb[0]; // −0 before +0
    return a - b;
  });
}

function checkSorter(values: ArrayLike<number>, what: string): void {
  const s = new MemberSorter(values.length);
  const sorted = s.sort(values);
  const ref = referenceOrder(values);
  for (let r = 0; r < values.length; r++) {
    assert.equal(s.order[r], ref[r], `${what}: member at rank ${r}`);
    assert.ok(Object.is(sorted[r], values[ref[r]!]), `${what}: value at rank ${r}`);
  }
}

test('MemberSorter: order and values equal a stable comparator sort (ties, signs, ±0, wide and narrow spreads, any M)', () => {
  const u = seededUniform(5);
  for (const M of [1, 2, 3, 7, 64, 1024, 1500]) {
    const narrow = Float32Array.from({ length: M }, () => 5000 + 40 * (u() + u() + u()));
    checkSorter(narrow, `narrow M=${M}`);
    const wide = Float32Array.from({ length: M }, () => (u() - 0.5) * 10 ** Math.floor(u() * 60 - 30));
    checkSorter(wide, `wide M=${M}`);
    const ties = Float32Array.from({ length: M }, () => [-1, -0, 0, 0.5, 3][Math.floor(u() * 5)]!);
    checkSorter(ties, `ties M=${M}`);
    checkSorter(new Float32Array(M).fill(2.5), `constant M=${M}`);
  }
  checkSorter([Infinity, -Infinity, 1, -1, 0, -0, 3.4e38, -3.4e38, 1e-45, -1e-45], 'extremes');
  // not float32 numbers, or NaN: the comparator fallback
  checkSorter(Float64Array.from({ length: 50 }, () => u() * 1e-3 + 0.1), 'float64 values');
  checkSorter([3, Number.NaN, 1, 2, Number.NaN, -4], 'NaN last');
  // sortFloat32: the same as sort for the float64 copy of a Float32Array
  const f = Float32Array.from({ length: 300 }, () => (u() - 0.3) * 100);
  const bits = new Uint32Array(f.buffer);
  const a = new MemberSorter(300);
  const b = new MemberSorter(300);
  const padded = new Float64Array(310);
  padded.set(f, 10);
  const bitsPadded = new Uint32Array(305);
  bitsPadded.set(bits, 5);
  a.sortFloat32(padded, 10, bitsPadded, 5);
  b.sort(Float64Array.from(f));
  assert.deepEqual(Array.from(a.order), Array.from(b.order));
  assert.deepEqual(Array.from(a.sorted), Array.from(b.sorted));
});

/** The direct definition of the sub-ensemble sums at one point: copy each sub-ensemble, sort it, read it. */
function directSubEnsembleSums(values: ArrayLike<number>, y: number, draws: SubEnsembleDraws[], level: number): number[][] {
  const pct = (s: number[], q: number) => {
    const pos = q * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
  };
  return draws.map((d) => {
    const out: number[] = [];
    for (let r = 0; r < d.resamples; r++) {
      const sub = Array.from(d.indices.subarray(r * d.size, (r + 1) * d.size), (i) => values[i]!).sort((a, b) => a - b);
      const best = Math.min(...sub.map((x) => (x - y) * (x - y)));
      out.push(best, sub[sub.length - 1]! - sub[0]!, pct(sub, (1 + level) / 2) - pct(sub, (1 - level) / 2), sub[0]! <= y && y <= sub[sub.length - 1]! ? 1 : 0);
    }
    return out;
  });
}

test('sub-ensembles read off the full sorted order equal copying and sorting each one (with and without replacement)', () => {
  const u = seededUniform(11);
  const grid = { nlat: 3, nlon: 8 };
  const P = 24;
  const w = new Float64Array(3).fill(1);
  for (const [M, replacement, level] of [[97, false, 0.9], [97, true, 0.8], [40, false, 0.5], [5, true, 0.9]] as const) {
    const sizes = [1, 2, 3, Math.floor(M / 2), M - 1];
    const draws = [...drawSubEnsembles(M, sizes, 7, u, replacement), ...drawSubEnsembles(M, [M], 1, u)];
    // values on a coarse lattice (ties among members and with the truth) plus a few distinct ones
    const values = Float32Array.from({ length: M * P }, (_, i) => (i % 5 === 0 ? u() * 3 : Math.round(u() * 12) / 4));
    const truth = Float64Array.from({ length: P }, () => Math.round(u() * 12) / 4);
    const scores = new SubEnsembleScores(grid, w, M, draws, { intervalLevel: level }).addTile(values, truth, 0);
    const res = scores.results();
    const expect = draws.map((d) => ({ best: new Float64Array(d.resamples), range: 0, interval: 0, covered: 0 }));
    const coveredPerPoint = draws.map(() => new Float64Array(P));
    for (let p = 0; p < P; p++) {
      const x = Array.from({ length: M }, (_, m) => values[m * P + p]!);
      directSubEnsembleSums(x, truth[p]!, draws, level).forEach((sums, s) => {
        for (let r = 0; r < draws[s]!.resamples; r++) {
          expect[s]!.best[r] += sums[4 * r]!;
          expect[s]!.range += sums[4 * r + 1]!;
          expect[s]!.interval += sums[4 * r + 2]!;
          expect[s]!.covered += sums[4 * r + 3]!;
          coveredPerPoint[s]![p] += sums[4 * r + 3]!;
        }
      });
    }
    res.forEach((r, s) => {
      const n = P * r.resamples;
      for (let k = 0; k < r.resamples; k++) assertClose(r.bestMemberRmse[k]!, Math.sqrt(expect[s]!.best[k]! / P), 1e-14, 0, `M=${M} size ${r.size} best member, resample ${k}`);
      assertClose(r.meanRangeWidth, expect[s]!.range / n, 1e-14, 0, `M=${M} size ${r.size} range`);
      assertClose(r.meanIntervalWidth, expect[s]!.interval / n, 1e-14, 1e-15, `M=${M} size ${r.size} interval`);
      assertClose(r.coverage, expect[s]!.covered / n, 0, 0, `M=${M} size ${r.size} coverage`);
      assert.deepEqual(Array.from(scores.coveredCounts[s]!), Array.from(coveredPerPoint[s]!), `M=${M} size ${r.size} per-point coverage`);
    });
  }
});

/** Standard CRPS by the pairwise (energy) form: (1/M)Σ|x_i − y| − 1/(2M²) ΣΣ|x_i − x_j|. */
function pairwiseCrps(x: number[], y: number): number {
  const M = x.length;
  let a = 0;
  let b = 0;
  for (const xi of x) {
    a += Math.abs(xi - y);
    for (const xj of x) b += Math.abs(xi - xj);
  }
  return a / M - b / (2 * M * M);
}

test('weighted event scores per point: log score of the clipped probability, pairwise twCRPS and owCRPS', () => {
  const u = seededUniform(21);
  const M = 30;
  for (let k = 0; k < 40; k++) {
    const x = Array.from(normalSamples(M, u));
    if (k % 4 === 0) for (let m = 0; m < 6; m++) x[m] = 0.25; // ties at the threshold
    const thr = k % 4 === 0 ? 0.25 : k % 5 === 0 ? 10 : u() * 2 - 1; // 10: no member above (clipped probability)
    const y = k % 3 === 0 ? thr : u() * 3 - 1.5;
    const w = 0.5 + u();
    const sum = newWeightedEventSums();
    addWeightedEventPoint(sum, Float64Array.from(x).sort(), y, thr, w);
    const exceed = x.filter((v) => v > thr).length;
    const p = Math.min(Math.max(exceed / M, 1 / (2 * M)), 1 - 1 / (2 * M));
    assertClose(sum.logNum, w * -Math.log(y > thr ? p : 1 - p), 1e-14, 0, `log score ${k}`);
    assertClose(sum.twNum, w * pairwiseCrps(x.map((v) => Math.max(v, thr)), Math.max(y, thr)), 1e-12, 1e-14, `twCRPS ${k}`);
    assert.equal(sum.weight, w);
    const above = x.filter((v) => v >= thr);
    if (y < thr) {
      assert.equal(sum.owNum, 0);
      assert.equal(sum.owWeight, w);
    } else if (above.length === 0) {
      assert.equal(sum.owWeight, 0, 'owCRPS undefined: left out');
    } else {
      assertClose(sum.owNum, w * pairwiseCrps(above, y), 1e-12, 1e-14, `owCRPS ${k}`);
      assert.equal(sum.owWeight, w);
    }
  }
});

test('FieldPass gives identical results from a Float32Array band (bit-pattern sort keys) and its Float64Array copy', () => {
  const u = seededUniform(8);
  const grid = { nlat: 4, nlon: 6 };
  const P = 24;
  const M = 33;
  const w = latitudeWeights([60, 20, -20, -60]);
  const f32 = Float32Array.from({ length: M * P }, () => Math.round((u() - 0.5) * 40) / 8);
  const truth = Float64Array.from({ length: P }, () => Math.round((u() - 0.5) * 40) / 8);
  const thr = Float64Array.from({ length: 2 * P }, (_, i) => (i < P ? 0.5 : -1));
  const draws = drawSubEnsembles(M, [4, 10], 3, u);
  const run = (block: ArrayLike<number>) => {
    const pass = new FieldPass({ grid, latWeights: w, members: M, eventThresholds: 2, weightedEventThresholds: 2, subEnsembles: draws, sigmaEdges: DEFAULT_SIGMA_EDGES, tieBreak: (g) => (g * 0.37) % 1 });
    pass.addBand(block, Int32Array.from({ length: P }, (_, i) => i), truth, thr, undefined, thr);
    return { r: pass.result(), sub: pass.subEnsembles!.results(), we: pass.weightedEvents, brier: pass.events.map((e) => e.brier()) };
  };
  const a = run(f32);
  const b = run(Float64Array.from(f32));
  assert.deepEqual(a.r, b.r);
  assert.deepEqual(a.sub, b.sub);
  assert.deepEqual(a.we, b.we);
  assert.deepEqual(a.brier, b.brier);
});

test('RealDft power: the radix-2 FFT (power-of-two lengths) equals the direct DFT sum', () => {
  const u = seededUniform(3);
  for (const n of [2, 8, 128, 256, 96, 7]) {
    const x = Float64Array.from({ length: n + 3 }, () => u() * 10 - 5);
    const out = new Float64Array(Math.floor(n / 2) + 2);
    new RealDft(n).powerInto(x, 3, out, 1);
    let total = 0;
    for (let l = 0; l < n; l++) total += x[3 + l]! ** 2;
    for (let k = 0; k <= n / 2; k++) {
      let re = 0;
      let im = 0;
      for (let l = 0; l < n; l++) {
        re += x[3 + l]! * Math.cos((2 * Math.PI * k * l) / n);
        im -= x[3 + l]! * Math.sin((2 * Math.PI * k * l) / n);
      }
      assertClose(out[1 + k]!, (re / n) ** 2 + (im / n) ** 2, 0, 1e-13 * (total / n), `n=${n} k=${k}`);
    }
  }
});
