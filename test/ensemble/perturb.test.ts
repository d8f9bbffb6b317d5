// Member identity and perturbations: HENS indexing round trips, hemispheric RMS rows and rescaling against an
// independent re-statement of the reference formulas, bred vectors on the test model (targets met in every channel),
// ± pairs averaging to the analysis, and members bit-identical whatever the batching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalFill, keyFromSeed } from '../../src/engine/index.ts';
import { ToyModel, ToyNatureRun } from '../../src/ensemble/model.ts';
import {
  type EnsembleLayout, memberCount, memberIdentity, memberIndex, perturbationKey, shardUnits, workUnits,
} from '../../src/ensemble/members.ts';
import {
  HENS_BRED_VECTOR, breedVectors, hemisphereRows, hemisphericRescale, hemisphericRms, initialStates,
} from '../../src/ensemble/perturb.ts';

const GRID = { kind: 'equiangular' as const, nlat: 24, nlon: 48 };
const C = 5;
const P = GRID.nlat * GRID.nlon;

test('HENS member indexing: member = checkpoint·M_c + 2k + s, control is member 0, round trip', () => {
  const layout: EnsembleLayout = { checkpoints: 29, perturbations: 128, paired: true, control: true };
  assert.equal(memberCount(layout), 7424);
  assert.equal(memberIndex(layout, 3, 17, -1), 3 * 256 + 35);
  for (const m of [0, 1, 2, 255, 256, 7423]) {
    const id = memberIdentity(layout, m);
    assert.equal(memberIndex(layout, id.checkpoint, id.perturbation, id.sign), m);
  }
  assert.deepEqual(memberIdentity(layout, 0), { member: 0, checkpoint: 0, perturbation: 0, sign: 1, control: true });
  assert.deepEqual(memberIdentity(layout, 1), { member: 1, checkpoint: 0, perturbation: 0, sign: -1, control: false });
  assert.equal(memberIdentity(layout, 256).control, false);
  assert.throws(() => memberIdentity(layout, 7424), /member: expected an integer in \[0, 7424\)/);
  assert.throws(() => memberIndex(layout, 29, 0, 1), /checkpoint/);
  // keys: partners share, everything else differs
  const k = (c: number, p: number, t = 100) => perturbationKey(7, t, c, p, 'seed').join(',');
  assert.notEqual(k(0, 1), k(0, 2));
  assert.notEqual(k(0, 1), k(1, 1));
  assert.notEqual(k(0, 1), k(0, 1, 106));
  // units cover every member exactly once; shards partition them
  const small: EnsembleLayout = { checkpoints: 2, perturbations: 4, paired: true, control: false };
  const units = workUnits(small, 2, 4);
  assert.equal(units.length, 8);
  const seen = new Set<string>();
  for (const u of units) for (let m = u.firstMember; m < u.firstMember + u.members; m++) seen.add(`${u.init}:${m}`);
  assert.equal(seen.size, 2 * 16);
  const s0 = shardUnits(units, 0, 3).map((u) => u.id);
  const s1 = shardUnits(units, 1, 3).map((u) => u.id);
  const s2 = shardUnits(units, 2, 3).map((u) => u.id);
  assert.deepEqual([...s0, ...s1, ...s2].sort(), units.map((u) => u.id).sort());
  assert.throws(() => workUnits(small, 1, 3), /memberBlock: 3 does not divide the 8 members/);
});

test('hemispheric rows on the 0.25° grid: 280 NH rows, 161 tropical rows, 280 SH rows (earth2mip-fork)', () => {
  const rows = hemisphereRows({ kind: 'equiangular', nlat: 721, nlon: 8 }, 20);
  assert.deepEqual(rows, { nh: 280, sh: 280 });
});

