// Argument checks shared by the wasm API and the plain-TypeScript reference. Every check runs
// before anything is written, so a failed call leaves every caller buffer unchanged. Messages
// name the argument, what was expected and what was given. Options are read once into a
// record (readOptions) and arrays replaced by views of our own (views.ts) before any check.
import { overlaps, ownView, sameElements, typedArrayLength, typedArrayName, WASM_ARRAY_BRAND } from "./views.js";

/** Integer typed arrays accepted as class indices. */
export type LabelArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** How per-row losses are combined: PyTorch's weighted "mean" (default), "sum", or "none" (one per row). */
export type Reduction = "mean" | "sum" | "none";

export interface SoftmaxOptions {
  /** Divide logits by T before the softmax (T > 0, finite). Default 1. */
  temperature?: number;
  /** Output buffer (Float32Array of the result's length); may be `logits` itself. */
  out?: Float32Array;
}

/** Options every cross-entropy function takes. */
export interface CrossEntropyBaseOptions {
  /** Per-class weight, length `classes` (PyTorch's `weight`). */
  weight?: Float32Array | Float64Array | readonly number[];
  /** Rows whose label equals this get loss 0 and gradient 0. Default -100. */
  ignoreIndex?: number;
  /** Label smoothing ε in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Divide logits by T first; the gradient carries the 1/T factor. Default 1. */
  temperature?: number;
}

/** crossEntropy's options. */
export interface CrossEntropyOptions extends CrossEntropyBaseOptions {
  /** "mean" (default, PyTorch's weighted mean), "sum", or "none" (one loss per row). */
  reduction?: Reduction;
  /** Buffer for the per-row losses (reduction "none" only): a Float32Array of one value per row. */
  out?: Float32Array;
}

/** crossEntropyBackward's and crossEntropyWithGrad's options. */
export interface CrossEntropyBackwardOptions extends CrossEntropyBaseOptions {
  /** "mean" (default, PyTorch's weighted mean), "sum", or "none" (one loss per row). */
  reduction?: Reduction;
  /** Upstream gradient d(objective)/d(loss): a number, or one value per row with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for the gradient (rows × classes); may be `logits` itself (in place). */
  out?: Float32Array;
  /** Add the gradient into `out` (which must be given) instead of overwriting it: two losses, one buffer. */
  accumulate?: boolean;
}

/** crossEntropy's options when the result is one number ("mean" or "sum"; no `out`). */
export type CrossEntropyReducedOptions = Omit<CrossEntropyOptions, "reduction" | "out"> & { reduction?: "mean" | "sum" };

/** Class indices (one per row) or soft targets (a Float32Array of rows × classes). */
export type CrossEntropyTarget = LabelArray | readonly number[] | Float32Array;

/** The loss (a number, or per-row losses for reduction "none") and d loss / d logits. */
export interface LossAndGrad<Loss extends number | Float32Array = number | Float32Array> {
  /** The reduced loss, or a Float32Array of per-row losses for reduction "none". */
  loss: Loss;
  /** d loss / d logits, rows × classes. */
  grad: Float32Array;
}

/** crossEntropy's signature: the result's type follows `reduction`. */
export interface CrossEntropyFunction {
  /** Per-row losses (reduction "none"). */
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options: CrossEntropyOptions & { reduction: "none" }): Float32Array;
  /** The loss, reduced by "mean" (default) or "sum". */
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyReducedOptions): number;
  /** Any reduction (for a `Reduction` known only at run time). */
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions): number | Float32Array;
}

/** crossEntropyWithGrad's signature: the loss's type follows `reduction`. */
export interface CrossEntropyWithGradFunction {
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options: CrossEntropyBackwardOptions & { reduction: "none" }): LossAndGrad<Float32Array>;
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyBackwardOptions & { reduction?: "mean" | "sum" }): LossAndGrad<number>;
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyBackwardOptions): LossAndGrad;
}

