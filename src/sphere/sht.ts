// Spherical harmonic transforms as engine graph fragments (float32 or float64, batched, differentiable).
//
// Layouts. onnxruntime's Transpose and Gather are slow (≈1–2 GB/s here) while its GEMMs are fast, so the
// transforms work in an internal layout in which every step is a GEMM, a batched GEMM, a block slice/concat or an
// elementwise op:
//   grid (internal)   [nlon, Bf, nlat_f]  longitude outermost, the batch Bf in the middle, latitude innermost in
//                     *folded* order: north rows 0..h0−1, the equator row (odd nlat), then the south rows from the
//                     pole upwards (row nlat−1, nlat−2, …), so that mirror rows sit at the same offset in both halves.
//   spectra (packed)  a list of blocks, one per group of g orders m (one parity) and degrees l of one equatorial
//                     parity (or all degrees, without the equatorial split); `ShtPlan.blocks` says which (m, l) each
//                     entry holds. Two orientations:
//                     'batch-major' [g, 2·Bf, nl] (tables as prepacked GEMM right operands: best for small batches)
//                     'degree-major' [g, nl, 2·Bf] (degree outermost: channel contractions per l are plain GEMMs).
// The public layout (…, nlat, nlon) ↔ (…, lmax, mmax) of torch-harmonics is converted at the boundary only
// (`toInternal`, `fromInternal`, `packedToLM`, `lmToPacked`). Conventions are torch-harmonics v0.6.3's.
import { type DType, type Dim, type Tensor, Graph, GraphError, formatShape } from '../engine/graph.ts';
import type { Float64Tensor, Grid } from './grid.ts';
import {
  type ShtConfig,
  type ShtOptions,
  resolveShtConfig,
  scalarForwardTable,
  scalarInverseTable,
  vectorForwardTable,
  vectorInverseTable,
} from './legendre.ts';

/** A complex tensor as two real tensors of the same shape. */
export interface ComplexPair {
  re: Tensor;
  im: Tensor;
}

export interface ShtGraphOptions extends ShtOptions {
  /** working precision of the graph (tables are computed in float64 and rounded); default float32 */
  dtype?: 'float32' | 'float64';
  /** orders m per Legendre MatMul group; default 8 for cache-sized tables, else 1 (2-D tables packed once by onnxruntime) */
  groupSize?: number;
  /** orientation of the packed spectral blocks (see the file header); default 'batch-major' */
  blockLayout?: 'batch-major' | 'degree-major';
  /** longitude transform: one DFT MatMul ('direct'), two MatMul stages n = n1·n2 ('factorised'), or 'auto' */
  dft?: 'auto' | 'direct' | 'factorised';
  /** first factor n1 of nlon for the factorised DFT (even; default chosen by a flop model) */
  dftFactor?: number;
  /**
   * Legendre stage on equatorially symmetric/antisymmetric half grids (default true: half the table entries and
   * FLOPs, blocks split by degree parity) or on all rows at once (false: one block per group of orders with every
   * degree, no half-grid sums and joins, i.e. fewer passes over the data, at twice the Legendre FLOPs)
   */
  equatorialSymmetry?: boolean;
}

/**
 * One Legendre block: orders `ms` (ascending, one parity of m) at DFT-order positions `slots` (i0 = slots[0]; the
 * positions are consecutive for the direct DFT, spread over the stage-2 batches for the factorised one), degrees `ls`.
 */
export interface SpectralBlock {
  i0: number;
  /** DFT-order position of each order in `ms` */
  slots: number[];
  ms: number[];
  ls: number[];
  /** the degrees' parity relative to m: 'even' (l+m even, symmetric about the equator), 'odd', or 'all' (no split) */
  parity: 'even' | 'odd' | 'all';
}

/** Packed spectral coefficients: one tensor [g, 2·Bf, nl] (axis 1 = (re/im, Bf)) per block of the plan. */
export type Packed = Tensor[];

// ------------------------------------------------------------------ longitude transform plan

interface DftPlan {
  nlon: number;
  M: number;
  n1: number; // 1 = direct
  n2: number;
  M2: number;
  /** number of distinct stage-1 orders p = 0..n1/2 (real input: orders n1−p are their conjugates) */
  P: number;
  /** m at each DFT output position (−1 for padding) */
  order: number[];
}

/**
 * Flop model per row: direct 4·n·M; factorised n = n1·n2 (j = j1·n2 + j2, m = m1 + n1·m2, n1 even), using the real
 * input's symmetry: stage 1 computes orders p = 0..n1/2 only (4·P·n), stage 2 both m1 = p and n1 − p from them
 * (16·P·M2·n2).
 */
export function dftCost(nlon: number, M: number, n1: number): number {
  if (n1 <= 1) return 4 * nlon * M;
  const P = Math.floor(n1 / 2) + 1;
  return 4 * P * nlon + 16 * P * Math.ceil(M / n1) * (nlon / n1);
}

function planDft(nlon: number, M: number, mode: 'auto' | 'direct' | 'factorised', factor?: number): DftPlan {
  const direct = (): DftPlan => {
    const order: number[] = [];
    for (let m = 0; m < M; m += 2) order.push(m);
    for (let m = 1; m < M; m += 2) order.push(m);
    return { nlon, M, n1: 1, n2: nlon, M2: M, P: 0, order };
  };
  if (mode === 'direct') return direct();
  let best = 1;
  let bestCost = mode === 'factorised' ? Infinity : dftCost(nlon, M, 1);
  const candidates = factor !== undefined ? [factor] : Array.from({ length: nlon }, (_, i) => i).filter((d) => d >= 2 && nlon % d === 0 && d < nlon && d % 2 === 0);
  for (const n1 of candidates) {
    if (!Number.isInteger(n1) || n1 < 2 || nlon % n1 !== 0 || n1 >= nlon)
      throw new GraphError(`SHT: dftFactor must be a proper divisor of nlon ${nlon} (at least 2), got ${n1}`);
    // small-K GEMMs run below peak: ask for a clear win before leaving the single GEMM
    const c = dftCost(nlon, M, n1) * 1.5;
    if (c < bestCost) {
      bestCost = c;
      best = n1;
    }
  }
  if (best === 1) {
    if (mode === 'factorised') throw new GraphError(`SHT: nlon ${nlon} has no even factor for a factorised DFT`);
    return direct();
  }
  const n1 = best;
  const M2 = Math.ceil(M / n1);
  const P = Math.floor(n1 / 2) + 1;
  const order: number[] = [];
  for (let p = 0; p < P; p++)
    for (let w = 0; w < 2; w++)
      for (let m2 = 0; m2 < M2; m2++) {
        const selfConjugate = p === 0 || 2 * p === n1;
        const m = (w === 0 ? p : n1 - p) + n1 * m2;
        order.push(w === 1 && selfConjugate ? -1 : m < M ? m : -1);
      }
  return { nlon, M, n1, n2: nlon / n1, M2, P, order };
}

