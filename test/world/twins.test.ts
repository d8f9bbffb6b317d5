// Balanced twin perturbations (src/world/twins.ts): the requested height rms, linear balance checked on the grid by a
// route independent of the implementation's, reproducibility from the seed, and refusal of bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShallowWaterModel } from '../../src/world/swe.ts';
import { balancedPerturbation } from '../../src/world/twins.ts';
import { createSht } from '../../src/sphere/reference.ts';
import { windFromVorticityDivergence } from '../../src/sphere/operators.ts';

const model = new ShallowWaterModel({ nlat: 32, nlon: 64, lmax: 22, dt: 600, dtype: 'float64' }, 1);
const o = model.options;
const L = o.lmax, M = o.mmax, R = o.radius;
const sht = createSht({ kind: o.grid, nlat: o.nlat, nlon: o.nlon }, { lmax: L, mmax: M, norm: 'ortho', csphase: false });
const geo = model.geometry;
const areaMean = (f: ArrayLike<number>) => {
  let s = 0, w = 0;
  for (let k = 0; k < o.nlat; k++) for (let j = 0; j < o.nlon; j++) { s += geo.rowWeights[k] * f[k * o.nlon + j]; w += geo.rowWeights[k]; }
  return s / w;
};

test('balanced perturbation: area-rms height as requested, zero mean, degrees 1..maxDegree only', () => {
  const p = balancedPerturbation(model, 1.5, { maxDegree: 12 });
  const h = sht.inverse({ re: p.phi.re, im: p.phi.im, shape: [L, M] }).data.map((v) => v / o.gravity);
  assert.ok(Math.abs(Math.sqrt(areaMean(h.map((v) => v * v))) - 1.5) < 1e-9, 'rms 1.5 m');
  assert.ok(Math.abs(areaMean(h)) < 1e-9, 'zero mean');
  for (let l = 0; l < L; l++)
    for (let m = 0; m < M; m++)
      if (l === 0 || l > 12) assert.equal(p.vorticity.re[l * M + m], 0, `vorticity at l=${l} m=${m}`);
});

test('balanced perturbation: ∇²Φ′ = f ζ′ − 2Ω cos φ u′/R on the grid (linear balance, ∇f·∇ψ′ = −2Ω cos φ u′/R)', () => {
  const p = balancedPerturbation(model, 1);
  // ∇²Φ′ from the spectra
  const lapRe = new Float64Array(L * M), lapIm = new Float64Array(L * M);
  for (let l = 0; l < L; l++) for (let m = 0; m < M; m++) { const c = -(l * (l + 1)) / (R * R); lapRe[l * M + m] = c * p.phi.re[l * M + m]; lapIm[l * M + m] = c * p.phi.im[l * M + m]; }
  const lapPhi = sht.inverse({ re: lapRe, im: lapIm, shape: [L, M] }).data;
  // right-hand side from grid products: ζ′ and the rotational wind u′ = −(1/R) ∂ψ′/∂φ
  const zeta = sht.inverse({ re: p.vorticity.re, im: p.vorticity.im, shape: [L, M] }).data;
  const zero = { re: new Float64Array(L * M), im: new Float64Array(L * M), shape: [L, M] };
  const wind = windFromVorticityDivergence(sht, { ...p.vorticity, shape: [L, M] }, zero, R).data;
  let err = 0, ref = 0;
  for (let k = 0; k < o.nlat; k++) {
    const phi = geo.latitudes[k];
    for (let j = 0; j < o.nlon; j++) {
      const i = k * o.nlon + j;
      const rhs = 2 * o.omega * Math.sin(phi) * zeta[i] - (2 * o.omega * Math.cos(phi) * wind[i]) / R;
      err = Math.max(err, Math.abs(lapPhi[i] - rhs));
      ref = Math.max(ref, Math.abs(rhs));
    }
  }
  assert.ok(ref > 0);
  // measured agreement ≈ 2.5e-8 of the field's scale for any maxDegree (so not truncation); a wrong balance (sign,
  // factor, missing ∇f term) is off by O(1)
  assert.ok(err < 1e-6 * ref, `max |∇²Φ′ − rhs| ${err} vs ${ref}`);
});

test('balanced perturbation: the same seed gives the same field, another seed another; bad arguments refused', () => {
  const a = balancedPerturbation(model, 1, { seed: 7 });
  assert.deepEqual(balancedPerturbation(model, 1, { seed: 7 }), a);
  assert.notDeepEqual(balancedPerturbation(model, 1, { seed: 8 }).phi.re, a.phi.re);
  assert.throws(() => balancedPerturbation(model, 0), /metres must be a positive number/);
  assert.throws(() => balancedPerturbation(model, 1, { maxDegree: 22 }), /maxDegree must be an integer in \[1, 21\]/);
});
