// Latitude–longitude grids on the sphere: quadrature rules (Clenshaw–Curtis, Legendre–Gauss, Lobatto) as
// torch-harmonics v0.6.3 builds them, grid coordinates, and WeatherBench 2 area weights for averaging scores.

/** The three latitude rules torch-harmonics' SHT classes accept. */
export type GridKind = 'equiangular' | 'legendre-gauss' | 'lobatto';

export const GRID_KINDS: readonly GridKind[] = ['equiangular', 'legendre-gauss', 'lobatto'];

/** A global grid: `nlat` latitude rows (row 0 northernmost), `nlon` equally spaced longitudes starting at 0. */
export interface Grid {
  kind: GridKind;
  nlat: number;
  nlon: number;
}

/** A float64 array with an explicit row-major shape. */
export interface Float64Tensor {
  data: Float64Array;
  shape: number[];
}

/** A complex float64 array stored as separate real and imaginary parts of the same shape. */
export interface ComplexTensor {
  re: Float64Array;
  im: Float64Array;
  shape: number[];
}

/** Product of the entries of a shape (1 for the empty shape). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Smallest number of latitudes each rule needs. */
export function minimumLatitudes(kind: GridKind): number {
  return kind === 'legendre-gauss' ? 1 : 2;
}

/**
 * Checks a grid description and returns it typed. Errors name the field, the value and what was expected.
 * `what` prefixes the messages (e.g. "sht.grid").
 */
export function validateGrid(grid: unknown, what = 'grid'): Grid {
  if (grid === null || typeof grid !== 'object') {
    throw new TypeError(`${what}: expected an object { kind, nlat, nlon }, got ${describe(grid)}`);
  }
  const g = grid as Record<string, unknown>;
  if (typeof g.kind !== 'string' || !(GRID_KINDS as readonly string[]).includes(g.kind)) {
    throw new RangeError(`${what}.kind: expected one of ${GRID_KINDS.map((k) => `'${k}'`).join(', ')}, got ${describe(g.kind)}`);
  }
  const kind = g.kind as GridKind;
  const minLat = minimumLatitudes(kind);
  if (typeof g.nlat !== 'number' || !Number.isInteger(g.nlat) || g.nlat < minLat) {
    throw new RangeError(`${what}.nlat: expected an integer >= ${minLat} for a '${kind}' grid, got ${describe(g.nlat)}`);
  }
  if (typeof g.nlon !== 'number' || !Number.isInteger(g.nlon) || g.nlon < 1) {
    throw new RangeError(`${what}.nlon: expected an integer >= 1, got ${describe(g.nlon)}`);
  }
  return { kind, nlat: g.nlat, nlon: g.nlon };
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Nodes x = cos θ in ascending order (south → north) and weights on [−1, 1] (they sum to 2). */
export interface QuadratureRule {
  x: Float64Array;
  w: Float64Array;
}

/**
 * Legendre–Gauss rule with n nodes (roots of P_n), as numpy's `leggauss`: Newton-polished roots,
 * weights ∝ 1/(P_{n−1}(x) P_n'(x)), symmetrised and scaled to sum 2. Exact for polynomials of degree 2n−1.
 */
export function legendreGaussRule(n: number): QuadratureRule {
  checkCount(n, 1, 'legendre-gauss');
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Initial guess (descending), then Newton on P_n.
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    for (let it = 0; it < 100; it++) {
      const { p, dp } = legendreAndDerivative(n, z);
      const dz = p / dp;
      z -= dz;
      if (Math.abs(dz) <= 1e-16) break;
    }
    const { p: pPrev } = legendreAndDerivative(n - 1, z);
    const { dp } = legendreAndDerivative(n, z);
    x[n - 1 - i] = z;
    w[n - 1 - i] = 1 / (pPrev * dp);
  }
  symmetrise(x, w);
  return { x, w };
}

/** P_n(z) and P_n'(z) by the three-term recurrence (P_0 = 1). */
function legendreAndDerivative(n: number, z: number): { p: number; dp: number } {
  if (n === 0) return { p: 1, dp: 0 };
  let p0 = 1;
  let p1 = z;
  for (let k = 2; k <= n; k++) {
    const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
    p0 = p1;
    p1 = p2;
  }
  // P_n' = n (z P_n − P_{n−1}) / (z² − 1); only used away from ±1 (Gauss nodes are interior).
  const dp = (n * (z * p1 - p0)) / (z * z - 1);
  return { p: p1, dp };
}

