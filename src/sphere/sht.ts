// Spherical harmonic transforms as engine graph fragments (float32 or float64, batched, differentiable):
// a factorised real DFT along longitude, then Legendre quadrature/synthesis over the l ≥ m triangle with
// equatorial symmetry, as batched MatMuls over groups of orders m. Conventions are torch-harmonics v0.6.3's.
import { type DType, type Tensor, Graph, GraphError, formatShape } from '../engine/graph.ts';
import { type Grid } from './grid.ts';
import {
  type ShtConfig,
  type ShtOptions,
  resolveShtConfig,
  scalarForwardTable,
  scalarInverseTable,
  vectorForwardTable,
  vectorInverseTable,
} from './legendre.ts';
import type { Float64Tensor } from './grid.ts';

/** A complex tensor as two real tensors of the same shape. */
export interface ComplexPair {
  re: Tensor;
  im: Tensor;
}

export interface ShtGraphOptions extends ShtOptions {
  /** working precision of the graph (tables are computed in float64 and rounded); default float32 */
  dtype?: 'float32' | 'float64';
  /** orders m of one parity per Legendre MatMul group; default chosen from the size */
  groupSize?: number;
  /** longitude transform: one DFT MatMul ('direct'), two MatMul stages n = n1·n2 ('factorised'), or 'auto' */
  dft?: 'auto' | 'direct' | 'factorised';
  /** first factor n1 of nlon for the factorised DFT (default: chosen by a flop model) */
  dftFactor?: number;
}

// ------------------------------------------------------------------ longitude transforms

interface DftPlan {
  nlon: number;
  M: number; // number of orders kept
  n1: number; // 1 means direct
  n2: number;
  M2: number;
}

/** Flop model of the factorised DFT (stage 1: 4·n·n1 per row, stage 2: 8·n·M2 per row); direct is 4·n·M. */
export function dftCost(nlon: number, M: number, n1: number): number {
  if (n1 <= 1) return 4 * nlon * M;
  return 4 * nlon * n1 + 8 * nlon * Math.ceil(M / n1);
}

function planDft(nlon: number, M: number, mode: 'auto' | 'direct' | 'factorised', factor?: number): DftPlan {
  if (mode === 'direct') return { nlon, M, n1: 1, n2: nlon, M2: M };
  let best = 1;
  let bestCost = mode === 'factorised' ? Infinity : dftCost(nlon, M, 1);
  const candidates = factor ? [factor] : Array.from({ length: nlon - 1 }, (_, i) => i + 2).filter((d) => nlon % d === 0 && d < nlon);
  for (const n1 of candidates) {
    if (nlon % n1 !== 0 || n1 >= nlon) throw new GraphError(`SHT: dftFactor ${n1} does not divide nlon ${nlon}`);
    // the stage-2 overhead of many small batched MatMuls is real: require a clear win over direct
    const c = dftCost(nlon, M, n1) * 1.5;
    if (c < bestCost) {
      bestCost = c;
      best = n1;
    }
  }
  if (best === 1) return { nlon, M, n1: 1, n2: nlon, M2: M };
  return { nlon, M, n1: best, n2: nlon / best, M2: Math.ceil(M / best) };
}

function toDtype(data: Float64Array, dtype: DType): Float64Array | Float32Array {
  return dtype === 'float64' ? data : Float32Array.from(data);
}

