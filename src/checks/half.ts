// Logits of 16-bit floats: a Float16Array (where the engine has one), or a Uint16Array of float16
// or bfloat16 bits with `dtype` saying which. The engine widens them in wasm as it stages rows;
// the plain-TS reference decodes them here.
import { checkClasses, checkLogits, type CheckedLogits } from "./arrays.js";
import { describe } from "./describe.js";
import { ownView, typedArrayName } from "./views.js";

export type HalfType = "float16" | "bfloat16";

/** `dtype`: what a logits array holds. */
export type Dtype = "float32" | HalfType;

/** Logits as given: float32 (`half` null), or the bits of 16-bit floats (`logits` is then empty). */
export interface CheckedLogitsAnyWidth extends CheckedLogits {
  half: HalfType | null;
  bits: Uint16Array | null;
}

const NO_FLOATS = new Float32Array(0);

export function checkLogitsAnyWidth(
  fn: string,
  logits: unknown,
  classes: unknown,
  dtype: unknown,
  name = "logits",
): CheckedLogitsAnyWidth {
  if (dtype !== undefined && dtype !== "float32" && dtype !== "float16" && dtype !== "bfloat16") {
    throw new TypeError(`${fn}: dtype must be "float32", "float16" or "bfloat16", got ${describe(dtype)}`);
  }
  const typed = typedArrayName(logits);
  let half: HalfType;
  if (typed === "Float16Array") {
    if (dtype !== undefined && dtype !== "float16") {
      throw new TypeError(`${fn}: ${name} is a Float16Array, which holds float16, but dtype is "${dtype}"`);
    }
    half = "float16";
  } else if (typed === "Uint16Array") {
    if (dtype !== "float16" && dtype !== "bfloat16") {
      throw new TypeError(
        `${fn}: ${name} is a Uint16Array: pass dtype "float16" or "bfloat16" to say what its bits are, got dtype ${describe(dtype)}`,
      );
    }
    half = dtype;
  } else {
    if (dtype !== undefined && dtype !== "float32") {
      throw new TypeError(
        `${fn}: dtype "${dtype}" needs ${name} as a Uint16Array (or Float16Array) of 16-bit floats, got ${describe(logits)}`,
      );
    }
    return { ...checkLogits(fn, logits, classes, name), half: null, bits: null };
  }
  const c = checkClasses(fn, classes);
  const bits = ownView(fn, name, Uint16Array, logits);
  if (bits.length % c !== 0) {
    throw new RangeError(`${fn}: ${name}.length must be a multiple of classes (${c}), got ${bits.length}`);
  }
  return { rows: bits.length / c, classes: c, logits: NO_FLOATS, half, bits };
}

/** The float32 values of 16-bit float bits (exact: every 16-bit value is a float32 value). */
export function decodeHalf(bits: Uint16Array, half: HalfType): Float32Array {
  const out = new Float32Array(bits.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    if (half === "bfloat16") {
      words[i] = h << 16;
      continue;
    }
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f,
      mantissa = h & 0x3ff;
    if (exponent === 0x1f) words[i] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    else if (exponent !== 0) words[i] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
    else out[i] = (sign ? -1 : 1) * mantissa * 2 ** -24;
  }
  return out;
}
