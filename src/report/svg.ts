// A small SVG plotting library for the verification report: line plots, bar charts, log-log spectra, reliability
// diagrams, ROC curves, lat-lon maps with a colour bar. Output is deterministic text (same input → same bytes).

/** Okabe–Ito colour-blind-safe palette (series colours in order). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const CHAR_W = 6.6; // estimated width of a 12 px character, for layout

// ---------------------------------------------------------------------------------------------------------------
// Text and numbers

/** Escapes text for XML character data and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Coordinate formatting: at most 2 decimals, no trailing zeros, never "-0". */
export function fmt(x: number): string {
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) || r === 0 ? '0' : String(r);
}

/** FNV-1a 32-bit hash as 8 hex digits (deterministic element ids). */
export function hashText(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
};

/** Formats a tick value given the tick step (enough decimals to tell ticks apart; exponent form for extremes). */
export function formatTick(v: number, step: number): string {
  if (v === 0 || Math.abs(v) < Math.abs(step) * 1e-9) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || step < 1e-4) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    const ms = Number(m.toFixed(Math.max(0, Math.min(6, -Math.floor(Math.log10(step / 10 ** e) + 1e-9)))));
    return `${ms}e${e}`;
  }
  let dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  while (dec < 10 && Math.abs(Number(step.toFixed(dec)) - step) > step * 1e-9) dec++;
  const s = v.toFixed(dec);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

/** Formats a power of ten as 10 with a superscript exponent (1, 10 and 100 are written plainly). */
export function formatPowerOfTen(e: number): string {
  if (e >= 0 && e <= 2) return String(10 ** e);
  return '10' + String(e).split('').map((c) => SUPERSCRIPT[c]!).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Ticks and scales

/** Nice axis: domain expanded to multiples of a 1-2-5 step and the ticks in it. */
export interface NiceAxis {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** The 1-2-5 × 10^k step nearest above range/target (thresholds 1.5, 3, 7 on the mantissa). */
export function niceStep(range: number, target = 5): number {
  if (!(range > 0) || !Number.isFinite(range)) return 1;
  const rough = range / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(rough));
  const r = rough / mag;
  const m = r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10;
  return m * mag;
}

function roundToStep(x: number, step: number): number {
  const dec = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(x.toFixed(Math.min(20, dec)));
}

/**
 * Nice linear axis for data in [lo, hi]: step from `niceStep`, domain [floor(lo/step)·step, ceil(hi/step)·step]
 * unless `fixed` keeps lo and hi exactly, ticks at every multiple of step inside the domain. A degenerate range
 * (lo == hi) is widened by ±1 (or ±10% of |lo|).
 */
export function niceTicks(lo: number, hi: number, target = 5, fixed = false): NiceAxis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  const min = fixed ? lo : roundToStep(Math.floor(lo / step + 1e-9) * step, step);
  const max = fixed ? hi : roundToStep(Math.ceil(hi / step - 1e-9) * step, step);
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let k = first; k <= last; k++) ticks.push(roundToStep(k * step, step) + 0);
  return { min, max, step, ticks };
}

/** Log axis: domain expanded to whole decades; ticks at decades, plus 2× and 5× when it spans fewer than 3 decades. */
export function logTicks(lo: number, hi: number): { min: number; max: number; ticks: number[]; labelled: number[] } {
  if (!(lo > 0) || !Number.isFinite(lo)) lo = hi > 0 && Number.isFinite(hi) ? hi / 10 : 1;
  if (!(hi > 0) || !Number.isFinite(hi)) hi = lo * 10;
  if (hi < lo) [lo, hi] = [hi, lo];
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 === e0) e1 = e0 + 1;
  const decades = e1 - e0;
  const ticks: number[] = [];
  const labelled: number[] = [];
  const every = Math.max(1, Math.ceil(decades / 8));
  for (let e = e0; e <= e1; e++) {
    const d = Number((10 ** e).toPrecision(12));
    ticks.push(d);
    if ((e - e0) % every === 0) labelled.push(d);
    if (decades < 3 && e < e1) {
      for (const m of [2, 5]) {
        const v = Number((m * 10 ** e).toPrecision(12));
        ticks.push(v);
        labelled.push(v);
      }
    }
  }
  ticks.sort((a, b) => a - b);
  labelled.sort((a, b) => a - b);
  return { min: Number((10 ** e0).toPrecision(12)), max: Number((10 ** e1).toPrecision(12)), ticks, labelled };
}

/** A mapping from data values to pixels along one axis. */
export interface Scale {
  (v: number): number;
  kind: 'linear' | 'log';
  domain: [number, number];
  ticks: number[];
  labelled: number[];
  label: (v: number) => string;
}

function makeScale(kind: 'linear' | 'log', d0: number, d1: number, p0: number, p1: number, ticks: number[], labelled: number[], label: (v: number) => string): Scale {
  const f =
    kind === 'log'
      ? (v: number) => p0 + ((Math.log10(v) - Math.log10(d0)) / (Math.log10(d1) - Math.log10(d0))) * (p1 - p0)
      : (v: number) => p0 + ((v - d0) / (d1 - d0)) * (p1 - p0);
  return Object.assign(f, { kind, domain: [d0, d1] as [number, number], ticks, labelled, label });
}

