// The logits operand of a row kernel: the caller's float32 rows, or 16-bit floats that the
// executor widens in wasm as it stages them (RowOperand.half).
import type { RowOperand } from "../engine/call.js";
import type { CheckedLogitsAnyWidth } from "../checks/half.js";

export function logitsOperand(args: CheckedLogitsAnyWidth, name = "logits"): RowOperand {
  return args.half
    ? { name, view: args.bits!, perRow: args.classes, half: args.half }
    : { name, view: args.logits, perRow: args.classes };
}