/** crossEntropyBackward's signature. */
export type CrossEntropyBackwardFunction =
  (logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyBackwardOptions) => Float32Array;

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  // Typed arrays are named from their internal slots: a getter or another realm cannot lie.
  const typed = typedArrayName(value);
  if (typed !== undefined) return `a ${typed} of length ${typedArrayLength(value)}`;
  switch (typeof value) {
    case "string": return `the string ${JSON.stringify(value)}`;
    case "number": return String(value);
    case "bigint": return `${value}n`;
    case "undefined": return "undefined";
    case "function": return "a function";
    case "object":
      if (WASM_ARRAY_BRAND in value) return "a WasmArray (pass its .array)";
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
    default: return String(value);
  }
}

const NO_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Reads an options object once: rejects anything but a plain object, refuses unknown keys
 * (typos), then reads each known key exactly once into a record of our own. Getters and
 * proxies run once, before any check, so nothing the caller runs can change an option after it
 * was checked (a getter that resizes a buffer, or swaps `out`, between the check and the copy).
 */
export function readOptions<K extends string>(
  fn: string, options: unknown, known: readonly K[],
): Readonly<Partial<Record<K, unknown>>> {
  if (options === undefined) return NO_OPTIONS as Readonly<Partial<Record<K, unknown>>>;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(`${fn}: unknown option "${key}" (known options: ${known.join(", ")})`);
    }
  }
  const record: Partial<Record<K, unknown>> = {};
  for (const key of known) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) record[key] = value;
  }
  return record;
}

/** Rejects option objects that are not plain objects or that carry unknown keys (typos). */
export function checkOptionKeys(fn: string, options: unknown, known: readonly string[]): void {
  readOptions(fn, options, known);
}

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
    const hint = typedArrayName(value) !== undefined || Array.isArray(value)
      ? "; other arrays are not converted implicitly, pass Float32Array.from(values)" : "";
    throw new TypeError(`${fn}: ${name} must be ${what}, got ${describe(value)}${hint}`);
  }
  return ownView(fn, name, Float32Array, value);
}

/** Logits: a Float32Array whose length is a multiple of `classes`. */
export interface CheckedLogits { rows: number; classes: number; logits: Float32Array }