/** x [R, nlon] (R may be symbolic) → X [M, R, 2] ordered (m, row, re/im), scaled 2π/nlon (torch-harmonics forward). */
function forwardDft(g: Graph, p: DftPlan, x: Tensor, dtype: DType): Tensor {
  const { nlon, M } = p;
  const scale = (2 * Math.PI) / nlon;
  if (p.n1 === 1) {
    const F = new Float64Array(nlon * 2 * M);
    for (let j = 0; j < nlon; j++)
      for (let m = 0; m < M; m++) {
        const a = (2 * Math.PI * ((j * m) % nlon)) / nlon;
        F[j * 2 * M + m] = scale * Math.cos(a);
        F[j * 2 * M + M + m] = -scale * Math.sin(a);
      }
    const X = g.matmul(x, g.constant(toDtype(F, dtype), [nlon, 2 * M], dtype)); // [R, 2M]
    const X3 = g.reshape(X, [-1, 2, M]);
    return g.transpose(X3, [2, 0, 1]); // [M, R, 2]
  }
  const { n1, n2, M2 } = p;
  // stage 1: DFT of length n1 over j1 (j = n2·j1 + j2), for every j2
  const F1 = new Float64Array(n1 * 2 * n1);
  for (let j1 = 0; j1 < n1; j1++)
    for (let m1 = 0; m1 < n1; m1++) {
      const a = (2 * Math.PI * ((j1 * m1) % n1)) / n1;
      F1[j1 * 2 * n1 + m1] = Math.cos(a);
      F1[j1 * 2 * n1 + n1 + m1] = -Math.sin(a);
    }
  const xr = g.transpose(g.reshape(x, [-1, n1, n2]), [0, 2, 1]); // [R, n2, n1]
  const Y = g.matmul(g.reshape(xr, [-1, n1]), g.constant(toDtype(F1, dtype), [n1, 2 * n1], dtype)); // [R·n2, 2n1]
  const Yt = g.transpose(g.reshape(Y, [-1, n2, 2, n1]), [3, 0, 2, 1]); // [n1, R, 2, n2]
  // stage 2: per m1, twiddle and DFT of length n2: X[m1 + n1·m2] = Σ_j2 Y[m1, j2] e^{−2πi j2 (m1 + n1 m2)/n}
  const T = new Float64Array(n1 * 2 * n2 * 2 * M2);
  for (let m1 = 0; m1 < n1; m1++)
    for (let j2 = 0; j2 < n2; j2++)
      for (let m2 = 0; m2 < M2; m2++) {
        const m = m1 + n1 * m2;
        if (m >= M) continue;
        const a = (2 * Math.PI * ((j2 * m) % nlon)) / nlon;
        const c = scale * Math.cos(a);
        const s = -scale * Math.sin(a);
        const base = m1 * 2 * n2 * 2 * M2;
        // [Yre Yim] · [[c, s], [−s, c]] for (re, im) outputs
        T[base + j2 * 2 * M2 + m2] = c;
        T[base + j2 * 2 * M2 + M2 + m2] = s;
        T[base + (n2 + j2) * 2 * M2 + m2] = -s;
        T[base + (n2 + j2) * 2 * M2 + M2 + m2] = c;
      }
  const Z = g.matmul(g.reshape(Yt, [n1, -1, 2 * n2]), g.constant(toDtype(T, dtype), [n1, 2 * n2, 2 * M2], dtype)); // [n1, R, 2M2]
  const Z4 = g.reshape(Z, [n1, -1, 2, M2]);
  const Xm = g.reshape(g.transpose(Z4, [3, 0, 1, 2]), [M2 * n1, -1, 2]); // [(m2, m1), R, 2]
  return M2 * n1 === M ? Xm : g.slice(Xm, [0], [M], [0]);
}

