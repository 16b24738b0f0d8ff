// Everything the two entries share: the main entry (index.ts) adds init/initSync over the
// embedded builds, the core entry (core.ts) init/initSync of a module compiled elsewhere.
export { runtimeInfo, dispose } from "./engine/runtime.js";
export type { InitOptions, RuntimeInfo } from "./engine/runtime.js";
export type { BuildChoice, BuildName } from "./engine/wasm.js";
export { DEFAULT_ARENA_BYTES } from "./engine/arena.js";
export {
  softmax,
  logSoftmax,
  logSumExp,
  entropy,
  softmaxAsync,
  logSoftmaxAsync,
  logSumExpAsync,
  entropyAsync,
} from "./ops/softmax.js";
export type { AsyncOf } from "./engine/op.js";
export type { SoftmaxOptions } from "./ops/softmax.js";
export {
  crossEntropy,
  crossEntropyBackward,
  crossEntropyWithGrad,
  crossEntropyAsync,
  crossEntropyBackwardAsync,
  crossEntropyWithGradAsync,
} from "./ops/crossentropy.js";
export type {
  CrossEntropyBackwardOptions,
  CrossEntropyBaseOptions,
  CrossEntropyOptions,
  CrossEntropyReducedOptions,
  CrossEntropyTarget,
  LossAndGrad,
} from "./checks/crossentropy.js";
export type { LabelArray, LabelList } from "./checks/targets.js";
export { linear, linearBackward, linearAsync, linearBackwardAsync } from "./ops/linear.js";
export type { LinearBackwardOptions, LinearGradients, LinearOptions } from "./checks/linear.js";
export {
  linearCrossEntropy,
  linearCrossEntropyWithGrad,
  linearCrossEntropyAsync,
  linearCrossEntropyWithGradAsync,
} from "./ops/linear-ce.js";
export type { LinearCrossEntropyResult } from "./ops/linear-ce.js";
export type { LinearCrossEntropyGradOptions, LinearCrossEntropyOptions } from "./checks/linear.js";
export {
  linearCrossEntropyStats,
  linearCrossEntropyShardGrad,
  linearCrossEntropyStatsAsync,
  linearCrossEntropyShardGradAsync,
  mergeCrossEntropyStats,
  crossEntropyFromStats,
} from "./ops/linear-shards.js";
export type { ShardGradients, StatsLossOptions } from "./ops/linear-shards.js";
export type { CrossEntropyStats, ShardGradOptions, ShardOptions } from "./checks/shards.js";
export type { Reduction } from "./checks/scalars.js";
export { argmax, accuracy, topK, argmaxAsync, accuracyAsync, topKAsync } from "./ops/select.js";
export type { AccuracyOptions, ArgmaxOptions, TopK, TopKOptions } from "./checks/select.js";
export { normalLogPdf, normalPdf, normalLogPdfAsync, normalPdfAsync } from "./ops/normal.js";
export { klDiv, klDivBackward, klDivWithGrad, klDivAsync, klDivBackwardAsync, klDivWithGradAsync } from "./ops/kl.js";
export {
  nllLoss,
  nllLossBackward,
  nllLossWithGrad,
  nllLossAsync,
  nllLossBackwardAsync,
  nllLossWithGradAsync,
} from "./ops/nll.js";
export { distillationLoss, distillationLossAsync } from "./ops/distillation.js";
export {
  gaussianNllLoss,
  gaussianNllLossWithGrad,
  gaussianNllLossAsync,
  gaussianNllLossWithGradAsync,
} from "./ops/gaussian.js";
export type {
  GaussianNllOptions,
  GaussianNllResult,
  GaussianNllWithGradOptions,
} from "./checks/gaussian.js";
export type { DistillationOptions, DistillationResult } from "./checks/distillation.js";
export {
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  binaryCrossEntropyWithLogitsWithGrad,
  binaryCrossEntropyWithLogitsAsync,
  binaryCrossEntropyWithLogitsBackwardAsync,
  binaryCrossEntropyWithLogitsWithGradAsync,
} from "./ops/bce.js";
export type {
  BceWithLogitsBackwardOptions,
  BceWithLogitsOptions,
} from "./checks/bce.js";
export type { NllLossBackwardOptions, NllLossOptions } from "./checks/nll.js";
export type {
  KlDivBackwardOptions,
  KlDivOptions,
  KlReduction,
} from "./checks/kl.js";
export type { NormalPdfOptions } from "./checks/normal.js";
export { allocFloat32, allocInt32, WasmArray } from "./engine/wasm-array.js";
export {
  randomNormal,
  randomUniform,
  randomInt,
  randperm,
  getDefaultGenerator,
  setDefaultGenerator,
} from "./ops/random.js";
export { RandomGenerator } from "./random/generator.js";
/** The earlier name of RandomGenerator (it first drew normals only); the same class. */
export type { Compat, RandomGeneratorOptions, RandomGeneratorState } from "./checks/random.js";
export type { RandomNormalOptions, RandomUniformOptions, RandomIntOptions, RandpermOptions } from "./ops/random.js";
export type { Seed } from "./random/seed.js";
export {
  xavierNormal,
  xavierUniform,
  kaimingNormal,
  kaimingUniform,
  truncNormal,
  linearInit,
  calculateGain,
} from "./ops/initializers.js";
export type {
  XavierOptions,
  KaimingOptions,
  TruncNormalOptions,
  Nonlinearity,
  LinearInitOptions,
  LinearParameters,
} from "./ops/initializers.js";
export { filterLogits, sampleCategorical, filterLogitsAsync, sampleCategoricalAsync } from "./ops/sampling.js";
export type { FilterOptions, FilterLogitsOptions, SampleCategoricalOptions } from "./ops/sampling.js";
