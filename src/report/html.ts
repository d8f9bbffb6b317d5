// The verification report: one self-contained HTML file (inline CSS and SVG, no scripts, no network) built from
// tidy results and the report bundle's arrays; a section whose data is absent is replaced by a short note.
import type { MapEntry, ReportInput, SpectrumEntry } from './bundle.ts';
import { extraKeysOf, type ResultRecord } from './results.ts';
import { PALETTE, barChart, escapeXml, linePlot, mapPlot, reliabilityDiagram, rocPlot, spectrumPlot, type LineSeries } from './svg.ts';

/** Options of `renderReport`. */
export interface ReportOptions {
  /** Page title (default: the bundle's title, else "myriad verification report"). */
  title?: string;
  /** Most bars drawn per rank histogram; wider histograms are summed into this many groups (default 40). */
  maxRankBins?: number;
  /** Most lead times drawn per kind of per-lead plot (rank histograms, reliability, σ-bins, …); default 4. */
  maxLeadsPerPlot?: number;
}

/** Section ids and headings, in page order. */
export const REPORT_SECTIONS = [
  ['summary', 'Summary'],
  ['mean', 'Mean diagnostics against lead time'],
  ['ranks', 'Rank histograms'],
  ['spectra', 'Spectra'],
  ['extremes', 'Reliability and ROC'],
  ['efi', 'Extreme Forecast Index maps'],
  ['huge', 'What huge ensembles add (HENS Part II)'],
] as const;

const CURVE_METRICS = new Set([
  'rank_histogram',
  'reliability_forecast',
  'reliability_observed',
  'reliability_count',
  'roc_false_alarm_rate',
  'roc_hit_rate',
  'sigma_bin_cases',
  'sigma_bin_members_beyond',
  'sigma_bin_fraction_beyond',
]);

const METRIC_LABELS: Record<string, string> = {
  rmse: 'RMSE of the ensemble mean',
  spread: 'ensemble spread',
  ssr: 'spread-skill ratio',
  ssr_fortin: 'spread-skill ratio (Fortin-corrected)',
  ssr_unbiased: 'spread-skill ratio (unbiased)',
  crps: 'CRPS',
  fair_crps: 'fair CRPS',
  acc: 'anomaly correlation (ensemble mean)',
  energy_score: 'energy score',
  control_rmse: 'RMSE of the control member',
  best_member_rmse: 'RMSE of the best member',
  most_accurate_member_rmse: 'RMSE of the most accurate member (whole field)',
  outlier_fraction: 'outlier fraction',
  brier_score: 'Brier score',
  fair_brier_score: 'fair Brier score',
  roc_auc: 'ROC area',
  log_score: 'log score',
  tw_crps: 'threshold-weighted CRPS',
  ow_crps: 'outcome-weighted CRPS',
  debiased_mse: 'debiased ensemble-mean MSE',
  expected_outlier_fraction: 'outlier fraction of a calibrated ensemble, 2/(M+1)',
  brier_reliability: 'Brier reliability (REL)',
  brier_resolution: 'Brier resolution (RES)',
  brier_uncertainty: 'Brier uncertainty (UNC)',
  brier_skill_score: 'Brier skill score',
  base_rate: 'observed event frequency',
  efi_mean: 'area-mean EFI',
  interval_width: 'central interval width',
  range_width: 'ensemble range width',
  coverage: 'fraction of truth inside the range',
  smallest_size_95: 'smallest sub-ensemble size covering the truth in 95% of cases',
};

const METRIC_ORDER = Object.keys(METRIC_LABELS);

function metricLabel(m: string): string {
  return METRIC_LABELS[m] ?? m.replace(/_/g, ' ');
}

