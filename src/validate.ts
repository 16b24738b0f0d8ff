// Argument checks shared by the wasm API and the plain-TypeScript reference. Every check runs
// before anything is written, so a failed call leaves every caller buffer unchanged. Messages
// name the argument, what was expected and what was given.

/** Integer typed arrays accepted as class indices. */
export type LabelArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;

export type Reduction = "mean" | "sum" | "none";

export interface SoftmaxOptions {
  /** Divide logits by T before the softmax (T > 0, finite). Default 1. */
  temperature?: number;
  /** Output buffer (Float32Array of the result's length); may be `logits` itself. */
  out?: Float32Array;
}

export interface CrossEntropyOptions {
  /** 'mean' (default, PyTorch's weighted mean), 'sum' or 'none' (one loss per row). */
  reduction?: Reduction;
  /** Per-class weight, length `classes`. */
  weight?: Float32Array | Float64Array | readonly number[];
  /** Rows whose label equals this get loss 0 and gradient 0. Default -100. */
  ignoreIndex?: number;
  /** Label smoothing ε in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Divide logits by T first; the gradient carries the 1/T factor. Default 1. */
  temperature?: number;
  /** Upstream gradient: a number, or one value per row with reduction 'none'. Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /**
   * crossEntropy: buffer for the per-row losses (reduction 'none' only).
   * crossEntropyBackward / crossEntropyWithGrad: buffer for the gradient (may be `logits`).
   */
  out?: Float32Array;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const len = (value as unknown as { length?: number }).length;
    return `a ${value.constructor.name}${len === undefined ? "" : ` of length ${len}`}`;
  }
  switch (typeof value) {
    case "string": return `the string ${JSON.stringify(value)}`;
    case "number": return String(value);
    case "bigint": return `${value}n`;
    case "undefined": return "undefined";
    case "function": return "a function";
    case "object": return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
    default: return String(value);
  }
}

/** `logits` must be a Float32Array whose length is a multiple of `classes`; returns rows. */
export function checkLogits(fn: string, logits: unknown, classes: unknown): number {
  if (typeof classes !== "number") {
    throw new TypeError(`${fn}: classes must be a positive integer, got ${describe(classes)}`);
  }
  if (!Number.isInteger(classes) || classes < 1 || classes > 0x7fffffff) {
    throw new RangeError(`${fn}: classes must be a positive integer, got ${describe(classes)}`);
  }
  if (!(logits instanceof Float32Array)) {
    throw new TypeError(
      `${fn}: logits must be a Float32Array, got ${describe(logits)}; ` +
        `other arrays are not converted implicitly, pass Float32Array.from(values)`,
    );
  }
  if (logits.length % classes !== 0) {
    throw new RangeError(
      `${fn}: logits.length must be a multiple of classes (${classes}), got ${logits.length}`,
    );
  }
  return logits.length / classes;
}

/** Rejects option objects that are not plain objects or that carry unknown keys (typos). */
export function checkOptionKeys(fn: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${fn}: unknown option "${key}" (known options: ${known.join(", ")})`,
      );
    }
  }
}

/** 1/T as the kernels take it; T must be a finite number > 0. */
export function checkTemperature(fn: string, temperature: unknown): number {
  if (temperature === undefined) return 1;
  if (typeof temperature !== "number") {
    throw new TypeError(`${fn}: temperature must be a number > 0, got ${describe(temperature)}`);
  }
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`${fn}: temperature must be a finite number > 0, got ${describe(temperature)}`);
  }
  return temperature;
}

/**
 * `out` must be a Float32Array of exactly `length` elements. It may be `input` itself (in
 * place) but must not partly overlap it: rows are staged in chunks, so a shifted view of the
 * same memory would be read after it had been written.
 */
export function checkOut(
  fn: string, out: unknown, length: number, input: Float32Array, inputName: string,
): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (!(out instanceof Float32Array)) {
    throw new TypeError(`${fn}: out must be a Float32Array of length ${length}, got ${describe(out)}`);
  }
  if (out.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length}, got length ${out.length}`);
  }
  if (out !== input && out.buffer === input.buffer) {
    const a0 = out.byteOffset, a1 = a0 + out.byteLength;
    const b0 = input.byteOffset, b1 = b0 + input.byteLength;
    const identical = a0 === b0 && a1 === b1;
    if (!identical && a0 < b1 && b0 < a1) {
      throw new RangeError(
        `${fn}: out overlaps ${inputName} without being the same elements; ` +
          `pass ${inputName} itself for an in-place call, or a separate buffer`,
      );
    }
  }
  return out;
}

