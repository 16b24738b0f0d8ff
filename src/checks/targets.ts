// Class-index targets (labels): checked and copied once into a snapshot the kernel reads.
import { ownView, typedArrayName } from "./views.js";
import { describe } from "./describe.js";

/**
 * Integer typed arrays accepted as class indices, 64-bit ones included (token ids as
 * transformers.js and onnxruntime-web hand them over): range-checked exactly, as bigints.
 */
export type LabelArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** Class indices as a plain array: numbers, or bigints (int64 ids). */
export type LabelList = readonly (number | bigint)[];

/** Hard labels: class indices, checked, in a private Int32Array. */
export interface HardTarget {
  kind: "hard";
  /**
   * A snapshot taken while checking: the kernel reads exactly the values that were checked,
   * whatever happens to the caller's array afterwards (another thread, an aliased output).
   * It may be longer than the rows (a reused buffer): entries past the last row mean nothing.
   */
  labels: Int32Array;
  /** Σ weight[label] over rows whose label is not ignoreIndex: PyTorch's mean divisor D. */
  weightTotal: number;
}

export interface SoftTarget {
  kind: "soft";
  /** Our view of the caller's probabilities (rows × classes). */
  probabilities: Float32Array;
}

export type Target = HardTarget | SoftTarget;

const LABEL_ARRAYS: Record<string, new (b: ArrayBufferLike, o: number, n: number) => ArrayLike<number | bigint>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
};

function throwLabelRange(fn: string, row: number, label: number | bigint, classes: number, ignoreIndex: number): never {
  throw new RangeError(
    `${fn}: target[${row}] = ${typeof label === "bigint" ? `${label}n` : label} is out of range for ${classes} classes ` +
      `(valid: 0 to ${classes - 1}, or ignoreIndex ${ignoreIndex})`,
  );
}

/**
 * Where a call keeps its label snapshot: its frame's buffer (frame.ts), which no other live call
 * uses. Without one (the reference) each snapshot is a new array.
 */
export interface SnapshotBuffers {
  readonly int32: { take(length: number): Int32Array };
}

/**
 * Classifies `target` and checks it against rows/classes: integer labels (one per row) or
 * soft targets (a Float32Array of rows × classes probabilities). `given` is our view of the
 * caller's typed array (for the overlap check), or null for a number[].
 */
export function checkTarget(
  fn: string,
  target: unknown,
  rows: number,
  classes: number,
  ignoreIndex: number,
  ignoreIndexGiven: boolean,
  weight: Float32Array | null,
  buffers?: SnapshotBuffers,
): { target: Target; given: ArrayBufferView | null } {
  const typed = typedArrayName(target);
  if (typed === "Float32Array") {
    const probabilities = ownView(fn, "target", Float32Array, target);
    if (probabilities.length !== rows * classes) {
      throw new RangeError(
        `${fn}: soft targets must have rows × classes = ${rows} × ${classes} = ${rows * classes} entries, ` +
          `got length ${probabilities.length} (class indices go in an integer typed array or number[])`,
      );
    }
    if (ignoreIndexGiven && ignoreIndex >= 0) {
      throw new RangeError(`${fn}: ignoreIndex must be negative with soft targets (as in PyTorch), got ${ignoreIndex}`);
    }
    return { target: { kind: "soft", probabilities }, given: probabilities };
  }
  const isArray = Array.isArray(target);
  const ctor = typed === undefined ? undefined : LABEL_ARRAYS[typed];
  if (!isArray && ctor === undefined) {
    throw new TypeError(
      `${fn}: target must be class indices (an integer typed array such as Int32Array or BigInt64Array, or number[]) ` +
        `or soft targets (a Float32Array of rows × classes), got ${describe(target)}`,
    );
  }
  const source: ArrayLike<unknown> = ctor ? ownView(fn, "target", ctor, target) : (target as readonly unknown[]);
  if (source.length !== rows) {
    throw new RangeError(`${fn}: target must have one class index per row (${rows} rows), got length ${source.length}`);
  }
  // Each label is read once, into the snapshot, and checked there. Typed labels are copied
  // whole (every integer type but Uint32 fits Int32 exactly), then checked in one monomorphic
  // loop: an element-by-element read of "any label array" costs ~50 ns per row.
  // A typed source runs no caller code while it is copied, so its snapshot may live in the
  // call's frame; a number[] may (getters, a Proxy) and gets an array of its own.
  const labels = ctor !== undefined && buffers !== undefined ? buffers.int32.take(rows) : new Int32Array(rows);
  const bigints = typed === "BigInt64Array" || typed === "BigUint64Array";
  if (ctor !== undefined && typed !== "Uint32Array" && !bigints) {
    // A few labels by a loop: set()'s fixed cost is larger than a short row's whole copy.
    if (rows <= 16) for (let i = 0; i < rows; i++) labels[i] = (source as ArrayLike<number>)[i];
    else labels.set(source as ArrayLike<number>);
  } else {
    const bigIgnore = BigInt(ignoreIndex),
      bigClasses = BigInt(classes);
    for (let i = 0; i < rows; i++) {
      let y = source[i];
      if (typeof y === "bigint") {
        // Compared as bigints: 2^53 + 1 is out of range, not rounded into it.
        if (y !== bigIgnore && (y < 0n || y >= bigClasses)) throwLabelRange(fn, i, y, classes, ignoreIndex);
        y = Number(y);
      } else if (isArray && (typeof y !== "number" || !Number.isInteger(y))) {
        throw new TypeError(`${fn}: target[${i}] = ${describe(y)} is not an integer class index`);
      }
      // Out of int32 range (a Uint32 above 2^31 − 1, a huge number): reported below as given.
      if ((y as number) !== ((y as number) | 0)) throwLabelRange(fn, i, y as number, classes, ignoreIndex);
      labels[i] = y as number;
    }
  }
  let weightTotal = 0;
  for (let i = 0; i < rows; i++) {
    const label = labels[i];
    if (label === ignoreIndex) continue;
    if (!(label >= 0 && label < classes)) throwLabelRange(fn, i, label, classes, ignoreIndex);
    weightTotal += weight === null ? 1 : weight[label];
  }
  return { target: { kind: "hard", labels, weightTotal }, given: ctor ? (source as unknown as ArrayBufferView) : null };
}
