// The spherical Fourier neural operator (SFNO) of torch-harmonics v0.6.3 as an engine graph batched over members,
// working in the sphere layer's internal layout; parameters keep PyTorch's state_dict names and shapes.
//
// Internal activations are [nlon, C, N·nlat_f]: longitude outermost, then channels, then (member, folded latitude),
// so that a 1×1 convolution is W[C', C] @ x (one GEMM per longitude), and [nlon, C·N, nlat_f] is the sphere
// layer's internal grid with Bf = (C outer, N inner). Spectral blocks are degree-major [g, nl, 2·C·N] and the
// Driscoll–Healy contraction is one batched GEMM per block with the real form of the complex weight.
import { type Dim, type Tensor, Graph, GraphError } from '../engine/graph.ts';
import { keyFromSeed, normalFill, streamKey } from '../engine/random.ts';
import { type Grid, type GridKind, GRID_KINDS } from '../sphere/grid.ts';
import { type Packed, type SpectralBlock, ShtPlan, analysis, synthesis } from '../sphere/sht.ts';

export type SfnoOperator = 'driscoll-healy' | 'diagonal';
export type SfnoActivation = 'relu' | 'gelu' | 'identity';
export type SfnoNorm = 'none' | 'layer_norm' | 'instance_norm';
export type SfnoPosEmbed = 'none' | 'latlon' | 'lat' | 'const';

/** Architecture of one SFNO (torch-harmonics v0.6.3 `SphericalFourierNeuralOperatorNet` arguments, camel-cased). */
export interface SfnoConfig {
  /** input/output grid [nlat, nlon] */
  imgSize: [number, number];
  /** input/output grid kind; the internal grid is always Legendre–Gauss */
  grid: GridKind;
  scaleFactor: number;
  inChans: number;
  outChans: number;
  embedDim: number;
  numLayers: number;
  operatorType: SfnoOperator;
  activation: SfnoActivation;
  useMlp: boolean;
  mlpRatio: number;
  normalization: SfnoNorm;
  bigSkip: boolean;
  posEmbed: SfnoPosEmbed;
  hardThresholdingFraction: number;
}

export const SFNO_DEFAULTS: Omit<SfnoConfig, 'imgSize' | 'inChans' | 'outChans'> = {
  grid: 'equiangular',
  scaleFactor: 3,
  embedDim: 256,
  numLayers: 4,
  operatorType: 'driscoll-healy',
  activation: 'relu',
  useMlp: true,
  mlpRatio: 2,
  normalization: 'none',
  bigSkip: false,
  posEmbed: 'none',
  hardThresholdingFraction: 1,
};

export class SfnoConfigError extends Error {
  override name = 'SfnoConfigError';
}

function fail(field: string, value: unknown, expected: string): never {
  throw new SfnoConfigError(`sfno config: ${field} = ${JSON.stringify(value)} is invalid; expected ${expected}`);
}

function posInt(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(k, v, 'a positive integer');
  return v;
}

function oneOf<T extends string>(o: Record<string, unknown>, k: string, allowed: readonly T[]): T {
  const v = o[k];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(k, v, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return v as T;
}

function bool(o: Record<string, unknown>, k: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') fail(k, v, 'true or false');
  return v;
}

/** Validates a (partial) configuration, fills defaults and checks that the derived sizes make sense. */
export function resolveSfnoConfig(input: unknown): SfnoConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new SfnoConfigError(`sfno config: expected an object, got ${JSON.stringify(input)}`);
  const known = new Set([...Object.keys(SFNO_DEFAULTS), 'imgSize', 'inChans', 'outChans']);
  for (const k of Object.keys(input)) if (!known.has(k)) throw new SfnoConfigError(`sfno config: unknown field '${k}' (known: ${[...known].join(', ')})`);
  const o = { ...SFNO_DEFAULTS, ...(input as Record<string, unknown>) } as Record<string, unknown>;
  const img = o.imgSize;
  if (!Array.isArray(img) || img.length !== 2 || !img.every((d) => Number.isInteger(d) && d >= 2)) fail('imgSize', img, '[nlat, nlon] with integers ≥ 2');
  const c: SfnoConfig = {
    imgSize: [img[0] as number, img[1] as number],
    grid: oneOf(o, 'grid', GRID_KINDS),
    scaleFactor: posInt(o, 'scaleFactor'),
    inChans: posInt(o, 'inChans'),
    outChans: posInt(o, 'outChans'),
    embedDim: posInt(o, 'embedDim'),
    numLayers: posInt(o, 'numLayers'),
    operatorType: oneOf(o, 'operatorType', ['driscoll-healy', 'diagonal'] as const),
    activation: oneOf(o, 'activation', ['relu', 'gelu', 'identity'] as const),
    useMlp: bool(o, 'useMlp'),
    mlpRatio: o.mlpRatio as number,
    normalization: oneOf(o, 'normalization', ['none', 'layer_norm', 'instance_norm'] as const),
    bigSkip: bool(o, 'bigSkip'),
    posEmbed: oneOf(o, 'posEmbed', ['none', 'latlon', 'lat', 'const'] as const),
    hardThresholdingFraction: o.hardThresholdingFraction as number,
  };
  if (typeof c.mlpRatio !== 'number' || !(c.mlpRatio > 0) || !Number.isInteger(Math.floor(c.embedDim * c.mlpRatio)) || Math.floor(c.embedDim * c.mlpRatio) < 1)
    fail('mlpRatio', c.mlpRatio, 'a positive number with embedDim·mlpRatio ≥ 1');
  if (typeof c.hardThresholdingFraction !== 'number' || !(c.hardThresholdingFraction > 0 && c.hardThresholdingFraction <= 1))
    fail('hardThresholdingFraction', c.hardThresholdingFraction, 'a number in (0, 1]');
  const d = sfnoDims(c);
  if (d.h < 1 || d.w < 2) fail('scaleFactor', c.scaleFactor, `a factor leaving an internal grid of at least 1×2 (imgSize ${c.imgSize.join('×')} / ${c.scaleFactor} = ${d.h}×${d.w})`);
  if (d.modes < 1) fail('hardThresholdingFraction', c.hardThresholdingFraction, `a value leaving at least one mode (internal grid ${d.h}×${d.w})`);
  return c;
}

