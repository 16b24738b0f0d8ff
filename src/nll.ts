// nll_loss forward, backward and both (PyTorch F.nll_loss on log-probabilities): class
// weights, ignoreIndex, reductions "mean" (Σ l / Σ w[y]), "sum", "none". The same checks and
// the same label safety as cross-entropy (the kernel checks each label it reads).
import { labelsOperand } from "./crossentropy.js";
import { runAsync, runSync, type AsyncOf, type Op } from "./ops.js";
import { keepView, returned, type RowOperand, type RowOutput } from "./executor.js";
import { requireRuntime } from "./runtime.js";
import { float32Scratch, float64Scratch } from "./scratch.js";
import {
  checkCrossEntropyArgs, checkNoOverlap, meanDivisor, reduceRowLosses, type CrossEntropyArgs, type CrossEntropyBaseOptions,
  type CrossEntropyTarget, type LossAndGrad, type Reduction,
} from "./validate.js";

/** nllLoss's options. */
export interface NllLossOptions extends Omit<CrossEntropyBaseOptions, "labelSmoothing" | "temperature"> {
  /** "mean" (default: Σ l / Σ w[y] over non-ignored rows), "sum" or "none". */
  reduction?: Reduction;
  /** Buffer for the per-row losses (reduction "none" only). */
  out?: Float32Array;
}

/** nllLossBackward's and nllLossWithGrad's options. */
export interface NllLossBackwardOptions extends Omit<CrossEntropyBaseOptions, "labelSmoothing" | "temperature"> {
  reduction?: Reduction;
  /** Upstream gradient: a number, or one value per row with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for the gradient (rows × classes); may be `input` itself. */
  out?: Float32Array;
  /** Add the gradient into `out` (which must be given) instead of overwriting it: two losses, one buffer. */
  accumulate?: boolean;
}

type Target = Exclude<CrossEntropyTarget, Float32Array>;

export interface NllLossFunction {
  (input: Float32Array, target: Target, classes: number, options: NllLossOptions & { reduction: "none" }): Float32Array;
  (input: Float32Array, target: Target, classes: number, options?: Omit<NllLossOptions, "reduction" | "out"> & { reduction?: "mean" | "sum" }): number;
  (input: Float32Array, target: Target, classes: number, options?: NllLossOptions): number | Float32Array;
}

export interface NllLossWithGradFunction {
  (input: Float32Array, target: Target, classes: number, options: NllLossBackwardOptions & { reduction: "none" }): LossAndGrad<Float32Array>;
  (input: Float32Array, target: Target, classes: number, options?: NllLossBackwardOptions & { reduction?: "mean" | "sum" }): LossAndGrad<number>;
  (input: Float32Array, target: Target, classes: number, options?: NllLossBackwardOptions): LossAndGrad;
}

function* run(fn: string, args: CrossEntropyArgs, wantGrad: boolean): Op<{ loss: number | Float32Array; grad: Float32Array }> {
  const rt = requireRuntime(fn);
  const { rows, classes, target, weight, reduction } = args;
  if (target.kind !== "hard") throw new TypeError(`${fn}: target must be class indices`);
  const losses = float64Scratch.take(rows);
  const grad = wantGrad ? args.out ?? new Float32Array(rows * classes) : null;
  let scale: number | Float32Array = 0;
  if (wantGrad) {
    const g = args.gradOutput;
    if (typeof g === "number") scale = reduction === "mean" ? g / meanDivisor(args) : g;
    else {
      scale = float32Scratch.take(rows);
      for (let i = 0; i < rows; i++) scale[i] = g[i];
    }
  }
  if (!wantGrad && args.out) checkNoOverlap(fn, [{ name: "out", view: args.out }], args.inputs);
  const lossOut = !wantGrad && args.out ? keepView(rt, args.out) : null;
  const inputs: RowOperand[] = [
    { name: "input", view: args.logits, perRow: classes },
    labelsOperand(rt, target.labels, args.inputs),
  ];
  if (typeof scale !== "number") inputs.push({ name: "gradOutput", view: scale, perRow: 1, own: true });
  const outputs: RowOutput[] = [{ name: "loss", view: losses, perRow: 1, own: true }];
  if (grad) outputs.push({ name: "out", view: grad, perRow: classes, inPlaceOf: 0, own: args.out === null, accumulate: args.accumulate });
  const [, finalGrad] = yield { rt, call: {
    fn, rows, inputs, outputs, alsoRead: args.inputs,
    fixed: weight ? [{ name: "weight", view: weight }] : [],
    kernel(at, _first, count) {
      return rt.kernels.nllRows(at.inputs[0], at.inputs[1], count, classes, weight ? at.fixed[0] : 0, args.ignoreIndex,
        at.outputs[0], grad ? at.outputs[1] : 0, typeof scale === "number" ? 0 : at.inputs[2], typeof scale === "number" ? scale : 0);
    },
    refused: (row) => new RangeError(`${fn}: target[${row}] changed while the call ran and is out of range for ${classes} classes`),
  } };
  // PyTorch divides by D = Σ w[y] as it is, 0 included (±Infinity or NaN).
  const loss = reduceRowLosses(losses, rows, reduction, meanDivisor(args), lossOut);
  return { loss, grad: grad ? finalGrad as Float32Array : new Float32Array(0) };
}