/** F [M, R, 2] (orders, rows, re/im) → real field [R, nlon]: f = Re F_0 + 2 Σ_{m>0} Re(F_m e^{imλ}) (Nyquist once). */
function inverseDft(g: Graph, p: DftPlan, F: Tensor, dtype: DType): Tensor {
  const { nlon, M } = p;
  const cm = (m: number) => (m === 0 || 2 * m === nlon ? 1 : 2);
  if (p.n1 === 1) {
    const G = new Float64Array(2 * M * nlon);
    for (let m = 0; m < M; m++)
      for (let j = 0; j < nlon; j++) {
        const a = (2 * Math.PI * ((j * m) % nlon)) / nlon;
        G[m * nlon + j] = cm(m) * Math.cos(a);
        G[(M + m) * nlon + j] = -cm(m) * Math.sin(a);
      }
    const Ft = g.reshape(g.transpose(F, [1, 2, 0]), [-1, 2 * M]); // [R, 2M]
    return g.matmul(Ft, g.constant(toDtype(G, dtype), [2 * M, nlon], dtype));
  }
  const { n1, n2, M2 } = p;
  let Fp = F;
  if (M2 * n1 > M) Fp = g.pad(F, [0, 0, 0, M2 * n1 - M, 0, 0]);
  // [(m2, m1), R, 2] → [n1, R, 2, M2] → [n1, R, 2M2]
  const Fq = g.reshape(g.transpose(g.reshape(Fp, [M2, n1, -1, 2]), [1, 2, 3, 0]), [n1, -1, 2 * M2]);
  // stage A: Z[m1, j2] = Σ_m2 c_m F_m e^{2πi m j2/n}, m = m1 + n1 m2
  const TA = new Float64Array(n1 * 2 * M2 * 2 * n2);
  for (let m1 = 0; m1 < n1; m1++)
    for (let m2 = 0; m2 < M2; m2++) {
      const m = m1 + n1 * m2;
      if (m >= M) continue;
      for (let j2 = 0; j2 < n2; j2++) {
        const a = (2 * Math.PI * ((j2 * m) % nlon)) / nlon;
        const c = cm(m) * Math.cos(a);
        const s = cm(m) * Math.sin(a);
        const base = m1 * 2 * M2 * 2 * n2;
        // Zre = Σ Fre c − Fim s ; Zim = Σ Fre s + Fim c
        TA[base + m2 * 2 * n2 + j2] = c;
        TA[base + m2 * 2 * n2 + n2 + j2] = s;
        TA[base + (M2 + m2) * 2 * n2 + j2] = -s;
        TA[base + (M2 + m2) * 2 * n2 + n2 + j2] = c;
      }
    }
  const Z = g.matmul(Fq, g.constant(toDtype(TA, dtype), [n1, 2 * M2, 2 * n2], dtype)); // [n1, R, 2n2]
  // stage B: f[j1, j2] = Σ_m1 Zre cos(2π m1 j1/n1) − Zim sin(2π m1 j1/n1)
  const GB = new Float64Array(2 * n1 * n1);
  for (let m1 = 0; m1 < n1; m1++)
    for (let j1 = 0; j1 < n1; j1++) {
      const a = (2 * Math.PI * ((m1 * j1) % n1)) / n1;
      GB[m1 * n1 + j1] = Math.cos(a);
      GB[(n1 + m1) * n1 + j1] = -Math.sin(a);
    }
  const Zt = g.reshape(g.transpose(g.reshape(Z, [n1, -1, 2, n2]), [1, 3, 2, 0]), [-1, 2 * n1]); // [R·n2, 2n1]
  const f = g.matmul(Zt, g.constant(toDtype(GB, dtype), [2 * n1, n1], dtype)); // [R·n2, n1]
  return g.reshape(g.transpose(g.reshape(f, [-1, n2, n1]), [0, 2, 1]), [-1, nlon]);
}

// ------------------------------------------------------------------ Legendre stage

interface OrderGroup {
  ms: number[]; // orders of one parity, ascending, step 2
  m0: number;
  even: number[]; // degrees l ≥ m0 with l ≡ m (mod 2): symmetric about the equator
  odd: number[]; // degrees l ≥ m0 with l ≢ m (mod 2): antisymmetric
}

function orderGroups(lmax: number, mmax: number, groupSize: number): OrderGroup[] {
  const groups: OrderGroup[] = [];
  for (const parity of [0, 1]) {
    const ms: number[] = [];
    for (let m = parity; m < mmax; m += 2) ms.push(m);
    for (let i = 0; i < ms.length; i += groupSize) {
      const chunk = ms.slice(i, i + groupSize);
      const m0 = chunk[0];
      if (m0 >= lmax) {
        groups.push({ ms: chunk, m0, even: [], odd: [] });
        continue;
      }
      const even: number[] = [];
      const odd: number[] = [];
      for (let l = m0; l < lmax; l++) ((l - parity) % 2 === 0 ? even : odd).push(l);
      groups.push({ ms: chunk, m0, even, odd });
    }
  }
  return groups;
}

/**
 * The precomputed plan of one transform family (grid, truncation, normalisation, dtype). Tables are built lazily
 * per direction and kept, so several graphs can share a plan.
 */