/** Axis settings of a chart. */
export interface AxisOptions {
  label?: string;
  scale?: 'linear' | 'log';
  /** Fixed domain ends (otherwise from the data, expanded to nice ticks). */
  min?: number;
  max?: number;
  /** Include zero in an automatic linear domain. */
  includeZero?: boolean;
  /** Target number of ticks (linear). */
  tickCount?: number;
}

function buildScale(axis: AxisOptions, values: number[], p0: number, p1: number): Scale {
  const kind = axis.scale ?? 'linear';
  const finite = values.filter((v) => Number.isFinite(v) && (kind === 'linear' || v > 0));
  let dataMin = Infinity;
  let dataMax = -Infinity;
  for (const v of finite) {
    if (v < dataMin) dataMin = v;
    if (v > dataMax) dataMax = v;
  }
  let lo = axis.min ?? (finite.length ? dataMin : kind === 'log' ? 1 : 0);
  let hi = axis.max ?? (finite.length ? dataMax : kind === 'log' ? 10 : 1);
  if (kind === 'log') {
    const lt = logTicks(lo, hi);
    const d0 = axis.min ?? lt.min;
    const d1 = axis.max ?? lt.max;
    const inside = (v: number) => v >= d0 * (1 - 1e-9) && v <= d1 * (1 + 1e-9);
    return makeScale('log', d0, d1, p0, p1, lt.ticks.filter(inside), lt.labelled.filter(inside), (v) => {
      const e = Math.log10(v);
      return Math.abs(e - Math.round(e)) < 1e-9 ? formatPowerOfTen(Math.round(e)) : String(Number(v.toPrecision(6)));
    });
  }
  if (axis.includeZero && axis.min === undefined) lo = Math.min(lo, 0);
  if (axis.includeZero && axis.max === undefined) hi = Math.max(hi, 0);
  const fixed = axis.min !== undefined && axis.max !== undefined;
  const nt = niceTicks(lo, hi, axis.tickCount ?? 5, fixed);
  const d0 = axis.min ?? nt.min;
  const d1 = axis.max ?? nt.max;
  const ticks = nt.ticks.filter((v) => v >= d0 - nt.step * 1e-9 && v <= d1 + nt.step * 1e-9);
  return makeScale('linear', d0, d1, p0, p1, ticks, ticks, (v) => formatTick(v, nt.step));
}

// ---------------------------------------------------------------------------------------------------------------
// Document frame

/** Common chart options. */
export interface ChartFrame {
  /** Chart title, shown on top and as the SVG <title>. */
  title: string;
  /** Longer text description for screen readers (SVG <desc>). */
  description?: string;
  width?: number;
  height?: number;
  /** Element id prefix (must be unique within an HTML page); default derived from title and description. */
  id?: string;
}

function chartId(frame: ChartFrame): string {
  return frame.id ?? 'c' + hashText(frame.title + '\u0000' + (frame.description ?? ''));
}

/** Splits a title into at most two lines that fit `width` (14 px bold text); the second is shortened with … if needed. */
export function wrapTitle(title: string, width: number): string[] {
  const maxChars = Math.max(10, Math.floor((width - 16) / (CHAR_W * 1.2)));
  if (title.length <= maxChars) return [title];
  const words = title.split(' ');
  let first = '';
  let i = 0;
  while (i < words.length && (first ? first.length + 1 : 0) + words[i]!.length <= maxChars) first += (first ? ' ' : '') + words[i++];
  if (!first) {
    first = title.slice(0, maxChars);
    words.splice(0, words.length, title.slice(maxChars));
    i = 0;
  }
  let second = words.slice(i).join(' ');
  if (second.length > maxChars) second = second.slice(0, maxChars - 1) + '…';
  return second ? [first, second] : [first];
}

/** Extra top margin taken by a wrapped title. */
function titleExtra(frame: ChartFrame, width: number): number {
  return (wrapTitle(frame.title, width).length - 1) * 17;
}