function cast(data: Float64Array, dtype: DType): Float64Array | Float32Array {
  return dtype === 'float64' ? data : Float32Array.from(data);
}

const angle = (j: number, m: number, n: number) => (2 * Math.PI * ((j * m) % n)) / n;

/** x [nlon, R] → X [Mo, 2, R] in DFT order, scaled 2π/nlon (torch-harmonics' forward convention). */
function forwardDft(g: Graph, p: DftPlan, x: Tensor, dtype: DType): Tensor {
  const { nlon, order } = p;
  const scale = (2 * Math.PI) / nlon;
  const Mo = order.length;
  if (p.n1 === 1) {
    const F = new Float64Array(2 * Mo * nlon);
    order.forEach((m, i) => {
      for (let j = 0; j < nlon; j++) {
        F[2 * i * nlon + j] = scale * Math.cos(angle(j, m, nlon));
        F[(2 * i + 1) * nlon + j] = -scale * Math.sin(angle(j, m, nlon));
      }
    });
    return g.reshape(g.matmul(g.constant(cast(F, dtype), [2 * Mo, nlon], dtype), x), [Mo, 2, -1]);
  }
  const { n1, n2, M2, P } = p;
  // stage 1 (j = j1·n2 + j2): Y[(p, c1), (j2, R)] = Σ_j1 e^{−2πi j1 p/n1} x[j1, (j2, R)], p = 0..n1/2
  const F1 = new Float64Array(2 * P * n1);
  for (let q = 0; q < P; q++)
    for (let j1 = 0; j1 < n1; j1++) {
      F1[2 * q * n1 + j1] = Math.cos(angle(j1, q, n1));
      F1[(2 * q + 1) * n1 + j1] = -Math.sin(angle(j1, q, n1));
    }
  const Y = g.matmul(g.constant(cast(F1, dtype), [2 * P, n1], dtype), g.reshape(x, [n1, -1])); // [2P, n2·R]
  // stage 2, per p, for m1 = p (Y_p) and m1 = n1 − p (conj Y_p): X[m1 + n1·m2] = scale · Σ_j2 Y_m1[j2] e^{−2πi j2 m/n}
  const T = new Float64Array(P * 4 * M2 * 2 * n2);
  for (let q = 0; q < P; q++)
    for (let w = 0; w < 2; w++)
      for (let m2 = 0; m2 < M2; m2++) {
        const m = order[(q * 2 + w) * M2 + m2];
        if (m < 0) continue;
        const sgn = w === 0 ? 1 : -1;
        const row = (w * M2 + m2) * 2;
        for (let j2 = 0; j2 < n2; j2++) {
          const c = scale * Math.cos(angle(j2, m, nlon));
          const s = scale * Math.sin(angle(j2, m, nlon));
          // Xre = Σ Yre c + sgn·Yim s ; Xim = Σ −Yre s + sgn·Yim c   (columns (c1, j2))
          const base = (q * 4 * M2 + row) * 2 * n2;
          T[base + j2] = c;
          T[base + n2 + j2] = sgn * s;
          T[base + 2 * n2 + j2] = -s;
          T[base + 2 * n2 + n2 + j2] = sgn * c;
        }
      }
  const X = g.matmul(g.constant(cast(T, dtype), [P, 4 * M2, 2 * n2], dtype), g.reshape(Y, [P, 2 * n2, -1])); // [P, 4M2, R]
  return g.reshape(X, [Mo, 2, -1]);
}

/** F [Mo, 2, R] in DFT order → f [nlon, R]: f = Re F_0 + 2 Σ_{m>0} Re(F_m e^{imλ}) (Nyquist once; Im of m = 0 ignored). */
function inverseDft(g: Graph, p: DftPlan, F: Tensor, dtype: DType): Tensor {
  const { nlon, order } = p;
  const cm = (m: number) => (m === 0 || 2 * m === nlon ? 1 : 2);
  const Mo = order.length;
  if (p.n1 === 1) {
    const G = new Float64Array(nlon * 2 * Mo);
    for (let j = 0; j < nlon; j++)
      order.forEach((m, i) => {
        G[j * 2 * Mo + 2 * i] = cm(m) * Math.cos(angle(j, m, nlon));
        G[j * 2 * Mo + 2 * i + 1] = -cm(m) * Math.sin(angle(j, m, nlon));
      });
    return g.matmul(g.constant(cast(G, dtype), [nlon, 2 * Mo], dtype), g.reshape(F, [2 * Mo, -1]));
  }
  const { n1, n2, M2, P } = p;
  // stage A, per p: Z'[p] = Z_p + conj(Z_{n1−p}) with Z_m1(j2) = Σ_m2 c_m F_m e^{2πi j2 m/n}, m = m1 + n1 m2
  const TA = new Float64Array(P * 2 * n2 * 4 * M2);
  for (let q = 0; q < P; q++)
    for (let w = 0; w < 2; w++)
      for (let m2 = 0; m2 < M2; m2++) {
        const m = order[(q * 2 + w) * M2 + m2];
        if (m < 0) continue;
        const sgn = w === 0 ? 1 : -1;
        const col = ((w * M2 + m2) * 2);
        for (let j2 = 0; j2 < n2; j2++) {
          const c = cm(m) * Math.cos(angle(j2, m, nlon));
          const s = cm(m) * Math.sin(angle(j2, m, nlon));
          const base = q * 2 * n2 * 4 * M2;
          // Zre = Σ Fre c − Fim s ; Zim = sgn · Σ (Fre s + Fim c)   (rows (c1, j2), columns (w, m2, c))
          TA[base + j2 * 4 * M2 + col] = c;
          TA[base + j2 * 4 * M2 + col + 1] = -s;
          TA[base + (n2 + j2) * 4 * M2 + col] = sgn * s;
          TA[base + (n2 + j2) * 4 * M2 + col + 1] = sgn * c;
        }
      }
  const Z = g.matmul(g.constant(cast(TA, dtype), [P, 2 * n2, 4 * M2], dtype), g.reshape(F, [P, 4 * M2, -1])); // [P, 2n2, R]
  // stage B: f[j1, (j2, R)] = Σ_p Z're cos(2π p j1/n1) − Z'im sin(2π p j1/n1)
  const GB = new Float64Array(n1 * 2 * P);
  for (let j1 = 0; j1 < n1; j1++)
    for (let q = 0; q < P; q++) {
      GB[j1 * 2 * P + 2 * q] = Math.cos(angle(q, j1, n1));
      GB[j1 * 2 * P + 2 * q + 1] = -Math.sin(angle(q, j1, n1));
    }
  return g.reshape(g.matmul(g.constant(cast(GB, dtype), [n1, 2 * P], dtype), g.reshape(Z, [2 * P, -1])), [nlon, -1]);
}

