// softmax, logSoftmax and logSumExp over rows: check, stage rows through the arena in chunks,
// run the kernel, copy results out. Arrays that already live in wasm memory (allocFloat32) are
// used in place: no staging and no copy for them.
import { requireRuntime, type Runtime } from "./runtime.js";
import {
  checkLogits, checkOptionKeys, checkOut, checkTemperature,
  SOFTMAX_OPTION_KEYS, type SoftmaxOptions,
} from "./validate.js";
import { rejectDetached } from "./workspace.js";

export type { SoftmaxOptions };

interface RowwiseCall {
  rt: Runtime;
  logits: Float32Array;
  rows: number;
  classes: number;
  invT: number;
  out: Float32Array;
}

function prepare(
  fn: string, logits: Float32Array, classes: number, options: SoftmaxOptions | undefined,
  outLength: (rows: number) => number,
): RowwiseCall {
  const rt = requireRuntime(fn);
  rejectDetached(fn, rt, { logits, out: options?.out });
  const rows = checkLogits(fn, logits, classes);
  checkOptionKeys(fn, options, SOFTMAX_OPTION_KEYS);
  const temperature = checkTemperature(fn, options?.temperature);
  const out = checkOut(fn, options?.out, outLength(rows), logits, "logits");
  return { rt, logits, rows, classes, invT: Math.fround(1 / temperature), out };
}

/**
 * Runs `kernel(src, dst, rows, …)` over all rows, chunk by chunk. Per chunk, the input is read
 * in place when it lives in wasm memory, else copied into the arena; the output is written in
 * place when `out` lives in wasm memory, else into the arena and copied out.
 * `outPerRow` is the number of outputs per row (classes, or 1 for logSumExp).
 */
function runRows(
  call: RowwiseCall, outPerRow: number,
  kernel: (src: number, dst: number, rows: number, cols: number, invT: number) => void,
): Float32Array {
  const { rt, logits, rows, classes, invT } = call;
  let out = call.out;
  if (rows === 0) return out;
  const arena = rt.arena;
  const inputDirect = arena.holds(logits);
  const outputDirect = arena.holds(out);
  // Addresses are taken before planning: if the plan grows memory, the views detach.
  const inputPtr = logits.byteOffset;
  const outPtr = out.byteOffset;
  // Kernels whose output row has the input row's length may run in place.
  const rowToRow = outPerRow === classes;
  const stageIntoOutput = !inputDirect && outputDirect && rowToRow;
  const inPlaceOnStaged = !inputDirect && !outputDirect && rowToRow;
  const plan = arena.plan(rows, [], [
    inputDirect || stageIntoOutput ? 0 : classes * 4,
    outputDirect || inPlaceOnStaged ? 0 : outPerRow * 4,
  ]);
  if (outputDirect) out = arena.reattach(out, outPtr, rows * outPerRow);
  const [inputAt, resultAt] = plan.perRow;
  for (let r0 = 0; r0 < rows; r0 += plan.rowsPerChunk) {
    const n = Math.min(plan.rowsPerChunk, rows - r0);
    const outAt = outPtr + r0 * outPerRow * 4;
    let src: number;
    if (inputDirect) {
      src = inputPtr + r0 * classes * 4;
    } else if (stageIntoOutput) {
      out.set(logits.subarray(r0 * classes, (r0 + n) * classes), r0 * classes);
      src = outAt;
    } else {
      arena.f32.set(logits.subarray(r0 * classes, (r0 + n) * classes), inputAt >>> 2);
      src = inputAt;
    }
    const dst = outputDirect ? outAt : inPlaceOnStaged ? src : resultAt;
    kernel(src, dst, n, classes, invT);
    if (!outputDirect) out.set(arena.f32.subarray(dst >>> 2, (dst >>> 2) + n * outPerRow), r0 * outPerRow);
  }
  return out;
}

/**
 * softmax(logits / T) over each row of a row-major [rows, classes] matrix.
 * An all −Infinity row gives NaN, a row holding +Infinity gives NaN (as PyTorch).
 */
export function softmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const call = prepare("softmax", logits, classes, options, (rows) => rows * classes);
  return runRows(call, classes, call.rt.kernels.softmaxRows);
}

/** log(softmax(logits / T)) over each row, computed as (z − max) − log Σ exp(z − max). */
export function logSoftmax(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const call = prepare("logSoftmax", logits, classes, options, (rows) => rows * classes);
  return runRows(call, classes, call.rt.kernels.logSoftmaxRows);
}

/**
 * log Σ exp(logits / T) of each row (one value per row). An all −Infinity row gives −Infinity,
 * a row holding +Infinity gives +Infinity (PyTorch's logsumexp).
 */
export function logSumExp(logits: Float32Array, classes: number, options?: SoftmaxOptions): Float32Array {
  const call = prepare("logSumExp", logits, classes, options, (rows) => rows);
  return runRows(call, 1, call.rt.kernels.logSumExpRows);
}
