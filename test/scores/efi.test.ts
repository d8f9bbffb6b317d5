// Tests of the Extreme Forecast Index and Shift of Tails against earthkit-meteo's tests and the synthetic
// table of metrics-factsheet §3.6, plus the continuous-limit closed form of §3.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { efi, efiField, efiOfStepAtQuantile, percentileSorted, sot, sotFromQuantiles } from '../../src/scores/efi.ts';
import { assertClose, fixture } from './helpers.ts';

const e = fixture('factsheet_vectors.json').efi;

/** numpy.linspace(start, stop, num): arange(num)·step + start, last element = stop. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

function syntheticEnsemble(name: string): number[] {
  const m = /^all=(-?[\d.]+)$/.exec(name);
  if (m) return new Array(51).fill(Number(m[1]));
  const l = /^linspace\(([\d.]+),([\d.]+),(\d+)\)$/.exec(name);
  if (l) return linspace(Number(l[1]), Number(l[2]), Number(l[3]));
  throw new Error(`unknown synthetic ensemble ${name}`);
}

test('EFI and SOT of the earthkit-meteo 2 m temperature case (unsorted climate)', () => {
  assertClose(efi(e.clim, e.ens), e.efi, 0, 1e-14, 'efi default eps');
  assertClose(efi(e.clim, e.ens, 1e-4), e.efiEps1e4, 0, 1e-14, 'efi eps 1e-4');
  assertClose(sot(e.clim, e.ens, 90), e.sot90, 0, 5e-9, 'sot 90');
  assertClose(sot(e.clim, e.ens, 10), e.sot10, 0, 5e-8, 'sot 10');
  // Sorting the (non-monotone) climate changes the result: the trap of §7.11.
  const sorted = [...e.clim].sort((a: number, b: number) => a - b);
  assertClose(efi(sorted, e.ens), e.efiSortedClim, 0, 1e-13, 'efi sorted clim');
  assertClose(sot(sorted, e.ens, 90), e.sot90SortedClim, 0, 5e-6, 'sot 90 sorted clim');
});

test('EFI/SOT synthetic table with a uniform M-climate', () => {
  const clim = linspace(0, 1, 101);
  for (const row of e.synthetic) {
    const ens = syntheticEnsemble(row.ens);
    assertClose(efi(clim, ens), row.efi, 0, 1e-13, `efi ${row.ens}`);
    assertClose(sot(clim, ens, 90), row.sot90, 0, 1e-12, `sot90 ${row.ens}`);
    assertClose(sot(clim, ens, 10), row.sot10, 0, 1e-12, `sot10 ${row.ens}`);
  }
});

test('EFI of a step CDF approaches 1 − (4/π) acos(√q) as the climate gets finer', () => {
  for (const q of [0.25, 0.75, 0.9]) {
    const clim = linspace(0, 1, 4001);
    const v = efi(clim, new Array(10).fill(q));
    assertClose(v, efiOfStepAtQuantile(q), 0, 2e-3, `q=${q}`);
  }
  assertClose(efiOfStepAtQuantile(0.75), 1 / 3, 1e-14, 0, 'closed form at 0.75');
});

test('sot_func cases: NaN where the climate tail is flat, clipping to ±10', () => {
  for (const c of e.sotFunc) {
    c.expected.forEach((exp: number | null, i: number) => {
      const eps = c.eps === null ? undefined : c.eps;
      const v = sotFromQuantiles(c.qcTail[i], c.qc[i], c.qf[i], eps);
      if (exp === null) assert.ok(Number.isNaN(v), `expected NaN, got ${v}`);
      else assertClose(v, exp, 1e-12, 1e-12, `sot_func ${i}`);
    });
  }
});

test('NaN inputs, field layout and input checks', () => {
  assert.ok(Number.isNaN(efi(new Array(101).fill(Number.NaN), new Array(51).fill(Number.NaN))));
  assert.ok(Number.isNaN(efi(e.clim, [...e.ens.slice(1), Number.NaN])));
  // efiField on a 2-point field with percentile-major climate and member-major ensemble.
  const clim = new Float64Array(202);
  const ens = new Float64Array(102);
  for (let j = 0; j < 101; j++) {
    clim[j * 2] = e.clim[j];
    clim[j * 2 + 1] = j / 100;
  }
  for (let m = 0; m < 51; m++) {
    ens[m * 2] = e.ens[m];
    ens[m * 2 + 1] = 0.75;
  }
  const f = efiField(clim, 101, ens, 51, 2);
  assertClose(f[0]!, e.efi, 0, 1e-14, 'field point 0');
  assertClose(f[1]!, e.synthetic[3].efi, 0, 1e-12, 'field point 1');
  assert.throws(() => sot(e.clim.slice(1), e.ens, 90), /clim has length 100, expected 101/);
  assert.throws(() => sot(e.clim, e.ens, 99), /perc must be an integer in \[2, 98\]/);
  assert.equal(percentileSorted([1, 2, 3, 4], 50), 2.5);
});

test('zero-inflated EFI (eps > 0): dropped intervals renormalise so that all members above the climate maximum give 1', () => {
  // Precipitation-like climate: the lowest 40 percentiles are 0 (dry), then increasing.
  const clim = Array.from({ length: 101 }, (_, j) => (j < 40 ? 0 : (j - 39) * 0.5));
  assertClose(efi(clim, new Array(20).fill(100), 1e-4), 1, 0, 1e-14, 'all above the maximum');
  // Without the eps branch the same forecast also gives 1 (nothing below any quantile), but a dry forecast differs.
  assertClose(efi(clim, new Array(20).fill(100)), 1, 0, 1e-14, 'standard formula');
  const dry = new Array(20).fill(0);
  assert.ok(efi(clim, dry, 1e-4) < 0 && efi(clim, dry, 1e-4) !== efi(clim, dry), 'dry forecast: negative, and eps changes it');
  // With a climate entirely above eps the eps branch equals the standard formula.
  assertClose(efi(e.clim, e.ens, 1e-4), efi(e.clim, e.ens), 0, 1e-14, 'no interval dropped');
});
