// Tests of the tidy results format: JSON and CSV round trips (NaN, ±Infinity, quoting), the exact CSV text,
// Python's csv module as an independent reader, errors naming the row and field, and atomic writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseCsv,
  readResults,
  resultsFromCsv,
  resultsFromJson,
  resultsToCsv,
  resultsToJson,
  resultRecordSchema,
  validateRecord,
  writeFileAtomic,
  writeResults,
  type ResultRecord,
} from '../../src/report/results.ts';

const records: ResultRecord[] = [
  { metric: 'rmse', variable: 'z500', lead_hours: 24, region: 'global', ensemble: 'sfno-bvmc', value: 123.456789012345 },
  { metric: 'crps', variable: 't2m', lead_hours: 240, region: '70S-70N', ensemble: 'ifs "ens", 50', value: NaN },
  { metric: 'log_score', variable: 't2m', lead_hours: 0, region: 'global', ensemble: 'sfno-bvmc', value: Infinity, threshold: 'p95' },
  { metric: 'rank_histogram', variable: 'u10m', lead_hours: 6.5, region: 'line\nbreak', ensemble: 'physics', value: -0.1 + 0.3, bin: 3 },
  { metric: 'sigma_bin_cases', variable: 'z500', lead_hours: 120, region: 'global', ensemble: 'physics', value: -Infinity, bin_lower: 4, bin_upper: Infinity },
  { metric: 'best_member_rmse', variable: 'ü/ℓ', lead_hours: 48, region: ' padded ', ensemble: 'x', value: 5e-324, size: 7424 },
];

function sameRecords(a: ResultRecord[], b: ResultRecord[]): void {
  assert.equal(a.length, b.length);
  a.forEach((r, i) => {
    assert.deepEqual(Object.keys(b[i]!).sort(), Object.keys(r).sort(), `row ${i + 1} keys`);
    for (const k of Object.keys(r)) {
      const x = r[k]!;
      const y = b[i]![k]!;
      if (typeof x === 'number' && Number.isNaN(x)) assert.ok(Number.isNaN(y), `row ${i + 1} ${k}`);
      else assert.equal(y, x, `row ${i + 1} ${k}`);
    }
  });
}

test('JSON round trip keeps every value bit for bit (NaN as null, ±Infinity as strings)', () => {
  const text = resultsToJson(records);
  sameRecords(resultsFromJson(text), records);
  const raw = JSON.parse(text) as Record<string, unknown>[];
  assert.equal(raw[1]!.value, null);
  assert.equal(raw[2]!.value, 'Infinity');
  assert.equal(raw[4]!.bin_upper, 'Infinity');
  assert.equal(resultsFromJson(text)[4]!.bin_upper, Infinity);
  // Core keys first, extras sorted, one record per line; deterministic regardless of input key order.
  assert.equal(text.split('\n')[1], '  {"metric":"rmse","variable":"z500","lead_hours":24,"region":"global","ensemble":"sfno-bvmc","value":123.456789012345},');
  const shuffled = records.map((r) => Object.fromEntries(Object.entries(r).reverse()) as ResultRecord);
  assert.equal(resultsToJson(shuffled), text);
  assert.equal(resultsToJson([]), '[]\n');
});

test('CSV text: header with sorted extra columns, RFC 4180 quoting, NaN and Infinity spelled out', () => {
  const csv = resultsToCsv(records.slice(0, 4));
  const expected = [
    'metric,variable,lead_hours,region,ensemble,value,bin,threshold',
    'rmse,z500,24,global,sfno-bvmc,123.456789012345,,',
    'crps,t2m,240,70S-70N,"ifs ""ens"", 50",NaN,,',
    'log_score,t2m,0,global,sfno-bvmc,Infinity,,p95',
    'rank_histogram,u10m,6.5,"line\nbreak",physics,0.19999999999999998,3,',
    '',
  ].join('\r\n');
  assert.equal(csv, expected);
});

