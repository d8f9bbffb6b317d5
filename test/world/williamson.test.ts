// Williamson et al. (1992) shallow-water cases on the alias-free T21 grid (32×64 Gauss, lmax 22) in float64, with the
// issue's thresholds: case 2 l2 height error after 5 days, case 5 mass to 1e-12 over 15 days (energy drift bounded),
// case 6 Rossby–Haurwitz wave 4 coherent for 14 days. T42 numbers: scripts/validate-world.ts → docs/validation.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWilliamson2, runWilliamson5, runWilliamson6 } from '../../src/world/williamson.ts';

const T21 = { nlat: 32, lmax: 22, dtype: 'float64' as const, groupSize: 16, stepsPerCall: 16 };

test('Williamson case 2: steady geostrophic flow, normalised l2 height error after 5 days ≤ 1e-6', async () => {
  const r = await runWilliamson2({ ...T21, dt: 900 }, 5);
  assert.ok(r.l2 <= 1e-6, `l2 = ${r.l2}`);
});

test('Williamson case 5: flow over a mountain conserves mass to 1e-12 over 15 days; energy drift < 1e-3', async () => {
  const r = await runWilliamson5({ ...T21, dt: 600 }, 15);
  assert.ok(Math.abs(r.massChange) <= 1e-12, `mass change ${r.massChange}`);
  assert.ok(Math.abs(r.energyChange) < 1e-3, `energy change ${r.energyChange}`);
  assert.ok(r.energyChange !== 0, 'energy is not exactly conserved by the discretisation');
  assert.ok(r.minDepth > 1000, `min depth ${r.minDepth}`);
});

test('Williamson case 6: Rossby–Haurwitz wave 4 stays coherent for 14 days, phase speed within 15% of analytic', async () => {
  const r = await runWilliamson6({ ...T21, dt: 450 }, 14);
  // coherent: wavenumber 4 still holds almost all eddy vorticity variance and most of its initial amplitude
  assert.ok(r.wave4Share >= 0.95, `wavenumber-4 share of eddy vorticity variance ${r.wave4Share}`);
  assert.ok(r.wave4AmplitudeRatio >= 0.7 && r.wave4AmplitudeRatio <= 1.2, `wavenumber-4 amplitude ratio ${r.wave4AmplitudeRatio}`);
  const drift = (r.phaseSpeed - r.analyticPhaseSpeed) / r.analyticPhaseSpeed;
  assert.ok(Math.abs(drift) <= 0.15, `phase speed ${r.phaseSpeed} vs analytic ${r.analyticPhaseSpeed}`);
});
