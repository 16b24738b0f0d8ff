// probkernels/reference: the same functions in plain TypeScript, float64 inside.
export { softmax, logSoftmax, logSumExp, entropy } from "./softmax.js";
export { argmax, accuracy, topK } from "./select.js";
export { normalLogPdf, normalPdf } from "./normal.js";
export { klDiv, klDivBackward, klDivWithGrad } from "./kl.js";
export { nllLoss, nllLossBackward, nllLossWithGrad } from "./nll.js";
export { distillationLoss } from "./distillation.js";
export { gaussianNllLoss, gaussianNllLossWithGrad } from "./gaussian.js";
export {
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  binaryCrossEntropyWithLogitsWithGrad,
} from "./bce.js";
export { crossEntropy, crossEntropyBackward, crossEntropyWithGrad } from "./crossentropy.js";
export type { SoftmaxOptions } from "./softmax.js";
export type {
  CrossEntropyBackwardOptions,
  CrossEntropyBaseOptions,
  CrossEntropyOptions,
  CrossEntropyReducedOptions,
  CrossEntropyTarget,
  LossAndGrad,
} from "../checks/crossentropy.js";
export type { LabelArray, LabelList } from "../checks/targets.js";
export type { Reduction } from "../checks/scalars.js";
export { filterLogits, sampleCategorical } from "./sampling.js";
export { linear, linearBackward, linearCrossEntropy, linearCrossEntropyWithGrad } from "./linear.js";