function openSvg(frame: ChartFrame, width: number, height: number): string[] {
  const id = chartId(frame);
  const desc = frame.description ?? frame.title;
  const lines = wrapTitle(frame.title, width);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" ${FONT} font-size="12">`,
    `<title id="${id}-title">${escapeXml(frame.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(desc)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...lines.map((line, i) => `<text class="chart-title" x="${fmt(width / 2)}" y="${20 + 17 * i}" text-anchor="middle" font-size="14" font-weight="600" aria-hidden="true">${escapeXml(line)}</text>`),
  ];
}

interface PlotArea {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Axes, grid lines, tick labels and axis labels. */
function drawAxes(out: string[], area: PlotArea, xs: Scale, ys: Scale, xLabel?: string, yLabel?: string): void {
  const { left, top, right, bottom } = area;
  out.push('<g class="grid" stroke="#e3e3e3" stroke-width="1">');
  for (const t of xs.ticks) out.push(`<line x1="${fmt(xs(t))}" y1="${fmt(top)}" x2="${fmt(xs(t))}" y2="${fmt(bottom)}"/>`);
  for (const t of ys.ticks) out.push(`<line x1="${fmt(left)}" y1="${fmt(ys(t))}" x2="${fmt(right)}" y2="${fmt(ys(t))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${fmt(left)}" y="${fmt(top)}" width="${fmt(right - left)}" height="${fmt(bottom - top)}" fill="none" stroke="#555555"/>`);
  out.push('<g class="ticks" fill="#222222">');
  for (const t of xs.labelled) {
    out.push(`<line x1="${fmt(xs(t))}" y1="${fmt(bottom)}" x2="${fmt(xs(t))}" y2="${fmt(bottom + 4)}" stroke="#555555"/>`);
    out.push(`<text class="xtick" x="${fmt(xs(t))}" y="${fmt(bottom + 16)}" text-anchor="middle">${escapeXml(xs.label(t))}</text>`);
  }
  for (const t of ys.labelled) {
    out.push(`<line x1="${fmt(left - 4)}" y1="${fmt(ys(t))}" x2="${fmt(left)}" y2="${fmt(ys(t))}" stroke="#555555"/>`);
    out.push(`<text class="ytick" x="${fmt(left - 7)}" y="${fmt(ys(t) + 4)}" text-anchor="end">${escapeXml(ys.label(t))}</text>`);
  }
  out.push('</g>');
  if (xLabel) out.push(`<text x="${fmt((left + right) / 2)}" y="${fmt(bottom + 36)}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  if (yLabel) {
    const cy = (top + bottom) / 2;
    out.push(`<text x="16" y="${fmt(cy)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(cy)})">${escapeXml(yLabel)}</text>`);
  }
}

interface LegendEntry {
  label: string;
  color: string;
  dash?: string;
  kind: 'line' | 'box';
  marker?: boolean;
}

const LEGEND_MAX_W = 230;
const LEGEND_MAX_CHARS = Math.floor((LEGEND_MAX_W - 34) / CHAR_W);

function legendWidth(entries: LegendEntry[]): number {
  if (entries.length === 0) return 0;
  return Math.min(LEGEND_MAX_W, 34 + CHAR_W * Math.max(...entries.map((e) => e.label.length)));
}

function legendText(label: string): string {
  return label.length > LEGEND_MAX_CHARS ? label.slice(0, LEGEND_MAX_CHARS - 1) + '…' : label;
}

function drawLegend(out: string[], entries: LegendEntry[], x: number, y: number): void {
  if (entries.length === 0) return;
  out.push(`<g class="legend">`);
  entries.forEach((e, i) => {
    const cy = y + 8 + i * 18;
    if (e.kind === 'box') {
      out.push(`<rect x="${fmt(x)}" y="${fmt(cy - 5)}" width="20" height="10" fill="${e.color}"/>`);
    } else {
      out.push(`<line x1="${fmt(x)}" y1="${fmt(cy)}" x2="${fmt(x + 20)}" y2="${fmt(cy)}" stroke="${e.color}" stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>`);
      if (e.marker) out.push(`<circle cx="${fmt(x + 10)}" cy="${fmt(cy)}" r="3" fill="${e.color}"/>`);
    }
    out.push(`<text x="${fmt(x + 26)}" y="${fmt(cy + 4)}">${escapeXml(legendText(e.label))}</text>`);
  });
  out.push('</g>');
}

function clipDef(out: string[], id: string, area: PlotArea): void {
  // Padded by the marker radius so that points on the frame are drawn whole.
  const pad = 4;
  out.push(`<defs><clipPath id="${id}-clip"><rect x="${fmt(area.left - pad)}" y="${fmt(area.top - pad)}" width="${fmt(area.right - area.left + 2 * pad)}" height="${fmt(area.bottom - area.top + 2 * pad)}"/></clipPath></defs>`);
}

