// Shallow-water dynamics on the sphere by the spectral transform method, as engine graphs (float32/float64),
// batched over ensemble members: torch-harmonics' ShallowWaterSolver (Φ, ζ, δ; AB3 with its start-up; hyperdiffusion)
// plus optional orography, an advected tracer and linear relaxation/drag forcing for the planet; optionally semi-implicit
// (scheme 'ab3-cn': AB3 for the nonlinear terms, Crank–Nicolson for the linear gravity-wave terms about a reference Φ̄).
//
// State layout ("flat spectra"): one array [N (coefficients), 2 (re, im), F (fields), B (members)], where the N
// coefficients are the plan's degree-major blocks [g, nl, 2·Bf] laid end to end (block by block, order by order,
// degree by degree): entry n holds (l, m) = model.entries[n] (entries with l < m are padding and stay zero). Fields are, in order, Φ (geopotential g·(h + h_s), m²/s²), ζ (1/s), δ (1/s) and, with a
// tracer, T. Every per-coefficient operation is one elementwise op on that array; the SHTs split it into blocks.
import { type DType, Graph, type Tensor } from '../engine/graph.ts';
import { type Executable, compile, defaultThreads } from '../engine/runtime.ts';
import { type Grid, type GridKind, gridGeometry, type GridGeometry } from '../sphere/grid.ts';
import { ShtPlan, type Packed, analysis, synthesis, vectorAnalysis, vectorSynthesis, fromInternal } from '../sphere/sht.ts';

/** torch-harmonics' shallow-water constants. */
export const SWE_CONSTANTS = { radius: 6.37122e6, omega: 7.292e-5, gravity: 9.80616 } as const;

export type SweFloat = Float32Array | Float64Array;

export interface SweOptions {
  nlat: number;
  nlon: number;
  grid?: GridKind;
  /** exclusive truncation bounds (degrees l < lmax, orders m < mmax) */
  lmax: number;
  mmax?: number;
  /** time step (s) */
  dt: number;
  dtype?: 'float32' | 'float64';
  radius?: number;
  omega?: number;
  gravity?: number;
  /**
   * Hyperdiffusion after every step: coefficient × exp(−dt/τ·(l(l+1)/(L(L+1)))^order), L = lmax − 1, on the fields
   * listed (default: torch-harmonics' τ = 7200 s, order 4, on ζ and δ).
   */
  hyperdiffusion?: { efoldingTime?: number; order?: number; fields?: SweField[] };
  /** surface height h_s [nlat, nlon] (m, row 0 north); the continuity flux uses the depth Φ − g·h_s */
  orography?: Float64Array;
  /** carry an advected tracer T as a fourth field (∂T/∂t = −u·∇T + forcing) */
  tracer?: boolean;
  /**
   * Linear forcing added to the tendency: −rate_f · (X_f − X_f^eq) per field (1/s); the equilibrium X^eq is fed per
   * call (`step(…, { equilibrium })`), zero when omitted. Use it for Newtonian relaxation and Rayleigh drag.
   */
  relaxationRates?: Partial<Record<SweField, number>>;
  /**
   * Time scheme: 'ab3' (default) Adams–Bashforth 3 for the whole tendency; 'ab3-cn' semi-implicit: the linear
   * gravity-wave terms about a resting layer of geopotential depth Φ̄ (∂Φ/∂t ⊃ −Φ̄δ, ∂δ/∂t ⊃ −∇²Φ) by the trapezoidal
   * rule (Crank–Nicolson), the rest (advection, Coriolis, the deviation of the depth from Φ̄, forcing) by AB3 with its
   * start-up. Stable for gravity waves at any dt where the layer's depth geopotential Φ − Φ_s stays ≤ Φ̄.
   */
  scheme?: SweScheme;
  /** Φ̄ (m²/s²) of 'ab3-cn': the reference depth geopotential g·H̄ (required there; choose it ≥ the layer's deepest Φ − Φ_s) */
  referenceGeopotential?: number;
  /**
   * Off-centring ε of 'ab3-cn' (0 ≤ ε < 1, default 0 = Crank–Nicolson): the implicit terms weigh step n+1 by (1+ε)/2
   * and step n by (1−ε)/2, which damps gravity waves of frequency ω by |1+iωa₀|/|1−iωa₁| per step (a₀,₁ = (1∓ε)dt/2)
   */
  offCentering?: number;
  /** orders per Legendre block (the sphere layer's groupSize; fewer, larger GEMMs); default 8 */
  groupSize?: number;
  /** longitude transform of the SHTs (the sphere layer's `dft`); default 'direct' (keeps orders of one parity adjacent) */
  dft?: 'auto' | 'direct' | 'factorised';
}