/** torch-harmonics' constructor keywords (snake_case, as in a fixture's index.json) → SfnoConfig. */
export function sfnoConfigFromTorch(t: Record<string, unknown>): SfnoConfig {
  const map: Record<string, string> = {
    img_size: 'imgSize', grid: 'grid', scale_factor: 'scaleFactor', in_chans: 'inChans', out_chans: 'outChans',
    embed_dim: 'embedDim', num_layers: 'numLayers', operator_type: 'operatorType', activation_function: 'activation',
    use_mlp: 'useMlp', mlp_ratio: 'mlpRatio', normalization_layer: 'normalization', big_skip: 'bigSkip', pos_embed: 'posEmbed',
    hard_thresholding_fraction: 'hardThresholdingFraction',
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) {
    const name = map[k];
    if (!name) throw new SfnoConfigError(`sfno config: torch-harmonics keyword '${k}' is not supported (supported: ${Object.keys(map).join(', ')})`);
    // v0.6.3: pos_embed True means a full (lat, lon) embedding, False none
    out[name] = name === 'posEmbed' && typeof v === 'boolean' ? (v ? 'latlon' : 'none') : v;
  }
  return resolveSfnoConfig(out);
}

/** Derived sizes: internal grid h × w and the number of spectral modes L = M. */
export function sfnoDims(c: Pick<SfnoConfig, 'imgSize' | 'scaleFactor' | 'hardThresholdingFraction'>): { h: number; w: number; modes: number } {
  const h = Math.floor(c.imgSize[0] / c.scaleFactor);
  const w = Math.floor(c.imgSize[1] / c.scaleFactor);
  const modesLat = Math.floor(h * c.hardThresholdingFraction);
  const modesLon = Math.floor(Math.floor(w / 2) * c.hardThresholdingFraction);
  return { h, w, modes: Math.min(modesLat, modesLon) };
}

/** Parameter names and shapes in torch-harmonics v0.6.3's state_dict order. */
export function sfnoParameterShapes(c: SfnoConfig): Map<string, number[]> {
  const { h, w, modes } = sfnoDims(c);
  const [nlat, nlon] = c.imgSize;
  const E = c.embedDim;
  const hidden = Math.floor(E * c.mlpRatio);
  const s = new Map<string, number[]>();
  if (c.posEmbed === 'latlon') s.set('pos_embed', [1, E, nlat, nlon]);
  else if (c.posEmbed === 'lat') s.set('pos_embed', [1, E, nlat, 1]);
  else if (c.posEmbed === 'const') s.set('pos_embed', [1, E, 1, 1]);
  s.set('encoder.0.weight', [E, c.inChans, 1, 1]);
  for (let i = 0; i < c.numLayers; i++) {
    const b = `blocks.${i}`;
    s.set(`${b}.filter.filter.weight`, c.operatorType === 'diagonal' ? [E, E, modes, modes, 2] : [E, E, modes, 2]);
    s.set(`${b}.filter.filter.bias`, [1, E, 1, 1]);
    const normShape = i === c.numLayers - 1 ? [nlat, nlon] : [h, w];
    const norm = (k: string) => {
      if (c.normalization === 'instance_norm') {
        s.set(`${b}.${k}.weight`, [E]);
        s.set(`${b}.${k}.bias`, [E]);
      } else if (c.normalization === 'layer_norm') {
        s.set(`${b}.${k}.weight`, normShape);
        s.set(`${b}.${k}.bias`, normShape);
      }
    };
    norm('norm0');
    if (c.useMlp) {
      s.set(`${b}.mlp.fwd.0.weight`, [hidden, E, 1, 1]);
      s.set(`${b}.mlp.fwd.0.bias`, [hidden]);
      s.set(`${b}.mlp.fwd.2.weight`, [E, hidden, 1, 1]);
    }
    norm('norm1');
  }
  s.set('decoder.0.weight', [c.outChans, E + (c.bigSkip ? c.inChans : 0), 1, 1]);
  return s;
}