// ------------------------------------------------------------------ the plan

/**
 * The precomputed plan of one transform family (grid, truncation, normalisation, dtype): DFT plan, grouping of
 * orders, and the Legendre tables (built lazily per kind and kept, so several graphs share them).
 */
export class ShtPlan {
  readonly config: ShtConfig;
  readonly dtype: 'float32' | 'float64';
  readonly dft: DftPlan;
  readonly blocks: SpectralBlock[];
  /**
   * Orders grouped for the Legendre stage: ascending orders of one parity, `groupSize` at a time, so that a group's
   * degree ranges (and padded tables) are nearly equal; `slots` are their DFT-order positions
   */
  readonly groups: { i0: number; ms: number[]; slots: number[] }[];
  /** true when every group is a consecutive run of DFT positions in DFT order (block slices need no gather) */
  readonly contiguous: boolean;
  readonly nHalf: number; // symmetric rows (incl. the equator row when nlat is odd)
  readonly nHalfAnti: number; // antisymmetric rows
  readonly groupSize: number;
  readonly blockLayout: 'batch-major' | 'degree-major';
  readonly equatorialSymmetry: boolean;
  /** internal (folded) row r holds grid row foldedRows[r] */
  readonly foldedRows: number[];
  private tables = new Map<string, Float64Tensor>();
  private consts = new Map<string, Float64Array | Float32Array>();

  constructor(grid: Grid, options: ShtGraphOptions = {}) {
    this.config = resolveShtConfig(grid, options);
    const { lmax, mmax } = this.config;
    const { nlat, nlon } = this.config.grid;
    if (mmax > Math.floor(nlon / 2) + 1)
      throw new GraphError(`SHT: mmax ${mmax} exceeds nlon/2 + 1 = ${Math.floor(nlon / 2) + 1} for nlon ${nlon}`);
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') throw new GraphError(`SHT: dtype must be float32 or float64, got ${this.dtype}`);
    this.dft = planDft(nlon, mmax, options.dft ?? 'auto', options.dftFactor);
    // one order per block (2-D tables that onnxruntime packs once) when the tables stream from memory; groups of
    // orders (fewer nodes) when the half-triangle tables stay cache-sized — measured on 180×360 vs 721×1440 grids
    const tableBytes = (lmax * mmax * nlat * (this.dtype === 'float64' ? 8 : 4)) / 4;
    this.groupSize = options.groupSize ?? (tableBytes < 16 * 2 ** 20 ? 8 : 1);
    this.blockLayout = options.blockLayout ?? 'batch-major';
    this.equatorialSymmetry = options.equatorialSymmetry ?? true;
    if (this.blockLayout !== 'batch-major' && this.blockLayout !== 'degree-major')
      throw new GraphError(`SHT: blockLayout must be 'batch-major' or 'degree-major', got ${String(this.blockLayout)}`);
    if (!Number.isInteger(this.groupSize) || this.groupSize < 1) throw new GraphError(`SHT: groupSize must be a positive integer, got ${this.groupSize}`);
    this.nHalf = Math.ceil(nlat / 2);
    this.nHalfAnti = Math.floor(nlat / 2);
    this.foldedRows = [];
    for (let r = 0; r < this.nHalf; r++) this.foldedRows.push(r);
    for (let k = 0; k < this.nHalfAnti; k++) this.foldedRows.push(nlat - 1 - k);
    // group ascending orders of one parity of m (the DFT order of the factorised transform interleaves high and low
    // orders; grouping by order keeps each group's degree range, and so its padded table, small)
    this.groups = [];
    const order = this.dft.order;
    const slotOf = new Map<number, number>();
    order.forEach((m, i) => {
      if (m >= 0) slotOf.set(m, i);
    });
    for (const parity of [0, 1]) {
      const ms: number[] = [];
      for (let m = parity; m < mmax; m += 2) ms.push(m);
      for (let i = 0; i < ms.length; i += this.groupSize) {
        const chunk = ms.slice(i, i + this.groupSize);
        const slots = chunk.map((m) => slotOf.get(m)!);
        this.groups.push({ i0: slots[0], ms: chunk, slots });
      }
    }
    // canonical order (even orders first, whatever the DFT: plans of different grids pack spectra alike); single
    // orders in DFT order instead, so that their blocks stay slices of one Split rather than one gather each
    if (this.groupSize === 1) this.groups.sort((a, b) => a.i0 - b.i0);
    let next = 0;
    this.contiguous = this.groups.every((grp) => {
      const ok = grp.slots.every((slot, k) => slot === grp.i0 + k) && grp.i0 >= next;
      next = grp.i0 + grp.ms.length;
      return ok;
    });
    this.blocks = [];
    for (const grp of this.groups) {
      const m0 = Math.min(...grp.ms);
      const even: number[] = [];
      const odd: number[] = [];
      for (let l = m0; l < lmax; l++) ((l - grp.ms[0]) % 2 === 0 || !this.equatorialSymmetry ? even : odd).push(l);
      if (!this.equatorialSymmetry) {
        if (even.length) this.blocks.push({ i0: grp.i0, slots: grp.slots, ms: grp.ms, ls: even, parity: 'all' });
        continue;
      }
      if (even.length) this.blocks.push({ i0: grp.i0, slots: grp.slots, ms: grp.ms, ls: even, parity: 'even' });
      if (odd.length) this.blocks.push({ i0: grp.i0, slots: grp.slots, ms: grp.ms, ls: odd, parity: 'odd' });
    }
  }