/** Polyline path through (x, y), broken at points that are not finite (or not positive on a log axis). */
function pathData(x: ArrayLike<number>, y: ArrayLike<number>, xs: Scale, ys: Scale): string {
  const parts: string[] = [];
  let pen = false;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xv = x[i]!;
    const yv = y[i]!;
    const ok = Number.isFinite(xv) && Number.isFinite(yv) && (xs.kind === 'linear' || xv > 0) && (ys.kind === 'linear' || yv > 0);
    if (!ok) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${fmt(xs(xv))} ${fmt(ys(yv))}`);
    pen = true;
  }
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Line plots (scores vs lead, spectra, ensemble-size curves)

/** One line series. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  /** SVG stroke-dasharray, e.g. '6 3'. */
  dash?: string;
  /** Draw a dot at each point. */
  markers?: boolean;
  /** Shaded band (e.g. a confidence interval) from lower to upper at each x. */
  band?: { lower: ArrayLike<number>; upper: ArrayLike<number> };
}

/** A straight reference line drawn behind the series. */
export interface ReferenceLine {
  /** Horizontal line at y, or vertical at x, or a segment between two data points. */
  y?: number;
  x?: number;
  from?: [number, number];
  to?: [number, number];
  label?: string;
  color?: string;
  dash?: string;
}

export interface LinePlotOptions extends ChartFrame {
  series: LineSeries[];
  x?: AxisOptions;
  y?: AxisOptions;
  references?: ReferenceLine[];
  /** Draw a legend (default: when there is more than one series or any named reference). */
  legend?: boolean;
}

/** Line plot with several series, optional bands and reference lines, and a legend on the right. */
export function linePlot(o: LinePlotOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 380;
  const colored = o.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]! }));
  const entries: LegendEntry[] = colored.map((s) => ({ label: s.name, color: s.color, dash: s.dash, kind: 'line', marker: s.markers }));
  for (const r of o.references ?? []) if (r.label) entries.push({ label: r.label, color: r.color ?? '#777777', dash: r.dash ?? '5 4', kind: 'line' });
  const showLegend = o.legend ?? entries.length > 1;
  const lw = showLegend ? legendWidth(entries) + 12 : 0;
  const area: PlotArea = { left: 68, top: 34 + titleExtra(o, width), right: width - 16 - lw, bottom: height - 48 };
  const xv: number[] = [];
  const yv: number[] = [];
  for (const s of colored) {
    for (let i = 0; i < s.x.length; i++) xv.push(s.x[i]!);
    for (let i = 0; i < s.y.length; i++) yv.push(s.y[i]!);
    if (s.band) for (let i = 0; i < s.band.lower.length; i++) yv.push(s.band.lower[i]!, s.band.upper[i]!);
  }
  for (const r of o.references ?? []) {
    if (r.y !== undefined) yv.push(r.y);
    if (r.x !== undefined) xv.push(r.x);
  }
  const xs = buildScale(o.x ?? {}, xv, area.left, area.right);
  const ys = buildScale(o.y ?? {}, yv, area.bottom, area.top);
  const id = chartId(o);
  const out = openSvg(o, width, height);
  clipDef(out, id, area);
  drawAxes(out, area, xs, ys, o.x?.label, o.y?.label);
  out.push(`<g clip-path="url(#${id}-clip)">`);
  for (const r of o.references ?? []) {
    const stroke = `stroke="${r.color ?? '#777777'}" stroke-width="1.2" stroke-dasharray="${r.dash ?? '5 4'}"`;
    if (r.y !== undefined) out.push(`<line x1="${fmt(area.left)}" y1="${fmt(ys(r.y))}" x2="${fmt(area.right)}" y2="${fmt(ys(r.y))}" ${stroke}/>`);
    if (r.x !== undefined) out.push(`<line x1="${fmt(xs(r.x))}" y1="${fmt(area.top)}" x2="${fmt(xs(r.x))}" y2="${fmt(area.bottom)}" ${stroke}/>`);
    if (r.from && r.to) out.push(`<line x1="${fmt(xs(r.from[0]))}" y1="${fmt(ys(r.from[1]))}" x2="${fmt(xs(r.to[0]))}" y2="${fmt(ys(r.to[1]))}" ${stroke}/>`);
  }
  for (const s of colored) {
    if (!s.band) continue;
    const n = Math.min(s.x.length, s.band.lower.length, s.band.upper.length);
    const pts: string[] = [];
    const back: string[] = [];
    for (let i = 0; i < n; i++) {
      const x = s.x[i]!;
      const lo = s.band.lower[i]!;
      const hi = s.band.upper[i]!;
      if (![x, lo, hi].every(Number.isFinite) || (xs.kind === 'log' && x <= 0) || (ys.kind === 'log' && (lo <= 0 || hi <= 0))) continue;
      pts.push(`${fmt(xs(x))} ${fmt(ys(hi))}`);
      back.unshift(`${fmt(xs(x))} ${fmt(ys(lo))}`);
    }
    if (pts.length > 1) out.push(`<path d="M${[...pts, ...back].join('L')}Z" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
  }
  for (const s of colored) {
    const d = pathData(s.x, s.y, xs, ys);
    if (d) out.push(`<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} stroke-linejoin="round"><title>${escapeXml(s.name)}</title></path>`);
    if (s.markers) {
      for (let i = 0; i < Math.min(s.x.length, s.y.length); i++) {
        const x = s.x[i]!;
        const y = s.y[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(y) || (xs.kind === 'log' && x <= 0) || (ys.kind === 'log' && y <= 0)) continue;
        out.push(`<circle cx="${fmt(xs(x))}" cy="${fmt(ys(y))}" r="3" fill="${s.color}"/>`);
      }
    }
  }
  out.push('</g>');
  if (showLegend) drawLegend(out, entries, area.right + 14, area.top);
  out.push('</svg>');
  return out.join('\n');
}

