// Binary cross-entropy with logits (PyTorch F.binary_cross_entropy_with_logits) for
// multi-label classification: every element of logits [rows, classes] is an independent
// binary prediction of targets in [0, 1]. `weight` per element (rows × classes) or per column
// (classes), `posWeight` per column; reductions "mean" (over every element), "sum", "none".
import { defineOp, type CallContext, type Op } from "./ops.js";
import { returned, type RowOperand, type RowOutput } from "./executor.js";
import {
  checkAccumulate, checkFloat32, checkFloatArray, checkLogits, checkOut, checkReduction, describe, readOptions,
  type NamedView, type Reduction,
  type LossAndGrad,
} from "./validate.js";
import { SCRATCH_BYTES } from "./wasm.js";

export interface BceWithLogitsOptions {
  /** Per-element weights (rows × classes) or per-column weights (classes). */
  weight?: Float32Array | Float64Array | readonly number[];
  /** Weight of the positive term per column (classes): PyTorch's pos_weight. */
  posWeight?: Float32Array | Float64Array | readonly number[];
  /** "mean" (default: over every element), "sum" or "none" (one loss per element). */
  reduction?: Reduction;
  /** binaryCrossEntropyWithLogits with reduction "none": buffer for the losses (rows × classes). */
  out?: Float32Array;
}

export interface BceWithLogitsBackwardOptions extends Omit<BceWithLogitsOptions, "out"> {
  /** Upstream gradient: a number, or one value per element with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for the gradient (rows × classes); may be `logits` itself. */
  out?: Float32Array;
  /** Add the gradient into `out` (which must be given) instead of overwriting it: two losses, one buffer. */
  accumulate?: boolean;
}

/** The loss and d loss / d logits (rows × classes): cross-entropy's LossAndGrad. */
export type BceLossAndGrad<Loss extends number | Float32Array = number | Float32Array> = LossAndGrad<Loss>;

export interface BceWithLogitsFunction {
  (logits: Float32Array, targets: Float32Array, classes: number, options: BceWithLogitsOptions & { reduction: "none" }): Float32Array;
  (logits: Float32Array, targets: Float32Array, classes: number, options?: Omit<BceWithLogitsOptions, "reduction" | "out"> & { reduction?: "mean" | "sum" }): number;
  (logits: Float32Array, targets: Float32Array, classes: number, options?: BceWithLogitsOptions): number | Float32Array;
}

export interface BceWithLogitsWithGradFunction {
  (logits: Float32Array, targets: Float32Array, classes: number, options: BceWithLogitsBackwardOptions & { reduction: "none" }): BceLossAndGrad<Float32Array>;
  (logits: Float32Array, targets: Float32Array, classes: number, options?: BceWithLogitsBackwardOptions & { reduction?: "mean" | "sum" }): BceLossAndGrad<number>;
  (logits: Float32Array, targets: Float32Array, classes: number, options?: BceWithLogitsBackwardOptions): BceLossAndGrad;
}

export interface BceArgs {
  rows: number; classes: number; logits: Float32Array; targets: Float32Array;
  weightElem: Float32Array | null; weightCol: Float32Array | null; posWeight: Float32Array | null;
  reduction: Reduction; gradOutput: number | Float32Array; out: Float32Array | null; outGiven: unknown; inputs: NamedView[];
  accumulate: boolean;
}

/** Checks a binary_cross_entropy_with_logits call (shared with the reference). */
export function checkBceArgs(fn: string, logits: unknown, targets: unknown, classes: unknown, options: unknown, withGradient: boolean): BceArgs {
  const o = readOptions(fn, options, withGradient ? ["weight", "posWeight", "reduction", "gradOutput", "out", "accumulate"] : ["weight", "posWeight", "reduction", "out"]);
  const { rows, classes: c, logits: x } = checkLogits(fn, logits, classes);
  const t = checkFloat32(fn, "targets", targets);
  if (t.length !== x.length) throw new RangeError(`${fn}: targets must have the logits' length (${x.length}), got length ${t.length}`);
  const reduction = checkReduction(fn, o.reduction);
  const inputs: NamedView[] = [{ name: "logits", view: x }, { name: "targets", view: t }];
  const weight = checkFloatArray(fn, "weight", o.weight, [x.length, c], `one entry per element (${x.length}) or per class (${c})`, inputs);
  const posWeight = checkFloatArray(fn, "posWeight", o.posWeight, [c], `one entry per class (${c})`, inputs);
  let gradOutput: number | Float32Array = 1;
  if (withGradient && o.gradOutput !== undefined) {
    if (typeof o.gradOutput === "number") gradOutput = o.gradOutput;
    else {
      if (reduction !== "none") throw new RangeError(`${fn}: gradOutput must be a number with reduction "${reduction}" (per-element values need reduction "none"), got ${describe(o.gradOutput)}`);
      gradOutput = checkFloatArray(fn, "gradOutput", o.gradOutput, [x.length], `one value per element (${x.length})`, inputs)!;
    }
  }
  if (!withGradient && o.out !== undefined && reduction !== "none") {
    throw new RangeError(`${fn}: out holds the losses per element and needs reduction "none", got reduction "${reduction}"`);
  }
  const out = checkOut(fn, o.out, x.length);
  const perElement = weight !== null && weight.length === x.length && x.length !== c;
  return {
    rows, classes: c, logits: x, targets: t, weightElem: perElement ? weight : null, weightCol: perElement ? null : weight,
    posWeight, reduction, gradOutput, out, outGiven: o.out, inputs, accumulate: checkAccumulate(fn, o.accumulate, o.out),
  };
}

