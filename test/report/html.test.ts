// Tests of the HTML report: well-formed, self-contained and deterministic; sections present or replaced by a note;
// bundle validation errors; the `myriad report` command; and the page loading in headless Chromium without errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FILE, loadReportInput, parseReportBundle, writeReportBundle, type ReportInput } from '../../src/report/bundle.ts';
import { REPORT_SECTIONS, pickLeads, renderReport } from '../../src/report/html.ts';
import { resultsToCsv, resultsToJson } from '../../src/report/results.ts';
import { allElements, parseXml, xmllint, type XmlElement } from './xml.ts';
import { sampleReportInput } from './sample.ts';

const sample = sampleReportInput();
const CHROMIUM = '/usr/bin/chromium';

function sections(root: XmlElement): Map<string, XmlElement> {
  return new Map(allElements(root).filter((e) => e.name === 'section').map((s) => [s.attrs.id!, s]));
}

function countSvg(e: XmlElement): number {
  return allElements(e).filter((x) => x.name === 'svg').length;
}

test('full report: well-formed, every section with figures, self-contained, unique ids, deterministic', () => {
  const html = renderReport(sample);
  assert.equal(renderReport(sampleReportInput()), html, 'same input, same bytes');
  const root = parseXml(html);
  const lint = xmllint(html);
  if (lint !== undefined) assert.equal(lint, '', `xmllint: ${lint}`);
  assert.equal(root.name, 'html');
  const secs = sections(root);
  assert.deepEqual([...secs.keys()], REPORT_SECTIONS.map(([id]) => id));
  for (const [id, heading] of REPORT_SECTIONS) {
    const s = secs.get(id)!;
    assert.equal(s.children.find((e) => e.name === 'h2')?.text, heading);
    assert.equal(allElements(s).filter((e) => e.attrs.class === 'absent').length, 0, `section ${id} has data`);
    if (id !== 'summary') assert.ok(countSvg(s) > 0, `section ${id} has figures`);
  }
  // The summary table: one row per (variable, region, metric[, threshold]) scalar, one column per ensemble and lead.
  const table = allElements(secs.get('summary')!).find((e) => e.name === 'table')!;
  const bodyRows = allElements(table).find((e) => e.name === 'tbody')!.children;
  assert.equal(bodyRows.length, 4 /* rmse spread ssr crps */ + 2 /* outlier fraction and its expectation */ + 2 /* roc_auc, base_rate at >1.5 */);
  // expected_outlier_fraction is drawn dashed inside the outlier-fraction chart, not as a chart of its own.
  const meanTitles = allElements(secs.get('mean')!).filter((e) => e.name === 'svg').map((svg) => svg.children.find((c) => c.name === 'title')!.text);
  assert.deepEqual(meanTitles.map((t) => t.split(',')[0]), ['RMSE of the ensemble mean', 'ensemble spread', 'spread-skill ratio', 'CRPS', 'outlier fraction']);
  const outlierSvg = allElements(secs.get('mean')!).filter((e) => e.name === 'svg')[4]!;
  const dashed = allElements(outlierSvg).filter((e) => e.attrs.class === 'series' && e.attrs['stroke-dasharray'] === '5 4');
  assert.equal(dashed.length, 2, 'one calibrated-expectation line per ensemble');
  const rmse = bodyRows.find((r) => r.children[2]!.text === 'RMSE of the ensemble mean')!;
  const firstRmse = sample.results.find((r) => r.metric === 'rmse' && r.ensemble === 'physics' && r.lead_hours === 24)!;
  assert.equal(rmse.children[3]!.text, String(Number(firstRmse.value.toPrecision(4))));
  // Rank histograms: 2 ensembles × 4 of the 5 leads; reliability + ROC per shown lead.
  assert.equal(countSvg(secs.get('ranks')!), 8);
  assert.equal(countSvg(secs.get('extremes')!), 4 * 2 + 2 /* event scores against lead: roc_auc, base_rate */);
  // Self-contained: no scripts, no external references; a CSP that forbids loading anything.
  const els = allElements(root);
  assert.equal(els.filter((e) => e.name === 'script' || e.name === 'link' || e.name === 'img' || e.name === 'iframe').length, 0);
  for (const e of els) {
    for (const [k, v] of Object.entries(e.attrs)) {
      if (k === 'xmlns') continue;
      assert.ok(!/^(https?:|\/\/)/.test(v), `external reference ${k}="${v}" in <${e.name}>`);
      if (k === 'href') assert.ok(v.startsWith('#'), `href ${v}`);
    }
  }
  assert.ok(els.some((e) => e.name === 'meta' && e.attrs['http-equiv'] === 'Content-Security-Policy' && e.attrs.content!.includes("default-src 'none'")));
  const ids = els.map((e) => e.attrs.id).filter((x): x is string => x !== undefined);
  assert.equal(new Set(ids).size, ids.length, 'element ids are unique across the page');
});

