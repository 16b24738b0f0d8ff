// Plain-TypeScript argmax, accuracy and topK: the oracle for the selection kernels. topK sorts
// the whole row (what the kernel avoids), in the same order: larger first, NaN first of all,
// equal values by index.
import {
  checkTopKOptions,
  type AccuracyOptions,
  type ArgmaxOptions,
  type TopK,
  type TopKOptions,
} from "../checks/select.js";
import { checkNoOverlap } from "../checks/overlap.js";
import { checkIgnoreIndex } from "../checks/scalars.js";
import { checkLogits } from "../checks/arrays.js";
import { checkTarget, type LabelArray, type LabelList } from "../checks/targets.js";
import { describe, readOptions } from "../checks/describe.js";

function order(a: number, ia: number, b: number, ib: number): number {
  const na = Number.isNaN(a),
    nb = Number.isNaN(b);
  if (na || nb) return na && nb ? ia - ib : na ? -1 : 1;
  return a !== b ? b - a : ia - ib;
}

export function argmax(logits: Float32Array, classes: number, options?: ArgmaxOptions): Int32Array {
  const o = readOptions("argmax", options, ["out"]);
  const { rows, classes: C, logits: x } = checkLogits("argmax", logits, classes);
  const out = (o.out as Int32Array | undefined) ?? new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (order(x[r * C + c], c, x[r * C + best], best) < 0) best = c;
    out[r] = best;
  }
  return out;
}

export function accuracy(
  logits: Float32Array,
  labels: LabelArray | LabelList,
  classes: number,
  options?: AccuracyOptions,
): number {
  const o = readOptions("accuracy", options, ["ignoreIndex"]);
  const { rows, classes: C } = checkLogits("accuracy", logits, classes);
  const ignoreIndex = checkIgnoreIndex("accuracy", o.ignoreIndex);
  const { target } = checkTarget("accuracy", labels, rows, C, ignoreIndex, o.ignoreIndex !== undefined, null);
  if (target.kind !== "hard") throw new TypeError(`accuracy: labels must be class indices, got ${describe(labels)}`);
  const y = target.labels.slice(0, rows);
  const predicted = argmax(logits, classes);
  let counted = 0,
    right = 0;
  for (let r = 0; r < rows; r++) {
    if (y[r] === ignoreIndex) continue;
    counted++;
    if (predicted[r] === y[r]) right++;
  }
  return right / counted;
}

export function topK(logits: Float32Array, classes: number, options: TopKOptions): TopK {
  const { rows, classes: C, logits: x } = checkLogits("topK", logits, classes);
  const o = checkTopKOptions("topK", options, rows, C);
  const k = o.k;
  const values = o.values ?? new Float32Array(rows * k),
    indices = o.indices ?? new Int32Array(rows * k);
  checkNoOverlap(
    "topK",
    [
      { name: "values", view: values },
      { name: "indices", view: indices },
    ],
    [{ name: "logits", view: x }],
  );
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: C }, (_, c) => c).sort((a, b) => order(x[r * C + a], a, x[r * C + b], b));
    for (let j = 0; j < k; j++) {
      indices[r * k + j] = idx[j];
      values[r * k + j] = x[r * C + idx[j]];
    }
  }
  return {
    values: (o.given.values as Float32Array | undefined) ?? values,
    indices: (o.given.indices as Int32Array | undefined) ?? indices,
  };
}
