// softmax, logSoftmax, logSumExp and entropy over rows: validation, then one declaration each for the
// executor (which stages rows through the arena, or uses arrays in wasm memory in place), or for
// a small call the export called directly (engine/small-call.ts).
import { returned } from "../engine/execute.js";
import { defineCheckedOp, type Op } from "../engine/op.js";
import { GENERAL, type General, regionBytes, SmallCall } from "../engine/small-call.js";
import type { Runtime } from "../engine/runtime.js";
import { checkSoftmaxArgs, type SoftmaxArgs, type SoftmaxOptions } from "../checks/softmax.js";
import { checkViewsApart } from "../checks/overlap.js";
import { SCRATCH_BYTES } from "../engine/wasm.js";

export type { SoftmaxOptions };

type RowKernel = "softmaxRows" | "logSoftmaxRows" | "logSumExpRows" | "entropyRows";
/** Logits: a Float32Array, or 16-bit floats (a Uint16Array with `dtype`, or a Float16Array where the engine has one). */
type RowFunction = (logits: Float32Array | Uint16Array, classes: number, options?: SoftmaxOptions) => Float32Array;

/** softmax, log-softmax and log-sum-exp take scratch for their short-row path (a transposed block of rows). */
const scratchOf = (kernel: RowKernel) => (kernel === "entropyRows" ? 0 : SCRATCH_BYTES.softmaxRows);

/** One row-wise kernel: logits rows in, `outPerRow` outputs per row (classes, or 1). */
function rowsOp(name: string, kernel: RowKernel, outPerRow: (classes: number) => number) {
  return defineCheckedOp<RowFunction, SoftmaxArgs>(name, {
    check: ({ fn }, logits, classes, options) => checkSoftmaxArgs(fn, logits, classes, options, outPerRow),
    small: ({ fn, rt }, args) => smallRows(fn, rt, kernel, args, outPerRow(args.classes)),
    *body({ fn }, args): Op<Float32Array> {
      const perRow = outPerRow(args.classes);
      const out = args.out ?? new Float32Array(args.rows * perRow);
      const invT = Math.fround(1 / args.temperature);
      const cols = args.classes;
      const [final] = yield {
        fn,
        rows: args.rows,
        inputs: [
          args.half
            ? { name: "logits", view: args.bits!, perRow: cols, half: args.half }
            : { name: "logits", view: args.logits, perRow: cols },
        ],
        // Every row kernel reads a row before writing its outputs, so out may be (float32) logits itself.
        outputs: [{ name: "out", view: out, perRow, inPlaceOf: args.half ? undefined : 0, own: args.out === null }],
        scratchBytes: scratchOf(kernel),
        export: kernel,
        args:
          kernel === "entropyRows"
            ? (at, _first, count) => [at.inputs[0], at.outputs[0], count, cols, invT]
            : (at, _first, count) => [at.inputs[0], at.outputs[0], count, cols, invT, at.scratch],
      };
      return returned(args.outGiven, out, final);
    },
  });
}

/** A small call of a row kernel: logits and the outputs laid out at the arena's base, one export call. */
function smallRows(
  fn: string,
  rt: Runtime,
  kernel: RowKernel,
  args: SoftmaxArgs,
  perRow: number,
): Float32Array | General {
  const { rows, classes, logits, out: given } = args;
  const n = rows * classes,
    m = rows * perRow;
  const small = SmallCall.of(rt);
  const scratch = scratchOf(kernel);
  if (
    rows === 0 ||
    args.half !== null ||
    !small.begin(regionBytes(n, 4) + regionBytes(m, 4) + scratch) ||
    !small.plain(logits) ||
    (given !== null && !small.plain(given))
  ) {
    return GENERAL;
  }
  if (given !== null) checkViewsApart(fn, "out", given, "logits", logits, true);
  const x = small.region(n * 4),
    y = small.region(m * 4),
    s = small.region(scratch);
  small.reserve(fn);
  small.put(x, logits, n);
  const invT = Math.fround(1 / args.temperature);
  const k = small.kernels;
  if (kernel === "entropyRows") k.entropyRows(x, y, rows, classes, invT);
  else k[kernel](x, y, rows, classes, invT, s);
  const out = given ?? new Float32Array(m);
  small.get(out, y, m);
  return returned(args.outGiven, out, out);
}

const softmaxOp = rowsOp("softmax", "softmaxRows", (c) => c);
const logSoftmaxOp = rowsOp("logSoftmax", "logSoftmaxRows", (c) => c);
const logSumExpOp = rowsOp("logSumExp", "logSumExpRows", () => 1);
const entropyOp = rowsOp("entropy", "entropyRows", () => 1);

/**
 * softmax(logits / T) over each row of a row-major [rows, classes] matrix.
 * An all −Infinity row gives NaN, a row holding +Infinity gives NaN (as PyTorch).
 */
export const softmax: RowFunction = softmaxOp.sync;

/** log(softmax(logits / T)) over each row, computed as (z − max) − log Σ exp(z − max). */
export const logSoftmax: RowFunction = logSoftmaxOp.sync;

/**
 * log Σ exp(logits / T) of each row (one value per row). An all −Infinity row gives −Infinity,
 * a row holding +Infinity gives +Infinity (PyTorch's logsumexp).
 */
export const logSumExp: RowFunction = logSumExpOp.sync;

/**
 * The entropy H = −Σ p·log p of p = softmax(logits / T), one value per row, in one sweep (p is
 * not materialised). 0·log 0 = 0: masked −Infinity entries add nothing; an all −Infinity row, a
 * +Infinity or a NaN gives NaN.
 */
export const entropy: RowFunction = entropyOp.sync;

// Async twins (engine/op.ts): the same results; on a threaded runtime a large call runs on the workers
// while the calling thread awaits it.

/** softmax, as an async call. */
export const softmaxAsync = softmaxOp.async;

/** logSoftmax, as an async call. */
export const logSoftmaxAsync = logSoftmaxOp.async;

/** logSumExp, as an async call. */
export const logSumExpAsync = logSumExpOp.async;

/** entropy, as an async call. */
export const entropyAsync = entropyOp.async;
