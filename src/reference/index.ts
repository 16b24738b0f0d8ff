// probkernels/reference: the same functions in plain TypeScript, float64 inside.
export { softmax, logSoftmax, logSumExp } from "./softmax.js";
export { crossEntropy, crossEntropyBackward, crossEntropyWithGrad } from "./crossentropy.js";
export type { SoftmaxOptions } from "./softmax.js";
export type { CrossEntropyOptions, CrossEntropyTarget, LossAndGrad } from "./crossentropy.js";