/** Independent statement of calculate_nh_rms / calculate_sh_rms / hemispheric_rms for an equiangular grid with poles. */
function referenceProfile(dx: ArrayLike<number>, nlat: number, nlon: number, nh: number, sh: number): number[] {
  const jac = Array.from({ length: nlat }, (_, j) => Math.sin((Math.PI * j) / (nlat - 1)));
  const mean = jac.reduce((a, b) => a + b) / nlat;
  const w = jac.map((v) => v / mean);
  let n = 0;
  let s = 0;
  for (let j = 0; j < nh; j++) for (let i = 0; i < nlon; i++) n += dx[j * nlon + i] ** 2 * w[j];
  for (let j = nlat - sh; j < nlat; j++) for (let i = 0; i < nlon; i++) s += dx[j * nlon + i] ** 2 * w[j];
  const rn = Math.sqrt(n / (nh * nlon));
  const rs = Math.sqrt(s / (sh * nlon));
  const nt = nlat - nh - sh;
  return Array.from({ length: nlat }, (_, j) => (j < nh ? rn : j >= nlat - sh ? rs : rn + ((rs - rn) * (j - nh)) / (nt - 1)));
}

test('hemispheric RMS profile matches the reference formulas; rescaling gives the target RMS per channel', () => {
  const grid = { kind: 'equiangular' as const, nlat: 37, nlon: 16 }; // 5° rows: 90 … −90
  const rows = hemisphereRows(grid, 20);
  assert.deepEqual(rows, { nh: 14, sh: 14 }); // 90 … 25 north of 20°N
  const n = grid.nlat * grid.nlon;
  const dx = new Float64Array(3 * n);
  normalFill(dx, keyFromSeed(5), [1, 0]);
  for (let i = 0; i < n; i++) dx[n + i] *= 1 + (i % grid.nlon) / 3; // uneven second channel
  dx.fill(0, 2 * n); // third channel constant zero
  const { profile } = hemisphericRms(dx, 3, grid, 20);
  for (let c = 0; c < 2; c++) {
    const ref = referenceProfile(dx.subarray(c * n, (c + 1) * n), grid.nlat, grid.nlon, 14, 14);
    for (let j = 0; j < grid.nlat; j++) assert.ok(Math.abs(profile[c * grid.nlat + j] - ref[j]) <= 1e-12 * ref[j], `channel ${c} row ${j}`);
  }
  const target = [3, 0.5, 7];
  hemisphericRescale(dx, 3, grid, target, 20);
  const after = hemisphericRms(dx, 3, grid, 20);
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(after.nh[c] - target[c]) < 1e-12 * target[c], `NH RMS of channel ${c}: ${after.nh[c]}`);
    assert.ok(Math.abs(after.sh[c] - target[c]) < 1e-12 * target[c], `SH RMS of channel ${c}: ${after.sh[c]}`);
  }
  assert.equal(after.nh[2], 0); // a constant channel stays zero instead of dividing by zero
  assert.ok(dx.every(Number.isFinite));
});

test('bred vectors on the test model: every channel perturbed, hemispheric RMS = 0.35 × RMSE48 per channel', async () => {
  const nature = new ToyNatureRun({ grid: GRID, origin: 0, threads: 1 });
  const rmse = [800, 1.8, 1.4, 0.002, 7];
  const model = new ToyModel({ seed: 11, grid: GRID, rmse48h: rmse, threads: 1 });
  const keys = [0, 1, 2].map((k) => perturbationKey(42, 120, 0, k, 'seed'));
  const spec = HENS_BRED_VECTOR as Extract<typeof HENS_BRED_VECTOR, { method: 'bred-vector' }>;
  const dxs = await breedVectors(model, nature, 120, keys, spec, 2);
  for (const dx of dxs) {
    const r = hemisphericRms(dx, C, GRID, 20);
    for (let c = 0; c < C; c++) {
      const t = 0.35 * rmse[c];
      assert.ok(Math.abs(r.nh[c] - t) < 1e-9 * t && Math.abs(r.sh[c] - t) < 1e-9 * t, `channel ${c}: NH ${r.nh[c]} SH ${r.sh[c]}, target ${t}`);
    }
  }
  // distinct keys give distinct vectors
  assert.notDeepEqual(Array.from(dxs[0].subarray(0, 50)), Array.from(dxs[1].subarray(0, 50)));
});

