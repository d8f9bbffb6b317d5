// The training loop helper: forward pass, `grad`, clipping and an AdamW step built once into one compiled graph;
// parameters and optimiser state live as typed arrays on the JS side and are fed in and read back every step.
import { Graph, GraphError, Tensor, formatShape } from './graph.ts';
import { grad } from './autodiff.ts';
import { type CosineSchedule, adamw, checkCosineSchedule, clipGradNorm, cosineLr, cosineLrAt } from './optim.ts';
import { type Executable, type Feed, type HostTensor, RuntimeError, compile } from './runtime.ts';

export type ParamArray = Float32Array | Float64Array;
export interface ParamInit {
  data: ParamArray;
  shape: number[];
}

export interface OptimizerConfig {
  /** A constant learning rate, or a cosine schedule evaluated in-graph from the step counter. */
  lr: number | CosineSchedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (default 0.01, as PyTorch's AdamW). */
  weightDecay?: number;
  /** Names of parameters exempt from weight decay (e.g. biases). */
  noDecay?: Iterable<string>;
  /** Clip the global gradient norm to this value (default: no clipping; the norm is reported either way). */
  clipNorm?: number;
}

/** Graph input/output names used by a training step for parameter `name`. */
export const stepNames = {
  step: 'optim.step',
  loss: 'loss',
  gradNorm: 'grad_norm',
  lr: 'lr',
  m: (name: string) => `optim.m.${name}`,
  v: (name: string) => `optim.v.${name}`,
  newParam: (name: string) => `new.${name}`,
  newM: (name: string) => `new.optim.m.${name}`,
  newV: (name: string) => `new.optim.v.${name}`,
};

/**
 * Appends the backward pass, optional clipping and one AdamW update to the graph that computes `loss`, and
 * declares the step's inputs (moments `optim.m.<name>`, `optim.v.<name>`, the 0-based step index `optim.step`)
 * and outputs (`new.<name>`, `new.optim.m.<name>`, `new.optim.v.<name>`, `loss`, `grad_norm`, `lr`).
 * `params` maps names to graph inputs of the same name.
 */
export function appendTrainingStep(loss: Tensor, params: Map<string, Tensor>, config: OptimizerConfig): void {
  const g = loss.graph;
  if (loss.rank !== 0) throw new GraphError(`training step: loss must be a scalar, got shape ${formatShape(loss.shape)}`);
  const dt = loss.dtype;
  if (dt !== 'float32' && dt !== 'float64') throw new GraphError(`training step: loss must be float32 or float64, got ${dt}`);
  if (params.size === 0) throw new GraphError('training step: no parameters');
  const names = [...params.keys()];
  const ps = names.map((n) => {
    const p = params.get(n)!;
    if (p.source.kind !== 'input' || p.source.name !== n) throw new GraphError(`training step: parameter '${n}' must be the graph input named '${n}'`);
    if (p.dtype !== dt) throw new GraphError(`training step: parameter '${n}' is ${p.dtype}, loss is ${dt}`);
    return p;
  });
  const step = g.input(stepNames.step, dt, []);
  const ms = names.map((n, i) => g.input(stepNames.m(n), dt, ps[i].shape));
  const vs = names.map((n, i) => g.input(stepNames.v(n), dt, ps[i].shape));
  const grads = grad(loss, ps);
  const clipped = clipGradNorm(grads, config.clipNorm ?? Infinity);
  const lr = typeof config.lr === 'number' ? g.scalar(config.lr, dt) : cosineLr(step, config.lr);
  const noDecay = new Set(config.noDecay ?? []);
  for (const n of noDecay) if (!params.has(n)) throw new GraphError(`training step: noDecay names unknown parameter '${n}'`);
  const wd = config.weightDecay ?? 0.01;
  const upd = adamw(ps, clipped.grads, ms, vs, g.add(step, 1), lr, {
    beta1: config.beta1,
    beta2: config.beta2,
    eps: config.eps,
    weightDecay: names.map((n) => (noDecay.has(n) ? 0 : wd)),
  });
  names.forEach((n, i) => {
    g.output(stepNames.newParam(n), upd.params[i]);
    g.output(stepNames.newM(n), upd.m[i]);
    g.output(stepNames.newV(n), upd.v[i]);
  });
  g.output(stepNames.loss, loss);
  g.output(stepNames.gradNorm, clipped.norm);
  g.output(stepNames.lr, lr);
}

export interface TrainerSpec {
  /** Initial parameter values by name (all float32 or all float64). */
  params: Map<string, ParamInit> | Record<string, ParamInit>;
  /** Builds the scalar loss from the parameters (graph inputs of the same names); declares its own batch inputs. */
  loss: (g: Graph, params: Map<string, Tensor>) => Tensor;
  optimizer: OptimizerConfig;
  /** Intra-op threads of the compiled step (default: the runtime's default). */
  threads?: number;
  name?: string;
}

export interface StepResult {
  /** Loss before this update. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate used by this update. */
  lr: number;
  /** Number of updates done so far (after this one). */
  step: number;
}

export interface OptimizerState {
  step: number;
  m: Map<string, ParamArray>;
  v: Map<string, ParamArray>;
}

function copy(a: ParamArray): ParamArray {
  return a.slice() as ParamArray;
}

/** Trains parameters with one compiled graph per step; deterministic for a given thread count and feed sequence. */
export class Trainer {
  private steps = 0;
  private constructor(
    private readonly exe: Executable,
    private readonly names: string[],
    private readonly shapes: Map<string, number[]>,
    private readonly dtype: 'float32' | 'float64',
    private values: Map<string, ParamArray>,
    private m: Map<string, ParamArray>,
    private v: Map<string, ParamArray>,
    readonly batchInputs: string[],
    readonly config: OptimizerConfig,
  ) {}

