// Checkpoints: round trip with metadata, torch-harmonics state_dicts load unchanged, and every validation error
// (missing tensor, wrong shape, extra tensor, bad config, bad statistics, not a checkpoint) names the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NamedTensor, loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import { type Checkpoint, CheckpointError, loadCheckpoint, loadTorchWeights, saveCheckpoint } from '../../src/models/checkpoint.ts';
import { initSfnoParameters, resolveSfnoConfig, sfnoConfigFromTorch } from '../../src/models/sfno.ts';

const work = mkdtempSync(join(tmpdir(), 'myriad-ckpt-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const config = resolveSfnoConfig({ imgSize: [8, 16], grid: 'legendre-gauss', inChans: 8, outChans: 4, embedDim: 4, numLayers: 2, scaleFactor: 1, normalization: 'layer_norm', posEmbed: 'lat', bigSkip: true });
const channels = { prognostic: ['u', 'v', 'height', 'tracer'], statics: ['orography', 'land_fraction'], timeFeatures: ['season_sin', 'season_cos'], residual: true, stepHours: 6 };
const normalisation = { channels: ['u', 'v', 'height', 'tracer', 'orography', 'land_fraction'], mean: [1, 0, 100, 0.5, 200, 0.3], std: [2, 1, 10, 0.2, 300, 0.4] };
const ck = (): Checkpoint => ({ config, channels, normalisation, seed: 42, step: 1234, params: initSfnoParameters(config, 42), training: { epoch: 3 } });

function rewrite(src: string, dst: string, edit: (t: Map<string, NamedTensor>, m: Record<string, string>) => void): string {
  const f = loadSafetensors(src);
  edit(f.tensors, f.metadata);
  saveSafetensors(dst, f.tensors, f.metadata);
  return dst;
}

test('a checkpoint round-trips weights and metadata', () => {
  const path = join(work, 'a.safetensors');
  const c = ck();
  saveCheckpoint(path, c);
  const back = loadCheckpoint(path);
  assert.deepEqual(back.config, config);
  assert.deepEqual(back.channels, channels);
  assert.deepEqual(back.normalisation, normalisation);
  assert.equal(back.seed, 42);
  assert.equal(back.step, 1234);
  assert.deepEqual(back.training, { epoch: 3 });
  assert.deepEqual([...back.params.keys()], [...c.params.keys()]);
  for (const [n, v] of c.params) assert.deepEqual(back.params.get(n), v);
  // stored under PyTorch's names with PyTorch's shapes
  const raw = loadSafetensors(path);
  assert.deepEqual(raw.tensors.get('blocks.1.norm1.weight')!.shape, [8, 16]);
  assert.deepEqual(raw.tensors.get('pos_embed')!.shape, [1, 4, 8, 1]);
});

test('a torch-harmonics state_dict saved as safetensors loads unchanged', () => {
  const url = new URL('../fixtures/torch-harmonics/sfno_lg_nomlp_layernorm.safetensors', import.meta.url);
  const cfg = sfnoConfigFromTorch({
    img_size: [24, 48], grid: 'legendre-gauss', num_layers: 3, scale_factor: 1, embed_dim: 12, in_chans: 4, out_chans: 4, use_mlp: false,
    normalization_layer: 'layer_norm', big_skip: false, pos_embed: false, operator_type: 'driscoll-healy', activation_function: 'relu',
  });
  const w = loadTorchWeights(url.pathname, cfg, 'state.');
  const raw = loadSafetensors(url.pathname).tensors;
  assert.equal(w.size, 20);
  assert.deepEqual(w.get('blocks.2.filter.filter.weight'), raw.get('state.blocks.2.filter.filter.weight')!.data);
  // the same file without the prefix has extra tensors (x, y) and no parameters under the bare names
  assert.throws(() => loadTorchWeights(url.pathname, cfg), /tensor 'encoder\.0\.weight' \(shape \[12, 4, 1, 1\]\) is missing/);
  // a different configuration does not fit
  assert.throws(() => loadTorchWeights(url.pathname, { ...cfg, embedDim: 16 }, 'state.'), /'encoder\.0\.weight' has shape \[12, 4, 1, 1\], the configuration needs \[16, 4, 1, 1\]/);
});

test('loading reports what is wrong with a checkpoint', () => {
  const good = join(work, 'good.safetensors');
  saveCheckpoint(good, ck());
  const bad = (name: string, edit: (t: Map<string, NamedTensor>, m: Record<string, string>) => void) => rewrite(good, join(work, name), edit);
  const expectError = (path: string, re: RegExp) => assert.throws(() => loadCheckpoint(path), (e: Error) => e instanceof CheckpointError && re.test(e.message), `expected ${re}`);
  expectError(bad('missing.safetensors', (t) => t.delete('decoder.0.weight')), /tensor 'decoder\.0\.weight' \(shape \[4, 12, 1, 1\]\) is missing/);
  expectError(bad('shape.safetensors', (t) => t.set('encoder.0.weight', { dtype: 'float32', shape: [4, 7, 1, 1], data: new Float32Array(28) })), /'encoder\.0\.weight' has shape \[4, 7, 1, 1\], the configuration needs \[4, 8, 1, 1\]/);
  expectError(bad('extra.safetensors', (t) => t.set('blocks.9.filter.filter.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) })), /'blocks\.9\.filter\.filter\.weight' is not a parameter/);
  expectError(bad('config.safetensors', (_t, m) => (m.config = JSON.stringify({ ...config, normalization: 'group_norm' }))), /bad config.*normalization/);
  expectError(bad('json.safetensors', (_t, m) => (m.config = '{not json')), /metadata 'config' is not valid JSON/);
  expectError(bad('stats.safetensors', (_t, m) => (m.normalisation = JSON.stringify({ ...normalisation, std: [2, 1, 0, 0.2, 300, 0.4] }))), /std of 'height' must be a positive number, got 0/);
  expectError(bad('chan.safetensors', (_t, m) => (m.channels = JSON.stringify({ ...channels, statics: ['orography'] }))), /7 input channels .* config\.inChans = 8/);
  expectError(bad('format.safetensors', (_t, m) => delete m.format), /not a myriad SFNO checkpoint/);
  expectError(bad('seed.safetensors', (_t, m) => (m.seed = '-1')), /seed = "-1"/);
  const empty = join(work, 'empty.safetensors');
  writeFileSync(empty, new Uint8Array(0));
  expectError(empty, /empty\.safetensors/);
  assert.throws(() => saveCheckpoint(join(work, 'x.safetensors'), { ...ck(), params: new Map() }), /parameter 'pos_embed' is missing/);
});