/** Number of scalar parameters (complex weights count as two). */
export function sfnoParameterCount(c: SfnoConfig): number {
  let n = 0;
  for (const s of sfnoParameterShapes(c).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}

/**
 * Fresh parameters initialised as torch-harmonics v0.6.3 does (distributions, not PyTorch's random stream): normal
 * variates from the Philox generator keyed by `seed`, one stream per parameter (its index in state_dict order).
 */
export function initSfnoParameters(c: SfnoConfig, seed: number): Map<string, Float32Array> {
  const key = keyFromSeed(seed);
  const E = c.embedDim;
  const hidden = Math.floor(E * c.mlpRatio);
  const gain = c.activation === 'identity' ? 1 : 2;
  const out = new Map<string, Float32Array>();
  let index = 0;
  for (const [name, shape] of sfnoParameterShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    const stream = streamKey(0x5f0, index++);
    const normal = (std: number) => {
      normalFill(a, key, stream);
      for (let i = 0; i < n; i++) a[i] *= std;
    };
    if (name === 'encoder.0.weight') normal(Math.sqrt(1 / c.inChans));
    else if (name === 'decoder.0.weight') normal(Math.sqrt(1 / (E + (c.bigSkip ? c.inChans : 0))));
    else if (name.endsWith('mlp.fwd.0.weight')) normal(Math.sqrt(2 / E));
    else if (name.endsWith('mlp.fwd.2.weight')) normal(Math.sqrt(1 / hidden));
    else if (name.endsWith('filter.filter.weight')) {
      // complex N(0, 1) per component ½, times √(gain/in); ×√2 at index 0 of the second-to-last real axis
      normal(Math.sqrt(gain / E / 2));
      const inner = shape[shape.length - 2] * 2; // (L or M) × re/im
      for (let base = 0; base < n; base += inner) {
        a[base] *= Math.SQRT2;
        a[base + 1] *= Math.SQRT2;
      }
    } else if (/norm[01]\.weight$/.test(name)) a.fill(1);
    // pos_embed, biases: zero
    out.set(name, a);
  }
  return out;
}

export interface SfnoBuildOptions {
  /** orders per Legendre block (default 8) */
  groupSize?: number;
  /** longitude transform of the SHTs (default 'auto': the sphere layer's flop model) */
  dft?: 'auto' | 'direct' | 'factorised';
  /** MLP orientation: hidden channels last (bias + GELU fused; default) or first */
  mlpLayout?: 'hidden-last' | 'hidden-first';
  /**
   * how exact GELU enters the graph: 'pattern' (x·(1 + erf(x/√2))·½ from elementwise ops, which onnxruntime fuses
   * into one kernel: best for inference) or 'op' (the engine's Gelu op with its own gradient rule: fewer backward
   * ops for training graphs). Both are the same function.
   */
  gelu?: 'pattern' | 'op';
  /**
   * instance norm after the spectral convolution applied to the spectrum (default true: fewer passes over the
   * grid) or on the grid points; the same function either way
   */
  spectralNorm?: boolean;
  /**
   * longitudes per slab for the activation and MLP (cache blocking; 0, the default, runs them on the whole grid).
   * Inference graphs gain from 1–2; training graphs get more nodes for their backward pass.
   */
  gridChunk?: number;
  /**
   * with gridChunk and instance norm: the whole block tail on the slabs (MLP, the norm's partial sums, then scale,
   * shift, residual and, in the last block, the decoder per slab; default true) instead of only the MLP
   */
  slabTail?: boolean;
  /**
   * Legendre stages on half grids (true) or on all rows (false, the default: half the graph nodes and no half-grid
   * split/join passes for twice the Legendre FLOPs; 1.04× on one thread and 1.07–1.12× on two for the shipped
   * configuration at batch 64/256, same-minute interleaved runs); see ShtGraphOptions
   */
  equatorialSymmetry?: boolean;
}

/**
 * A configured SFNO: its transforms (plans shared by every graph built from it) and graph builders. Parameters
 * are tensors under their state_dict names with PyTorch shapes (constants for inference, inputs for training).
 */
export class Sfno {
  readonly config: SfnoConfig;
  /** transforms on the input/output grid (nlat × nlon, config.grid) */
  readonly outer: ShtPlan;
  /** transforms on the internal Legendre–Gauss grid h × w */
  readonly inner: ShtPlan;
  readonly dims: { h: number; w: number; modes: number };
  private readonly mlpLayout: 'hidden-last' | 'hidden-first';
  private readonly geluForm: 'pattern' | 'op';
  private readonly spectralNorm: boolean;
  private readonly gridChunk: number;
  private readonly slabTail: boolean;

  constructor(config: SfnoConfig, options: SfnoBuildOptions = {}) {
    this.config = resolveSfnoConfig(config);
    this.dims = sfnoDims(this.config);
    const { h, w, modes } = this.dims;
    const [nlat, nlon] = this.config.imgSize;
    const groupSize = options.groupSize ?? 8;
    this.mlpLayout = options.mlpLayout ?? 'hidden-last';
    this.geluForm = options.gelu ?? 'pattern';
    this.spectralNorm = options.spectralNorm ?? true;
    this.gridChunk = options.gridChunk ?? 0;
    this.slabTail = options.slabTail ?? true;
    if (!Number.isInteger(this.gridChunk) || this.gridChunk < 0) throw new SfnoConfigError(`SFNO: gridChunk must be a non-negative integer, got ${this.gridChunk}`);
    const dftChoice = options.dft ?? 'auto';
    const equatorialSymmetry = options.equatorialSymmetry ?? false;
    const make = (grid: Grid, dft: 'auto' | 'direct' | 'factorised') =>
      new ShtPlan(grid, { lmax: modes, mmax: modes, norm: 'ortho', csphase: true, dtype: 'float32', groupSize, blockLayout: 'degree-major', dft, equatorialSymmetry });
    const outerGrid: Grid = { kind: this.config.grid, nlat, nlon };
    const innerGrid: Grid = { kind: 'legendre-gauss', nlat: h, nlon: w };
    let outer = make(outerGrid, dftChoice);
    let inner = make(innerGrid, dftChoice);
    if (!sameBlocks(outer, inner)) {
      // spectra pass between the two grids' transforms: their packed blocks must hold the same (m, l)
      outer = make(outerGrid, 'direct');
      inner = make(innerGrid, 'direct');
    }
    if (!sameBlocks(outer, inner)) throw new GraphError('SFNO: the outer and inner transforms pack spectra differently');
    this.outer = outer;
    this.inner = sameGrid(outerGrid, innerGrid) ? outer : inner;
  }

  get parameterShapes(): Map<string, number[]> {
    return sfnoParameterShapes(this.config);
  }

  /** Public [N, C, nlat, nlon] → internal [nlon, C, N·nlat_f] on the outer grid. */
  toInternal(g: Graph, x: Tensor): Tensor {
    const [nlat, nlon] = this.config.imgSize;
    const C = x.shape[1] as number;
    if (x.rank !== 4 || x.shape[2] !== nlat || x.shape[3] !== nlon) throw new GraphError(`SFNO: input must be [N, C, ${nlat}, ${nlon}], got [${x.shape.join(',')}]`);
    // two cheap transposes (swap N and C with whole rows moved, then a 2-D transpose) instead of one 4-D
    // permutation, which onnxruntime runs element by element (≈4× slower here)
    const folded = g.transpose(g.gather(x, this.outer.foldedRows, 2), [1, 0, 2, 3]); // [C, N, H_f, W]
    return g.reshape(g.transpose(g.reshape(folded, [-1, nlon]), [1, 0]), [nlon, C, -1]);
  }

  /** Internal [nlon, C, N·nlat_f] → public [N, C, nlat, nlon] (`n`: the batch size, symbolic or static). */
  fromInternal(g: Graph, y: Tensor, n: Dim = 'N'): Tensor {
    const [nlat, nlon] = this.config.imgSize;
    const C = y.shape[1] as number;
    const t = g.transpose(g.reshape(g.transpose(g.reshape(y, [nlon, -1]), [1, 0]), [C, n, nlat, nlon]), [1, 0, 2, 3]); // [N, C, H_f, W]
    const unfold = new Array<number>(nlat);
    this.outer.foldedRows.forEach((row, r) => (unfold[row] = r));
    return g.gather(t, unfold, 2);
  }

  /** The network on internal activations: x [nlon, inChans, N·nlat_f] → [nlon, outChans, N·nlat_f]. */
  forwardInternal(g: Graph, p: Map<string, Tensor>, x: Tensor): Tensor {
    return this.forwardInternalShared(g, p, x, null);
  }

  /**
   * The network when the last input channels are the same for every member (static fields, time features):
   * `x` [nlon, k, N·nlat_f] holds the first k input channels per member, `shared` [nlon, inChans − k, nlat_f] the
   * rest once. The encoder and the big skip are linear, so the shared channels enter through their own small GEMMs
   * and a broadcast add: no per-member copies of static fields (what rollouts want).
   */
  forwardInternalShared(g: Graph, p: Map<string, Tensor>, x: Tensor, shared: Tensor | null): Tensor {
    const c = this.config;
    const shapes = this.parameterShapes;
    for (const [name, shape] of shapes) {
      const t = p.get(name);
      if (!t) throw new GraphError(`SFNO: parameter '${name}' is missing`);
      if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]))
        throw new GraphError(`SFNO: parameter '${name}' has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    const [nlat, nlon] = c.imgSize;
    const k = shared ? c.inChans - (shared.shape[1] as number) : c.inChans;
    if (x.rank !== 3 || x.shape[0] !== nlon || x.shape[1] !== k || k < 1)
      throw new GraphError(`SFNO: internal input must be [${nlon}, ${k}, N·${nlat}], got [${x.shape.join(',')}]`);
    if (shared && (shared.rank !== 3 || shared.shape[0] !== nlon || shared.shape[2] !== nlat))
      throw new GraphError(`SFNO: shared inputs must be [${nlon}, channels, ${nlat}], got [${shared.shape.join(',')}]`);
    const E = c.embedDim;
    const P = (name: string) => p.get(name)!;
    const mat = (name: string) => {
      const s = shapes.get(name)!;
      return g.reshape(P(name), [s[0], s[1]]);
    };
    // W[:, a:b] @ input channels a..b: per-member channels as they are, shared ones broadcast over the members
    const inputTerm = (w: Tensor, out: number): Tensor => {
      const wx = k === c.inChans ? w : g.slice(w, [0], [k], [1]);
      let t = g.matmul(wx, x);
      if (shared) {
        const ws = g.slice(w, [k], [c.inChans], [1]);
        const s4 = g.reshape(g.matmul(ws, shared), [nlon, out, 1, nlat]);
        t = g.reshape(g.add(g.reshape(t, [nlon, out, -1, nlat]), s4), [nlon, out, -1]);
      }
      return t;
    };
    // The encoder, the position embedding, the spectral transforms and the decoder are linear, so where a block
    // changes grid (scale factor > 1) the full-resolution embedding of the first block is never formed: its
    // forward transform runs on the input channels (shared channels and the embedding once, not per member) and
    // the encoder mixes channels in spectral space. Likewise the last block's resampled residual is only seen by
    // the decoder, which is applied to its spectrum before the synthesis (out channels instead of embed channels
    // at full resolution). Same function, fewer full-resolution passes.
    const last = c.numLayers - 1;
    const changesGrid = (i: number) => {
      const f = (i === 0 ? this.outer : this.inner).config.grid;
      const v = (i === last ? this.outer : this.inner).config.grid;
      return f.nlat !== v.nlat || f.nlon !== v.nlon;
    };
    const spectralIn = changesGrid(0);
    const spectralOut = changesGrid(last);
    let h: Tensor | null = null;
    let X0: Packed | null = null;
    if (spectralIn) X0 = this.spectralEncoder(g, p, x, shared, k);
    else {
      h = inputTerm(mat('encoder.0.weight'), E); // [W, E, N·H]
      if (c.posEmbed !== 'none') h = this.addPosEmbed(g, h, P('pos_embed'));
    }
    let resSpectrum: Packed | null = null;
    let lastShift: Tensor | null = null;
    const dec = mat('decoder.0.weight');
    const dx = c.bigSkip ? g.slice(dec, [0], [E], [1]) : dec;
    let decoded: Tensor | null = null;
    for (let i = 0; i < c.numLayers; i++) {
      const fwdPlan = i === 0 ? this.outer : this.inner;
      const invPlan = i === last ? this.outer : this.inner;
      const b = `blocks.${i}`;
      const Hin = fwdPlan.config.grid.nlat;
      const Win = fwdPlan.config.grid.nlon;
      const Hout = invPlan.config.grid.nlat;
      const Wout = invPlan.config.grid.nlon;
      const X = i === 0 && X0 ? X0 : analysis(g, fwdPlan, g.reshape(h!, [Win, -1, Hin])); // Bf = (E, N)
      const scaleResidual = Hin !== Hout || Win !== Wout;
      let res: Tensor | null = null;
      if (scaleResidual && i === last && spectralOut) resSpectrum = X;
      else res = scaleResidual ? g.reshape(synthesis(g, invPlan, X), [Wout, E, -1]) : h!;
      let Y = this.contract(g, fwdPlan, X, P(`${b}.filter.filter.weight`));
      // instance norm of a band-limited field is applied to its spectrum (statistics from spectral quadratic forms)
      const normInSpectrum = c.normalization === 'instance_norm' && this.spectralNorm;
      if (normInSpectrum) Y = this.spectralInstanceNorm(g, invPlan, Y, P(`${b}.norm0.weight`), P(`${b}.norm0.bias`));
      let y = g.reshape(synthesis(g, invPlan, Y), [Wout, E, -1]);
      // a per-channel constant is removed exactly by instance and layer norm (both subtract the grid mean per
      // member and channel), so the spectral bias only enters without a norm; its gradient is then exactly zero
      if (c.normalization === 'none') y = g.add(y, g.reshape(P(`${b}.filter.filter.bias`), [1, E, 1]));
      if (!normInSpectrum) y = this.norm(g, y, `${b}.norm0`, p, invPlan);
      // activation and MLP act per grid point: run them on slabs of a few longitudes so that each slab's hidden
      // activations stay in cache (one split and one concat instead of several passes over memory)
      const slab = this.gridChunk > 0 && this.gridChunk < Wout ? this.gridChunk : Wout;
      const pointwise = (t: Tensor) => this.pointwiseMlp(g, t, b, p);
      if (slab < Wout && c.normalization === 'instance_norm' && this.slabTail) {
        // the whole block tail per slab: MLP, norm1's partial sums, then (statistics known) scale, shift and
        // residual, and in the last block the decoder; only the slabs' MLP outputs pass through memory
        const t = this.blockTailOnSlabs(g, y, res, `${b}.norm1`, (u) => pointwise(u), p, invPlan, slab, i === last ? dx : null);
        if (i === last) {
          decoded = t.out;
          lastShift = t.shift;
        } else h = t.out;
        continue;
      }
      if (slab === Wout) y = pointwise(y);
      else {
        const pieces: Tensor[] = [];
        for (let w0 = 0; w0 < Wout; w0 += slab) pieces.push(pointwise(g.slice(y, [w0], [Math.min(w0 + slab, Wout)], [0])));
        y = g.concat(pieces, 0);
      }
      if (i === last && c.normalization === 'instance_norm') {
        // the last norm's per-(channel, member) shift passes through the linear decoder: added to the few output
        // channels instead of the embed channels at full resolution
        const n1 = this.instanceNormParts(g, y, `${b}.norm1`, p, invPlan);
        y = n1.scaled;
        lastShift = n1.shift;
      } else y = this.norm(g, y, `${b}.norm1`, p, invPlan);
      h = res ? g.add(y, res) : y;
    }
    let out = decoded ?? g.matmul(dx, h!);
    if (lastShift) {
      const O = c.outChans;
      out = g.reshape(g.add(g.reshape(out, [nlon, O, -1, nlat]), g.reshape(g.matmul(dx, lastShift), [1, O, -1, 1])), [nlon, O, -1]);
    }
    if (resSpectrum) {
      // decoder(synthesis(X)) = synthesis(decoder · X)
      const O = c.outChans;
      out = g.add(out, g.reshape(synthesis(g, this.outer, this.mixChannels(g, this.inner, resSpectrum, dx, E)), [nlon, O, -1]));
    }
    if (!c.bigSkip) return out;
    const di = g.slice(dec, [E], [E + c.inChans], [1]);
    return g.add(out, inputTerm(di, c.outChans));
  }

  /** W [O, C] applied to the channels of packed blocks [g, nl, 2·(C, B)] → [g, nl, 2·(O, B)] (B = members, any size). */
  private mixChannels(g: Graph, plan: ShtPlan, blocks: Packed, w: Tensor, C: number): Packed {
    return blocks.map((blk, bi) => {
      const b = plan.blocks[bi];
      const rows = b.ms.length * b.ls.length * 2;
      return g.reshape(g.matmul(w, g.reshape(blk, [rows, C, -1])), [b.ms.length, b.ls.length, -1]);
    });
  }

  /**
   * The first block's input spectrum without the full-resolution embedding: SHT of the per-member input channels,
   * encoder applied per coefficient, plus (once for all members) the encoded shared channels and the embedding.
   */
  private spectralEncoder(g: Graph, p: Map<string, Tensor>, x: Tensor, shared: Tensor | null, k: number): Packed {
    const c = this.config;
    const E = c.embedDim;
    const [nlat, nlon] = c.imgSize;
    const plan = this.outer;
    const w = g.reshape(p.get('encoder.0.weight')!, [E, c.inChans]);
    const wx = k === c.inChans ? w : g.slice(w, [0], [k], [1]);
    const X = this.mixChannels(g, plan, analysis(g, plan, g.reshape(x, [nlon, -1, nlat])), wx, k); // [g, nl, 2·(E, N)]
    // per-coefficient offsets shared by the members: [g, nl, 2, E, 1] per block
    let offset: Packed | null = null;
    const addOffset = (o: Packed) => (offset = offset ? offset.map((t, i) => g.add(t, o[i])) : o);
    if (shared) {
      const ws = g.slice(w, [k], [c.inChans], [1]);
      addOffset(this.mixChannels(g, plan, analysis(g, plan, shared), ws, c.inChans - k));
    }
    if (c.posEmbed !== 'none') {
      const pe = g.add(g.constant(new Float32Array(nlon * nlat), [nlon, 1, 1, nlat]), this.gridParam(g, p.get('pos_embed')!, plan)); // [W, E, 1, H]
      addOffset(analysis(g, plan, g.reshape(pe, [nlon, E, nlat])));
    }
    if (!offset) return X;
    const off: Packed = offset;
    return X.map((t, i) => {
      const b = plan.blocks[i];
      const shape = [b.ms.length, b.ls.length, 2, E];
      return g.reshape(g.add(g.reshape(t, [...shape, -1]), g.reshape(off[i], [...shape, 1])), [b.ms.length, b.ls.length, -1]);
    });
  }

  /** The network in torch-harmonics' layout: x [N, inChans, nlat, nlon] → [N, outChans, nlat, nlon]. */
  forward(g: Graph, p: Map<string, Tensor>, x: Tensor): Tensor {
    return this.fromInternal(g, this.forwardInternal(g, p, this.toInternal(g, x)), x.shape[0]);
  }

  /** act, then (with use_mlp) fc2(act(fc1(·) + bias)) on [w, E, N·H] activations (any number w of longitudes). */
  private pointwiseMlp(g: Graph, y: Tensor, b: string, p: Map<string, Tensor>): Tensor {
    y = this.act(g, y);
    if (!this.config.useMlp) return y;
    const shapes = this.parameterShapes;
    // weight views built once per graph and parameter, however many slabs use them (fewer nodes to compile)
    const mat = (name: string) => this.once(g, p, `mat:${name}`, () => {
      const s = shapes.get(name)!;
      return g.reshape(p.get(name)!, [s[0], s[1]]);
    });
    const transposed = (name: string) => this.once(g, p, `t:${name}`, () => g.transpose(mat(name), [1, 0]));
    const bias = p.get(`${b}.mlp.fwd.0.bias`)!;
    // hidden activations as [w, N·H, hidden]: the bias then runs along the last axis, where onnxruntime fuses
    // bias + GELU into one kernel; both transposes fold into the GEMMs (transposed operands)
    if (this.mlpLayout === 'hidden-last' && y.shape[0] === 1) {
      // one longitude (a slab of gridChunk 1): 2-D products with the bias on the last axis, which onnxruntime runs
      // as one Gemm (transposed operand, bias included) followed by a plain Gelu (no BiasGelu and its temporary)
      const E = y.shape[1] as number;
      const y2 = g.transpose(g.reshape(y, [E, -1]), [1, 0]); // [N·H, E]
      const w1t = transposed(`${b}.mlp.fwd.0.weight`); // [E, hidden]
      const z = this.act(g, g.add(g.matmul(y2, w1t), bias)); // [N·H, hidden]
      return g.reshape(g.matmul(mat(`${b}.mlp.fwd.2.weight`), g.transpose(z, [1, 0])), [1, E, -1]);
    }
    if (this.mlpLayout === 'hidden-last') {
      const w1t = transposed(`${b}.mlp.fwd.0.weight`); // [E, hidden]
      const z = this.act(g, g.add(g.matmul(g.transpose(y, [0, 2, 1]), w1t), bias)); // [w, N·H, hidden]
      return g.matmul(mat(`${b}.mlp.fwd.2.weight`), g.transpose(z, [0, 2, 1])); // [w, E, N·H]
    }
    const hidden = shapes.get(`${b}.mlp.fwd.0.weight`)![0];
    const column = this.once(g, p, `col:${b}`, () => g.reshape(bias, [1, hidden, 1]));
    const z = this.act(g, g.add(g.matmul(mat(`${b}.mlp.fwd.0.weight`), y), column)); // [w, hidden, N·H]
    return g.matmul(mat(`${b}.mlp.fwd.2.weight`), z);
  }

  private derived = new WeakMap<Graph, WeakMap<Map<string, Tensor>, Map<string, Tensor>>>();

  /** A tensor derived from the parameters `p` of graph `g`, built on first use and shared afterwards. */
  private once(g: Graph, p: Map<string, Tensor>, key: string, make: () => Tensor): Tensor {
    let byParams = this.derived.get(g);
    if (!byParams) this.derived.set(g, (byParams = new WeakMap()));
    let m = byParams.get(p);
    if (!m) byParams.set(p, (m = new Map()));
    let t = m.get(key);
    if (!t) m.set(key, (t = make()));
    return t;
  }

  private act(g: Graph, x: Tensor): Tensor {
    const a = this.config.activation;
    if (a === 'relu') return g.relu(x);
    if (a === 'identity') return x;
    if (this.geluForm === 'op') return g.gelu(x);
    // exact GELU written as x·(1 + erf(x/√2))·½, the pattern onnxruntime fuses into one Gelu kernel
    return g.mul(g.mul(x, g.add(g.erf(g.div(x, Math.SQRT2)), 1)), 0.5);
  }

  /** A [.., H, W]-shaped parameter (leading dims 1 or E) → internal [W, C, 1, H_f] on `plan`'s grid. */
  private gridParam(g: Graph, t: Tensor, plan: ShtPlan): Tensor {
    const H = t.shape[t.rank - 2] as number;
    const W = t.shape[t.rank - 1] as number;
    const C = t.rank === 4 ? (t.shape[1] as number) : 1;
    let u = g.reshape(t, [C, H, W]);
    if (H > 1) u = g.gather(u, plan.foldedRows, 1);
    return g.reshape(g.transpose(u, [2, 0, 1]), [W, C, 1, H]);
  }

  private addPosEmbed(g: Graph, h: Tensor, pe: Tensor): Tensor {
    const [nlat, nlon] = this.config.imgSize;
    const E = this.config.embedDim;
    const x4 = g.reshape(h, [nlon, E, -1, nlat]);
    return g.reshape(g.add(x4, this.gridParam(g, pe, this.outer)), [nlon, E, -1]);
  }

  /**
   * Instance norm (per member and channel over the grid points, biased variance, eps 1e-6) of f = synthesis(Y),
   * applied to Y: f's grid mean is a weighted sum of the m = 0 coefficients and its mean square a quadratic form
   * Σ_m c_m Yᵐᵀ Gᵐ Yᵐ with the Gram matrices Gᵐ of the Legendre functions over the grid rows (c_0 = 1, else 2;
   * the imaginary part at m = 0, which the synthesis ignores, is zeroed). The mean is removed from the (0, 0)
   * coefficient first, so the quadratic form is the (biased) variance itself, as PyTorch computes it, without the
   * cancellation of E[f²] − mean²; (f − mean)·rstd·w + b is then the synthesis of the centred Y·a plus b on the
   * (0, 0) coefficient. Same function as the grid-point norm, on spectrum-sized data.
   */
  private spectralInstanceNorm(g: Graph, plan: ShtPlan, Y: Packed, weight: Tensor, bias: Tensor): Packed {
    const E = this.config.embedDim;
    const tabs = this.normTables(plan);
    const shape5 = (b: SpectralBlock) => [b.ms.length, b.ls.length, 2, E, -1];
    // the imaginary part at m = 0 (ignored by the synthesis) zeroed, then the grid mean from the m = 0 block
    const masked = Y.map((blk, bi) => {
      const t = tabs[bi];
      const b = plan.blocks[bi];
      return t.mask ? g.reshape(g.mul(g.reshape(blk, [b.ms.length, b.ls.length, 2, -1]), g.constant(t.mask, [b.ms.length, 1, 2, 1])), [b.ms.length, b.ls.length, -1]) : blk;
    });
    let mean: Tensor | null = null;
    masked.forEach((y, bi) => {
      const t = tabs[bi];
      const b = plan.blocks[bi];
      if (!t.meanRow) return;
      const rows = b.ms.length * b.ls.length * 2;
      const m = g.matmul(g.constant(t.meanRow, [1, rows]), g.reshape(y, [rows, -1])); // [1, Bf]
      mean = mean ? g.add(mean, m) : m;
    });
    if (!mean || !tabs.some((t) => t.constantCoefficient)) throw new GraphError('SFNO: the spectral norm needs the (l = 0, m = 0) coefficient');
    const mean2 = g.reshape(mean, [E, -1]); // [E, N]
    // centre in spectral space (the mean removed from the (0, 0) coefficient), so that the variance is the quadratic
    // form itself, without the cancellation of E[f²] − mean²
    const centred = masked.map((y, bi) => {
      const t = tabs[bi];
      const b = plan.blocks[bi];
      if (!t.constantCoefficient) return y;
      const unit = g.constant(t.constantCoefficient, [b.ms.length, b.ls.length, 2, 1, 1]);
      return g.reshape(g.sub(g.reshape(y, shape5(b)), g.mul(unit, mean2)), [b.ms.length, b.ls.length, -1]);
    });
    let square: Tensor | null = null;
    centred.forEach((y, bi) => {
      const t = tabs[bi];
      const b = plan.blocks[bi];
      const gsz = b.ms.length;
      const nl = b.ls.length;
      const q = g.mul(g.matmul(g.constant(t.gram, [gsz, nl, nl]), y), y); // [g, nl, 2·Bf]
      const s = g.reduceSum(g.reshape(q, [gsz * nl * 2, -1]), [0], true); // [1, Bf]
      square = square ? g.add(square, s) : s;
    });
    const variance = g.maximum(g.reshape(square!, [E, -1]), 0);
    const a = g.mul(g.div(1, g.sqrt(g.add(variance, 1e-6))), g.reshape(weight, [E, 1])); // [E, N]
    const shift = g.reshape(bias, [E, 1]);
    return centred.map((blk, bi) => {
      const b = plan.blocks[bi];
      const t = tabs[bi];
      let z = g.mul(g.reshape(blk, shape5(b)), a);
      if (t.constantCoefficient) z = g.add(z, g.mul(g.constant(t.constantCoefficient, [b.ms.length, b.ls.length, 2, 1, 1]), shift));
      return g.reshape(z, [b.ms.length, b.ls.length, -1]);
    });
  }

  private normTableCache = new Map<ShtPlan, NormTables[]>();

  /** Per block of `plan`: Gram matrices (× c_m / nlat), the mean weights and the (0, 0) unit field coefficient. */
  private normTables(plan: ShtPlan): NormTables[] {
    let out = this.normTableCache.get(plan);
    if (out) return out;
    const { nlat } = plan.config.grid;
    out = plan.blocks.map((b) => {
      const gsz = b.ms.length;
      const nl = b.ls.length;
      const all = b.parity === 'all';
      const symmetric = all || b.parity === 'even';
      const rows = all ? nlat : symmetric ? plan.nHalf : plan.nHalfAnti;
      // north rows of the synthesis table; the south rows mirror them (± by parity), the equator row (odd nlat) once;
      // a parity 'all' block has every row
      const T = rows > 0 ? plan.blockTable('si', 0, b, rows, true) : new Float64Array(0);
      const mult = (k: number) => (all || (nlat % 2 === 1 && symmetric && k === rows - 1) ? 1 : 2);
      const gram = new Float32Array(gsz * nl * nl);
      const mi = b.ms.indexOf(0);
      const meanRow = mi >= 0 && symmetric ? new Float32Array(gsz * nl * 2) : null;
      const constantCoefficient = meanRow && b.ls[0] === 0 ? new Float32Array(gsz * nl * 2) : null;
      const mask = mi >= 0 ? new Float32Array(gsz * 2).fill(1) : null;
      if (mask) mask[mi * 2 + 1] = 0;
      for (let i = 0; i < gsz; i++) {
        const cm = b.ms[i] === 0 ? 1 : 2;
        for (let j = 0; j < nl; j++) {
          for (let j2 = 0; j2 < nl; j2++) {
            let acc = 0;
            for (let k = 0; k < rows; k++) acc += mult(k) * T[(i * nl + j) * rows + k] * T[(i * nl + j2) * rows + k];
            gram[(i * nl + j) * nl + j2] = (cm * acc) / nlat;
          }
          if (meanRow && i === mi) {
            let acc = 0;
            for (let k = 0; k < rows; k++) acc += mult(k) * T[(i * nl + j) * rows + k];
            meanRow[(i * nl + j) * 2] = acc / nlat;
          }
        }
        // the (l = 0, m = 0) function is the constant T[0]: coefficient 1/T[0] synthesises the unit field
        if (constantCoefficient && i === mi) constantCoefficient[i * nl * 2] = 1 / T[i * nl * rows];
      }
      return { gram, meanRow, constantCoefficient, mask };
    });
    this.normTableCache.set(plan, out);
    return out;
  }

  /**
   * A block's tail on slabs of `slab` longitudes: x = mlp(y) per slab with the instance norm's partial sums of x
   * and x² per (channel, member); once all slabs are done, per slab x·a + (b − mean·a) + res, where a = rstd·w.
   * With `decoder` (the last block) the decoder is applied per slab to x·a (+ res) and the shift [E, N] is returned
   * for the caller to pass through the decoder; otherwise `out` is the block output [W, E, N·H].
   */
  private blockTailOnSlabs(g: Graph, y: Tensor, res: Tensor | null, prefix: string, mlp: (t: Tensor) => Tensor, p: Map<string, Tensor>, plan: ShtPlan, slab: number, decoder: Tensor | null): { out: Tensor; shift: Tensor } {
    const E = this.config.embedDim;
    const { nlat: H, nlon: W } = plan.config.grid;
    const xs: Tensor[] = [];
    const sums: Tensor[] = [];
    const squares: Tensor[] = [];
    // sums over latitude per longitude, then over the slab's longitudes: [1, E, N] per slab
    const partial = (t: Tensor, ws: number) => {
      const r = g.reduceSum(t, [3]); // [ws, E, N]
      return ws > 1 ? g.reduceSum(r, [0], true) : r;
    };
    for (let w0 = 0; w0 < W; w0 += slab) {
      const ws = Math.min(w0 + slab, W) - w0;
      const x4 = g.reshape(mlp(g.slice(y, [w0], [w0 + ws], [0])), [ws, E, -1, H]);
      xs.push(x4);
      sums.push(partial(x4, ws));
      squares.push(partial(g.mul(x4, x4), ws));
    }
    const total = (parts: Tensor[]) => g.div(g.reduceSum(g.concat(parts, 0), [0], true), W * H); // [1, E, N]
    const mean = g.unsqueeze(total(sums), [3]); // [1, E, N, 1]
    const variance = g.maximum(g.sub(g.unsqueeze(total(squares), [3]), g.mul(mean, mean)), 0);
    const rstd = g.div(1, g.sqrt(g.add(variance, 1e-6)));
    const a = g.mul(rstd, g.reshape(p.get(`${prefix}.weight`)!, [1, E, 1, 1]));
    const shift = g.sub(g.reshape(p.get(`${prefix}.bias`)!, [1, E, 1, 1]), g.mul(mean, a)); // [1, E, N, 1]
    const outs = xs.map((x4, si) => {
      const w0 = si * slab;
      const ws = x4.shape[0] as number;
      let t = g.mul(x4, a);
      if (!decoder) t = g.add(t, shift);
      if (res) t = g.add(t, g.reshape(g.slice(res, [w0], [w0 + ws], [0]), [ws, E, -1, H]));
      t = g.reshape(t, [ws, E, -1]);
      return decoder ? g.matmul(decoder, t) : t;
    });
    return { out: g.concat(outs, 0), shift: g.reshape(shift, [E, -1]) };
  }

  /** Instance or layer norm on [W, E, N·H] (statistics per member and channel over the grid, eps 1e-6). */
  private norm(g: Graph, y: Tensor, prefix: string, p: Map<string, Tensor>, plan: ShtPlan): Tensor {
    return this.gridNorm(g, y, prefix, p, plan, false) as Tensor;
  }

  /** Instance norm on [W, E, N·H] as x·a [W, E, N·H] and the shift b − mean·a [E, N] (to be added by the caller). */
  private instanceNormParts(g: Graph, y: Tensor, prefix: string, p: Map<string, Tensor>, plan: ShtPlan): { scaled: Tensor; shift: Tensor } {
    return this.gridNorm(g, y, prefix, p, plan, true) as { scaled: Tensor; shift: Tensor };
  }

  private gridNorm(g: Graph, y: Tensor, prefix: string, p: Map<string, Tensor>, plan: ShtPlan, split: boolean): Tensor | { scaled: Tensor; shift: Tensor } {
    const kind = this.config.normalization;
    if (kind === 'none') return y;
    const E = this.config.embedDim;
    const { nlat: H, nlon: W } = plan.config.grid;
    const x4 = g.reshape(y, [W, E, -1, H]);
    // statistics per (channel, member): reduce the outer axis first, then latitude (two fast reductions instead
    // of one strided one); biased variance as E[x²] − mean², as in PyTorch, with eps 1e-6
    const meanOf = (t: Tensor) => g.reduceMean(g.reduceMean(t, [0], true), [3], true); // [1, E, N, 1]
    const mean = meanOf(x4);
    const variance = g.maximum(g.sub(meanOf(g.mul(x4, x4)), g.mul(mean, mean)), 0);
    const rstd = g.div(1, g.sqrt(g.add(variance, 1e-6))); // [1, E, N, 1]
    const wt = p.get(`${prefix}.weight`)!;
    const bs = p.get(`${prefix}.bias`)!;
    let z: Tensor;
    if (kind === 'instance_norm') {
      // (x − mean)·rstd·w + b = x·a + (b − mean·a) with a = rstd·w: two passes over the grid
      const a = g.mul(rstd, g.reshape(wt, [1, E, 1, 1]));
      const shift = g.sub(g.reshape(bs, [1, E, 1, 1]), g.mul(mean, a));
      if (split) return { scaled: g.reshape(g.mul(x4, a), [W, E, -1]), shift: g.reshape(shift, [E, -1]) };
      z = g.add(g.mul(x4, a), shift);
    } else {
      z = g.add(g.mul(g.mul(g.sub(x4, mean), rstd), this.gridParam(g, wt, plan)), this.gridParam(g, bs, plan));
    }
    return g.reshape(z, [W, E, -1]);
  }

  /** Spectral contraction of packed blocks [g, nl, 2·E·N] with the filter weight. */
  private contract(g: Graph, plan: ShtPlan, X: Packed, weight: Tensor): Packed {
    const E = this.config.embedDim;
    const L = this.dims.modes;
    // real form of the complex weight: [[Wre, −Wim], [Wim, Wre]] acting on (re, im)·E
    const realForm = (re: Tensor, im: Tensor, lead: number[]): Tensor => {
      const top = g.concat([re, g.neg(im)], lead.length + 1);
      const bottom = g.concat([im, re], lead.length + 1);
      return g.concat([top, bottom], lead.length);
    };
    if (this.config.operatorType === 'driscoll-healy') {
      // weight [O, I, L, 2] → [L, O, I] re / im
      const wt = g.transpose(weight, [3, 2, 0, 1]); // [2, L, O, I]
      const re = g.reshape(g.slice(wt, [0], [1], [0]), [L, E, E]);
      const im = g.reshape(g.slice(wt, [1], [2], [0]), [L, E, E]);
      const Wr = realForm(re, im, [L]); // [L, 2O, 2I]
      return plan.blocks.map((b, i) => {
        const nl = b.ls.length;
        const Wb = g.slice(Wr, [b.ls[0]], [b.ls[nl - 1] + 1], [0], [degreeStep(b)]); // [nl, 2O, 2I]
        const xb = g.reshape(X[i], [b.ms.length, nl, 2 * E, -1]);
        return g.reshape(g.matmul(Wb, xb), [b.ms.length, nl, -1]);
      });
    }
    // diagonal: weight [O, I, L, M, 2] → [M, L, O, I] re / im
    const wt = g.transpose(weight, [4, 3, 2, 0, 1]); // [2, M, L, O, I]
    const re = g.reshape(g.slice(wt, [0], [1], [0]), [L, L, E, E]);
    const im = g.reshape(g.slice(wt, [1], [2], [0]), [L, L, E, E]);
    const Wr = realForm(re, im, [L, L]); // [M, L, 2O, 2I]
    return plan.blocks.map((b, i) => {
      const nl = b.ls.length;
      const Wm = g.gather(Wr, b.ms, 0); // [g, L, 2O, 2I]
      const Wb = g.slice(Wm, [b.ls[0]], [b.ls[nl - 1] + 1], [1], [degreeStep(b)]); // [g, nl, 2O, 2I]
      const xb = g.reshape(X[i], [b.ms.length, nl, 2 * E, -1]);
      return g.reshape(g.matmul(Wb, xb), [b.ms.length, nl, -1]);
    });
  }
}

interface NormTables {
  gram: Float32Array;
  meanRow: Float32Array | null;
  constantCoefficient: Float32Array | null;
  mask: Float32Array | null;
}

/** Step between a block's consecutive degrees: 2 within one equatorial parity, 1 for an all-degree block. */
function degreeStep(b: SpectralBlock): number {
  return b.ls.length > 1 ? b.ls[1] - b.ls[0] : 1;
}

function sameGrid(a: Grid, b: Grid): boolean {
  return a.kind === b.kind && a.nlat === b.nlat && a.nlon === b.nlon;
}

function sameBlocks(a: ShtPlan, b: ShtPlan): boolean {
  if (a.blocks.length !== b.blocks.length) return false;
  return a.blocks.every((x, i) => {
    const y = b.blocks[i];
    return x.parity === y.parity && x.ms.join() === y.ms.join() && x.ls.join() === y.ls.join();
  });
}

/** Parameters as named constants of `g` (inference graphs: onnxruntime may prepack them). */
export function constantParameters(g: Graph, c: SfnoConfig, values: Map<string, Float32Array>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, shape] of sfnoParameterShapes(c)) {
    const v = values.get(name);
    if (!v) throw new GraphError(`SFNO: parameter '${name}' is missing`);
    out.set(name, g.initializer(name, v, shape));
  }
  return out;
}

/** Parameters as graph inputs of `g` under their own names (training graphs). */
export function inputParameters(g: Graph, c: SfnoConfig): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, shape] of sfnoParameterShapes(c)) out.set(name, g.input(name, 'float32', shape));
  return out;
}
