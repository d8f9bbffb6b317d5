// Spectral diagnostics without an SHT: WeatherBench 2's zonal energy spectrum per latitude circle
// (metrics-factsheet §2.8), computed with a small local real DFT, and member-averaged spectra (HENS Part I).

import { checkEnsemble, checkLength, gridPoints, type GridShape } from './grid.ts';

/** WB2 `EARTH_RADIUS_M` = 1000·(6357 + 6378)/2 (§2.8). */
export const WB2_EARTH_RADIUS_M = 6_367_500;

/**
 * Real DFT with numpy rfft norm="forward": F[k] = (1/L) Σ_l f[l] e^{−2πikl/L}, k = 0..floor(L/2). Lengths that are
 * powers of two use an iterative radix-2 FFT (O(L log L)); other lengths the direct sum (O(L²)).
 */
export class RealDft {
  readonly length: number;
  readonly bins: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  /** Bit-reversed index of each input position (power-of-two lengths only). */
  private readonly reversed?: Int32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(length: number) {
    if (!Number.isInteger(length) || length < 1) throw new Error(`DFT length must be a positive integer, got ${length}`);
    this.length = length;
    this.bins = Math.floor(length / 2) + 1;
    this.cos = new Float64Array(length);
    this.sin = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / length);
      this.sin[i] = Math.sin((2 * Math.PI * i) / length);
    }
    this.re = new Float64Array(length);
    this.im = new Float64Array(length);
    if (length >= 2 && (length & (length - 1)) === 0) {
      const bits = Math.round(Math.log2(length));
      this.reversed = new Int32Array(length);
      for (let i = 0; i < length; i++) {
        let r = 0;
        for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
        this.reversed[i] = r;
      }
    }
  }

  /** |F[k]|² of `input[offset .. offset+L)` into out[outOffset + k]. */
  powerInto(input: ArrayLike<number>, offset: number, out: Float64Array, outOffset: number): void {
    const n = this.length;
    if (this.reversed) {
      const re = this.re;
      const im = this.im;
      const rev = this.reversed;
      for (let i = 0; i < n; i++) {
        re[rev[i]!] = input[offset + i]!;
        im[rev[i]!] = 0;
      }
      // butterflies with twiddles e^{−2πi j/size} = cos[j·n/size] − i·sin[j·n/size]
      for (let size = 2; size <= n; size *= 2) {
        const half = size / 2;
        const step = n / size;
        for (let start = 0; start < n; start += size) {
          for (let j = 0; j < half; j++) {
            const c = this.cos[j * step]!;
            const sn = this.sin[j * step]!;
            const a = start + j;
            const b = a + half;
            const tr = re[b]! * c + im[b]! * sn;
            const ti = im[b]! * c - re[b]! * sn;
            re[b] = re[a]! - tr;
            im[b] = im[a]! - ti;
            re[a] = re[a]! + tr;
            im[a] = im[a]! + ti;
          }
        }
      }
      for (let k = 0; k < this.bins; k++) {
        const r = re[k]! / n;
        const i = im[k]! / n;
        out[outOffset + k] = r * r + i * i;
      }
      return;
    }
    for (let k = 0; k < this.bins; k++) {
      let re = 0;
      let im = 0;
      let idx = 0;
      for (let l = 0; l < n; l++) {
        const v = input[offset + l]!;
        re += v * this.cos[idx]!;
        im -= v * this.sin[idx]!;
        idx += k;
        if (idx >= n) idx -= n;
      }
      re /= n;
      im /= n;
      out[outOffset + k] = re * re + im * im;
    }
  }
}

/**
 * Zonal energy spectrum of one field (nlat, nlon) (WB2 `ZonalEnergySpectrum`, §2.8):
 * S[0] = C|F[0]|², S[k] = 2C|F[k]|² for every k >= 1 including the Nyquist bin (§7 trap 8), C = 2πR cos φ.
 * Returns (nlat, floor(nlon/2)+1); units m·(field units)².
 */