/** Log-log plot of power spectra against wavenumber. */
export function spectrumPlot(o: Omit<LinePlotOptions, 'x' | 'y'> & { xLabel?: string; yLabel?: string }): string {
  return linePlot({ ...o, x: { scale: 'log', label: o.xLabel ?? 'wavenumber' }, y: { scale: 'log', label: o.yLabel ?? 'power' } });
}

// ---------------------------------------------------------------------------------------------------------------
// Bar charts and histograms

export interface BarSeries {
  name: string;
  values: ArrayLike<number>;
  color?: string;
}

export interface BarChartOptions extends ChartFrame {
  /** Category labels (one bar group per category). */
  categories: string[];
  series: BarSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Horizontal reference line (e.g. the flat histogram of a calibrated ensemble). */
  reference?: { y: number; label?: string };
  /** Label at most this many categories (evenly spaced; default 12). */
  maxCategoryLabels?: number;
}

/** Grouped bar chart (rank histograms, σ-bin histograms); y starts at zero. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 340;
  const colored = o.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]! }));
  const entries: LegendEntry[] = colored.map((s) => ({ label: s.name, color: s.color, kind: 'box' }));
  if (o.reference?.label) entries.push({ label: o.reference.label, color: '#444444', dash: '5 4', kind: 'line' });
  const showLegend = entries.length > 1;
  const lw = showLegend ? legendWidth(entries) + 12 : 0;
  const area: PlotArea = { left: 68, top: 34 + titleExtra(o, width), right: width - 16 - lw, bottom: height - 48 };
  const yv: number[] = [0];
  for (const s of colored) for (let i = 0; i < s.values.length; i++) yv.push(s.values[i]!);
  if (o.reference) yv.push(o.reference.y);
  const ys = buildScale({ includeZero: true }, yv, area.bottom, area.top);
  const k = o.categories.length;
  const band = (area.right - area.left) / Math.max(1, k);
  const out = openSvg(o, width, height);
  // x "scale" is categorical: draw the frame with y grid only.
  const noX = Object.assign((v: number) => v, { kind: 'linear' as const, domain: [0, 1] as [number, number], ticks: [] as number[], labelled: [] as number[], label: String });
  drawAxes(out, area, noX, ys, undefined, o.yLabel);
  const every = Math.max(1, Math.ceil(k / (o.maxCategoryLabels ?? 12)));
  out.push('<g class="categories" fill="#222222">');
  for (let c = 0; c < k; c += every) {
    const cx = area.left + (c + 0.5) * band;
    out.push(`<text class="xtick" x="${fmt(cx)}" y="${fmt(area.bottom + 16)}" text-anchor="middle">${escapeXml(o.categories[c]!)}</text>`);
  }
  out.push('</g>');
  if (o.xLabel) out.push(`<text x="${fmt((area.left + area.right) / 2)}" y="${fmt(area.bottom + 36)}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  const inner = band * 0.84;
  const bw = inner / Math.max(1, colored.length);
  out.push(`<g class="bars" stroke="none">`);
  colored.forEach((s, j) => {
    for (let c = 0; c < k; c++) {
      const v = s.values[c];
      if (v === undefined || !Number.isFinite(v)) continue;
      const x = area.left + c * band + (band - inner) / 2 + j * bw;
      const y0 = ys(0);
      const y1 = ys(v);
      out.push(`<rect x="${fmt(x)}" y="${fmt(Math.min(y0, y1))}" width="${fmt(Math.max(0.5, bw - (colored.length > 1 ? 1 : 0)))}" height="${fmt(Math.abs(y0 - y1))}" fill="${s.color}"><title>${escapeXml(`${s.name} ${o.categories[c]}: ${v}`)}</title></rect>`);
    }
  });
  out.push('</g>');
  if (o.reference) {
    out.push(`<line x1="${fmt(area.left)}" y1="${fmt(ys(o.reference.y))}" x2="${fmt(area.right)}" y2="${fmt(ys(o.reference.y))}" stroke="#444444" stroke-width="1.2" stroke-dasharray="5 4"/>`);
  }
  if (showLegend) drawLegend(out, entries, area.right + 14, area.top);
  out.push('</svg>');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Reliability diagrams and ROC curves

export interface ReliabilitySeries {
  name: string;
  /** Mean forecast probability per bin (NaN for empty bins). */
  forecast: ArrayLike<number>;
  /** Observed relative frequency per bin (NaN for empty bins). */
  observed: ArrayLike<number>;
  /** Number of forecasts per bin (the sharpness histogram, drawn as an inset). */
  counts?: ArrayLike<number>;
  color?: string;
}

export interface ReliabilityOptions extends ChartFrame {
  series: ReliabilitySeries[];
  /** Observed base rate, drawn as a horizontal line. */
  climatology?: number;
}

/**
 * The frame shared by charts on the unit square (reliability, ROC): a square plot as wide as the legend leaves room
 * for (the height follows unless given), [0, 1] axes, a clip path and the dashed diagonal.
 */
