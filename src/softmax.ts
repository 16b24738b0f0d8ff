// softmax, logSoftmax, logSumExp and entropy over rows: validation, then one declaration each for the
// executor (which stages rows through the arena, or uses arrays in wasm memory in place).
import { returned } from "./executor.js";
import { runAsync, runSync, type AsyncOf, type Op } from "./ops.js";
import { requireRuntime } from "./runtime.js";
import { checkSoftmaxArgs, type SoftmaxOptions } from "./validate.js";
import { SCRATCH_BYTES } from "./wasm.js";

export type { SoftmaxOptions };

type RowKernel = "softmaxRows" | "logSoftmaxRows" | "logSumExpRows" | "entropyRows";

/** One row-wise kernel: logits rows in, `outPerRow` outputs per row (classes, or 1). */
function* rowsOp(
  fn: string, kernel: RowKernel, logits: Float32Array, classes: number, options: SoftmaxOptions | undefined,
  outPerRow: (classes: number) => number,
): Op<Float32Array> {
  const rt = requireRuntime(fn);
  const args = checkSoftmaxArgs(fn, logits, classes, options, outPerRow);
  const perRow = outPerRow(args.classes);
  const out = args.out ?? new Float32Array(args.rows * perRow);
  const invT = Math.fround(1 / args.temperature);
  const cols = args.classes;
  const kernels = rt.kernels;
  // softmax, log-softmax and log-sum-exp take scratch for their short-row path (a transposed block of rows).
  const scratchBytes = kernel === "entropyRows" ? 0 : SCRATCH_BYTES.softmaxRows;
  const [final] = yield { rt, call: {
    fn,
    rows: args.rows,
    inputs: [{ name: "logits", view: args.logits, perRow: cols }],
    // Every row kernel reads a row before writing its outputs, so out may be logits itself.
    outputs: [{ name: "out", view: out, perRow, inPlaceOf: 0, own: args.out === null }],
    scratchBytes,
    kernel(at, _first, count) {
      if (kernel === "entropyRows") kernels.entropyRows(at.inputs[0], at.outputs[0], count, cols, invT);
      else kernels[kernel](at.inputs[0], at.outputs[0], count, cols, invT, at.scratch);
      return -1;
    },
  } };
  return returned(args.outGiven, out, final);
}

/**
 * softmax(logits / T) over each row of a row-major [rows, classes] matrix.
 * An all −Infinity row gives NaN, a row holding +Infinity gives NaN (as PyTorch).
 */
export function softmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  return runSync(rowsOp("softmax", "softmaxRows", logits, classes, options, (c) => c));
}

/** log(softmax(logits / T)) over each row, computed as (z − max) − log Σ exp(z − max). */
export function logSoftmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  return runSync(rowsOp("logSoftmax", "logSoftmaxRows", logits, classes, options, (c) => c));
}

/**
 * log Σ exp(logits / T) of each row (one value per row). An all −Infinity row gives −Infinity,
 * a row holding +Infinity gives +Infinity (PyTorch's logsumexp).
 */
export function logSumExp(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  return runSync(rowsOp("logSumExp", "logSumExpRows", logits, classes, options, () => 1));
}

/**
 * The entropy H = −Σ p·log p of p = softmax(logits / T), one value per row, in one sweep (p is
 * not materialised). 0·log 0 = 0: masked −Infinity entries add nothing; an all −Infinity row, a
 * +Infinity or a NaN gives NaN.
 */
export function entropy(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  return runSync(rowsOp("entropy", "entropyRows", logits, classes, options, () => 1));
}

// Async variants (ops.ts): the same results; on a threaded runtime a large call runs on the workers
// while the calling thread awaits it.

/** softmax, as an async call. */
export const softmaxAsync: AsyncOf<typeof softmax> = (logits, classes, options) =>
  runAsync("softmaxAsync", () => rowsOp("softmaxAsync", "softmaxRows", logits, classes, options, (c) => c));

/** logSoftmax, as an async call. */
export const logSoftmaxAsync: AsyncOf<typeof logSoftmax> = (logits, classes, options) =>
  runAsync("logSoftmaxAsync", () => rowsOp("logSoftmaxAsync", "logSoftmaxRows", logits, classes, options, (c) => c));

/** logSumExp, as an async call. */
export const logSumExpAsync: AsyncOf<typeof logSumExp> = (logits, classes, options) =>
  runAsync("logSumExpAsync", () => rowsOp("logSumExpAsync", "logSumExpRows", logits, classes, options, () => 1));

/** entropy, as an async call. */
export const entropyAsync: AsyncOf<typeof entropy> = (logits, classes, options) =>
  runAsync("entropyAsync", () => rowsOp("entropyAsync", "entropyRows", logits, classes, options, () => 1));
