// Test helper: a small synthetic verification data set scored with the scores library (two Gaussian ensembles,
// one under-dispersive), turned into tidy records and a report bundle with every section's data.
import { crpsEnsemble } from '../../src/scores/crps.ts';
import { expectedOutlierFraction, outlierFraction, ranksOfTruth, rankHistogram } from '../../src/scores/ranks.ts';
import { eventOutcomes, eventProbabilities, reliabilityDiagram, rocCurve } from '../../src/scores/probability.ts';
import { BeyondTruthHistogram, membersBeyondTruth } from '../../src/scores/huge.ts';
import { rankHistogramRecords, reliabilityRecords, rocRecords, sigmaBinRecords, type ReportInput } from '../../src/report/bundle.ts';
import type { ResultRecord } from '../../src/report/results.ts';

/** Seeded uniform generator (mulberry32) and standard normals by Box–Muller. */
export function normalSource(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

interface Synthetic {
  ensemble: Float64Array; // (M, P) member-major
  truth: Float64Array;
}

/** Truth y = s + e_y, members x_m = s + k·e_m: calibrated when k = 1, under-dispersive when k < 1. */
function synthetic(members: number, points: number, errorSd: number, spreadFactor: number, seed: number): Synthetic {
  const rn = normalSource(seed);
  const signal = Float64Array.from({ length: points }, () => rn());
  const truth = signal.map((s) => s + errorSd * rn());
  const ensemble = new Float64Array(members * points);
  for (let m = 0; m < members; m++) for (let p = 0; p < points; p++) ensemble[m * points + p] = signal[p]! + spreadFactor * errorSd * rn();
  return { ensemble, truth };
}

export const SAMPLE_ENSEMBLES = [
  { name: 'sfno-bvmc', spreadFactor: 0.8 },
  { name: 'physics', spreadFactor: 1.0 },
] as const;

/** Scores a synthetic ensemble per lead and returns a report input holding data for every section. */
export function sampleReportInput(opts: { members?: number; points?: number; leads?: number[] } = {}): ReportInput {
  const members = opts.members ?? 20;
  const points = opts.points ?? 600;
  const leads = opts.leads ?? [24, 72, 120, 168, 240];
  const results: ResultRecord[] = [];
  const base = { variable: 't2m', region: 'global' };
  SAMPLE_ENSEMBLES.forEach((e, ei) => {
    for (const lead of leads) {
      const sd = 0.3 + lead / 120;
      const { ensemble, truth } = synthetic(members, points, sd, e.spreadFactor, 1000 * ei + lead);
      const keys = { ...base, lead_hours: lead, ensemble: e.name };
      let se = 0;
      let vr = 0;
      let crps = 0;
      const x = new Float64Array(members);
      for (let p = 0; p < points; p++) {
        let mean = 0;
        for (let m = 0; m < members; m++) mean += x[m] = ensemble[m * points + p]!;
        mean /= members;
        let v = 0;
        for (let m = 0; m < members; m++) v += (x[m]! - mean) ** 2;
        vr += v / (members - 1);
        se += (mean - truth[p]!) ** 2;
        crps += crpsEnsemble(x, truth[p]!, 'standard');
      }
      const rmse = Math.sqrt(se / points);
      const spread = Math.sqrt(vr / points);
      results.push({ ...keys, metric: 'rmse', value: rmse }, { ...keys, metric: 'spread', value: spread });
      results.push({ ...keys, metric: 'ssr', value: spread / rmse }, { ...keys, metric: 'crps', value: crps / points });
      let seq = 0;
      const uniform = () => ((seq = (seq * 1103515245 + 12345) % 2147483648) / 2147483648);
      const ranks = ranksOfTruth(ensemble, truth, members, points, uniform);
      const histogram = rankHistogram(ranks, members);
      results.push(...rankHistogramRecords(histogram, keys));
      results.push({ ...keys, metric: 'outlier_fraction', value: outlierFraction(histogram) });
      results.push({ ...keys, metric: 'expected_outlier_fraction', value: expectedOutlierFraction(members) });
      const threshold = 1.5;
      const prob = eventProbabilities(ensemble, members, points, threshold);
      const obs = eventOutcomes(truth, threshold);
      const tk = { ...keys, threshold: '>1.5' };
      results.push(...reliabilityRecords(reliabilityDiagram(prob, obs), tk));
      results.push(...rocRecords(rocCurve(prob, obs), tk));
      results.push({ ...tk, metric: 'base_rate', value: obs.reduce((a, b) => a + b, 0) / points });
      const { sigmaDistance, beyond } = membersBeyondTruth(ensemble, truth, members, points);
      results.push(...sigmaBinRecords(new BeyondTruthHistogram([0, 1, 2, 3, 4, Infinity]).add(sigmaDistance, beyond).bins(), keys));
      if (lead === leads[leads.length - 1]) {
        // Sub-ensemble sizes: the best member's RMSE over nested random subsets (deterministic, first-n members).
        for (const size of [2, 5, 10, members]) {
          let best = 0;
          for (let p = 0; p < points; p++) {
            let b = Infinity;
            for (let m = 0; m < size; m++) b = Math.min(b, (ensemble[m * points + p]! - truth[p]!) ** 2);
            best += b;
          }
          const v = Math.sqrt(best / points);
          results.push({ ...keys, size, metric: 'best_member_rmse', value: v });
          results.push({ ...keys, size, metric: 'best_member_rmse_lower', value: v * 0.95 });
          results.push({ ...keys, size, metric: 'best_member_rmse_upper', value: v * 1.05 });
          results.push({ ...keys, size, metric: 'coverage', value: 1 - 2 / (size + 1) - (1 - e.spreadFactor) * 0.2 });
          results.push({ ...keys, size, metric: 'expected_coverage', value: 1 - 2 / (size + 1) });
        }
      }
    }
  });
  // Spectra: a k^-3 power law for members and truth; the ensemble mean loses small scales with lead time.
  const k = Array.from({ length: 63 }, (_, i) => i + 1);
  const spectra: NonNullable<ReportInput['spectra']> = [];
  for (const lead of [leads[0]!, leads[leads.length - 1]!]) {
    spectra.push({ variable: 'z500', lead_hours: lead, ensemble: 'truth', kind: 'truth', wavenumber: k, power: k.map((l) => 1e4 * l ** -3) });
    for (const e of SAMPLE_ENSEMBLES) {
      spectra.push({ variable: 'z500', lead_hours: lead, ensemble: e.name, kind: 'members', wavenumber: k, power: k.map((l) => 1e4 * l ** -3 * (e.spreadFactor < 1 ? 0.9 : 1)) });
      spectra.push({ variable: 'z500', lead_hours: lead, ensemble: e.name, kind: 'ensemble_mean', wavenumber: k, power: k.map((l) => 1e4 * l ** -3 * Math.exp(-l * lead / 2400)) });
    }
  }
  // EFI map on a 32 × 64 grid (row 0 northernmost): a warm anomaly over one region; the pole rows missing.
  const nlat = 32;
  const nlon = 64;
  const lat = Array.from({ length: nlat }, (_, i) => 90 - (i + 0.5) * (180 / nlat));
  const lon = Array.from({ length: nlon }, (_, j) => j * (360 / nlon));
  const values: number[] = [];
  for (let i = 0; i < nlat; i++) {
    for (let j = 0; j < nlon; j++) {
      const d2 = ((lat[i]! - 40) / 15) ** 2 + ((lon[j]! - 260) / 30) ** 2;
      values.push(i === 0 ? NaN : Math.tanh(1.6 * Math.exp(-d2) - 0.3 * Math.sin((lon[j]! * Math.PI) / 90) * Math.cos((lat[i]! * Math.PI) / 180)));
    }
  }
  const maps: NonNullable<ReportInput['maps']> = [{ name: 'efi', variable: 't2m', lead_hours: 120, ensemble: 'sfno-bvmc', lat, lon, values }];
  return { title: 'Synthetic verification', subtitle: 'Two Gaussian ensembles scored by the myriad scores library.', results, spectra, maps };
}
