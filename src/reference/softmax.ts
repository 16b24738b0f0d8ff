// Plain-TypeScript softmax, log-softmax and log-sum-exp, float64 inside: the oracle the wasm
// kernels are tested against and the baseline the bench compares with. Written straight from
// the formulas (semantics.md §2.1), with no shared code with the kernels.
import {
  checkLogits, checkOptionKeys, checkOut, checkTemperature,
  SOFTMAX_OPTION_KEYS, type SoftmaxOptions,
} from "../validate.js";

export type { SoftmaxOptions };

let scratch = new Float64Array(0);

/**
 * z = x/T for one row, its max, and Σ exp(z − max), all in float64. `z` is a scratch buffer
 * reused by the next call (no allocation per row, so the baseline is not measuring the GC).
 */
export function rowStatistics(logits: Float32Array, start: number, classes: number, temperature: number) {
  if (scratch.length < classes) scratch = new Float64Array(classes);
  const z = scratch;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    z[c] = logits[start + c] / temperature;
    max = Math.max(max, z[c]); // Math.max propagates NaN
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - max);
  return { z, max, sum };
}

function prepare(fn: string, logits: Float32Array, classes: number, options: SoftmaxOptions | undefined, outLength: (rows: number) => number) {
  const rows = checkLogits(fn, logits, classes);
  checkOptionKeys(fn, options, SOFTMAX_OPTION_KEYS);
  const temperature = checkTemperature(fn, options?.temperature);
  const out = checkOut(fn, options?.out, outLength(rows), logits, "logits");
  return { rows, temperature, out };
}

export function softmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const { rows, temperature, out } = prepare("softmax", logits, classes, options, (r) => r * classes);
  for (let r = 0; r < rows; r++) {
    const { z, max, sum } = rowStatistics(logits, r * classes, classes, temperature);
    for (let c = 0; c < classes; c++) out[r * classes + c] = Math.exp(z[c] - max) / sum;
  }
  return out;
}

export function logSoftmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const { rows, temperature, out } = prepare("logSoftmax", logits, classes, options, (r) => r * classes);
  for (let r = 0; r < rows; r++) {
    const { z, max, sum } = rowStatistics(logits, r * classes, classes, temperature);
    const logSum = Math.log(sum);
    for (let c = 0; c < classes; c++) out[r * classes + c] = z[c] - max - logSum;
  }
  return out;
}

/** PyTorch's logsumexp: a ±Infinity max is replaced by 0 before it is subtracted. */
export function logSumExp(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const { rows, temperature, out } = prepare("logSumExp", logits, classes, options, (r) => r);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c] / temperature);
    const shift = max === Infinity || max === -Infinity ? 0 : max;
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c] / temperature - shift);
    out[r] = shift + Math.log(sum);
  }
  return out;
}
