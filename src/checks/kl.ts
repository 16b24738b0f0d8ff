// Checks and option types of kl (shared by ops/kl.ts and the reference).
import { checkAccumulate } from "./scalars.js";
import { checkFloat32, checkFloatArray, checkLogits, checkOut } from "./arrays.js";
import { describe, readOptions } from "./describe.js";
import type { LossAndGrad } from "./crossentropy.js";
import type { NamedView } from "./overlap.js";
import { typedArrayName } from "./views.js";

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

export interface KlDivFunction {
  (
    input: Float32Array,
    target: Float32Array,
    classes: number,
    options: KlDivOptions & { reduction: "none" },
  ): Float32Array;
  (
    input: Float32Array,
    target: Float32Array,
    classes: number,
    options?: Omit<KlDivOptions, "reduction" | "out"> & { reduction?: "mean" | "batchmean" | "sum" },
  ): number;
  (input: Float32Array, target: Float32Array, classes: number, options?: KlDivOptions): number | Float32Array;
}

export interface KlDivWithGradFunction {
  (
    input: Float32Array,
    target: Float32Array,
    classes: number,
    options: KlDivBackwardOptions & { reduction: "none" },
  ): LossAndGrad<Float32Array>;
  (
    input: Float32Array,
    target: Float32Array,
    classes: number,
    options?: KlDivBackwardOptions & { reduction?: "mean" | "batchmean" | "sum" },
  ): LossAndGrad<number>;
  (input: Float32Array, target: Float32Array, classes: number, options?: KlDivBackwardOptions): LossAndGrad;
}

export interface KlArgs {
  rows: number;
  classes: number;
  input: Float32Array;
  target: Float32Array;
  reduction: KlReduction;
  logTarget: boolean;
  gradOutput: number | Float32Array;
  out: Float32Array | null;
  outGiven: unknown;
  inputs: NamedView[];
  accumulate: boolean;
}

/** Checks a kl_div call (shared with the reference). */
export function checkKlArgs(
  fn: string,
  input: unknown,
  target: unknown,
  classes: unknown,
  options: unknown,
  withGradient: boolean,
): KlArgs {
  const o = readOptions(
    fn,
    options,
    withGradient ? ["reduction", "logTarget", "gradOutput", "out", "accumulate"] : ["reduction", "logTarget", "out"],
  );
  const { rows, classes: c, logits } = checkLogits(fn, input, classes);
  const t = checkFloat32(fn, "target", target);
  if (t.length !== logits.length)
    throw new RangeError(`${fn}: target must have the input's length (${logits.length}), got length ${t.length}`);
  const reduction = o.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "batchmean" && reduction !== "sum" && reduction !== "none") {
    throw new RangeError(`${fn}: reduction must be "mean", "batchmean", "sum" or "none", got ${describe(reduction)}`);
  }
  if (o.logTarget !== undefined && typeof o.logTarget !== "boolean")
    throw new TypeError(`${fn}: logTarget must be a boolean, got ${describe(o.logTarget)}`);
  let gradOutput: number | Float32Array = 1;
  const inputs: NamedView[] = [
    { name: "input", view: logits },
    { name: "target", view: t },
  ];
  if (withGradient && o.gradOutput !== undefined) {
    const g = o.gradOutput;
    if (typeof g === "number") gradOutput = g;
    else {
      if (typedArrayName(g) === undefined && !Array.isArray(g)) {
        throw new TypeError(
          `${fn}: gradOutput must be a number${reduction === "none" ? " or one number per element" : ""}, got ${describe(g)}`,
        );
      }
      if (reduction !== "none")
        throw new RangeError(
          `${fn}: gradOutput must be a number with reduction "${reduction}" (per-element values need reduction "none"), got ${describe(g)}`,
        );
      gradOutput = checkFloatArray(
        fn,
        "gradOutput",
        g,
        [logits.length],
        `one value per element (${logits.length})`,
        inputs,
      )!;
    }
  }
  if (!withGradient && o.out !== undefined && reduction !== "none") {
    throw new RangeError(
      `${fn}: out holds the pointwise terms and needs reduction "none", got reduction "${reduction}"`,
    );
  }
  const out = checkOut(fn, o.out, logits.length);
  return {
    rows,
    classes: c,
    input: logits,
    target: t,
    reduction,
    logTarget: o.logTarget === true,
    gradOutput,
    out,
    outGiven: o.out,
    inputs,
    accumulate: checkAccumulate(fn, o.accumulate, o.out),
  };
}

/** The reduction's divisor: elements for "mean", rows for "batchmean", 1 otherwise. */
export function klDivisor(args: KlArgs): number {
  return args.reduction === "mean" ? args.rows * args.classes : args.reduction === "batchmean" ? args.rows : 1;
}