function unitSquareChart(o: ChartFrame, width: number, entries: LegendEntry[], xLabel: string, yLabel: string) {
  const lw = legendWidth(entries) + 12;
  const te = titleExtra(o, width);
  const plotSize = Math.min(width - 84 - lw, o.height !== undefined ? o.height - 82 - te : Infinity);
  const height = o.height ?? Math.round(plotSize + 82 + te);
  const area: PlotArea = { left: 68, top: 34 + te, right: 68 + plotSize, bottom: 34 + te + plotSize };
  const xs = buildScale({ min: 0, max: 1, tickCount: 5 }, [], area.left, area.right);
  const ys = buildScale({ min: 0, max: 1, tickCount: 5 }, [], area.bottom, area.top);
  const id = chartId(o);
  const out = openSvg(o, width, height);
  clipDef(out, id, area);
  drawAxes(out, area, xs, ys, xLabel, yLabel);
  out.push(`<line x1="${fmt(xs(0))}" y1="${fmt(ys(0))}" x2="${fmt(xs(1))}" y2="${fmt(ys(1))}" stroke="#777777" stroke-dasharray="5 4"/>`);
  return { out, area, xs, ys, id, plotSize };
}

/** Reliability diagram: observed frequency against forecast probability, the diagonal, and a sharpness inset. */
export function reliabilityDiagram(o: ReliabilityOptions): string {
  const width = o.width ?? 560;
  const colored = o.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]! }));
  const entries: LegendEntry[] = colored.map((s) => ({ label: s.name, color: s.color, kind: 'line', marker: true }));
  entries.push({ label: 'perfect reliability', color: '#777777', dash: '5 4', kind: 'line' });
  if (o.climatology !== undefined) entries.push({ label: 'climatology', color: '#AAAAAA', dash: '2 3', kind: 'line' });
  const { out, area, xs, ys, id, plotSize } = unitSquareChart(o, width, entries, 'forecast probability', 'observed frequency');
  if (o.climatology !== undefined && Number.isFinite(o.climatology)) {
    out.push(`<line x1="${fmt(area.left)}" y1="${fmt(ys(o.climatology))}" x2="${fmt(area.right)}" y2="${fmt(ys(o.climatology))}" stroke="#AAAAAA" stroke-dasharray="2 3"/>`);
  }
  // Sharpness inset: relative counts per bin, in the upper left corner (away from the curve of an under-dispersive
  // or reliable ensemble, which runs along or below the diagonal).
  const withCounts = colored.filter((s) => s.counts && s.counts.length > 0);
  if (withCounts.length) {
    const iw = plotSize * 0.38;
    const ih = plotSize * 0.24;
    const ix = area.left + 6;
    const iy = area.top + 6;
    const nb = Math.max(...withCounts.map((s) => s.counts!.length));
    out.push(`<g class="inset"><rect x="${fmt(ix)}" y="${fmt(iy)}" width="${fmt(iw)}" height="${fmt(ih)}" fill="#ffffff" stroke="#999999"/>`);
    out.push(`<text x="${fmt(ix + 4)}" y="${fmt(iy + 11)}" font-size="9" fill="#444444">forecasts per bin (share)</text>`);
    const bw = (iw - 8) / nb / withCounts.length;
    withCounts.forEach((s, j) => {
      const c = Array.from(s.counts!);
      const total = c.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
      for (let b = 0; b < c.length; b++) {
        const share = total > 0 && Number.isFinite(c[b]!) ? c[b]! / total : 0;
        const h = share * (ih - 16);
        out.push(`<rect x="${fmt(ix + 4 + (b * withCounts.length + j) * bw)}" y="${fmt(iy + ih - 2 - h)}" width="${fmt(Math.max(0.5, bw - 0.5))}" height="${fmt(h)}" fill="${s.color}"/>`);
      }
    });
    out.push('</g>');
  }
  out.push(`<g clip-path="url(#${id}-clip)">`);
  for (const s of colored) {
    const d = pathData(s.forecast, s.observed, xs, ys);
    if (d) out.push(`<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"><title>${escapeXml(s.name)}</title></path>`);
    for (let i = 0; i < Math.min(s.forecast.length, s.observed.length); i++) {
      if (Number.isFinite(s.forecast[i]!) && Number.isFinite(s.observed[i]!)) out.push(`<circle cx="${fmt(xs(s.forecast[i]!))}" cy="${fmt(ys(s.observed[i]!))}" r="3" fill="${s.color}"/>`);
    }
  }
  out.push('</g>');
  drawLegend(out, entries, area.right + 14, area.top);
  out.push('</svg>');
  return out.join('\n');
}

export interface RocSeries {
  name: string;
  falseAlarmRate: ArrayLike<number>;
  hitRate: ArrayLike<number>;
  /** Area under the curve, shown in the legend. */
  auc?: number;
  color?: string;
}

