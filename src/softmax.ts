// softmax, logSoftmax and logSumExp over rows: check, stage rows through the arena in chunks,
// run the kernel, copy results out.
import { requireRuntime, type Runtime } from "./runtime.js";
import {
  checkLogits, checkOptionKeys, checkOut, checkTemperature,
  SOFTMAX_OPTION_KEYS, type SoftmaxOptions,
} from "./validate.js";

export type { SoftmaxOptions };

interface RowwiseCall {
  rt: Runtime;
  logits: Float32Array;
  rows: number;
  classes: number;
  invT: number;
  out: Float32Array;
}

function prepare(fn: string, logits: Float32Array, classes: number, options: SoftmaxOptions | undefined, outLength: (rows: number) => number): RowwiseCall {
  const rt = requireRuntime(fn);
  const rows = checkLogits(fn, logits, classes);
  checkOptionKeys(fn, options, SOFTMAX_OPTION_KEYS);
  const temperature = checkTemperature(fn, options?.temperature);
  const out = checkOut(fn, options?.out, outLength(rows), logits, "logits");
  return { rt, logits, rows, classes, invT: Math.fround(1 / temperature), out };
}

/** Runs a kernel that maps each row to a row of the same length, in place in the arena. */
function mapRows(call: RowwiseCall, kernel: "softmaxRows" | "logSoftmaxRows"): Float32Array {
  const { rt, logits, rows, classes, invT, out } = call;
  if (rows === 0) return out;
  const plan = rt.arena.plan(rows, [], [classes * 4]);
  const at = plan.perRow[0];
  const run = rt.kernels[kernel];
  for (let r0 = 0; r0 < rows; r0 += plan.rowsPerChunk) {
    const n = Math.min(plan.rowsPerChunk, rows - r0);
    const heap = rt.arena.f32;
    heap.set(logits.subarray(r0 * classes, (r0 + n) * classes), at >>> 2);
    run(at, at, n, classes, invT);
    out.set(heap.subarray(at >>> 2, (at >>> 2) + n * classes), r0 * classes);
  }
  return out;
}

/**
 * softmax(logits / T) over each row of a row-major [rows, classes] matrix.
 * An all −Infinity row gives NaN, a row holding +Infinity gives NaN (as PyTorch).
 */
export function softmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  return mapRows(prepare("softmax", logits, classes, options, (rows) => rows * classes), "softmaxRows");
}

/** log(softmax(logits / T)) over each row, computed as (z − max) − log Σ exp(z − max). */
export function logSoftmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  return mapRows(prepare("logSoftmax", logits, classes, options, (rows) => rows * classes), "logSoftmaxRows");
}

/**
 * log Σ exp(logits / T) of each row (one value per row). An all −Infinity row gives −Infinity,
 * a row holding +Infinity gives +Infinity (PyTorch's logsumexp).
 */
export function logSumExp(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const { rt, rows, invT, out } = prepare("logSumExp", logits, classes, options, (rows) => rows);
  if (rows === 0) return out;
  const plan = rt.arena.plan(rows, [], [classes * 4, 4]);
  const [at, results] = plan.perRow;
  for (let r0 = 0; r0 < rows; r0 += plan.rowsPerChunk) {
    const n = Math.min(plan.rowsPerChunk, rows - r0);
    const heap = rt.arena.f32;
    heap.set(logits.subarray(r0 * classes, (r0 + n) * classes), at >>> 2);
    rt.kernels.logSumExpRows(at, results, n, classes, invT);
    out.set(heap.subarray(results >>> 2, (results >>> 2) + n), r0);
  }
  return out;
}