test('± members average to the analysis; the control is the analysis; members are bit-identical across batchings', async () => {
  const nature = new ToyNatureRun({ grid: GRID, origin: 0, threads: 1 });
  const model = new ToyModel({ seed: 11, grid: GRID, rmse48h: [800, 1.8, 1.4, 0.002, 7], threads: 1 });
  const layout: EnsembleLayout = { checkpoints: 1, perturbations: 4, paired: true, control: true };
  const ctx = { model, analyses: nature, t0: 120, runSeed: 9, layout, spec: HENS_BRED_VECTOR, batchSize: 8 };
  const ids = Array.from({ length: 8 }, (_, m) => memberIdentity(layout, m));
  const all = await initialStates(ctx, ids);
  const x0 = await nature.analysis(120);
  assert.deepEqual(all.subarray(0, C * P), x0); // control
  const nonNeg = new Set([3, 4]);
  let checked = 0;
  for (let k = 1; k < 4; k++) {
    const plus = all.subarray(2 * k * C * P, (2 * k + 1) * C * P);
    const minus = all.subarray((2 * k + 1) * C * P, (2 * k + 2) * C * P);
    for (let i = 0; i < C * P; i++) {
      const c = Math.floor(i / P);
      if (nonNeg.has(c) && (plus[i] === 0 || minus[i] === 0)) continue; // clipped
      const ulp = Math.abs(x0[i]) * 2 ** -23;
      assert.ok(Math.abs((plus[i] + minus[i]) / 2 - x0[i]) <= ulp, `member pair ${k} point ${i}`);
      checked++;
    }
    assert.ok(plus.some((v, i) => v !== x0[i]));
  }
  assert.ok(checked > 3 * C * P * 0.8);
  // non-negative channels are clipped
  for (const c of nonNeg) for (let m = 0; m < 8; m++) for (let i = 0; i < P; i++) assert.ok(all[(m * C + c) * P + i] >= 0);
  // the same members computed alone and in another batch size: bit-identical
  const alone = await initialStates({ ...ctx, batchSize: 1 }, [ids[5]]);
  assert.deepEqual(alone, all.subarray(5 * C * P, 6 * C * P));
  const pair = await initialStates({ ...ctx, batchSize: 3 }, [ids[6], ids[3]]);
  assert.deepEqual(pair.subarray(0, C * P), all.subarray(6 * C * P, 7 * C * P));
  assert.deepEqual(pair.subarray(C * P), all.subarray(3 * C * P, 4 * C * P));
});

test('baselines: Gaussian and correlated noise at the target amplitude; lagged members are earlier forecasts', async () => {
  const nature = new ToyNatureRun({ grid: GRID, origin: 0, threads: 1 });
  const model = new ToyModel({ seed: 11, grid: GRID, rmse48h: [800, 1.8, 1.4, 0.002, 7], threads: 1 });
  const layout: EnsembleLayout = { checkpoints: 1, perturbations: 2, paired: true, control: false };
  const x0 = await nature.analysis(60);
  for (const method of ['gaussian', 'correlated'] as const) {
    const spec = { method, amplitude: 0.5, channels: ['z500', 't850'], paired: true };
    const st = await initialStates({ model, analyses: nature, t0: 60, runSeed: 1, layout, spec, batchSize: 4 }, [memberIdentity(layout, 0), memberIdentity(layout, 1)]);
    let s = 0;
    for (let i = 0; i < P; i++) s += (st[i] - x0[i]) ** 2;
    const rms = Math.sqrt(s / P);
    assert.ok(rms > 0.5 * 400 * 0.8 && rms < 0.5 * 800 * 1.25, `${method}: z500 RMS ${rms}`);
    for (let i = 2 * P; i < C * P; i++) assert.equal(st[i], x0[i]); // unperturbed channels
    for (let i = 0; i < P; i++) assert.ok(Math.abs(st[i] + st[C * P + i] - 2 * x0[i]) <= 2 * Math.abs(x0[i]) * 2 ** -23);
  }
  const lagged: EnsembleLayout = { checkpoints: 1, perturbations: 3, paired: false, control: false };
  const st = await initialStates(
    { model, analyses: nature, t0: 60, runSeed: 1, layout: lagged, spec: { method: 'lagged', lagHours: 6 }, batchSize: 4 },
    [0, 1, 2].map((m) => memberIdentity(lagged, m)),
  );
  assert.deepEqual(st.subarray(0, C * P), x0);
  const from54 = await model.step(await nature.analysis(54), 1, 54);
  assert.deepEqual(st.subarray(C * P, 2 * C * P), from54);
  const from48 = await model.step(await model.step(await nature.analysis(48), 1, 48), 1, 54);
  assert.deepEqual(st.subarray(2 * C * P), from48);
});
