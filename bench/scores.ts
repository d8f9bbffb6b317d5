// Throughput benchmark of the scores layer (src/scores): tile-wise CRPS + ranks and streaming statistics on a
// large ensemble (default 1024 members × 64×128 points); and `myriad score`'s whole path in a child process on a
// 7,424-member store (64×128 Gauss grid, one lead) and at demo size (1,024 members × 11 leads), reporting peak RSS
// and throughput. Returns JSON-able lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latitudeWeights } from '../src/scores/grid.ts';
import { FieldStatistics } from '../src/scores/streaming.ts';
import { scoreTile, TiledEnsembleScores, tileRanges } from '../src/scores/tiles.ts';

interface ScoresBenchLine {
  bench: 'scores_crps_rank_tiles' | 'scores_streaming_stats';
  members: number;
  points: number;
  seconds: number;
  points_per_s: number;
  member_points_per_s: number;
  detail: string;
}

/** xorshift32 uniform source, only for generating benchmark data. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function line(bench: ScoresBenchLine['bench'], members: number, points: number, seconds: number, detail: string): ScoresBenchLine {
  return {
    bench,
    members,
    points,
    seconds: Number(seconds.toFixed(4)),
    points_per_s: Math.round(points / seconds),
    member_points_per_s: Math.round((members * points) / seconds),
    detail,
  };
}

/**
 * Times (1) tile-wise fair/standard CRPS, ensemble mean/variance and ranks with random tie breaking over all
 * points, combined into global area-weighted scores, and (2) streaming mean/variance, min/max, 3 exceedance
 * thresholds and 101 climate-percentile counts (EFI), fed in member batches of `batch`.
 */
export async function benchScores(members = 1024, nlat = 64, nlon = 128, tilePoints = 256, batch = 64): Promise<Array<ScoresBenchLine | ScoreHugeLine>> {
  const points = nlat * nlon;
  const grid = { nlat, nlon };
  const lats = Array.from({ length: nlat }, (_, i) => 90 - (180 * (i + 0.5)) / nlat);
  const weights = latitudeWeights(lats);
  const u = xorshift(12345);
  const ensemble = new Float32Array(members * points);
  for (let i = 0; i < ensemble.length; i++) ensemble[i] = u() + u() + u() - 1.5;
  const truth = new Float32Array(points);
  for (let p = 0; p < points; p++) truth[p] = u() + u() + u() - 1.5;
  const lines: Array<ScoresBenchLine | ScoreHugeLine> = [];

  // (1) Tile-wise CRPS + ranks; the tile copy from the member-major store is part of the cost.
  {
    const t0 = process.hrtime.bigint();
    const scores = new TiledEnsembleScores(grid, weights, members);
    const block = new Float32Array(members * tilePoints);
    for (const [offset, count] of tileRanges(points, tilePoints)) {
      const view = block.subarray(0, members * count);
      for (let m = 0; m < members; m++) view.set(ensemble.subarray(m * points + offset, m * points + offset + count), m * count);
      scores.addTile(offset, scoreTile(view, truth.subarray(offset, offset + count), members, u));
    }
    const s = scores.statistics();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    lines.push(line('scores_crps_rank_tiles', members, points, seconds, `tile ${tilePoints} points; crpsFair ${s.crpsFair.toFixed(4)}`));
  }

  // (2) Streaming statistics fed member batch by member batch.
  {
    const clim = new Float64Array(101 * points);
    for (let j = 0; j < 101; j++) clim.fill(-1.5 + (3 * j) / 100, j * points, (j + 1) * points);
    const t0 = process.hrtime.bigint();
    const stats = new FieldStatistics({ points, thresholds: [-1, 0, 1], climate: clim });
    for (let m = 0; m < members; m += batch) {
      stats.add(ensemble.subarray(m * points, Math.min(members, m + batch) * points));
    }
    const efi = stats.climateCounts!.efi();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    lines.push(line('scores_streaming_stats', members, points, seconds, `batch ${batch}; moments, min/max, 3 thresholds, 101-percentile counts + EFI (${efi[0]!.toFixed(3)})`));
  }
  lines.push(...(await benchScoreHuge()));
  lines.push(await benchScoreDemo());
  return lines;
}

/** One line of the whole-path benchmark. */
export interface ScoreHugeLine {
  bench: 'score_run_huge' | 'score_run_demo';
  members: number;
  points: number;
  seconds: number;
  member_points_per_s: number;
  peak_rss_mib: number;
  baseline_rss_mib: number;
  write_seconds: number;
  store_mib: number;
  band_mib: number;
  detail: string;
}

const HUGE = { members: 7424, memberBlock: 256, nlat: 64, nlon: 128, tileLat: 16 };