test('sections without data are replaced by a note, never drawn', () => {
  const only: ReportInput = { results: sample.results.filter((r) => r.metric === 'rmse') };
  const root = parseXml(renderReport(only));
  const secs = sections(root);
  assert.ok(countSvg(secs.get('mean')!) > 0);
  for (const id of ['ranks', 'spectra', 'extremes', 'efi', 'huge']) {
    const s = secs.get(id)!;
    assert.equal(countSvg(s), 0, `no figure in ${id}`);
    assert.equal(allElements(s).filter((e) => e.attrs.class === 'absent').length, 1, `one note in ${id}`);
  }
  const empty = sections(parseXml(renderReport({ results: [] })));
  for (const [id] of REPORT_SECTIONS) assert.equal(countSvg(empty.get(id)!), 0);
  assert.match(allElements(empty.get('summary')!).find((e) => e.attrs.class === 'absent')!.text, /No scalar scores/);
});

test('wide rank histograms are summed into at most maxRankBins groups', () => {
  const members = 99;
  const results = Array.from({ length: members + 1 }, (_, bin) => ({ metric: 'rank_histogram', variable: 'z500', lead_hours: 24, region: 'global', ensemble: 'big', bin, value: bin < 50 ? 1 : 3 }));
  const root = parseXml(renderReport({ results }, { maxRankBins: 10 }));
  const bars = allElements(sections(root).get('ranks')!).find((e) => e.attrs.class === 'bars')!.children;
  assert.equal(bars.length, 10);
  // Groups of 10 ranks: the first five hold 10 counts each, the last five 30: relative 0.05 and 0.15.
  const h = bars.map((b) => Number(b.attrs.height));
  assert.ok(Math.abs(h[9]! / h[0]! - 3) < 0.01);
  assert.deepEqual(pickLeads([24, 48, 72, 96, 120, 144, 168], 4), [24, 72, 120, 168]);
  assert.deepEqual(pickLeads([6, 6, 12], 4), [6, 12]);
});

test('report bundle validation names the field path', () => {
  const good = { format: 'myriad-report-bundle', version: 1, maps: [{ name: 'efi', variable: 't2m', lead_hours: 24, ensemble: 'a', lat: [45, -45], lon: [0, 180], values: [0.1, null, 0.3, 0.4] }] };
  const parsed = parseReportBundle(good);
  assert.ok(Number.isNaN(parsed.maps![0]!.values[1]!));
  assert.throws(() => parseReportBundle({ ...good, maps: [{ ...good.maps[0]!, values: [1, 2, 3] }] }), /report-bundle\.json: maps\[0\]\.values: expected 4 values \(nlat × nlon = 2 × 2\), got 3/);
  assert.throws(() => parseReportBundle({ ...good, maps: [{ ...good.maps[0]!, lon: [180, 0] }] }), /maps\[0\]\.lon\[1\]: longitudes must increase/);
  assert.throws(() => parseReportBundle({ ...good, format: 'other' }), /format: Invalid literal value/);
  assert.throws(() => parseReportBundle({ ...good, colour: 'red' }), /\(top level\): Unrecognized key\(s\) in object: 'colour'/);
  assert.throws(
    () => parseReportBundle({ format: 'myriad-report-bundle', version: 1, spectra: [{ variable: 'z', lead_hours: 0, ensemble: 'a', kind: 'members', wavenumber: [1, 2], power: [1] }] }),
    /spectra\[0\]\.power: expected 2 values \(one per wavenumber\), got 1/,
  );
  assert.throws(() => parseReportBundle({ format: 'myriad-report-bundle', version: 1, results: [{ metric: 'rmse' }] }), /report-bundle\.json results row 1: field 'variable'/);
});