  private table(kind: 'sf' | 'si' | 'vf' | 'vi'): Float64Tensor {
    let t = this.tables.get(kind);
    if (!t) {
      t =
        kind === 'sf' ? scalarForwardTable(this.config)
        : kind === 'si' ? scalarInverseTable(this.config)
        : kind === 'vf' ? vectorForwardTable(this.config)
        : vectorInverseTable(this.config);
      this.tables.set(kind, t);
    }
    return t;
  }

  /**
   * Table entries of one block on the half grid, as [g, nl, rows] (`lRows`) or [g, rows, nl], in the working dtype.
   * rows: the symmetric half (nHalf rows) or the antisymmetric half (nHalfAnti rows); for a parity 'all' block,
   * every row in the internal (folded) order (rows = nlat).
   */
  blockTable(kind: 'sf' | 'si' | 'vf' | 'vi', d: number, b: SpectralBlock, rows: number, lRows: boolean): Float64Array | Float32Array {
    const key = `${kind}:${d}:${b.i0}:${b.parity}:${rows}:${lRows}`;
    let out = this.consts.get(key);
    if (out) return out;
    const table = this.table(kind);
    const [mmax, lmax, nlat] = table.shape.slice(-3);
    const data = new Float64Array(b.ms.length * rows * b.ls.length);
    b.ms.forEach((m, i) =>
      b.ls.forEach((l, j) => {
        const base = ((d * mmax + m) * lmax + l) * nlat;
        for (let k = 0; k < rows; k++) {
          const v = table.data[base + (b.parity === 'all' ? this.foldedRows[k] : k)];
          if (lRows) data[(i * b.ls.length + j) * rows + k] = v;
          else data[(i * rows + k) * b.ls.length + j] = v;
        }
      }),
    );
    out = cast(data, this.dtype);
    this.consts.set(key, out);
    return out;
  }
}

// ------------------------------------------------------------------ Legendre stage on the internal layout

/** Zeros [n, K, rows] where K (possibly symbolic) is axis 1 of `like` ([*, K, *]). */
function zerosMid(g: Graph, n: number, rows: number, like: Tensor, dtype: DType): Tensor {
  const k = g.mul(g.slice(g.slice(like, [0], [1], [0]), [0], [1], [2]), 0); // [1, K, 1]
  return g.add(g.constant(cast(new Float64Array(n * rows), dtype), [n, 1, rows], dtype), k);
}

/** Internal grid [nlon, Bf, nlat_f] → its DFT [Mo, 2·Bf, nlat_f] (axis 1 = (re/im, Bf)). */
function dftGrid(g: Graph, plan: ShtPlan, x: Tensor): Tensor {
  const { nlon, nlat } = plan.config.grid;
  return g.reshape(forwardDft(g, plan.dft, g.reshape(x, [nlon, -1]), plan.dtype), [plan.dft.order.length, -1, nlat]);
}

/** Inverse of `dftGrid`: [Mo, 2·Bf, nlat_f] → internal grid [nlon, Bf, nlat_f]. */
function idftGrid(g: Graph, plan: ShtPlan, F: Tensor): Tensor {
  const { nlon, nlat } = plan.config.grid;
  const f = inverseDft(g, plan.dft, g.reshape(F, [plan.dft.order.length, 2, -1]), plan.dtype);
  return g.reshape(f, [nlon, -1, nlat]);
}

/** Equatorially symmetric [.., h] and antisymmetric [.., h0] parts of X [Mo, K, nlat_f] (folded rows). */
function symAnti(g: Graph, plan: ShtPlan, X: Tensor): { sym: Tensor; anti: Tensor | null } {
  const h = plan.nHalf;
  const h0 = plan.nHalfAnti;
  if (h0 === 0) return { sym: X, anti: null };
  const top = g.slice(X, [0], [h0], [2]);
  const bottom = g.slice(X, [h], [h + h0], [2]);
  const sum = g.add(top, bottom);
  const sym = h > h0 ? g.concat([sum, g.slice(X, [h0], [h], [2])], 2) : sum;
  return { sym, anti: g.sub(top, bottom) };
}

/** The Legendre stage's input: the half-grid parts, or (no equatorial symmetry) all rows as `sym`. */
function legendreInput(g: Graph, plan: ShtPlan, X: Tensor): { sym: Tensor; anti: Tensor | null } {
  return plan.equatorialSymmetry ? symAnti(g, plan, X) : { sym: X, anti: null };
}

/** Inverse of `symAnti`: S [Mo, K, h], A [Mo, K, h0] → [Mo, K, nlat_f]. */
function joinSymAnti(g: Graph, plan: ShtPlan, S: Tensor, A: Tensor | null): Tensor {
  const h = plan.nHalf;
  const h0 = plan.nHalfAnti;
  if (!A) return S;
  const s = h > h0 ? g.slice(S, [0], [h0], [2]) : S;
  const parts = [g.add(s, A)];
  if (h > h0) parts.push(g.slice(S, [h0], [h], [2]));
  parts.push(g.sub(s, A));
  return g.concat(parts, 2);
}

