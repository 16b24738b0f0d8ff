// Checks and option types of gaussian (shared by ops/gaussian.ts and the reference).
import { checkFloat32, checkLogits, checkOut } from "./arrays.js";
import { checkReduction, type Reduction } from "./scalars.js";
import { describe, readOptions } from "./describe.js";
import type { NamedView } from "./overlap.js";

export interface GaussianNllOptions {
  /** Add the constant ½·log 2π to each term. Default false. */
  full?: boolean;
  /** Variances below this are clamped to it (finite, > 0). Default 1e-6. */
  eps?: number;
  /** "mean" (default: over every element), "sum" or "none". */
  reduction?: Reduction;
  /** gaussianNllLoss with reduction "none": buffer for the losses per element. */
  out?: Float32Array;
}

export interface GaussianNllWithGradOptions extends Omit<GaussianNllOptions, "out"> {
  /** Upstream gradient (a number). Default 1. */
  gradOutput?: number;
  /** Buffer for d loss / d input (rows × classes); it may not overlap the arguments. */
  out?: Float32Array;
  /** Buffer for d loss / d variance (the variance's length); it may not overlap the arguments. */
  gradVarOut?: Float32Array;
  /** Add the gradients into `out` and `gradVarOut` (the ones given) instead of overwriting them. */
  accumulate?: boolean;
}

export interface GaussianNllResult<Loss extends number | Float32Array = number | Float32Array> {
  loss: Loss;
  /** d loss / d input (rows × classes). */
  grad: Float32Array;
  /** d loss / d variance (the variance's shape). */
  gradVar: Float32Array;
}

export interface GaussianNllFunction {
  (
    input: Float32Array,
    target: Float32Array,
    variance: Float32Array,
    classes: number,
    options: GaussianNllOptions & { reduction: "none" },
  ): Float32Array;
  (
    input: Float32Array,
    target: Float32Array,
    variance: Float32Array,
    classes: number,
    options?: Omit<GaussianNllOptions, "reduction" | "out"> & { reduction?: "mean" | "sum" },
  ): number;
  (
    input: Float32Array,
    target: Float32Array,
    variance: Float32Array,
    classes: number,
    options?: GaussianNllOptions,
  ): number | Float32Array;
}

export interface GaussianNllWithGradFunction {
  (
    input: Float32Array,
    target: Float32Array,
    variance: Float32Array,
    classes: number,
    options: GaussianNllWithGradOptions & { reduction: "none" },
  ): GaussianNllResult<Float32Array>;
  (
    input: Float32Array,
    target: Float32Array,
    variance: Float32Array,
    classes: number,
    options?: GaussianNllWithGradOptions & { reduction?: "mean" | "sum" },
  ): GaussianNllResult<number>;
  (
    input: Float32Array,
    target: Float32Array,
    variance: Float32Array,
    classes: number,
    options?: GaussianNllWithGradOptions,
  ): GaussianNllResult;
}

export interface GaussianArgs {
  rows: number;
  classes: number;
  input: Float32Array;
  target: Float32Array;
  variance: Float32Array;
  varPerRow: boolean;
  full: boolean;
  eps: number;
  reduction: Reduction;
  gradOutput: number;
  inputs: NamedView[];
  /** The losses per element (gaussianNllLoss, "none"), or d loss / d input (WithGrad). */
  out: Float32Array | null;
  outGiven: unknown;
  /** d loss / d variance (WithGrad). */
  gradVarOut: Float32Array | null;
  gradVarOutGiven: unknown;
  /** Add the gradients into the buffers given (WithGrad). */
  accumulate: boolean;
}

