// KL divergence, exactly torch.nn.functional.kl_div: `input` holds log-probabilities, `target`
// probabilities (or log-probabilities with logTarget), both rows × classes; the loss and d loss /
// d input. Reductions: "mean" (PyTorch's default: over every element), "batchmean" (over rows:
// the mathematical KL divergence per sample), "sum", "none" (every element).
import { defineOp, type CallContext, type Op } from "./ops.js";
import { returned, type RowOperand, type RowOutput } from "./executor.js";
import { checkAccumulate, checkFloat32, checkFloatArray, checkLogits, checkOut, describe, readOptions, type LossAndGrad, type NamedView } from "./validate.js";
import { typedArrayName } from "./views.js";
import { SCRATCH_BYTES } from "./wasm.js";

/** How kl_div combines the pointwise terms. */
export type KlReduction = "mean" | "batchmean" | "sum" | "none";

export interface KlDivOptions {
  /** "mean" (default, as PyTorch: over all elements), "batchmean" (over rows: the true KL per sample), "sum" or "none". */
  reduction?: KlReduction;
  /** `target` holds log-probabilities. Default false. */
  logTarget?: boolean;
  /** klDiv with reduction "none": buffer for the pointwise terms (rows × classes). */
  out?: Float32Array;
}

export interface KlDivBackwardOptions {
  reduction?: KlReduction;
  logTarget?: boolean;
  /** Upstream gradient: a number, or one value per element with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for the gradient (rows × classes); may be `input` itself. */
  out?: Float32Array;
  /** Add the gradient into `out` (which must be given) instead of overwriting it: two losses, one buffer. */
  accumulate?: boolean;
}

/** The loss and d loss / d input (rows × classes): cross-entropy's LossAndGrad. */
export type KlLossAndGrad<Loss extends number | Float32Array = number | Float32Array> = LossAndGrad<Loss>;

export interface KlDivFunction {
  (input: Float32Array, target: Float32Array, classes: number, options: KlDivOptions & { reduction: "none" }): Float32Array;
  (input: Float32Array, target: Float32Array, classes: number, options?: Omit<KlDivOptions, "reduction" | "out"> & { reduction?: "mean" | "batchmean" | "sum" }): number;
  (input: Float32Array, target: Float32Array, classes: number, options?: KlDivOptions): number | Float32Array;
}

export interface KlDivWithGradFunction {
  (input: Float32Array, target: Float32Array, classes: number, options: KlDivBackwardOptions & { reduction: "none" }): KlLossAndGrad<Float32Array>;
  (input: Float32Array, target: Float32Array, classes: number, options?: KlDivBackwardOptions & { reduction?: "mean" | "batchmean" | "sum" }): KlLossAndGrad<number>;
  (input: Float32Array, target: Float32Array, classes: number, options?: KlDivBackwardOptions): KlLossAndGrad;
}

interface KlArgs {
  rows: number; classes: number; input: Float32Array; target: Float32Array;
  reduction: KlReduction; logTarget: boolean; gradOutput: number | Float32Array;
  out: Float32Array | null; outGiven: unknown; inputs: NamedView[]; accumulate: boolean;
}

/** Checks a kl_div call (shared with the reference). */
export function checkKlArgs(fn: string, input: unknown, target: unknown, classes: unknown, options: unknown, withGradient: boolean): KlArgs {
  const o = readOptions(fn, options, withGradient ? ["reduction", "logTarget", "gradOutput", "out", "accumulate"] : ["reduction", "logTarget", "out"]);
  const { rows, classes: c, logits } = checkLogits(fn, input, classes);
  const t = checkFloat32(fn, "target", target);
  if (t.length !== logits.length) throw new RangeError(`${fn}: target must have the input's length (${logits.length}), got length ${t.length}`);
  const reduction = o.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "batchmean" && reduction !== "sum" && reduction !== "none") {
    throw new RangeError(`${fn}: reduction must be "mean", "batchmean", "sum" or "none", got ${describe(reduction)}`);
  }
  if (o.logTarget !== undefined && typeof o.logTarget !== "boolean") throw new TypeError(`${fn}: logTarget must be a boolean, got ${describe(o.logTarget)}`);
  let gradOutput: number | Float32Array = 1;
  const inputs: NamedView[] = [{ name: "input", view: logits }, { name: "target", view: t }];
  if (withGradient && o.gradOutput !== undefined) {
    const g = o.gradOutput;
    if (typeof g === "number") gradOutput = g;
    else {
      if (typedArrayName(g) === undefined && !Array.isArray(g)) {
        throw new TypeError(`${fn}: gradOutput must be a number${reduction === "none" ? " or one number per element" : ""}, got ${describe(g)}`);
      }
      if (reduction !== "none") throw new RangeError(`${fn}: gradOutput must be a number with reduction "${reduction}" (per-element values need reduction "none"), got ${describe(g)}`);
      gradOutput = checkFloatArray(fn, "gradOutput", g, [logits.length], `one value per element (${logits.length})`, inputs)!;
    }
  }
  if (!withGradient && o.out !== undefined && reduction !== "none") {
    throw new RangeError(`${fn}: out holds the pointwise terms and needs reduction "none", got reduction "${reduction}"`);
  }
  const out = checkOut(fn, o.out, logits.length);
  return {
    rows, classes: c, input: logits, target: t, reduction, logTarget: o.logTarget === true, gradOutput, out, outGiven: o.out, inputs,
    accumulate: checkAccumulate(fn, o.accumulate, o.out),
  };
}

