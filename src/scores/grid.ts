// Shared types, input checks, latitude (area) weights and area-weighted means for the scores layer.
// Grid arrays are (…, nlat, nlon) with row 0 northernmost; ensembles are member-major (M, nlat, nlon).

import { areaWeights } from '../sphere/grid.ts';

/** A numeric array the scores accept as input; all accumulation is done in Float64. */
export type NumericArray = Float32Array | Float64Array;

/** A uniform random source on [0, 1) (e.g. a Philox stream from the engine, injected by the caller). */
export type UniformSource = () => number;

/** Shape of one horizontal field. */
export interface GridShape {
  nlat: number;
  nlon: number;
}

/** Throws a clear error naming the field when a value is not a positive integer. */
export function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/** Throws a clear error when an array does not have the expected number of elements. */
export function checkLength(name: string, array: ArrayLike<number>, expected: number, shapeText: string): void {
  if (array === null || array === undefined || typeof array.length !== 'number') {
    throw new Error(`${name} must be a numeric array of length ${expected} (${shapeText}), got ${String(array)}`);
  }
  if (array.length !== expected) {
    throw new Error(`${name} has length ${array.length}, expected ${expected} (${shapeText})`);
  }
}

/** Checks a grid shape and returns its number of points nlat*nlon. */
export function gridPoints(grid: GridShape): number {
  checkPositiveInteger('grid.nlat', grid.nlat);
  checkPositiveInteger('grid.nlon', grid.nlon);
  return grid.nlat * grid.nlon;
}

/** Checks latitude weights (one per latitude row, finite, >= 0, not all zero). */
export function checkLatitudeWeights(weights: Float64Array, nlat: number): void {
  checkLength('latitudeWeights', weights, nlat, 'one weight per latitude row');
  let sum = 0;
  for (let i = 0; i < nlat; i++) {
    const w = weights[i]!;
    if (!Number.isFinite(w) || w < 0) throw new Error(`latitudeWeights[${i}] must be finite and >= 0, got ${w}`);
    sum += w;
  }
  if (!(sum > 0)) throw new Error('latitudeWeights must not all be zero');
}

/**
 * WeatherBench 2 cell-area latitude weights (metrics-factsheet §2.1, WB2 `get_lat_weights`):
 * bounds are the midpoints between neighbouring latitudes with ±90° as the outer bounds,
 * w_k = sin(upper_k) − sin(lower_k), normalised to mean 1. Latitudes in degrees, strictly monotone in
 * either direction (row 0 northernmost, i.e. decreasing, is the project convention).
 */
export function latitudeWeights(latitudesDeg: ArrayLike<number>): Float64Array {
  for (let i = 0; i < latitudesDeg.length; i++) {
    const v = latitudesDeg[i]!;
    if (!Number.isFinite(v) || v < -90 || v > 90) throw new Error(`latitudesDeg[${i}] must be in [-90, 90], got ${v}`);
  }
  // one implementation of the WB2 rule, in the sphere layer (radians)
  return areaWeights(Float64Array.from(latitudesDeg, (v) => (v * Math.PI) / 180));
}

/** cos(latitude) weights normalised to mean 1 (earth2studio / earth2mip convention; zero at the poles; §2.1). */
export function cosineLatitudeWeights(latitudesDeg: ArrayLike<number>): Float64Array {
  const n = latitudesDeg.length;
  if (n < 1) throw new Error('latitudesDeg must hold at least one latitude');
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = latitudesDeg[i]!;
    if (!Number.isFinite(v) || v < -90 || v > 90) throw new Error(`latitudesDeg[${i}] must be in [-90, 90], got ${v}`);
    out[i] = Math.max(0, Math.cos((v * Math.PI) / 180));
    sum += out[i]!;
  }
  if (!(sum > 0)) throw new Error('cosineLatitudeWeights: all latitudes are poles, weights would be zero');
  for (let i = 0; i < n; i++) out[i] = out[i]! / (sum / n);
  return out;
}

/**
 * Area-weighted mean of one field (nlat, nlon): Σ w_k a_kl / Σ_kl w_k (§2.1, xarray `.weighted(w).mean`).
 * NaN values propagate.
 */
export function areaMean(field: ArrayLike<number>, grid: GridShape, latWeights: Float64Array): number {
  const points = gridPoints(grid);
  checkLength('field', field, points, `nlat*nlon = ${grid.nlat}*${grid.nlon}`);
  checkLatitudeWeights(latWeights, grid.nlat);
  let num = 0;
  let den = 0;
  for (let i = 0; i < grid.nlat; i++) {
    const w = latWeights[i]!;
    let row = 0;
    const base = i * grid.nlon;
    for (let j = 0; j < grid.nlon; j++) row += field[base + j]!;
    num += w * row;
    den += w * grid.nlon;
  }
  return num / den;
}

/** Per-point weights w_k (lat row of point) for a flattened grid, for use with weighted sums. */
export function pointWeights(grid: GridShape, latWeights: Float64Array): Float64Array {
  const points = gridPoints(grid);
  checkLatitudeWeights(latWeights, grid.nlat);
  const out = new Float64Array(points);
  for (let i = 0; i < grid.nlat; i++) out.fill(latWeights[i]!, i * grid.nlon, (i + 1) * grid.nlon);
  return out;
}

/** Checks a member-major ensemble (M, P) and a truth (P); returns nothing, throws a named error. */
export function checkEnsemble(ensemble: ArrayLike<number>, members: number, points: number, name = 'ensemble'): void {
  checkPositiveInteger('members', members);
  checkLength(name, ensemble, members * points, `members*points = ${members}*${points}, member-major`);
}

/** Mean over an array of numbers (e.g. per-time values), WB2's time mean (§2.2). */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('mean: no values to average');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}