/** Legendre analysis with table component d: sym/anti parts [Mo, 2Bf, rows] → blocks [g, 2Bf, nl]. */
function analysisBlocks(g: Graph, plan: ShtPlan, parts: { sym: Tensor; anti: Tensor | null }, kind: 'sf' | 'vf', d: number, flip: boolean, layout = plan.blockLayout): Packed {
  const dtype = plan.dtype;
  return plan.blocks.map((b) => {
    const symmetric = b.parity === 'all' || (b.parity === 'even') !== flip;
    const src = symmetric ? parts.sym : parts.anti;
    const gsz = b.ms.length;
    const degreeMajor = layout === 'degree-major';
    if (!src) {
      const z = zerosMid(g, gsz, b.ls.length, parts.sym, dtype); // [g, 2Bf, nl]
      return degreeMajor ? g.transpose(z, [0, 2, 1]) : z;
    }
    const rows = src.shape[2] as number;
    // [g, 2Bf, rows]: sibling slices are exported as one Split; spread slots (factorised DFT) are gathered
    const xs = plan.contiguous ? g.slice(src, [b.i0], [b.i0 + gsz], [0]) : g.gather(src, b.slots, 0);
    if (degreeMajor) {
      // W [g, nl, rows] @ xsᵀ: onnxruntime fuses the transpose into the GEMM
      const table = plan.blockTable(kind, d, b, rows, true);
      const xt = g.transpose(xs, [0, 2, 1]);
      return gsz === 1
        ? g.reshape(g.matmul(g.constant(table, [b.ls.length, rows], dtype), g.reshape(xt, [rows, -1])), [1, b.ls.length, -1])
        : g.matmul(g.constant(table, [gsz, b.ls.length, rows], dtype), xt);
    }
    const table = plan.blockTable(kind, d, b, rows, false);
    // one order per block: a 2-D constant right operand, which onnxruntime packs once at load (≈3× faster here)
    return gsz === 1
      ? g.matmul(xs, g.constant(table, [rows, b.ls.length], dtype))
      : g.matmul(xs, g.constant(table, [gsz, rows, b.ls.length], dtype));
  });
}

/**
 * Legendre synthesis of blocks [g, 2Bf, nl] with table component d → per group the symmetric [g, 2Bf, h] and
 * antisymmetric [g, 2Bf, h0] parts, keyed `${i0}:sym|anti` (callers may add several before `assembleParts`).
 */
function synthesisParts(g: Graph, plan: ShtPlan, blocks: Packed, kind: 'si' | 'vi', d: number, flip: boolean, layout = plan.blockLayout): Map<string, Tensor> {
  const dtype = plan.dtype;
  const parts = new Map<string, Tensor>();
  plan.blocks.forEach((b, bi) => {
    const all = b.parity === 'all';
    const symmetric = all || (b.parity === 'even') !== flip;
    const rows = all ? plan.config.grid.nlat : symmetric ? plan.nHalf : plan.nHalfAnti;
    if (rows === 0) return;
    const gsz = b.ms.length;
    const table = plan.blockTable(kind, d, b, rows, true);
    // degree-major blocks are transposed into the GEMM (fused by onnxruntime), the table stays the packed right operand
    const c = layout === 'degree-major' ? g.transpose(blocks[bi], [0, 2, 1]) : blocks[bi]; // [g, 2Bf, nl]
    const y =
      gsz === 1
        ? g.matmul(c, g.constant(table, [b.ls.length, rows], dtype))
        : g.matmul(c, g.constant(table, [gsz, b.ls.length, rows], dtype)); // [g, 2Bf, rows]
    const key = `${b.i0}:${all ? 'all' : symmetric ? 'sym' : 'anti'}`;
    const prev = parts.get(key);
    parts.set(key, prev ? g.add(prev, y) : y);
  });
  return parts;
}

function addParts(g: Graph, a: Map<string, Tensor>, b: Map<string, Tensor>, sign: 1 | -1): Map<string, Tensor> {
  const out = new Map(a);
  for (const [k, t] of b) {
    const prev = out.get(k);
    out.set(k, prev ? (sign > 0 ? g.add(prev, t) : g.sub(prev, t)) : sign > 0 ? t : g.neg(t));
  }
  return out;
}

/** Concatenates per-group parts in DFT order (zeros where a group has none) and joins the halves → [Mo, 2Bf, nlat_f]. */
function assembleParts(g: Graph, plan: ShtPlan, parts: Map<string, Tensor>): Tensor {
  const dtype = plan.dtype;
  const like = parts.values().next().value as Tensor; // any part: [g, 2Bf, rows]
  if (!like) throw new GraphError('SHT synthesis: no spectral blocks contribute (lmax too small for this grid?)');
  const one = (which: 'sym' | 'anti' | 'all', rows: number): Tensor => {
    const pieces: Tensor[] = [];
    const zeros = (n: number) => zerosMid(g, n, rows, like, dtype);
    const Mo = plan.dft.order.length;
    if (plan.contiguous) {
      let pos = 0;
      for (const grp of plan.groups) {
        if (grp.i0 > pos) pieces.push(zeros(grp.i0 - pos));
        pieces.push(parts.get(`${grp.i0}:${which}`) ?? zeros(grp.ms.length));
        pos = grp.i0 + grp.ms.length;
      }
      if (pos < Mo) pieces.push(zeros(Mo - pos));
      return pieces.length === 1 ? pieces[0] : g.concat(pieces, 0);
    }
    // groups in group order, then one gather into DFT order; padding positions (no order) take any computed row,
    // which the inverse DFT multiplies by zero
    const index = new Array<number>(Mo).fill(0);
    let pos = 0;
    for (const grp of plan.groups) {
      pieces.push(parts.get(`${grp.i0}:${which}`) ?? zeros(grp.ms.length));
      grp.slots.forEach((slot, k) => (index[slot] = pos + k));
      pos += grp.ms.length;
    }
    return g.gather(pieces.length === 1 ? pieces[0] : g.concat(pieces, 0), index, 0);
  };
  if (!plan.equatorialSymmetry) return one('all', plan.config.grid.nlat);
  const S = one('sym', plan.nHalf);
  const A = plan.nHalfAnti > 0 ? one('anti', plan.nHalfAnti) : null;
  return joinSymAnti(g, plan, S, A);
}