export function checkReduction(fn: string, reduction: unknown): Reduction {
  if (reduction === undefined) return "mean";
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new RangeError(
      `${fn}: reduction must be "mean", "sum" or "none", got ${describe(reduction)}`,
    );
  }
  return reduction;
}

export function checkIgnoreIndex(fn: string, ignoreIndex: unknown): number {
  if (ignoreIndex === undefined) return -100;
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

function isNumberArray(value: unknown): value is readonly number[] {
  return Array.isArray(value);
}

/** A per-class weight as a Float32Array (converted from Float64Array or number[]), or null. */
export function checkWeight(fn: string, weight: unknown, classes: number): Float32Array | null {
  if (weight === undefined) return null;
  if (!(weight instanceof Float32Array || weight instanceof Float64Array || isNumberArray(weight))) {
    throw new TypeError(
      `${fn}: weight must be a Float32Array (or Float64Array, number[]) of length classes (${classes}), ` +
        `got ${describe(weight)}`,
    );
  }
  if (weight.length !== classes) {
    throw new RangeError(
      `${fn}: weight must have one entry per class (${classes}), got length ${weight.length}`,
    );
  }
  if (isNumberArray(weight)) {
    weight.forEach((w, i) => {
      if (typeof w !== "number") {
        throw new TypeError(`${fn}: weight[${i}] must be a number, got ${describe(w)}`);
      }
    });
  }
  return weight instanceof Float32Array ? weight : Float32Array.from(weight);
}

/** Hard labels: class indices, checked and converted to Int32Array. */
export interface HardTarget {
  kind: "hard";
  labels: Int32Array;
  /** Σ weight[label] over rows whose label is not ignoreIndex: PyTorch's mean divisor D. */
  weightTotal: number;
}

export interface SoftTarget {
  kind: "soft";
  probabilities: Float32Array;
}

export type Target = HardTarget | SoftTarget;

const LABEL_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array];

function isLabelArray(value: unknown): value is LabelArray {
  return LABEL_ARRAYS.some((ctor) => value instanceof ctor);
}

/**
 * Classifies `target` and checks it against rows/classes: integer labels (one per row) or
 * soft targets (a Float32Array of rows × classes probabilities).
 */
export function checkTarget(
  fn: string, target: unknown, rows: number, classes: number,
  ignoreIndex: number, ignoreIndexGiven: boolean, weight: Float32Array | null,
): Target {
  if (target instanceof Float32Array) {
    if (target.length !== rows * classes) {
      throw new RangeError(
        `${fn}: soft targets must have rows × classes = ${rows} × ${classes} = ${rows * classes} entries, ` +
          `got length ${target.length} (class indices go in an integer typed array or number[])`,
      );
    }
    if (ignoreIndexGiven && ignoreIndex >= 0) {
      throw new RangeError(
        `${fn}: ignoreIndex must be negative with soft targets (as in PyTorch), got ${ignoreIndex}`,
      );
    }
    return { kind: "soft", probabilities: target };
  }
  const isArray = Array.isArray(target);
  if (!isArray && !isLabelArray(target)) {
    throw new TypeError(
      `${fn}: target must be class indices (an integer typed array such as Int32Array, or number[]) ` +
        `or soft targets (a Float32Array of rows × classes), got ${describe(target)}`,
    );
  }
  const source = target as ArrayLike<unknown>;
  if (source.length !== rows) {
    throw new RangeError(
      `${fn}: target must have one class index per row (${rows} rows), got length ${source.length}`,
    );
  }
  // An Int32Array is used as it is (no copy: it may live in wasm memory); others are converted.
  const labels = target instanceof Int32Array ? target : new Int32Array(rows);
  const convert = labels !== target;
  let weightTotal = 0;
  for (let i = 0; i < rows; i++) {
    const y = source[i];
    if (isArray && (typeof y !== "number" || !Number.isInteger(y))) {
      throw new TypeError(`${fn}: target[${i}] = ${describe(y)} is not an integer class index`);
    }
    const label = y as number;
    if (convert) labels[i] = label;
    if (label === ignoreIndex) continue;
    if (label < 0 || label >= classes) {
      throw new RangeError(
        `${fn}: target[${i}] = ${label} is out of range for ${classes} classes ` +
          `(valid: 0 to ${classes - 1}, or ignoreIndex ${ignoreIndex})`,
      );
    }
    weightTotal += weight === null ? 1 : weight[label];
  }
  return { kind: "hard", labels, weightTotal };
}