/** Checks a gaussian_nll_loss call (shared with the reference). */
export function checkGaussianArgs(
  fn: string,
  input: unknown,
  target: unknown,
  variance: unknown,
  classes: unknown,
  options: unknown,
  withGradient: boolean,
): GaussianArgs {
  const o = readOptions(
    fn,
    options,
    withGradient
      ? ["full", "eps", "reduction", "gradOutput", "out", "gradVarOut", "accumulate"]
      : ["full", "eps", "reduction", "out"],
  );
  const { rows, classes: c, logits: x } = checkLogits(fn, input, classes, "input");
  const t = checkFloat32(fn, "target", target);
  if (t.length !== x.length)
    throw new RangeError(`${fn}: target must have the input's length (${x.length}), got length ${t.length}`);
  const v = checkFloat32(fn, "variance", variance);
  if (v.length !== x.length && v.length !== rows) {
    throw new RangeError(
      `${fn}: variance must have one value per element (${x.length}) or per row (${rows}), got length ${v.length}`,
    );
  }
  // PyTorch refuses any negative variance ("var has negative entry/entries"); NaN passes, as there.
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0) throw new RangeError(`${fn}: variance must be non-negative, got variance[${i}] = ${v[i]}`);
  }
  if (o.full !== undefined && typeof o.full !== "boolean")
    throw new TypeError(`${fn}: full must be a boolean, got ${describe(o.full)}`);
  const eps = o.eps ?? 1e-6;
  if (typeof eps !== "number") throw new TypeError(`${fn}: eps must be a finite number > 0, got ${describe(eps)}`);
  if (!(eps > 0) || !Number.isFinite(eps))
    throw new RangeError(`${fn}: eps must be a finite number > 0, got ${describe(eps)}`);
  const reduction = checkReduction(fn, o.reduction);
  const gradOutput = o.gradOutput ?? 1;
  if (typeof gradOutput !== "number")
    throw new TypeError(`${fn}: gradOutput must be a number, got ${describe(gradOutput)}`);
  if (!withGradient && o.out !== undefined && reduction !== "none")
    throw new RangeError(
      `${fn}: out holds the losses per element and needs reduction "none", got reduction "${reduction}"`,
    );
  const out = checkOut(fn, o.out, x.length);
  let gradVarOut: Float32Array | null = null;
  if (o.gradVarOut !== undefined) {
    gradVarOut = checkFloat32(fn, "gradVarOut", o.gradVarOut, `a Float32Array of the variance's length (${v.length})`);
    if (gradVarOut.length !== v.length)
      throw new RangeError(
        `${fn}: gradVarOut must have the variance's length (${v.length}), got length ${gradVarOut.length}`,
      );
  }
  let accumulate = false;
  if (withGradient && o.accumulate !== undefined) {
    if (typeof o.accumulate !== "boolean")
      throw new TypeError(`${fn}: accumulate must be a boolean, got ${describe(o.accumulate)}`);
    if (o.accumulate && o.out === undefined && o.gradVarOut === undefined) {
      throw new TypeError(`${fn}: accumulate adds the gradients into out and gradVarOut: pass at least one of them`);
    }
    accumulate = o.accumulate;
  }
  const inputs: NamedView[] = [
    { name: "input", view: x },
    { name: "target", view: t },
    { name: "variance", view: v },
  ];
  // The gradients' buffers may not overlap the arguments or each other (the kernel re-reads its
  // inputs for a float64 redo): the executor checks its declared outputs, the reference checks
  // the same pairs (gaussianOutputs).
  return {
    rows,
    classes: c,
    input: x,
    target: t,
    variance: v,
    varPerRow: v.length !== x.length,
    full: o.full === true,
    eps,
    reduction,
    gradOutput,
    out,
    outGiven: o.out,
    gradVarOut,
    gradVarOutGiven: o.gradVarOut,
    inputs,
    accumulate,
  };
}

/** The WithGrad call's gradient buffers the caller gave, named as the executor names them. */
export function gaussianOutputs(args: GaussianArgs): NamedView[] {
  const outs: NamedView[] = [];
  if (args.out) outs.push({ name: "out", view: args.out });
  if (args.gradVarOut) outs.push({ name: "gradVarOut", view: args.gradVarOut });
  return outs;
}
