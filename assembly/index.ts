// The export surface: the same names in every build (scalar, SIMD, relaxed SIMD).
export { softmaxRows, logSoftmaxRows, logSumExpRows, expNonPositiveArray } from "./softmax";
export { crossEntropyHardRows, crossEntropySoftRows } from "./crossentropy";

/** First free byte after the module's static data: the TypeScript arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}
export { philoxNormalFill } from "./random";
