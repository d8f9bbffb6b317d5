// Validation runs of the world layer whose numbers docs/validation.md reports. Usage (from the repository root):
//   npx tsx scripts/validate-world.ts williamson                 T42 Williamson cases 2, 5, 6 (float64)
//   npx tsx scripts/validate-world.ts williamson-t21             the same on the T21 grid of the tests
//   npx tsx scripts/validate-world.ts spinup DIR [days] [res] [state]  planet from rest (or continued from a saved state of
//                                                                the same run); daily global KE log, states every 30 days
//   npx tsx scripts/validate-world.ts chaos DIR/state.safetensors [days] [res]   twin runs 1 m apart in height (balanced)
//   npx tsx scripts/validate-world.ts twins [res=t42|t63] [from=STATE|rest] [spinup=DAYS] [days=DAYS] [clim=DAYS] [save=FILE] [perturb=balanced|height]
//                                                                spin-up then twin runs 1 m apart: doubling time, saturation day
//   (every command takes --config FILE: planet overrides, e.g. {"stirringRate":0} for the planet without stirring)
//   npx tsx scripts/validate-world.ts analyse DIR [firstDay] [SVGDIR]  stationarity, eddy KE, jets, tracer extremes vs land (maps)
//   npx tsx scripts/validate-world.ts ship DIR/state.safetensors [days]   run at the truth resolution, write data/planet/spun-up-state
// res: "t42" (64×128, lmax 43, dt 400 s; default for these runs) or "truth" (the planet's default truth resolution).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWilliamson2, runWilliamson5, runWilliamson6 } from '../src/world/williamson.ts';
import { Planet, planetConfig, type PlanetConfig } from '../src/world/planet.ts';
import { memberGrid, kineticEnergySplit, cellAreas } from '../src/world/diagnostics.ts';
import { loadState, saveState, stateForModel, SHIPPED_STATE_PATH } from '../src/world/truth.ts';
import { mapPlot } from '../src/report/svg.ts';
import { balancedPerturbation } from '../src/world/twins.ts';

// `--config FILE` (anywhere): planet overrides over DEFAULT_PLANET, either a bare PlanetConfig object or a
// `myriad world run` config holding one under "planet"
const argv = process.argv.slice(2);
const configAt = argv.indexOf('--config');
const overrides = configAt >= 0 ? readOverrides(argv.splice(configAt, 2)[1]) : {};
function readOverrides(file: string | undefined): Partial<PlanetConfig> {
  if (!file) throw new Error('--config needs a file');
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return (j.planet ?? j) as Partial<PlanetConfig>;
}
const [cmd, ...args] = argv;
const T42 = { nlat: 64, lmax: 43, dt: 400 };
const resolution = (name?: string) => (name === 'truth' || name === 't63' ? planetConfig(overrides).truth : T42);

async function williamson(): Promise<void> {
  const base = { nlat: 64, lmax: 43, dtype: 'float64' as const, groupSize: 8, stepsPerCall: 16 };
  const c2 = await runWilliamson2({ ...base, dt: 300 }, 5);
  console.log(JSON.stringify({ case: 2, grid: 'T42 64x128 Gauss', dt: 300, ...c2 }));
  const c5 = await runWilliamson5({ ...base, dt: 300 }, 15);
  console.log(JSON.stringify({ case: 5, grid: 'T42 64x128 Gauss', dt: 300, ...c5 }));
  const c6 = await runWilliamson6({ ...base, dt: 240 }, 14);
  console.log(JSON.stringify({ case: 6, grid: 'T42 64x128 Gauss', dt: 240, ...c6, phaseSpeedDrift: (c6.phaseSpeed - c6.analyticPhaseSpeed) / c6.analyticPhaseSpeed }));
}

function zonalMeanU(planet: Planet, u: Float64Array): number[] {
  const { nlat, nlon } = planet.model.options;
  return Array.from({ length: nlat }, (_, k) => {
    let s = 0;
    for (let j = 0; j < nlon; j++) s += u[k * nlon + j];
    return s / nlon;
  });
}

