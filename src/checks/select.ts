// Checks and option types of select (shared by ops/select.ts and the reference).
import type { LabelArray, LabelList } from "./targets.js";
import type { Dtype } from "./half.js";
import { checkFloat32 } from "./arrays.js";
import { describe, readOptions } from "./describe.js";
import { ownView, typedArrayName } from "./views.js";

export interface ArgmaxOptions {
  /** Output buffer: an Int32Array of one index per row. */
  out?: Int32Array;
  /** What `logits` holds: "float32" (the default), or "float16" / "bfloat16" bits in a Uint16Array. */
  dtype?: Dtype;
}

export interface AccuracyOptions {
  /** Rows whose label equals this are not counted. Default -100. */
  ignoreIndex?: number | bigint;
  /** What `logits` holds: "float32" (the default), or "float16" / "bfloat16" bits in a Uint16Array. */
  dtype?: Dtype;
}

export interface TopK {
  /** The k largest values of each row, largest first (rows × k). */
  values: Float32Array;
  /** Their indices in the row (rows × k). */
  indices: Int32Array;
}

export interface TopKOptions {
  /** How many entries of each row to keep: an integer from 1 to classes. */
  k: number;
  /** Buffer for the values (a Float32Array of rows × k). */
  values?: Float32Array;
  /** Buffer for the indices (an Int32Array of rows × k). */
  indices?: Int32Array;
  /** What `logits` holds: "float32" (the default), or "float16" / "bfloat16" bits in a Uint16Array. */
  dtype?: Dtype;
}

export function checkInt32Out(fn: string, out: unknown, length: number, name = "out"): Int32Array | null {
  if (out === undefined) return null;
  if (typedArrayName(out) !== "Int32Array") {
    throw new TypeError(`${fn}: ${name} must be an Int32Array of length ${length}, got ${describe(out)}`);
  }
  const view = ownView(fn, name, Int32Array, out);
  if (view.length !== length)
    throw new RangeError(`${fn}: ${name} must have length ${length}, got length ${view.length}`);
  return view;
}

/** A topK call's options as given, read once (`withDtype`: the wasm API, which takes 16-bit logits). */
export function readTopKOptions(
  fn: string,
  options: unknown,
  withDtype: boolean,
): Readonly<Partial<Record<"k" | "values" | "indices" | "dtype", unknown>>> {
  if (options === undefined) throw new TypeError(`${fn}: options must give k (topK(logits, classes, { k }))`);
  if (typeof options === "number") {
    throw new TypeError(`${fn}: k goes in the options: topK(logits, classes, { k: ${options} })`);
  }
  return readOptions(fn, options, withDtype ? ["k", "values", "indices", "dtype"] : ["k", "values", "indices"]);
}

/** A topK call's options, checked: k, and our views of the result buffers given (or null). */
export function checkTopKFields(
  fn: string,
  o: Readonly<Partial<Record<"k" | "values" | "indices", unknown>>>,
  rows: number,
  classes: number,
): {
  k: number;
  values: Float32Array | null;
  indices: Int32Array | null;
  given: { values: unknown; indices: unknown };
} {
  const k = o.k;
  if (typeof k !== "number")
    throw new TypeError(`${fn}: k must be an integer from 1 to classes (${classes}), got ${describe(k)}`);
  if (!Number.isInteger(k) || k < 1 || k > classes) {
    throw new RangeError(`${fn}: k must be an integer from 1 to classes (${classes}), got ${describe(k)}`);
  }
  let values: Float32Array | null = null;
  if (o.values !== undefined) {
    values = checkFloat32(fn, "values", o.values, `a Float32Array of rows × k (${rows * k})`);
    if (values.length !== rows * k)
      throw new RangeError(`${fn}: values must have length ${rows * k}, got length ${values.length}`);
  }
  const indices = checkInt32Out(fn, o.indices, rows * k, "indices");
  return { k, values, indices, given: { values: o.values, indices: o.indices } };
}

/** A topK call's options for float32 logits (the reference). */
export const checkTopKOptions = (fn: string, options: unknown, rows: number, classes: number) =>
  checkTopKFields(fn, readTopKOptions(fn, options, false), rows, classes);

export type ArgmaxFunction = (
  logits: Float32Array | Uint16Array,
  classes: number,
  options?: ArgmaxOptions,
) => Int32Array;
export type AccuracyFunction = (
  logits: Float32Array | Uint16Array,
  labels: LabelArray | LabelList,
  classes: number,
  options?: AccuracyOptions,
) => number;
export type TopKFunction = (logits: Float32Array | Uint16Array, classes: number, options: TopKOptions) => TopK;
