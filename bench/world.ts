// Benchmark of the world layer's shallow-water physics on the forecast grid (64×128 Gauss, T42: lmax = mmax = 43,
// float32, 600-s steps, one thread): member-steps per second for batches 1, 32 and 256, and cost per simulated day;
// plus the planet's physics (orography, tracer, forcing; 400-s steps) for 32 members.
import { ShallowWaterModel } from '../src/world/swe.ts';
import { stateFromCase, williamson2 } from '../src/world/cases.ts';
import { Planet, planetConfig } from '../src/world/planet.ts';

interface WorldBenchLine {
  bench: 'world_swe_step' | 'world_planet_step';
  grid: string;
  lmax: number;
  dtype: 'float32' | 'float64';
  members: number;
  steps_per_call: number;
  group_size: number;
  threads: number;
  ms_per_step: number;
  member_steps_per_s: number;
  /** seconds of compute per member per simulated day (144 steps of 600 s) */
  seconds_per_member_day: number;
  /** torch-harmonics ShallowWaterSolver, 64×128, lmax 43, float32, one state, one thread: 5.6 ms per 600-s step */
  anchor_ms_per_step_one_state: number;
  compile_ms: number;
}

export async function benchWorld(): Promise<WorldBenchLine[]> {
  const lines: WorldBenchLine[] = [];
  const dt = 600;
  const stepsPerCall = 6;
  for (const [members, groupSize] of [
    [1, 8],
    [32, 8],
    [256, 8],
  ] as const) {
    const model = new ShallowWaterModel({ nlat: 64, nlon: 128, grid: 'legendre-gauss', lmax: 43, dt, dtype: 'float32', groupSize }, 1);
    let state = stateFromCase(model, williamson2(model, 0), members);
    let t0 = performance.now();
    state = await model.step(state, stepsPerCall); // compiles
    const compileMs = performance.now() - t0;
    const minCalls = members >= 256 ? 2 : 4;
    let steps = 0;
    let calls = 0;
    t0 = performance.now();
    while (calls < minCalls || performance.now() - t0 < 2000) {
      state = await model.step(state, stepsPerCall);
      steps += stepsPerCall;
      calls++;
    }
    const ms = (performance.now() - t0) / steps;
    const rate = (members * 1000) / ms;
    lines.push({
      bench: 'world_swe_step',
      grid: '64x128 legendre-gauss',
      lmax: 43,
      dtype: 'float32',
      members,
      steps_per_call: stepsPerCall,
      group_size: groupSize,
      threads: 1,
      ms_per_step: Number(ms.toFixed(3)),
      member_steps_per_s: Number(rate.toFixed(1)),
      seconds_per_member_day: Number(((86400 / dt) / rate).toFixed(4)),
      anchor_ms_per_step_one_state: 5.6,
      compile_ms: Math.round(compileMs),
    });
  }
  // the planet's physics on the forecast grid (orography, tracer, relaxation towards the seasonal equilibrium): the
  // physics ensemble baseline, 32 members
  {
    const members = 32;
    const cfg = planetConfig({ dtype: 'float32' });
    const planet = new Planet(cfg, { nlat: 64, lmax: 43, dt: 400 }, 1);
    let state = planet.initialState(0, members);
    let t0 = performance.now();
    state = await planet.advance(state, 0, 6 * 400, 6);
    const compileMs = performance.now() - t0;
    let steps = 0;
    t0 = performance.now();
    while (steps < 24 || performance.now() - t0 < 2000) {
      state = await planet.advance(state, 0, 6 * 400, 6);
      steps += 6;
    }
    const ms = (performance.now() - t0) / steps;
    const rate = (members * 1000) / ms;
    lines.push({
      bench: 'world_planet_step',
      grid: '64x128 legendre-gauss',
      lmax: 43,
      dtype: 'float32',
      members,
      steps_per_call: 6,
      group_size: 8,
      threads: 1,
      ms_per_step: Number(ms.toFixed(3)),
      member_steps_per_s: Number(rate.toFixed(1)),
      seconds_per_member_day: Number((86400 / 400 / rate).toFixed(4)),
      anchor_ms_per_step_one_state: 5.6,
      compile_ms: Math.round(compileMs),
    });
  }
  return lines;
}