async function spinup(dir: string, days: number, res?: string, from?: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const cfg = planetConfig(overrides);
  const planet = new Planet(cfg, resolution(res), 1);
  let s = planet.initialState(0, 1);
  let t = 0;
  const log = join(dir, 'daily.jsonl');
  const { nlat, nlon } = planet.model.options;
  let first = 1;
  // day numbers count from the run's start time t0 (0 = 1 January from rest; a run started from a state in an empty
  // DIR counts from that state's time, recorded in DIR/start.json)
  const startFile = join(dir, 'start.json');
  let t0 = existsSync(startFile) ? (JSON.parse(readFileSync(startFile, 'utf8')) as { t0: number }).t0 : 0;
  if (from && !existsSync(log)) {
    const saved = loadState(from);
    s = planet.model.fresh(stateForModel(planet.model, saved).spec, 1);
    t = t0 = saved.timeSeconds;
    writeFileSync(startFile, JSON.stringify({ t0, from, config: overrides }));
    writeFileSync(log, '');
  } else if (from) {
    // continue an interrupted spin-up from one of its saved states (exact: the Adams–Bashforth history is saved)
    const saved = loadState(from);
    s = stateForModel(planet.model, saved);
    t = saved.timeSeconds;
    first = Math.round((t - t0) / 86400) + 1;
    writeFileSync(log, readFileSync(log, 'utf8').trim().split('\n').slice(0, first - 1).join('\n') + '\n');
    for (const f of ['height.f32', 'tracer.f32']) writeFileSync(join(dir, f), readFileSync(join(dir, f)).subarray(0, (first - 1) * nlat * nlon * 4));
  } else writeFileSync(log, '');
  for (let d = first; d <= days; d++) {
    s = await planet.advance(s, t, 86400, 24);
    t += 86400;
    const g = memberGrid(planet.model, await planet.model.grid(s), 0, 1);
    const ke = kineticEnergySplit(planet.model, g);
    const um = zonalMeanU(planet, g.u);
    const lat = planet.model.geometry.latitudesDeg;
    const jet = (north: boolean) => um.reduce((b, u, k) => ((north ? lat[k] > 0 : lat[k] < 0) && u > b.u ? { u, lat: lat[k] } : b), { u: -Infinity, lat: 0 });
    appendFileSync(log, JSON.stringify({ day: d, ke: ke.total, eddy: ke.eddy, zonal: ke.zonal, jetN: jet(true), jetS: jet(false) }) + '\n');
    if (d % 30 === 0) saveState(join(dir, `state-day${d}.safetensors`), planet.model, s, t, cfg);
    // daily height/tracer snapshots for the climatology (float32, appended)
    appendFileSync(join(dir, 'height.f32'), Buffer.from(Float32Array.from(g.phi, (p, i) => p / planet.model.options.gravity - planet.orography[i]).buffer));
    appendFileSync(join(dir, 'tracer.f32'), Buffer.from(Float32Array.from(g.tracer!).buffer));
    if (d % 10 === 0) console.error(`spinup day ${d}: KE ${ke.total.toFixed(1)} eddy ${((100 * ke.eddy) / ke.total).toFixed(1)}%`);
  }
  void nlat;
  void nlon;
}

async function chaos(statePath: string, days: number, res?: string): Promise<void> {
  const saved = loadState(statePath);
  const cfg = planetConfig(overrides);
  const planet = new Planet(cfg, resolution(res), 1);
  const model = planet.model;
  const base = stateForModel(model, saved);
  const twin = model.replicate(base, 2);
  // member 1: a balanced perturbation of height rms 1 m (degrees 1–20)
  perturbTwinBalanced(model, twin, 1);
  let s = twin;
  let t = saved.timeSeconds;
  const areas = cellAreas(model, 1);
  const out: { day: number; rmsHeightDiff: number }[] = [];
  const rms = async () => {
    const grid = await model.grid(s);
    const a = memberGrid(model, grid, 0, 2);
    const b = memberGrid(model, grid, 1, 2);
    let e = 0;
    for (let i = 0; i < areas.length; i++) e += ((a.phi[i] - b.phi[i]) / model.options.gravity) ** 2 * areas[i];
    return Math.sqrt(e / (4 * Math.PI));
  };
  out.push({ day: 0, rmsHeightDiff: await rms() });
  for (let q = 1; q <= days * 4; q++) {
    s = await planet.advance(s, t, 6 * 3600, 24);
    t += 6 * 3600;
    out.push({ day: q / 4, rmsHeightDiff: await rms() });
  }
  console.log(JSON.stringify(out));
}

