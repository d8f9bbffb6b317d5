// The engine's public API in one import: graph builder, ONNX export, runtime, autodiff, optimisers, the training
// loop helper and counter-based random numbers. Other layers import from here.
export {
  type Attrs,
  type DType,
  type Dim,
  type HostData,
  type Node,
  type OpName,
  type Operand,
  type Shape,
  type TensorSource,
  Graph,
  GraphError,
  Tensor,
  broadcastShapes,
  dimEquals,
  formatShape,
  hostArray,
  isStatic,
  parseDim,
  shapeProduct,
  staticSize,
} from './graph.ts';
export { type ExportedModel, ERF64_TERMS, ONNX_IR_VERSION, ONNX_OPSET, exportOnnx, neededNodes } from './onnx.ts';
export {
  type CompileOptions,
  type Feed,
  type HostTensor,
  Executable,
  RuntimeError,
  compile,
  defaultThreads,
  evaluate,
  loadOnnx,
  releaseSessions,
} from './runtime.ts';
export { GRADIENT_RULES, grad, sumToShape } from './autodiff.ts';
export {
  type AdamWOptions,
  type AdamWStep,
  type ClippedGradients,
  type CosineSchedule,
  adamw,
  checkCosineSchedule,
  clipGradNorm,
  cosineLr,
  cosineLrAt,
} from './optim.ts';
export {
  type OptimizerConfig,
  type OptimizerState,
  type ParamArray,
  type ParamInit,
  type StepResult,
  type TrainerSpec,
  Trainer,
  appendTrainingStep,
  stepNames,
} from './train.ts';
export {
  type PhiloxKey,
  type StreamId,
  PHILOX_ROUNDS,
  keyFromSeed,
  normalFill,
  philox4x32,
  streamKey,
  uniformFill,
} from './random.ts';
