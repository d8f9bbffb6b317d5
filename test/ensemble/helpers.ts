// Shared set-up for the ensemble tests: small test-model checkpoints calibrated against the nature run, and configs.
import { writeToyCheckpoints } from '../../src/ensemble/model.ts';
import type { ForecastConfigInput } from '../../src/ensemble/config.ts';

export const TEST_GRID = { kind: 'equiangular' as const, nlat: 16, nlon: 32 };
export const ORIGIN = '2024-01-01T00:00Z';

/** Writes `count` calibrated test-model checkpoints into `dir`; returns their file names. */
export async function writeCheckpoints(dir: string, count: number, grid = TEST_GRID): Promise<string[]> {
  return writeToyCheckpoints(dir, count, grid, Date.parse(ORIGIN) / 3.6e6, 1);
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