export function checkLogits(fn: string, logits: unknown, classes: unknown, name = "logits"): CheckedLogits {
  const c = checkClasses(fn, classes);
  const view = checkFloat32(fn, name, logits);
  if (view.length % c !== 0) {
    throw new RangeError(`${fn}: ${name}.length must be a multiple of classes (${c}), got ${view.length}`);
  }
  return { rows: view.length / c, classes: c, logits: view };
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

/** `out`, when given: our view of a Float32Array of exactly `length` elements; else null. */
export function checkOut(fn: string, out: unknown, length: number): Float32Array | null {
  if (out === undefined) return null;
  const view = checkFloat32(fn, "out", out, `a Float32Array of length ${length}`);
  if (view.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length}, got length ${view.length}`);
  }
  return view;
}

/** An array a call reads or writes, for the overlap check: its name and our view of it. */
export interface NamedView { name: string; view: ArrayBufferView }

/**
 * Outputs must not share memory with any input or with each other, through any handle of the
 * same buffer: rows are staged in chunks, so a shifted view would be read after it had been
 * written, and a failed call would have changed an input. The one exception is an output that
 * covers exactly the same elements as the input it is declared in place of (`inPlaceOf`).
 */
export function checkNoOverlap(
  fn: string, outputs: readonly (NamedView & { inPlaceOf?: ArrayBufferView })[], inputs: readonly NamedView[],
): void {
  for (let i = 0; i < outputs.length; i++) {
    const out = outputs[i];
    for (const other of inputs) checkApart(fn, out, other);
    for (let j = i + 1; j < outputs.length; j++) checkApart(fn, out, outputs[j]);
  }
}

export function checkApart(fn: string, out: NamedView & { inPlaceOf?: ArrayBufferView }, other: NamedView): void {
  checkViewsApart(fn, out.name, out.view, other.name, other.view, out.inPlaceOf === other.view);
}

/** checkApart on two views: `inPlace` when the output is declared in place of the other. */
export function checkViewsApart(fn: string, outName: string, out: ArrayBufferView, name: string, other: ArrayBufferView, inPlace: boolean): void {
  if (!overlaps(out, other)) return;
  if (inPlace && sameElements(out, other)) return;
  throw new RangeError(
    `${fn}: ${outName} overlaps ${name}` +
      (inPlace ? ` without being the same elements; pass ${name} itself for an in-place call, or a separate buffer` : "; pass a separate buffer"),
  );
}

/** Everything a softmax / logSoftmax / logSumExp call needs, checked. */
export interface SoftmaxArgs extends CheckedLogits {
  temperature: number;
  /** Our view of the caller's `out`, or null. */
  out: Float32Array | null;
  /** The caller's `out` object as given (returned to the caller). */
  outGiven: unknown;
}

export function checkSoftmaxArgs(
  fn: string, logits: unknown, classes: unknown, options: unknown, outPerRow: (classes: number) => number,
): SoftmaxArgs {
  const o = readOptions(fn, options, SOFTMAX_OPTION_KEYS);
  const checked = checkLogits(fn, logits, classes);
  const temperature = checkTemperature(fn, o.temperature);
  const out = checkOut(fn, o.out, checked.rows * outPerRow(checked.classes));
  // Fields written out: an object spread here measured 3 µs per call (V8 20, tsx/esbuild output).
  return { rows: checked.rows, classes: checked.classes, logits: checked.logits, temperature, out, outGiven: o.out };
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
  const values: ArrayLike<unknown> = typed === "Float32Array" ? ownView(fn, "weight", Float32Array, weight)
    : typed === "Float64Array" ? ownView(fn, "weight", Float64Array, weight) : (weight as readonly unknown[]);
  if (values.length !== classes) {
    throw new RangeError(
      `${fn}: weight must have one entry per class (${classes}), got length ${values.length}`,
    );
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

/** The caller's weight as a view (a Float64Array's own view; ours when it was a Float32Array). */
export function weightView(fn: string, given: unknown, checked: Float32Array): ArrayBufferView {
  return typedArrayName(given) === "Float64Array" ? ownView(fn, "weight", Float64Array, given) : checked;
}

/**
 * A float array argument copied into a Float32Array of one of `lengths`, or null; a typed
 * array's own view goes into `seen` (for the overlap check against `out`).
 */
export function checkFloatArray(fn: string, name: string, value: unknown, lengths: number[], what: string, seen: NamedView[]): Float32Array | null {
  if (value === undefined) return null;
  const typed = typedArrayName(value);
  if (typed !== "Float32Array" && typed !== "Float64Array" && !Array.isArray(value)) {
    throw new TypeError(`${fn}: ${name} must be a Float32Array (or Float64Array, number[]) of ${what}, got ${describe(value)}`);
  }
  const values: ArrayLike<unknown> = typed === "Float32Array" ? ownView(fn, name, Float32Array, value)
    : typed === "Float64Array" ? ownView(fn, name, Float64Array, value) : (value as readonly unknown[]);
  if (!lengths.includes(values.length)) throw new RangeError(`${fn}: ${name} must have ${what}, got length ${values.length}`);
  if (typed !== undefined) seen.push({ name, view: values as unknown as ArrayBufferView });
  const copy = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") throw new TypeError(`${fn}: ${name}[${i}] must be a number, got ${describe(v)}`);
    copy[i] = v;
  }
  return copy;
}

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

const LABEL_ARRAYS: Record<string, new (b: ArrayBufferLike, o: number, n: number) => ArrayLike<number>> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
};

function throwLabelRange(fn: string, row: number, label: number, classes: number, ignoreIndex: number): never {
  throw new RangeError(
    `${fn}: target[${row}] = ${label} is out of range for ${classes} classes ` +
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
  fn: string, target: unknown, rows: number, classes: number,
  ignoreIndex: number, ignoreIndexGiven: boolean, weight: Float32Array | null, buffers?: SnapshotBuffers,
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
      throw new RangeError(
        `${fn}: ignoreIndex must be negative with soft targets (as in PyTorch), got ${ignoreIndex}`,
      );
    }
    return { target: { kind: "soft", probabilities }, given: probabilities };
  }
  const isArray = Array.isArray(target);
  const ctor = typed === undefined ? undefined : LABEL_ARRAYS[typed];
  if (!isArray && ctor === undefined) {
    throw new TypeError(
      `${fn}: target must be class indices (an integer typed array such as Int32Array, or number[]) ` +
        `or soft targets (a Float32Array of rows × classes), got ${describe(target)}`,
    );
  }
  const source: ArrayLike<unknown> = ctor ? ownView(fn, "target", ctor, target) : (target as readonly unknown[]);
  if (source.length !== rows) {
    throw new RangeError(
      `${fn}: target must have one class index per row (${rows} rows), got length ${source.length}`,
    );
  }
  // Each label is read once, into the snapshot, and checked there. Typed labels are copied
  // whole (every integer type but Uint32 fits Int32 exactly), then checked in one monomorphic
  // loop: an element-by-element read of "any label array" costs ~50 ns per row.
  // A typed source runs no caller code while it is copied, so its snapshot may live in the
  // call's frame; a number[] may (getters, a Proxy) and gets an array of its own.
  const labels = ctor !== undefined && buffers !== undefined ? buffers.int32.take(rows) : new Int32Array(rows);
  if (ctor !== undefined && typed !== "Uint32Array") {
    labels.set(source as ArrayLike<number>);
  } else {
    for (let i = 0; i < rows; i++) {
      const y = source[i];
      if (isArray && (typeof y !== "number" || !Number.isInteger(y))) {
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

/**
 * The upstream gradient: a number for every reduction, or one value per row for 'none'.
 * Returns a number or a Float64Array of per-row values (a copy), and our view of a typed
 * gradOutput (for the overlap check).
 */
export function checkGradOutput(
  fn: string, gradOutput: unknown, reduction: Reduction, rows: number,
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
  const values: ArrayLike<unknown> = typed === "Float32Array" ? ownView(fn, "gradOutput", Float32Array, gradOutput)
    : typed === "Float64Array" ? ownView(fn, "gradOutput", Float64Array, gradOutput) : (gradOutput as readonly unknown[]);
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

export const SOFTMAX_OPTION_KEYS = ["temperature", "out"] as const;
export const CE_FORWARD_OPTION_KEYS =
  ["reduction", "weight", "ignoreIndex", "labelSmoothing", "temperature", "out"] as const;
export const CE_BACKWARD_OPTION_KEYS =
  ["reduction", "weight", "ignoreIndex", "labelSmoothing", "temperature", "gradOutput", "out", "accumulate"] as const;
const NLL_FORWARD_OPTION_KEYS = ["reduction", "weight", "ignoreIndex", "out"] as const;
const NLL_BACKWARD_OPTION_KEYS = ["reduction", "weight", "ignoreIndex", "gradOutput", "out", "accumulate"] as const;

/** Everything a cross-entropy call needs, checked. */
export interface CrossEntropyArgs extends CheckedLogits {
  target: Target;
  reduction: Reduction;
  weight: Float32Array | null;
  ignoreIndex: number;
  labelSmoothing: number;
  temperature: number;
  gradOutput: number | Float64Array;
  /** Our view of `out` (the gradient, or per-row losses for crossEntropy), or null. */
  out: Float32Array | null;
  /** The caller's `out` object as given (returned to the caller). */
  outGiven: unknown;
  /** The caller's inputs as our views, for the overlap check against `out`. */
  inputs: NamedView[];
  /** Add the gradient into `out` (backward and withGrad). */
  accumulate: boolean;
}

/**
 * Checks a cross-entropy call, or with `nll` an nll_loss call: its first argument is `input`
 * (log-probabilities), its targets class indices only, and it has no labelSmoothing or
 * temperature.
 */
export function checkCrossEntropyArgs(
  fn: string, logits: unknown, target: unknown, classes: unknown, options: unknown,
  withGradient: boolean, nll = false, buffers?: SnapshotBuffers,
): CrossEntropyArgs {
  const keys = nll ? (withGradient ? NLL_BACKWARD_OPTION_KEYS : NLL_FORWARD_OPTION_KEYS)
    : withGradient ? CE_BACKWARD_OPTION_KEYS : CE_FORWARD_OPTION_KEYS;
  const o = readOptions<string>(fn, options, keys) as Partial<Record<(typeof CE_BACKWARD_OPTION_KEYS)[number], unknown>>;
  const inputName = nll ? "input" : "logits";
  const checked = checkLogits(fn, logits, classes, inputName);
  if (nll && typedArrayName(target) === "Float32Array") {
    throw new TypeError(`${fn}: target must be class indices (an integer typed array or number[]); nll_loss takes no soft targets, got ${describe(target)}`);
  }
  const { rows, classes: c } = checked;
  const reduction = checkReduction(fn, o.reduction);
  const weight = checkWeight(fn, o.weight, c);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const labelSmoothing = checkLabelSmoothing(fn, o.labelSmoothing);
  const temperature = checkTemperature(fn, o.temperature);
  // gradOutput may be a number[] (getters, a Proxy: caller code), so it is read before the labels
  // are copied into the call's buffer.
  const g = withGradient ? checkGradOutput(fn, o.gradOutput, reduction, rows) : { gradOutput: 1, given: null };
  const t = checkTarget(fn, target, rows, c, ignoreIndex, o.ignoreIndex !== undefined, weight, buffers);
  let out: Float32Array | null = null;
  if (withGradient) {
    out = checkOut(fn, o.out, rows * c);
  } else if (o.out !== undefined) {
    if (reduction !== "none") {
      throw new RangeError(`${fn}: out holds per-row losses and needs reduction "none", got reduction "${reduction}"`);
    }
    out = checkOut(fn, o.out, rows);
  }
  const inputs: NamedView[] = [{ name: inputName, view: checked.logits }];
  if (t.given) inputs.push({ name: "target", view: t.given });
  if (weight) inputs.push({ name: "weight", view: weightView(fn, o.weight, weight) });
  if (g.given) inputs.push({ name: "gradOutput", view: g.given });
  return {
    rows, classes: c, logits: checked.logits, target: t.target, reduction, weight, ignoreIndex, labelSmoothing,
    temperature, gradOutput: g.gradOutput, out, outGiven: o.out, inputs,
    accumulate: withGradient ? checkAccumulate(fn, o.accumulate, o.out) : false,
  };
}

/** `accumulate`: a boolean, and only with an `out` to add into. */
export function checkAccumulate(fn: string, accumulate: unknown, out: unknown): boolean {
  if (accumulate === undefined) return false;
  if (typeof accumulate !== "boolean") throw new TypeError(`${fn}: accumulate must be a boolean, got ${describe(accumulate)}`);
  if (accumulate && out === undefined) throw new TypeError(`${fn}: accumulate adds the gradient into out: pass out`);
  return accumulate;
}

/** The reduction's divisor: D = Σ w[y] over non-ignored rows (hard), or rows (soft). */
export function meanDivisor(args: CrossEntropyArgs): number {
  return args.target.kind === "hard" ? args.target.weightTotal : args.rows;
}

/**
 * Per-row losses (f64, row order) reduced as `reduction` says: "none" copies them into
 * `lossOut()` (the caller's out, as a view that survives memory growth) or a new array; "sum"
 * and "mean" add them in row order, "mean" dividing by `divisor` as it is (0 gives ±Infinity or
 * NaN, as PyTorch divides).
 */
export function reduceRowLosses(
  losses: Float64Array, rows: number, reduction: Reduction, divisor: number, lossOut: (() => Float32Array) | null,
): number | Float32Array {
  if (reduction === "none") {
    const loss = lossOut ? lossOut() : new Float32Array(rows);
    loss.set(losses.subarray(0, rows));
    return loss;
  }
  let total = 0;
  for (let i = 0; i < rows; i++) total += losses[i];
  return reduction === "sum" ? total : total / divisor;
}
