// Float64 reference differential operators on the sphere through the SHTs (torch-harmonics shallow-water
// conventions): Laplacian and its inverse, vorticity/divergence of a wind and back, streamfunction/potential, gradient.
//
// Winds are grid arrays (…, 2, nlat, nlon) with component 0 = u (eastward), 1 = v (northward). As in
// torch-harmonics' ShallowWaterSolver, (u, v) are fed into the vector SHT's (v_θ, v_λ) slots: that relabelling
// turns the spheroidal/toroidal coefficients into vorticity/divergence potentials.

import { type ComplexTensor, type Float64Tensor, shapeSize } from './grid.ts';
import type { SphericalHarmonicTransform } from './reference.ts';

/** Earth radius used by torch-harmonics' shallow-water solver (m). */
export const SWE_EARTH_RADIUS = 6.37122e6;

function checkRadius(radius: number, what: string): void {
  if (!(typeof radius === 'number' && Number.isFinite(radius) && radius > 0)) {
    throw new RangeError(`${what}: radius must be a positive finite number, got ${radius}`);
  }
}

function checkSpectral(what: string, c: ComplexTensor, lmax: number, mmax: number): number {
  const s = c.shape;
  if (s.length < 2 || s[s.length - 2] !== lmax || s[s.length - 1] !== mmax) {
    throw new RangeError(`${what}: expected shape (…, lmax=${lmax}, mmax=${mmax}), got [${s.join(', ')}]`);
  }
  const n = shapeSize(s);
  if (c.re.length !== n || c.im.length !== n) {
    throw new RangeError(`${what}: re/im have ${c.re.length}/${c.im.length} values but shape [${s.join(', ')}] needs ${n}`);
  }
  return n / (lmax * mmax);
}

/** Multiplies coefficient [l, m] of (…, lmax, mmax) spectra by factor(l). */
function scaleByDegree(c: ComplexTensor, factor: (l: number) => number, what: string): ComplexTensor {
  const s = c.shape;
  if (s.length < 2) throw new RangeError(`${what}: expected shape (…, lmax, mmax), got [${s.join(', ')}]`);
  const lmax = s[s.length - 2];
  const mmax = s[s.length - 1];
  const batch = checkSpectral(what, c, lmax, mmax);
  const re = new Float64Array(c.re.length);
  const im = new Float64Array(c.im.length);
  for (let b = 0; b < batch; b++) {
    for (let l = 0; l < lmax; l++) {
      const f = factor(l);
      const o = (b * lmax + l) * mmax;
      for (let m = 0; m < mmax; m++) {
        re[o + m] = c.re[o + m] * f;
        im[o + m] = c.im[o + m] * f;
      }
    }
  }
  return { re, im, shape: [...s] };
}

/** Spectral Laplacian on a sphere of `radius`: coefficient × −l(l+1)/R². */
export function laplacianSpectral(c: ComplexTensor, radius = 1): ComplexTensor {
  checkRadius(radius, 'laplacianSpectral');
  return scaleByDegree(c, (l) => (-l * (l + 1)) / (radius * radius), 'laplacianSpectral');
}

/** Spectral inverse Laplacian: coefficient × −R²/(l(l+1)), with l = 0 set to 0 (zero-mean solution). */
export function inverseLaplacianSpectral(c: ComplexTensor, radius = 1): ComplexTensor {
  checkRadius(radius, 'inverseLaplacianSpectral');
  return scaleByDegree(c, (l) => (l === 0 ? 0 : (-radius * radius) / (l * (l + 1))), 'inverseLaplacianSpectral');
}

function checkVectorNorm(sht: SphericalHarmonicTransform, what: string): void {
  if (sht.config.norm === 'schmidt') {
    throw new RangeError(
      `${what}: sht.norm 'schmidt' is not supported (torch-harmonics v0.6.3's Schmidt vector transform is not consistent with its scalar one); use 'ortho' or 'four-pi'`,
    );
  }
}

/** Splits (…, 2, lmax, mmax) into its two (…, lmax, mmax) halves. */
function unstack(c: ComplexTensor): [ComplexTensor, ComplexTensor] {
  const s = c.shape;
  const lead = s.slice(0, -3);
  const plane = s[s.length - 2] * s[s.length - 1];
  const batch = shapeSize(lead);
  const parts: [ComplexTensor, ComplexTensor] = [
    { re: new Float64Array(batch * plane), im: new Float64Array(batch * plane), shape: [...lead, s[s.length - 2], s[s.length - 1]] },
    { re: new Float64Array(batch * plane), im: new Float64Array(batch * plane), shape: [...lead, s[s.length - 2], s[s.length - 1]] },
  ];
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < 2; d++) {
      parts[d].re.set(c.re.subarray((2 * b + d) * plane, (2 * b + d + 1) * plane), b * plane);
      parts[d].im.set(c.im.subarray((2 * b + d) * plane, (2 * b + d + 1) * plane), b * plane);
    }
  }
  return parts;
}

