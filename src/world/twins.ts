// Balanced twin perturbations for predictability (chaos) experiments: a smooth random streamfunction, its vorticity
// and the geopotential of linear balance ∇²Φ′ = ∇·(f∇ψ′), scaled to a chosen area-rms height difference.
import { createSht } from '../sphere/reference.ts';
import type { ShallowWaterModel } from './swe.ts';
import { balancedGeopotential } from './initial.ts';

/** [l, m] spectra (model truncation, norm "ortho", no Condon–Shortley phase) of a balanced perturbation. */
export interface BalancedPerturbation {
  /** geopotential Φ′ (m²/s²) */
  phi: { re: Float64Array; im: Float64Array };
  /** relative vorticity ζ′ (1/s) */
  vorticity: { re: Float64Array; im: Float64Array };
}

/**
 * A balanced perturbation of area-rms height `metres`: ψ′ with uniform random coefficients (a seeded linear
 * congruential sequence, in the model's coefficient order) at degrees 1..maxDegree, ζ′ = ∇²ψ′, δ′ = 0 and Φ′ from
 * linear balance (k·∇×(f u_ψ) = ∇·(f∇ψ′), u_ψ = k×∇ψ′). Unlike a height-only perturbation it does not radiate away
 * as gravity waves in the first days.
 */
export function balancedPerturbation(model: ShallowWaterModel, metres: number, options: { maxDegree?: number; seed?: number } = {}): BalancedPerturbation {
  if (!(Number.isFinite(metres) && metres > 0)) throw new RangeError(`balancedPerturbation: metres must be a positive number, got ${metres}`);
  const o = model.options;
  const L = o.lmax, M = o.mmax, R = o.radius;
  const maxDegree = options.maxDegree ?? 20;
  if (!(Number.isInteger(maxDegree) && maxDegree >= 1 && maxDegree < L)) throw new RangeError(`balancedPerturbation: maxDegree must be an integer in [1, ${L - 1}], got ${maxDegree}`);
  const sht = createSht({ kind: o.grid, nlat: o.nlat, nlon: o.nlon }, { lmax: L, mmax: M, norm: 'ortho', csphase: false });
  let seed = options.seed ?? 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const zeta = { re: new Float64Array(L * M), im: new Float64Array(L * M), shape: [L, M] };
  for (const e of model.entries) {
    if (e.l < 1 || e.l > maxDegree || e.l < e.m) continue;
    const re = rnd();
    const im = e.m === 0 ? 0 : rnd();
    const lap = -(e.l * (e.l + 1)) / (R * R);
    zeta.re[e.l * M + e.m] = lap * re;
    zeta.im[e.l * M + e.m] = lap * im;
  }
  const phi = balancedGeopotential(model, sht, zeta, 'linear');
  let power = 0;
  for (let l = 1; l < L; l++)
    for (let m = 0; m <= Math.min(l, M - 1); m++) {
      const i = l * M + m;
      if (m === 0) phi.im[i] = 0;
      power += (m === 0 ? 1 : 2) * (phi.re[i] ** 2 + phi.im[i] ** 2);
    }
  // ortho norm: area-mean square = Σ (m > 0 doubled) |c|² / 4π
  const scale = (metres * o.gravity * Math.sqrt(4 * Math.PI)) / Math.sqrt(power);
  for (const a of [phi.re, phi.im, zeta.re, zeta.im]) for (let i = 0; i < a.length; i++) a[i] *= scale;
  return { phi, vorticity: { re: zeta.re, im: zeta.im } };
}
