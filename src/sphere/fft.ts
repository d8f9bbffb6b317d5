// Small float64 FFTs for the reference spherical transforms: complex FFT of any length (radix-2 for powers of
// two, Bluestein otherwise) and the real-signal forward/inverse along longitude with torch.fft's conventions.

/** An in-place complex FFT of a fixed length n. */
export interface ComplexFft {
  readonly n: number;
  /**
   * In place: X_k = Σ_j x_j e^{∓2πi jk/n} (sign − for forward, + for inverse), unnormalised.
   * Reads/writes re[offset .. offset+n), im[offset .. offset+n).
   */
  transform(re: Float64Array, im: Float64Array, inverse: boolean, offset?: number): void;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function checkLength(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what}: length must be an integer >= 1, got ${n}`);
}

/** Creates an FFT for length n: iterative radix-2 when n is a power of two, Bluestein's algorithm otherwise. */
export function createComplexFft(n: number): ComplexFft {
  checkLength(n, 'createComplexFft');
  return isPowerOfTwo(n) ? radix2Fft(n) : bluesteinFft(n);
}

function radix2Fft(n: number): ComplexFft {
  const levels = Math.round(Math.log2(n));
  const rev = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0, v = i; b < levels; b++, v >>= 1) r = (r << 1) | (v & 1);
    rev[i] = r;
  }
  // Twiddles e^{−2πi k/n} for k < n/2, each computed directly (no accumulated rounding).
  const half = n >> 1;
  const cosT = new Float64Array(half);
  const sinT = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    cosT[k] = Math.cos((2 * Math.PI * k) / n);
    sinT[k] = Math.sin((2 * Math.PI * k) / n);
  }
  return {
    n,
    transform(re, im, inverse, offset = 0) {
      for (let i = 0; i < n; i++) {
        const j = rev[i];
        if (j > i) {
          const a = offset + i;
          const b = offset + j;
          let t = re[a];
          re[a] = re[b];
          re[b] = t;
          t = im[a];
          im[a] = im[b];
          im[b] = t;
        }
      }
      const sign = inverse ? 1 : -1;
      for (let size = 2; size <= n; size <<= 1) {
        const halfSize = size >> 1;
        const stride = n / size;
        for (let start = 0; start < n; start += size) {
          for (let k = 0; k < halfSize; k++) {
            const wr = cosT[k * stride];
            const wi = sign * sinT[k * stride];
            const a = offset + start + k;
            const b = a + halfSize;
            const xr = re[b] * wr - im[b] * wi;
            const xi = re[b] * wi + im[b] * wr;
            re[b] = re[a] - xr;
            im[b] = im[a] - xi;
            re[a] += xr;
            im[a] += xi;
          }
        }
      }
    },
  };
}

function bluesteinFft(n: number): ComplexFft {
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const inner = radix2Fft(m);
  // chirp c_j = e^{−πi j²/n}; j² taken mod 2n so the angle stays small and exact.
  const chirpRe = new Float64Array(n);
  const chirpIm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const q = (j * j) % (2 * n);
    chirpRe[j] = Math.cos((Math.PI * q) / n);
    chirpIm[j] = -Math.sin((Math.PI * q) / n);
  }
  // FFT of the conjugate chirp b_j = conj(c_j), wrapped to length m (forward direction).
  const bRe = new Float64Array(m);
  const bIm = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    bRe[j] = chirpRe[j];
    bIm[j] = -chirpIm[j];
    if (j > 0) {
      bRe[m - j] = chirpRe[j];
      bIm[m - j] = -chirpIm[j];
    }
  }
  inner.transform(bRe, bIm, false);
  const aRe = new Float64Array(m);
  const aIm = new Float64Array(m);
  return {
    n,
    transform(re, im, inverse, offset = 0) {
      // The inverse transform is the forward one on the conjugated input, conjugated again.
      const s = inverse ? -1 : 1;
      aRe.fill(0);
      aIm.fill(0);
      for (let j = 0; j < n; j++) {
        const xr = re[offset + j];
        const xi = s * im[offset + j];
        aRe[j] = xr * chirpRe[j] - xi * chirpIm[j];
        aIm[j] = xr * chirpIm[j] + xi * chirpRe[j];
      }
      inner.transform(aRe, aIm, false);
      for (let k = 0; k < m; k++) {
        const xr = aRe[k] * bRe[k] - aIm[k] * bIm[k];
        const xi = aRe[k] * bIm[k] + aIm[k] * bRe[k];
        aRe[k] = xr;
        aIm[k] = xi;
      }
      inner.transform(aRe, aIm, true);
      for (let k = 0; k < n; k++) {
        const yr = aRe[k] / m;
        const yi = aIm[k] / m;
        re[offset + k] = yr * chirpRe[k] - yi * chirpIm[k];
        im[offset + k] = s * (yr * chirpIm[k] + yi * chirpRe[k]);
      }
    },
  };
}

/**
 * Real-signal FFT along one axis of length n with torch.fft's conventions. `nModes` (≥ 1) is the number of
 * non-negative frequencies kept; modes beyond ⌊n/2⌋ are zero (forward) or ignored (inverse), like HEAD
 * torch-harmonics' padding.
 */
export interface RealFft {
  readonly n: number;
  /**
   * out_m = scale · Σ_j x_j e^{−2πi jm/n} for m < nModes (0 for m > ⌊n/2⌋).
   * `scale = 1/n` is torch's norm="forward"; torch-harmonics' SHT uses scale = 2π/n.
   */
  forward(
    x: Float64Array,
    xOffset: number,
    outRe: Float64Array,
    outIm: Float64Array,
    outOffset: number,
    nModes: number,
    scale: number,
  ): void;
  /**
   * torch `irfft(F, n, norm="forward")` with F zero-padded/truncated to ⌊n/2⌋+1 modes:
   * y_j = Re F_0 + 2 Σ_{0<m<n/2} Re(F_m e^{2πi jm/n}) + [n even: Re F_{n/2} (−1)^j].
   * The imaginary parts of m = 0 and of the Nyquist mode are ignored. Reads F[offset .. offset+nModes).
   */
  inverse(
    fRe: Float64Array,
    fIm: Float64Array,
    fOffset: number,
    nModes: number,
    y: Float64Array,
    yOffset: number,
  ): void;
}

/** Creates a real FFT for length n (any n ≥ 1; O(n log n)). */
export function createRealFft(n: number): RealFft {
  checkLength(n, 'createRealFft');
  const cfft = createComplexFft(n);
  const workRe = new Float64Array(n);
  const workIm = new Float64Array(n);
  const nyquist = Math.floor(n / 2);
  return {
    n,
    forward(x, xOffset, outRe, outIm, outOffset, nModes, scale) {
      for (let j = 0; j < n; j++) {
        workRe[j] = x[xOffset + j];
        workIm[j] = 0;
      }
      cfft.transform(workRe, workIm, false);
      for (let m = 0; m < nModes; m++) {
        if (m <= nyquist) {
          outRe[outOffset + m] = workRe[m] * scale;
          outIm[outOffset + m] = workIm[m] * scale;
        } else {
          outRe[outOffset + m] = 0;
          outIm[outOffset + m] = 0;
        }
      }
    },
    inverse(fRe, fIm, fOffset, nModes, y, yOffset) {
      workRe.fill(0);
      workIm.fill(0);
      const top = Math.min(nModes - 1, nyquist);
      if (nModes > 0) workRe[0] = fRe[fOffset];
      for (let m = 1; m <= top; m++) {
        if (2 * m === n) {
          workRe[m] = fRe[fOffset + m];
        } else {
          workRe[m] = fRe[fOffset + m];
          workIm[m] = fIm[fOffset + m];
          workRe[n - m] = fRe[fOffset + m];
          workIm[n - m] = -fIm[fOffset + m];
        }
      }
      cfft.transform(workRe, workIm, true);
      for (let j = 0; j < n; j++) y[yOffset + j] = workRe[j];
    },
  };
}

/** Plain O(n²) DFT (X_k = Σ x_j e^{∓2πi jk/n}), for checking the fast transforms. */
export function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>, inverse: boolean): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(a);
      const s = Math.sin(a);
      sr += re[j] * c - im[j] * s;
      si += re[j] * s + im[j] * c;
    }
    outRe[k] = sr;
    outIm[k] = si;
  }
  return { re: outRe, im: outIm };
}
