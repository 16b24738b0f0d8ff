// Checks of the linear family: linear, linearBackward, linearCrossEntropy(WithGrad). Matrices are
// row-major Float32Arrays; weight is outFeatures × inFeatures (nn.Linear's layout), so
// `inFeatures` (the length of an input row) fixes every other shape.
import { checkFloat32, checkOut } from "./arrays.js";
import { describe, readOptions } from "./describe.js";
import type { NamedView } from "./overlap.js";
import {
  type Reduction,
  checkGradOutput,
  checkIgnoreIndex,
  checkLabelSmoothing,
  checkReduction,
  checkTemperature,
  checkWeight,
} from "./scalars.js";
import { type LabelArray, type SnapshotBuffers, checkTarget } from "./targets.js";
import { typedArrayName } from "./views.js";

export interface LinearOptions {
  /** Bias, one per output feature. */
  bias?: Float32Array;
  /** Output buffer (rows × outFeatures). */
  out?: Float32Array;
  /** Add the result into `out` (which must be given) instead of overwriting it. */
  accumulate?: boolean;
}

export interface LinearBackwardOptions {
  /** Buffer for d input (rows × inFeatures), or false to skip it. */
  gradInput?: Float32Array | false;
  /** Buffer for d weight (outFeatures × inFeatures), or false to skip it. */
  gradWeight?: Float32Array | false;
  /** Buffer for d bias (outFeatures), or false to skip it. */
  gradBias?: Float32Array | false;
  /** Add each gradient into its buffer (every gradient not skipped must then be given). */
  accumulate?: boolean;
}

/** The gradients of a linear layer; a skipped one is null. */
export interface LinearGradients {
  gradInput: Float32Array | null;
  gradWeight: Float32Array | null;
  gradBias: Float32Array | null;
}

/** The shapes of a linear layer, checked. */
export interface LinearShape {
  rows: number;
  inFeatures: number;
  outFeatures: number;
  input: Float32Array;
  weight: Float32Array;
}