  static async create(spec: TrainerSpec): Promise<Trainer> {
    const init = spec.params instanceof Map ? spec.params : new Map(Object.entries(spec.params));
    if (init.size === 0) throw new GraphError('Trainer: no parameters');
    const names = [...init.keys()];
    const first = init.get(names[0])!.data;
    const dtype = first instanceof Float64Array ? 'float64' : 'float32';
    const shapes = new Map<string, number[]>();
    const values = new Map<string, ParamArray>();
    for (const [name, p] of init) {
      const ok = dtype === 'float64' ? p.data instanceof Float64Array : p.data instanceof Float32Array;
      if (!ok) throw new GraphError(`Trainer: parameter '${name}' is a ${p.data.constructor.name}, parameter '${names[0]}' a ${first.constructor.name}; all must share one dtype`);
      const n = p.shape.reduce((a, b) => a * b, 1);
      if (!p.shape.every((d) => Number.isInteger(d) && d >= 0) || n !== p.data.length)
        throw new GraphError(`Trainer: parameter '${name}' has ${p.data.length} values for shape ${formatShape(p.shape)}`);
      shapes.set(name, [...p.shape]);
      values.set(name, copy(p.data));
    }
    if (typeof spec.optimizer.lr !== 'number') checkCosineSchedule(spec.optimizer.lr);
    else if (!(spec.optimizer.lr >= 0)) throw new GraphError(`Trainer: lr must be a non-negative number, got ${spec.optimizer.lr}`);

    const g = new Graph(spec.name ?? 'train_step');
    const params = new Map<string, Tensor>();
    for (const name of names) params.set(name, g.input(name, dtype, shapes.get(name)!));
    const loss = spec.loss(g, params);
    if (!(loss instanceof Tensor) || loss.graph !== g) throw new GraphError('Trainer: the loss callback must return a Tensor of the graph it was given');
    appendTrainingStep(loss, params, spec.optimizer);
    const stateInputs = new Set<string>([stepNames.step, ...names, ...names.flatMap((n) => [stepNames.m(n), stepNames.v(n)])]);
    const batchInputs = [...g.inputs.keys()].filter((n) => !stateInputs.has(n));
    const exe = await compile(g, { threads: spec.threads });
    const zeros = () => new Map(names.map((n) => [n, (dtype === 'float64' ? new Float64Array(values.get(n)!.length) : new Float32Array(values.get(n)!.length)) as ParamArray]));
    return new Trainer(exe, names, shapes, dtype, values, zeros(), zeros(), batchInputs, spec.optimizer);
  }

