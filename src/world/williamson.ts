// Runs of the Williamson et al. (1992) shallow-water test cases 2, 5 and 6 that return the numbers the tests check and
// docs/validation.md reports (l2 height error, mass and energy drift, Rossby–Haurwitz coherence and phase speed).
import { ShallowWaterModel, type SweState } from './swe.ts';
import { williamson2, williamson5, williamson6, stateFromCase, rossbyHaurwitzPhaseSpeed } from './cases.ts';
import { fluidVolume, memberGrid, normalisedL2, totalEnergy } from './diagnostics.ts';

export interface CaseRunOptions {
  nlat: number;
  lmax: number;
  grid?: 'legendre-gauss' | 'equiangular';
  dtype?: 'float32' | 'float64';
  /** time step (s) */
  dt: number;
  /** steps per session call */
  stepsPerCall?: number;
  groupSize?: number;
}

function model(o: CaseRunOptions, extra: { orography?: Float64Array } = {}): ShallowWaterModel {
  return new ShallowWaterModel({ nlat: o.nlat, nlon: 2 * o.nlat, grid: o.grid ?? 'legendre-gauss', lmax: o.lmax, dt: o.dt, dtype: o.dtype ?? 'float64', groupSize: o.groupSize, ...extra }, 1);
}

async function advance(m: ShallowWaterModel, s: SweState, steps: number, perCall: number, each?: (s: SweState) => void): Promise<SweState> {
  for (let n = 0; n < steps; ) {
    const k = Math.min(perCall, steps - n);
    s = await m.step(s, k);
    n += k;
    each?.(s);
  }
  return s;
}

/** Case 2 (α = 0): normalised l2 error of the height after `days` (the exact solution is the initial state). */
export async function runWilliamson2(o: CaseRunOptions, days = 5): Promise<{ l2: number; steps: number }> {
  const m = model(o);
  const c = williamson2(m, 0);
  const steps = Math.round((days * 86400) / o.dt);
  const s = await advance(m, stateFromCase(m, c), steps, o.stepsPerCall ?? 8);
  const g = memberGrid(m, await m.grid(s), 0, 1);
  return { l2: normalisedL2(m, g.phi, c.phi), steps };
}

/** Case 5: relative change of fluid mass and of total energy after `days`. */
export async function runWilliamson5(o: CaseRunOptions, days = 15): Promise<{ massChange: number; energyChange: number; steps: number; minDepth: number }> {
  const probe = model(o);
  const c = williamson5(probe);
  const m = model(o, { orography: c.orography });
  let s = stateFromCase(m, c);
  const g0 = memberGrid(m, await m.grid(s), 0, 1);
  const M0 = fluidVolume(m, g0);
  const E0 = totalEnergy(m, g0);
  const steps = Math.round((days * 86400) / o.dt);
  s = await advance(m, s, steps, o.stepsPerCall ?? 8);
  const g = memberGrid(m, await m.grid(s), 0, 1);
  let minDepth = Infinity;
  g.phi.forEach((p, i) => (minDepth = Math.min(minDepth, p / m.options.gravity - c.orography![i])));
  return { massChange: (fluidVolume(m, g) - M0) / M0, energyChange: (totalEnergy(m, g) - E0) / E0, steps, minDepth };
}

/**
 * Case 6: after `days`, the share of the eddy vorticity variance held by wavenumber 4 (coherence), the retained
 * amplitude of wavenumber 4 (rms of its vorticity coefficients, end/start) and of the (l, m) = (5, 4) coefficient
 * alone, and the pattern's eastward angular phase speed (from the
 * phase of that coefficient) over the whole run and over its first and last days, against the analytic
 * non-divergent value.
 */
export async function runWilliamson6(o: CaseRunOptions, days = 14): Promise<{
  wave4Share: number;
  wave4AmplitudeRatio: number;
  amplitudeRatio: number;
  phaseSpeed: number;
  phaseSpeedFirstDays: number;
  phaseSpeedLastDays: number;
  analyticPhaseSpeed: number;
  steps: number;
}> {
  const m = model(o);
  const L = m.options.lmax;
  const M = m.options.mmax;
  let s = stateFromCase(m, williamson6(m));
  const wave4Start = (() => {
    const { re, im } = m.lmFromState(s);
    let w = 0;
    for (let l = 0; l < L; l++) w += re[(L + l) * M + 4] ** 2 + im[(L + l) * M + 4] ** 2;
    return w;
  })();
  const coef = (st: SweState) => {
    const { re, im } = m.lmFromState(st);
    const i = (1 * L + 5) * M + 4; // vorticity, l = 5, m = 4
    return { re: re[i], im: im[i] };
  };
  const c0 = coef(s);
  const a0 = Math.hypot(c0.re, c0.im);
  let prev = Math.atan2(c0.im, c0.re);
  let unwrapped = 0;
  const track: { t: number; phase: number }[] = [{ t: 0, phase: 0 }];
  const steps = Math.round((days * 86400) / o.dt);
  const perCall = o.stepsPerCall ?? 8;
  s = await advance(m, s, steps, perCall, (st) => {
    const c = coef(st);
    const p = Math.atan2(c.im, c.re);
    let d = p - prev;
    while (d > Math.PI) d -= 2 * Math.PI;
    while (d < -Math.PI) d += 2 * Math.PI;
    unwrapped += d;
    prev = p;
    track.push({ t: st.history.steps * o.dt, phase: unwrapped });
  });
  const T = steps * o.dt;
  const speedBetween = (t0: number, t1: number) => {
    const at = (t: number) => track.reduce((best, x) => (Math.abs(x.t - t) < Math.abs(best.t - t) ? x : best));
    const a = at(t0);
    const b = at(t1);
    return -(b.phase - a.phase) / 4 / (b.t - a.t); // coefficient ∝ e^{−i·4·ν·t}
  };
  const c1 = coef(s);
  // wavenumber-4 share of the eddy (m > 0) vorticity variance
  const variance = (st: SweState) => {
    const { re, im } = m.lmFromState(st);
    let eddy = 0;
    let wave4 = 0;
    for (let l = 0; l < L; l++)
      for (let mm = 1; mm < M; mm++) {
        const i = (1 * L + l) * M + mm;
        const p = re[i] ** 2 + im[i] ** 2;
        eddy += p;
        if (mm === 4) wave4 += p;
      }
    return { eddy, wave4 };
  };
  const { eddy, wave4 } = variance(s);
  const twoDays = Math.min(2 * 86400, T / 2);
  return {
    wave4Share: wave4 / eddy,
    wave4AmplitudeRatio: Math.sqrt(wave4 / wave4Start),
    amplitudeRatio: Math.hypot(c1.re, c1.im) / a0,
    phaseSpeed: speedBetween(0, T),
    phaseSpeedFirstDays: speedBetween(0, twoDays),
    phaseSpeedLastDays: speedBetween(T - twoDays, T),
    analyticPhaseSpeed: rossbyHaurwitzPhaseSpeed(m.options.omega),
    steps,
  };
}
