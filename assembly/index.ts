// The export surface: the same names in every build (scalar, SIMD, relaxed SIMD).
export { softmaxRows, logSoftmaxRows, logSumExpRows, expNonPositiveArray } from "./softmax";
export { crossEntropyHardRows, crossEntropySoftRows } from "./crossentropy";

/** First free byte after the module's static data: the TypeScript arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}
export { philoxNormalFill } from "./random";

/**
 * Which build this is (0 scalar, 1 SIMD, 2 relaxed SIMD), so a compiled module handed over from
 * elsewhere (a page posting its module to a worker) can be named without its bytes.
 */
export function buildId(): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) return 2;
  if (ASC_FEATURE_SIMD) return 1;
  return 0;
}
export { entropyRows } from "./entropy";
export { argmaxRows, topKRows } from "./select";
export { normalLogPdfArray } from "./normal";
export { klDivRows } from "./kl";
export { nllRows } from "./nll";
export { bceWithLogitsRows } from "./bce";
export { distillationRows } from "./distillation";
export { gaussianNllRows } from "./gaussian";
export { addInto } from "./math";
export { philoxUniformFill } from "./uniform";
export { sampleRows, firstRefusedRow } from "./sampling";
export { linearForward, gemmBroadcast, columnSums } from "./linear";
export {
  linearCrossEntropyRows,
  linearCrossEntropyScratch,
  linearCrossEntropyStatsRows,
  linearCrossEntropyShardGradRows,
} from "./linear-ce";
export { halfToFloat } from "./half";
