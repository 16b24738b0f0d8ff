// Cross-entropy forward, backward and both in one fused pass (PyTorch F.cross_entropy).
// The kernel writes one f64 loss per row and, optionally, the gradient (in place over the
// logits when they are staged). Losses are reduced here in row order in float64, so the result
// does not depend on the chunk size.
import type { RowOperand, RowOutput } from "../engine/call.js";
import { keepView } from "../engine/execute.js";
import type { Frame } from "../engine/frame.js";
import type { CallContext, Op } from "../engine/op.js";
import { lossOps } from "./loss-ops.js";
import type { Runtime } from "../engine/runtime.js";
import {
  checkCrossEntropyArgs,
  meanDivisor,
  type CrossEntropyArgs,
  type CrossEntropyBackwardFunction,
  type CrossEntropyFunction,
  type CrossEntropyWithGradFunction,
} from "../checks/crossentropy.js";
import { checkNoOverlap, type NamedView } from "../checks/overlap.js";
import { reduceRowLosses } from "./reduce.js";
import { SCRATCH_BYTES } from "../engine/wasm.js";

/**
 * Per-row gradient factor k = gradOutput / D · (1/T), where D is the mean's divisor (1 for
 * 'sum' and 'none'). A number applies to every row; a Float32Array gives one per row.
 * D = 0 is divided by as PyTorch's backward divides: ±Infinity, or NaN for 0/0, spread by the
 * kernel exactly as PyTorch's nll and log-softmax backward spread them.
 */
function gradientScale(args: CrossEntropyArgs, frame: Frame): number | Float32Array {
  const invT = 1 / args.temperature;
  const g = args.gradOutput;
  if (typeof g !== "number") {
    const scale = frame.float32.take(g.length);
    for (let i = 0; i < g.length; i++) scale[i] = g[i] * invT;
    return scale;
  }
  return args.reduction === "mean" ? (g / meanDivisor(args)) * invT : g * invT;
}

/**
 * The labels a kernel reads: labels in a live WasmArray (Int32) in place, each thread reading its
 * own rows, with no copy to stage; others, the checked snapshot. (A snapshot the calling thread
 * writes reaches a worker through that thread's cache; the worker's share of a 65536×10 call
 * measured 10–15 % slower than the calling thread's, before and after this change alike.) The
 * snapshot was validated; labels read in place could change after that (another thread writing
 * the memory), which the kernel refuses where it reads them, as it refuses a changed snapshot.
 */
export function labelsOperand(rt: Runtime, snapshot: Int32Array, inputs: readonly NamedView[]): RowOperand {
  const given = inputs.find((op) => op.name === "target")?.view;
  if (
    given instanceof Int32Array &&
    rt.arena.owns(given.buffer) &&
    rt.arena.inLiveBlock(given.byteOffset, given.byteLength)
  ) {
    return { name: "target", view: given, perRow: 1 };
  }
  return { name: "target", view: snapshot, perRow: 1, own: true };
}

