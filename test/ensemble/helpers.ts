// Shared set-up for the ensemble tests: small test-model checkpoints calibrated against the nature run, and configs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ToyNatureRun, makeToyCheckpoint } from '../../src/ensemble/model.ts';
import type { ForecastConfigInput } from '../../src/ensemble/config.ts';

export const TEST_GRID = { kind: 'equiangular' as const, nlat: 16, nlon: 32 };
export const ORIGIN = '2024-01-01T00:00Z';

/** Writes `count` calibrated test-model checkpoints into `dir`; returns their file names. */
export async function writeCheckpoints(dir: string, count: number, grid = TEST_GRID): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const nature = new ToyNatureRun({ grid, origin: Date.parse(ORIGIN) / 3.6e6, threads: 1 });
  const o = Date.parse(ORIGIN) / 3.6e6;
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const ck = await makeToyCheckpoint(100 + k, nature, [o + 24, o + 48, o + 72]);
    const f = path.join(dir, `toy-${k}.json`);
    fs.writeFileSync(f, `${JSON.stringify(ck, null, 1)}\n`);
    out.push(f);
  }
  return out;
}

/** A small forecast config (relative to `dir`). */
export function smallConfig(output: string, checkpoints: string[], extra: Partial<ForecastConfigInput> = {}): ForecastConfigInput {
  return {
    output,
    model: { kind: 'toy', checkpoints },
    analyses: { kind: 'toy-nature', origin: ORIGIN },
    inits: ['2024-01-03T00:00Z', '2024-01-04T12:00Z'],
    steps: 4,
    outputEvery: 2,
    channels: ['z500', 't2m', 'tcwv'],
    ensemble: { perturbations: 3, memberBlock: 2, batchSize: 4 },
    seed: 17,
    statistics: { thresholds: { t2m: [280, 290] }, climate: { start: '2024-01-01T12:00Z', count: 12, everyHours: 12 } },
    threads: 1,
    ...extra,
  };
}