/** ROC curves (hit rate against false-alarm rate) with the no-skill diagonal; AUC in the legend. */
export function rocPlot(o: ChartFrame & { series: RocSeries[] }): string {
  const width = o.width ?? 560;
  const colored = o.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]! }));
  const entries: LegendEntry[] = colored.map((s) => ({
    label: s.auc !== undefined && Number.isFinite(s.auc) ? `${s.name} (AUC ${s.auc.toFixed(3)})` : s.name,
    color: s.color,
    kind: 'line',
  }));
  entries.push({ label: 'no skill', color: '#777777', dash: '5 4', kind: 'line' });
  const { out, area, xs, ys, id } = unitSquareChart(o, width, entries, 'false-alarm rate', 'hit rate');
  out.push(`<g clip-path="url(#${id}-clip)">`);
  for (const s of colored) {
    // Sort points by FAR (then HR) so the curve runs left to right.
    const idx = Array.from({ length: Math.min(s.falseAlarmRate.length, s.hitRate.length) }, (_, i) => i).sort(
      (a, b) => s.falseAlarmRate[a]! - s.falseAlarmRate[b]! || s.hitRate[a]! - s.hitRate[b]! || a - b,
    );
    const d = pathData(idx.map((i) => s.falseAlarmRate[i]!), idx.map((i) => s.hitRate[i]!), xs, ys);
    if (d) out.push(`<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"><title>${escapeXml(s.name)}</title></path>`);
  }
  out.push('</g>');
  drawLegend(out, entries, area.right + 14, area.top);
  out.push('</svg>');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Maps

/** Colour map kinds: 'diverging' (blue–white–red, for signed fields like the EFI) or 'sequential' (light to dark). */
export type ColorMapName = 'diverging' | 'sequential';

const COLOR_ANCHORS: Record<ColorMapName, [number, number, number][]> = {
  diverging: [
    [33, 63, 140],
    [78, 140, 196],
    [171, 208, 230],
    [247, 247, 247],
    [244, 184, 151],
    [209, 96, 77],
    [128, 20, 38],
  ],
  sequential: [
    [250, 248, 214],
    [197, 230, 170],
    [102, 194, 164],
    [44, 140, 170],
    [40, 80, 150],
    [35, 30, 90],
  ],
};

/** Colour at t in [0, 1] of a colour map, as #rrggbb (piecewise-linear between anchors). */
export function colorAt(map: ColorMapName, t: number): string {
  const a = COLOR_ANCHORS[map];
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (a.length - 1);
  const i = Math.min(a.length - 2, Math.floor(u));
  const f = u - i;
  const c = a[i]!.map((v, k) => Math.round(v + f * (a[i + 1]![k]! - v)));
  return '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
}

export interface MapOptions extends ChartFrame {
  /** Cell-centre latitudes in degrees (row 0 northernmost or southernmost; either order). */
  lat: ArrayLike<number>;
  /** Cell-centre longitudes in degrees, increasing. */
  lon: ArrayLike<number>;
  /** Values (nlat × nlon, row-major, rows in the order of `lat`); NaN cells are drawn grey. */
  values: ArrayLike<number>;
  /** Colour range; default from the data (symmetric about 0 for 'diverging'). */
  min?: number;
  max?: number;
  colorMap?: ColorMapName;
  /** Number of discrete colour levels (default 10). */
  levels?: number;
  /** Colour-bar label (e.g. units). */
  units?: string;
}

/** Cell edges from centres: midpoints, the ends extended by half a spacing (clamped to `limits`). */
function cellEdges(c: number[], limits?: [number, number]): number[] {
  const n = c.length;
  if (n === 1) return [c[0]! - 0.5, c[0]! + 0.5];
  const e = [c[0]! - (c[1]! - c[0]!) / 2];
  for (let i = 0; i + 1 < n; i++) e.push((c[i]! + c[i + 1]!) / 2);
  e.push(c[n - 1]! + (c[n - 1]! - c[n - 2]!) / 2);
  return limits ? e.map((v) => Math.min(limits[1], Math.max(limits[0], v))) : e;
}