function* lossRows(
  { fn, rt, frame }: CallContext,
  args: CrossEntropyArgs,
  wantGrad: boolean,
): Op<{ loss: number | Float32Array; grad: Float32Array }> {
  const { rows, classes, target, weight, reduction } = args;
  const losses = frame.float64.take(rows);
  const grad = wantGrad ? (args.out ?? new Float32Array(rows * classes)) : null;
  const scale = wantGrad ? gradientScale(args, frame) : 0;
  const invT = Math.fround(1 / args.temperature);

  const inputs: RowOperand[] = [
    { name: "logits", view: args.logits, perRow: classes },
    target.kind === "hard"
      ? labelsOperand(rt, target.labels, args.inputs)
      : { name: "target", view: target.probabilities, perRow: classes },
  ];
  if (typeof scale !== "number") inputs.push({ name: "gradOutput", view: scale, perRow: 1, own: true });
  const outputs: RowOutput[] = [{ name: "loss", view: losses, perRow: 1, own: true }];
  // The kernels write the gradient over the logits row after reading it, so out may be logits.
  if (grad)
    outputs.push({
      name: "out",
      view: grad,
      perRow: classes,
      inPlaceOf: 0,
      own: args.out === null,
      accumulate: args.accumulate,
    });
  const weightSum = weight ? weight.reduce((s, w) => s + w, 0) : classes;
  // Per-row losses go to `out` after the kernels ran (memory may have grown in between); the
  // executor does not see it, so its overlap check is made here.
  if (!wantGrad && args.out) checkNoOverlap(fn, [{ name: "out", view: args.out }], args.inputs);
  const lossOut = !wantGrad && args.out ? keepView(rt, args.out) : null;

  const [, finalGrad] = yield {
    fn,
    rows,
    inputs,
    outputs,
    fixed: weight ? [{ name: "weight", view: weight }] : [],
    scratchBytes: target.kind === "hard" ? SCRATCH_BYTES.crossEntropyHardRows : 0,
    alsoRead: args.inputs,
    export: target.kind === "hard" ? "crossEntropyHardRows" : "crossEntropySoftRows",
    args(at, _first, count) {
      const [x, t, perRowScale = 0] = at.inputs;
      const [loss, g = 0] = at.outputs;
      const w = weight ? at.fixed[0] : 0;
      const scalar = typeof scale === "number" ? scale : 0;
      return target.kind === "hard"
        ? [
            x,
            t,
            count,
            classes,
            invT,
            w,
            weightSum,
            args.ignoreIndex,
            args.labelSmoothing,
            loss,
            g,
            perRowScale,
            scalar,
            at.scratch,
          ]
        : [x, t, count, classes, invT, w, args.labelSmoothing, loss, g, perRowScale, scalar];
    },
    refused: (row) =>
      new RangeError(
        `${fn}: target[${row}] changed while the call ran and is out of range for ${classes} classes ` +
          `(labels are read once; the kernel checks every label it reads)`,
      ),
  };

  // Mean: Σ l / D, with D = 0 divided as PyTorch divides (±Infinity, or NaN for 0/0). With label
  // smoothing PyTorch reduces the nll and smoothing sums separately (each 0/0 or ±x/0); only
  // their combined sum is known here, so D = 0 with smoothing gives NaN (a README difference).
  const d = meanDivisor(args);
  const loss = reduceRowLosses(
    losses,
    rows,
    reduction,
    d === 0 && args.labelSmoothing !== 0 && target.kind === "hard" ? NaN : d,
    lossOut,
  );
  return { loss, grad: grad && finalGrad ? (finalGrad as Float32Array) : new Float32Array(0) };
}

const ops = lossOps<CrossEntropyFunction, CrossEntropyBackwardFunction, CrossEntropyWithGradFunction, CrossEntropyArgs>(
  "crossEntropy",
  (fn, logits, target, classes, options, withGrad, frame) =>
    checkCrossEntropyArgs(fn, logits, target, classes, options, withGrad, false, frame),
  lossRows,
);

/**
 * Cross-entropy loss of logits [rows, classes] against class indices or soft targets, with
 * PyTorch's options and semantics. Returns a number, or per-row losses for reduction "none".
 */
export const crossEntropy = ops.loss.sync;

/** d loss / d logits (rows × classes), scaled by gradOutput (default 1). */
export const crossEntropyBackward = ops.backward.sync;

/** Loss and gradient in one fused pass over the logits. */
export const crossEntropyWithGrad = ops.withGrad.sync;

/** crossEntropy, as an async call (engine/op.ts). */
export const crossEntropyAsync = ops.loss.async;

/** crossEntropyBackward, as an async call. */
export const crossEntropyBackwardAsync = ops.backward.async;

/** crossEntropyWithGrad, as an async call. */
export const crossEntropyWithGradAsync = ops.withGrad.async;