export class ShtPlan {
  readonly config: ShtConfig;
  readonly dtype: 'float32' | 'float64';
  readonly groups: OrderGroup[];
  readonly dft: DftPlan;
  readonly nHalf: number; // rows of the symmetric half (incl. the equator row when nlat is odd)
  readonly nHalfAnti: number; // rows of the antisymmetric half (equator excluded)
  readonly groupSize: number;
  private cache = new Map<string, Float64Tensor>();

  constructor(grid: Grid, options: ShtGraphOptions = {}) {
    this.config = resolveShtConfig(grid, options);
    const { lmax, mmax } = this.config;
    const { nlat, nlon } = this.config.grid;
    if (mmax > Math.floor(nlon / 2) + 1)
      throw new GraphError(`SHT: mmax ${mmax} exceeds nlon/2 + 1 = ${Math.floor(nlon / 2) + 1} for nlon ${nlon}`);
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') throw new GraphError(`SHT: dtype must be float32 or float64, got ${this.dtype}`);
    const half = Math.ceil(mmax / 2);
    this.groupSize = options.groupSize ?? Math.max(1, Math.min(half, Math.round(Math.sqrt(half) * 1.5)));
    this.groups = orderGroups(lmax, mmax, this.groupSize);
    this.dft = planDft(nlon, mmax, options.dft ?? 'auto', options.dftFactor);
    this.nHalf = Math.ceil(nlat / 2);
    this.nHalfAnti = Math.floor(nlat / 2);
  }

  table(kind: 'sf' | 'si' | 'vf' | 'vi'): Float64Tensor {
    let t = this.cache.get(kind);
    if (!t) {
      t =
        kind === 'sf' ? scalarForwardTable(this.config)
        : kind === 'si' ? scalarInverseTable(this.config)
        : kind === 'vf' ? vectorForwardTable(this.config)
        : vectorInverseTable(this.config);
      this.cache.set(kind, t);
    }
    return t;
  }

  /** Rows [m, l, k] of a [.., mmax, lmax, nlat] table (component d for vector tables) for one group, as [g, k, l] or [g, l, k]. */
  groupBlock(table: Float64Tensor, d: number, grp: OrderGroup, ls: number[], rows: number, lFirst: boolean): Float64Array {
    const [mmax, lmax, nlat] = table.shape.slice(-3);
    const out = new Float64Array(grp.ms.length * rows * ls.length);
    grp.ms.forEach((m, i) => {
      ls.forEach((l, j) => {
        const base = ((d * mmax + m) * lmax + l) * nlat;
        for (let k = 0; k < rows; k++) {
          const v = table.data[base + k];
          if (lFirst) out[(i * ls.length + j) * rows + k] = v;
          else out[(i * rows + k) * ls.length + j] = v;
        }
      });
    });
    return out;
  }
}

/** X [M, K, nlat] → symmetric [M, K, nHalf] and antisymmetric [M, K, nHalfAnti] parts about the equator. */
function splitEquator(g: Graph, plan: ShtPlan, X: Tensor): { sym: Tensor; anti: Tensor } {
  const nlat = plan.config.grid.nlat;
  const h0 = plan.nHalfAnti;
  const top = g.slice(X, [0], [h0], [2]);
  const bottomRev = g.gather(X, Array.from({ length: h0 }, (_, k) => nlat - 1 - k), 2);
  let sym = g.add(top, bottomRev);
  const anti = g.sub(top, bottomRev);
  if (nlat % 2 === 1) sym = g.concat([sym, g.slice(X, [h0], [h0 + 1], [2])], 2);
  return { sym, anti };
}

/**
 * Legendre analysis: X [M, K, nlat] (orders, any batch K, latitude) with table component d of `kind` →
 * coefficients [K, lmax, mmax]. `flip` swaps the roles of the symmetric and antisymmetric parts (θ-derivative tables).
 */
