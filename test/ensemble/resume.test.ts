// A forecast killed with SIGKILL at several moments (child processes) and restarted each time ends with a run
// directory byte-identical to an uninterrupted run: no member lost, none duplicated, statistics identical. The same
// run split into shards running at once (one shard killed and restarted) ends with the same store and partials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { smallConfig, writeCheckpoints } from './helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-resume-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const CHILD = new URL('./run-child.ts', import.meta.url).pathname;

function startChild(configFile: string, mode?: string): { done: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configFile, ...(mode ? [mode] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(err);
    resolve(code);
  }));
  return { done, kill: () => child.kill('SIGKILL') };
}

/** Every file under `dir` (relative path → bytes). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function unitsDone(dir: string): number {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { units: string[] }).units.length;
  } catch {
    return -1;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGKILL at several moments, restart, and the run directory is byte-identical to an uninterrupted run', { timeout: 180_000 }, async () => {
  const checkpoints = await writeCheckpoints(path.join(tmp, 'ck'), 2);
  const write = (name: string) => {
    const f = path.join(tmp, `${name}.json`);
    fs.writeFileSync(f, JSON.stringify(smallConfig(name, checkpoints, { ensemble: { perturbations: 2, memberBlock: 2, batchSize: 2 } })));
    return f;
  };
  const refConfig = write('reference');
  const killedConfig = write('killed');
  const refDir = path.join(tmp, 'reference');
  const killedDir = path.join(tmp, 'killed');

  const t0 = performance.now();
  assert.equal(await startChild(refConfig).done, 0);
  const duration = performance.now() - t0;
  const reference = snapshot(refDir);
  const totalUnits = unitsDone(refDir);
  assert.equal(totalUnits, 8);

  // kills: at fixed fractions of the uninterrupted duration (start-up, store creation, mid-unit), then as soon as
  // the manifest reaches given unit counts (just after a unit was recorded, inside the next one or a finalisation)
  // (plus a few milliseconds, to land inside the following unit's work)
  const kills: { at?: number; afterUnits?: number; extraMs?: number }[] = [
    { at: 0.3 }, { afterUnits: 1 }, { afterUnits: 2, extraMs: 40 }, { afterUnits: 4 }, { afterUnits: 6, extraMs: 20 },
  ];
  let interrupted = 0;
  for (const k of kills) {
    const child = startChild(killedConfig);
    let finished = false;
    void child.done.then(() => (finished = true));
    if (k.at !== undefined) await sleep(k.at * duration);
    else while (!finished && unitsDone(killedDir) < k.afterUnits!) await sleep(5);
    if (k.extraMs) await sleep(k.extraMs);
    if (!finished) {
      child.kill();
      interrupted++;
    }
    await child.done;
  }
  assert.ok(interrupted >= 3, `only ${interrupted} of the children were killed before finishing`);
  assert.equal(await startChild(killedConfig).done, 0);

  const resumed = snapshot(killedDir);
  assert.deepEqual([...resumed.keys()].sort(), [...reference.keys()].sort());
  for (const [name, bytes] of reference) assert.ok(bytes.equals(resumed.get(name)!), `${name} differs after resume`);
  assert.ok([...reference.keys()].some((k) => k.startsWith('store.zarr/z500/')));

  // three shards at once; shard 1 is killed once it has recorded a unit, then restarted
  const shardedConfig = write('sharded');
  const shardedDir = path.join(tmp, 'sharded');
  assert.equal(await startChild(shardedConfig, 'prepare').done, 0);
  const shards = [0, 1, 2].map((k) => startChild(shardedConfig, `${k}/3`));
  const shardManifest = path.join(shardedDir, 'manifest.shard-1-of-3.json');
  let shard1Finished = false;
  void shards[1].done.then(() => (shard1Finished = true));
  while (!shard1Finished && !(fs.existsSync(shardManifest) && JSON.parse(fs.readFileSync(shardManifest, 'utf8')).units.length >= 1)) await sleep(5);
  shards[1].kill();
  await shards[1].done;
  assert.equal(await startChild(shardedConfig, '1/3').done, 0);
  assert.equal(await shards[0].done, 0);
  assert.equal(await shards[2].done, 0);
  const sharded = snapshot(shardedDir);
  const data = (m: Map<string, Buffer>) => [...m.keys()].filter((k) => !k.startsWith('manifest')).sort();
  assert.deepEqual(data(sharded), data(reference));
  for (const name of data(reference)) assert.ok(reference.get(name)!.equals(sharded.get(name)!), `${name} differs in the sharded run`);
  const finalizedBy = [0, 1, 2].flatMap((k) => JSON.parse(fs.readFileSync(path.join(shardedDir, `manifest.shard-${k}-of-3.json`), 'utf8')).finalized as number[]);
  assert.deepEqual([...new Set(finalizedBy)].sort(), [0, 1]);
});
