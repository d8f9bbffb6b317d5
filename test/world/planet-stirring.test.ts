// The planet's transient stirring option: config validation, the AR(1) state's statistics and exact reproducibility
// (a pure function of time and seed), and the vorticity tendency it adds to the forcing (rms, latitude envelope).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PLANET, Planet, planetConfig, stirringState, STIRRING_KNOT_SECONDS } from '../../src/world/planet.ts';
import { createSht } from '../../src/sphere/reference.ts';

test('stirring: on in the default planet, off with rate 0, bad values refused with the field named', () => {
  // the default planet is the chaotic one of docs/validation.md: 8e-10 s⁻², degrees 8–16, τ = 0.5 d, ±20° envelopes
  assert.equal(DEFAULT_PLANET.stirringRate, 8e-10);
  assert.equal(DEFAULT_PLANET.stirringDays, 0.5);
  assert.equal(JSON.stringify(planetConfig()), JSON.stringify(DEFAULT_PLANET));
  const off = planetConfig({ stirringRate: 0 });
  assert.equal(off.stirringRate, 0);
  assert.equal(off.stirringMaxDegree, 16); // the others keep their defaults
  assert.doesNotThrow(() => planetConfig({ stirringRate: 1e-10, stirringMinDegree: 4, stirringMaxDegree: 42 }));
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ stirringRate: -1e-10 }, /stirringRate must be a number ≥ 0/],
    [{ stirringDays: 0 }, /stirringDays must be a positive number/],
    [{ stirringMinDegree: 0 }, /stirringMinDegree must be an integer in \[1, 42\]/],
    [{ stirringMaxDegree: 43 }, /stirringMaxDegree must be an integer in \[1, 42\]/],
    [{ stirringMaxDegree: 12.5 }, /stirringMaxDegree must be an integer/],
    [{ stirringMinDegree: 20, stirringMaxDegree: 10 }, /stirringMinDegree \(20\) must not exceed stirringMaxDegree \(10\)/],
    [{ stirringLatitudeWidth: -5 }, /stirringLatitudeWidth must be a number ≥ 0/],
    [{ stirringSeed: -1 }, /stirringSeed must be a non-negative integer/],
  ];
  for (const [partial, message] of bad) assert.throws(() => planetConfig(partial), message, JSON.stringify(partial));
});

test('stirring state: reproducible whatever the call order, linear between 6-h knots, unit variance, AR(1) memory', () => {
  const c = planetConfig({ stirringRate: 1e-10, stirringMinDegree: 8, stirringMaxDegree: 16, stirringDays: 2, stirringSeed: 7 });
  const t = 40 * 86400 + 5 * 3600;
  const fresh = stirringState(c, t);
  const cache = new Map<number, Float64Array>();
  stirringState(c, 3 * 86400, cache); // an unrelated earlier call fills the cache
  assert.deepEqual(stirringState(c, t, cache), fresh);
  // a different seed gives a different field
  const other = stirringState({ ...c, stirringSeed: 8 }, t);
  assert.notDeepEqual(other, fresh);
  // linear in time between knots
  const k = Math.floor(t / STIRRING_KNOT_SECONDS) * STIRRING_KNOT_SECONDS;
  const a = stirringState(c, k, cache);
  const b = stirringState(c, k + STIRRING_KNOT_SECONDS, cache);
  const w = (t - k) / STIRRING_KNOT_SECONDS;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(fresh[i] - ((1 - w) * a[i] + w * b[i])) < 1e-12);
  // statistics over knots: each component unit variance (m = 0: variance 2 on re, 0 on im); lag-τ correlation e^-1
  const lag = (c.stirringDays! * 86400) / STIRRING_KNOT_SECONDS; // 8 knots
  let ss = 0, n = 0, cross = 0, s0 = 0, s1 = 0;
  for (let q = 0; q < 60; q++) {
    const x = stirringState(c, q * 3 * lag * STIRRING_KNOT_SECONDS, cache);
    const y = stirringState(c, (q * 3 + 1) * lag * STIRRING_KNOT_SECONDS, cache);
    for (let i = 0; i < x.length; i++) {
      ss += x[i] * x[i];
      cross += x[i] * y[i];
      s0 += x[i] * x[i];
      s1 += y[i] * y[i];
    }
    n += x.length;
  }
  assert.ok(Math.abs(ss / n - 1) < 0.05, `mean square per component ${ss / n}`);
  const r = cross / Math.sqrt(s0 * s1);
  assert.ok(Math.abs(r - Math.exp(-1)) < 0.05, `lag-τ correlation ${r} vs e^-1`);
});