/** The reduction's divisor: elements for "mean", rows for "batchmean", 1 otherwise. */
export function klDivisor(args: KlArgs): number {
  return args.reduction === "mean" ? args.rows * args.classes : args.reduction === "batchmean" ? args.rows : 1;
}

function* lossRows({ fn, rt, frame }: CallContext, args: KlArgs, wantGrad: boolean): Op<{ loss: number | Float32Array; grad: Float32Array }> {
  const { rows, classes: cols, reduction } = args;
  const n = rows * cols;
  const rowLoss = frame.float64.take(rows);
  const none = reduction === "none";
  const pointwiseOut = !wantGrad && none ? args.out : null;
  const pointwise = none ? pointwiseOut ?? new Float32Array(n) : null;
  const grad = wantGrad ? args.out ?? new Float32Array(n) : null;
  const divisor = klDivisor(args);
  const perElement = typeof args.gradOutput !== "number";
  let scale: number | Float32Array = 0;
  if (wantGrad) {
    if (typeof args.gradOutput === "number") scale = args.gradOutput / divisor;
    else scale = args.gradOutput; // reduction "none": divisor 1
  }
  const inputs: RowOperand[] = [
    { name: "input", view: args.input, perRow: cols },
    { name: "target", view: args.target, perRow: cols },
  ];
  if (perElement) inputs.push({ name: "gradOutput", view: scale as Float32Array, perRow: cols, own: true });
  const outputs: RowOutput[] = [{ name: "loss", view: rowLoss, perRow: 1, own: true }];
  if (pointwise) outputs.push({ name: "out", view: pointwise, perRow: cols, inPlaceOf: 0, own: pointwiseOut === null });
  if (grad) outputs.push({ name: "out", view: grad, perRow: cols, inPlaceOf: 0, own: args.out === null, accumulate: args.accumulate });
  const results = yield {
    fn, rows, inputs, outputs, alsoRead: args.inputs, scratchBytes: SCRATCH_BYTES.klDivRows,
    export: "klDivRows",
    args(at, _first, count) {
      const p = pointwise ? at.outputs[1] : 0;
      const g = grad ? at.outputs[pointwise ? 2 : 1] : 0;
      return [at.inputs[0], at.inputs[1], count, cols, args.logTarget ? 1 : 0, at.outputs[0], p, g,
        perElement ? at.inputs[2] : 0, typeof scale === "number" ? scale : 0, at.scratch];
    },
  };
  const finalGrad = grad ? (results[pointwise ? 2 : 1] as Float32Array) : new Float32Array(0);
  if (none) return { loss: results[1] as Float32Array, grad: finalGrad };
  let total = 0;
  for (let r = 0; r < rows; r++) total += rowLoss[r];
  return { loss: total / divisor, grad: finalGrad };
}

const klDivOp = defineOp<KlDivFunction>("klDiv", function* (cx, input, target, classes, options) {
  const args = checkKlArgs(cx.fn, input, target, classes, options, false);
  const { loss } = yield* lossRows(cx, args, false);
  return (loss instanceof Float32Array && args.out ? returned(args.outGiven, args.out, loss) : loss) as never;
});

/** F.kl_div(input, target): the loss (a number, or the pointwise terms for reduction "none"). */
export const klDiv = klDivOp.sync;

/** klDiv, as an async call (ops.ts). */
export const klDivAsync = klDivOp.async;

const klDivBackwardOp = defineOp<(input: Float32Array, target: Float32Array, classes: number, options?: KlDivBackwardOptions) => Float32Array>("klDivBackward", function* (cx, input, target, classes, options) {
  const args = checkKlArgs(cx.fn, input, target, classes, options, true);
  const { grad } = yield* lossRows(cx, args, true);
  return returned(args.outGiven, args.out ?? grad, grad);
});

/** d kl_div / d input (rows × classes), scaled by gradOutput. */
export const klDivBackward = klDivBackwardOp.sync;

/** klDivBackward, as an async call (ops.ts). */
export const klDivBackwardAsync = klDivBackwardOp.async;

const klDivWithGradOp = defineOp<KlDivWithGradFunction>("klDivWithGrad", function* (cx, input, target, classes, options) {
  const args = checkKlArgs(cx.fn, input, target, classes, options, true);
  const { loss, grad } = yield* lossRows(cx, args, true);
  return { loss, grad: returned(args.outGiven, args.out ?? grad, grad) } as never;
});

/** The loss and d loss / d input in one pass. */
export const klDivWithGrad = klDivWithGradOp.sync;

/** klDivWithGrad, as an async call (ops.ts). */
export const klDivWithGradAsync = klDivWithGradOp.async;