export type SweField = 'phi' | 'vorticity' | 'divergence' | 'tracer';

export const SWE_SCHEMES = ['ab3', 'ab3-cn'] as const;
export type SweScheme = (typeof SWE_SCHEMES)[number];

/** A batch of model states plus the Adams–Bashforth history (tendencies of the last two steps). */
export interface SweState {
  /** flat spectra [N, 2, F, B] */
  spec: SweFloat;
  members: number;
  /**
   * f_{n−1}, f_{n−2} (same layout) once at least that many steps have been taken since the start: the whole tendency
   * with scheme 'ab3', its nonlinear part N = f − L·S with 'ab3-cn'
   */
  history: { h1: SweFloat; h2: SweFloat; steps: number };
}

/** Grid fields of a batch (public layout, row 0 north). */
export interface SweGridFields {
  /** [F, B, nlat, nlon] in field order (Φ, ζ, δ[, T]) */
  fields: SweFloat;
  /** [2 (u east, v north), B, nlat, nlon] (m/s) */
  wind: SweFloat;
}

function checkPositive(name: string, v: number): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new RangeError(`shallow water: ${name} must be a positive finite number, got ${v}`);
}

/** A configured shallow-water model: plan, constants and compiled step graphs per (members, steps per call). */
export class ShallowWaterModel {
  readonly options: Required<Omit<SweOptions, 'orography' | 'relaxationRates' | 'hyperdiffusion' | 'groupSize' | 'dft' | 'referenceGeopotential' | 'offCentering'>> & {
    orography?: Float64Array;
    /** Φ̄ of scheme 'ab3-cn' (m²/s²); undefined with 'ab3' */
    referenceGeopotential?: number;
    /** off-centring ε of scheme 'ab3-cn' (0 = Crank–Nicolson; 0 with 'ab3') */
    offCentering: number;
    relaxationRates: Partial<Record<SweField, number>>;
    hyperdiffusion: { efoldingTime: number; order: number; fields: SweField[] };
  };
  readonly plan: ShtPlan;
  readonly geometry: GridGeometry;
  readonly fields: SweField[];
  /** (l, m) of each flat coefficient */
  readonly entries: { l: number; m: number }[];
  readonly blockSizes: number[];
  readonly dtype: 'float32' | 'float64';
  private executables = new Map<string, Promise<Executable>>();
  readonly threads: number;