/** Filled map on an equirectangular lat-lon grid with a discrete colour bar. */
export function mapPlot(o: MapOptions): string {
  const nlat = o.lat.length;
  const nlon = o.lon.length;
  if (o.values.length !== nlat * nlon) {
    throw new Error(`mapPlot '${o.title}': values has ${o.values.length} entries, expected nlat × nlon = ${nlat} × ${nlon} = ${nlat * nlon}`);
  }
  const lat = Array.from(o.lat);
  const lon = Array.from(o.lon);
  const mapName = o.colorMap ?? 'diverging';
  const levels = Math.max(2, Math.round(o.levels ?? 10));
  let lo = o.min;
  let hi = o.max;
  if (lo === undefined || hi === undefined) {
    let dmin = Infinity;
    let dmax = -Infinity;
    for (let i = 0; i < o.values.length; i++) {
      const v = o.values[i]!;
      if (Number.isFinite(v)) {
        dmin = Math.min(dmin, v);
        dmax = Math.max(dmax, v);
      }
    }
    if (!Number.isFinite(dmin)) {
      dmin = 0;
      dmax = 1;
    }
    if (mapName === 'diverging') {
      const m = Math.max(Math.abs(dmin), Math.abs(dmax)) || 1;
      lo ??= -m;
      hi ??= m;
    } else {
      lo ??= dmin;
      hi ??= dmax > dmin ? dmax : dmin + 1;
    }
  }
  if (!(hi > lo)) hi = lo + 1;
  const width = o.width ?? 700;
  const mapW = width - 68 - 96;
  const mapH = mapW / 2;
  const te = titleExtra(o, width);
  const height = o.height ?? Math.round(mapH + 34 + te + 52);
  const area: PlotArea = { left: 58, top: 34 + te, right: 58 + mapW, bottom: 34 + te + mapH };
  const latEdges = cellEdges(lat, [-90, 90]);
  const lonEdges = cellEdges(lon);
  const xs = buildScale({ min: lonEdges[0]!, max: lonEdges[nlon]!, tickCount: 6 }, [], area.left, area.right);
  const ys = buildScale({ min: -90, max: 90, tickCount: 6 }, [], area.bottom, area.top);
  // Longitude and latitude ticks at multiples of 60° and 30°.
  xs.ticks = [];
  for (let t = Math.ceil(lonEdges[0]! / 60) * 60; t <= lonEdges[nlon]! + 1e-9; t += 60) xs.ticks.push(t);
  xs.labelled = xs.ticks;
  xs.label = (v) => `${v}°`;
  ys.ticks = [-90, -60, -30, 0, 30, 60, 90];
  ys.labelled = ys.ticks;
  ys.label = (v) => (v === 0 ? '0°' : v > 0 ? `${v}°N` : `${-v}°S`);
  const colors = Array.from({ length: levels }, (_, k) => colorAt(mapName, (k + 0.5) / levels));
  const level = (v: number): number => (Number.isFinite(v) ? Math.min(levels - 1, Math.max(0, Math.floor(((v - lo!) / (hi! - lo!)) * levels))) : -1);
  const out = openSvg(o, width, height);
  out.push('<g class="cells" shape-rendering="crispEdges" stroke="none">');
  for (let r = 0; r < nlat; r++) {
    const ya = ys(latEdges[r]!);
    const yb = ys(latEdges[r + 1]!);
    const top = Math.min(ya, yb);
    const h = Math.abs(yb - ya);
    let c = 0;
    while (c < nlon) {
      const k = level(o.values[r * nlon + c]!);
      let e = c + 1;
      while (e < nlon && level(o.values[r * nlon + e]!) === k) e++;
      const x0 = xs(lonEdges[c]!);
      const x1 = xs(lonEdges[e]!);
      out.push(`<rect x="${fmt(x0)}" y="${fmt(top)}" width="${fmt(x1 - x0 + 0.3)}" height="${fmt(h + 0.3)}" fill="${k < 0 ? '#bdbdbd' : colors[k]}"/>`);
      c = e;
    }
  }
  out.push('</g>');
  out.push(`<rect x="${fmt(area.left)}" y="${fmt(area.top)}" width="${fmt(mapW)}" height="${fmt(mapH)}" fill="none" stroke="#555555"/>`);
  out.push('<g class="ticks" fill="#222222">');
  for (const t of xs.ticks) out.push(`<text class="xtick" x="${fmt(xs(t))}" y="${fmt(area.bottom + 16)}" text-anchor="middle">${escapeXml(xs.label(t))}</text>`);
  for (const t of ys.ticks) out.push(`<text class="ytick" x="${fmt(area.left - 6)}" y="${fmt(ys(t) + 4)}" text-anchor="end">${escapeXml(ys.label(t))}</text>`);
  out.push('</g>');
  // Colour bar: `levels` boxes from lo (bottom) to hi (top), labelled at nice ticks.
  const bx = area.right + 18;
  const bw = 16;
  const cb = (v: number) => area.bottom - ((v - lo!) / (hi! - lo!)) * mapH;
  out.push('<g class="colorbar" shape-rendering="crispEdges">');
  for (let k = 0; k < levels; k++) {
    const y0 = cb(lo + ((k + 1) * (hi - lo)) / levels);
    out.push(`<rect x="${fmt(bx)}" y="${fmt(y0)}" width="${bw}" height="${fmt(mapH / levels + 0.3)}" fill="${colors[k]}"/>`);
  }
  out.push(`<rect x="${fmt(bx)}" y="${fmt(area.top)}" width="${bw}" height="${fmt(mapH)}" fill="none" stroke="#555555"/>`);
  out.push('</g>');
  const bt = niceTicks(lo, hi, 5, true);
  out.push('<g class="colorbar-ticks" fill="#222222">');
  for (const t of bt.ticks) {
    out.push(`<line x1="${fmt(bx + bw)}" y1="${fmt(cb(t))}" x2="${fmt(bx + bw + 4)}" y2="${fmt(cb(t))}" stroke="#555555"/>`);
    out.push(`<text class="ctick" x="${fmt(bx + bw + 6)}" y="${fmt(cb(t) + 4)}">${escapeXml(formatTick(t, bt.step))}</text>`);
  }
  out.push('</g>');
  if (o.units) out.push(`<text x="${fmt(bx)}" y="${fmt(area.top - 6)}" font-size="11">${escapeXml(o.units)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}