/** Adds `balancedPerturbation` (src/world/twins.ts) of height rms `metres` to member 1 of a 2-member state. */
function perturbTwinBalanced(model: Planet['model'], twin: ReturnType<Planet['model']['replicate']>, metres: number): void {
  const F = model.nFields;
  const M = model.options.mmax;
  const { phi, vorticity } = balancedPerturbation(model, metres);
  model.entries.forEach((e, n) => {
    if (e.l < e.m) return;
    const i = e.l * M + e.m;
    twin.spec[((n * 2 + 0) * F + 0) * 2 + 1] += phi.re[i];
    twin.spec[((n * 2 + 1) * F + 0) * 2 + 1] += phi.im[i];
    twin.spec[((n * 2 + 0) * F + 1) * 2 + 1] += vorticity.re[i];
    twin.spec[((n * 2 + 1) * F + 1) * 2 + 1] += vorticity.im[i];
  });
}

/** Adds a smooth random height perturbation of area-rms `metres` (degrees 1–20) to member 1 of a 2-member state. */
function perturbTwin(model: Planet['model'], twin: ReturnType<Planet['model']['replicate']>, metres: number): void {
  const F = model.nFields;
  const N = model.nCoefficients;
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const pert = new Float64Array(2 * N);
  let power = 0;
  model.entries.forEach((e, n) => {
    if (e.l < 1 || e.l > 20 || e.l < e.m) return;
    pert[2 * n] = rnd();
    pert[2 * n + 1] = e.m === 0 ? 0 : rnd();
    power += (e.m === 0 ? 1 : 2) * (pert[2 * n] ** 2 + pert[2 * n + 1] ** 2);
  });
  const scale = (metres * model.options.gravity * Math.sqrt(4 * Math.PI)) / Math.sqrt(power);
  for (let n = 0; n < N; n++) for (let c = 0; c < 2; c++) twin.spec[((n * 2 + c) * F + 0) * 2 + 1] += pert[2 * n + c] * scale;
}

/**
 * Spin-up (from rest on 1 January, or from a saved state) then twin runs 1 m apart, in one process. Prints one JSON
 * line: the 6-hourly rms height difference, the doubling time (least-squares slope of ln error over the growth phase:
 * from the error's minimum to its first reaching half the saturation level), the saturation day (first reaching
 * 0.9·√2·σ_clim), σ_clim (area-rms of per-point std of daily height of member 0 over the last `climDays` of the
 * spin-up and the twin run, after removing each point's quadratic trend in time: the seasonal drift over such a
 * window), eddy KE fraction and jet maxima averaged over the twin run.
 */