function* nllLossOp(fn: string, input: Float32Array, target: unknown, classes: number, options?: unknown): Op<unknown> {
  requireRuntime(fn);
  const args = checkCrossEntropyArgs(fn, input, target, classes, options, false, true);
  const { loss } = yield* run(fn, args, false);
  return (loss instanceof Float32Array && args.out ? returned(args.outGiven, args.out, loss) : loss) as never;
}

/** F.nll_loss(input, target): input holds log-probabilities [rows, classes], target class indices. */
export const nllLoss: NllLossFunction = function nllLoss(input: Float32Array, target: unknown, classes: number, options?: unknown): never {
  return runSync(nllLossOp("nllLoss", input, target, classes, options)) as never;
};

/** nllLoss, as an async call (ops.ts). */
export const nllLossAsync: AsyncOf<NllLossFunction> = ((input: Float32Array, target: unknown, classes: number, options?: unknown) =>
  runAsync("nllLossAsync", () => nllLossOp("nllLossAsync", input, target, classes, options))) as never;

function* nllLossBackwardOp(fn: string, input: Float32Array, target: Target, classes: number, options?: NllLossBackwardOptions): Op<Float32Array> {
  requireRuntime(fn);
  const args = checkCrossEntropyArgs(fn, input, target, classes, options, true, true);
  const { grad } = yield* run(fn, args, true);
  return returned(args.outGiven, args.out ?? grad, grad);
}

/** d nll_loss / d input (rows × classes), scaled by gradOutput. */
export function nllLossBackward(input: Float32Array, target: Target, classes: number, options?: NllLossBackwardOptions): Float32Array {
  return runSync(nllLossBackwardOp("nllLossBackward", input, target, classes, options));
}

/** nllLossBackward, as an async call (ops.ts). */
export const nllLossBackwardAsync: AsyncOf<typeof nllLossBackward> = ((input: Float32Array, target: Target, classes: number, options?: NllLossBackwardOptions) =>
  runAsync("nllLossBackwardAsync", () => nllLossBackwardOp("nllLossBackwardAsync", input, target, classes, options))) as never;

function* nllLossWithGradOp(fn: string, input: Float32Array, target: unknown, classes: number, options?: unknown): Op<unknown> {
  requireRuntime(fn);
  const args = checkCrossEntropyArgs(fn, input, target, classes, options, true, true);
  const { loss, grad } = yield* run(fn, args, true);
  return { loss, grad: returned(args.outGiven, args.out ?? grad, grad) } as never;
}

/** The loss and d loss / d input in one pass. */
export const nllLossWithGrad: NllLossWithGradFunction = function nllLossWithGrad(input: Float32Array, target: unknown, classes: number, options?: unknown): never {
  return runSync(nllLossWithGradOp("nllLossWithGrad", input, target, classes, options)) as never;
};

/** nllLossWithGrad, as an async call (ops.ts). */
export const nllLossWithGradAsync: AsyncOf<NllLossWithGradFunction> = ((input: Float32Array, target: unknown, classes: number, options?: unknown) =>
  runAsync("nllLossWithGradAsync", () => nllLossWithGradOp("nllLossWithGradAsync", input, target, classes, options))) as never;
