// Per-row losses reduced as PyTorch reduces them, in row order in float64.
import type { Reduction } from "../checks/scalars.js";

/**
 * Per-row losses (f64, row order) reduced as `reduction` says: "none" copies them into
 * `lossOut()` (the caller's out, as a view that survives memory growth) or a new array; "sum"
 * and "mean" add them in row order, "mean" dividing by `divisor` as it is (0 gives ±Infinity or
 * NaN, as PyTorch divides).
 */
export function reduceRowLosses(
  losses: Float64Array,
  rows: number,
  reduction: Reduction,
  divisor: number,
  lossOut: (() => Float32Array) | null,
): number | Float32Array {
  if (reduction === "none") {
    const loss = lossOut ? lossOut() : new Float32Array(rows);
    loss.set(losses.subarray(0, rows));
    return loss;
  }
  const total = sumRows(losses, rows);
  return reduction === "sum" ? total : total / divisor;
}

/** The first `rows` per-row losses added in row order (float64): the same sum on any chunking or thread count. */
export function sumRows(losses: Float64Array, rows: number): number {
  let total = 0;
  for (let i = 0; i < rows; i++) total += losses[i];
  return total;
}