function* lossRows({ fn, rt, frame }: CallContext, args: BceArgs, wantGrad: boolean): Op<{ loss: number | Float32Array; grad: Float32Array }> {
  const { rows, classes: cols, reduction } = args;
  const n = rows * cols;
  const rowLoss = frame.float64.take(rows);
  const none = reduction === "none";
  const pointwiseOut = !wantGrad && none ? args.out : null;
  const pointwise = none ? pointwiseOut ?? new Float32Array(n) : null;
  const grad = wantGrad ? args.out ?? new Float32Array(n) : null;
  const divisor = reduction === "mean" ? n : 1;
  const perElementGrad = typeof args.gradOutput !== "number";
  const inputs: RowOperand[] = [
    { name: "logits", view: args.logits, perRow: cols },
    { name: "targets", view: args.targets, perRow: cols },
  ];
  if (args.weightElem) inputs.push({ name: "weight", view: args.weightElem, perRow: cols, own: true });
  if (perElementGrad) inputs.push({ name: "gradOutput", view: args.gradOutput as Float32Array, perRow: cols, own: true });
  const fixed = [];
  if (args.weightCol) fixed.push({ name: "weight", view: args.weightCol });
  if (args.posWeight) fixed.push({ name: "posWeight", view: args.posWeight });
  const outputs: RowOutput[] = [{ name: "loss", view: rowLoss, perRow: 1, own: true }];
  if (pointwise) outputs.push({ name: "out", view: pointwise, perRow: cols, inPlaceOf: 0, own: pointwiseOut === null });
  if (grad) outputs.push({ name: "out", view: grad, perRow: cols, inPlaceOf: 0, own: args.out === null, accumulate: args.accumulate });
  const scalar = wantGrad && typeof args.gradOutput === "number" ? args.gradOutput / divisor : 0;
  const results = yield {
    fn, rows, inputs, outputs, fixed, alsoRead: args.inputs, scratchBytes: SCRATCH_BYTES.bceWithLogitsRows,
    export: "bceWithLogitsRows",
    args(at, _first, count) {
      let next = 2;
      const we = args.weightElem ? at.inputs[next++] : 0;
      const gs = perElementGrad ? at.inputs[next++] : 0;
      const wc = args.weightCol ? at.fixed[0] : 0;
      const pw = args.posWeight ? at.fixed[args.weightCol ? 1 : 0] : 0;
      return [at.inputs[0], at.inputs[1], count, cols, we, wc, pw, at.outputs[0],
        pointwise ? at.outputs[1] : 0, grad ? at.outputs[pointwise ? 2 : 1] : 0, gs, scalar, at.scratch];
    },
  };
  const finalGrad = grad ? (results[pointwise ? 2 : 1] as Float32Array) : new Float32Array(0);
  if (none) return { loss: results[1] as Float32Array, grad: finalGrad };
  let total = 0;
  for (let r = 0; r < rows; r++) total += rowLoss[r];
  return { loss: total / divisor, grad: finalGrad };
}

const binaryCrossEntropyWithLogitsOp = defineOp<BceWithLogitsFunction>("binaryCrossEntropyWithLogits", function* (cx, logits, targets, classes, options) {
  const args = checkBceArgs(cx.fn, logits, targets, classes, options, false);
  const { loss } = yield* lossRows(cx, args, false);
  return (loss instanceof Float32Array && args.out ? returned(args.outGiven, args.out, loss) : loss) as never;
});

/** F.binary_cross_entropy_with_logits(logits, targets): the loss (or the losses per element for "none"). */
export const binaryCrossEntropyWithLogits = binaryCrossEntropyWithLogitsOp.sync;

/** binaryCrossEntropyWithLogits, as an async call (ops.ts). */
export const binaryCrossEntropyWithLogitsAsync = binaryCrossEntropyWithLogitsOp.async;

const binaryCrossEntropyWithLogitsBackwardOp = defineOp<(logits: Float32Array, targets: Float32Array, classes: number, options?: BceWithLogitsBackwardOptions) => Float32Array>("binaryCrossEntropyWithLogitsBackward", function* (cx, logits, targets, classes, options) {
  const args = checkBceArgs(cx.fn, logits, targets, classes, options, true);
  const { grad } = yield* lossRows(cx, args, true);
  return returned(args.outGiven, args.out ?? grad, grad);
});

/** d loss / d logits (rows × classes), scaled by gradOutput. */
export const binaryCrossEntropyWithLogitsBackward = binaryCrossEntropyWithLogitsBackwardOp.sync;

/** binaryCrossEntropyWithLogitsBackward, as an async call (ops.ts). */
export const binaryCrossEntropyWithLogitsBackwardAsync = binaryCrossEntropyWithLogitsBackwardOp.async;

const binaryCrossEntropyWithLogitsWithGradOp = defineOp<BceWithLogitsWithGradFunction>("binaryCrossEntropyWithLogitsWithGrad", function* (cx, logits, targets, classes, options) {
  const args = checkBceArgs(cx.fn, logits, targets, classes, options, true);
  const { loss, grad } = yield* lossRows(cx, args, true);
  return { loss, grad: returned(args.outGiven, args.out ?? grad, grad) } as never;
});

/** The loss and d loss / d logits in one pass. */
export const binaryCrossEntropyWithLogitsWithGrad = binaryCrossEntropyWithLogitsWithGradOp.sync;

/** binaryCrossEntropyWithLogitsWithGrad, as an async call (ops.ts). */
export const binaryCrossEntropyWithLogitsWithGradAsync = binaryCrossEntropyWithLogitsWithGradOp.async;