  /** Number of updates done so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** The learning rate the next step will use. */
  get nextLr(): number {
    const lr = this.config.lr;
    return typeof lr === 'number' ? lr : cosineLrAt(this.steps, lr);
  }

  /** One update on a batch: feeds by batch input name (the inputs the loss callback declared). */
  async step(batch: Record<string, Feed>): Promise<StepResult> {
    for (const name of Object.keys(batch))
      if (!this.batchInputs.includes(name))
        throw new RuntimeError(`Trainer.step: '${name}' is not a batch input (batch inputs: ${this.batchInputs.join(', ') || 'none'})`);
    const feeds: Record<string, Feed> = { ...batch };
    const scalar = this.dtype === 'float64' ? Float64Array.of(this.steps) : Float32Array.of(this.steps);
    feeds[stepNames.step] = { data: scalar, shape: [] };
    for (const n of this.names) {
      const shape = this.shapes.get(n)!;
      feeds[n] = { data: this.values.get(n)!, shape };
      feeds[stepNames.m(n)] = { data: this.m.get(n)!, shape };
      feeds[stepNames.v(n)] = { data: this.v.get(n)!, shape };
    }
    const out = await this.exe.run(feeds);
    const take = (name: string): ParamArray => (out[name] as HostTensor).data as ParamArray;
    for (const n of this.names) {
      this.values.set(n, take(stepNames.newParam(n)));
      this.m.set(n, take(stepNames.newM(n)));
      this.v.set(n, take(stepNames.newV(n)));
    }
    this.steps++;
    return { loss: take(stepNames.loss)[0], gradNorm: take(stepNames.gradNorm)[0], lr: take(stepNames.lr)[0], step: this.steps };
  }

  /** Copies of the current parameters by name (for checkpoints). */
  params(): Map<string, ParamArray> {
    return new Map(this.names.map((n) => [n, copy(this.values.get(n)!)]));
  }

  /** Parameter shapes by name. */
  paramShapes(): Map<string, number[]> {
    return new Map(this.names.map((n) => [n, [...this.shapes.get(n)!]]));
  }

  /** Copies of the optimiser state (for resuming). */
  optimizerState(): OptimizerState {
    const c = (src: Map<string, ParamArray>) => new Map(this.names.map((n) => [n, copy(src.get(n)!)]));
    return { step: this.steps, m: c(this.m), v: c(this.v) };
  }

  /** Replaces parameters and, optionally, optimiser state (e.g. from a checkpoint). Arrays are copied and checked. */
  load(params: Map<string, ParamArray>, state?: OptimizerState): void {
    const check = (what: string, src: Map<string, ParamArray>): Map<string, ParamArray> => {
      const outMap = new Map<string, ParamArray>();
      for (const n of this.names) {
        const a = src.get(n);
        if (!a) throw new RuntimeError(`Trainer.load: ${what} '${n}' is missing`);
        const ok = this.dtype === 'float64' ? a instanceof Float64Array : a instanceof Float32Array;
        if (!ok || a.length !== this.values.get(n)!.length)
          throw new RuntimeError(`Trainer.load: ${what} '${n}' must be a ${this.dtype} array of ${this.values.get(n)!.length} values, got ${a.constructor.name}(${a.length})`);
        outMap.set(n, copy(a));
      }
      for (const n of src.keys()) if (!this.shapes.has(n)) throw new RuntimeError(`Trainer.load: unknown ${what} '${n}'`);
      return outMap;
    };
    const values = check('parameter', params);
    if (state) {
      if (!Number.isInteger(state.step) || state.step < 0) throw new RuntimeError(`Trainer.load: step must be a non-negative integer, got ${state.step}`);
      const m = check('first moment', state.m);
      const v = check('second moment', state.v);
      this.m = m;
      this.v = v;
      this.steps = state.step;
    }
    this.values = values;
  }
}
