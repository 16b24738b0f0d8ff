// Cross-entropy and nll_loss: option types, the overload types, and the argument check.
import { checkOut, weightView } from "./arrays.js";
import { type CheckedLogitsAnyWidth, checkLogitsAnyWidth, type Dtype } from "./half.js";
import { typedArrayName } from "./views.js";
import { describe, readOptions } from "./describe.js";
import type { NamedView } from "./overlap.js";
import {
  type Reduction,
  checkAccumulate,
  checkGradOutput,
  checkIgnoreIndex,
  checkLabelSmoothing,
  checkReduction,
  checkTemperature,
  checkWeight,
} from "./scalars.js";
import { type LabelArray, type LabelList, type SnapshotBuffers, type Target, checkTarget } from "./targets.js";

/** Options every cross-entropy function takes. */
export interface CrossEntropyBaseOptions {
  /** Per-class weight, length `classes` (PyTorch's `weight`). */
  weight?: Float32Array | Float64Array | readonly number[];
  /** Rows whose label equals this get loss 0 and gradient 0. Default -100. */
  ignoreIndex?: number | bigint;
  /** Label smoothing ε in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Divide logits by T first; the gradient carries the 1/T factor. Default 1. */
  temperature?: number;
  /** What `logits` holds: "float32" (a Float32Array, the default), or "float16" / "bfloat16" bits in a Uint16Array. */
  dtype?: Dtype;
}

/** crossEntropy's options. */
export interface CrossEntropyOptions extends CrossEntropyBaseOptions {
  /** "mean" (default, PyTorch's weighted mean), "sum", or "none" (one loss per row). */
  reduction?: Reduction;
  /** Buffer for the per-row losses (reduction "none" only): a Float32Array of one value per row. */
  out?: Float32Array;
}

/** crossEntropyBackward's and crossEntropyWithGrad's options. */
export interface CrossEntropyBackwardOptions extends CrossEntropyBaseOptions {
  /** "mean" (default, PyTorch's weighted mean), "sum", or "none" (one loss per row). */
  reduction?: Reduction;
  /** Upstream gradient d(objective)/d(loss): a number, or one value per row with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for the gradient (rows × classes); may be `logits` itself (in place). */
  out?: Float32Array;
  /** Add the gradient into `out` (which must be given) instead of overwriting it: two losses, one buffer. */
  accumulate?: boolean;
}

/** crossEntropy's options when the result is one number ("mean" or "sum"; no `out`). */
export type CrossEntropyReducedOptions = Omit<CrossEntropyOptions, "reduction" | "out"> & {
  reduction?: "mean" | "sum";
};

/** Class indices (one per row) or soft targets (a Float32Array of rows × classes). */
export type CrossEntropyTarget = LabelArray | LabelList | Float32Array;

/** The loss (a number, or per-row losses for reduction "none") and d loss / d logits. */
export interface LossAndGrad<Loss extends number | Float32Array = number | Float32Array> {
  /** The reduced loss, or a Float32Array of per-row losses for reduction "none". */
  loss: Loss;
  /** d loss / d logits, rows × classes. */
  grad: Float32Array;
}

/** crossEntropy's signature: the result's type follows `reduction`. */
export interface CrossEntropyFunction {
  /** Per-row losses (reduction "none"). */
  (
    logits: Float32Array | Uint16Array,
    target: CrossEntropyTarget,
    classes: number,
    options: CrossEntropyOptions & { reduction: "none" },
  ): Float32Array;
  /** The loss, reduced by "mean" (default) or "sum". */
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyReducedOptions): number;
  /** Any reduction (for a `Reduction` known only at run time). */
  (
    logits: Float32Array | Uint16Array,
    target: CrossEntropyTarget,
    classes: number,
    options?: CrossEntropyOptions,
  ): number | Float32Array;
}

/** crossEntropyWithGrad's signature: the loss's type follows `reduction`. */
export interface CrossEntropyWithGradFunction {
  (
    logits: Float32Array | Uint16Array,
    target: CrossEntropyTarget,
    classes: number,
    options: CrossEntropyBackwardOptions & { reduction: "none" },
  ): LossAndGrad<Float32Array>;
  (
    logits: Float32Array | Uint16Array,
    target: CrossEntropyTarget,
    classes: number,
    options?: CrossEntropyBackwardOptions & { reduction?: "mean" | "sum" },
  ): LossAndGrad<number>;
  (
    logits: Float32Array | Uint16Array,
    target: CrossEntropyTarget,
    classes: number,
    options?: CrossEntropyBackwardOptions,
  ): LossAndGrad;
}

/** crossEntropyBackward's signature. */
export type CrossEntropyBackwardFunction = (
  logits: Float32Array | Uint16Array,
  target: CrossEntropyTarget,
  classes: number,
  options?: CrossEntropyBackwardOptions,
) => Float32Array;