test('loading a results directory: JSON preferred, CSV otherwise, bundle merged; clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myriad-report-'));
  try {
    assert.throws(() => loadReportInput(join(dir, 'nope')), /does not exist/);
    assert.throws(() => loadReportInput(dir), /holds none of results\.json, results\.csv, report-bundle\.json/);
    writeFileSync(join(dir, 'results.csv'), resultsToCsv(sample.results.slice(0, 10)));
    assert.equal(loadReportInput(dir).results.length, 10);
    writeFileSync(join(dir, 'results.json'), resultsToJson(sample.results.slice(0, 7)));
    assert.equal(loadReportInput(dir).results.length, 7);
    writeFileSync(join(dir, BUNDLE_FILE), JSON.stringify({ format: 'myriad-report-bundle', version: 1, title: 'T', results: sample.results.slice(0, 2), spectra: sample.spectra }));
    const input = loadReportInput(dir);
    assert.equal(input.results.length, 9);
    assert.equal(input.title, 'T');
    assert.equal(input.spectra!.length, sample.spectra!.length);
    assert.equal(loadReportInput(join(dir, 'results.csv')).results.length, 10);
    // writeReportBundle → loadReportInput keeps NaN (as null in the file) and renders the same page.
    const only = join(dir, 'only');
    mkdirSync(only);
    writeReportBundle(join(only, BUNDLE_FILE), sample);
    const back = loadReportInput(only);
    assert.ok(Number.isNaN(back.maps![0]!.values[0]!), 'the missing pole row stays missing');
    assert.equal(renderReport(back), renderReport(sample));
    assert.throws(() => writeReportBundle(join(only, 'bad.json'), { maps: [{ ...sample.maps![0]!, values: [1] }] }), /maps\[0\]\.values: expected 2048 values/);
    assert.ok(!existsSync(join(only, 'bad.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Writes the sample as a results directory (results.csv + report-bundle.json with spectra and maps). */
function writeSampleDir(dir: string): void {
  writeFileSync(join(dir, 'results.csv'), resultsToCsv(sample.results));
  writeFileSync(join(dir, BUNDLE_FILE), JSON.stringify({ format: 'myriad-report-bundle', version: 1, title: sample.title, subtitle: sample.subtitle, spectra: sample.spectra, maps: sample.maps }));
}

function runCli(args: string[]) {
  return spawnSync(process.execPath, ['bin/myriad.js', ...args], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });
}

test('myriad report writes the page from a results directory and reports bad input without a stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myriad-report-cli-'));
  try {
    writeSampleDir(dir);
    const out = join(dir, 'report.html');
    const r = runCli(['report', '--results', dir, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*report\.html \(\d+ results/);
    assert.equal(readFileSync(out, 'utf8'), renderReport(loadReportInput(dir)));
    writeFileSync(join(dir, 'results.csv'), 'metric,variable,lead_hours,region,ensemble,value\nrmse,z500,soon,global,a,1\n');
    const bad = runCli(['report', '--results', join(dir, 'results.csv'), '--out', join(dir, 'bad.html')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /myriad report: results\.csv row 1 \(line 2\): field 'lead_hours': expected a number \(hours\), got "soon"/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!existsSync(join(dir, 'bad.html')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Loads a page in headless Chromium; returns the serialised DOM and the console lines Chromium logged. */
function chromiumDump(file: string, profile: string): { dom: string; console: string[]; status: number | null } {
  const r = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--enable-logging=stderr',
      '--v=0',
      '--dump-dom',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return { dom: r.stdout, console: r.stderr.split('\n').filter((l) => /:CONSOLE[(:]/.test(l)), status: r.status };
}

test('the report opens in headless Chromium without console errors; all sections and figures are in the DOM', (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (Debian package chromium, listed in scripts/debian-test-packages.txt)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'myriad-report-browser-'));
  try {
    const html = renderReport(sample);
    const page = join(dir, 'report.html');
    writeFileSync(page, html);
    const res = chromiumDump(page, join(dir, 'profile'));
    assert.equal(res.status, 0);
    assert.deepEqual(res.console, [], 'no console messages');
    const headings = Array.from(res.dom.matchAll(/<h2 id="[a-z]+-h">([^<]*)<\/h2>/g), (m) => m[1]);
    assert.deepEqual(headings, REPORT_SECTIONS.map(([, h]) => h.replace('&', '&amp;')));
    assert.equal((res.dom.match(/<svg /g) ?? []).length, (html.match(/<svg /g) ?? []).length, 'every SVG survives HTML parsing');
    assert.equal((res.dom.match(/<figure>/g) ?? []).length, (html.match(/<figure>/g) ?? []).length);
    // Negative control: the same check does see a blocked external load and a script.
    const bad = join(dir, 'bad.html');
    writeFileSync(bad, html.replace('<main>', '<main><img src="http://example.invalid/x.png" alt="x"/><script>console.error("boom")</script>'));
    const badRes = chromiumDump(bad, join(dir, 'profile'));
    assert.ok(badRes.console.length >= 1, 'a blocked load is reported on the console');
    assert.match(badRes.console.join('\n'), /Content Security Policy/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