function checkInternal(op: string, plan: ShtPlan, x: Tensor): void {
  const { nlat, nlon } = plan.config.grid;
  if (x.dtype !== plan.dtype) throw new GraphError(`${op}: input is ${x.dtype} but the plan is ${plan.dtype}`);
  if (x.rank !== 3 || x.shape[0] !== nlon || x.shape[2] !== nlat)
    throw new GraphError(`${op}: expected an internal grid [${nlon}, Bf, ${nlat}], got ${formatShape(x.shape)}`);
}

function checkPacked(op: string, plan: ShtPlan, blocks: Packed): void {
  if (blocks.length !== plan.blocks.length) throw new GraphError(`${op}: expected ${plan.blocks.length} spectral blocks, got ${blocks.length}`);
  blocks.forEach((t, i) => {
    const b = plan.blocks[i];
    const lAxis = plan.blockLayout === 'degree-major' ? 1 : 2;
    if (t.rank !== 3 || t.shape[0] !== b.ms.length || t.shape[lAxis] !== b.ls.length || t.dtype !== plan.dtype)
      throw new GraphError(
        `${op}: block ${i} must be ${plan.dtype} ${plan.blockLayout === 'degree-major' ? `[${b.ms.length}, ${b.ls.length}, 2·Bf]` : `[${b.ms.length}, 2·Bf, ${b.ls.length}]`}, got ${t.dtype} ${formatShape(t.shape)}`,
      );
  });
}

/** Scalar analysis in the internal layout: grid [nlon, Bf, nlat_f] → packed blocks [g, 2·Bf, nl]. */
export function analysis(g: Graph, plan: ShtPlan, x: Tensor): Packed {
  checkInternal('analysis', plan, x);
  return analysisBlocks(g, plan, legendreInput(g, plan, dftGrid(g, plan, x)), 'sf', 0, false);
}

/** Scalar synthesis in the internal layout: packed blocks [g, 2·Bf, nl] → grid [nlon, Bf, nlat_f]. */
export function synthesis(g: Graph, plan: ShtPlan, blocks: Packed): Tensor {
  checkPacked('synthesis', plan, blocks);
  return idftGrid(g, plan, assembleParts(g, plan, synthesisParts(g, plan, blocks, 'si', 0, false)));
}

/** Vector analysis: internal grid [nlon, 2 (v_θ, v_λ)·Bf, nlat_f] → blocks [g, (re/im, s/t, Bf), nl]. */
export function vectorAnalysis(g: Graph, plan: ShtPlan, v: Tensor): Packed {
  checkInternal('vectorAnalysis', plan, v);
  const parts = legendreInput(g, plan, dftGrid(g, plan, v)); // axis 1 = (re/im, comp, Bf)
  const A0 = analysisBlocks(g, plan, parts, 'vf', 0, true, 'batch-major'); // ∂θ tables: parity flipped
  const A1 = analysisBlocks(g, plan, parts, 'vf', 1, false, 'batch-major');
  return toLayout(g, plan, A0.map((a0, i) => {
    const gsz = a0.shape[0] as number;
    const nl = a0.shape[2] as number;
    const r0 = g.reshape(a0, [gsz, 2, 2, -1, nl]);
    const r1 = g.reshape(A1[i], [gsz, 2, 2, -1, nl]);
    const part = (t: Tensor, c: number, comp: number) => g.slice(t, [c, comp], [c + 1, comp + 1], [1, 2]);
    // s = Σ (X0 W0 + i X1 W1), t = Σ (i X0 W1 − X1 W0)
    const sRe = g.sub(part(r0, 0, 0), part(r1, 1, 1));
    const sIm = g.add(part(r0, 1, 0), part(r1, 0, 1));
    const tRe = g.neg(g.add(part(r1, 1, 0), part(r0, 0, 1)));
    const tIm = g.sub(part(r1, 0, 0), part(r0, 1, 1));
    const re = g.concat([sRe, tRe], 2);
    const im = g.concat([sIm, tIm], 2);
    return g.reshape(g.concat([re, im], 1), [gsz, -1, nl]);
  }));
}

/** Batch-major blocks → the plan's layout. */
function toLayout(g: Graph, plan: ShtPlan, blocks: Packed): Packed {
  return plan.blockLayout === 'degree-major' ? blocks.map((b) => g.transpose(b, [0, 2, 1])) : blocks;
}

/** The plan's layout → batch-major blocks. */
function toBatchMajor(g: Graph, plan: ShtPlan, blocks: Packed): Packed {
  return plan.blockLayout === 'degree-major' ? blocks.map((b) => g.transpose(b, [0, 2, 1])) : blocks;
}

/**
 * Number of values of the packed spectra for `Bf` batch rows: the length of `flattenPacked`'s result
 * (Σ over blocks of g · 2·Bf · nl, for any block layout).
 */
export function packedLength(plan: ShtPlan, Bf: number): number {
  return plan.blocks.reduce((n, b) => n + b.ms.length * 2 * Bf * b.ls.length, 0);
}

/**
 * Whether the flat packed vector is the blocks joined along their degree axis, [2·Bf, Σ nl] row-major (plans with one
 * order per block, batch-major: the 721×1440 kind, where a reshape per block costs ~1 ms per transform in node
 * overheads), rather than block after block.
 */
export function flatByDegree(plan: ShtPlan): boolean {
  return plan.blockLayout === 'batch-major' && plan.blocks.length > 1 && plan.blocks.every((b) => b.ms.length === 1);
}

/**
 * All packed blocks as one 1-D tensor: one graph output or input instead of one per block, for standalone graphs
 * that exchange spectra with the host (each feed or fetch through onnxruntime costs tens of µs; inside a graph keep
 * the blocks). Block after block, each in its own layout; with one order per block (`flatByDegree`) the blocks
 * [1, 2·Bf, nl] joined along the degree axis instead.
 */
export function flattenPacked(g: Graph, plan: ShtPlan, blocks: Packed): Tensor {
  checkPacked('flattenPacked', plan, blocks);
  if (flatByDegree(plan)) return g.reshape(g.concat(blocks, 2), [-1]);
  const flat = blocks.map((b) => g.reshape(b, [-1]));
  return flat.length === 1 ? flat[0] : g.concat(flat, 0);
}

