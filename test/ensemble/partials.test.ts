// Statistics partials: climate levels by the branch-free search against a direct count, and the binary partial
// format written, read back (typed-array views) and merged against statistics computed directly from the members.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLIMATE_ROW, PartialFile, UnitFieldStatistics, climateByPoint, climateLevels, encodePartial, mergeField } from '../../src/ensemble/partials.ts';

/** A small deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A sorted climate (N, P) percentile-major, with ties (rounded values) so equality cases occur. */
function sortedClimate(N: number, P: number, rand: () => number): Float64Array {
  const clim = new Float64Array(N * P);
  for (let p = 0; p < P; p++) {
    const col = Array.from({ length: N }, () => Math.round(rand() * 20) / 2);
    col.sort((a, b) => a - b);
    for (let j = 0; j < N; j++) clim[j * P + p] = col[j];
  }
  return clim;
}

test('climate levels: the first percentile index with clim ≥ x, for values below, between, on and above the levels', () => {
  const rand = lcg(7);
  const P = 37;
  const members = 9;
  for (const N of [101, 2, 127]) {
    const clim = sortedClimate(N, P, rand);
    const batch = new Float32Array(members * P);
    for (let k = 0; k < batch.length; k++) {
      const p = k % P;
      const r = rand();
      // a quarter exactly on a level, some far outside, the rest in between
      batch[k] = r < 0.25 ? clim[Math.floor(rand() * N) * P + p] : r < 0.3 ? -1e30 : r < 0.35 ? 1e30 : rand() * 11 - 0.5;
    }
    const levels = climateLevels(batch, P, climateByPoint(clim, P, N));
    for (let k = 0; k < batch.length; k++) {
      const p = k % P;
      let expected = N;
      for (let j = 0; j < N; j++) {
        if (clim[j * P + p] >= batch[k]) {
          expected = j;
          break;
        }
      }
      assert.equal(levels[k], expected, `N ${N}, member ${Math.floor(k / P)}, point ${p}, x ${batch[k]}`);
    }
  }
});

test('climate levels: padded rows, and clear errors for NaN members and too many levels', () => {
  const rows = climateByPoint(Float64Array.from([1, 2, 3, 4]), 2, 2);
  assert.equal(rows.length, 2 * CLIMATE_ROW);
  assert.deepEqual([...rows.subarray(0, 3)], [1, 3, Infinity]);
  assert.throws(() => climateLevels(Float32Array.from([0, NaN]), 2, rows), /member 0 has NaN at point 1/);
  assert.throws(() => climateByPoint(new Float64Array(128), 1, 128), /at most 127 levels/);
  assert.throws(() => climateLevels(new Float32Array(3), 2, rows), /whole members/);
});

test('partials: encode, read back and merge two units equal the statistics of all their members', () => {
  const rand = lcg(11);
  const P = 23;
  const N = 101;
  const clim = sortedClimate(N, P, rand);
  const byPoint = climateByPoint(clim, P);
  const thresholds = [3, 6.5];
  const units = [5, 3].map((members) => Float32Array.from({ length: members * P }, () => rand() * 11 - 0.5));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-partials-'));
  try {
    const files = units.map((batch, u) => {
      const s = new UnitFieldStatistics(P, thresholds);
      s.add(batch, byPoint);
      const file = path.join(dir, `u${u}.bin`);
      fs.writeFileSync(file, encodePartial(`i0-c0-b${u}`, batch.length / P, ['x'], [[s]]));
      return new PartialFile(file);
    });
    try {
      assert.equal(files[1].header.unit, 'i0-c0-b1');
      const merged = mergeField(files.map((f) => f.field('x', 0)), P, thresholds, true);
      const all = [...units[0], ...units[1]];
      const M = all.length / P;
      for (let p = 0; p < P; p++) {
        const v = Array.from({ length: M }, (_, m) => all[m * P + p]);
        const mean = v.reduce((a, b) => a + b, 0) / M;
        const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (M - 1);
        assert.ok(Math.abs(merged.moments.mean[p] - mean) < 1e-12, `mean at ${p}`);
        assert.ok(Math.abs(merged.moments.variance(1)[p] - variance) < 1e-10, `variance at ${p}`);
        assert.equal(merged.extremes.min[p], Math.min(...v));
        assert.equal(merged.extremes.max[p], Math.max(...v));
        thresholds.forEach((th, t) => assert.equal(merged.exceedance!.counts[t * P + p], v.filter((y) => y > th).length, `exceedance ${t} at ${p}`));
        for (let j = 0; j < N; j++) assert.equal(merged.climateCounts![j * P + p], v.filter((y) => y <= clim[j * P + p]).length, `climate count ${j} at ${p}`);
      }
    } finally {
      for (const f of files) f.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
