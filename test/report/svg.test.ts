// Tests of the SVG plotting library: tick choice on known ranges, well-formed XML (own checker and xmllint),
// tick labels placed linearly, escaping, determinism, and the specific marks of each chart kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  barChart,
  colorAt,
  formatPowerOfTen,
  formatTick,
  linePlot,
  logTicks,
  mapPlot,
  niceTicks,
  reliabilityDiagram,
  rocPlot,
  spectrumPlot,
  wrapTitle,
} from '../../src/report/svg.ts';
import { allElements, parseXml, xmllint, type XmlElement } from './xml.ts';

function wellFormed(svg: string): XmlElement {
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  const lint = xmllint(svg);
  if (lint !== undefined) assert.equal(lint, '', `xmllint: ${lint}`);
  // Accessible name and description referenced by aria-labelledby.
  const ids = root.attrs['aria-labelledby']!.split(' ');
  const byId = new Map(allElements(root).filter((e) => e.attrs.id).map((e) => [e.attrs.id!, e]));
  assert.equal(byId.get(ids[0]!)?.name, 'title');
  assert.equal(byId.get(ids[1]!)?.name, 'desc');
  assert.equal(root.attrs.role, 'img');
  return root;
}

function texts(root: XmlElement, cls: string): XmlElement[] {
  return allElements(root).filter((e) => e.name === 'text' && e.attrs.class === cls);
}