export const CE_FORWARD_OPTION_KEYS = [
  "dtype",
  "reduction",
  "weight",
  "ignoreIndex",
  "labelSmoothing",
  "temperature",
  "out",
] as const;
export const CE_BACKWARD_OPTION_KEYS = [
  "dtype",
  "reduction",
  "weight",
  "ignoreIndex",
  "labelSmoothing",
  "temperature",
  "gradOutput",
  "out",
  "accumulate",
] as const;
const NLL_FORWARD_OPTION_KEYS = ["reduction", "weight", "ignoreIndex", "out"] as const;
const NLL_BACKWARD_OPTION_KEYS = ["reduction", "weight", "ignoreIndex", "gradOutput", "out", "accumulate"] as const;

/** Everything a cross-entropy call needs, checked. */
export interface CrossEntropyArgs extends CheckedLogitsAnyWidth {
  target: Target;
  reduction: Reduction;
  weight: Float32Array | null;
  ignoreIndex: number;
  labelSmoothing: number;
  temperature: number;
  gradOutput: number | Float64Array;
  /** Our view of `out` (the gradient, or per-row losses for crossEntropy), or null. */
  out: Float32Array | null;
  /** The caller's `out` object as given (returned to the caller). */
  outGiven: unknown;
  /** The caller's inputs as our views, for the overlap check against `out`. */
  inputs: NamedView[];
  /** Add the gradient into `out` (backward and withGrad). */
  accumulate: boolean;
}

/**
 * Checks a cross-entropy call, or with `nll` an nll_loss call: its first argument is `input`
 * (log-probabilities), its targets class indices only, and it has no labelSmoothing or
 * temperature.
 */
export function checkCrossEntropyArgs(
  fn: string,
  logits: unknown,
  target: unknown,
  classes: unknown,
  options: unknown,
  withGradient: boolean,
  nll = false,
  buffers?: SnapshotBuffers,
): CrossEntropyArgs {
  const keys = nll
    ? withGradient
      ? NLL_BACKWARD_OPTION_KEYS
      : NLL_FORWARD_OPTION_KEYS
    : withGradient
      ? CE_BACKWARD_OPTION_KEYS
      : CE_FORWARD_OPTION_KEYS;
  const o = readOptions<string>(fn, options, keys) as Partial<
    Record<(typeof CE_BACKWARD_OPTION_KEYS)[number], unknown>
  >;
  const inputName = nll ? "input" : "logits";
  // nll_loss takes float32 log-probabilities only (its options have no dtype).
  const checked = checkLogitsAnyWidth(fn, logits, classes, nll ? undefined : o.dtype, inputName);
  if (nll && typedArrayName(target) === "Float32Array") {
    throw new TypeError(
      `${fn}: target must be class indices (an integer typed array or number[]); nll_loss takes no soft targets, got ${describe(target)}`,
    );
  }
  const { rows, classes: c } = checked;
  const reduction = checkReduction(fn, o.reduction);
  const weight = checkWeight(fn, o.weight, c);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const labelSmoothing = checkLabelSmoothing(fn, o.labelSmoothing);
  const temperature = checkTemperature(fn, o.temperature);
  // gradOutput may be a number[] (getters, a Proxy: caller code), so it is read before the labels
  // are copied into the call's buffer.
  const g = withGradient ? checkGradOutput(fn, o.gradOutput, reduction, rows) : { gradOutput: 1, given: null };
  const t = checkTarget(fn, target, rows, c, ignoreIndex, o.ignoreIndex !== undefined, weight, buffers);
  let out: Float32Array | null = null;
  if (withGradient) {
    out = checkOut(fn, o.out, rows * c);
  } else if (o.out !== undefined) {
    if (reduction !== "none") {
      throw new RangeError(`${fn}: out holds per-row losses and needs reduction "none", got reduction "${reduction}"`);
    }
    out = checkOut(fn, o.out, rows);
  }
  const inputs: NamedView[] = [{ name: inputName, view: checked.bits ?? checked.logits }];
  if (t.given) inputs.push({ name: "target", view: t.given });
  if (weight) inputs.push({ name: "weight", view: weightView(fn, o.weight, weight) });
  if (g.given) inputs.push({ name: "gradOutput", view: g.given });
  return {
    rows,
    classes: c,
    logits: checked.logits,
    half: checked.half,
    bits: checked.bits,
    target: t.target,
    reduction,
    weight,
    ignoreIndex,
    labelSmoothing,
    temperature,
    gradOutput: g.gradOutput,
    out,
    outGiven: o.out,
    inputs,
    accumulate: withGradient ? checkAccumulate(fn, o.accumulate, o.out) : false,
  };
}

/** The reduction's divisor: D = Σ w[y] over non-ignored rows (hard), or rows (soft). */
export function meanDivisor(args: CrossEntropyArgs): number {
  return args.target.kind === "hard" ? args.target.weightTotal : args.rows;
}