export function zonalEnergySpectrum(
  field: ArrayLike<number>,
  grid: GridShape,
  latitudesDeg: ArrayLike<number>,
  radius = WB2_EARTH_RADIUS_M,
  dft = new RealDft(grid.nlon),
): Float64Array {
  const points = gridPoints(grid);
  checkLength('field', field, points, `nlat*nlon = ${grid.nlat}*${grid.nlon}`);
  checkLength('latitudesDeg', latitudesDeg, grid.nlat, 'one latitude per row');
  if (!(radius > 0)) throw new Error(`radius must be > 0 (metres), got ${radius}`);
  if (dft.length !== grid.nlon) throw new Error(`dft length ${dft.length} does not match nlon ${grid.nlon}`);
  const k = dft.bins;
  const out = new Float64Array(grid.nlat * k);
  for (let i = 0; i < grid.nlat; i++) {
    const lat = latitudesDeg[i]!;
    if (!(lat >= -90 && lat <= 90)) throw new Error(`latitudesDeg[${i}] must be in [-90, 90], got ${lat}`);
    const circumference = 2 * Math.PI * radius * Math.cos((lat * Math.PI) / 180);
    dft.powerInto(field, i * grid.nlon, out, i * k);
    out[i * k] = out[i * k]! * circumference;
    for (let j = 1; j < k; j++) out[i * k + j] = out[i * k + j]! * 2 * circumference;
  }
  return out;
}

/** Frequencies f_k = k / C(φ) [1/m] of each latitude's zonal spectrum (rfftfreq(L)/(C·Δλ/360)), (nlat, K); wavelength = 1/f_k. */
export function zonalFrequencies(grid: GridShape, latitudesDeg: ArrayLike<number>, radius = WB2_EARTH_RADIUS_M): Float64Array {
  gridPoints(grid);
  checkLength('latitudesDeg', latitudesDeg, grid.nlat, 'one latitude per row');
  const k = Math.floor(grid.nlon / 2) + 1;
  const out = new Float64Array(grid.nlat * k);
  for (let i = 0; i < grid.nlat; i++) {
    const c = 2 * Math.PI * radius * Math.cos((latitudesDeg[i]! * Math.PI) / 180);
    for (let j = 0; j < k; j++) out[i * k + j] = j / c;
  }
  return out;
}

/**
 * Mean over members of the members' zonal spectra, (nlat, K) (HENS: individual members' spectra should stay
 * constant with lead time while the ensemble-mean spectrum — zonalEnergySpectrum of the mean — loses power).
 */
export function memberMeanZonalSpectrum(
  ensemble: ArrayLike<number>,
  members: number,
  grid: GridShape,
  latitudesDeg: ArrayLike<number>,
  radius = WB2_EARTH_RADIUS_M,
): Float64Array {
  const points = gridPoints(grid);
  checkEnsemble(ensemble, members, points);
  const dft = new RealDft(grid.nlon);
  const k = dft.bins;
  const sum = new Float64Array(grid.nlat * k);
  const member = new Float64Array(points);
  for (let m = 0; m < members; m++) {
    for (let p = 0; p < points; p++) member[p] = ensemble[m * points + p]!;
    const s = zonalEnergySpectrum(member, grid, latitudesDeg, radius, dft);
    for (let i = 0; i < s.length; i++) sum[i] = sum[i]! + s[i]!;
  }
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! / members;
  return sum;
}

/** Elementwise ratio of two spectra of equal shape (e.g. forecast / truth), NaN where the reference is 0. */
export function spectrumRatio(spectrum: ArrayLike<number>, reference: ArrayLike<number>): Float64Array {
  checkLength('reference', reference, spectrum.length, 'same shape as spectrum');
  const out = new Float64Array(spectrum.length);
  for (let i = 0; i < out.length; i++) out[i] = reference[i]! === 0 ? Number.NaN : spectrum[i]! / reference[i]!;
  return out;
}
