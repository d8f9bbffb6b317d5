// Probability forecasts of threshold events (metrics-factsheet §4): event probabilities from an ensemble,
// Brier score (plain and fair), Murphy decomposition, reliability diagram, ROC/AUC and the log score.

import { checkEnsemble, checkLength, checkPositiveInteger } from './grid.ts';

/** How an event is defined against a threshold: '>' (WB2, HENS; default) or '>=' (earth2studio) (§4.1, §7 trap 9). */
export type EventComparison = '>' | '>=';

function exceeds(x: number, t: number, comparison: EventComparison): boolean {
  return comparison === '>' ? x > t : x >= t;
}

function checkComparison(comparison: EventComparison): void {
  if (comparison !== '>' && comparison !== '>=') throw new Error(`comparison must be '>' or '>=', got ${String(comparison)}`);
}

/** Threshold per point: a scalar or one value per point (e.g. a climatological 95th percentile field). */
export type Threshold = number | ArrayLike<number>;

function thresholdAt(threshold: Threshold, p: number): number {
  return typeof threshold === 'number' ? threshold : threshold[p]!;
}

function checkThreshold(threshold: Threshold, points: number): void {
  if (typeof threshold !== 'number') checkLength('threshold', threshold, points, 'a scalar or one threshold per point');
  else if (Number.isNaN(threshold)) throw new Error('threshold must not be NaN');
}

/** Number of members exceeding the threshold at each point of a member-major block (M, P) (§4.1). */
export function exceedanceCounts(
  ensemble: ArrayLike<number>,
  members: number,
  points: number,
  threshold: Threshold,
  comparison: EventComparison = '>',
): Int32Array {
  checkEnsemble(ensemble, members, points);
  checkThreshold(threshold, points);
  checkComparison(comparison);
  const out = new Int32Array(points);
  for (let m = 0; m < members; m++) {
    const base = m * points;
    for (let p = 0; p < points; p++) if (exceeds(ensemble[base + p]!, thresholdAt(threshold, p), comparison)) out[p]++;
  }
  return out;
}

/** Event probability p = (1/M) Σ 1{x_m > t} per point (§4.1). */
export function eventProbabilities(
  ensemble: ArrayLike<number>,
  members: number,
  points: number,
  threshold: Threshold,
  comparison: EventComparison = '>',
): Float64Array {
  const counts = exceedanceCounts(ensemble, members, points, threshold, comparison);
  const out = new Float64Array(points);
  for (let p = 0; p < points; p++) out[p] = counts[p]! / members;
  return out;
}

/** Binary outcome o = 1{y > t} per point (§4.1). NaN truth gives NaN. */
export function eventOutcomes(truth: ArrayLike<number>, threshold: Threshold, comparison: EventComparison = '>'): Float64Array {
  checkThreshold(threshold, truth.length);
  checkComparison(comparison);
  const out = new Float64Array(truth.length);
  for (let p = 0; p < truth.length; p++) {
    const y = truth[p]!;
    out[p] = Number.isNaN(y) ? Number.NaN : exceeds(y, thresholdAt(threshold, p), comparison) ? 1 : 0;
  }
  return out;
}

function checkPair(probabilities: ArrayLike<number>, outcomes: ArrayLike<number>, weights?: ArrayLike<number>): void {
  if (!probabilities || probabilities.length < 1) throw new Error('probabilities must be a non-empty numeric array');
  checkLength('outcomes', outcomes, probabilities.length, 'one outcome per probability');
  if (weights) checkLength('sampleWeights', weights, probabilities.length, 'one weight per probability');
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    const o = outcomes[i]!;
    if (!(p >= 0 && p <= 1)) throw new Error(`probabilities[${i}] must be in [0, 1], got ${p}`);
    if (o !== 0 && o !== 1) throw new Error(`outcomes[${i}] must be 0 or 1, got ${o}`);
  }
}

function weightedMean(values: ArrayLike<number>, weights?: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights ? weights[i]! : 1;
    num += w * values[i]!;
    den += w;
  }
  return num / den;
}