test('niceTicks chooses 1-2-5 steps and nice domains for known ranges', () => {
  // Expected values worked out by hand: step = nice(range/5), domain widened to multiples of the step.
  assert.deepEqual(niceTicks(0, 1).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 100).ticks, [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(-3.7, 12.1), { min: -5, max: 15, step: 5, ticks: [-5, 0, 5, 10, 15] });
  assert.deepEqual(niceTicks(0.001, 0.0093).ticks, [0, 0.002, 0.004, 0.006, 0.008, 0.01]);
  assert.deepEqual(niceTicks(-1, 1).ticks, [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(niceTicks(0.2, 0.9).ticks, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.deepEqual(niceTicks(240, 0).ticks, [0, 50, 100, 150, 200, 250]); // reversed input
  // Degenerate range: widened by 10% of |value|.
  assert.deepEqual(niceTicks(3, 3), { min: 2.7, max: 3.3, step: 0.1, ticks: [2.7, 2.8, 2.9, 3, 3.1, 3.2, 3.3] });
  // Fixed ends keep the domain and only place ticks inside it.
  const f = niceTicks(-0.93, 0.93, 5, true);
  assert.deepEqual([f.min, f.max], [-0.93, 0.93]);
  assert.deepEqual(f.ticks, [-0.5, 0, 0.5]);
  // No floating-point noise in any tick.
  for (const t of niceTicks(0.1, 0.7).ticks) assert.equal(t, Number(t.toFixed(10)));
});

test('logTicks spans whole decades and adds 2 and 5 on short ranges', () => {
  assert.deepEqual(logTicks(3, 4000), { min: 1, max: 10000, ticks: [1, 10, 100, 1000, 10000], labelled: [1, 10, 100, 1000, 10000] });
  assert.deepEqual(logTicks(1, 63).ticks, [1, 2, 5, 10, 20, 50, 100]);
  assert.deepEqual(logTicks(0.02, 0.3).ticks, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  assert.equal(formatPowerOfTen(-3), '10⁻³');
  assert.equal(formatPowerOfTen(12), '10¹²');
  assert.equal(formatPowerOfTen(2), '100');
});

test('formatTick shows as many decimals as the step needs', () => {
  assert.equal(formatTick(0.30000000000000004, 0.1), '0.3');
  assert.equal(formatTick(0.25, 0.05), '0.25');
  assert.equal(formatTick(2, 0.5), '2.0');
  assert.equal(formatTick(150, 50), '150');
  assert.equal(formatTick(-1e-17, 0.2), '0');
  assert.equal(formatTick(2_500_000, 500_000), '2.5e6');
  assert.equal(formatTick(3e-5, 1e-5), '3e-5');
});

test('line plot: well-formed, tick labels at linear positions, NaN breaks the line, deterministic', () => {
  const opts = {
    title: 'RMSE <z500> & "friends"',
    description: "scores vs lead; it's a test",
    series: [
      { name: 'sfno', x: [1, 2, 3, 4, 5], y: [10, 20, NaN, 40, 50], markers: true },
      { name: 'ifs & co', x: [1, 2, 3, 4, 5], y: [12, 18, 30, 37, 47], band: { lower: [11, 17, 29, 36, 46], upper: [13, 19, 31, 38, 48] } },
    ],
    x: { label: 'lead time (days)' },
    y: { label: 'RMSE', includeZero: true },
    references: [{ y: 25, label: 'reference' }],
  };
  const svg = linePlot(opts);
  assert.equal(linePlot(opts), svg, 'same input, same bytes');
  const root = wellFormed(svg);
  assert.equal(allElements(root).find((e) => e.name === 'title')!.text, 'RMSE <z500> & "friends"');
  // x data 1..5 → ticks 1..5 (step 1); y data 0..50 → 0..50 step 10.
  const xt = texts(root, 'xtick');
  const yt = texts(root, 'ytick');
  assert.deepEqual(xt.map((e) => e.text), ['1', '2', '3', '4', '5']);
  assert.deepEqual(yt.map((e) => e.text), ['0', '10', '20', '30', '40', '50']);
  // Positions are linear in the value: equal spacing, y decreasing upwards.
  const xpos = xt.map((e) => Number(e.attrs.x));
  const ypos = yt.map((e) => Number(e.attrs.y));
  for (let i = 2; i < xpos.length; i++) assert.ok(Math.abs(xpos[i]! - xpos[i - 1]! - (xpos[1]! - xpos[0]!)) < 0.02);
  for (let i = 1; i < ypos.length; i++) assert.ok(ypos[i]! < ypos[i - 1]!);
  for (let i = 2; i < ypos.length; i++) assert.ok(Math.abs(ypos[i]! - ypos[i - 1]! - (ypos[1]! - ypos[0]!)) < 0.02);
  // The NaN splits the first series into two sub-paths; the second is one path.
  const paths = allElements(root).filter((e) => e.name === 'path' && e.attrs.class === 'series');
  assert.equal(paths.length, 2);
  assert.equal(paths[0]!.attrs.d!.match(/M/g)!.length, 2);
  assert.equal(paths[1]!.attrs.d!.match(/M/g)!.length, 1);
  // Markers only for the finite points of the first series (4), a shaded band for the second.
  assert.equal(allElements(root).filter((e) => e.name === 'circle').length, 4 + 1 /* legend marker */);
  assert.ok(allElements(root).some((e) => e.name === 'path' && e.attrs['fill-opacity'] === '0.18'));
  // The legend lists both series and the reference line.
  const legend = allElements(root).find((e) => e.attrs.class === 'legend')!;
  assert.deepEqual(
    legend.children.filter((e) => e.name === 'text').map((e) => e.text),
    ['sfno', 'ifs & co', 'reference'],
  );
});

test('spectrum plot: log-log axes labelled at decades', () => {
  const k = Array.from({ length: 100 }, (_, i) => i + 1);
  const svg = spectrumPlot({ title: 'spectrum', series: [{ name: 'members', x: k, y: k.map((l) => 1e3 * l ** -3) }, { name: 'zero power', x: [1, 2], y: [0, 0] }] });
  const root = wellFormed(svg);
  // x from 1 to 100: two decades, so 2 and 5 are labelled too.
  assert.deepEqual(texts(root, 'xtick').map((e) => e.text), ['1', '2', '5', '10', '20', '50', '100']);
  // y from 1e-3 to 1e3: 6 decades, decades only.
  assert.deepEqual(texts(root, 'ytick').map((e) => e.text), ['10⁻³', '10⁻²', '10⁻¹', '1', '10', '100', '10³']);
  // Decades equally spaced on the log axis.
  const y = texts(root, 'ytick').map((e) => Number(e.attrs.y));
  for (let i = 2; i < y.length; i++) assert.ok(Math.abs(y[i]! - y[i - 1]! - (y[1]! - y[0]!)) < 0.02);
  // A power-law spectrum is a straight line: the path's points are collinear.
  const d = allElements(root).find((e) => e.attrs.class === 'series')!.attrs.d!;
  const pts = d.split(/[ML]/).filter(Boolean).map((p) => p.split(' ').map(Number));
  const slope = (a: number[], b: number[]) => (b[1]! - a[1]!) / (b[0]! - a[0]!);
  assert.ok(Math.abs(slope(pts[0]!, pts[10]!) - slope(pts[50]!, pts[99]!)) < 0.01);
  // Non-positive power cannot be drawn on a log axis: no path for it.
  assert.equal(allElements(root).filter((e) => e.attrs.class === 'series').length, 1);
});

test('bar chart: one bar per finite value, heights proportional, reference line', () => {
  const svg = barChart({
    title: 'rank histogram',
    categories: ['0', '1', '2', '3'],
    series: [{ name: 'a', values: [0.1, 0.2, 0.4, NaN] }],
    reference: { y: 0.25, label: 'flat' },
    yLabel: 'relative frequency',
  });
  const root = wellFormed(svg);
  const bars = allElements(root).find((e) => e.attrs.class === 'bars')!.children;
  assert.equal(bars.length, 3);
  const h = bars.map((b) => Number(b.attrs.height));
  assert.ok(Math.abs(h[1]! / h[0]! - 2) < 0.01 && Math.abs(h[2]! / h[0]! - 4) < 0.02);
  assert.deepEqual(texts(root, 'xtick').map((e) => e.text), ['0', '1', '2', '3']);
  assert.deepEqual(texts(root, 'ytick').map((e) => e.text), ['0', '0.1', '0.2', '0.3', '0.4']);
  // Many categories: labels thinned to at most 12.
  const many = parseXml(barChart({ title: 'wide', categories: Array.from({ length: 101 }, (_, i) => String(i)), series: [{ name: 'a', values: new Float64Array(101).fill(1) }] }));
  assert.ok(texts(many, 'xtick').length <= 12);
});

test('reliability diagram: diagonal from (0,0) to (1,1), points, sharpness inset; ROC legend carries the AUC', () => {
  const svg = reliabilityDiagram({
    title: 'reliability',
    series: [{ name: 'sfno', forecast: [0.05, 0.15, NaN, 0.9], observed: [0.04, 0.2, NaN, 0.85], counts: [100, 30, 0, 5] }],
    climatology: 0.1,
  });
  const root = wellFormed(svg);
  assert.deepEqual(texts(root, 'xtick').map((e) => e.text), ['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  const x0 = Number(texts(root, 'xtick')[0]!.attrs.x);
  const x1 = Number(texts(root, 'xtick')[5]!.attrs.x);
  const diagonal = allElements(root).find((e) => e.name === 'line' && e.attrs['stroke-dasharray'] === '5 4' && Number(e.attrs.x1) === x0 && Number(e.attrs.x2) === x1);
  assert.ok(diagonal, 'diagonal line');
  assert.ok(Number(diagonal.attrs.y1) > Number(diagonal.attrs.y2));
  const inset = allElements(root).find((e) => e.attrs.class === 'inset')!;
  const insetBars = inset.children.filter((e) => e.name === 'rect').slice(1);
  assert.equal(insetBars.length, 4);
  assert.ok(Math.abs(Number(insetBars[0]!.attrs.height) / Number(insetBars[1]!.attrs.height) - 100 / 30) < 0.05);
  assert.equal(allElements(root).filter((e) => e.name === 'circle').length, 3 + 1);

  const roc = parseXml(rocPlot({ title: 'roc', series: [{ name: 'sfno', falseAlarmRate: [1, 0, 0.5], hitRate: [1, 0, 0.9], auc: 0.7 }] }));
  const legend = allElements(roc).find((e) => e.attrs.class === 'legend')!;
  assert.deepEqual(legend.children.filter((e) => e.name === 'text').map((e) => e.text), ['sfno (AUC 0.700)', 'no skill']);
  // Points are drawn in order of false-alarm rate.
  const d = allElements(roc).find((e) => e.attrs.class === 'series')!.attrs.d!;
  const xs = d.split(/[ML]/).filter(Boolean).map((p) => Number(p.split(' ')[0]));
  assert.deepEqual([...xs].sort((a, b) => a - b), xs);
});

test('map: one rect per run of equal colour, NaN grey, colour bar with levels, size mismatch is an error', () => {
  const lat = [60, 20, -20, -60];
  const lon = [0, 90, 180, 270];
  const values = [-1, -1, -1, -1, /* */ 0.95, 0.95, -0.05, 0.05, /* */ NaN, NaN, 0.5, 0.5, /* */ 1, 1, 1, 1];
  const svg = mapPlot({ title: 'EFI', lat, lon, values, min: -1, max: 1, levels: 10, units: 'EFI' });
  const root = wellFormed(svg);
  const cells = allElements(root).find((e) => e.attrs.class === 'cells')!.children;
  // Row 0 one run; row 1 three runs (0.95,0.95 | -0.05 | 0.05); row 2 two runs; row 3 one run.
  assert.equal(cells.length, 1 + 3 + 2 + 1);
  assert.equal(cells[4]!.attrs.fill, '#bdbdbd');
  // Level k of 10 on [-1, 1] is coloured at t = (k + 0.5)/10: -1 → level 0, 1 → level 9 (clamped), 0.05 → level 5.
  assert.equal(cells[0]!.attrs.fill, colorAt('diverging', 0.05));
  assert.equal(cells[6]!.attrs.fill, colorAt('diverging', 0.95));
  assert.equal(cells[3]!.attrs.fill, colorAt('diverging', 0.55));
  assert.equal(cells[2]!.attrs.fill, colorAt('diverging', 0.45));
  const bar = allElements(root).find((e) => e.attrs.class === 'colorbar')!.children;
  assert.equal(bar.length, 10 + 1);
  assert.deepEqual(texts(root, 'ctick').map((e) => e.text), ['-1.0', '-0.5', '0', '0.5', '1.0']);
  assert.deepEqual(texts(root, 'ytick').map((e) => e.text), ['90°S', '60°S', '30°S', '0°', '30°N', '60°N', '90°N']);
  // Cells tile the plot: rows of a 4-row grid between ±80° (edges at the midpoints, ends extended) are 40° tall.
  assert.throws(() => mapPlot({ title: 'bad', lat, lon, values: [1, 2, 3] }), /values has 3 entries, expected nlat × nlon = 4 × 4 = 16/);
});

test('colour maps run from their first to last anchor', () => {
  assert.equal(colorAt('diverging', 0.5), '#f7f7f7');
  assert.equal(colorAt('diverging', 0), '#213f8c');
  assert.equal(colorAt('diverging', 1), '#801426');
  assert.equal(colorAt('sequential', 2), colorAt('sequential', 1)); // clamped
});

test('long titles wrap onto two lines, the second shortened', () => {
  const lines = wrapTitle('RMSE of the best member against ensemble size, t2m, global, lead 10 d', 520);
  assert.equal(lines.length, 2);
  assert.equal(lines.join(' '), 'RMSE of the best member against ensemble size, t2m, global, lead 10 d');
  assert.deepEqual(wrapTitle('short', 520), ['short']);
  const long = wrapTitle('x '.repeat(300), 300);
  assert.equal(long.length, 2);
  assert.ok(long[1]!.endsWith('…'));
});
