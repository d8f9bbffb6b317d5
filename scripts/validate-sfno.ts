// Skill and stability of SFNO checkpoints on held-out planet truth (issue #5 item 4, docs/validation.md): per
// checkpoint, latitude-weighted RMSE and ACC of height and tracer at leads 1–10 days (autoregressive 6-h steps)
// against persistence, climatology (the truth store's calendar-month mean) and the physics model at forecast
// resolution; and a long rollout whose height power spectrum at high degrees is compared with truth's.
//
//   npx tsx scripts/validate-sfno.ts --truth STORE --checkpoints A,B,… --inits T1..T2/24h [--physics FILE]
//       [--days 10] [--long-init T --long-days 60] [--out FILE.json]
import { writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { releaseSessions } from '../src/engine/runtime.ts';
import { openZarrArray, openZarrGroup, openZarrStore, readZarrRegion } from '../src/io/zarr.ts';
import { anomalyCorrelation, anomalyProducts, meanSquaredError } from '../src/scores/mean.ts';
import { latitudeWeights } from '../src/scores/grid.ts';
import { gridGeometry } from '../src/sphere/grid.ts';
import { createSht } from '../src/sphere/reference.ts';
import { angularPowerSpectrum } from '../src/sphere/spectra.ts';
import { noleapHoursFromIso, noleapMonth } from '../src/world/truth.ts';
import type { ForecastModel } from '../src/ensemble/model.ts';
import { hoursFromNoleapHours } from '../src/ensemble/planet-calendar.ts';
import { planetKind, sfnoKind, truthKind } from '../src/ensemble/planet-kinds.ts';

const { values: a } = parseArgs({
  options: {
    truth: { type: 'string' },
    checkpoints: { type: 'string' },
    inits: { type: 'string' },
    physics: { type: 'string' },
    days: { type: 'string', default: '10' },
    'long-init': { type: 'string' },
    'long-days': { type: 'string', default: '60' },
    out: { type: 'string' },
    threads: { type: 'string', default: '1' },
  },
});
if (!a.truth || !a.checkpoints || !a.inits) throw new Error('usage: --truth STORE --checkpoints A,B --inits T1..T2/24h [--physics FILE]');
const threads = Number(a.threads);
const days = Number(a.days);
const steps = days * 4;
const VARS = ['height', 'tracer'];

function expandTimes(spec: string): number[] {
  const out: number[] = [];
  for (const item of spec.split(',')) {
    const r = /^(.+)\.\.(.+)\/(\d+)h$/.exec(item.trim());
    if (r) for (let h = noleapHoursFromIso(r[1]); h <= noleapHoursFromIso(r[2]); h += Number(r[3])) out.push(h);
    else out.push(noleapHoursFromIso(item.trim()));
  }
  return out;
}

const grid = { kind: 'legendre-gauss' as const, nlat: 64, nlon: 128 };
const P = grid.nlat * grid.nlon;
const channels = ['u', 'v', 'height', 'tracer'];
const analyses = await truthKind.open({ kind: 'truth', store: a.truth }, { channels, grid, nonNegative: [] });
const w = latitudeWeights(gridGeometry(grid).latitudesDeg);
const root = await openZarrStore(a.truth);
const climate = await openZarrGroup(root, 'climate');
const climCache = new Map<string, Float32Array>();
async function climMean(v: string, month: number): Promise<Float32Array> {
  const key = `${v}:${month}`;
  if (!climCache.has(key)) climCache.set(key, (await readZarrRegion(await openZarrArray(climate, `${v}_mean`), [month, 0, 0], [1, grid.nlat, grid.nlon])).data as Float32Array);
  return climCache.get(key)!;
}
const field = (state: Float32Array, v: string) => state.subarray(channels.indexOf(v) * P, (channels.indexOf(v) + 1) * P);

interface Acc { se: number[][]; acc: number[][] } // [lead day][init]
const inits = expandTimes(a.inits);
const results: Record<string, Record<string, { rmse: number[]; acc: number[] }>> = {};

async function score(name: string, forecastAt: (init: number) => AsyncGenerator<[number, Float32Array]>) {
  const acc: Record<string, Acc> = Object.fromEntries(VARS.map((v) => [v, { se: Array.from({ length: days + 1 }, () => []), acc: Array.from({ length: days + 1 }, () => []) }]));
  for (const init of inits) {
    for await (const [day, state] of forecastAt(init)) {
      const valid = init + day * 24;
      const truth = await analyses.analysis(hoursFromNoleapHours(valid));
      for (const v of VARS) {
        const f = field(state, v);
        const y = field(truth, v);
        const c = await climMean(v, noleapMonth(valid));
        acc[v].se[day].push(meanSquaredError(f, y, grid, w));
        acc[v].acc[day].push(anomalyCorrelation(anomalyProducts(f, y, c, grid, w)));
      }
    }
  }
  results[name] = Object.fromEntries(VARS.map((v) => [v, {
    rmse: acc[v].se.slice(1).map((s) => Math.sqrt(s.reduce((p, q) => p + q, 0) / s.length)),
    acc: acc[v].acc.slice(1).map((s) => s.reduce((p, q) => p + q, 0) / s.length),
  }]));
  const shown = [1, 3, 5, 10].filter((d) => d <= days);
  console.error(`${name}: height RMSE day ${shown.join('/')} ${shown.map((d) => results[name].height.rmse[d - 1].toFixed(2)).join(' / ')} m; tracer ${shown.map((d) => results[name].tracer.rmse[d - 1].toFixed(3)).join(' / ')} K`);
}

async function* rollout(model: ForecastModel, init: number, nDays = days): AsyncGenerator<[number, Float32Array]> {
  let state = await analyses.analysis(hoursFromNoleapHours(init));
  let t = hoursFromNoleapHours(init);
  for (let s = 1; s <= nDays * 4; s++) {
    state = await model.step(state, 1, t);
    t += 6;
    if (s % 4 === 0) yield [s / 4, state];
  }
}

await score('persistence', async function* (init) {
  const s = await analyses.analysis(hoursFromNoleapHours(init));
  for (let d = 1; d <= days; d++) yield [d, s];
});
await score('climatology', async function* (init) {
  for (let d = 1; d <= days; d++) {
    const month = noleapMonth(init + 24 * d);
    const s = new Float32Array(4 * P);
    for (const v of channels) s.set(await climMean(v, month), channels.indexOf(v) * P);
    yield [d, s];
  }
});
const checkpoints = a.checkpoints.split(',');
const models: [string, ForecastModel][] = [];
// names: the file name without .safetensors, or parent-dir/name where two files share a name
const label = (file: string) => {
  const base = basename(file).replace(/\.safetensors$/, '');
  return checkpoints.filter((f) => basename(f) === basename(file)).length > 1 ? `${basename(dirname(file))}/${base}` : base;
};
for (const file of checkpoints) models.push([label(file), await sfnoKind.load(file, { name: basename(file), threads })]);
for (const [name, m] of models) await score(name, (init) => rollout(m, init));
if (a.physics) {
  const phys = await planetKind.load(a.physics, { name: 'physics', threads });
  await score('physics', (init) => rollout(phys, init));
}

// long rollouts: stability and the height spectrum at day 30 against truth's
const long: Record<string, unknown> = {};
if (a['long-init']) {
  const init = noleapHoursFromIso(a['long-init']);
  const longDays = Number(a['long-days']);
  const sht = createSht(grid, { lmax: 43, mmax: 43 });
  const spectrum = (f: Float32Array) => angularPowerSpectrum(sht.forward({ data: Float64Array.from(f), shape: [grid.nlat, grid.nlon] })).data;
  let truth30: Float64Array | undefined;
  try {
    truth30 = spectrum(field(await analyses.analysis(hoursFromNoleapHours(init + 30 * 24)), 'height'));
  } catch {
    truth30 = undefined;
  }
  for (const [name, m] of models) {
    let maxAbs = 0;
    let finite = true;
    let ratio: number[] = [];
    for await (const [day, state] of rollout(m, init, longDays)) {
      for (const x of state) {
        if (!Number.isFinite(x)) finite = false;
        else maxAbs = Math.max(maxAbs, Math.abs(x));
      }
      if (day === 30 && truth30) {
        const s = spectrum(field(state, 'height'));
        ratio = Array.from({ length: 43 - 20 }, (_, k) => s[20 + k] / truth30![20 + k]);
      }
      if (!finite) break;
    }
    const range = (lo: number, hi: number) => (ratio.length ? `${Math.min(...ratio.slice(lo - 20, hi - 19)).toFixed(2)}–${Math.max(...ratio.slice(lo - 20, hi - 19)).toFixed(2)}` : 'n/a');
    long[name] = { days: longDays, finite, maxAbs, day30HighDegreeRatio: ratio.length ? { min: Math.min(...ratio), max: Math.max(...ratio), degrees: '20-42', perDegree: ratio } : null };
    console.error(`${name}: ${longDays}-day rollout finite=${finite}, max |x| ${maxAbs.toFixed(1)}, day-30 P(l) ratio l=20..42 ${range(20, 42)} (l=20..31 ${range(20, 31)}, l=32..42 ${range(32, 42)})`);
  }
}

const out = { truth: a.truth, inits: inits.length, firstInit: a.inits, days, results, long };
if (a.out) writeFileSync(a.out, `${JSON.stringify(out, null, 1)}\n`);
// markdown table: RMSE at days 1, 3, 5, 7, 10
const leads = [1, 2, 3, 4, 5, 7, 10].filter((d) => d <= days && (days <= 5 || ![2, 4].includes(d)));
for (const v of VARS) {
  console.log(`\n| ${v} RMSE (${v === 'height' ? 'm' : 'K'}) | ${leads.map((d) => `day ${d}`).join(' | ')} |\n|---|${leads.map(() => '---').join('|')}|`);
  for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${leads.map((d) => r[v].rmse[d - 1].toFixed(v === 'height' ? 2 : 3)).join(' | ')} |`);
  console.log(`\n| ${v} ACC | ${leads.map((d) => `day ${d}`).join(' | ')} |\n|---|${leads.map(() => '---').join('|')}|`);
  for (const [name, r] of Object.entries(results)) if (name !== 'climatology') console.log(`| ${name} | ${leads.map((d) => r[v].acc[d - 1].toFixed(3)).join(' | ')} |`);
}
await releaseSessions();