/** Inverse of `flattenPacked` for a known batch `Bf`: 1-D [packedLength(plan, Bf)] → blocks in the plan's layout. */
export function unflattenPacked(g: Graph, plan: ShtPlan, flat: Tensor, Bf: number): Packed {
  if (!Number.isInteger(Bf) || Bf < 1) throw new GraphError(`unflattenPacked: batch Bf must be a positive integer, got ${Bf}`);
  const n = packedLength(plan, Bf);
  if (flat.rank !== 1 || flat.shape[0] !== n || flat.dtype !== plan.dtype)
    throw new GraphError(`unflattenPacked: expected a ${plan.dtype} vector of ${n} values (Bf ${Bf}), got ${flat.dtype} ${formatShape(flat.shape)}`);
  let offset = 0;
  if (flatByDegree(plan)) {
    const all = g.reshape(flat, [1, 2 * Bf, n / (2 * Bf)]);
    return plan.blocks.map((b) => g.slice(all, [offset], [(offset += b.ls.length)], [2]));
  }
  return plan.blocks.map((b) => {
    const size = b.ms.length * 2 * Bf * b.ls.length;
    const piece = plan.blocks.length === 1 ? flat : g.slice(flat, [offset], [offset + size], [0]);
    offset += size;
    return g.reshape(piece, plan.blockLayout === 'degree-major' ? [b.ms.length, b.ls.length, 2 * Bf] : [b.ms.length, 2 * Bf, b.ls.length]);
  });
}

/** Vector synthesis: blocks [g, (re/im, s/t, Bf), nl] → internal grid [nlon, 2 (v_θ, v_λ)·Bf, nlat_f]. */
export function vectorSynthesis(g: Graph, plan: ShtPlan, blocks: Packed): Tensor {
  checkPacked('vectorSynthesis', plan, blocks);
  blocks = toBatchMajor(g, plan, blocks);
  const split = (t: Tensor) => g.reshape(t, [t.shape[0] as number, 2, -1, t.shape[2] as number]); // [g, 2, K, nl]
  const sel = (t: Tensor, st: number) => {
    const gsz = t.shape[0] as number;
    const nl = t.shape[2] as number;
    return g.reshape(g.slice(g.reshape(t, [gsz, 2, 2, -1, nl]), [st], [st + 1], [2]), [gsz, -1, nl]);
  };
  // i·z: (re, im) → (−im, re)
  const timesI = (t: Tensor) => {
    const r = split(t);
    return g.reshape(g.concat([g.neg(g.slice(r, [1], [2], [1])), g.slice(r, [0], [1], [1])], 1), [t.shape[0] as number, -1, t.shape[2] as number]);
  };
  const S = blocks.map((b) => sel(b, 0));
  const T = blocks.map((b) => sel(b, 1));
  // comp0 = Σ (S D0 + i T D1), comp1 = Σ (i S D1 − T D0)
  const bm = 'batch-major';
  const comp0 = addParts(g, synthesisParts(g, plan, S, 'vi', 0, true, bm), synthesisParts(g, plan, T.map(timesI), 'vi', 1, false, bm), 1);
  const comp1 = addParts(g, synthesisParts(g, plan, S.map(timesI), 'vi', 1, false, bm), synthesisParts(g, plan, T, 'vi', 0, true, bm), -1);
  const { nlat } = plan.config.grid;
  const Mo = plan.dft.order.length;
  const F0 = g.reshape(assembleParts(g, plan, comp0), [Mo, 2, 1, -1, nlat]);
  const F1 = g.reshape(assembleParts(g, plan, comp1), [Mo, 2, 1, -1, nlat]);
  return idftGrid(g, plan, g.reshape(g.concat([F0, F1], 2), [Mo, -1, nlat])); // [nlon, (comp, Bf), nlat_f]
}

// ------------------------------------------------------------------ the public layout

/** [..., nlat, nlon] → internal [nlon, Bf, nlat_f] (Bf = product of the leading dims). */
export function toInternal(g: Graph, plan: ShtPlan, x: Tensor): Tensor {
  const { nlat, nlon } = plan.config.grid;
  const folded = g.gather(g.reshape(x, [-1, nlat, nlon]), plan.foldedRows, 1);
  return g.transpose(folded, [2, 0, 1]);
}

function unfoldIndex(plan: ShtPlan): number[] {
  const unfold = new Array<number>(plan.config.grid.nlat);
  plan.foldedRows.forEach((row, r) => (unfold[row] = r));
  return unfold;
}

/** Internal [nlon, Bf, nlat_f] → [...lead, nlat, nlon]. */
export function fromInternal(g: Graph, plan: ShtPlan, y: Tensor, lead: readonly Dim[]): Tensor {
  const { nlat, nlon } = plan.config.grid;
  const t = g.transpose(y, [1, 2, 0]); // [Bf, nlat_f, nlon]
  return g.reshape(g.gather(t, unfoldIndex(plan), 1), [...lead, nlat, nlon]);
}

/** Packed blocks [g, 2, Bf, nl] → (re, im) [...lead, lmax, mmax] (zeros outside the computed triangle). */
export function packedToLM(g: Graph, plan: ShtPlan, blocks: Packed, lead: readonly Dim[]): ComplexPair {
  const { lmax, mmax } = plan.config;
  const flat: Tensor[] = [];
  const position = new Int32Array(2 * lmax * mmax).fill(-1);
  let offset = 0;
  const bmBlocks = toBatchMajor(g, plan, blocks);
  plan.blocks.forEach((b, bi) => {
    const n = b.ms.length * 2 * b.ls.length;
    const blk = bmBlocks[bi];
    flat.push(g.reshape(g.transpose(g.reshape(blk, [blk.shape[0] as number, 2, -1, blk.shape[2] as number]), [2, 0, 1, 3]), [-1, n])); // [Bf, g·2·nl]
    b.ms.forEach((m, i) =>
      [0, 1].forEach((c) => b.ls.forEach((l, j) => (position[(c * lmax + l) * mmax + m] = offset + (i * 2 + c) * b.ls.length + j))),
    );
    offset += n;
  });
  const all = g.pad(g.concat(flat, 1), [0, 0, 0, 1]); // one zero column at the end
  const idx = Array.from(position, (p) => (p < 0 ? offset : p));
  const c = g.reshape(g.gather(all, idx, 1), [-1, 2, lmax * mmax]);
  return {
    re: g.reshape(g.slice(c, [0], [1], [1]), [...lead, lmax, mmax]),
    im: g.reshape(g.slice(c, [1], [2], [1]), [...lead, lmax, mmax]),
  };
}

