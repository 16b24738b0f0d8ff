// Checks and option types of select (shared by ops/select.ts and the reference).
import type { LabelArray } from "./targets.js";
import { describe } from "./describe.js";
import { ownView, typedArrayName } from "./views.js";

export interface ArgmaxOptions {
  /** Output buffer: an Int32Array of one index per row. */
  out?: Int32Array;
}

export interface AccuracyOptions {
  /** Rows whose label equals this are not counted. Default -100. */
  ignoreIndex?: number;
}

export interface TopK {
  /** The k largest values of each row, largest first (rows × k). */
  values: Float32Array;
  /** Their indices in the row (rows × k). */
  indices: Int32Array;
}

export function checkInt32Out(fn: string, out: unknown, length: number): Int32Array | null {
  if (out === undefined) return null;
  if (typedArrayName(out) !== "Int32Array") {
    throw new TypeError(`${fn}: out must be an Int32Array of length ${length}, got ${describe(out)}`);
  }
  const view = ownView(fn, "out", Int32Array, out);
  if (view.length !== length) throw new RangeError(`${fn}: out must have length ${length}, got length ${view.length}`);
  return view;
}

export type ArgmaxFunction = (logits: Float32Array, classes: number, options?: ArgmaxOptions) => Int32Array;
export type AccuracyFunction = (
  logits: Float32Array,
  labels: LabelArray | readonly number[],
  classes: number,
  options?: AccuracyOptions,
) => number;
export type TopKFunction = (logits: Float32Array, classes: number, k: number) => TopK;
