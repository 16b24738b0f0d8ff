// Cross-entropy forward, backward and both in one fused pass (PyTorch F.cross_entropy).
// The kernel writes one f64 loss per row and, optionally, the gradient (in place over the
// logits when they are staged). Losses are reduced here in row order in float64, so the result
// does not depend on the chunk size.
import type { RowOperand, RowOutput } from "../engine/call.js";
import { keepView } from "../engine/execute.js";
import type { Frame } from "../engine/frame.js";
import type { CallContext, Op } from "../engine/op.js";
import { GENERAL, type General, regionBytes, SmallCall } from "../engine/small-call.js";
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
import { checkNoOverlap, checkViewsApart, type NamedView } from "../checks/overlap.js";
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

const EMPTY = new Float32Array(0);

/** Σ weight (f64, in class order), or the class count without weights: the kernel's smoothing divisor. */
const weightSumOf = (weight: Float32Array | null, classes: number) =>
  weight ? weight.reduce((sum, v) => sum + v, 0) : classes;

const labelChanged = (fn: string, row: number, classes: number) =>
  new RangeError(
    `${fn}: target[${row}] changed while the call ran and is out of range for ${classes} classes ` +
      `(labels are read once; the kernel checks every label it reads)`,
  );

/** The mean's divisor as reduceRowLosses takes it (D = 0 with label smoothing gives NaN: a README difference). */
const lossDivisor = (args: CrossEntropyArgs) => {
  const d = meanDivisor(args);
  return d === 0 && args.labelSmoothing !== 0 && args.target.kind === "hard" ? NaN : d;
};

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
    args.half
      ? { name: "logits", view: args.bits!, perRow: classes, half: args.half }
      : { name: "logits", view: args.logits, perRow: classes },
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
      inPlaceOf: args.half ? undefined : 0,
      own: args.out === null,
      accumulate: args.accumulate,
    });
  const weightSum = weightSumOf(weight, classes);
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
    refused: (row) => labelChanged(fn, row, classes),
  };

  // Mean: Σ l / D, with D = 0 divided as PyTorch divides (±Infinity, or NaN for 0/0). With label
  // smoothing PyTorch reduces the nll and smoothing sums separately (each 0/0 or ±x/0); only
  // their combined sum is known here, so D = 0 with smoothing gives NaN (a README difference).
  const loss = reduceRowLosses(losses, rows, reduction, lossDivisor(args), lossOut);
  return { loss, grad: grad && finalGrad ? (finalGrad as Float32Array) : EMPTY };
}

/**
 * A small call (engine/small-call.ts): logits, targets, weights, per-row scales, losses and the
 * gradient laid out at the arena's base, one export call over every row.
 */
function smallLossRows(
  { fn, rt, frame }: CallContext,
  args: CrossEntropyArgs,
  wantGrad: boolean,
): { loss: number | Float32Array; grad: Float32Array } | General {
  const { rows, classes, target, weight, logits, out } = args;
  if (rows === 0 || args.accumulate || args.half !== null) return GENERAL;
  const hard = target.kind === "hard";
  const n = rows * classes;
  const small = SmallCall.of(rt);
  const scale = wantGrad ? gradientScale(args, frame) : 0;
  const perRow = typeof scale !== "number";
  const scratch = hard ? SCRATCH_BYTES.crossEntropyHardRows : 0;
  const bytes =
    regionBytes(n, 4) +
    (hard ? regionBytes(rows, 4) : regionBytes(n, 4)) +
    (weight ? regionBytes(classes, 4) : 0) +
    (perRow ? regionBytes(rows, 4) : 0) +
    regionBytes(rows, 8) +
    (wantGrad ? regionBytes(n, 4) : 0) +
    scratch;
  if (!small.begin(bytes) || (out !== null && !small.plain(out))) return GENERAL;
  for (const op of args.inputs) if (!small.plain(op.view)) return GENERAL;
  if (out !== null) {
    for (const op of args.inputs) checkViewsApart(fn, "out", out, op.name, op.view, wantGrad && op.view === logits);
  }
  const x = small.region(n * 4),
    t = hard ? small.region(rows * 4) : small.region(n * 4),
    w = weight ? small.region(classes * 4) : 0,
    k = perRow ? small.region(rows * 4) : 0,
    l = small.region(rows * 8),
    g = wantGrad ? small.region(n * 4) : 0,
    s = small.region(scratch);
  small.reserve(fn);
  small.put(x, logits, n);
  if (hard) small.put(t, target.labels, rows);
  else small.put(t, target.probabilities, n);
  if (weight) small.put(w, weight, classes);
  if (perRow) small.put(k, scale, rows);
  const invT = Math.fround(1 / args.temperature);
  const scalar = perRow ? 0 : scale;
  const refused = hard
    ? small.kernels.crossEntropyHardRows(
        x,
        t,
        rows,
        classes,
        invT,
        w,
        weightSumOf(weight, classes),
        args.ignoreIndex,
        args.labelSmoothing,
        l,
        g,
        k,
        scalar,
        s,
      )
    : small.kernels.crossEntropySoftRows(x, t, rows, classes, invT, w, args.labelSmoothing, l, g, k, scalar);
  if (refused !== undefined && refused >= 0) throw labelChanged(fn, refused, classes);
  const losses = frame.float64.take(rows);
  small.get(losses, l, rows);
  let grad: Float32Array = EMPTY;
  if (wantGrad) {
    grad = out ?? new Float32Array(n);
    small.get(grad, g, n);
  }
  const loss = reduceRowLosses(
    losses,
    rows,
    args.reduction,
    lossDivisor(args),
    out !== null && !wantGrad ? () => out : null,
  );
  return { loss, grad };
}

const ops = lossOps<CrossEntropyFunction, CrossEntropyBackwardFunction, CrossEntropyWithGradFunction, CrossEntropyArgs>(
  "crossEntropy",
  (fn, logits, target, classes, options, withGrad, frame) =>
    checkCrossEntropyArgs(fn, logits, target, classes, options, withGrad, false, frame),
  lossRows,
  smallLossRows,
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