/**
 * Writes a synthetic 7,424-member store (29 × 256-member blocks, tiles of 16 × 128 points, members = truth + N(0, 1)
 * + a member-dependent bias, so that nothing is calibrated) and a one-time truth store in a temporary directory,
 * block by block; then runs `scoreRun` on it in a child process (sub-ensembles 50/100/500/1000/all with
 * 10 resamples, 20 spectrum members) once per band size and reads each child's peak RSS (the band, not the member
 * count, bounds the memory). A child that only loads the modules gives the baseline RSS of Node and the code.
 */
export async function benchScoreHuge(bandsMiB: number[] = [64, 16]): Promise<ScoreHugeLine[]> {
  const { gridGeometry } = await import('../src/sphere/grid.ts');
  const { writeSyntheticMemberStore, writeTruthStore, noleapHours } = await import('../src/report/synthetic.ts');
  const dir = mkdtempSync(join(tmpdir(), 'myriad-bench-score-'));
  try {
    const grid = { kind: 'legendre-gauss' as const, nlat: HUGE.nlat, nlon: HUGE.nlon };
    const geo = gridGeometry(grid);
    const P = HUGE.nlat * HUGE.nlon;
    const u = xorshift(777);
    const normal = () => {
      const a = Math.max(u(), 1e-12);
      return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
    };
    const truth = Float32Array.from({ length: P }, (_, p) => 280 + 10 * Math.cos((geo.latitudes[Math.floor(p / HUGE.nlon)]! * 2)) + normal());
    const t0 = performance.now();
    await writeTruthStore(join(dir, 'truth.zarr'), {
      time: [noleapHours(2023, 7, 1, 0)], lat: geo.latitudesDeg, lon: geo.longitudesDeg, variables: ['t2m'], field: () => truth,
      climate: () => Float32Array.from(truth, (x) => x + 1.5), climatePercentiles: [95, 99],
    });
    await writeSyntheticMemberStore(join(dir, 'run'), {
      grid, lat: geo.latitudesDeg, lon: geo.longitudesDeg, initHours: [Date.UTC(2023, 6, 1) / 3.6e6], leads: [0], members: HUGE.members,
      memberBlock: HUGE.memberBlock, variables: ['t2m'], tileLat: HUGE.tileLat, control: true,
      block: (_v, _i, _l, first, count) => {
        const out = new Float32Array(count * P);
        for (let k = 0; k < count; k++) {
          const bias = 0.3 * Math.sin(first + k);
          for (let p = 0; p < P; p++) out[k * P + p] = truth[p]! + bias + normal();
        }
        return out;
      },
    });
    const writeSeconds = (performance.now() - t0) / 1000;
    const storeBytes = Number(spawnSync('du', ['-sb', join(dir, 'run')], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
    const child = (mode: string, bandMiB = 64) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), mode, dir, String(bandMiB)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      if (r.status !== 0) throw new Error(`score child (${mode}) failed: ${r.stderr.slice(-2000)}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; maxRssKiB: number; records: number; crps: number };
    };
    const base = child('baseline');
    return bandsMiB.map((bandMiB) => {
    const run = child('score', bandMiB);
    return {
      bench: 'score_run_huge',
      members: HUGE.members,
      points: P,
      seconds: Number(run.seconds.toFixed(2)),
      member_points_per_s: Math.round((HUGE.members * P) / run.seconds),
      peak_rss_mib: Math.round(run.maxRssKiB / 1024),
      baseline_rss_mib: Math.round(base.maxRssKiB / 1024),
      write_seconds: Number(writeSeconds.toFixed(2)),
      store_mib: Math.round(storeBytes / 2 ** 20),
      band_mib: bandMiB,
      detail: `myriad score path: 1 init x 1 lead, ${HUGE.members / HUGE.memberBlock} blocks of ${HUGE.memberBlock}, tiles ${HUGE.tileLat}x${HUGE.nlon}; ${run.records} records; crps ${run.crps.toFixed(4)}`,
    };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DEMO = { members: 1024, memberBlock: 64, nlat: 64, nlon: 128, leads: 11 };

/**
 * Demo-size scoring (one of the four ensemble × variable × init fields of `myriad demo`'s SFNO-BVMC scoring): a
 * synthetic 1,024-member store (16 blocks of 64, 64×128 Gauss grid, 11 daily leads, 1 init, 1 variable; members =
 * truth + N(0, σ_lead²) + a member bias) scored by `scoreRun` as the demo calls it (5 resamples per sub-ensemble
 * size, default band) in a child process, reporting its seconds and peak RSS. The store's chunks hold one lead each
 * (the runner's hold 8), so each chunk is decompressed once either way.
 */
export async function benchScoreDemo(): Promise<ScoreHugeLine> {
  const { gridGeometry } = await import('../src/sphere/grid.ts');
  const { writeSyntheticMemberStore, writeTruthStore, noleapHours } = await import('../src/report/synthetic.ts');
  const { DEFAULT_BAND_BYTES } = await import('../src/report/evaluate.ts');
  const dir = mkdtempSync(join(tmpdir(), 'myriad-bench-score-demo-'));
  try {
    const grid = { kind: 'legendre-gauss' as const, nlat: DEMO.nlat, nlon: DEMO.nlon };
    const geo = gridGeometry(grid);
    const P = DEMO.nlat * DEMO.nlon;
    const u = xorshift(4242);
    const normal = () => {
      const a = Math.max(u(), 1e-12);
      return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
    };
    const leads = Array.from({ length: DEMO.leads }, (_, l) => 24 * l);
    const truths = leads.map((_, l) => Float32Array.from({ length: P }, (_, p) => 5500 + 200 * Math.cos(geo.latitudes[Math.floor(p / DEMO.nlon)]! * 2) + 5 * l + normal()));
    const t0 = performance.now();
    await writeTruthStore(join(dir, 'truth.zarr'), {
      time: leads.map((h) => noleapHours(2023, 7, 1, h)), lat: geo.latitudesDeg, lon: geo.longitudesDeg, variables: ['height'], field: (_v, t) => truths[t]!,
      climate: () => Float32Array.from(truths[0]!, (x) => x + 20), climatePercentiles: [95, 99],
    });
    await writeSyntheticMemberStore(join(dir, 'run'), {
      grid, lat: geo.latitudesDeg, lon: geo.longitudesDeg, initHours: [Date.UTC(2023, 6, 1) / 3.6e6], leads, members: DEMO.members,
      memberBlock: DEMO.memberBlock, variables: ['height'], control: false,
      block: (_v, _i, l, first, count) => {
        const out = new Float32Array(count * P);
        const sd = 0.1 + 2 * l;
        for (let k = 0; k < count; k++) {
          const bias = 0.3 * sd * Math.sin(first + k);
          for (let p = 0; p < P; p++) out[k * P + p] = truths[l]![p]! + bias + sd * normal();
        }
        return out;
      },
    });
    const writeSeconds = (performance.now() - t0) / 1000;
    const storeBytes = Number(spawnSync('du', ['-sb', join(dir, 'run')], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'demo', dir, '0'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`score child (demo) failed: ${r.stderr.slice(-2000)}`);
    const run = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; maxRssKiB: number; records: number; crps: number };
    return {
      bench: 'score_run_demo',
      members: DEMO.members,
      points: P,
      seconds: Number(run.seconds.toFixed(2)),
      member_points_per_s: Math.round((DEMO.members * P * DEMO.leads) / run.seconds),
      peak_rss_mib: Math.round(run.maxRssKiB / 1024),
      baseline_rss_mib: Number.NaN,
      write_seconds: Number(writeSeconds.toFixed(2)),
      store_mib: Math.round(storeBytes / 2 ** 20),
      band_mib: DEFAULT_BAND_BYTES / 2 ** 20,
      detail: `demo-size score: ${DEMO.members} members x ${DEMO.nlat}x${DEMO.nlon} x ${DEMO.leads} leads, 1 init, 1 variable, 5 resamples per size (the demo's SFNO scoring is 4 such fields); ${run.records} records; crps(lead 0) ${run.crps.toFixed(4)}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child-process entry: `scores.ts score|demo|baseline DIR BAND_MIB` prints {seconds, maxRssKiB, records, crps}. */
async function childMain(mode: string, dir: string, bandMiB: number): Promise<void> {
  const { scoreRun } = await import('../src/report/evaluate.ts');
  const t0 = performance.now();
  let records = 0;
  let crps = Number.NaN;
  if (mode === 'score' || mode === 'demo') {
    const out = mode === 'score'
      ? await scoreRun({ runDir: join(dir, 'run'), truth: join(dir, 'truth.zarr'), name: 'huge', bandBytes: bandMiB * 2 ** 20, resamples: 10, spectrumMembers: 20 })
      : await scoreRun({ runDir: join(dir, 'run'), truth: join(dir, 'truth.zarr'), name: 'demo', resamples: 5 });
    records = out.records.length;
    crps = out.records.find((r) => r.metric === 'crps')?.value ?? Number.NaN;
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssKiB: process.resourceUsage().maxRSS, records, crps })}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && (process.argv[2] === 'score' || process.argv[2] === 'demo' || process.argv[2] === 'baseline')) {
  await childMain(process.argv[2], process.argv[3]!, Number(process.argv[4]));
}
