// argmax, accuracy and topK over rows: validation, then a declaration each for the executor.
// Order: larger first, a NaN before any number (torch.argmax / torch.topk), equal values by
// index (the lower first).
import { defineOp, type Op } from "./ops.js";
import { returned } from "./executor.js";
import {
  checkIgnoreIndex, checkLogits, checkTarget, describe, readOptions, type CheckedLogits, type LabelArray,
} from "./validate.js";
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

function checkInt32Out(fn: string, out: unknown, length: number): Int32Array | null {
  if (out === undefined) return null;
  if (typedArrayName(out) !== "Int32Array") {
    throw new TypeError(`${fn}: out must be an Int32Array of length ${length}, got ${describe(out)}`);
  }
  const view = ownView(fn, "out", Int32Array, out);
  if (view.length !== length) throw new RangeError(`${fn}: out must have length ${length}, got length ${view.length}`);
  return view;
}

function* argmaxOf(fn: string, args: CheckedLogits, out: Int32Array | null): Op<Int32Array> {
  const result = out ?? new Int32Array(args.rows);
  const cols = args.classes;
  const [final] = yield {
    fn,
    rows: args.rows,
    inputs: [{ name: "logits", view: args.logits, perRow: cols }],
    outputs: [{ name: "out", view: result, perRow: 1, own: out === null }],
    export: "argmaxRows",
    args: (at, _first, count) => [at.inputs[0], at.outputs[0], count, cols],
  };
  return final as Int32Array;
}

type ArgmaxFunction = (logits: Float32Array, classes: number, options?: ArgmaxOptions) => Int32Array;
type AccuracyFunction = (logits: Float32Array, labels: LabelArray | readonly number[], classes: number, options?: AccuracyOptions) => number;
type TopKFunction = (logits: Float32Array, classes: number, k: number) => TopK;

const argmaxOp = defineOp<ArgmaxFunction>("argmax", function* (cx, logits, classes, options) {
  const o = readOptions(cx.fn, options, ["out"]);
  const args = checkLogits(cx.fn, logits, classes);
  const out = checkInt32Out(cx.fn, o.out, args.rows);
  const final = yield* argmaxOf(cx.fn, args, out);
  return out ? returned(o.out, out, final) : final;
});

/** The index of each row's largest entry (the first one; a NaN counts as the largest). */
export const argmax: ArgmaxFunction = argmaxOp.sync;

/** argmax, as an async call (ops.ts). */
export const argmaxAsync = argmaxOp.async;

const accuracyOp = defineOp<AccuracyFunction>("accuracy", function* (cx, logits, labels, classes, options) {
  const o = readOptions(cx.fn, options, ["ignoreIndex"]);
  const args = checkLogits(cx.fn, logits, classes);
  const ignoreIndex = checkIgnoreIndex(cx.fn, o.ignoreIndex);
  if (typedArrayName(labels) === "Float32Array") {
    throw new TypeError(`${cx.fn}: labels must be class indices (an integer typed array or number[]), got ${describe(labels)}`);
  }
  const { target } = checkTarget(cx.fn, labels, args.rows, args.classes, ignoreIndex, o.ignoreIndex !== undefined, null, cx.frame);
  if (target.kind !== "hard") throw new TypeError(`${cx.fn}: labels must be class indices`);
  const y = target.labels;
  const predicted = yield* argmaxOf(cx.fn, args, null);
  let counted = 0, right = 0;
  for (let r = 0; r < args.rows; r++) {
    if (y[r] === ignoreIndex) continue;
    counted++;
    if (predicted[r] === y[r]) right++;
  }
  return right / counted;
});

/**
 * The fraction of rows whose argmax is the label, over the rows whose label is not ignoreIndex
 * (NaN when there are none, as a mean over nothing).
 */
export const accuracy: AccuracyFunction = accuracyOp.sync;

/** accuracy, as an async call (ops.ts). */
export const accuracyAsync = accuracyOp.async;

const topKOp = defineOp<TopKFunction>("topK", function* ({ fn }, logits, classes, k): Op<TopK> {
  const args = checkLogits(fn, logits, classes);
  if (typeof k !== "number") throw new TypeError(`${fn}: k must be an integer from 1 to classes (${args.classes}), got ${describe(k)}`);
  if (!Number.isInteger(k) || k < 1 || k > args.classes) {
    throw new RangeError(`${fn}: k must be an integer from 1 to classes (${args.classes}), got ${describe(k)}`);
  }
  const cols = args.classes;
  const values = new Float32Array(args.rows * k);
  const indices = new Int32Array(args.rows * k);
  yield {
    fn,
    rows: args.rows,
    inputs: [{ name: "logits", view: args.logits, perRow: cols }],
    outputs: [
      { name: "values", view: values, perRow: k, own: true },
      { name: "indices", view: indices, perRow: k, own: true },
    ],
    export: "topKRows",
    args: (at, _first, count) => [at.inputs[0], at.outputs[0], at.outputs[1], count, cols, k],
  };
  return { values, indices };
});

/**
 * The k largest entries of each row, largest first, with their indices (torch.topk with
 * largest and sorted): a NaN comes before any number, equal values in index order. A heap of k
 * per row, no sort of the row: fast for k ≪ classes.
 */
export const topK: TopKFunction = topKOp.sync;

/** topK, as an async call (ops.ts). */
export const topKAsync = topKOp.async;