function analysis(g: Graph, plan: ShtPlan, X: Tensor, kind: 'sf' | 'vf', d: number, flip: boolean): Tensor {
  const { lmax, mmax } = plan.config;
  const dtype = plan.dtype;
  const table = plan.table(kind);
  const { sym, anti } = splitEquator(g, plan, X);
  const pieces: Tensor[] = [];
  const position = new Int32Array(lmax * mmax).fill(-1);
  let offset = 0;
  for (const grp of plan.groups) {
    for (const [ls, symmetric] of [[grp.even, !flip], [grp.odd, flip]] as const) {
      if (ls.length === 0) continue;
      const src = symmetric ? sym : anti;
      const rows = symmetric ? plan.nHalf : plan.nHalfAnti;
      if (rows === 0) continue;
      const xs = g.slice(src, [grp.m0], [grp.m0 + 2 * (grp.ms.length - 1) + 1], [0], [2]); // [g, K, rows]
      const W = plan.groupBlock(table, d, grp, ls, rows, false); // [g, rows, nl]
      const y = g.matmul(xs, g.constant(toDtype(W, dtype), [grp.ms.length, rows, ls.length], dtype)); // [g, K, nl]
      pieces.push(g.reshape(g.transpose(y, [1, 0, 2]), [-1, grp.ms.length * ls.length]));
      grp.ms.forEach((m, i) => ls.forEach((l, j) => (position[l * mmax + m] = offset + i * ls.length + j)));
      offset += grp.ms.length * ls.length;
    }
  }
  const packed = g.pad(pieces.length === 1 ? pieces[0] : g.concat(pieces, 1), [0, 0, 0, 1]); // zero slot at the end
  const idx = Array.from(position, (p) => (p < 0 ? offset : p));
  return g.reshape(g.gather(packed, idx, 1), [-1, lmax, mmax]);
}

/**
 * Legendre synthesis: coefficients C [K, lmax, mmax] with table component d of `kind` → F [M, K, nlat]
 * (F_m(θ_k) = Σ_l P[m,l,k] C[l,m]). `flip` as in `analysis`.
 */
function synthesis(g: Graph, plan: ShtPlan, C: Tensor, kind: 'si' | 'vi', d: number, flip: boolean): Tensor {
  const { lmax, mmax } = plan.config;
  const { nlat } = plan.config.grid;
  const dtype = plan.dtype;
  const table = plan.table(kind);
  const flat = g.reshape(C, [-1, lmax * mmax]);
  const symParts: Tensor[] = [];
  const antiParts: Tensor[] = [];
  const orderOf: number[] = [];
  for (const grp of plan.groups) {
    const gsz = grp.ms.length;
    orderOf.push(...grp.ms);
    for (const [ls, symmetric] of [[grp.even, !flip], [grp.odd, flip]] as const) {
      const rows = symmetric ? plan.nHalf : plan.nHalfAnti;
      const target = symmetric ? symParts : antiParts;
      if (rows === 0) continue;
      if (ls.length === 0) {
        // zeros [g, K, rows] (K may be symbolic): a zero constant broadcast against a K-shaped zero
        const kZero = g.mul(g.reshape(g.slice(flat, [0], [1], [1]), [1, -1, 1]), 0);
        target.push(g.add(g.constant(toDtype(new Float64Array(gsz * rows), dtype), [gsz, 1, rows], dtype), kZero));
        continue;
      }
      const idx: number[] = [];
      grp.ms.forEach((m) => ls.forEach((l) => idx.push(l * mmax + m)));
      const c = g.transpose(g.reshape(g.gather(flat, idx, 1), [-1, gsz, ls.length]), [1, 0, 2]); // [g, K, nl]
      const P = plan.groupBlock(table, d, grp, ls, rows, true); // [g, nl, rows]
      target.push(g.matmul(c, g.constant(toDtype(P, dtype), [gsz, ls.length, rows], dtype))); // [g, K, rows]
    }
  }
  const S0 = g.concat(symParts, 0); // [M (group order), K, nHalf]
  const inv = new Array<number>(mmax);
  orderOf.forEach((m, i) => (inv[m] = i));
  const S = g.gather(S0, inv, 0);
  const h0 = plan.nHalfAnti;
  if (h0 === 0) return S;
  const A = g.gather(g.concat(antiParts, 0), inv, 0);
  const Stop = plan.nHalf === h0 ? S : g.slice(S, [0], [h0], [2]);
  const north = g.add(Stop, A);
  const southRev = g.sub(Stop, A);
  const south = g.gather(southRev, Array.from({ length: h0 }, (_, k) => h0 - 1 - k), 2);
  const parts = [north];
  if (nlat % 2 === 1) parts.push(g.slice(S, [h0], [h0 + 1], [2]));
  parts.push(south);
  return g.concat(parts, 2);
}