/** Brier score mean (p − o)² (§4.2), optionally weighted per sample (e.g. latitude weights). */
export function brierScore(probabilities: ArrayLike<number>, outcomes: ArrayLike<number>, sampleWeights?: ArrayLike<number>): number {
  checkPair(probabilities, outcomes, sampleWeights);
  const v = new Float64Array(probabilities.length);
  for (let i = 0; i < v.length; i++) v[i] = (probabilities[i]! - outcomes[i]!) ** 2;
  return weightedMean(v, sampleWeights);
}

/**
 * Fair Brier score (Ferro 2014; xskillscore `fair=True`; = WB2 DebiasedEnsembleBrierScore; §4.2):
 * (e/M − o)² − e(M − e)/(M²(M − 1)) with e = members exceeding, averaged.
 */
export function fairBrierScore(
  exceedingMembers: ArrayLike<number>,
  members: number,
  outcomes: ArrayLike<number>,
  sampleWeights?: ArrayLike<number>,
): number {
  checkPositiveInteger('members', members);
  if (members < 2) throw new Error(`fair Brier score needs at least 2 members, got ${members}`);
  const n = exceedingMembers.length;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = exceedingMembers[i]!;
    if (!Number.isInteger(e) || e < 0 || e > members) throw new Error(`exceedingMembers[${i}] must be an integer in [0, ${members}], got ${e}`);
    p[i] = e / members;
  }
  checkPair(p, outcomes, sampleWeights);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = exceedingMembers[i]!;
    v[i] = (p[i]! - outcomes[i]!) ** 2 - (e * (members - e)) / (members * members * (members - 1));
  }
  return weightedMean(v, sampleWeights);
}

/** How forecasts are binned: K equal-width bins on [0, 1], or one bin per distinct probability. */
export interface ProbabilityBinning {
  /** Number of equal-width bins (default 10), or 'distinct' for one bin per distinct forecast value. */
  bins?: number | 'distinct';
  /** 'left' = [a, b) with the last bin [a, 1] (xskillscore, HENS); 'right' = (a, b] with the first bin [0, b] (WBX, SpecsVerification). */
  closed?: 'left' | 'right';
}

/** One reliability-diagram bin. */
export interface ProbabilityBin {
  lower: number;
  upper: number;
  centre: number;
  /** (Weighted) number of forecasts in the bin, n_k (the sharpness histogram). */
  count: number;
  /** Mean forecast probability p̄_k (NaN if empty). */
  meanForecast: number;
  /** Observed relative frequency ō_k (NaN if empty). */
  observedFrequency: number;
}

/** Assigns each probability to a bin index; returns the bins' edges. */
function binProbabilities(probabilities: ArrayLike<number>, binning: ProbabilityBinning): { index: Int32Array; lower: number[]; upper: number[] } {
  const bins = binning.bins ?? 10;
  const closed = binning.closed ?? 'left';
  const index = new Int32Array(probabilities.length);
  if (bins === 'distinct') {
    const values = Array.from(new Set(Array.from(probabilities))).sort((a, b) => a - b);
    const where = new Map(values.map((v, i) => [v, i]));
    for (let i = 0; i < probabilities.length; i++) index[i] = where.get(probabilities[i]!)!;
    return { index, lower: values, upper: values };
  }
  checkPositiveInteger('bins', bins);
  if (closed !== 'left' && closed !== 'right') throw new Error(`closed must be 'left' or 'right', got ${String(closed)}`);
  // Edges as numpy.linspace(0, 1, bins + 1) / R seq(0, 1, length = bins + 1) compute them: i·(1/bins), last = 1.
  // So 3·0.1 = 0.30000000000000004 and a probability of exactly 0.3 falls below that edge, as in xskillscore.
  const step = 1 / bins;
  const edges = new Float64Array(bins + 1);
  for (let k = 0; k < bins; k++) edges[k] = k * step;
  edges[bins] = 1;
  const lower: number[] = [];
  const upper: number[] = [];
  for (let k = 0; k < bins; k++) {
    lower.push(edges[k]!);
    upper.push(edges[k + 1]!);
  }
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    let lo = 0;
    let hi = bins;
    if (closed === 'left') {
      // largest k with edges[k] <= p (p = 1 goes into the last bin)
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (edges[mid]! <= p) lo = mid;
        else hi = mid;
      }
      index[i] = lo;
    } else {
      // smallest k >= 1 with p <= edges[k], bin k − 1 (p = 0 goes into the first bin)
      lo = 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (p <= edges[mid]!) hi = mid;
        else lo = mid + 1;
      }
      index[i] = lo - 1;
    }
  }
  return { index, lower, upper };
}

