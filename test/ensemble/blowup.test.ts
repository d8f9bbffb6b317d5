// A model that blows up (a NaN in one member) stops the run with an error naming the init, the member, the lead and
// the channel; the units recorded before it, their members and the statistics of the finished init stay intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateForecastConfig } from '../../src/ensemble/config.ts';
import { type ForecastModel, hoursFromIso, TOY_CHANNELS } from '../../src/ensemble/model.ts';
import { modelKind, registerModelKind } from '../../src/ensemble/registry.ts';
import { runForecast } from '../../src/ensemble/runner.ts';
import { openZarrArray, openZarrStore, readZarrArray } from '../../src/io/zarr.ts';
import { TEST_GRID, smallConfig, writeCheckpoints } from './helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-blowup-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// the second init of smallConfig is 2024-01-04T12Z; states valid from 2024-01-05T12Z on (its 24-h lead) get a NaN in
// the first member of every batch (the model's second channel, grid point 5); the first init's forecasts end before that
const BLOW = hoursFromIso('2024-01-05T12:00Z');

/** The model with NaN written into the first member of every batch whose result is valid from BLOW on. */
function blowingUp(model: ForecastModel): ForecastModel {
  const poison = (out: Float32Array, validAt: number) => {
    if (validAt >= BLOW) out[1 * TEST_GRID.nlat * TEST_GRID.nlon + 5] = Number.NaN;
    return out;
  };
  const step = async (state: Float32Array, batch: number, time: number) => poison(await model.step(state, batch, time), time + model.stepHours);
  const advance = async (state: Float32Array, batch: number, time: number, steps: number) => {
    let s = state;
    for (let k = 0; k < steps; k++) s = await model.step(s, batch, time + k * model.stepHours);
    return poison(s, time + steps * model.stepHours);
  };
  return Object.assign(Object.create(model) as ForecastModel, { step, advance });
}

const toy = modelKind('toy')!;
registerModelKind({
  kind: 'toy-blowup-test',
  description: 'the test model, made to blow up at a given time (this test only)',
  inspect: toy.inspect,
  load: async (file, options) => blowingUp(await toy.load(file, options)),
});

test('a member that becomes NaN stops the run naming it; what was recorded before stays finite and complete', async () => {
  const checkpoints = await writeCheckpoints(path.join(tmp, 'ck'), 2);
  const input = smallConfig('run', checkpoints);
  const cfg = validateForecastConfig({ ...input, model: { ...input.model, kind: 'toy-blowup-test' } }, tmp);
  await assert.rejects(runForecast(cfg), (e: Error) => {
    assert.match(e.message, /^init 2024-01-04T12:00Z: member 0 \(checkpoint 0, perturbation 0, control\) is not finite at lead 24 h \('(\w+)' = NaN at grid point 5\): the model blew up/);
    assert.ok(e.message.includes(`'${TOY_CHANNELS[1].name}' = NaN`), e.message);
    return true;
  });
  const manifest = JSON.parse(fs.readFileSync(path.join(cfg.outputDir, 'manifest.json'), 'utf8')) as { units: string[]; finalized?: number[] };
  // every unit of the first init (2 checkpoints × 3 blocks) and none of the second is recorded; its statistics written
  assert.equal(manifest.units.length, 6);
  assert.ok(manifest.units.every((u) => u.startsWith('i0')), manifest.units.join());
  const root = await openZarrStore(path.join(cfg.outputDir, 'store.zarr'));
  for (const name of ['t2m', 't2m_mean', 't2m_variance']) {
    const a = await readZarrArray(await openZarrArray(root, name));
    const perInit = a.data.length / 2;
    let finite = 0;
    for (let i = 0; i < perInit; i++) if (Number.isFinite(a.data[i] as number)) finite++;
    assert.equal(finite, perInit, `${name}: every value of the first init is finite`);
  }
});