// ------------------------------------------------------------------ public transforms

function checkGrid(op: string, plan: ShtPlan, x: Tensor, extra = 0): Tensor['shape'] {
  const { nlat, nlon } = plan.config.grid;
  const s = x.shape;
  if (x.dtype !== plan.dtype) throw new GraphError(`${op}: input is ${x.dtype} but the plan is ${plan.dtype}`);
  if (s.length < 2 + extra || s[s.length - 2] !== nlat || s[s.length - 1] !== nlon)
    throw new GraphError(`${op}: expected (…,${extra ? ' 2,' : ''} ${nlat}, ${nlon}) for this grid, got ${formatShape(s)}`);
  if (extra && s[s.length - 3] !== 2) throw new GraphError(`${op}: expected a vector axis of size 2 at −3, got ${formatShape(s)}`);
  return s.slice(0, s.length - 2);
}

function checkSpectral(op: string, plan: ShtPlan, c: ComplexPair, extra = 0): Tensor['shape'] {
  const { lmax, mmax } = plan.config;
  const s = c.re.shape;
  if (c.re.dtype !== plan.dtype || c.im.dtype !== plan.dtype) throw new GraphError(`${op}: coefficients must be ${plan.dtype}`);
  if (s.length < 2 + extra || s[s.length - 2] !== lmax || s[s.length - 1] !== mmax || formatShape(s) !== formatShape(c.im.shape))
    throw new GraphError(`${op}: expected re/im of shape (…, ${lmax}, ${mmax}), got ${formatShape(s)} and ${formatShape(c.im.shape)}`);
  if (extra && s[s.length - 3] !== 2) throw new GraphError(`${op}: expected a vector axis of size 2 at −3, got ${formatShape(s)}`);
  return s.slice(0, s.length - 2);
}

/** Scalar forward SHT: x [..., nlat, nlon] → coefficients [..., lmax, mmax] (re, im). */
export function shtForward(g: Graph, plan: ShtPlan, x: Tensor): ComplexPair {
  const lead = checkGrid('shtForward', plan, x);
  const { nlat, nlon } = plan.config.grid;
  const { lmax, mmax } = plan.config;
  const X = forwardDft(g, plan.dft, g.reshape(x, [-1, nlon]), plan.dtype); // [M, B·nlat, 2]
  const Xk = g.reshape(g.transpose(g.reshape(X, [mmax, -1, nlat, 2]), [0, 1, 3, 2]), [mmax, -1, nlat]); // [M, B·2, nlat]
  const C = g.reshape(analysis(g, plan, Xk, 'sf', 0, false), [-1, 2, lmax, mmax]);
  const re = g.reshape(g.slice(C, [0], [1], [1]), [...lead, lmax, mmax]);
  const im = g.reshape(g.slice(C, [1], [2], [1]), [...lead, lmax, mmax]);
  return { re, im };
}

function stackReIm(g: Graph, c: ComplexPair, lmax: number, mmax: number): Tensor {
  const re = g.reshape(c.re, [-1, 1, lmax, mmax]);
  const im = g.reshape(c.im, [-1, 1, lmax, mmax]);
  return g.reshape(g.concat([re, im], 1), [-1, lmax, mmax]); // [B·2, l, m]
}

/** F [M, B·2, nlat] → grid [B·nlat, nlon] through the inverse DFT. */
function toGrid(g: Graph, plan: ShtPlan, F: Tensor): Tensor {
  const { nlat } = plan.config.grid;
  const { mmax } = plan.config;
  const Fm = g.reshape(g.transpose(g.reshape(F, [mmax, -1, 2, nlat]), [0, 1, 3, 2]), [mmax, -1, 2]); // [M, B·nlat, 2]
  return inverseDft(g, plan.dft, Fm, plan.dtype);
}

