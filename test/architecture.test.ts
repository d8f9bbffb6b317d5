// The layering rule of docs/architecture.md: a module under src/<layer>/ imports only from its own layer or from
// layers below it in LAYERS (bottom first). Checked on the real import statements of every source file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const LAYERS = ['engine', 'io', 'sphere', 'scores', 'world', 'models', 'ensemble', 'report', 'cli'];
const src = resolve(new URL('../src', import.meta.url).pathname);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every src layer folder is a known layer', () => {
  const dirs = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory());
  assert.deepEqual(dirs.filter((d) => !LAYERS.includes(d)), []);
});

test('imports point downwards only', () => {
  const violations: string[] = [];
  for (const file of files(src)) {
    const layer = relative(src, file).split(sep)[0];
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]);
      if (!target.startsWith(src + sep)) continue; // bench/, package.json: outside the layered code
      const to = relative(src, target).split(sep)[0];
      if (LAYERS.indexOf(to) > LAYERS.indexOf(layer)) violations.push(`${relative(src, file)} imports ${to}/ (${m[1]})`);
    }
  }
  assert.deepEqual(violations, []);
});
