// Scalar and per-row options shared by the families: temperature, reduction, ignoreIndex,
// label smoothing, class weights, gradOutput, accumulate.
import { ownView, typedArrayName } from "./views.js";
import { describe } from "./describe.js";

/** How per-row losses are combined: PyTorch's weighted "mean" (default), "sum", or "none" (one per row). */
export type Reduction = "mean" | "sum" | "none";

/** 1/T as the kernels take it; T must be a finite number > 0. */
export function checkTemperature(fn: string, temperature: unknown): number {
  if (temperature === undefined) return 1;
  if (typeof temperature !== "number") {
    throw new TypeError(`${fn}: temperature must be a number > 0, got ${describe(temperature)}`);
  }
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`${fn}: temperature must be a finite number > 0, got ${describe(temperature)}`);
  }
  // The kernels scale by 1/T in float32: below about 2.9e-39 it would be Infinity (NaN results).
  if (Math.fround(1 / temperature) === Infinity) {
    throw new RangeError(
      `${fn}: temperature must be at least 2.94e-39 (1/T must be a finite float32), got ${describe(temperature)}`,
    );
  }
  return temperature;
}

export function checkReduction(fn: string, reduction: unknown): Reduction {
  if (reduction === undefined) return "mean";
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new RangeError(`${fn}: reduction must be "mean", "sum" or "none", got ${describe(reduction)}`);
  }
  return reduction;
}

export function checkIgnoreIndex(fn: string, ignoreIndex: unknown): number {
  if (ignoreIndex === undefined) return -100;
  // An int64 id (a bigint) within 32 bits is the same index.
  if (typeof ignoreIndex === "bigint") {
    if (ignoreIndex < -0x80000000n || ignoreIndex > 0x7fffffffn) {
      throw new RangeError(`${fn}: ignoreIndex must be a 32-bit integer, got ${describe(ignoreIndex)}`);
    }
    return Number(ignoreIndex);
  }
  if (typeof ignoreIndex !== "number") {
    throw new TypeError(`${fn}: ignoreIndex must be an integer, got ${describe(ignoreIndex)}`);
  }
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < -0x80000000 || ignoreIndex > 0x7fffffff) {
    throw new RangeError(`${fn}: ignoreIndex must be a 32-bit integer, got ${describe(ignoreIndex)}`);
  }
  return ignoreIndex;
}

export function checkLabelSmoothing(fn: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number") {
    throw new TypeError(`${fn}: labelSmoothing must be a number in [0, 1], got ${describe(value)}`);
  }
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${fn}: labelSmoothing must be in [0, 1], got ${describe(value)}`);
  }
  return value;
}

/**
 * A per-class weight as a Float32Array: our view of a Float32Array (it may live in wasm
 * memory), or a copy of a Float64Array or number[]; null when not given.
 */
export function checkWeight(fn: string, weight: unknown, classes: number): Float32Array | null {
  if (weight === undefined) return null;
  const typed = typedArrayName(weight);
  if (typed !== "Float32Array" && typed !== "Float64Array" && !Array.isArray(weight)) {
    throw new TypeError(
      `${fn}: weight must be a Float32Array (or Float64Array, number[]) of length classes (${classes}), ` +
        `got ${describe(weight)}`,
    );
  }
  const values: ArrayLike<unknown> =
    typed === "Float32Array"
      ? ownView(fn, "weight", Float32Array, weight)
      : typed === "Float64Array"
        ? ownView(fn, "weight", Float64Array, weight)
        : (weight as readonly unknown[]);
  if (values.length !== classes) {
    throw new RangeError(`${fn}: weight must have one entry per class (${classes}), got length ${values.length}`);
  }
  if (values instanceof Float32Array) return values;
  // Copied once, element by element: a hole in a number[] reads as undefined and is refused.
  const copy = new Float32Array(classes);
  for (let i = 0; i < classes; i++) {
    const w = values[i];
    if (typeof w !== "number") throw new TypeError(`${fn}: weight[${i}] must be a number, got ${describe(w)}`);
    copy[i] = w;
  }
  return copy;
}

/**
 * The upstream gradient: a number for every reduction, or one value per row for 'none'.
 * Returns a number or a Float64Array of per-row values (a copy), and our view of a typed
 * gradOutput (for the overlap check).
 */
export function checkGradOutput(
  fn: string,
  gradOutput: unknown,
  reduction: Reduction,
  rows: number,
): { gradOutput: number | Float64Array; given: ArrayBufferView | null } {
  if (gradOutput === undefined) return { gradOutput: 1, given: null };
  if (typeof gradOutput === "number") return { gradOutput, given: null };
  const typed = typedArrayName(gradOutput);
  const perRow = typed === "Float32Array" || typed === "Float64Array" || Array.isArray(gradOutput);
  if (!perRow) {
    throw new TypeError(
      `${fn}: gradOutput must be a number${reduction === "none" ? " or one number per row" : ""}, ` +
        `got ${describe(gradOutput)}`,
    );
  }
  if (reduction !== "none") {
    throw new RangeError(
      `${fn}: gradOutput must be a number with reduction "${reduction}" (per-row values need reduction "none"), ` +
        `got ${describe(gradOutput)}`,
    );
  }
  const values: ArrayLike<unknown> =
    typed === "Float32Array"
      ? ownView(fn, "gradOutput", Float32Array, gradOutput)
      : typed === "Float64Array"
        ? ownView(fn, "gradOutput", Float64Array, gradOutput)
        : (gradOutput as readonly unknown[]);
  if (values.length !== rows) {
    throw new RangeError(`${fn}: gradOutput must have one value per row (${rows}), got length ${values.length}`);
  }
  const result = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (typeof v !== "number") {
      throw new TypeError(`${fn}: gradOutput[${i}] must be a number, got ${describe(v)}`);
    }
    result[i] = v;
  }
  return { gradOutput: result, given: typed === undefined ? null : (values as unknown as ArrayBufferView) };
}

/** `accumulate`: a boolean, and only with an `out` to add into. */
export function checkAccumulate(fn: string, accumulate: unknown, out: unknown): boolean {
  if (accumulate === undefined) return false;
  if (typeof accumulate !== "boolean")
    throw new TypeError(`${fn}: accumulate must be a boolean, got ${describe(accumulate)}`);
  if (accumulate && out === undefined) throw new TypeError(`${fn}: accumulate adds the gradient into out: pass out`);
  return accumulate;
}
