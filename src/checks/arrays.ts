// Arrays as the engine sees them: typed arrays named and viewed through their internal slots
// (a subclass, a getter or another realm cannot lie), and the checks of array arguments.
import { describe } from "./describe.js";
import { ownView, typedArrayName } from "./views.js";
import type { NamedView } from "./overlap.js";

export function checkClasses(fn: string, classes: unknown): number {
  if (typeof classes !== "number") {
    throw new TypeError(`${fn}: classes must be a positive integer, got ${describe(classes)}`);
  }
  if (!Number.isInteger(classes) || classes < 1 || classes > 0x7fffffff) {
    throw new RangeError(`${fn}: classes must be a positive integer, got ${describe(classes)}`);
  }
  return classes;
}

/**
 * `value` as our own Float32Array view (see views.ts), or a TypeError naming the argument.
 * A Float32Array of any realm is accepted; other arrays are not converted implicitly.
 */
export function checkFloat32(fn: string, name: string, value: unknown, what = "a Float32Array"): Float32Array {
  if (typedArrayName(value) !== "Float32Array") {
    const hint =
      typedArrayName(value) !== undefined || Array.isArray(value)
        ? "; other arrays are not converted implicitly, pass Float32Array.from(values)"
        : "";
    throw new TypeError(`${fn}: ${name} must be ${what}, got ${describe(value)}${hint}`);
  }
  return ownView(fn, name, Float32Array, value);
}

/** Logits: a Float32Array whose length is a multiple of `classes`. */
export interface CheckedLogits {
  rows: number;
  classes: number;
  logits: Float32Array;
}

export function checkLogits(fn: string, logits: unknown, classes: unknown, name = "logits"): CheckedLogits {
  const c = checkClasses(fn, classes);
  const view = checkFloat32(fn, name, logits);
  if (view.length % c !== 0) {
    throw new RangeError(`${fn}: ${name}.length must be a multiple of classes (${c}), got ${view.length}`);
  }
  return { rows: view.length / c, classes: c, logits: view };
}

/** `out`, when given: our view of a Float32Array of exactly `length` elements; else null. */
export function checkOut(fn: string, out: unknown, length: number): Float32Array | null {
  if (out === undefined) return null;
  const view = checkFloat32(fn, "out", out, `a Float32Array of length ${length}`);
  if (view.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length}, got length ${view.length}`);
  }
  return view;
}

/** The caller's weight as a view (a Float64Array's own view; ours when it was a Float32Array). */
export function weightView(fn: string, given: unknown, checked: Float32Array): ArrayBufferView {
  return typedArrayName(given) === "Float64Array" ? ownView(fn, "weight", Float64Array, given) : checked;
}

/**
 * A float array argument copied into a Float32Array of one of `lengths`, or null; a typed
 * array's own view goes into `seen` (for the overlap check against `out`).
 */
export function checkFloatArray(
  fn: string,
  name: string,
  value: unknown,
  lengths: number[],
  what: string,
  seen: NamedView[],
): Float32Array | null {
  if (value === undefined) return null;
  const typed = typedArrayName(value);
  if (typed !== "Float32Array" && typed !== "Float64Array" && !Array.isArray(value)) {
    throw new TypeError(
      `${fn}: ${name} must be a Float32Array (or Float64Array, number[]) of ${what}, got ${describe(value)}`,
    );
  }
  const values: ArrayLike<unknown> =
    typed === "Float32Array"
      ? ownView(fn, name, Float32Array, value)
      : typed === "Float64Array"
        ? ownView(fn, name, Float64Array, value)
        : (value as readonly unknown[]);
  if (!lengths.includes(values.length))
    throw new RangeError(`${fn}: ${name} must have ${what}, got length ${values.length}`);
  if (typed !== undefined) seen.push({ name, view: values as unknown as ArrayBufferView });
  const copy = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") throw new TypeError(`${fn}: ${name}[${i}] must be a number, got ${describe(v)}`);
    copy[i] = v;
  }
  return copy;
}
