// Tests for the sphere layer's FFTs: complex FFT of many lengths against a plain DFT, and the real-signal
// forward/inverse conventions of torch.fft (norm="forward" scaling, Hermitian synthesis, ignored imaginary parts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createComplexFft, createRealFft, naiveDft } from '../../src/sphere/fft.ts';

function pseudoRandom(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

test('complex FFT equals the plain DFT for powers of two and other lengths, both directions', () => {
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 12, 15, 16, 17, 32, 45, 64, 100]) {
    const re = pseudoRandom(n, n);
    const im = pseudoRandom(n, n + 1000);
    for (const inverse of [false, true]) {
      const ref = naiveDft(re, im, inverse);
      const a = Float64Array.from(re);
      const b = Float64Array.from(im);
      createComplexFft(n).transform(a, b, inverse);
      for (let k = 0; k < n; k++) {
        assert.ok(Math.abs(a[k] - ref.re[k]) < 1e-12 && Math.abs(b[k] - ref.im[k]) < 1e-12, `n=${n} k=${k} inverse=${inverse}`);
      }
    }
  }
});

test('real forward FFT: scaled DFT of the first modes, zero beyond Nyquist', () => {
  for (const n of [8, 9, 32, 30]) {
    const x = pseudoRandom(n, 7 * n);
    const ref = naiveDft(x, new Float64Array(n), false);
    const modes = Math.floor(n / 2) + 3;
    const re = new Float64Array(modes);
    const im = new Float64Array(modes);
    createRealFft(n).forward(x, 0, re, im, 0, modes, 2 * Math.PI / n);
    for (let m = 0; m < modes; m++) {
      const er = m <= n / 2 ? ref.re[m] * 2 * Math.PI / n : 0;
      const ei = m <= n / 2 ? ref.im[m] * 2 * Math.PI / n : 0;
      assert.ok(Math.abs(re[m] - er) < 1e-13 && Math.abs(im[m] - ei) < 1e-13, `n=${n} m=${m}`);
    }
  }
});

test('real inverse FFT follows irfft(norm="forward"): doubled interior modes, real parts of m=0 and Nyquist', () => {
  const n = 8;
  const fRe = Float64Array.from([1, 0.5, 0, 0.25, 2]);
  const fIm = Float64Array.from([9, -0.5, 0, 0.75, 7]); // imaginary parts of m=0 and m=4 must be ignored
  const y = new Float64Array(n);
  createRealFft(n).inverse(fRe, fIm, 0, 5, y, 0);
  for (let j = 0; j < n; j++) {
    const lam = (2 * Math.PI * j) / n;
    const expected =
      1 + 2 * (0.5 * Math.cos(lam) + 0.5 * Math.sin(lam)) + 2 * (0.25 * Math.cos(3 * lam) - 0.75 * Math.sin(3 * lam)) + 2 * Math.cos(4 * lam);
    assert.ok(Math.abs(y[j] - expected) < 1e-13, `j=${j}: ${y[j]} vs ${expected}`);
  }
  // odd length: all modes up to (n-1)/2 doubled; round trip with scale 1/n
  for (const m of [9, 15, 32]) {
    const x = pseudoRandom(m, m);
    const nk = Math.floor(m / 2) + 1;
    const re = new Float64Array(nk);
    const im = new Float64Array(nk);
    const fft = createRealFft(m);
    fft.forward(x, 0, re, im, 0, nk, 1 / m);
    const back = new Float64Array(m);
    fft.inverse(re, im, 0, nk, back, 0);
    for (let j = 0; j < m; j++) assert.ok(Math.abs(back[j] - x[j]) < 1e-14, `round trip n=${m}`);
  }
});

test('FFT constructors reject bad lengths', () => {
  assert.throws(() => createComplexFft(0), /length must be an integer >= 1, got 0/);
  assert.throws(() => createRealFft(2.5), /length must be an integer >= 1, got 2\.5/);
});
