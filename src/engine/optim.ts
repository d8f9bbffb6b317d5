// Optimisation as graph steps: AdamW (PyTorch's decoupled weight decay, bias-corrected moments), global-norm
// gradient clipping (as torch.nn.utils.clip_grad_norm_) and a cosine learning-rate schedule computed in-graph.
import { type Tensor, GraphError, dimEquals, formatShape } from './graph.ts';

export interface AdamWOptions {
  /** β1, decay of the first moment (default 0.9). */
  beta1?: number;
  /** β2, decay of the second moment (default 0.999). */
  beta2?: number;
  /** ε added to √v̂ (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay λ (default 0.01, PyTorch's default); a number for all parameters or one per parameter. */
  weightDecay?: number | number[];
}

export interface AdamWStep {
  params: Tensor[];
  m: Tensor[];
  v: Tensor[];
}

function checkFloatScalar(what: string, t: Tensor, dtype: string): void {
  if (t.rank !== 0) throw new GraphError(`${what}: expected a scalar, got shape ${formatShape(t.shape)}`);
  if (t.dtype !== dtype) throw new GraphError(`${what}: expected dtype ${dtype}, got ${t.dtype}`);
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.rank === b.rank && a.shape.every((d, i) => dimEquals(d, b.shape[i]));
}

function checkRange(what: string, value: number, lo: number, hi: number, loOpen = false, hiOpen = false): void {
  const ok = Number.isFinite(value) && (loOpen ? value > lo : value >= lo) && (hiOpen ? value < hi : value <= hi);
  if (!ok) throw new GraphError(`${what} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${value}`);
}

/**
 * Appends one AdamW update, as PyTorch's torch.optim.AdamW (Loshchilov & Hutter):
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  m̂ = m/(1−β1^t),  v̂ = v/(1−β2^t),
 *   p ← p − lr·(m̂/(√v̂ + ε) + λ·p)
 * `step` is the scalar count t of this update (1 for the first), `lr` a scalar tensor or a number.
 * All tensors share the parameters' float dtype.
 */
export function adamw(
  params: Tensor[],
  grads: Tensor[],
  m: Tensor[],
  v: Tensor[],
  step: Tensor,
  lr: Tensor | number,
  options: AdamWOptions = {},
): AdamWStep {
  if (params.length === 0) throw new GraphError('adamw: no parameters');
  const g = params[0].graph;
  const dt = params[0].dtype;
  if (dt !== 'float32' && dt !== 'float64') throw new GraphError(`adamw: parameters must be float32 or float64, got ${dt}`);
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n)
    throw new GraphError(`adamw: ${n} parameters but ${grads.length} gradients, ${m.length} first and ${v.length} second moments`);
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  checkRange('adamw: beta1', beta1, 0, 1, false, true);
  checkRange('adamw: beta2', beta2, 0, 1, false, true);
  checkRange('adamw: eps', eps, 0, Infinity);
  const wd = options.weightDecay ?? 0.01;
  const wds = Array.isArray(wd) ? wd : params.map(() => wd);
  if (wds.length !== n) throw new GraphError(`adamw: ${wds.length} weight decays for ${n} parameters`);
  wds.forEach((w, i) => checkRange(`adamw: weightDecay[${i}]`, w, 0, Infinity));
  checkFloatScalar('adamw: step', step, dt);
  const lrT = typeof lr === 'number' ? g.scalar(lr, dt) : lr;
  checkFloatScalar('adamw: lr', lrT, dt);

  // bias corrections depend only on t: 1/(1−β1^t) and 1/√(1−β2^t)
  const invBc1 = g.div(1, g.sub(1, g.pow(g.scalar(beta1, dt), step)));
  const invSqrtBc2 = g.div(1, g.sqrt(g.sub(1, g.pow(g.scalar(beta2, dt), step))));
  const out: AdamWStep = { params: [], m: [], v: [] };
  for (let i = 0; i < n; i++) {
    const [p, gr, mi, vi] = [params[i], grads[i], m[i], v[i]];
    for (const [what, t] of [['gradient', gr], ['first moment', mi], ['second moment', vi]] as const) {
      if (t.dtype !== dt || !sameShape(t, p))
        throw new GraphError(`adamw: ${what} ${i} is ${t.dtype}${formatShape(t.shape)}, parameter is ${p.dtype}${formatShape(p.shape)}`);
    }
    const m1 = g.add(g.mul(mi, beta1), g.mul(gr, 1 - beta1));
    const v1 = g.add(g.mul(vi, beta2), g.mul(g.mul(gr, gr), 1 - beta2));
    const mHat = g.mul(m1, invBc1);
    const vHatSqrt = g.mul(g.sqrt(v1), invSqrtBc2);
    let update = g.div(mHat, g.add(vHatSqrt, eps));
    if (wds[i] !== 0) update = g.add(update, g.mul(p, wds[i]));
    out.params.push(g.sub(p, g.mul(update, lrT)));
    out.m.push(m1);
    out.v.push(v1);
  }
  return out;
}

