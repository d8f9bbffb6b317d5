// The semi-implicit shallow-water scheme ('ab3-cn': AB3 + Crank–Nicolson gravity waves): linear gravity waves on a
// resting layer follow the (off-centred) trapezoidal rule's analytic dispersion; Williamson case 2 stays steady at a
// dt where AB3 blows up; the scheme's options (model and physics checkpoint) are checked.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ShallowWaterModel, type SweScheme } from '../../src/world/swe.ts';
import { spectraFromGrid, stateFromCase, williamson2 } from '../../src/world/cases.ts';
import { memberGrid, normalisedL2 } from '../../src/world/diagnostics.ts';
import { PlanetForecastModel, planetModelOptions, readPlanetCheckpoint } from '../../src/ensemble/planet-physics.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const R = 6.37122e6;

test('linear gravity waves: each (l, m) mode is multiplied by G = (1 + iωa₀)/(1 − iωa₁) per step (CN: |G| = 1, arg G = 2·atan(ω·dt/2))', async () => {
  // Resting layer of depth geopotential Φ̄ without rotation or diffusion: ∂Φ/∂t = −Φ̄δ, ∂δ/∂t = λΦ (λ = l(l+1)/R²).
  // In z = Φ + i·Φ̄δ/ω, ω = √(Φ̄λ), this is dz/dt = iωz; the off-centred trapezoidal rule (weights a₀ = (1−ε)dt/2 on
  // step n, a₁ = (1+ε)dt/2 on n+1) maps z by G = (1 + iωa₀)/(1 − iωa₁); ε = 0 (Crank–Nicolson) gives |G| = 1 and
  // arg G = 2·atan(ωdt/2). From Φ = P, δ = 0: Φ_n = P·Re Gⁿ, δ_n = P·(ω/Φ̄)·Im Gⁿ.
  const phiBar = 9.80616 * 1000;
  const nlat = 16;
  const lmax = 12;
  const omegaOf = (l: number) => Math.sqrt(phiBar * l * (l + 1)) / R;
  const dt = 1.5 / omegaOf(7); // ω·dt from 0.69 (l = 3) to 2.1 (l = 10): far beyond explicit stability
  const modes = [{ l: 3, m: 0 }, { l: 7, m: 4 }, { l: 10, m: 10 }];
  for (const eps of [0, 0.2]) {
    const model = new ShallowWaterModel({ nlat, nlon: 2 * nlat, lmax, dt, dtype: 'float64', omega: 0, hyperdiffusion: { fields: [] }, scheme: 'ab3-cn', referenceGeopotential: phiBar, offCentering: eps }, 1);
    const P = 2 * nlat * nlat;
    const rest = spectraFromGrid(model, { phi: new Float64Array(P).fill(phiBar), u: new Float64Array(P), v: new Float64Array(P) });
    const amp = 1e-3; // small: the nonlinear terms are O(amp²)
    for (const { l, m } of modes) rest.re[l * lmax + m] = amp;
    let state = model.stateFromLM(rest.re, rest.im, 1);
    const steps = [5, 7]; // two calls: the history carries over
    for (const k of steps) state = await model.step(state, k);
    const n = steps[0] + steps[1];
    const { re, im } = model.lmFromState(state);
    const LM = lmax * lmax;
    for (const { l, m } of modes) {
      const w = omegaOf(l);
      const a0 = ((1 - eps) * dt) / 2;
      const a1 = ((1 + eps) * dt) / 2;
      const gain = Math.sqrt((1 + (w * a0) ** 2) / (1 + (w * a1) ** 2)) ** n;
      const theta = n * (Math.atan(w * a0) + Math.atan(w * a1));
      if (eps === 0) assert.ok(Math.abs(theta - 2 * n * Math.atan((w * dt) / 2)) < 1e-12);
      const phi = re[l * lmax + m] / amp;
      const delta = (re[2 * LM + l * lmax + m] * phiBar) / w / amp;
      const where = `ε = ${eps}, (l, m) = (${l}, ${m}), ω·dt = ${(w * dt).toFixed(3)}`;
      assert.ok(Math.abs(phi - gain * Math.cos(theta)) < 1e-5, `${where}: Φ/P = ${phi}, expected |G|ⁿ·cos(n·arg G) = ${gain * Math.cos(theta)} (exact cos nωdt = ${Math.cos(n * w * dt)})`);
      assert.ok(Math.abs(delta - gain * Math.sin(theta)) < 1e-5, `${where}: δΦ̄/(ωP) = ${delta}, expected |G|ⁿ·sin(n·arg G) = ${gain * Math.sin(theta)}`);
      assert.ok(Math.abs(Math.hypot(phi, delta) - gain) < 1e-5, `${where}: amplitude ${Math.hypot(phi, delta)}, expected ${gain}`);
      if (eps === 0) assert.equal(gain, 1);
      else assert.ok(gain < 0.9, `${where}: off-centring damps (|G|ⁿ = ${gain})`);
      // the phase is the trapezoidal rule's, not the exact ω·n·dt (the check can tell them apart)
      assert.ok(Math.abs(Math.cos(n * w * dt) - Math.cos(theta)) > 0.1 || Math.abs(Math.sin(n * w * dt) - Math.sin(theta)) > 0.1);
      assert.ok(Math.abs(im[l * lmax + m]) < 1e-8 * amp + 1e-9 && Math.abs(re[LM + l * lmax + m]) < 1e-18, `${where}: no leak into Im Φ or ζ`);
    }
  }
});