/**
 * Reliability diagram (§4.4): per bin the count n_k, mean forecast p̄_k and observed frequency ō_k.
 * Default 10 equal bins, left-closed as xskillscore `reliability` (HENS Part I uses linspace(0, 1, 11)).
 */
export function reliabilityDiagram(
  probabilities: ArrayLike<number>,
  outcomes: ArrayLike<number>,
  binning: ProbabilityBinning = {},
  sampleWeights?: ArrayLike<number>,
): ProbabilityBin[] {
  checkPair(probabilities, outcomes, sampleWeights);
  const { index, lower, upper } = binProbabilities(probabilities, binning);
  const k = lower.length;
  const count = new Float64Array(k);
  const sumP = new Float64Array(k);
  const sumO = new Float64Array(k);
  for (let i = 0; i < probabilities.length; i++) {
    const w = sampleWeights ? sampleWeights[i]! : 1;
    const b = index[i]!;
    count[b] += w;
    sumP[b] += w * probabilities[i]!;
    sumO[b] += w * outcomes[i]!;
  }
  const out: ProbabilityBin[] = [];
  for (let b = 0; b < k; b++) {
    out.push({
      lower: lower[b]!,
      upper: upper[b]!,
      centre: (lower[b]! + upper[b]!) / 2,
      count: count[b]!,
      meanForecast: count[b]! > 0 ? sumP[b]! / count[b]! : Number.NaN,
      observedFrequency: count[b]! > 0 ? sumO[b]! / count[b]! : Number.NaN,
    });
  }
  return out;
}

/** Murphy (1973) decomposition of the Brier score (§4.3). */
export interface BrierDecomposition {
  brierScore: number;
  reliability: number;
  resolution: number;
  uncertainty: number;
  /** 1 − BS/UNC (reference: sample climatology). */
  skillScore: number;
  baseRate: number;
  bins: ProbabilityBin[];
}

/**
 * Brier score with REL = Σ n_k(p̄_k − ō_k)²/N, RES = Σ n_k(ō_k − ō)²/N, UNC = ō(1 − ō) (SpecsVerification
 * `BrierDecomp`, HENS Part I). BS = REL − RES + UNC holds exactly when forecasts within a bin are equal
 * (use bins: 'distinct' for ensemble probabilities i/M); otherwise within-bin terms remain and `brierScore`
 * is the true mean (p − o)². Default binning: 10 bins, right-closed as SpecsVerification.
 * `baseRate` replaces the sample base rate ō in RES and UNC by a climatological one (HENS Part I uses
 * ō = 1 − percentile, e.g. 0.05 for 95th-percentile events; then REL − RES + UNC no longer equals BS exactly).
 */
export function brierDecomposition(
  probabilities: ArrayLike<number>,
  outcomes: ArrayLike<number>,
  binning: ProbabilityBinning = { bins: 10, closed: 'right' },
  sampleWeights?: ArrayLike<number>,
  baseRate?: number,
): BrierDecomposition {
  const bins = reliabilityDiagram(probabilities, outcomes, { closed: 'right', ...binning }, sampleWeights);
  let n = 0;
  let oSum = 0;
  for (const b of bins) {
    n += b.count;
    if (b.count > 0) oSum += b.count * b.observedFrequency;
  }
  if (baseRate !== undefined && !(baseRate >= 0 && baseRate <= 1)) throw new Error(`baseRate must be in [0, 1], got ${baseRate}`);
  const base = baseRate ?? oSum / n;
  let rel = 0;
  let res = 0;
  for (const b of bins) {
    if (!(b.count > 0)) continue;
    rel += b.count * (b.meanForecast - b.observedFrequency) ** 2;
    res += b.count * (b.observedFrequency - base) ** 2;
  }
  rel /= n;
  res /= n;
  const unc = base * (1 - base);
  const bs = brierScore(probabilities, outcomes, sampleWeights);
  return { brierScore: bs, reliability: rel, resolution: res, uncertainty: unc, skillScore: 1 - bs / unc, baseRate: base, bins };
}