/** A positive integer count (features): TypeError for a non-number, RangeError otherwise. */
export function checkFeatures(fn: string, name: string, value: unknown): number {
  if (typeof value !== "number")
    throw new TypeError(`${fn}: ${name} must be a positive integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw new RangeError(`${fn}: ${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

export function checkLinearShape(
  fn: string,
  input: unknown,
  weight: unknown,
  inFeatures: unknown,
  inputName = "input",
): LinearShape {
  const f = checkFeatures(fn, "inFeatures", inFeatures);
  const x = checkFloat32(fn, inputName, input);
  const w = checkFloat32(fn, "weight", weight);
  if (x.length % f !== 0) {
    throw new RangeError(`${fn}: ${inputName}.length must be a multiple of inFeatures (${f}), got ${x.length}`);
  }
  if (w.length % f !== 0 || w.length === 0) {
    throw new RangeError(
      `${fn}: weight must hold outFeatures × inFeatures values (nn.Linear's layout), a nonzero multiple of ${f}; got length ${w.length}`,
    );
  }
  return { rows: x.length / f, inFeatures: f, outFeatures: w.length / f, input: x, weight: w };
}

/** An optional Float32Array of exactly `length` values (a bias), or null. */
function checkVector(fn: string, name: string, value: unknown, length: number): Float32Array | null {
  if (value === undefined) return null;
  const v = checkFloat32(fn, name, value, `a Float32Array of length ${length}`);
  if (v.length !== length) throw new RangeError(`${fn}: ${name} must have length ${length}, got length ${v.length}`);
  return v;
}

export function checkBoolean(fn: string, name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new TypeError(`${fn}: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export interface LinearArgs extends LinearShape {
  bias: Float32Array | null;
  out: Float32Array | null;
  outGiven: unknown;
  accumulate: boolean;
}

export function checkLinearArgs(
  fn: string,
  input: unknown,
  weight: unknown,
  inFeatures: unknown,
  options: unknown,
): LinearArgs {
  const o = readOptions(fn, options, ["bias", "out", "accumulate"] as const);
  const shape = checkLinearShape(fn, input, weight, inFeatures);
  const bias = checkVector(fn, "bias", o.bias, shape.outFeatures);
  const out = checkOut(fn, o.out, shape.rows * shape.outFeatures);
  const accumulate = checkBoolean(fn, "accumulate", o.accumulate);
  if (accumulate && out === null) throw new TypeError(`${fn}: accumulate adds the result into out: pass out`);
  return { ...shape, bias, out, outGiven: o.out, accumulate };
}

/** A gradient a call does not compute. */
export const SKIPPED: GradientSlot = Object.freeze({ skip: true, view: null, given: false });

/** One requested gradient: our view of the caller's buffer, null for a new array, or skipped. */
export interface GradientSlot {
  skip: boolean;
  view: Float32Array | null;
  given: unknown;
}

/** `gradX` option: a Float32Array of `length`, false (skip), or absent (a new array). */
export function checkGradientSlot(fn: string, name: string, value: unknown, length: number, accumulate: boolean) {
  if (value === false) return { skip: true, view: null, given: value };
  const view = value === undefined ? null : checkVector(fn, name, value, length);
  if (accumulate && view === null) {
    throw new TypeError(`${fn}: accumulate adds into ${name}: pass ${name} (or false to skip it)`);
  }
  return { skip: false, view, given: value };
}

export interface LinearBackwardArgs extends LinearShape {
  gradOutput: Float32Array;
  gradInput: GradientSlot;
  gradWeight: GradientSlot;
  gradBias: GradientSlot;
  accumulate: boolean;
}

export function checkLinearBackwardArgs(
  fn: string,
  gradOutput: unknown,
  input: unknown,
  weight: unknown,
  inFeatures: unknown,
  options: unknown,
): LinearBackwardArgs {
  const o = readOptions(fn, options, ["gradInput", "gradWeight", "gradBias", "accumulate"] as const);
  const shape = checkLinearShape(fn, input, weight, inFeatures);
  const g = checkFloat32(fn, "gradOutput", gradOutput);
  if (g.length !== shape.rows * shape.outFeatures) {
    throw new RangeError(
      `${fn}: gradOutput must hold rows × outFeatures = ${shape.rows} × ${shape.outFeatures} values, got length ${g.length}`,
    );
  }
  const accumulate = checkBoolean(fn, "accumulate", o.accumulate);
  return {
    ...shape,
    gradOutput: g,
    gradInput: checkGradientSlot(fn, "gradInput", o.gradInput, shape.rows * shape.inFeatures, accumulate),
    gradWeight: checkGradientSlot(fn, "gradWeight", o.gradWeight, shape.weight.length, accumulate),
    gradBias: checkGradientSlot(fn, "gradBias", o.gradBias, shape.outFeatures, accumulate),
    accumulate,
  };
}

export interface LinearCrossEntropyOptions {
  /** The head's bias, one per class. */
  bias?: Float32Array;
  /** Per-class weight of the loss (cross_entropy's `weight`). */
  classWeight?: Float32Array | Float64Array | readonly number[];
  /** Rows whose label equals this count nothing. Default -100. */
  ignoreIndex?: number | bigint;
  /** Label smoothing ε in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** "mean" (default, weighted as cross_entropy), "sum" or "none". */
  reduction?: Reduction;
  /** Divide the (soft-capped) logits by T. Default 1. */
  temperature?: number;
  /** Gemma 2's final-logit soft-capping: logits → softcap · tanh(logits / softcap). Off by default. */
  softcap?: number;
  /** PaLM's auxiliary loss zLoss · logsumexp² per counted row, reduced with the loss. Default 0. */
  zLoss?: number;
  /** Buffer for the per-row losses (reduction "none"). */
  out?: Float32Array;
}

export interface LinearCrossEntropyGradOptions extends LinearCrossEntropyOptions {
  /** Upstream gradient: a number, or one per row with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for d hidden (rows × features), or false to skip it. */
  gradHidden?: Float32Array | false;
  /** Buffer for d weight (classes × features), or false to skip it. */
  gradWeight?: Float32Array | false;
  /** Buffer for d bias (classes), or false to skip it (no bias: null). */
  gradBias?: Float32Array | false;
  /** Add gradWeight and gradBias into their buffers (micro-batches): both must then be given. */
  accumulate?: boolean;
}

export interface LinearCrossEntropyArgs extends LinearShape {
  labels: Int32Array;
  /** D of the mean: Σ w_y over counted rows. */
  weightTotal: number;
  bias: Float32Array | null;
  classWeight: Float32Array | null;
  ignoreIndex: number;
  labelSmoothing: number;
  reduction: Reduction;
  temperature: number;
  softcap: number;
  zLoss: number;
  gradOutput: number | Float64Array;
  out: Float32Array | null;
  outGiven: unknown;
  gradHidden: GradientSlot;
  gradWeight: GradientSlot;
  gradBias: GradientSlot;
  accumulate: boolean;
  /** The caller's arrays, for the overlap checks of the outputs. */
  inputs: NamedView[];
}

const FORWARD_KEYS = [
  "bias",
  "classWeight",
  "ignoreIndex",
  "labelSmoothing",
  "reduction",
  "temperature",
  "softcap",
  "zLoss",
  "out",
] as const;
const GRAD_KEYS = [...FORWARD_KEYS, "gradOutput", "gradHidden", "gradWeight", "gradBias", "accumulate"] as const;

/** An option that is a finite number ≥ 0, 0 when absent (softcap, zLoss: 0 is off). */
export function checkNonNegative(fn: string, name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number") throw new TypeError(`${fn}: ${name} must be a number, got ${describe(value)}`);
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${fn}: ${name} must be a finite number ≥ 0 (0: off), got ${describe(value)}`);
  }
  return value;
}

export function checkLinearCrossEntropyArgs(
  fn: string,
  hidden: unknown,
  weight: unknown,
  labels: unknown,
  features: unknown,
  options: unknown,
  withGradient: boolean,
  buffers?: SnapshotBuffers,
): LinearCrossEntropyArgs {
  const o = readOptions<string>(fn, options, withGradient ? GRAD_KEYS : FORWARD_KEYS) as Partial<
    Record<(typeof GRAD_KEYS)[number], unknown>
  >;
  const shape = checkLinearShape(fn, hidden, weight, features, "hidden");
  const { rows, outFeatures: classes } = shape;
  if (typedArrayName(labels) === "Float32Array") {
    throw new TypeError(`${fn}: labels must be class indices (an integer typed array or number[]), got a Float32Array`);
  }
  const reduction = checkReduction(fn, o.reduction);
  const bias = checkVector(fn, "bias", o.bias, classes);
  const classWeight = checkWeight(fn, o.classWeight, classes);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const labelSmoothing = checkLabelSmoothing(fn, o.labelSmoothing);
  const temperature = checkTemperature(fn, o.temperature);
  const softcap = checkNonNegative(fn, "softcap", o.softcap);
  const zLoss = checkNonNegative(fn, "zLoss", o.zLoss);
  const g = withGradient ? checkGradOutput(fn, o.gradOutput, reduction, rows) : { gradOutput: 1, given: null };
  const t = checkTarget(fn, labels, rows, classes, ignoreIndex, o.ignoreIndex !== undefined, classWeight, buffers);
  if (t.target.kind !== "hard") throw new TypeError(`${fn}: labels must be class indices`);
  let out: Float32Array | null = null;
  if (o.out !== undefined) {
    if (reduction !== "none") {
      throw new RangeError(`${fn}: out holds per-row losses and needs reduction "none", got reduction "${reduction}"`);
    }
    out = checkOut(fn, o.out, rows);
  }
  const accumulate = withGradient ? checkBoolean(fn, "accumulate", o.accumulate) : false;
  const F = shape.inFeatures;
  const inputs: NamedView[] = [
    { name: "hidden", view: shape.input },
    { name: "weight", view: shape.weight },
  ];
  if (t.given) inputs.push({ name: "labels", view: t.given });
  if (bias) inputs.push({ name: "bias", view: bias });
  if (classWeight && typedArrayName(o.classWeight) === "Float32Array")
    inputs.push({ name: "classWeight", view: classWeight });
  if (g.given) inputs.push({ name: "gradOutput", view: g.given });
  const skipped = SKIPPED;
  return {
    ...shape,
    labels: (t.target as { labels: Int32Array }).labels,
    weightTotal: (t.target as { weightTotal: number }).weightTotal,
    bias,
    classWeight,
    ignoreIndex,
    labelSmoothing,
    reduction,
    temperature,
    softcap,
    zLoss,
    gradOutput: g.gradOutput,
    out,
    outGiven: o.out,
    gradHidden: withGradient ? checkGradientSlot(fn, "gradHidden", o.gradHidden, rows * F, false) : skipped,
    gradWeight: withGradient ? checkGradientSlot(fn, "gradWeight", o.gradWeight, classes * F, accumulate) : skipped,
    gradBias:
      withGradient && bias !== null ? checkGradientSlot(fn, "gradBias", o.gradBias, classes, accumulate) : skipped,
    accumulate,
    inputs,
  };
}

export type { LabelArray };
