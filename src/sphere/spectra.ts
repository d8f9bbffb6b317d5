// Power spectra on the sphere: the angular (per-degree) power spectrum of SHT coefficients and WeatherBench 2's
// zonal energy spectrum along latitude circles.

import { createRealFft } from './fft.ts';
import { type ComplexTensor, type Float64Tensor, shapeSize } from './grid.ts';

/** Earth radius WeatherBench 2 uses for zonal spectra, 1000·(6357 + 6378)/2 m. */
export const WB2_EARTH_RADIUS = 6_367_500;

/**
 * Angular power spectrum P(l) = |a_l0|² + 2 Σ_{m≥1} |a_lm|² of real-field coefficients (…, lmax, mmax) → (…, lmax)
 * (torch-harmonics/makani convention: |sht(x)|², m > 0 doubled, summed over m). With 'ortho' coefficients
 * Σ_l P(l) = ∫ f² dΩ; divide by (2l+1) for healpy's C_l, by 4π for SHTOOLS' 4π-normalised power.
 */
export function angularPowerSpectrum(c: ComplexTensor): Float64Tensor {
  const s = c.shape;
  if (s.length < 2) throw new RangeError(`angularPowerSpectrum: expected shape (…, lmax, mmax), got [${s.join(', ')}]`);
  const lmax = s[s.length - 2];
  const mmax = s[s.length - 1];
  const n = shapeSize(s);
  if (c.re.length !== n || c.im.length !== n) {
    throw new RangeError(`angularPowerSpectrum: re/im have ${c.re.length}/${c.im.length} values but shape [${s.join(', ')}] needs ${n}`);
  }
  const batch = n / (lmax * mmax || 1);
  const out = new Float64Array(batch * lmax);
  for (let b = 0; b < batch; b++) {
    for (let l = 0; l < lmax; l++) {
      const o = (b * lmax + l) * mmax;
      let p = 0;
      for (let m = 0; m < mmax; m++) {
        const a2 = c.re[o + m] * c.re[o + m] + c.im[o + m] * c.im[o + m];
        p += m === 0 ? a2 : 2 * a2;
      }
      out[b * lmax + l] = p;
    }
  }
  return { data: out, shape: [...s.slice(0, -1)] };
}

export interface ZonalEnergySpectrum {
  /** (…, nlat, nlon//2 + 1): S[0] = C|F_0|², S[k] = 2C|F_k|² for every k ≥ 1 (Nyquist included), F = rfft/nlon. */
  spectrum: Float64Tensor;
  /** [nlat, nlon//2 + 1] frequency k/C in 1/m (C = 2πR cos φ, the circle's circumference). */
  frequency: Float64Tensor;
  /** [nlat, nlon//2 + 1] wavelength C/k in m (Infinity for k = 0). */
  wavelength: Float64Tensor;
}

/**
 * WeatherBench 2 `ZonalEnergySpectrum` of grid fields (…, nlat, nlon) whose rows lie at `latitudesRad`
 * (row order of the data, e.g. `gridGeometry(grid).latitudes`): per latitude circle of circumference
 * C = 2πR cos φ, F = numpy rfft(norm="forward"), S[0] = C|F_0|², S[k] = 2C|F_k|² for k ≥ 1.
 * Parseval: (C/nlon) Σ_j f_j² = Σ_k S[k] when the Nyquist coefficient is zero.
 */
export function zonalEnergySpectrum(field: Float64Tensor, latitudesRad: ArrayLike<number>, radius = WB2_EARTH_RADIUS): ZonalEnergySpectrum {
  const s = field.shape;
  if (s.length < 2) throw new RangeError(`zonalEnergySpectrum: expected shape (…, nlat, nlon), got [${s.join(', ')}]`);
  const nlat = s[s.length - 2];
  const nlon = s[s.length - 1];
  if (latitudesRad.length !== nlat) {
    throw new RangeError(`zonalEnergySpectrum: ${latitudesRad.length} latitudes given for ${nlat} rows`);
  }
  if (!(Number.isFinite(radius) && radius > 0)) throw new RangeError(`zonalEnergySpectrum: radius must be positive, got ${radius}`);
  const n = shapeSize(s);
  if (field.data.length !== n) throw new RangeError(`zonalEnergySpectrum: data has ${field.data.length} values but shape needs ${n}`);
  const nk = Math.floor(nlon / 2) + 1;
  const fft = createRealFft(nlon);
  const rows = n / nlon;
  const out = new Float64Array(rows * nk);
  const re = new Float64Array(nk);
  const im = new Float64Array(nk);
  const circumference = new Float64Array(nlat);
  for (let k = 0; k < nlat; k++) circumference[k] = 2 * Math.PI * radius * Math.cos(latitudesRad[k]);
  for (let r = 0; r < rows; r++) {
    const c = circumference[r % nlat];
    fft.forward(field.data, r * nlon, re, im, 0, nk, 1 / nlon);
    for (let k = 0; k < nk; k++) {
      const a2 = re[k] * re[k] + im[k] * im[k];
      out[r * nk + k] = (k === 0 ? 1 : 2) * c * a2;
    }
  }
  const frequency = new Float64Array(nlat * nk);
  const wavelength = new Float64Array(nlat * nk);
  for (let j = 0; j < nlat; j++) {
    for (let k = 0; k < nk; k++) {
      frequency[j * nk + k] = k / circumference[j];
      wavelength[j * nk + k] = k === 0 ? Infinity : circumference[j] / k;
    }
  }
  return {
    spectrum: { data: out, shape: [...s.slice(0, -1), nk] },
    frequency: { data: frequency, shape: [nlat, nk] },
    wavelength: { data: wavelength, shape: [nlat, nk] },
  };
}