/** ROC curve points and area (§4.5). */
export interface RocCurve {
  /** Decision thresholds, descending ("yes" iff p >= threshold); Infinity / −Infinity mark the padding points. */
  thresholds: number[];
  falseAlarmRate: number[];
  hitRate: number[];
  /** Trapezoid area |∫ HR dFAR|, clipped to [0, 1] (= Mann–Whitney with all distinct thresholds). */
  auc: number;
}

/**
 * ROC curve: HR = hits/(hits + misses), FAR = false alarms/(false alarms + correct negatives) for each threshold,
 * "yes" iff p >= threshold (xskillscore `roc`). thresholds 'continuous' = every distinct forecast value; the curve
 * is padded with (0, 0) and (1, 1) where they are missing.
 */
export function rocCurve(
  probabilities: ArrayLike<number>,
  outcomes: ArrayLike<number>,
  thresholds: 'continuous' | ArrayLike<number> = 'continuous',
  sampleWeights?: ArrayLike<number>,
): RocCurve {
  checkPair(probabilities, outcomes, sampleWeights);
  const list =
    thresholds === 'continuous'
      ? Array.from(new Set(Array.from(probabilities)))
      : Array.from(thresholds as ArrayLike<number>, (t, i) => {
          if (Number.isNaN(t)) throw new Error(`thresholds[${i}] must not be NaN`);
          return t;
        });
  list.sort((a, b) => b - a);
  let events = 0;
  let nonEvents = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const w = sampleWeights ? sampleWeights[i]! : 1;
    if (outcomes[i]! === 1) events += w;
    else nonEvents += w;
  }
  // Sweep forecasts in descending order once: O(N log N + T).
  const order = Array.from({ length: probabilities.length }, (_, i) => i).sort((a, b) => probabilities[b]! - probabilities[a]!);
  const far: number[] = [];
  const hr: number[] = [];
  const th: number[] = [];
  let hits = 0;
  let falseAlarms = 0;
  let next = 0;
  for (const t of list) {
    while (next < order.length && probabilities[order[next]!]! >= t) {
      const i = order[next]!;
      const w = sampleWeights ? sampleWeights[i]! : 1;
      if (outcomes[i]! === 1) hits += w;
      else falseAlarms += w;
      next++;
    }
    th.push(t);
    hr.push(events > 0 ? hits / events : Number.NaN);
    far.push(nonEvents > 0 ? falseAlarms / nonEvents : Number.NaN);
  }
  if (!(far[0] === 0 && hr[0] === 0)) {
    th.unshift(Infinity);
    far.unshift(0);
    hr.unshift(0);
  }
  if (!(far[far.length - 1] === 1 && hr[hr.length - 1] === 1)) {
    th.push(-Infinity);
    far.push(1);
    hr.push(1);
  }
  let area = 0;
  for (let i = 1; i < far.length; i++) area += ((far[i]! - far[i - 1]!) * (hr[i]! + hr[i - 1]!)) / 2;
  const auc = Math.min(1, Math.max(0, Math.abs(area)));
  return { thresholds: th, falseAlarmRate: far, hitRate: hr, auc };
}

/**
 * Binary log score −[o ln(p + eps) + (1 − o) ln(1 − p + eps)], averaged (scoringrules `log_score` with eps = 0;
 * HENS Part I uses eps = 1e-9 so that p ∈ {0, 1} stays finite).
 */
export function logScore(probabilities: ArrayLike<number>, outcomes: ArrayLike<number>, eps = 0, sampleWeights?: ArrayLike<number>): number {
  checkPair(probabilities, outcomes, sampleWeights);
  if (!(eps >= 0)) throw new Error(`eps must be >= 0, got ${eps}`);
  const v = new Float64Array(probabilities.length);
  for (let i = 0; i < v.length; i++) {
    const p = probabilities[i]!;
    v[i] = outcomes[i]! === 1 ? -Math.log(p + eps) : -Math.log(1 - p + eps);
  }
  return weightedMean(v, sampleWeights);
}
