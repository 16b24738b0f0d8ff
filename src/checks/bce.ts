// Checks and option types of bce (shared by ops/bce.ts and the reference).
import { checkAccumulate, checkReduction, type Reduction } from "./scalars.js";
import { checkFloat32, checkFloatArray, checkLogits, checkOut } from "./arrays.js";
import { describe, readOptions } from "./describe.js";
import { typedArrayName } from "./views.js";
import type { NamedView } from "./overlap.js";
import type { LossAndGrad } from "./crossentropy.js";

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

export interface BceWithLogitsFunction {
  (
    logits: Float32Array,
    target: Float32Array,
    classes: number,
    options: BceWithLogitsOptions & { reduction: "none" },
  ): Float32Array;
  (
    logits: Float32Array,
    target: Float32Array,
    classes: number,
    options?: Omit<BceWithLogitsOptions, "reduction" | "out"> & { reduction?: "mean" | "sum" },
  ): number;
  (logits: Float32Array, target: Float32Array, classes: number, options?: BceWithLogitsOptions): number | Float32Array;
}

export interface BceWithLogitsWithGradFunction {
  (
    logits: Float32Array,
    target: Float32Array,
    classes: number,
    options: BceWithLogitsBackwardOptions & { reduction: "none" },
  ): LossAndGrad<Float32Array>;
  (
    logits: Float32Array,
    target: Float32Array,
    classes: number,
    options?: BceWithLogitsBackwardOptions & { reduction?: "mean" | "sum" },
  ): LossAndGrad<number>;
  (logits: Float32Array, target: Float32Array, classes: number, options?: BceWithLogitsBackwardOptions): LossAndGrad;
}

export interface BceArgs {
  rows: number;
  classes: number;
  logits: Float32Array;
  target: Float32Array;
  weightElem: Float32Array | null;
  weightCol: Float32Array | null;
  posWeight: Float32Array | null;
  reduction: Reduction;
  gradOutput: number | Float32Array;
  out: Float32Array | null;
  outGiven: unknown;
  inputs: NamedView[];
  accumulate: boolean;
}

/** Checks a binary_cross_entropy_with_logits call (shared with the reference). */
export function checkBceArgs(
  fn: string,
  logits: unknown,
  target: unknown,
  classes: unknown,
  options: unknown,
  withGradient: boolean,
): BceArgs {
  const o = readOptions(
    fn,
    options,
    withGradient
      ? ["weight", "posWeight", "reduction", "gradOutput", "out", "accumulate"]
      : ["weight", "posWeight", "reduction", "out"],
  );
  const { rows, classes: c, logits: x } = checkLogits(fn, logits, classes);
  const t = checkFloat32(fn, "target", target);
  if (t.length !== x.length)
    throw new RangeError(`${fn}: target must have the logits' length (${x.length}), got length ${t.length}`);
  const reduction = checkReduction(fn, o.reduction);
  const inputs: NamedView[] = [
    { name: "logits", view: x },
    { name: "target", view: t },
  ];
  const weight = checkFloatArray(
    fn,
    "weight",
    o.weight,
    [x.length, c],
    `one entry per element (${x.length}) or per class (${c})`,
    inputs,
  );
  const posWeight = checkFloatArray(fn, "posWeight", o.posWeight, [c], `one entry per class (${c})`, inputs);
  let gradOutput: number | Float32Array = 1;
  if (withGradient && o.gradOutput !== undefined) {
    if (typeof o.gradOutput === "number") gradOutput = o.gradOutput;
    else {
      const typed = typedArrayName(o.gradOutput);
      if (typed !== "Float32Array" && typed !== "Float64Array" && !Array.isArray(o.gradOutput)) {
        throw new TypeError(
          `${fn}: gradOutput must be a number${reduction === "none" ? " or one number per element" : ""}, got ${describe(o.gradOutput)}`,
        );
      }
      if (reduction !== "none")
        throw new RangeError(
          `${fn}: gradOutput must be a number with reduction "${reduction}" (per-element values need reduction "none"), got ${describe(o.gradOutput)}`,
        );
      gradOutput = checkFloatArray(
        fn,
        "gradOutput",
        o.gradOutput,
        [x.length],
        `one value per element (${x.length})`,
        inputs,
      )!;
    }
  }
  if (!withGradient && o.out !== undefined && reduction !== "none") {
    throw new RangeError(
      `${fn}: out holds the losses per element and needs reduction "none", got reduction "${reduction}"`,
    );
  }
  const out = checkOut(fn, o.out, x.length);
  const perElement = weight !== null && weight.length === x.length && x.length !== c;
  return {
    rows,
    classes: c,
    logits: x,
    target: t,
    weightElem: perElement ? weight : null,
    weightCol: perElement ? null : weight,
    posWeight,
    reduction,
    gradOutput,
    out,
    outGiven: o.out,
    inputs,
    accumulate: checkAccumulate(fn, o.accumulate, o.out),
  };
}