/** numpy-style symmetrisation: x ← (x − reverse x)/2, w ← (w + reverse w)/2, then w scaled to sum 2. */
function symmetrise(x: Float64Array, w: Float64Array): void {
  const n = x.length;
  const xs = new Float64Array(n);
  const ws = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = (x[i] - x[n - 1 - i]) / 2;
    ws[i] = (w[i] + w[n - 1 - i]) / 2;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += ws[i];
  for (let i = 0; i < n; i++) {
    x[i] = xs[i];
    w[i] = (ws[i] * 2) / sum;
  }
}

/**
 * Legendre–Gauss–Lobatto rule with n ≥ 2 nodes (poles included), as torch-harmonics: Newton iteration from
 * x_i = −cos(πi/(n−1)), weights 2/(n(n−1)P_{n−1}(x_i)²). Exact for polynomials of degree 2n−3.
 */
export function lobattoRule(n: number): QuadratureRule {
  checkCount(n, 2, 'lobatto');
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = -Math.cos((Math.PI * i) / (n - 1));
  const pLast = new Float64Array(n); // P_{n−1}(x_i) from the last iteration
  for (let it = 0; it < 100; it++) {
    let maxStep = 0;
    for (let i = 0; i < n; i++) {
      const z = x[i];
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n - 1; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      // here p1 = P_{n−1}(z), p0 = P_{n−2}(z)  (for n = 2: P_1 = z, P_0 = 1)
      pLast[i] = p1;
      const step = (z * p1 - p0) / (n * p1);
      x[i] = z - step;
      maxStep = Math.max(maxStep, Math.abs(step));
    }
    if (maxStep < 1e-16) break;
  }
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 2 / (n * (n - 1) * pLast[i] * pLast[i]);
  return { x, w };
}

/**
 * Clenshaw–Curtis rule with n ≥ 2 nodes x_i = cos(π − iπ/(n−1)) (numpy `cos(linspace(π, 0, n))`, poles included),
 * weights by the closed form, which equals torch-harmonics' Waldvogel FFT construction to ~1e−16.
 */
export function clenshawCurtisRule(n: number): QuadratureRule {
  checkCount(n, 2, 'equiangular');
  const x = new Float64Array(n);
  const step = (0 - Math.PI) / (n - 1);
  for (let i = 0; i < n; i++) x[i] = Math.cos(i === n - 1 ? 0 : i * step + Math.PI);
  const w = new Float64Array(n);
  const n1 = n - 1;
  const half = Math.floor(n1 / 2);
  for (let k = 0; k <= n1; k++) {
    const c = k === 0 || k === n1 ? 1 : 2;
    let s = 0;
    for (let j = 1; j <= half; j++) {
      const b = 2 * j === n1 ? 1 : 2;
      s += (b * Math.cos((2 * j * k * Math.PI) / n1)) / (4 * j * j - 1);
    }
    w[k] = (c / n1) * (1 - s);
  }
  return { x, w };
}

function checkCount(n: number, min: number, kind: GridKind): void {
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`${kind} quadrature: number of nodes must be an integer >= ${min}, got ${n}`);
  }
}

/** The quadrature rule of a grid kind with n latitudes (ascending x = cos θ, as in torch-harmonics). */
export function quadratureRule(kind: GridKind, n: number): QuadratureRule {
  switch (kind) {
    case 'legendre-gauss':
      return legendreGaussRule(n);
    case 'lobatto':
      return lobattoRule(n);
    case 'equiangular':
      return clenshawCurtisRule(n);
    default:
      throw new RangeError(`grid.kind: expected one of ${GRID_KINDS.join(', ')}, got ${describe(kind)}`);
  }
}

/**
 * Coordinates of a grid, all per row in grid order (row 0 northernmost) unless stated.
 *
 * Relation to the quadrature rule (x ascending, south → north): row k corresponds to rule node nlat−1−k,
 * colatitude θ_k = acos(x_{nlat−1−k}), so θ ascends from (or near) 0 at row 0.
 */