/** (re, im) [..., lmax, mmax] → packed blocks [g, 2, Bf, nl]. */
export function lmToPacked(g: Graph, plan: ShtPlan, c: ComplexPair): Packed {
  const { lmax, mmax } = plan.config;
  const re = g.reshape(c.re, [-1, 1, lmax * mmax]);
  const im = g.reshape(c.im, [-1, 1, lmax * mmax]);
  const t = g.reshape(g.concat([re, im], 1), [-1, 2 * lmax * mmax]); // [Bf, 2·L·M]
  return toLayout(g, plan, plan.blocks.map((b) => {
    const idx: number[] = [];
    b.ms.forEach((m) => [0, 1].forEach((cc) => b.ls.forEach((l) => idx.push((cc * lmax + l) * mmax + m))));
    const blk = g.transpose(g.reshape(g.gather(t, idx, 1), [-1, b.ms.length, 2, b.ls.length]), [1, 2, 0, 3]); // [g, 2, Bf, nl]
    return g.reshape(blk, [b.ms.length, -1, b.ls.length]);
  }));
}

function gridLead(op: string, plan: ShtPlan, x: Tensor, vector: boolean): Dim[] {
  const { nlat, nlon } = plan.config.grid;
  const s = x.shape;
  if (x.dtype !== plan.dtype) throw new GraphError(`${op}: input is ${x.dtype} but the plan is ${plan.dtype}`);
  if (s.length < (vector ? 3 : 2) || s[s.length - 2] !== nlat || s[s.length - 1] !== nlon || (vector && s[s.length - 3] !== 2))
    throw new GraphError(`${op}: expected (…,${vector ? ' 2,' : ''} ${nlat}, ${nlon}) for this grid, got ${formatShape(s)}`);
  return s.slice(0, s.length - (vector ? 3 : 2));
}

function spectralLead(op: string, plan: ShtPlan, c: ComplexPair, vector: boolean): Dim[] {
  const { lmax, mmax } = plan.config;
  const s = c.re.shape;
  if (c.re.dtype !== plan.dtype || c.im.dtype !== plan.dtype) throw new GraphError(`${op}: coefficients must be ${plan.dtype}`);
  if (s.length < (vector ? 3 : 2) || s[s.length - 2] !== lmax || s[s.length - 1] !== mmax || formatShape(s) !== formatShape(c.im.shape) || (vector && s[s.length - 3] !== 2))
    throw new GraphError(`${op}: expected re/im of shape (…,${vector ? ' 2,' : ''} ${lmax}, ${mmax}), got ${formatShape(s)} and ${formatShape(c.im.shape)}`);
  return s.slice(0, s.length - (vector ? 3 : 2));
}

/** Scalar forward SHT in torch-harmonics' layout: x [..., nlat, nlon] → coefficients [..., lmax, mmax]. */
export function shtForward(g: Graph, plan: ShtPlan, x: Tensor): ComplexPair {
  const lead = gridLead('shtForward', plan, x, false);
  return packedToLM(g, plan, analysis(g, plan, toInternal(g, plan, x)), lead);
}

/** Scalar inverse SHT in torch-harmonics' layout: coefficients [..., lmax, mmax] → field [..., nlat, nlon]. */
export function shtInverse(g: Graph, plan: ShtPlan, c: ComplexPair): Tensor {
  const lead = spectralLead('shtInverse', plan, c, false);
  return fromInternal(g, plan, synthesis(g, plan, lmToPacked(g, plan, c)), lead);
}

/** Vector forward SHT: (v_θ, v_λ) [..., 2, nlat, nlon] → (spheroidal, toroidal) [..., 2, lmax, mmax]. */
export function vectorShtForward(g: Graph, plan: ShtPlan, v: Tensor): ComplexPair {
  const lead = gridLead('vectorShtForward', plan, v, true);
  const { nlat, nlon } = plan.config.grid;
  const { lmax, mmax } = plan.config;
  // [B, 2, nlat, nlon] → internal [nlon, 2·B, nlat_f]
  const x = g.reshape(g.transpose(g.gather(g.reshape(v, [-1, 2, nlat, nlon]), plan.foldedRows, 2), [3, 1, 0, 2]), [nlon, -1, nlat]);
  const c = packedToLM(g, plan, vectorAnalysis(g, plan, x), [2, -1]); // [2 (s,t), B, L, M]
  const perm = (t: Tensor) => g.reshape(g.transpose(t, [1, 0, 2, 3]), [...lead, 2, lmax, mmax]);
  return { re: perm(c.re), im: perm(c.im) };
}

/** Vector inverse SHT: (spheroidal, toroidal) [..., 2, lmax, mmax] → (v_θ, v_λ) [..., 2, nlat, nlon]. */
export function vectorShtInverse(g: Graph, plan: ShtPlan, c: ComplexPair): Tensor {
  const lead = spectralLead('vectorShtInverse', plan, c, true);
  const { nlat, nlon } = plan.config.grid;
  const { lmax, mmax } = plan.config;
  const st = (t: Tensor) => g.transpose(g.reshape(t, [-1, 2, lmax, mmax]), [1, 0, 2, 3]); // [2 (s,t), B, L, M]
  const f = vectorSynthesis(g, plan, lmToPacked(g, plan, { re: st(c.re), im: st(c.im) })); // [nlon, 2·B, nlat_f]
  const t = g.transpose(g.reshape(f, [nlon, 2, -1, nlat]), [2, 1, 3, 0]); // [B, 2, nlat_f, nlon]
  return g.reshape(g.gather(t, unfoldIndex(plan), 2), [...lead, 2, nlat, nlon]);
}
