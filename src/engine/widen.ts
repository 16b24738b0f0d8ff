// 16-bit float inputs (float16, bfloat16: RowOperand.half): the kernels read float32 rows, so each
// chunk's rows are widened in wasm (the halfToFloat export) into the operand's float32 region as
// they are staged: no float32 copy of the caller's rows in JavaScript.
import type { RowOperand } from "./call.js";
import { copy } from "./frame.js";
import type { Runtime } from "./runtime.js";

/** Whether a call has a 16-bit input (such calls run on one thread). */
export const hasHalf = (inputs: readonly RowOperand[]) => inputs.some((op) => op.half !== undefined);

/**
 * Rows [first, first + count) of a 16-bit input widened into its float32 region at `to`: read in
 * place when resident (its first row at `from`), else staged in the region's upper half first
 * and widened downwards in place (each float32 lands below the 16-bit values still to be read).
 */
export function widen(rt: Runtime, op: RowOperand, from: number, to: number, first: number, count: number): number {
  const n = count * op.perRow;
  let src = to + n * 2;
  if (from >= 0) src = from + first * op.perRow * 2;
  else copy(rt.arena.u16, src / 2, op.view, first * op.perRow, n);
  rt.kernels.halfToFloat(src, to, n, op.half === "bfloat16" ? 1 : 0);
  return to;
}
