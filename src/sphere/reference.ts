// Float64 reference spherical harmonic transforms (scalar and vector, forward and inverse) with exactly the
// conventions of torch-harmonics v0.6.3 RealSHT / InverseRealSHT / RealVectorSHT / InverseRealVectorSHT.
//
// Grid arrays (…, nlat, nlon), row 0 northernmost; vector grids (…, 2, nlat, nlon) with component 0 = v_θ
// (southward), 1 = v_λ (eastward). Spectra complex (…, lmax, mmax) indexed [l, m], m ≥ 0 only; vector spectra
// (…, 2, lmax, mmax) with 0 = spheroidal, 1 = toroidal.

import { createRealFft, type RealFft } from './fft.ts';
import { type ComplexTensor, type Float64Tensor, type Grid, gridGeometry, shapeSize } from './grid.ts';
import {
  legendreTable,
  resolveShtConfig,
  scalarForwardTable,
  scalarInverseTable,
  type ShtConfig,
  type ShtOptions,
  vectorForwardTable,
  vectorInverseTable,
} from './legendre.ts';

/**
 * Above this many table entries (mmax·lmax·nlat, 128 MiB of float64) the scalar inverse evaluates the Legendre
 * functions row by row instead of materialising the table (same values; used e.g. for 721×1440 noise fields).
 */
