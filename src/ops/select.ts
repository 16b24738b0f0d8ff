// argmax, accuracy and topK over rows: validation, then a declaration each for the executor.
// Order: larger first, a NaN before any number (torch.argmax / torch.topk), equal values by
// index (the lower first).
import { defineOp, type Op } from "../engine/op.js";
import { returned } from "../engine/execute.js";
import { checkIgnoreIndex } from "../checks/scalars.js";
import { type CheckedLogitsAnyWidth, checkLogitsAnyWidth } from "../checks/half.js";
import { logitsOperand } from "./logits.js";
import { checkTarget } from "../checks/targets.js";
import { describe, readOptions } from "../checks/describe.js";
import { typedArrayName } from "../checks/views.js";
import {
  type TopK,
  checkInt32Out,
  type ArgmaxFunction,
  type AccuracyFunction,
  type TopKFunction,
  checkTopKFields,
  readTopKOptions,
} from "../checks/select.js";

function* argmaxOf(fn: string, args: CheckedLogitsAnyWidth, out: Int32Array | null): Op<Int32Array> {
  const result = out ?? new Int32Array(args.rows);
  const cols = args.classes;
  const [final] = yield {
    fn,
    rows: args.rows,
    inputs: [logitsOperand(args)],
    outputs: [{ name: "out", view: result, perRow: 1, own: out === null }],
    export: "argmaxRows",
    args: (at, _first, count) => [at.inputs[0], at.outputs[0], count, cols],
  };
  return final as Int32Array;
}

const argmaxOp = defineOp<ArgmaxFunction>("argmax", function* (cx, logits, classes, options) {
  const o = readOptions(cx.fn, options, ["out", "dtype"]);
  const args = checkLogitsAnyWidth(cx.fn, logits, classes, o.dtype);
  const out = checkInt32Out(cx.fn, o.out, args.rows);
  const final = yield* argmaxOf(cx.fn, args, out);
  return out ? returned(o.out, out, final) : final;
});

/** The index of each row's largest entry (the first one; a NaN counts as the largest). */
export const argmax: ArgmaxFunction = argmaxOp.sync;

/** argmax, as an async call (engine/op.ts). */
export const argmaxAsync = argmaxOp.async;

const accuracyOp = defineOp<AccuracyFunction>("accuracy", function* (cx, logits, labels, classes, options) {
  const o = readOptions(cx.fn, options, ["ignoreIndex", "dtype"]);
  const args = checkLogitsAnyWidth(cx.fn, logits, classes, o.dtype);
  const ignoreIndex = checkIgnoreIndex(cx.fn, o.ignoreIndex);
  if (typedArrayName(labels) === "Float32Array") {
    throw new TypeError(
      `${cx.fn}: labels must be class indices (an integer typed array or number[]), got ${describe(labels)}`,
    );
  }
  const { target } = checkTarget(
    cx.fn,
    labels,
    args.rows,
    args.classes,
    ignoreIndex,
    o.ignoreIndex !== undefined,
    null,
    cx.frame,
  );
  if (target.kind !== "hard") throw new TypeError(`${cx.fn}: labels must be class indices`);
  const y = target.labels;
  const predicted = yield* argmaxOf(cx.fn, args, null);
  let counted = 0,
    right = 0;
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

/** accuracy, as an async call (engine/op.ts). */
export const accuracyAsync = accuracyOp.async;

const topKOp = defineOp<TopKFunction>("topK", function* ({ fn }, logits, classes, options): Op<TopK> {
  const given = readTopKOptions(fn, options, true);
  const args = checkLogitsAnyWidth(fn, logits, classes, given.dtype);
  const o = checkTopKFields(fn, given, args.rows, args.classes);
  const { k } = o;
  const cols = args.classes;
  const values = o.values ?? new Float32Array(args.rows * k);
  const indices = o.indices ?? new Int32Array(args.rows * k);
  const [finalValues, finalIndices] = yield {
    fn,
    rows: args.rows,
    inputs: [logitsOperand(args)],
    outputs: [
      { name: "values", view: values, perRow: k, own: o.values === null },
      { name: "indices", view: indices, perRow: k, own: o.indices === null },
    ],
    export: "topKRows",
    args: (at, _first, count) => [at.inputs[0], at.outputs[0], at.outputs[1], count, cols, k],
  };
  return {
    values: returned<Float32Array>(o.given.values, values, finalValues as Float32Array),
    indices: returned<Int32Array>(o.given.indices, indices, finalIndices as Int32Array),
  };
});

/**
 * The k largest entries of each row, largest first, with their indices (torch.topk with
 * largest and sorted): a NaN comes before any number, equal values in index order. A heap of k
 * per row, no sort of the row: fast for k ≪ classes.
 */
export const topK: TopKFunction = topKOp.sync;

/** topK, as an async call (engine/op.ts). */
export const topKAsync = topKOp.async;