test('CSV round trip; numeric-looking extra strings come back as numbers (documented)', () => {
  const csv = resultsToCsv(records);
  sameRecords(resultsFromCsv(csv), records);
  assert.equal(resultsToCsv(resultsFromCsv(csv)), csv, 'write(read(write(x))) is byte-identical');
  const r = resultsFromCsv(resultsToCsv([{ ...records[0]!, threshold: '95' }]));
  assert.equal(r[0]!.threshold, 95);
  // LF line ends, a BOM, an empty value cell (NaN) and spaces around numbers are accepted.
  const lf = '\ufeffmetric,variable,lead_hours,region,ensemble,value,size\nrmse,z500, 24 ,global,a,,\ncrps,z500,24,global,a, 1.5e-3 ,50\n';
  const back = resultsFromCsv(lf);
  assert.ok(Number.isNaN(back[0]!.value));
  assert.equal(back[0]!.size, undefined);
  assert.equal(back[1]!.value, 0.0015);
  assert.equal(back[1]!.size, 50);
});

test("Python's csv module reads the same fields (independent RFC 4180 reader)", (t) => {
  const csv = resultsToCsv(records);
  const py = spawnSync('python3', ['-c', 'import csv,sys,json; print(json.dumps(list(csv.reader(sys.stdin.buffer.read().decode("utf-8").splitlines(keepends=True)))))'], { input: csv, encoding: 'utf8' });
  if (py.error) {
    t.skip('python3 is not installed');
    return;
  }
  assert.equal(py.status, 0, py.stderr);
  const rows = JSON.parse(py.stdout) as string[][];
  assert.deepEqual(rows, parseCsv(csv).map((r) => r.fields));
  assert.equal(rows[2]![4], 'ifs "ens", 50');
  assert.equal(rows[4]![3], 'line\nbreak');
  assert.equal(rows[6]![3], ' padded ');
  assert.equal(rows[6]![1], 'ü/ℓ');
});

test('bad records: errors name the row, line and field', () => {
  const header = 'metric,variable,lead_hours,region,ensemble,value\n';
  assert.throws(() => resultsFromCsv(header + 'rmse,z500,abc,global,a,1\n'), /results\.csv row 1 \(line 2\): field 'lead_hours': expected a number \(hours\), got "abc"/);
  assert.throws(() => resultsFromCsv(header + 'rmse,z500,24,global,a,1\nrmse,z500,-6,global,a,1\n'), /row 2 \(line 3\): field 'lead_hours': expected a finite number of hours >= 0, got -6/);
  assert.throws(() => resultsFromCsv(header + 'rmse,z500,24,global,a,oops\n'), /row 1 \(line 2\): field 'value': expected a number \(NaN allowed\), got "oops"/);
  assert.throws(() => resultsFromCsv(header + ',z500,24,global,a,1\n'), /row 1 \(line 2\): field 'metric': expected a non-empty string/);
  assert.throws(() => resultsFromCsv(header + 'rmse,z500,24,global,a\n'), /row 1 \(line 2\): 5 fields, but the header has 6/);
  assert.throws(() => resultsFromCsv('metric,variable,lead_hours,region,value\n'), /header: missing column 'ensemble'/);
  assert.throws(() => resultsFromCsv('metric,variable,lead_hours,region,ensemble,value,value\n'), /column 'value' appears twice/);
  assert.throws(() => resultsFromCsv(header + 'rmse,"z500,24,global,a,1\n'), /line 2: quoted field is not closed/);
  assert.throws(() => resultsFromCsv(header + 'rmse,z"500,24,global,a,1\n'), /line 2: a quote inside an unquoted field/);
  assert.throws(() => resultsFromCsv(''), /empty file/);
  // Multi-line quoted fields: the line number of the next row accounts for them.
  assert.throws(() => resultsFromCsv(header + 'rmse,"z\n500",24,global,a,1\nrmse,z500,x,global,a,1\n'), /row 2 \(line 4\)/);
  assert.throws(() => resultsFromJson('{"metric":1}'), /results\.json: expected a JSON array of result records, got object/);
  assert.throws(() => resultsFromJson('[{"metric":"rmse"'), /results\.json: not valid JSON/);
  assert.throws(() => resultsFromJson('[1]'), /results\.json row 1: expected an object/);
  assert.throws(
    () => resultsFromJson('[{"metric":"rmse","variable":"z500","lead_hours":24,"region":"g","ensemble":"a","value":1},{"metric":"rmse","variable":"z500","lead_hours":24,"region":"g","value":1}]'),
    /results\.json row 2: field 'ensemble': .*got nothing \(missing\)/,
  );
  const base = { metric: 'rmse', variable: 'z500', lead_hours: 24, region: 'g', ensemble: 'a', value: 1 };
  assert.throws(() => validateRecord({ ...base, Bad_Key: 1 }, 'here'), /here: field 'Bad_Key': extra key names must match/);
  assert.throws(() => validateRecord({ ...base, size: NaN }, 'here'), /here: field 'size': extra numeric keys may not be NaN/);
  assert.throws(() => validateRecord({ ...base, size: [1] }, 'here'), /here: field 'size': expected a string or a number, got an array/);
  assert.throws(() => resultsToCsv([{ ...base, lead_hours: NaN }]), /results row 1: field 'lead_hours'/);
});