export interface ClippedGradients {
  grads: Tensor[];
  /** Global L2 norm of the gradients before clipping (scalar). */
  norm: Tensor;
}

/**
 * Global L2 norm of all gradients together, and the gradients scaled by min(1, maxNorm/(norm + 1e-6)),
 * as torch.nn.utils.clip_grad_norm_. With maxNorm = Infinity only the norm is computed.
 */
export function clipGradNorm(grads: Tensor[], maxNorm: number): ClippedGradients {
  if (grads.length === 0) throw new GraphError('clipGradNorm: no gradients');
  if (!(maxNorm > 0)) throw new GraphError(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const g = grads[0].graph;
  const dt = grads[0].dtype;
  const squares = grads.map((t, i) => {
    if (t.dtype !== dt) throw new GraphError(`clipGradNorm: gradient ${i} is ${t.dtype}, gradient 0 is ${dt}`);
    return g.reduceSum(g.mul(t, t));
  });
  const total = squares.reduce((a, b) => g.add(a, b));
  const norm = g.sqrt(total);
  if (maxNorm === Infinity) return { grads, norm };
  const scale = g.minimum(g.div(maxNorm, g.add(norm, 1e-6)), 1);
  return { grads: grads.map((t) => g.mul(t, scale)), norm };
}

export interface CosineSchedule {
  /** Peak learning rate (reached at the end of warm-up). */
  baseLr: number;
  /** Steps over which the cosine decays from baseLr to minLr (warm-up included). */
  totalSteps: number;
  /** Linear warm-up steps (default 0). */
  warmupSteps?: number;
  /** Floor of the decay (default 0). */
  minLr?: number;
}

export function checkCosineSchedule(s: CosineSchedule): void {
  checkRange('cosine schedule: baseLr', s.baseLr, 0, Infinity);
  const warm = s.warmupSteps ?? 0;
  const minLr = s.minLr ?? 0;
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new GraphError(`cosine schedule: totalSteps must be a positive integer, got ${s.totalSteps}`);
  if (!Number.isInteger(warm) || warm < 0 || warm > s.totalSteps)
    throw new GraphError(`cosine schedule: warmupSteps must be an integer in [0, totalSteps=${s.totalSteps}], got ${warm}`);
  checkRange('cosine schedule: minLr', minLr, 0, s.baseLr);
}

/**
 * The learning rate at 0-based step index s, as a scalar of the dtype of `step`:
 *   s < W:  baseLr·(s+1)/W                                   (linear warm-up, W = warmupSteps)
 *   s ≥ W:  minLr + ½(baseLr − minLr)(1 + cos(π·min(1, (s−W)/(T−W))))   (T = totalSteps; constant minLr after T)
 */
export function cosineLr(step: Tensor, schedule: CosineSchedule): Tensor {
  checkCosineSchedule(schedule);
  const g = step.graph;
  const dt = step.dtype;
  checkFloatScalar('cosineLr: step', step, dt);
  if (dt !== 'float32' && dt !== 'float64') throw new GraphError(`cosineLr: step must be float, got ${dt}`);
  const { baseLr, totalSteps } = schedule;
  const warm = schedule.warmupSteps ?? 0;
  const minLr = schedule.minLr ?? 0;
  const span = Math.max(1, totalSteps - warm);
  const progress = g.minimum(g.maximum(g.div(g.sub(step, warm), span), 0), 1);
  const cosine = g.add(g.mul(g.add(g.cos(g.mul(progress, Math.PI)), 1), 0.5 * (baseLr - minLr)), minLr);
  if (warm === 0) return cosine;
  const ramp = g.mul(g.add(step, 1), baseLr / warm);
  return g.where(g.less(step, warm), ramp, cosine);
}

/** The same schedule evaluated in plain TypeScript (for logging and checks). */
export function cosineLrAt(s: number, schedule: CosineSchedule): number {
  checkCosineSchedule(schedule);
  const warm = schedule.warmupSteps ?? 0;
  const minLr = schedule.minLr ?? 0;
  if (s < warm) return (schedule.baseLr * (s + 1)) / warm;
  const progress = Math.min(1, Math.max(0, (s - warm) / Math.max(1, schedule.totalSteps - warm)));
  return minLr + 0.5 * (schedule.baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
}