/** Stacks two (…, lmax, mmax) arrays of equal shape into (…, 2, lmax, mmax). */
function stack(a: ComplexTensor, b: ComplexTensor, what: string): ComplexTensor {
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new RangeError(`${what}: the two spectra must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const s = a.shape;
  const plane = s[s.length - 2] * s[s.length - 1];
  const batch = shapeSize(s.slice(0, -2));
  const re = new Float64Array(2 * batch * plane);
  const im = new Float64Array(2 * batch * plane);
  for (let i = 0; i < batch; i++) {
    re.set(a.re.subarray(i * plane, (i + 1) * plane), 2 * i * plane);
    im.set(a.im.subarray(i * plane, (i + 1) * plane), 2 * i * plane);
    re.set(b.re.subarray(i * plane, (i + 1) * plane), (2 * i + 1) * plane);
    im.set(b.im.subarray(i * plane, (i + 1) * plane), (2 * i + 1) * plane);
  }
  return { re, im, shape: [...s.slice(0, -2), 2, s[s.length - 2], s[s.length - 1]] };
}

/**
 * Vorticity ζ = k·∇×u and divergence δ = ∇·u spectra of a wind (…, 2, nlat, nlon) = (u east, v north) on a sphere
 * of `radius` (torch-harmonics `vrtdivspec`: lap·R·VectorSHT(u, v)). Each result is (…, lmax, mmax).
 */
export function vorticityDivergenceSpectral(
  sht: SphericalHarmonicTransform,
  wind: Float64Tensor,
  radius = 1,
): { vorticity: ComplexTensor; divergence: ComplexTensor } {
  checkRadius(radius, 'vorticityDivergenceSpectral');
  checkVectorNorm(sht, 'vorticityDivergenceSpectral');
  const vs = sht.vectorForward(wind);
  const scaled = scaleByDegree(
    { re: vs.re, im: vs.im, shape: vs.shape },
    (l) => (-l * (l + 1)) / radius,
    'vorticityDivergenceSpectral',
  );
  const [vorticity, divergence] = unstack(scaled);
  return { vorticity, divergence };
}

/** Vorticity and divergence of a wind as grid fields (…, nlat, nlon). */
export function vorticityDivergence(
  sht: SphericalHarmonicTransform,
  wind: Float64Tensor,
  radius = 1,
): { vorticity: Float64Tensor; divergence: Float64Tensor } {
  const s = vorticityDivergenceSpectral(sht, wind, radius);
  return { vorticity: sht.inverse(s.vorticity), divergence: sht.inverse(s.divergence) };
}

/** Streamfunction ψ = ∇⁻²ζ and velocity potential χ = ∇⁻²δ (spectra, l = 0 set to 0). */
export function streamfunctionVelocityPotential(
  vorticity: ComplexTensor,
  divergence: ComplexTensor,
  radius = 1,
): { streamfunction: ComplexTensor; velocityPotential: ComplexTensor } {
  return {
    streamfunction: inverseLaplacianSpectral(vorticity, radius),
    velocityPotential: inverseLaplacianSpectral(divergence, radius),
  };
}

/**
 * The wind (…, 2, nlat, nlon) = (u, v) = k×∇ψ + ∇χ with ∇²ψ = ζ, ∇²χ = δ, from vorticity and divergence spectra
 * (torch-harmonics `getuv`: InverseVectorSHT(invlap·(ζ, δ)/R)). The l = 0 parts of ζ, δ carry no wind.
 */
export function windFromVorticityDivergence(
  sht: SphericalHarmonicTransform,
  vorticity: ComplexTensor,
  divergence: ComplexTensor,
  radius = 1,
): Float64Tensor {
  checkRadius(radius, 'windFromVorticityDivergence');
  checkVectorNorm(sht, 'windFromVorticityDivergence');
  checkSpectral('windFromVorticityDivergence vorticity', vorticity, sht.lmax, sht.mmax);
  checkSpectral('windFromVorticityDivergence divergence', divergence, sht.lmax, sht.mmax);
  const potentials = stack(vorticity, divergence, 'windFromVorticityDivergence');
  const scaled = scaleByDegree(potentials, (l) => (l === 0 ? 0 : -radius / (l * (l + 1))), 'windFromVorticityDivergence');
  return sht.vectorInverse(scaled);
}

/**
 * Gradient ∇f = ((1/(R cos φ)) ∂f/∂λ, (1/R) ∂f/∂φ) as a wind-like array (…, 2, nlat, nlon) (east, north) from the
 * spectrum of f: the irrotational wind with velocity potential f, i.e. InverseVectorSHT((0, f̂/R)).
 */
export function gradientFromSpectral(sht: SphericalHarmonicTransform, f: ComplexTensor, radius = 1): Float64Tensor {
  checkRadius(radius, 'gradientFromSpectral');
  checkVectorNorm(sht, 'gradientFromSpectral');
  checkSpectral('gradientFromSpectral input', f, sht.lmax, sht.mmax);
  const zero = { re: new Float64Array(f.re.length), im: new Float64Array(f.im.length), shape: [...f.shape] };
  const scaledF = scaleByDegree(f, () => 1 / radius, 'gradientFromSpectral');
  return sht.vectorInverse(stack(zero, scaledF, 'gradientFromSpectral'));
}

/** Gradient of a grid field (…, nlat, nlon) → (…, 2, nlat, nlon) (east, north); exact for band-limited f. */
export function gradient(sht: SphericalHarmonicTransform, f: Float64Tensor, radius = 1): Float64Tensor {
  return gradientFromSpectral(sht, sht.forward(f), radius);
}

/** Laplacian of a grid field (…, nlat, nlon) through the SHT. */
export function laplacian(sht: SphericalHarmonicTransform, f: Float64Tensor, radius = 1): Float64Tensor {
  return sht.inverse(laplacianSpectral(sht.forward(f), radius));
}