test('the stirring adds a vorticity tendency of the configured rms, confined to the envelope around the jets', () => {
  const res = { nlat: 32, lmax: 22, dt: 900 };
  const rate = 2e-10;
  const off = new Planet(planetConfig({ stirringRate: 0 }), res, 1);
  const uniform = new Planet(planetConfig({ stirringRate: rate, stirringLatitudeWidth: 0 }), res, 1);
  const banded = new Planet(planetConfig({ stirringRate: rate, stirringLatitudeWidth: 15 }), res, 1);
  const o = off.model.options;
  const sht = createSht({ kind: 'legendre-gauss', nlat: o.nlat, nlon: o.nlon }, { lmax: o.lmax, mmax: o.mmax, norm: 'ortho', csphase: false });
  const lat = off.model.geometry.latitudesDeg;
  const w = Array.from(lat, (x) => Math.cos((x * Math.PI) / 180));
  const F = off.model.nFields;
  const r = 1 / (off.config.dragDays * 86400);
  // vorticity tendency S = r·(ζ_eq(stirred) − ζ_eq(plain)) as a grid field
  const tendency = (p: Planet, t: number) => {
    const a = p.equilibrium(t);
    const b = off.equilibrium(t);
    const re = new Float64Array(o.lmax * o.mmax);
    const im = new Float64Array(o.lmax * o.mmax);
    off.model.entries.forEach((e, n) => {
      if (e.l < e.m) return;
      re[e.l * o.mmax + e.m] = r * (a[(n * 2) * F + 1] - b[(n * 2) * F + 1]);
      im[e.l * o.mmax + e.m] = r * (a[(n * 2 + 1) * F + 1] - b[(n * 2 + 1) * F + 1]);
      // every other field is untouched
      for (let f = 0; f < F; f++) if (f !== 1) assert.equal(a[(n * 2) * F + f], b[(n * 2) * F + f]);
    });
    return sht.inverse({ re, im, shape: [o.lmax, o.mmax] }).data;
  };
  let uni = 0, wsum = 0, trop = 0, tw = 0, mid = 0, mw = 0;
  for (let q = 0; q < 12; q++) {
    const t = q * 5 * 86400;
    const u = tendency(uniform, t);
    const g = tendency(banded, t);
    for (let k = 0; k < o.nlat; k++)
      for (let j = 0; j < o.nlon; j++) {
        uni += u[k * o.nlon + j] ** 2 * w[k];
        wsum += w[k];
        const band = Math.abs(lat[k]);
        if (band < 12) { trop += g[k * o.nlon + j] ** 2 * w[k]; tw += w[k]; }
        if (band > 38 && band < 52) { mid += g[k * o.nlon + j] ** 2 * w[k]; mw += w[k]; }
      }
  }
  const rms = Math.sqrt(uni / wsum);
  assert.ok(Math.abs(rms / rate - 1) < 0.1, `uniform stirring rms ${rms} vs ${rate}`);
  assert.ok(Math.sqrt(trop / tw) < 0.15 * Math.sqrt(mid / mw), `tropics ${Math.sqrt(trop / tw)} vs mid-latitudes ${Math.sqrt(mid / mw)}`);
});