async function twins(opts: Record<string, string>): Promise<void> {
  const cfg = planetConfig(overrides);
  const planet = new Planet(cfg, resolution(opts.res), 1);
  const model = planet.model;
  const g0 = model.options.gravity;
  let s;
  let t: number;
  if (!opts.from || opts.from === 'rest') { s = planet.initialState(0, 1); t = 0; }
  else { const saved = loadState(opts.from); s = model.fresh(stateForModel(model, saved).spec, 1); t = saved.timeSeconds; }
  const spin = Number(opts.spinup ?? 30);
  const days = Number(opts.days ?? 30);
  const climDays = Number(opts.clim ?? 60);
  const { nlat, nlon } = model.options;
  const P = nlat * nlon;
  const heights: Float32Array[] = [];
  const daily: { day: number; ke: number; eddy: number; jetN: number; jetNlat: number; jetS: number; jetSlat: number }[] = [];
  const lat = model.geometry.latitudesDeg;
  const record = (g: ReturnType<typeof memberGrid>, day: number) => {
    const ke = kineticEnergySplit(model, g);
    const um = zonalMeanU(planet, g.u);
    const jet = (north: boolean) => um.reduce((b, u, k) => ((north ? lat[k] > 0 : lat[k] < 0) && u > b.u ? { u, lat: lat[k] } : b), { u: -Infinity, lat: 0 });
    const n = jet(true), so = jet(false);
    daily.push({ day, ke: ke.total, eddy: ke.eddy, jetN: n.u, jetNlat: n.lat, jetS: so.u, jetSlat: so.lat });
    heights.push(Float32Array.from(g.phi, (p, i) => p / g0 - planet.orography[i]));
    if (heights.length > climDays) heights.shift();
  };
  const started = Date.now();
  for (let d = 1; d <= spin; d++) {
    s = await planet.advance(s, t, 86400, 24);
    t += 86400;
    record(memberGrid(model, await model.grid(s), 0, 1), d);
    if (d % 10 === 0) console.error(`spin-up day ${d}: KE ${daily[daily.length - 1].ke.toFixed(1)} eddy ${(100 * daily[daily.length - 1].eddy / daily[daily.length - 1].ke).toFixed(1)}% (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  if (opts.save) saveState(opts.save, model, s, t, cfg);
  const twin = model.replicate(s, 2);
  const perturbation = opts.perturb ?? 'balanced';
  if (perturbation === 'balanced') perturbTwinBalanced(model, twin, 1);
  else if (perturbation === 'height') perturbTwin(model, twin, 1);
  else throw new Error(`twins: perturb must be balanced or height, got ${perturbation}`);
  s = twin;
  const areas = cellAreas(model, 1);
  const errors: number[] = [];
  const rmsDiff = (grid: Awaited<ReturnType<typeof model.grid>>) => {
    const a = memberGrid(model, grid, 0, 2);
    const b = memberGrid(model, grid, 1, 2);
    let e = 0;
    for (let i = 0; i < areas.length; i++) e += ((a.phi[i] - b.phi[i]) / g0) ** 2 * areas[i];
    return Math.sqrt(e / (4 * Math.PI));
  };
  errors.push(rmsDiff(await model.grid(s)));
  const twinStart = daily.length;
  for (let q = 1; q <= days * 4; q++) {
    s = await planet.advance(s, t, 6 * 3600, 24);
    t += 6 * 3600;
    const grid = await model.grid(s);
    errors.push(rmsDiff(grid));
    if (q % 4 === 0) record(memberGrid(model, grid, 0, 2), spin + q / 4);
    if (q % 20 === 0) console.error(`twin day ${q / 4}: error ${errors[q].toFixed(3)} m`);
  }
  // σ_clim: per-point std after removing a quadratic trend in time
  const n = heights.length;
  const tt = Array.from({ length: n }, (_, i) => (i - (n - 1) / 2) / n);
  const basis = [tt.map(() => 1), tt, tt.map((x) => x * x - tt.reduce((a, b) => a + b * b, 0) / n)];
  // orthonormalise the basis (Gram–Schmidt)
  const ortho: number[][] = [];
  for (const b of basis) {
    const v = [...b];
    for (const o of ortho) { const d = v.reduce((a, x, i) => a + x * o[i], 0); for (let i = 0; i < n; i++) v[i] -= d * o[i]; }
    const nv = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    ortho.push(v.map((x) => x / nv));
  }
  let accRaw = 0, accDet = 0;
  const x = new Float64Array(n);
  for (let p = 0; p < P; p++) {
    let m = 0;
    for (let i = 0; i < n; i++) { x[i] = heights[i][p]; m += x[i] / n; }
    let raw = 0;
    for (let i = 0; i < n; i++) raw += (x[i] - m) ** 2;
    accRaw += (raw / n) * areas[p];
    for (const o of ortho) { const d = o.reduce((a, v, i) => a + v * x[i], 0); for (let i = 0; i < n; i++) x[i] -= d * o[i]; }
    let det = 0;
    for (let i = 0; i < n; i++) det += x[i] ** 2;
    accDet += (det / Math.max(1, n - 3)) * areas[p];
  }
  const sigmaRaw = Math.sqrt(accRaw / (4 * Math.PI));
  const sigma = Math.sqrt(accDet / (4 * Math.PI));
  const level = 0.9 * Math.SQRT2 * sigma;
  const satIndex = errors.findIndex((e) => e >= level);
  const half = errors.findIndex((e) => e >= level / 2);
  const end = half > 0 ? half : errors.length - 1;
  let iMin = 0;
  for (let i = 0; i <= end; i++) if (errors[i] < errors[iMin]) iMin = i;
  let slope = NaN;
  if (end - iMin >= 4) {
    const xs = [], ys = [];
    for (let i = iMin; i <= end; i++) { xs.push(i / 4); ys.push(Math.log(errors[i])); }
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let sxy = 0, sxx = 0;
    for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; }
    slope = sxy / sxx;
  }
  const tw = daily.slice(twinStart);
  const mean = (f: (d: (typeof daily)[number]) => number) => tw.reduce((a, d) => a + f(d), 0) / tw.length;
  console.log(JSON.stringify({
    config: overrides, res: opts.res ?? 't42', perturb: perturbation, from: opts.from ?? 'rest', spinupDays: spin, twinDays: days, startDayOfYear: (t / 86400 - days) % 365,
    seconds: (Date.now() - started) / 1000,
    doublingDays: slope > 0 ? Math.LN2 / slope : null, growthFit: { fromDay: iMin / 4, toDay: end / 4, slopePerDay: slope },
    saturationDay: satIndex >= 0 ? satIndex / 4 : null, saturationLevel: level, sigmaClim: sigma, sigmaClimWithTrend: sigmaRaw, climDays: n,
    eddyFraction: mean((d) => d.eddy / d.ke), ke: mean((d) => d.ke),
    jetNorth: { u: mean((d) => d.jetN), lat: mean((d) => d.jetNlat) }, jetSouth: { u: mean((d) => d.jetS), lat: mean((d) => d.jetSlat) },
    spinupKE: daily.slice(0, twinStart).filter((_, i) => (i + 1) % 5 === 0).map((d) => [d.day, +d.ke.toFixed(2), +(d.eddy / d.ke).toFixed(3)]),
    errorDaily: errors.filter((_, i) => i % 4 === 0).map((e) => +e.toPrecision(3)),
  }));
}

function analyse(dir: string, firstDay: number, svgDir?: string): void {
  const lines = readFileSync(join(dir, 'daily.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { day: number; ke: number; eddy: number; zonal: number; jetN: { u: number; lat: number }; jetS: { u: number; lat: number } });
  const use = lines.filter((l) => l.day > firstDay);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const years: number[] = [];
  for (let y = 0; firstDay + 365 * (y + 1) <= lines.length; y++) years.push(mean(lines.filter((l) => l.day > firstDay + 365 * y && l.day <= firstDay + 365 * (y + 1)).map((l) => l.ke)));
  const planet = new Planet(planetConfig(overrides), T42, 1);
  const P = 64 * 128;
  const height = new Float32Array(readFileSync(join(dir, 'height.f32')).buffer.slice(0));
  const tracer = new Float32Array(readFileSync(join(dir, 'tracer.f32')).buffer.slice(0));
  const nd = height.length / P;
  // height climatological standard deviation (area-mean of per-point std) over the analysed days
  const areas = cellAreas(planet.model, 1);
  const stdOf = (x: Float32Array) => {
    let acc = 0;
    for (let p = 0; p < P; p++) {
      let s = 0;
      let ss = 0;
      let n = 0;
      for (let d = firstDay; d < nd; d++) {
        s += x[d * P + p];
        ss += x[d * P + p] ** 2;
        n++;
      }
      acc += (ss / n - (s / n) ** 2) * areas[p];
    }
    return Math.sqrt(acc / (4 * Math.PI));
  };
  // tracer extremes: per point 95th percentile of the anomaly from the day's zonal mean... here: from the point's mean
  const p95 = new Float64Array(P);
  const vals: number[] = [];
  for (let p = 0; p < P; p++) {
    vals.length = 0;
    for (let d = firstDay; d < nd; d++) vals.push(tracer[d * P + p]);
    const m = mean(vals);
    const sorted = vals.map((v) => v - m).sort((a, b) => a - b);
    p95[p] = sorted[Math.floor(0.95 * (sorted.length - 1))];
  }
  const land = planet.landFraction;
  const corr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const n = a.length;
    let ma = 0, mb = 0;
    for (let i = 0; i < n; i++) { ma += a[i] * areas[i]; mb += b[i] * areas[i]; }
    const A = 4 * Math.PI;
    ma /= A; mb /= A;
    let sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb) * areas[i]; saa += (a[i] - ma) ** 2 * areas[i]; sbb += (b[i] - mb) ** 2 * areas[i]; }
    return sab / Math.sqrt(saa * sbb);
  };
  // land vs sea mean of the 95th-percentile anomaly, within 60S–60N
  const lat = planet.model.geometry.latitudesDeg;
  let landSum = 0, landW = 0, seaSum = 0, seaW = 0;
  for (let p = 0; p < P; p++) {
    if (Math.abs(lat[Math.floor(p / 128)]) > 60) continue;
    if (land[p] > 0.5) { landSum += p95[p] * areas[p]; landW += areas[p]; } else { seaSum += p95[p] * areas[p]; seaW += areas[p]; }
  }
  console.log(JSON.stringify({
    days: lines.length,
    analysedFromDay: firstDay,
    yearlyMeanKE: years,
    yearToYearChange: years.slice(1).map((v, i) => (v - years[i]) / years[i]),
    eddyFraction: mean(use.map((l) => l.eddy / l.ke)),
    jetNorth: { u: mean(use.map((l) => l.jetN.u)), lat: mean(use.map((l) => l.jetN.lat)) },
    jetSouth: { u: mean(use.map((l) => l.jetS.u)), lat: mean(use.map((l) => l.jetS.lat)) },
    heightClimStd: stdOf(height),
    saturationLevel: 0.9 * Math.SQRT2 * stdOf(height),
    tracerP95AnomalyLand: landSum / landW,
    tracerP95AnomalySea: seaSum / seaW,
    corrTracerP95AnomalyLandFraction: corr(p95, land),
    corrTracerP95AnomalyOrography: corr(p95, planet.orography),
  }));
  writeFileSync(join(dir, 'tracer_p95_anomaly.f32'), Buffer.from(Float32Array.from(p95).buffer));
  if (svgDir) {
    // maps for docs/validation.md: the tracer's 95th-percentile anomaly next to the land fraction and orography
    mkdirSync(svgDir, { recursive: true });
    const { latitudesDeg: lat2, longitudesDeg: lon2 } = planet.model.geometry;
    const map = (file: string, title: string, values: ArrayLike<number>, units: string, colorMap: 'sequential' | 'diverging', min?: number, max?: number) =>
      writeFileSync(join(svgDir, file), mapPlot({ title, lat: lat2, lon: lon2, values, units, colorMap, min, max, levels: 10 }));
    map('planet-tracer-p95-anomaly.svg', `Tracer: 95th percentile minus mean (T42, days ${firstDay + 1}–${lines.length})`, p95, 'K', 'sequential', 0);
    map('planet-land-fraction.svg', 'Land fraction', land, '1', 'sequential', 0, 1);
    map('planet-orography.svg', 'Orography as the model sees it (×orographyScale)', planet.orography, 'm', 'sequential', 0);
  }
}

/** Pads/truncates a saved state to the default truth resolution, runs `days` there and ships it (compact). */
async function ship(statePath: string, days: number): Promise<void> {
  const saved = loadState(statePath);
  const cfg = planetConfig();
  // days = 0: ship the state at its own resolution (a run at another resolution truncates or zero-pads it)
  const planet = new Planet(cfg, days === 0 ? { nlat: saved.lmax === 43 ? 64 : cfg.truth.nlat, lmax: saved.lmax, dt: saved.lmax === 43 ? 400 : cfg.truth.dt } : cfg.truth, 1);
  let s = planet.model.fresh(stateForModel(planet.model, saved).spec, 1);
  let t = saved.timeSeconds;
  s = await planet.advance(s, t, days * 86400, 24);
  t += days * 86400;
  const g = memberGrid(planet.model, await planet.model.grid(s), 0, 1);
  const ke = kineticEnergySplit(planet.model, g);
  saveState(SHIPPED_STATE_PATH, planet.model, s, t, cfg, { provenance: `spun up with scripts/validate-world.ts spinup (the chain is in data/planet/PROVENANCE.md), then ${days} days at the truth resolution from ${statePath}` }, true);
  console.log(JSON.stringify({ shipped: SHIPPED_STATE_PATH, timeSeconds: t, ke: ke.total, eddyFraction: ke.eddy / ke.total }));
}

if (cmd === 'williamson') await williamson();
else if (cmd === 'williamson-t21') {
  const base = { nlat: 32, lmax: 22, dtype: 'float64' as const, groupSize: 16, stepsPerCall: 16 };
  console.log(JSON.stringify({ case: 2, grid: 'T21 32x64 Gauss', dt: 900, ...(await runWilliamson2({ ...base, dt: 900 }, 5)) }));
  console.log(JSON.stringify({ case: 5, grid: 'T21 32x64 Gauss', dt: 600, ...(await runWilliamson5({ ...base, dt: 600 }, 15)) }));
  const c6 = await runWilliamson6({ ...base, dt: 450 }, 14);
  console.log(JSON.stringify({ case: 6, grid: 'T21 32x64 Gauss', dt: 450, ...c6, phaseSpeedDrift: (c6.phaseSpeed - c6.analyticPhaseSpeed) / c6.analyticPhaseSpeed }));
}
else if (cmd === 'ship') await ship(args[0], Number(args[1] ?? 5));
else if (cmd === 'spinup') await spinup(args[0], Number(args[1] ?? 400), args[2], args[3]);
else if (cmd === 'chaos') await chaos(args[0], Number(args[1] ?? 30), args[2]);
else if (cmd === 'twins') await twins(Object.fromEntries(args.map((a) => a.split('=') as [string, string])));
else if (cmd === 'analyse') analyse(args[0], Number(args[1] ?? 60), args[2]);
else {
  console.error('usage: npx tsx scripts/validate-world.ts williamson | spinup DIR [days] [t42|truth] | chaos STATE [days] [t42|truth] | analyse DIR [firstDay]');
  process.exit(2);
}