test('files: atomic replace, no temporary left behind, format from the extension', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myriad-results-'));
  try {
    const json = join(dir, 'results.json');
    const csv = join(dir, 'results.csv');
    writeFileSync(json, 'old');
    writeResults(json, records);
    writeResults(csv, records);
    sameRecords(readResults(json), records);
    sameRecords(readResults(csv), records);
    assert.equal(readFileSync(csv, 'utf8'), resultsToCsv(records));
    assert.deepEqual(readdirSync(dir).sort(), ['results.csv', 'results.json']);
    assert.throws(() => writeResults(join(dir, 'results.txt'), records), /should end in \.json or \.csv/);
    // A failed write (missing directory) leaves the directory as it was.
    assert.throws(() => writeFileAtomic(join(dir, 'missing', 'x.json'), 'x'), /ENOENT/);
    // A bad record is refused before anything is written: the old file stays whole.
    assert.throws(() => writeResults(json, [{ ...records[0]!, metric: '' }]), /field 'metric'/);
    sameRecords(readResults(json), records);
    assert.deepEqual(readdirSync(dir).sort(), ['results.csv', 'results.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fast validation path accepts exactly what the zod schema accepts', () => {
  const base = { metric: 'rmse', variable: 'z500', lead_hours: 24, region: 'g', ensemble: 'a', value: 1 };
  const variants: Record<string, unknown>[] = [
    base,
    { ...base, value: NaN },
    { ...base, value: -Infinity },
    { ...base, value: '1' },
    { ...base, lead_hours: Infinity },
    { ...base, lead_hours: -0 },
    { ...base, lead_hours: -1e-9 },
    { ...base, metric: '' },
    { ...base, region: 3 },
    { ...base, size: 50, threshold: 'p95' },
    { ...base, size: Infinity },
    { ...base, size: NaN },
    { ...base, size: null },
    { ...base, size: undefined },
    { ...base, size: true },
    { ...base, '9lives': 1 },
    { ...base, bin_lower: -4 },
    { ...base, Size: 1 },
  ];
  for (const v of variants) {
    const zodOk = resultRecordSchema.safeParse(v).success;
    let ok = true;
    try {
      validateRecord(v, 'variant');
    } catch {
      ok = false;
    }
    assert.equal(ok, zodOk, `agreement on ${JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x === undefined ? 'undefined' : x))}`);
  }
});