/** Scalar inverse SHT: coefficients [..., lmax, mmax] → field [..., nlat, nlon]. */
export function shtInverse(g: Graph, plan: ShtPlan, c: ComplexPair): Tensor {
  const lead = checkSpectral('shtInverse', plan, c);
  const { nlat, nlon } = plan.config.grid;
  const { lmax, mmax } = plan.config;
  const F = synthesis(g, plan, stackReIm(g, c, lmax, mmax), 'si', 0, false);
  return g.reshape(toGrid(g, plan, F), [...lead, nlat, nlon]);
}

/** Vector forward SHT: (v_θ, v_λ) [..., 2, nlat, nlon] → (spheroidal, toroidal) coefficients [..., 2, lmax, mmax]. */
export function vectorShtForward(g: Graph, plan: ShtPlan, v: Tensor): ComplexPair {
  const lead = checkGrid('vectorShtForward', plan, v, 1);
  const { nlat, nlon } = plan.config.grid;
  const { lmax, mmax } = plan.config;
  const X = forwardDft(g, plan.dft, g.reshape(v, [-1, nlon]), plan.dtype); // [M, B·2·nlat, 2]
  const Xk = g.reshape(g.transpose(g.reshape(X, [mmax, -1, nlat, 2]), [0, 1, 3, 2]), [mmax, -1, nlat]); // [M, B·2comp·2c, nlat]
  const A0 = g.reshape(analysis(g, plan, Xk, 'vf', 0, true), [-1, 2, 2, lmax, mmax]); // θ-derivative: parity flipped
  const A1 = g.reshape(analysis(g, plan, Xk, 'vf', 1, false), [-1, 2, 2, lmax, mmax]);
  const part = (A: Tensor, comp: number, c: number) => g.reshape(g.slice(A, [comp, c], [comp + 1, c + 1], [1, 2]), [-1, 1, lmax, mmax]);
  // s = Σ (X0 W0 + i X1 W1), t = Σ (i X0 W1 − X1 W0)
  const sRe = g.sub(part(A0, 0, 0), part(A1, 1, 1));
  const sIm = g.add(part(A0, 0, 1), part(A1, 1, 0));
  const tRe = g.neg(g.add(part(A1, 0, 1), part(A0, 1, 0)));
  const tIm = g.sub(part(A1, 0, 0), part(A0, 1, 1));
  const out = [...lead, lmax, mmax];
  return { re: g.reshape(g.concat([sRe, tRe], 1), out), im: g.reshape(g.concat([sIm, tIm], 1), out) };
}

/** Vector inverse SHT: (spheroidal, toroidal) coefficients [..., 2, lmax, mmax] → (v_θ, v_λ) [..., 2, nlat, nlon]. */
export function vectorShtInverse(g: Graph, plan: ShtPlan, c: ComplexPair): Tensor {
  const lead = checkSpectral('vectorShtInverse', plan, c, 1);
  const { nlat, nlon } = plan.config.grid;
  const { lmax, mmax } = plan.config;
  const C = stackReIm(g, c, lmax, mmax); // [B·2(s,t)·2(re,im), l, m]
  const D0 = g.reshape(synthesis(g, plan, C, 'vi', 0, true), [mmax, -1, 2, 2, nlat]);
  const D1 = g.reshape(synthesis(g, plan, C, 'vi', 1, false), [mmax, -1, 2, 2, nlat]);
  const part = (D: Tensor, st: number, ri: number) => g.slice(D, [st, ri], [st + 1, ri + 1], [2, 3]); // [M, B, 1, 1, nlat]
  // comp0 = Σ (S D0 + i T D1), comp1 = Σ (i S D1 − T D0)
  const c0Re = g.sub(part(D0, 0, 0), part(D1, 1, 1));
  const c0Im = g.add(part(D0, 0, 1), part(D1, 1, 0));
  const c1Re = g.neg(g.add(part(D1, 0, 1), part(D0, 1, 0)));
  const c1Im = g.sub(part(D1, 0, 0), part(D0, 1, 1));
  const comp0 = g.concat([c0Re, c0Im], 3);
  const comp1 = g.concat([c1Re, c1Im], 3);
  const F = g.reshape(g.concat([comp0, comp1], 2), [mmax, -1, nlat]); // [M, B·2comp·2c, nlat]
  return g.reshape(toGrid(g, plan, F), [...lead, nlat, nlon]);
}