/**
 * The upstream gradient: a number for every reduction, or one value per row for 'none'.
 * Returns a number or a Float64Array of per-row values.
 */
export function checkGradOutput(
  fn: string, gradOutput: unknown, reduction: Reduction, rows: number,
): number | Float64Array {
  if (gradOutput === undefined) return 1;
  if (typeof gradOutput === "number") return gradOutput;
  const perRow = gradOutput instanceof Float32Array || gradOutput instanceof Float64Array ||
    Array.isArray(gradOutput);
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
  const values = gradOutput as ArrayLike<unknown>;
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
  return result;
}

export const SOFTMAX_OPTION_KEYS = ["temperature", "out"] as const;
export const CE_FORWARD_OPTION_KEYS =
  ["reduction", "weight", "ignoreIndex", "labelSmoothing", "temperature", "out"] as const;
export const CE_BACKWARD_OPTION_KEYS =
  ["reduction", "weight", "ignoreIndex", "labelSmoothing", "temperature", "gradOutput", "out"] as const;

/** Everything a cross-entropy call needs, checked. */
export interface CrossEntropyArgs {
  rows: number;
  classes: number;
  target: Target;
  reduction: Reduction;
  weight: Float32Array | null;
  ignoreIndex: number;
  labelSmoothing: number;
  temperature: number;
  gradOutput: number | Float64Array;
  out: Float32Array | undefined;
}

export function checkCrossEntropyArgs(
  fn: string, logits: unknown, target: unknown, classes: unknown, options: unknown,
  withGradient: boolean,
): CrossEntropyArgs {
  const rows = checkLogits(fn, logits, classes);
  const c = classes as number;
  checkOptionKeys(fn, options, withGradient ? CE_BACKWARD_OPTION_KEYS : CE_FORWARD_OPTION_KEYS);
  const o = (options ?? {}) as CrossEntropyOptions;
  const reduction = checkReduction(fn, o.reduction);
  const weight = checkWeight(fn, o.weight, c);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const labelSmoothing = checkLabelSmoothing(fn, o.labelSmoothing);
  const temperature = checkTemperature(fn, o.temperature);
  const checkedTarget = checkTarget(fn, target, rows, c, ignoreIndex, o.ignoreIndex !== undefined, weight);
  const gradOutput = withGradient ? checkGradOutput(fn, o.gradOutput, reduction, rows) : 1;
  let out: Float32Array | undefined;
  if (withGradient) {
    out = checkOut(fn, o.out, rows * c, logits as Float32Array, "logits");
  } else if (o.out !== undefined) {
    if (reduction !== "none") {
      throw new RangeError(`${fn}: out holds per-row losses and needs reduction "none", got reduction "${reduction}"`);
    }
    out = checkOut(fn, o.out, rows, logits as Float32Array, "logits");
  }
  return { rows, classes: c, target: checkedTarget, reduction, weight, ignoreIndex, labelSmoothing, temperature, gradOutput, out };
}

/** The reduction's divisor: D = Σ w[y] over non-ignored rows (hard), or rows (soft). */
export function meanDivisor(args: CrossEntropyArgs): number {
  return args.target.kind === "hard" ? args.target.weightTotal : args.rows;
}
