// Everything the two entries share: the main entry (index.ts) adds init/initSync over the
// embedded builds, the core entry (core.ts) init/initSync of a module compiled elsewhere.
export { runtimeInfo, dispose } from "./runtime.js";
export type { InitOptions, RuntimeInfo } from "./runtime.js";
export type { BuildChoice, BuildName } from "./wasm.js";
export { DEFAULT_ARENA_BYTES } from "./memory.js";
export { softmax, logSoftmax, logSumExp, entropy, softmaxAsync, logSoftmaxAsync, logSumExpAsync, entropyAsync } from "./softmax.js";
export type { AsyncOf } from "./ops.js";
export type { SoftmaxOptions } from "./softmax.js";
export { crossEntropy, crossEntropyBackward, crossEntropyWithGrad, crossEntropyAsync, crossEntropyBackwardAsync, crossEntropyWithGradAsync } from "./crossentropy.js";
export type {
  CrossEntropyBackwardFunction, CrossEntropyBackwardOptions, CrossEntropyBaseOptions, CrossEntropyFunction,
  CrossEntropyOptions, CrossEntropyReducedOptions, CrossEntropyTarget, CrossEntropyWithGradFunction,
  LabelArray, LossAndGrad, Reduction,
} from "./validate.js";
export { argmax, accuracy, topK, argmaxAsync, accuracyAsync, topKAsync } from "./select.js";
export type { AccuracyOptions, ArgmaxOptions, TopK } from "./select.js";
export { normalLogPdf, normalPdf, normalLogPdfAsync, normalPdfAsync } from "./normal.js";
export { klDiv, klDivBackward, klDivWithGrad, klDivAsync, klDivBackwardAsync, klDivWithGradAsync } from "./kl.js";
export { nllLoss, nllLossBackward, nllLossWithGrad, nllLossAsync, nllLossBackwardAsync, nllLossWithGradAsync } from "./nll.js";
export { distillationLoss, distillationLossAsync } from "./distillation.js";
export { gaussianNllLoss, gaussianNllLossWithGrad, gaussianNllLossAsync, gaussianNllLossWithGradAsync } from "./gaussian.js";
export type { GaussianNllFunction, GaussianNllOptions, GaussianNllResult, GaussianNllWithGradFunction, GaussianNllWithGradOptions } from "./gaussian.js";
export type { DistillationOptions, DistillationResult } from "./distillation.js";
export {
  binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsBackward, binaryCrossEntropyWithLogitsWithGrad,
  binaryCrossEntropyWithLogitsAsync, binaryCrossEntropyWithLogitsBackwardAsync, binaryCrossEntropyWithLogitsWithGradAsync,
} from "./bce.js";
export type {
  BceLossAndGrad, BceWithLogitsBackwardOptions, BceWithLogitsFunction, BceWithLogitsOptions, BceWithLogitsWithGradFunction,
} from "./bce.js";
export type { NllLossBackwardOptions, NllLossFunction, NllLossOptions, NllLossWithGradFunction } from "./nll.js";
export type { KlDivBackwardOptions, KlDivFunction, KlDivOptions, KlDivWithGradFunction, KlLossAndGrad, KlReduction } from "./kl.js";
export type { NormalPdfOptions } from "./normal.js";
export { allocFloat32, allocInt32, WasmArray } from "./workspace.js";
export { randomNormal, randomUniform, randomInt, randperm, RandomGenerator, getDefaultGenerator, setDefaultGenerator } from "./random.js";
/** The earlier name of RandomGenerator (it first drew normals only); the same class. */
export { RandomGenerator as NormalGenerator } from "./random.js";
export type {
  Compat, RandomGeneratorOptions, RandomGeneratorState, RandomNormalOptions, RandomUniformOptions, RandomIntOptions,
  RandpermOptions, Seed,
} from "./random.js";
export { xavierNormal, xavierUniform, kaimingNormal, kaimingUniform, truncNormal, linearInit, calculateGain } from "./initializers.js";
export type { XavierOptions, KaimingOptions, TruncNormalOptions, Nonlinearity, LinearInitOptions, LinearParameters } from "./initializers.js";
export { filterLogits, sampleCategorical, filterLogitsAsync, sampleCategoricalAsync } from "./sampling.js";
export type { FilterOptions, FilterLogitsOptions, SampleCategoricalOptions } from "./sampling.js";
