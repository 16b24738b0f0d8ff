// Plain-TypeScript softmax, log-softmax and log-sum-exp, float64 inside: the oracle the wasm
// kernels are tested against and the baseline the bench compares with. Written straight from
// the formulas (docs/semantics.md §2.1), with no shared code with the kernels.
import { checkNoOverlap } from "../checks/overlap.js";
import { checkSoftmaxArgs, type SoftmaxOptions } from "../checks/softmax.js";
import { decodeHalf } from "../checks/half.js";

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

/** Checked arguments (the same checks and errors as the wasm API), and the array to write. */
function prepare(
  fn: string,
  logits: unknown,
  classes: unknown,
  options: unknown,
  outPerRow: (classes: number) => number,
) {
  const args = checkSoftmaxArgs(fn, logits, classes, options, outPerRow);
  const out = args.out ?? new Float32Array(args.rows * outPerRow(args.classes));
  const given = args.bits ?? args.logits;
  checkNoOverlap(
    fn,
    [{ name: "out", view: out, inPlaceOf: args.half ? undefined : given }],
    [{ name: "logits", view: given }],
  );
  const result = (args.outGiven ?? out) as Float32Array;
  // 16-bit float logits decoded to their (exact) float32 values.
  const values = args.half ? decodeHalf(args.bits!, args.half) : args.logits;
  return { rows: args.rows, classes: args.classes, logits: values, temperature: args.temperature, out, result };
}

export function softmax(logits: Float32Array | Uint16Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const {
    rows,
    classes: C,
    logits: x,
    temperature,
    out,
    result,
  } = prepare("softmax", logits, classes, options, (c) => c);
  for (let r = 0; r < rows; r++) {
    const { z, max, sum } = rowStatistics(x, r * C, C, temperature);
    for (let c = 0; c < C; c++) out[r * C + c] = Math.exp(z[c] - max) / sum;
  }
  return result;
}

export function logSoftmax(
  logits: Float32Array | Uint16Array,
  classes: number,
  options?: SoftmaxOptions,
): Float32Array {
  const {
    rows,
    classes: C,
    logits: x,
    temperature,
    out,
    result,
  } = prepare("logSoftmax", logits, classes, options, (c) => c);
  for (let r = 0; r < rows; r++) {
    const { z, max, sum } = rowStatistics(x, r * C, C, temperature);
    const logSum = Math.log(sum);
    for (let c = 0; c < C; c++) out[r * C + c] = z[c] - max - logSum;
  }
  return result;
}

/** PyTorch's logsumexp: a ±Infinity max is replaced by 0 before it is subtracted. */
export function logSumExp(logits: Float32Array | Uint16Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const {
    rows,
    classes: C,
    logits: x,
    temperature,
    out,
    result,
  } = prepare("logSumExp", logits, classes, options, () => 1);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, x[r * C + c] / temperature);
    const shift = max === Infinity || max === -Infinity ? 0 : max;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(x[r * C + c] / temperature - shift);
    out[r] = shift + Math.log(sum);
  }
  return result;
}

/** H(softmax(x/T)) per row from the float64 softmax, with 0·log 0 = 0. */
export function entropy(logits: Float32Array | Uint16Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const {
    rows,
    classes: C,
    logits: x,
    temperature,
    out,
    result,
  } = prepare("entropy", logits, classes, options, () => 1);
  for (let r = 0; r < rows; r++) {
    const { z, max, sum } = rowStatistics(x, r * C, C, temperature);
    const logSum = Math.log(sum);
    let h = 0;
    for (let c = 0; c < C; c++) {
      const p = Math.exp(z[c] - max) / sum;
      if (p !== 0 || Number.isNaN(p)) h -= p * (z[c] - max - logSum);
    }
    out[r] = h;
  }
  return result;
}