export interface GridGeometry {
  grid: Grid;
  /** Rule nodes x = cos θ, ascending (south → north), exactly as the quadrature rule returns them. */
  nodesAscending: Float64Array;
  /** Rule weights in the rule's (ascending-x) order; sum 2. */
  weightsAscending: Float64Array;
  /** θ_k = reverse(acos(x))_k, colatitude of row k, ascending. */
  colatitudes: Float64Array;
  /** cos(θ_k): the argument of the Legendre recursion (torch-harmonics uses cos(acos(x)), not x). */
  cosColatitudes: Float64Array;
  /** Quadrature weight of row k on [−1, 1] (the rule's weights reversed into row order; sum 2). */
  rowWeights: Float64Array;
  /**
   * The weights the torch-harmonics v0.6.3 forward SHT multiplies row k by: the rule's weights in their
   * ascending-x order, *not* reversed (they are symmetric, so this differs from rowWeights only in the last ulp).
   */
  shtWeights: Float64Array;
  /** Latitude of row k in radians, π/2 − θ_k (descending from +π/2 side). */
  latitudes: Float64Array;
  latitudesDeg: Float64Array;
  /** Longitude of column j in radians, 2πj/nlon. */
  longitudes: Float64Array;
  longitudesDeg: Float64Array;
}

/** Computes every coordinate array of a grid (float64). */
export function gridGeometry(grid: Grid): GridGeometry {
  const g = validateGrid(grid);
  const { x, w } = quadratureRule(g.kind, g.nlat);
  const n = g.nlat;
  const colatitudes = new Float64Array(n);
  const cosColatitudes = new Float64Array(n);
  const rowWeights = new Float64Array(n);
  const latitudes = new Float64Array(n);
  const latitudesDeg = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const theta = Math.acos(x[n - 1 - k]);
    colatitudes[k] = theta;
    cosColatitudes[k] = Math.cos(theta);
    rowWeights[k] = w[n - 1 - k];
    latitudes[k] = Math.PI / 2 - theta;
    latitudesDeg[k] = (latitudes[k] * 180) / Math.PI;
  }
  const longitudes = new Float64Array(g.nlon);
  const longitudesDeg = new Float64Array(g.nlon);
  const dlon = (2 * Math.PI) / g.nlon;
  for (let j = 0; j < g.nlon; j++) {
    longitudes[j] = j * dlon;
    longitudesDeg[j] = (j * 360) / g.nlon;
  }
  return {
    grid: g,
    nodesAscending: x,
    weightsAscending: w,
    colatitudes,
    cosColatitudes,
    rowWeights,
    shtWeights: Float64Array.from(w),
    latitudes,
    latitudesDeg,
    longitudes,
    longitudesDeg,
  };
}

/**
 * WeatherBench 2 latitude (area) weights (`get_lat_weights`): for latitudes φ in radians (any monotone order),
 * cell bounds are −π/2, the midpoints between sorted neighbours, +π/2; weight = sin(upper) − sin(lower),
 * normalised to mean 1. Returned in the order of the input.
 */
export function areaWeights(latitudesRad: ArrayLike<number>): Float64Array {
  const n = latitudesRad.length;
  if (n < 1) throw new RangeError('areaWeights: expected at least one latitude');
  const order = Array.from({ length: n }, (_, i) => i);
  const increasing = n < 2 || latitudesRad[1] > latitudesRad[0];
  if (!increasing) order.reverse();
  const sorted = order.map((i) => latitudesRad[i]);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sorted[i]) || Math.abs(sorted[i]) > Math.PI / 2 + 1e-12) {
      throw new RangeError(`areaWeights: latitude ${sorted[i]} rad is outside [−π/2, π/2]`);
    }
    if (i > 0 && !(sorted[i] > sorted[i - 1])) {
      throw new RangeError('areaWeights: latitudes must be strictly monotone (increasing or decreasing)');
    }
  }
  const raw = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const lower = i === 0 ? -Math.PI / 2 : (sorted[i - 1] + sorted[i]) / 2;
    const upper = i === n - 1 ? Math.PI / 2 : (sorted[i] + sorted[i + 1]) / 2;
    raw[i] = Math.sin(upper) - Math.sin(lower);
    sum += raw[i];
  }
  const mean = sum / n;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[order[i]] = raw[i] / mean;
  return out;
}

/** WeatherBench 2 area weights of each row of a grid (row 0 northernmost), mean 1 over rows. */
export function gridAreaWeights(grid: Grid): Float64Array {
  return areaWeights(gridGeometry(grid).latitudes);
}