async function williamson2Error(scheme: SweScheme, dt: number, days: number): Promise<number> {
  const model = new ShallowWaterModel({ nlat: 32, nlon: 64, lmax: 22, dt, dtype: 'float64', groupSize: 16, scheme, referenceGeopotential: scheme === 'ab3-cn' ? 2.94e4 : undefined }, 1);
  const c = williamson2(model, 0);
  let state = stateFromCase(model, c);
  const steps = Math.round((days * 86400) / dt);
  for (let n = 0; n < steps; n += 12) state = await model.step(state, Math.min(12, steps - n));
  return normalisedL2(model, memberGrid(model, await model.grid(state), 0, 1).phi, c.phi);
}

test('Williamson case 2 at dt = 1800 s (T21): steady with ab3-cn (l2 ≤ 1e-7 after 5 days), AB3 blows up', async () => {
  // Φ̄ = g·h0 = 2.94e4 m²/s², the case's deepest layer (equator); gravity waves √Φ̄ ≈ 171 m/s + 39 m/s of wind
  const cn = await williamson2Error('ab3-cn', 1800, 5);
  assert.ok(cn <= 1e-7, `ab3-cn l2 = ${cn}`);
  const ab3 = await williamson2Error('ab3', 1800, 5);
  assert.ok(!(ab3 < 1e-2), `AB3 at 1800 s should blow up, l2 = ${ab3}`);
});

test('scheme options: unknown scheme, missing or bad reference geopotential or off-centring, either without the scheme', () => {
  const base = { nlat: 8, nlon: 16, lmax: 5, dt: 600 };
  assert.throws(() => new ShallowWaterModel({ ...base, scheme: 'cn' as SweScheme }), /scheme must be one of 'ab3', 'ab3-cn', got "cn"/);
  assert.throws(() => new ShallowWaterModel({ ...base, scheme: 'ab3-cn' }), /scheme 'ab3-cn' needs referenceGeopotential/);
  assert.throws(() => new ShallowWaterModel({ ...base, scheme: 'ab3-cn', referenceGeopotential: -1 }), /referenceGeopotential must be a positive finite number, got -1/);
  assert.throws(() => new ShallowWaterModel({ ...base, scheme: 'ab3-cn', referenceGeopotential: NaN }), /referenceGeopotential must be a positive finite number, got NaN/);
  assert.throws(() => new ShallowWaterModel({ ...base, referenceGeopotential: 2e4 }), /referenceGeopotential \(20000\) is only used by scheme 'ab3-cn', but the scheme is 'ab3'/);
  assert.throws(() => new ShallowWaterModel({ ...base, offCentering: 0.1 }), /offCentering \(0.1\) is only used by scheme 'ab3-cn'/);
  for (const eps of [-0.1, 1, NaN]) assert.throws(() => new ShallowWaterModel({ ...base, scheme: 'ab3-cn', referenceGeopotential: 2e4, offCentering: eps }), /offCentering must be a number in \[0, 1\), got/);
  const m = new ShallowWaterModel({ ...base, scheme: 'ab3-cn', referenceGeopotential: 2e4 });
  assert.equal(m.options.scheme, 'ab3-cn');
  assert.equal(new ShallowWaterModel(base).options.scheme, 'ab3');
});

test('physics checkpoint: scheme and offCentering are optional, "ab3-cn" and ε are read, bad values are refused naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myriad-swe-si-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, extra: Record<string, unknown>) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({ format: 'myriad-planet-model', version: 1, planet: {}, dt: 720, stepsPerCall: 10, ...extra }));
    return file;
  };
  assert.equal(readPlanetCheckpoint(write('plain.json', {})).scheme, undefined);
  assert.equal(readPlanetCheckpoint(write('cn.json', { scheme: 'ab3-cn' })).scheme, 'ab3-cn');
  const bad = write('bad.json', { scheme: 'leapfrog' });
  assert.throws(() => readPlanetCheckpoint(bad), (e: Error) => e.message.includes(bad) && /scheme must be one of "ab3", "ab3-cn", got "leapfrog"/.test(e.message));
  assert.throws(() => readPlanetCheckpoint(write('num.json', { scheme: 3 })), /scheme must be one of .* got 3/);
  assert.equal(readPlanetCheckpoint(write('eps.json', { scheme: 'ab3-cn', offCentering: 0.2 })).offCentering, 0.2);
  assert.throws(() => readPlanetCheckpoint(write('eps-ab3.json', { offCentering: 0.2 })), /offCentering is only used with scheme "ab3-cn", but the scheme is "ab3"/);
  assert.throws(() => readPlanetCheckpoint(write('eps-bad.json', { scheme: 'ab3-cn', offCentering: 1.5 })), /offCentering must be a number in \[0, 1\), got 1.5/);
  // the model built from a checkpoint (the planet kind and `myriad calibrate`) runs the recorded scheme
  const model = new PlanetForecastModel(planetModelOptions(readPlanetCheckpoint(write('run.json', { scheme: 'ab3-cn', offCentering: 0.1 }))));
  assert.equal(model.planet.model.options.scheme, 'ab3-cn');
  assert.equal(model.planet.model.options.offCentering, 0.1);
  assert.equal(model.planet.model.options.dt, 720);
  assert.equal(new PlanetForecastModel(planetModelOptions(readPlanetCheckpoint(write('plain2.json', {})))).planet.model.options.scheme, 'ab3');
});
