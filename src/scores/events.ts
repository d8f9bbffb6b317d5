// Mergeable histogram of ensemble event forecasts: weights of events and non-events per number of exceeding members
// e = 0..M. Everything built from (p = e/M, o) pairs — Brier, fair Brier, reliability, Murphy decomposition, ROC —
// follows from it exactly, in memory O(M) whatever the number of points and times pooled.

import { checkPositiveInteger } from './grid.ts';
import { brierDecomposition, brierScore, reliabilityDiagram, rocCurve, type BrierDecomposition, type ProbabilityBin, type ProbabilityBinning, type RocCurve } from './probability.ts';

export class ProbabilityHistogram {
  readonly members: number;
  /** Weight of cases with e exceeding members and the event observed, e = 0..M. */
  readonly eventWeight: Float64Array;
  /** Weight of cases with e exceeding members and no event. */
  readonly nonEventWeight: Float64Array;

  constructor(members: number) {
    checkPositiveInteger('members', members);
    this.members = members;
    this.eventWeight = new Float64Array(members + 1);
    this.nonEventWeight = new Float64Array(members + 1);
  }

  /** Adds one case: `exceeding` members forecast the event, outcome 1 (event) or 0, sample weight `weight`. */
  add(exceeding: number, outcome: number, weight = 1): this {
    if (!(Number.isInteger(exceeding) && exceeding >= 0 && exceeding <= this.members)) {
      throw new Error(`exceeding members must be an integer in [0, ${this.members}], got ${exceeding}`);
    }
    if (outcome === 1) this.eventWeight[exceeding] += weight;
    else if (outcome === 0) this.nonEventWeight[exceeding] += weight;
    else throw new Error(`outcome must be 0 or 1, got ${outcome}`);
    return this;
  }

  merge(other: ProbabilityHistogram): this {
    if (other.members !== this.members) throw new Error(`merge: member counts differ (${this.members} vs ${other.members})`);
    for (let e = 0; e <= this.members; e++) {
      this.eventWeight[e] += other.eventWeight[e]!;
      this.nonEventWeight[e] += other.nonEventWeight[e]!;
    }
    return this;
  }

  /** The compact weighted sample: one (p, o, weight) per non-empty histogram cell. */
  samples(): { probabilities: Float64Array; outcomes: Float64Array; weights: Float64Array } {
    const p: number[] = [];
    const o: number[] = [];
    const w: number[] = [];
    for (let e = 0; e <= this.members; e++) {
      if (this.eventWeight[e]! > 0) {
        p.push(e / this.members);
        o.push(1);
        w.push(this.eventWeight[e]!);
      }
      if (this.nonEventWeight[e]! > 0) {
        p.push(e / this.members);
        o.push(0);
        w.push(this.nonEventWeight[e]!);
      }
    }
    return { probabilities: Float64Array.from(p), outcomes: Float64Array.from(o), weights: Float64Array.from(w) };
  }

  /** Total weight of all cases. */
  total(): number {
    let t = 0;
    for (let e = 0; e <= this.members; e++) t += this.eventWeight[e]! + this.nonEventWeight[e]!;
    return t;
  }

  /** Weighted mean (p − o)². */
  brier(): number {
    const s = this.samples();
    return brierScore(s.probabilities, s.outcomes, s.weights);
  }

  /** Fair Brier (Ferro): weighted mean of (p − o)² − e(M − e)/(M²(M − 1)); NaN for M = 1. */
  fairBrier(): number {
    const M = this.members;
    if (M < 2) return Number.NaN;
    let num = 0;
    let den = 0;
    for (let e = 0; e <= M; e++) {
      const p = e / M;
      const corr = (e * (M - e)) / (M * M * (M - 1));
      const we = this.eventWeight[e]!;
      const wn = this.nonEventWeight[e]!;
      num += we * ((p - 1) ** 2 - corr) + wn * (p * p - corr);
      den += we + wn;
    }
    return num / den;
  }

  /** Weighted event frequency ō. */
  baseRate(): number {
    let ev = 0;
    let all = 0;
    for (let e = 0; e <= this.members; e++) {
      ev += this.eventWeight[e]!;
      all += this.eventWeight[e]! + this.nonEventWeight[e]!;
    }
    return ev / all;
  }

  reliability(binning: ProbabilityBinning = {}): ProbabilityBin[] {
    const s = this.samples();
    return reliabilityDiagram(s.probabilities, s.outcomes, binning, s.weights);
  }

  decomposition(binning?: ProbabilityBinning, baseRate?: number): BrierDecomposition {
    const s = this.samples();
    return brierDecomposition(s.probabilities, s.outcomes, binning, s.weights, baseRate);
  }

  roc(): RocCurve {
    const s = this.samples();
    return rocCurve(s.probabilities, s.outcomes, 'continuous', s.weights);
  }
}
