// The commands end to end through bin/myriad.js: `forecast` refuses a bad config with exit code 2 and a message
// naming the field; a forecast from a config file plus flags; `member --verify` regenerates a stored member bit for
// bit; `export` writes a NetCDF file our reader opens with an ensemble dimension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNetcdf } from '../../src/io/netcdf.ts';
import { smallConfig, writeCheckpoints } from './helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'myriad-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const BIN = new URL('../../bin/myriad.js', import.meta.url).pathname;

function myriad(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('myriad forecast / member / export', { timeout: 120_000 }, async () => {
  const checkpoints = await writeCheckpoints(path.join(tmp, 'ck'), 1);
  const config = path.join(tmp, 'forecast.json');
  fs.writeFileSync(config, JSON.stringify(smallConfig('run', checkpoints.map((f) => path.relative(tmp, f)), { inits: ['2024-01-03T00:00Z'] })));

  const bad = myriad('forecast', config, '--channels', 'z500,w850', '--output', 'never');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /channels\[1\]: unknown channel "w850"; expected one of the model's channels/);
  assert.equal(fs.existsSync(path.join(tmp, 'never')), false);

  const ok = myriad('forecast', config, '--steps', '2', '--every', '1', '--seed', '5');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^complete: 3 units this run, 12 member-steps/m);
  assert.equal(ok.stderr, ''); // no progress output in a pipe

  const member = myriad('member', '--run', 'run', '--member', '3', '--verify');
  assert.equal(member.status, 0, member.stderr);
  assert.match(member.stdout, /member 3 \(c0\/p1\/-\) of init 2024-01-03T00:00Z: 3 leads × 3 channels/);
  assert.match(member.stdout, /verified: bit-identical to the stored member/);

  const out = myriad('export', '--run', 'run', '--out', 'x.nc', '--members', '0-2,5', '--leads', '0,12', '--channels', 't2m');
  assert.equal(out.status, 0, out.stderr);
  const ds = await readNetcdf(path.join(tmp, 'x.nc'), { vars: ['t2m', 'ensemble', 't2m_mean'] });
  assert.deepEqual(ds.vars.t2m.dims, ['time', 'ensemble', 'lat', 'lon']);
  assert.deepEqual(Array.from(ds.vars.ensemble.data as Int32Array), [0, 1, 2, 5]);
  assert.deepEqual(ds.vars.t2m_mean.shape.slice(0, 1), [2]);
});