function compareMetrics(a: string, b: string): number {
  const ia = METRIC_ORDER.indexOf(a);
  const ib = METRIC_ORDER.indexOf(b);
  if (ia !== ib) return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Formats a value for tables: 4 significant digits, NaN as an en dash. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

function leadLabel(h: number): string {
  return h % 24 === 0 && h >= 24 ? `${h / 24} d` : `${h} h`;
}

/** Chooses at most `max` leads evenly spread over the sorted distinct leads (always the first and last). */
export function pickLeads(leads: number[], max: number): number[] {
  const u = Array.from(new Set(leads)).sort((a, b) => a - b);
  if (u.length <= max) return u;
  if (max <= 1) return [u[0]!];
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(u[Math.round((k * (u.length - 1)) / (max - 1))]!);
  return Array.from(out).sort((a, b) => a - b);
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return new Map(Array.from(m.entries()).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const sep = '\u0001';

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Largest of `values` (or `init` if larger or the list is empty), without spreading a long list into arguments. */
function maxOf(values: Iterable<number>, init = -Infinity): number {
  let m = init;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** Builds the HTML page. Deterministic: the same input gives the same bytes. */
export function renderReport(input: ReportInput, options: ReportOptions = {}): string {
  const records = input.results;
  const title = options.title ?? input.title ?? 'myriad verification report';
  const ensembles = Array.from(new Set(records.map((r) => r.ensemble).concat((input.spectra ?? []).filter((s) => s.kind !== 'truth').map((s) => s.ensemble), (input.maps ?? []).map((m) => m.ensemble)))).sort();
  const colorOf = (e: string) => PALETTE[Math.max(0, ensembles.indexOf(e)) % PALETTE.length]!;
  const maxLeads = options.maxLeadsPerPlot ?? 4;
  let chartCount = 0;
  const nextId = () => `fig${++chartCount}`;
  const leadAxisDays = maxOf(records.map((r) => r.lead_hours), 0) >= 72;
  const leadX = (h: number) => (leadAxisDays ? h / 24 : h);
  const leadAxisLabel = leadAxisDays ? 'lead time (days)' : 'lead time (hours)';

  const figure = (svg: string, caption: string) => `<figure>${svg}\n<figcaption>${escapeXml(caption)}</figcaption></figure>`;
  const absent = (text: string) => `<p class="absent">${escapeXml(text)}</p>`;
  const sections: Record<string, string[]> = {};
  const onlyThreshold = (r: ResultRecord) => extraKeysOf(r).every((k) => k === 'threshold');
  const scalar = records.filter((r) => !CURVE_METRICS.has(r.metric) && onlyThreshold(r));
  const meanScalar = scalar.filter((r) => r.threshold === undefined);
  const eventScalar = scalar.filter((r) => r.threshold !== undefined);

  // --- Summary table -----------------------------------------------------------------------------------------
  {
    const out: string[] = [];
    if (meanScalar.length + eventScalar.length === 0) {
      out.push(absent('No scalar scores (records without bin, point, size or σ-bin keys) in these results.'));
    } else {
      const leads = pickLeads(scalar.map((r) => r.lead_hours), 3);
      const present = ensembles.filter((e) => scalar.some((r) => r.ensemble === e));
      const cell = new Map<string, number>();
      for (const r of scalar) cell.set([r.metric, r.variable, r.region, String(r.threshold ?? ''), r.ensemble, r.lead_hours].join(sep), r.value);
      const rows = Array.from(new Set(scalar.map((r) => [r.metric, r.variable, r.region, String(r.threshold ?? '')].join(sep)))).sort((a, b) => {
        const [ma, ...ra] = a.split(sep);
        const [mb, ...rb] = b.split(sep);
        const va = ra.join(sep);
        const vb = rb.join(sep);
        return va < vb ? -1 : va > vb ? 1 : compareMetrics(ma!, mb!);
      });
      out.push(`<p>Values at lead ${leads.map(leadLabel).join(', ')} for each ensemble (– = not available).</p>`);
      out.push('<div class="table-wrap"><table class="summary"><thead><tr><th scope="col">variable</th><th scope="col">region</th><th scope="col">metric</th>');
      for (const e of present) out.push(`<th scope="colgroup" colspan="${leads.length}">${escapeXml(e)}</th>`);
      out.push('</tr><tr><th></th><th></th><th></th>');
      for (let i = 0; i < present.length; i++) for (const l of leads) out.push(`<th scope="col">${escapeXml(leadLabel(l))}</th>`);
      out.push('</tr></thead><tbody>');
      for (const row of rows) {
        const [metric, variable, region, threshold] = row.split(sep) as [string, string, string, string];
        const name = threshold ? `${metricLabel(metric)} (${threshold})` : metricLabel(metric);
        out.push(`<tr><td>${escapeXml(variable)}</td><td>${escapeXml(region)}</td><th scope="row">${escapeXml(name)}</th>`);
        for (const e of present) {
          for (const l of leads) {
            const v = cell.get([metric, variable, region, threshold, e, l].join(sep));
            out.push(`<td class="num">${v === undefined ? '–' : escapeXml(formatValue(v))}</td>`);
          }
        }
        out.push('</tr>');
      }
      out.push('</tbody></table></div>');
    }
    sections.summary = out;
  }

  // Line plots of scalar metrics against lead, one per (metric, variable, region[, threshold]), series per ensemble.
  const leadPlots = (rows: ResultRecord[]): string[] => {
    const out: string[] = [];
    const groups = groupBy(rows, (r) => [r.variable, r.region, String(r.threshold ?? '')].join(sep));
    for (const [gk, g] of groups) {
      const [variable, region, threshold] = gk.split(sep) as [string, string, string];
      const all = new Set(g.map((r) => r.metric));
      // expected_X (e.g. expected_outlier_fraction = 2/(M+1)) is drawn dashed in the chart of X when X is present.
      const metrics = Array.from(all).filter((m) => !(m.startsWith('expected_') && all.has(m.slice(9)))).sort(compareMetrics);
      out.push(`<h3>${escapeXml(variable)} · ${escapeXml(region)}${threshold ? ' · ' + escapeXml(threshold) : ''}</h3><div class="grid">`);
      for (const metric of metrics) {
        const series: LineSeries[] = [];
        for (const e of ensembles) {
          const line = (m: string) => g.filter((r) => r.metric === m && r.ensemble === e).sort((a, b) => a.lead_hours - b.lead_hours);
          const pts = line(metric);
          if (pts.length === 0) continue;
          series.push({ name: e, x: pts.map((r) => leadX(r.lead_hours)), y: pts.map((r) => r.value), color: colorOf(e), markers: pts.length <= 20 });
          const exp = line('expected_' + metric);
          if (exp.length) series.push({ name: `${e}, calibrated`, x: exp.map((r) => leadX(r.lead_hours)), y: exp.map((r) => r.value), color: colorOf(e), dash: '5 4' });
        }
        const label = metricLabel(metric);
        const isRatio = metric.startsWith('ssr');
        const svg = linePlot({
          id: nextId(),
          title: `${label}, ${variable}, ${region}${threshold ? ', ' + threshold : ''}`,
          description: `${label} of ${variable} over ${region} against lead time for ${series.map((s) => s.name).join(', ')}.`,
          width: 520,
          height: 320,
          series,
          x: { label: leadAxisLabel, includeZero: false },
          y: { label, includeZero: metric !== 'acc' && !isRatio },
          references: isRatio ? [{ y: 1, label: 'calibrated (1)' }] : undefined,
          legend: true,
        });
        out.push(figure(svg, `${label} against lead time.`));
      }
      out.push('</div>');
    }
    return out;
  };

  // --- Mean diagnostics ----------------------------------------------------------------------------------------
  sections.mean = meanScalar.length ? leadPlots(meanScalar) : [absent('No scalar scores against lead time (e.g. rmse, spread, ssr, crps) in these results.')];

  // --- Rank histograms -----------------------------------------------------------------------------------------
  {
    const rows = records.filter((r) => r.metric === 'rank_histogram' && typeof r.bin === 'number');
    const out: string[] = [];
    if (rows.length === 0) out.push(absent("No rank histograms in these results (metric 'rank_histogram' with a numeric 'bin')."));
    const maxBins = options.maxRankBins ?? 40;
    const byKey = groupBy(rows, (r) => [r.variable, r.region, r.ensemble].join(sep));
    for (const [gk, g] of byKey) {
      const [variable, region, ensemble] = gk.split(sep) as [string, string, string];
      const leads = pickLeads(g.map((r) => r.lead_hours), maxLeads);
      out.push(`<h3>${escapeXml(variable)} · ${escapeXml(region)} · ${escapeXml(ensemble)}</h3><div class="grid">`);
      for (const lead of leads) {
        const pts = g.filter((r) => r.lead_hours === lead).sort((a, b) => (a.bin as number) - (b.bin as number));
        const nb = maxOf(pts.map((r) => r.bin as number)) + 1;
        // records may hold coarse bins of `bin_width` ranks each (WB2 num_bins); ranks then run to nb·width − 1
        const width = typeof pts[0]?.bin_width === 'number' && (pts[0].bin_width as number) >= 1 ? (pts[0].bin_width as number) : 1;
        const nMembers = nb * width - 1;
        const counts = new Float64Array(nb);
        for (const r of pts) counts[r.bin as number] = counts[r.bin as number]! + (Number.isFinite(r.value) ? r.value : 0);
        const total = counts.reduce((a, b) => a + b, 0);
        const groups = Math.min(nb, maxBins);
        const per = nb / groups;
        const vals: number[] = [];
        const cats: string[] = [];
        for (let k = 0; k < groups; k++) {
          const a = Math.round(k * per);
          const b = Math.round((k + 1) * per);
          let s = 0;
          for (let i = a; i < b; i++) s += counts[i]!;
          vals.push(total > 0 ? s / total : 0);
          cats.push(b - a === 1 && width === 1 ? String(a) : `${a * width}–${b * width - 1}`);
        }
        const expected = 1 / groups;
        const note = groups < nb || width > 1 ? ` Ranks 0…${nMembers} summed into ${groups} groups.` : '';
        out.push(
          figure(
            barChart({
              id: nextId(),
              title: `Rank histogram, ${variable}, ${region}, ${ensemble}, lead ${leadLabel(lead)}`,
              description: `Relative frequency of the rank of the truth among ${nMembers} members.${note}`,
              width: 520,
              height: 300,
              categories: cats,
              series: [{ name: ensemble, values: vals, color: colorOf(ensemble) }],
              xLabel: 'rank of the truth',
              yLabel: 'relative frequency',
              reference: { y: expected, label: 'flat (calibrated)' },
            }),
            `Rank histogram (${nMembers} members).${note}`,
          ),
        );
      }
      out.push('</div>');
    }
    sections.ranks = out;
  }

  // --- Spectra --------------------------------------------------------------------------------------------------
  {
    const spectra = input.spectra ?? [];
    const out: string[] = [];
    if (spectra.length === 0) out.push(absent('No spectra in this bundle (report-bundle.json "spectra").'));
    const dashOf: Record<string, string | undefined> = { members: undefined, ensemble_mean: '7 4', truth: '2 3' };
    const byVar = groupBy(spectra, (s) => [s.variable, s.region ?? ''].join(sep));
    for (const [gk, g] of byVar) {
      const [variable, region] = gk.split(sep) as [string, string];
      out.push(`<h3>${escapeXml(variable)}${region ? ' · ' + escapeXml(region) : ''}</h3><div class="grid">`);
      const leads = pickLeads(g.map((s) => s.lead_hours), maxLeads);
      for (const lead of leads) {
        const at = g
          .filter((s) => s.lead_hours === lead)
          .sort((a, b) => compareText(a.ensemble + sep + a.kind, b.ensemble + sep + b.kind));
        const series: LineSeries[] = at.map((s: SpectrumEntry) => ({
          name: s.kind === 'truth' ? (s.ensemble === 'truth' ? 'truth' : `truth (${s.ensemble})`) : `${s.ensemble} ${s.kind.replace(/_/g, ' ')}`,
          x: s.wavenumber,
          y: s.power,
          color: s.kind === 'truth' ? '#000000' : colorOf(s.ensemble),
          dash: s.kind in dashOf ? dashOf[s.kind] : '4 2',
        }));
        const units = at.find((s) => s.units)?.units;
        out.push(
          figure(
            spectrumPlot({
              id: nextId(),
              title: `Power spectrum, ${variable}, lead ${leadLabel(lead)}`,
              description: `Log-log power spectra of ${variable} at lead ${leadLabel(lead)}: ${series.map((s) => s.name).join(', ')}.`,
              width: 560,
              height: 340,
              series,
              legend: true,
              xLabel: at[0]?.x_label ?? 'wavenumber',
              yLabel: units ? `power (${units})` : 'power',
            }),
            'Solid: mean member spectrum; dashed: spectrum of the ensemble mean; dotted: truth.',
          ),
        );
      }
      out.push('</div>');
    }
    sections.spectra = out;
  }

  // --- Reliability and ROC ---------------------------------------------------------------------------------------
  {
    const out: string[] = [];
    const rel = records.filter((r) => r.metric.startsWith('reliability_') && typeof r.bin === 'number' && r.threshold !== undefined);
    const roc = records.filter((r) => (r.metric === 'roc_false_alarm_rate' || r.metric === 'roc_hit_rate') && typeof r.point === 'number' && r.threshold !== undefined);
    const auc = records.filter((r) => r.metric === 'roc_auc' && r.threshold !== undefined && extraKeysOf(r).length === 1);
    const baseRate = records.filter((r) => r.metric === 'base_rate' && r.threshold !== undefined && extraKeysOf(r).length === 1);
    const keyOf = (r: ResultRecord) => [r.variable, r.region, String(r.threshold)].join(sep);
    const groups = Array.from(new Set([...rel, ...roc].map(keyOf))).sort();
    if (groups.length === 0) out.push(absent("No reliability or ROC data in these results (reliability_* records with 'bin' and 'threshold'; roc_* with 'point' and 'threshold')."));
    for (const gk of groups) {
      const [variable, region, threshold] = gk.split(sep) as [string, string, string];
      out.push(`<h3>${escapeXml(variable)} · ${escapeXml(region)} · event ${escapeXml(threshold)}</h3><div class="grid">`);
      const inGroup = (r: ResultRecord) => keyOf(r) === gk;
      const leads = pickLeads([...rel, ...roc].filter(inGroup).map((r) => r.lead_hours), maxLeads);
      for (const lead of leads) {
        const at = (r: ResultRecord) => inGroup(r) && r.lead_hours === lead;
        const relHere = rel.filter(at);
        if (relHere.length) {
          const series = ensembles
            .filter((e) => relHere.some((r) => r.ensemble === e))
            .map((e) => {
              const pick = (m: string) => {
                const pts = relHere.filter((r) => r.ensemble === e && r.metric === m);
                const nb = maxOf(pts.map((r) => r.bin as number), -1) + 1;
                const v = new Array<number>(nb).fill(NaN);
                for (const r of pts) v[r.bin as number] = r.value;
                return v;
              };
              const counts = pick('reliability_count');
              return { name: e, forecast: pick('reliability_forecast'), observed: pick('reliability_observed'), counts: counts.length ? counts : undefined, color: colorOf(e) };
            });
          const clim = baseRate.find((r) => at(r));
          out.push(
            figure(
              reliabilityDiagram({
                id: nextId(),
                title: `Reliability, ${variable} ${threshold}, ${region}, lead ${leadLabel(lead)}`,
                description: `Observed frequency against forecast probability of the event ${variable} ${threshold} for ${series.map((s) => s.name).join(', ')}; the inset shows the share of forecasts per probability bin.`,
                width: 560,
                series,
                climatology: clim?.value,
              }),
              'Reliability diagram with the diagonal of perfect reliability; inset: forecasts per bin (sharpness).',
            ),
          );
        }
        const rocHere = roc.filter(at);
        if (rocHere.length) {
          const series = ensembles
            .filter((e) => rocHere.some((r) => r.ensemble === e))
            .map((e) => {
              const pts = rocHere.filter((r) => r.ensemble === e);
              const np = maxOf(pts.map((r) => r.point as number)) + 1;
              const far = new Array<number>(np).fill(NaN);
              const hr = new Array<number>(np).fill(NaN);
              for (const r of pts) (r.metric === 'roc_hit_rate' ? hr : far)[r.point as number] = r.value;
              const a = auc.find((r) => at(r) && r.ensemble === e);
              return { name: e, falseAlarmRate: far, hitRate: hr, auc: a?.value, color: colorOf(e) };
            });
          out.push(
            figure(
              rocPlot({
                id: nextId(),
                title: `ROC, ${variable} ${threshold}, ${region}, lead ${leadLabel(lead)}`,
                description: `Hit rate against false-alarm rate for the event ${variable} ${threshold}: ${series.map((s) => s.name + (s.auc !== undefined ? ` AUC ${s.auc.toFixed(3)}` : '')).join(', ')}.`,
                width: 560,
                series,
              }),
              'ROC curve; the area under the curve (AUC) is given in the legend where the results carry it.',
            ),
          );
        }
      }
      out.push('</div>');
    }
    if (eventScalar.length) {
      out.push('<h3>Event scores against lead time</h3>');
      out.push(...leadPlots(eventScalar));
    }
    sections.extremes = out;
  }

  // --- Maps -----------------------------------------------------------------------------------------------------
  const mapFigure = (m: MapEntry, caption: string) => {
    const isEfi = m.name === 'efi';
    return figure(
      mapPlot({
        id: nextId(),
        title: m.title ?? `${m.name.toUpperCase()}, ${m.variable}, ${m.ensemble}, lead ${leadLabel(m.lead_hours)}`,
        description: `Map of ${m.name} for ${m.variable} (${m.ensemble}) at lead ${leadLabel(m.lead_hours)} on a ${m.lat.length} × ${m.lon.length} latitude-longitude grid.`,
        lat: m.lat,
        lon: m.lon,
        values: m.values,
        min: m.min ?? (isEfi ? -1 : undefined),
        max: m.max ?? (isEfi ? 1 : undefined),
        colorMap: m.color_map ?? (isEfi || m.name === 'sot' ? 'diverging' : 'sequential'),
        units: m.units,
        width: 700,
      }),
      caption,
    );
  };
  {
    const maps = (input.maps ?? []).filter((m) => m.name === 'efi' || m.name === 'sot');
    const out: string[] = [];
    if (maps.length === 0) out.push(absent('No EFI or SOT maps in this bundle (report-bundle.json "maps" with name "efi" or "sot").'));
    const sorted = [...maps].sort((a, b) => compareText(a.variable + sep + a.name + sep + a.ensemble, b.variable + sep + b.name + sep + b.ensemble) || a.lead_hours - b.lead_hours);
    for (const m of sorted) out.push(mapFigure(m, m.name === 'efi' ? 'Extreme Forecast Index (−1 to 1; grey: missing).' : 'Shift of Tails (grey: missing).'));
    sections.efi = out;
  }

  // --- HENS Part II -----------------------------------------------------------------------------------------------
  {
    const out: string[] = [];
    const sig = records.filter((r) => r.metric.startsWith('sigma_bin_') && typeof r.bin_lower === 'number' && typeof r.bin_upper === 'number');
    const sized = records.filter((r) => typeof r.size === 'number' && !CURVE_METRICS.has(r.metric));
    const otherMaps = (input.maps ?? []).filter((m) => m.name !== 'efi' && m.name !== 'sot');
    if (sig.length + sized.length + otherMaps.length === 0) {
      out.push(absent("No HENS Part II data in these results (sigma_bin_* records with 'bin_lower'/'bin_upper'; records with 'size')."));
    }
    if (sig.length) {
      out.push('<h3>Members beyond the truth by the truth’s σ-distance from the ensemble mean</h3>');
      const groups = groupBy(sig, (r) => [r.variable, r.region].join(sep));
      for (const [gk, g] of groups) {
        const [variable, region] = gk.split(sep) as [string, string];
        out.push('<div class="grid">');
        for (const lead of pickLeads(g.map((r) => r.lead_hours), maxLeads)) {
          const at = g.filter((r) => r.lead_hours === lead);
          const edges = Array.from(new Set(at.map((r) => `${r.bin_lower}${sep}${r.bin_upper}`))).sort((a, b) => Number(a.split(sep)[0]) - Number(b.split(sep)[0]));
          const cats = edges.map((e) => {
            const [a, b] = e.split(sep);
            return `[${a}, ${b === 'Infinity' ? '∞' : b})`;
          });
          for (const [metric, yLabel] of [
            ['sigma_bin_members_beyond', 'mean members beyond the truth'],
            ['sigma_bin_fraction_beyond', 'share with ≥ 1 member beyond'],
          ] as const) {
            const here = at.filter((r) => r.metric === metric);
            if (here.length === 0) continue;
            const ens = ensembles.filter((e) => here.some((r) => r.ensemble === e));
            const series = ens.map((e) => ({
              name: e,
              color: colorOf(e),
              values: edges.map((ed) => here.find((r) => r.ensemble === e && `${r.bin_lower}${sep}${r.bin_upper}` === ed)?.value ?? NaN),
            }));
            out.push(
              figure(
                barChart({
                  id: nextId(),
                  title: `${yLabel}, ${variable}, ${region}, lead ${leadLabel(lead)}`,
                  description: `${yLabel} in bins of |truth − ensemble mean| / spread for ${ens.join(', ')}.`,
                  width: 520,
                  height: 300,
                  categories: cats,
                  series,
                  xLabel: 'σ-distance of the truth from the ensemble mean',
                  yLabel,
                }),
                `${yLabel} by σ-bin.`,
              ),
            );
          }
        }
        out.push('</div>');
      }
    }
    if (sized.length) {
      out.push('<h3>Sub-ensemble size</h3>');
      const isCompanion = (m: string) => m.endsWith('_lower') || m.endsWith('_upper') || m.startsWith('expected_');
      const groups = groupBy(sized, (r) => [r.variable, r.region].join(sep));
      for (const [gk, g] of groups) {
        const [variable, region] = gk.split(sep) as [string, string];
        out.push('<div class="grid">');
        for (const lead of pickLeads(g.map((r) => r.lead_hours), maxLeads)) {
          const at = g.filter((r) => r.lead_hours === lead);
          const metrics = Array.from(new Set(at.map((r) => r.metric).filter((m) => !isCompanion(m)))).sort(compareMetrics);
          for (const metric of metrics) {
            const series: LineSeries[] = [];
            for (const e of ensembles) {
              const line = (m: string) => at.filter((r) => r.metric === m && r.ensemble === e).sort((a, b) => (a.size as number) - (b.size as number));
              const pts = line(metric);
              if (pts.length === 0) continue;
              const lo = line(metric + '_lower');
              const hi = line(metric + '_upper');
              const band =
                lo.length === pts.length && hi.length === pts.length && lo.every((r, i) => r.size === pts[i]!.size && hi[i]!.size === r.size)
                  ? { lower: lo.map((r) => r.value), upper: hi.map((r) => r.value) }
                  : undefined;
              series.push({ name: e, x: pts.map((r) => r.size as number), y: pts.map((r) => r.value), color: colorOf(e), markers: true, band });
              const exp = line('expected_' + metric);
              if (exp.length) series.push({ name: `${e}, calibrated`, x: exp.map((r) => r.size as number), y: exp.map((r) => r.value), color: colorOf(e), dash: '5 4' });
            }
            const label = metricLabel(metric);
            out.push(
              figure(
                linePlot({
                  id: nextId(),
                  title: `${label} against ensemble size, ${variable}, ${region}, lead ${leadLabel(lead)}`,
                  description: `${label} of bootstrapped sub-ensembles against their size for ${series.map((s) => s.name).join(', ')}.`,
                  width: 520,
                  height: 320,
                  series,
                  x: { scale: 'log', label: 'sub-ensemble size (members)' },
                  y: { label },
                  legend: true,
                }),
                series.some((s) => s.band) ? `${label}; shading: interval over bootstrap resamples.` : `${label}.`,
              ),
            );
          }
        }
        out.push('</div>');
      }
    }
    if (otherMaps.length) {
      out.push('<h3>Maps</h3>');
      for (const m of otherMaps) out.push(mapFigure(m, `${m.name.replace(/_/g, ' ')} (grey: missing).`));
    }
    sections.huge = out;
  }

  // --- Page -----------------------------------------------------------------------------------------------------
  const vars = Array.from(new Set(records.map((r) => r.variable))).sort();
  const leads = Array.from(new Set(records.map((r) => r.lead_hours))).sort((a, b) => a - b);
  const page: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    '<meta name="generator" content="myriad report"/>',
    `<title>${escapeXml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeXml(title)}</h1>`,
  ];
  if (input.subtitle) page.push(`<p class="subtitle">${escapeXml(input.subtitle)}</p>`);
  page.push(
    `<p class="meta">${records.length} results · ensembles: ${escapeXml(ensembles.join(', ') || 'none')} · variables: ${escapeXml(vars.join(', ') || 'none')} · leads: ${escapeXml(leads.length ? leads.map(leadLabel).join(', ') : 'none')}</p>`,
  );
  for (const n of input.notes ?? []) page.push(`<p class="note">${escapeXml(n)}</p>`);
  page.push('<nav aria-label="sections"><ol>');
  for (const [id, heading] of REPORT_SECTIONS) page.push(`<li><a href="#${id}">${escapeXml(heading)}</a></li>`);
  page.push('</ol></nav>', '</header>', '<main>');
  for (const [id, heading] of REPORT_SECTIONS) {
    page.push(`<section id="${id}" aria-labelledby="${id}-h">`, `<h2 id="${id}-h">${escapeXml(heading)}</h2>`, ...sections[id]!, '</section>');
  }
  page.push('</main>', '<footer><p>Written by myriad report. Self-contained: no scripts, no network resources.</p></footer>', '</body>', '</html>', '');
  return page.join('\n');
}

const CSS = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1180px;padding:0 20px 40px;color:#1d1d1d;background:#fff;line-height:1.4}',
  'h1{font-size:1.6em;margin:24px 0 4px}h2{font-size:1.3em;border-bottom:2px solid #d9d9d9;padding-bottom:4px;margin-top:36px}h3{font-size:1.05em;margin:20px 0 8px}',
  '.meta,.subtitle,.note{color:#444;margin:4px 0}nav ol{columns:2;padding-left:20px}',
  '.grid{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;max-width:100%}figure svg{max-width:100%;height:auto}',
  'figcaption{font-size:.85em;color:#555;max-width:520px}.absent{color:#666;font-style:italic}',
  '.table-wrap{overflow-x:auto}table.summary{border-collapse:collapse;font-size:.9em}',
  'table.summary th,table.summary td{border:1px solid #d0d0d0;padding:3px 8px;text-align:left}',
  'table.summary td.num{text-align:right;font-variant-numeric:tabular-nums}table.summary thead th{background:#f2f2f2}',
  'footer{margin-top:40px;color:#777;font-size:.85em}',
].join('');