export const TABLE_ENTRY_LIMIT = 16 * 1024 * 1024;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkTrailing(
  what: string,
  shape: readonly number[],
  length: number,
  trailing: readonly number[],
  names: readonly string[],
): number {
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new RangeError(`${what}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const n = trailing.length;
  const tail = shape.slice(shape.length - n);
  if (shape.length < n || tail.some((s, i) => s !== trailing[i])) {
    throw new RangeError(
      `${what}: expected shape (…, ${names.map((nm, i) => `${nm}=${trailing[i]}`).join(', ')}), got ${shapeText(shape)}`,
    );
  }
  const size = shapeSize(shape);
  if (length !== size) throw new RangeError(`${what}: data has ${length} values but shape ${shapeText(shape)} needs ${size}`);
  return size / shapeSize(trailing);
}

/**
 * Precomputed spherical harmonic transforms for one grid and truncation. Tables are built on first use and
 * kept (`scalarForwardTable` etc. from legendre.ts). All methods accept any number of leading batch dims.
 */
export class SphericalHarmonicTransform {
  readonly config: ShtConfig;
  private readonly fft: RealFft;
  private tables: {
    scalarForward?: Float64Tensor;
    scalarInverse?: Float64Tensor;
    vectorForward?: Float64Tensor;
    vectorInverse?: Float64Tensor;
  } = {};

  constructor(grid: Grid, options: ShtOptions = {}) {
    this.config = resolveShtConfig(grid, options);
    this.fft = createRealFft(this.config.grid.nlon);
  }

  get nlat(): number {
    return this.config.grid.nlat;
  }
  get nlon(): number {
    return this.config.grid.nlon;
  }
  get lmax(): number {
    return this.config.lmax;
  }
  get mmax(): number {
    return this.config.mmax;
  }

  /** [mmax, lmax, nlat] forward table, quadrature weights folded in. */
  get scalarForwardTable(): Float64Tensor {
    return (this.tables.scalarForward ??= scalarForwardTable(this.config));
  }
  /** [mmax, lmax, nlat] synthesis table. */
  get scalarInverseTable(): Float64Tensor {
    return (this.tables.scalarInverse ??= scalarInverseTable(this.config));
  }
  /** [2, mmax, lmax, nlat] forward vector table (weights, 1/(l(l+1)) and the sign of component 1 folded in). */
  get vectorForwardTable(): Float64Tensor {
    return (this.tables.vectorForward ??= vectorForwardTable(this.config));
  }
  /** [2, mmax, lmax, nlat] synthesis vector table. */
  get vectorInverseTable(): Float64Tensor {
    return (this.tables.vectorInverse ??= vectorInverseTable(this.config));
  }

  /** X[k, m] = 2π/nlon Σ_j f[k, j] e^{−2πi jm/nlon}, m < mmax, for one (nlat, nlon) field at `offset`. */
  private analyseRows(data: Float64Array, offset: number, xRe: Float64Array, xIm: Float64Array): void {
    const { nlat, nlon, mmax } = this;
    const scale = (2 * Math.PI) / nlon;
    for (let k = 0; k < nlat; k++) this.fft.forward(data, offset + k * nlon, xRe, xIm, k * mmax, mmax, scale);
  }

  /** Scalar forward SHT (RealSHT): f (…, nlat, nlon) → f̂ (…, lmax, mmax). */
  forward(x: Float64Tensor): ComplexTensor {
    const { nlat, nlon, lmax, mmax } = this;
    const batch = checkTrailing('sht.forward input', x.shape, x.data.length, [nlat, nlon], ['nlat', 'nlon']);
    const w = this.scalarForwardTable.data;
    const outShape = [...x.shape.slice(0, -2), lmax, mmax];
    const re = new Float64Array(batch * lmax * mmax);
    const im = new Float64Array(batch * lmax * mmax);
    const xRe = new Float64Array(nlat * mmax);
    const xIm = new Float64Array(nlat * mmax);
    for (let b = 0; b < batch; b++) {
      this.analyseRows(x.data, b * nlat * nlon, xRe, xIm);
      const o = b * lmax * mmax;
      for (let m = 0; m < mmax; m++) {
        for (let l = m; l < lmax; l++) {
          const t = (m * lmax + l) * nlat;
          let sr = 0;
          let si = 0;
          for (let k = 0; k < nlat; k++) {
            const wk = w[t + k];
            sr += wk * xRe[k * mmax + m];
            si += wk * xIm[k * mmax + m];
          }
          re[o + l * mmax + m] = sr;
          im[o + l * mmax + m] = si;
        }
      }
    }
    return { re, im, shape: outShape };
  }

  /**
   * Scalar inverse SHT (InverseRealSHT): f̂ (…, lmax, mmax) → f (…, nlat, nlon). Entries with m > l are ignored.
   * Large configurations without a built table are synthesised row by row (see TABLE_ENTRY_LIMIT).
   */
  inverse(c: ComplexTensor): Float64Tensor {
    const { nlat, nlon, lmax, mmax } = this;
    checkComplex('sht.inverse input', c);
    const batch = checkTrailing('sht.inverse input', c.shape, c.re.length, [lmax, mmax], ['lmax', 'mmax']);
    const out = new Float64Array(batch * nlat * nlon);
    if (!this.tables.scalarInverse && mmax * lmax * nlat > TABLE_ENTRY_LIMIT) {
      this.inverseRowwise(c, batch, out);
      return { data: out, shape: [...c.shape.slice(0, -2), nlat, nlon] };
    }
    const p = this.scalarInverseTable.data;
    const fRe = new Float64Array(nlat * mmax);
    const fIm = new Float64Array(nlat * mmax);
    for (let b = 0; b < batch; b++) {
      const o = b * lmax * mmax;
      fRe.fill(0);
      fIm.fill(0);
      for (let m = 0; m < mmax; m++) {
        for (let l = m; l < lmax; l++) {
          const cr = c.re[o + l * mmax + m];
          const ci = c.im[o + l * mmax + m];
          if (cr === 0 && ci === 0) continue;
          const t = (m * lmax + l) * nlat;
          for (let k = 0; k < nlat; k++) {
            fRe[k * mmax + m] += p[t + k] * cr;
            fIm[k * mmax + m] += p[t + k] * ci;
          }
        }
      }
      for (let k = 0; k < nlat; k++) this.fft.inverse(fRe, fIm, k * mmax, mmax, out, (b * nlat + k) * nlon);
    }
    return { data: out, shape: [...c.shape.slice(0, -2), nlat, nlon] };
  }

  /** Same as `inverse`, always evaluating the Legendre functions row by row (no table is built or used). */
  inverseByRow(c: ComplexTensor): Float64Tensor {
    const { nlat, nlon, lmax, mmax } = this;
    checkComplex('sht.inverseByRow input', c);
    const batch = checkTrailing('sht.inverseByRow input', c.shape, c.re.length, [lmax, mmax], ['lmax', 'mmax']);
    const out = new Float64Array(batch * nlat * nlon);
    this.inverseRowwise(c, batch, out);
    return { data: out, shape: [...c.shape.slice(0, -2), nlat, nlon] };
  }

  /** Synthesis one latitude row at a time, evaluating the Legendre functions per row (memory O(mmax·lmax)). */
  private inverseRowwise(c: ComplexTensor, batch: number, out: Float64Array): void {
    const { nlat, nlon, lmax, mmax } = this;
    const x = gridGeometry(this.config.grid).cosColatitudes;
    const fRe = new Float64Array(mmax);
    const fIm = new Float64Array(mmax);
    for (let k = 0; k < nlat; k++) {
      const p = legendreTable(mmax, lmax, [x[k]], { norm: this.config.norm, inverse: true, csphase: this.config.csphase }).data;
      for (let b = 0; b < batch; b++) {
        const o = b * lmax * mmax;
        for (let m = 0; m < mmax; m++) {
          let sr = 0;
          let si = 0;
          for (let l = m; l < lmax; l++) {
            const pv = p[m * lmax + l];
            sr += pv * c.re[o + l * mmax + m];
            si += pv * c.im[o + l * mmax + m];
          }
          fRe[m] = sr;
          fIm[m] = si;
        }
        this.fft.inverse(fRe, fIm, 0, mmax, out, (b * nlat + k) * nlon);
      }
    }
  }

  /**
   * Vector forward SHT (RealVectorSHT): (v_θ, v_λ) (…, 2, nlat, nlon) → (spheroidal s, toroidal t) (…, 2, lmax, mmax):
   * s = Σ_k (X0 W0 + i X1 W1), t = Σ_k (i X0 W1 − X1 W0), W = `vectorForwardTable`.
   */
  vectorForward(v: Float64Tensor): ComplexTensor {
    const { nlat, nlon, lmax, mmax } = this;
    const batch = checkTrailing('sht.vectorForward input', v.shape, v.data.length, [2, nlat, nlon], ['2', 'nlat', 'nlon']);
    const w = this.vectorForwardTable.data;
    const plane = mmax * lmax * nlat;
    const re = new Float64Array(batch * 2 * lmax * mmax);
    const im = new Float64Array(batch * 2 * lmax * mmax);
    const x0r = new Float64Array(nlat * mmax);
    const x0i = new Float64Array(nlat * mmax);
    const x1r = new Float64Array(nlat * mmax);
    const x1i = new Float64Array(nlat * mmax);
    for (let b = 0; b < batch; b++) {
      this.analyseRows(v.data, (2 * b) * nlat * nlon, x0r, x0i);
      this.analyseRows(v.data, (2 * b + 1) * nlat * nlon, x1r, x1i);
      const os = 2 * b * lmax * mmax;
      const ot = os + lmax * mmax;
      for (let m = 0; m < mmax; m++) {
        for (let l = 0; l < lmax; l++) {
          const t = (m * lmax + l) * nlat;
          let sr = 0, si = 0, tr = 0, ti = 0;
          for (let k = 0; k < nlat; k++) {
            const w0 = w[t + k];
            const w1 = w[plane + t + k];
            const km = k * mmax + m;
            sr += x0r[km] * w0 - x1i[km] * w1;
            si += x0i[km] * w0 + x1r[km] * w1;
            tr += -x0i[km] * w1 - x1r[km] * w0;
            ti += x0r[km] * w1 - x1i[km] * w0;
          }
          re[os + l * mmax + m] = sr;
          im[os + l * mmax + m] = si;
          re[ot + l * mmax + m] = tr;
          im[ot + l * mmax + m] = ti;
        }
      }
    }
    return { re, im, shape: [...v.shape.slice(0, -3), 2, lmax, mmax] };
  }

  /**
   * Vector inverse SHT (InverseRealVectorSHT): (s, t) (…, 2, lmax, mmax) → (v_θ, v_λ) (…, 2, nlat, nlon):
   * V0 = Σ_l (S D0 + i T D1), V1 = Σ_l (i S D1 − T D0), D = `vectorInverseTable`, then real synthesis.
   */
  vectorInverse(c: ComplexTensor): Float64Tensor {
    const { nlat, nlon, lmax, mmax } = this;
    checkComplex('sht.vectorInverse input', c);
    const batch = checkTrailing('sht.vectorInverse input', c.shape, c.re.length, [2, lmax, mmax], ['2', 'lmax', 'mmax']);
    const d = this.vectorInverseTable.data;
    const plane = mmax * lmax * nlat;
    const out = new Float64Array(batch * 2 * nlat * nlon);
    const v0r = new Float64Array(nlat * mmax);
    const v0i = new Float64Array(nlat * mmax);
    const v1r = new Float64Array(nlat * mmax);
    const v1i = new Float64Array(nlat * mmax);
    for (let b = 0; b < batch; b++) {
      const os = 2 * b * lmax * mmax;
      const ot = os + lmax * mmax;
      v0r.fill(0);
      v0i.fill(0);
      v1r.fill(0);
      v1i.fill(0);
      for (let m = 0; m < mmax; m++) {
        for (let l = 0; l < lmax; l++) {
          const sr = c.re[os + l * mmax + m];
          const si = c.im[os + l * mmax + m];
          const tr = c.re[ot + l * mmax + m];
          const ti = c.im[ot + l * mmax + m];
          const t = (m * lmax + l) * nlat;
          for (let k = 0; k < nlat; k++) {
            const d0 = d[t + k];
            const d1 = d[plane + t + k];
            const km = k * mmax + m;
            v0r[km] += sr * d0 - ti * d1;
            v0i[km] += si * d0 + tr * d1;
            v1r[km] += -si * d1 - tr * d0;
            v1i[km] += sr * d1 - ti * d0;
          }
        }
      }
      const base = 2 * b * nlat * nlon;
      for (let k = 0; k < nlat; k++) {
        this.fft.inverse(v0r, v0i, k * mmax, mmax, out, base + k * nlon);
        this.fft.inverse(v1r, v1i, k * mmax, mmax, out, base + (nlat + k) * nlon);
      }
    }
    return { data: out, shape: [...c.shape.slice(0, -3), 2, nlat, nlon] };
  }
}

function checkComplex(what: string, c: ComplexTensor): void {
  if (!(c.re instanceof Float64Array) || !(c.im instanceof Float64Array)) {
    throw new TypeError(`${what}: re and im must be Float64Arrays`);
  }
  if (c.re.length !== c.im.length) {
    throw new RangeError(`${what}: re has ${c.re.length} values but im has ${c.im.length}`);
  }
}

/** Convenience constructor: `new SphericalHarmonicTransform(grid, options)`. */
export function createSht(grid: Grid, options: ShtOptions = {}): SphericalHarmonicTransform {
  return new SphericalHarmonicTransform(grid, options);
}

/** A zero complex array of the given shape. */
export function complexZeros(shape: number[]): ComplexTensor {
  const n = shapeSize(shape);
  return { re: new Float64Array(n), im: new Float64Array(n), shape: [...shape] };
}