  constructor(options: SweOptions, threads = defaultThreads()) {
    const o = options;
    for (const k of ['nlat', 'nlon', 'lmax'] as const)
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`shallow water: ${k} must be a positive integer, got ${o[k]}`);
    checkPositive('dt', o.dt);
    const dtype = o.dtype ?? 'float64';
    if (dtype !== 'float32' && dtype !== 'float64') throw new RangeError(`shallow water: dtype must be float32 or float64, got ${String(dtype)}`);
    const hd = { efoldingTime: o.hyperdiffusion?.efoldingTime ?? 7200, order: o.hyperdiffusion?.order ?? 4, fields: o.hyperdiffusion?.fields ?? (['vorticity', 'divergence'] as SweField[]) };
    checkPositive('hyperdiffusion.efoldingTime', hd.efoldingTime);
    checkPositive('hyperdiffusion.order', hd.order);
    const scheme = o.scheme ?? 'ab3';
    if (!(SWE_SCHEMES as readonly unknown[]).includes(scheme)) throw new RangeError(`shallow water: scheme must be one of ${SWE_SCHEMES.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(o.scheme)}`);
    if (scheme === 'ab3-cn') {
      if (o.referenceGeopotential === undefined) throw new RangeError(`shallow water: scheme 'ab3-cn' needs referenceGeopotential (Φ̄ = g·H̄, m²/s², at least the layer's deepest Φ − Φ_s)`);
      checkPositive('referenceGeopotential', o.referenceGeopotential);
      const eps = o.offCentering ?? 0;
      if (!(typeof eps === 'number' && eps >= 0 && eps < 1)) throw new RangeError(`shallow water: offCentering must be a number in [0, 1), got ${eps}`);
    } else {
      for (const k of ['referenceGeopotential', 'offCentering'] as const)
        if (o[k] !== undefined) throw new RangeError(`shallow water: ${k} (${o[k]}) is only used by scheme 'ab3-cn', but the scheme is '${scheme}'`);
    }
    this.options = {
      nlat: o.nlat,
      nlon: o.nlon,
      grid: o.grid ?? 'legendre-gauss',
      lmax: o.lmax,
      mmax: o.mmax ?? o.lmax,
      dt: o.dt,
      dtype,
      radius: o.radius ?? SWE_CONSTANTS.radius,
      omega: o.omega ?? SWE_CONSTANTS.omega,
      gravity: o.gravity ?? SWE_CONSTANTS.gravity,
      hyperdiffusion: hd,
      orography: o.orography,
      tracer: o.tracer ?? false,
      relaxationRates: { ...(o.relaxationRates ?? {}) },
      scheme,
      referenceGeopotential: o.referenceGeopotential,
      offCentering: o.offCentering ?? 0,
    };
    checkPositive('radius', this.options.radius);
    checkPositive('gravity', this.options.gravity);
    this.dtype = dtype;
    this.threads = threads;
    const grid: Grid = { kind: this.options.grid, nlat: o.nlat, nlon: o.nlon };
    const groupSize = o.groupSize ?? 8;
    this.plan = new ShtPlan(grid, { lmax: this.options.lmax, mmax: this.options.mmax, norm: 'ortho', csphase: false, dtype, groupSize, blockLayout: 'degree-major', dft: o.dft ?? 'direct' });
    this.geometry = gridGeometry(grid);
    this.fields = this.options.tracer ? ['phi', 'vorticity', 'divergence', 'tracer'] : ['phi', 'vorticity', 'divergence'];
    for (const f of hd.fields) if (!this.fields.includes(f)) throw new RangeError(`shallow water: hyperdiffusion field '${f}' is not a field of this model (${this.fields.join(', ')})`);
    for (const [f, r] of Object.entries(this.options.relaxationRates)) {
      if (!this.fields.includes(f as SweField)) throw new RangeError(`shallow water: relaxation field '${f}' is not a field of this model (${this.fields.join(', ')})`);
      if (!(Number.isFinite(r) && r >= 0)) throw new RangeError(`shallow water: relaxation rate of '${f}' must be ≥ 0 (1/s), got ${r}`);
    }
    if (o.orography && o.orography.length !== o.nlat * o.nlon)
      throw new RangeError(`shallow water: orography has ${o.orography.length} values, expected nlat·nlon = ${o.nlat * o.nlon}`);
    this.entries = [];
    this.blockSizes = [];
    for (const b of this.plan.blocks) {
      for (const m of b.ms) for (const l of b.ls) this.entries.push({ l, m });
      this.blockSizes.push(b.ms.length * b.ls.length);
    }
  }

  get nCoefficients(): number {
    return this.entries.length;
  }
  get nFields(): number {
    return this.fields.length;
  }
  fieldIndex(f: SweField): number {
    const i = this.fields.indexOf(f);
    if (i < 0) throw new RangeError(`shallow water: no field '${f}' in this model (${this.fields.join(', ')})`);
    return i;
  }
  get hasForcing(): boolean {
    return Object.values(this.options.relaxationRates).some((r) => (r ?? 0) > 0);
  }

  private array(n: number): SweFloat {
    return this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }

  // ------------------------------------------------------------------ per-coefficient constants

  /** value(l, m) per flat coefficient. */
  perCoefficient(value: (l: number, m: number) => number): Float64Array {
    return Float64Array.from(this.entries, (e) => value(e.l, e.m));
  }

  /** Hyperdiffusion factor per degree (torch-harmonics: exp(−dt/2/3600·(lap/lap[L])⁴)). */
  hyperdiffusionFactor(l: number): number {
    const { radius: R, lmax, dt, hyperdiffusion } = this.options;
    const lap = (-l * (l + 1)) / (R * R);
    const lapL = (-(lmax - 1) * lmax) / (R * R);
    return Math.exp((-dt / hyperdiffusion.efoldingTime) * (lap / lapL) ** hyperdiffusion.order);
  }

  // ------------------------------------------------------------------ public spectra ↔ flat spectra

  /** Coefficients (re, im) [B, F, lmax, mmax] (torch-harmonics layout, per member) → a fresh state. */
  stateFromLM(re: ArrayLike<number>, im: ArrayLike<number>, members: number): SweState {
    const { lmax, mmax } = this.options;
    const F = this.nFields;
    const N = this.nCoefficients;
    if (re.length !== members * F * lmax * mmax || im.length !== re.length)
      throw new RangeError(`shallow water: spectra must hold members·F·lmax·mmax = ${members}·${F}·${lmax}·${mmax} values, got ${re.length} and ${im.length}`);
    const spec = this.array(2 * F * members * N);
    for (let b = 0; b < members; b++)
      for (let f = 0; f < F; f++)
        this.entries.forEach((e, n) => {
          if (e.l < e.m) return;
          const src = ((b * F + f) * lmax + e.l) * mmax + e.m;
          spec[((n * 2 + 0) * F + f) * members + b] = re[src];
          spec[((n * 2 + 1) * F + f) * members + b] = im[src];
        });
    return this.fresh(spec, members);
  }

  /** A state with no Adams–Bashforth history (the next step starts like torch-harmonics' `timestep`). */
  fresh(spec: SweFloat, members: number): SweState {
    const n = 2 * this.nFields * members * this.nCoefficients;
    if (spec.length !== n) throw new RangeError(`shallow water: state spectra must hold ${n} values for ${members} members, got ${spec.length}`);
    if ((this.dtype === 'float64') !== spec instanceof Float64Array) throw new RangeError(`shallow water: state spectra must be ${this.dtype}`);
    return { spec, members, history: { h1: this.array(n), h2: this.array(n), steps: 0 } };
  }

  /** Flat spectra [N, 2, F, B] → (re, im) [B, F, lmax, mmax] (float64, zero for m > l). */
  lmFromState(state: SweState | SweFloat, members?: number): { re: Float64Array; im: Float64Array } {
    const spec = ArrayBuffer.isView(state) ? state : state.spec;
    const B = ArrayBuffer.isView(state) ? members! : state.members;
    const { lmax, mmax } = this.options;
    const F = this.nFields;
    const N = this.nCoefficients;
    const re = new Float64Array(B * F * lmax * mmax);
    const im = new Float64Array(re.length);
    for (let b = 0; b < B; b++)
      for (let f = 0; f < F; f++)
        this.entries.forEach((e, n) => {
          if (e.l < e.m) return;
          const dst = ((b * F + f) * lmax + e.l) * mmax + e.m;
          re[dst] = spec[((n * 2 + 0) * F + f) * B + b];
          im[dst] = spec[((n * 2 + 1) * F + f) * B + b];
        });
    return { re, im };
  }

  /** Spectra of one field for all members in the flat layout [N, 2, B] (a copy). */
  fieldSpectra(state: SweState, f: SweField): SweFloat {
    const F = this.nFields;
    const N = this.nCoefficients;
    const B = state.members;
    const fi = this.fieldIndex(f);
    const out = this.array(2 * B * N);
    for (let nc = 0; nc < 2 * N; nc++) out.set(state.spec.subarray((nc * F + fi) * B, (nc * F + fi + 1) * B), nc * B);
    return out;
  }

  /** Replicates one member's state (history dropped) into `members` members. */
  replicate(state: SweState, members: number, member = 0): SweState {
    const F = this.nFields;
    const N = this.nCoefficients;
    const spec = this.array(2 * F * members * N);
    for (let ncf = 0; ncf < 2 * N * F; ncf++) spec.fill(state.spec[ncf * state.members + member], ncf * members, (ncf + 1) * members);
    return this.fresh(spec, members);
  }

  // ------------------------------------------------------------------ graph pieces

  /** Splits flat spectra [N, ...] (trailing dims flattened to 2·Bf) into the plan's degree-major blocks [g, nl, 2·Bf]. */
  splitBlocks(g: Graph, flat: Tensor): Packed {
    const N = this.nCoefficients;
    const t = g.reshape(flat, [N, -1]);
    let off = 0;
    return this.plan.blocks.map((b, i) => {
      const n = this.blockSizes[i];
      const s = g.slice(t, [off], [off + n], [0]);
      off += n;
      return g.reshape(s, [b.ms.length, b.ls.length, -1]);
    });
  }

  /** Joins degree-major blocks [g, nl, 2·Bf] into flat spectra [N, 2·Bf]. */
  joinBlocks(g: Graph, blocks: Packed): Tensor {
    return g.concat(
      blocks.map((b, i) => g.reshape(b, [this.blockSizes[i], -1])),
      0,
    );
  }

  private constTensor(g: Graph, data: Float64Array, shape: number[]): Tensor {
    return g.constant(this.dtype === 'float64' ? data : Float32Array.from(data), shape, this.dtype);
  }

  /** A grid constant value(row) per folded latitude row, shape [1, 1, 1, nlat]. */
  private latitudeConst(g: Graph, value: (row: number) => number): Tensor {
    const { nlat } = this.options;
    return this.constTensor(g, Float64Array.from(this.plan.foldedRows, (row) => value(row)), [1, 1, 1, nlat]);
  }

  /** Grid fields [nlon, F, B, nlat_f] and winds [nlon, 2, B, nlat_f] of flat spectra [N, 2, F, B] (internal layout). */
  gridOf(g: Graph, S: Tensor, B: number): { grid: Tensor; wind: Tensor } {
    const { nlon, nlat, radius: R } = this.options;
    const F = this.nFields;
    const N = this.nCoefficients;
    const grid = g.reshape(synthesis(g, this.plan, this.splitBlocks(g, S)), [nlon, F, B, nlat]);
    // winds: inverse vector SHT of invlap·(ζ, δ)/R (torch-harmonics getuv), components (u, v)
    const invlapR = this.perCoefficient((l) => (l === 0 ? 0 : (-R * R) / (l * (l + 1)) / R));
    const W = g.mul(g.slice(S, [1], [3], [2]), this.constTensor(g, invlapR, [N, 1, 1, 1]));
    const wind = g.reshape(vectorSynthesis(g, this.plan, this.splitBlocks(g, W)), [nlon, 2, B, nlat]);
    return { grid, wind };
  }

  /** The tendency ∂S/∂t [N, 2, F, B] of flat spectra S [N, 2, F, B]; `eq` [N, 2, F, 1] is the forcing equilibrium. */
  tendency(g: Graph, S: Tensor, B: number, eq: Tensor | null): Tensor {
    const { nlon, nlat, radius: R, omega, gravity } = this.options;
    const F = this.nFields;
    const N = this.nCoefficients;
    const lat = this.geometry.latitudes;
    const { grid, wind } = this.gridOf(g, S, B);
    const field = (i: number) => g.slice(grid, [i], [i + 1], [1]); // [nlon, 1, B, nlat]
    const u = g.slice(wind, [0], [1], [1]);
    const v = g.slice(wind, [1], [2], [1]);
    const coriolis = this.latitudeConst(g, (row) => 2 * omega * Math.sin(lat[row]));
    const q = g.add(field(1), coriolis); // absolute vorticity ζ + f
    let depth = field(0); // Φ − Φ_s
    const oro = this.options.orography;
    if (oro) {
      const phis = new Float64Array(nlon * nlat);
      for (let j = 0; j < nlon; j++) this.plan.foldedRows.forEach((row, r) => (phis[j * nlat + r] = gravity * oro[row * nlon + j]));
      depth = g.sub(depth, this.constTensor(g, phis, [nlon, 1, 1, nlat]));
    }
    const tracer = this.options.tracer;
    const carried = tracer ? [q, depth, field(3)] : [q, depth]; // fluxes (u, v)·X for X = ζ + f, Φ − Φ_s[, T]
    const Wn = carried.length;
    const X = g.reshape(g.concat(carried, 1), [nlon, 1, Wn, B, nlat]);
    const uv = g.reshape(wind, [nlon, 2, 1, B, nlat]);
    const flux = g.reshape(g.mul(uv, X), [nlon, 2 * Wn * B, nlat]);
    const V = g.reshape(this.joinBlocks(g, vectorAnalysis(g, this.plan, flux)), [N, 2, 2, Wn, B]); // (N, re/im, s/t, X, B)
    // scalar analyses: energy Φ + |u|²/2 (and T·δ for the tracer's advective form)
    const energy = g.add(field(0), g.mul(g.add(g.mul(u, u), g.mul(v, v)), 0.5));
    const scalars = tracer ? g.concat([energy, g.mul(field(3), field(2))], 1) : energy;
    const Ns = tracer ? 2 : 1;
    const A = g.reshape(this.joinBlocks(g, analysis(g, this.plan, g.reshape(scalars, [nlon, Ns * B, nlat]))), [N, 2, Ns, B]);
    const lapR = this.constTensor(g, this.perCoefficient((l) => ((-l * (l + 1)) / (R * R)) * R), [N, 1, 1, 1]);
    const lap = this.constTensor(g, this.perCoefficient((l) => (-l * (l + 1)) / (R * R)), [N, 1, 1, 1]);
    const sv = (st: number, x: number) => g.reshape(g.slice(V, [st, x], [st + 1, x + 1], [2, 3]), [N, 2, 1, B]);
    // ∂δ/∂t = curl part of (ζ+f)u − ∇²(Φ + |u|²/2); ∂ζ/∂t = −div part of (ζ+f)u; ∂Φ/∂t = −div part of (Φ−Φ_s)u
    const dPhi = g.neg(g.mul(sv(1, 1), lapR));
    const dZeta = g.neg(g.mul(sv(1, 0), lapR));
    const dDelta = g.sub(g.mul(sv(0, 0), lapR), g.mul(g.slice(A, [0], [1], [2]), lap));
    const parts = [dPhi, dZeta, dDelta];
    if (tracer) parts.push(g.add(g.neg(g.mul(sv(1, 2), lapR)), g.slice(A, [1], [2], [2]))); // −∇·(uT) + Tδ
    let tend = g.concat(parts, 2); // [N, 2, F, B]
    if (this.hasForcing) {
      const rates = Float64Array.from(this.fields, (f) => this.options.relaxationRates[f] ?? 0);
      const rate = this.constTensor(g, rates, [1, 1, F, 1]);
      const anomaly = eq ? g.sub(S, eq) : S;
      tend = g.sub(tend, g.mul(anomaly, rate));
    }
    return tend;
  }

  /**
   * Graph of `steps` Adams–Bashforth steps for `members` members. Inputs: state, h1, h2 [N, 2, F, B]; coef [steps, 3]
   * (weights of f_n, f_{n−1}, f_{n−2} per step); with forcing eq [N, 2, F, 1]. Outputs: state, h1, h2.
   */
  buildStepGraph(members: number, steps: number): Graph {
    const F = this.nFields;
    const N = this.nCoefficients;
    const B = members;
    const dt: DType = this.dtype;
    const cn = this.options.scheme === 'ab3-cn';
    const g = new Graph(`swe-${this.options.nlat}x${this.options.nlon}-l${this.options.lmax}-b${B}-k${steps}${cn ? '-cn' : ''}`);
    const shape = [N, 2, F, B];
    let S = g.input('state', dt, shape);
    let h1 = g.input('h1', dt, shape);
    let h2 = g.input('h2', dt, shape);
    const coef = g.input('coef', dt, [steps, 3]);
    const eq = this.hasForcing ? g.input('eq', dt, [N, 2, F, 1]) : null;
    const hdFields = this.options.hyperdiffusion.fields;
    const hdData = new Float64Array(N * F);
    this.entries.forEach((e, n) => this.fields.forEach((f, fi) => (hdData[n * F + fi] = hdFields.includes(f) ? this.hyperdiffusionFactor(e.l) : 1)));
    const hd = this.constTensor(g, hdData, [N, 1, F, 1]);
    const implicit = cn ? this.crankNicolson(g) : null;
    for (let k = 0; k < steps; k++) {
      let fn = this.tendency(g, S, B, eq);
      if (implicit) fn = implicit.nonlinear(fn, S);
      const c = (i: number) => g.reshape(g.slice(coef, [k, i], [k + 1, i + 1], [0, 1]), []);
      const update = g.add(g.add(g.mul(fn, c(0)), g.mul(h1, c(1))), g.mul(h2, c(2)));
      const explicit = g.add(S, g.mul(update, this.options.dt));
      S = g.mul(implicit ? implicit.solve(explicit, S) : explicit, hd);
      h2 = h1;
      h1 = fn;
    }
    g.output('state_out', S);
    g.output('h1_out', h1);
    g.output('h2_out', h2);
    return g;
  }

  /**
   * The Crank–Nicolson part of scheme 'ab3-cn', per coefficient of degree l (λ = l(l+1)/R², Φ̄ the reference,
   * a₀ = (1−ε)·dt/2 and a₁ = (1+ε)·dt/2 the weights of steps n and n+1, both dt/2 without off-centring).
   * Linear operator L: (∂Φ/∂t, ∂δ/∂t) = (−Φ̄δ, λΦ) (the continuity flux Φ̄·u and the pressure gradient −∇²Φ; Φ_s is
   * constant in time, so the full Φ in λΦ is the depth's pressure gradient plus a constant the trapezoid integrates
   * exactly). `nonlinear(f, S)` = f − L·S, the AB3 part. `solve(X, S)`, X = S + dt·(AB3 of N): the (Φ, δ) at n+1 of
   *   Φ' = X_Φ − Φ̄·(a₀δ_n + a₁δ'),  δ' = X_δ + λ·(a₀Φ_n + a₁Φ'),
   * i.e. with E_Φ = X_Φ − a₀Φ̄δ_n, E_δ = X_δ + a₀λΦ_n and D = 1 + a₁²Φ̄λ: Φ' = (E_Φ − a₁Φ̄E_δ)/D,
   * δ' = (E_δ + a₁λE_Φ)/D. ζ and the tracer are X's.
   */
  private crankNicolson(g: Graph): { nonlinear: (f: Tensor, S: Tensor) => Tensor; solve: (X: Tensor, S: Tensor) => Tensor } {
    const { radius: R, dt } = this.options;
    const phiBar = this.options.referenceGeopotential!;
    const N = this.nCoefficients;
    const F = this.nFields;
    const a0 = ((1 - this.options.offCentering) * dt) / 2;
    const a1 = ((1 + this.options.offCentering) * dt) / 2;
    const lambda = (l: number) => (l * (l + 1)) / (R * R);
    const k = (value: (l: number) => number) => this.constTensor(g, this.perCoefficient(value), [N, 1, 1, 1]);
    const lam = k(lambda);
    const lamA = k((l) => a0 * lambda(l));
    const inv = k((l) => 1 / (1 + a1 * a1 * phiBar * lambda(l)));
    const phiCoupling = k((l) => (-a1 * phiBar) / (1 + a1 * a1 * phiBar * lambda(l)));
    const deltaCoupling = k((l) => (a1 * lambda(l)) / (1 + a1 * a1 * phiBar * lambda(l)));
    const field = (t: Tensor, i: number) => g.slice(t, [i], [i + 1], [2]);
    // (Φ, ζ, δ, fields after δ) with Φ and δ replaced, ζ and the rest taken from t
    const assemble = (phi: Tensor, delta: Tensor, t: Tensor) => g.concat([phi, field(t, 1), delta, ...Array.from({ length: F - 3 }, (_, i) => field(t, 3 + i))], 2);
    return {
      nonlinear: (f, S) => assemble(g.add(field(f, 0), g.mul(field(S, 2), phiBar)), g.sub(field(f, 2), g.mul(field(S, 0), lam)), f),
      solve: (X, S) => {
        const ePhi = g.sub(field(X, 0), g.mul(field(S, 2), a0 * phiBar));
        const eDelta = g.add(field(X, 2), g.mul(field(S, 0), lamA));
        const phi = g.add(g.mul(ePhi, inv), g.mul(eDelta, phiCoupling));
        const delta = g.add(g.mul(eDelta, inv), g.mul(ePhi, deltaCoupling));
        return assemble(phi, delta, X);
      },
    };
  }

  private executable(key: string, build: () => Graph): Promise<Executable> {
    let p = this.executables.get(key);
    if (!p) {
      p = compile(build(), { threads: this.threads });
      this.executables.set(key, p);
    }
    return p;
  }

  /** Adams–Bashforth weights of step i counted from a fresh start (torch-harmonics' start-up: Euler, then 28/12, −16/12). */
  static abWeights(i: number): [number, number, number] {
    if (i === 0) return [1, 0, 0];
    if (i === 1) return [28 / 12, -16 / 12, 0];
    return [23 / 12, -16 / 12, 5 / 12];
  }

  /**
   * Advances a state by `steps` steps in one session call (history continues across calls; a fresh state starts as
   * torch-harmonics does). `equilibrium` [N, 2, F] (one member's flat spectra) is the forcing target, if any.
   */
  async step(state: SweState, steps: number, opts: { equilibrium?: SweFloat } = {}): Promise<SweState> {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`shallow water: steps must be a positive integer, got ${steps}`);
    const B = state.members;
    const F = this.nFields;
    const N = this.nCoefficients;
    const exe = await this.executable(`${B}:${steps}`, () => this.buildStepGraph(B, steps));
    const coef = this.array(3 * steps);
    for (let k = 0; k < steps; k++) coef.set(ShallowWaterModel.abWeights(state.history.steps + k), 3 * k);
    const shape = [N, 2, F, B];
    const feeds: Record<string, { data: SweFloat; shape: number[] }> = {
      state: { data: state.spec, shape },
      h1: { data: state.history.h1, shape },
      h2: { data: state.history.h2, shape },
      coef: { data: coef, shape: [steps, 3] },
    };
    if (this.hasForcing) {
      const eq = opts.equilibrium ?? this.array(2 * F * N);
      if (eq.length !== 2 * F * N) throw new RangeError(`shallow water: equilibrium must hold 2·F·N = ${2 * F * N} values, got ${eq.length}`);
      feeds.eq = { data: eq instanceof (this.dtype === 'float64' ? Float64Array : Float32Array) ? eq : (this.dtype === 'float64' ? Float64Array.from(eq) : Float32Array.from(eq)), shape: [N, 2, F, 1] };
    }
    const out = await exe.run(feeds);
    return {
      spec: out.state_out.data as SweFloat,
      members: B,
      history: { h1: out.h1_out.data as SweFloat, h2: out.h2_out.data as SweFloat, steps: state.history.steps + steps },
    };
  }

  /** Grid fields and winds of a state (public layout). */
  async grid(state: SweState): Promise<SweGridFields> {
    const B = state.members;
    const F = this.nFields;
    const N = this.nCoefficients;
    const exe = await this.executable(`grid:${B}`, () => {
      const g = new Graph(`swe-grid-b${B}`);
      const S = g.input('state', this.dtype, [N, 2, F, B]);
      const { grid, wind } = this.gridOf(g, S, B);
      const { nlon, nlat } = this.options;
      g.output('fields', fromInternal(g, this.plan, g.reshape(grid, [nlon, F * B, nlat]), [F, B]));
      g.output('wind', fromInternal(g, this.plan, g.reshape(wind, [nlon, 2 * B, nlat]), [2, B]));
      return g;
    });
    const out = await exe.run({ state: { data: state.spec, shape: [N, 2, F, B] } });
    return { fields: out.fields.data as SweFloat, wind: out.wind.data as SweFloat };
  }
}
