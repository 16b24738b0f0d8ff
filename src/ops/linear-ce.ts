// The classifier head fused with cross-entropy (assembly/linear-ce.ts): loss and gradients from
// hidden states and the head's weights, the logits computed chunk by chunk and never stored
// whole. Extra memory: one block of rowBlock × chunk logits and per-row statistics, whatever the
// vocabulary.
import type { RowOperand, RowOutput } from "../engine/call.js";
import { keepView, returned } from "../engine/execute.js";
import type { Frame } from "../engine/frame.js";
import { defineOp, type Op } from "../engine/op.js";
import type { Runtime } from "../engine/runtime.js";
import type { LabelArray, LabelList } from "../checks/targets.js";
import {
  checkLinearCrossEntropyArgs,
  type LinearCrossEntropyArgs,
  type LinearCrossEntropyGradOptions,
  type LinearCrossEntropyOptions,
} from "../checks/linear.js";
import { checkNoOverlap } from "../checks/overlap.js";
import { gradientOutput, whole } from "./linear.js";
import { reduceRowLosses } from "./reduce.js";

export type { LinearCrossEntropyGradOptions, LinearCrossEntropyOptions };

/** Classes per chunk and rows per block (the results depend on them: fixed, whatever the call or thread count). */
export const LINEAR_CE_CHUNK = 2048;
export const LINEAR_CE_ROW_BLOCK = 128;

/** The loss and the gradients of the fused head; a skipped gradient (or gradBias without a bias) is null. */
export interface LinearCrossEntropyResult<Loss extends number | Float32Array = number | Float32Array> {
  loss: Loss;
  gradHidden: Float32Array | null;
  gradWeight: Float32Array | null;
  gradBias: Float32Array | null;
}

/** The mean's divisor as cross_entropy takes it (with smoothing and D = 0: NaN, as crossEntropy). */
const divisor = (a: { weightTotal: number; labelSmoothing: number }) =>
  a.weightTotal === 0 && a.labelSmoothing !== 0 ? Number.NaN : a.weightTotal;

/** What a head's gradient kernel scales each row by: gradOutput / D (mean) · 1/T, one number or one per row. */
export function gradientScale(
  a: {
    rows: number;
    gradOutput: number | Float64Array;
    reduction: string;
    weightTotal: number;
    labelSmoothing: number;
    temperature: number;
  },
  frame: Frame,
): { scale: number; scaleRows: Float32Array | null } {
  const invT = 1 / a.temperature;
  if (typeof a.gradOutput === "number") {
    return {
      scale: a.reduction === "mean" ? (a.gradOutput / divisor(a)) * invT : a.gradOutput * invT,
      scaleRows: null,
    };
  }
  const scaleRows = frame.float32.take(a.rows);
  for (let r = 0; r < a.rows; r++) scaleRows[r] = a.gradOutput[r] * invT;
  return { scale: 0, scaleRows };
}

function* head(
  fn: string,
  rt: Runtime,
  a: LinearCrossEntropyArgs,
  frame: Frame,
  wantGrad: boolean,
): Op<LinearCrossEntropyResult> {
  const { rows, inFeatures: F, outFeatures: classes } = a;
  const losses = frame.float64.take(rows);
  const invT = 1 / a.temperature;
  const { scale, scaleRows } = wantGrad ? gradientScale(a, frame) : { scale: 0, scaleRows: null };
  let gradHidden = wantGrad && !a.gradHidden.skip ? (a.gradHidden.view ?? new Float32Array(rows * F)) : null;
  let gradWeight = wantGrad && !a.gradWeight.skip ? (a.gradWeight.view ?? new Float32Array(classes * F)) : null;
  let gradBias = wantGrad && !a.gradBias.skip ? (a.gradBias.view ?? new Float32Array(classes)) : null;
  if (!wantGrad && a.out) checkNoOverlap(fn, [{ name: "out", view: a.out }], a.inputs);
  const lossOut = !wantGrad && a.out ? keepView(rt, a.out) : null;
  if (rows > 0) {
    const inputs: RowOperand[] = [
      whole("hidden", a.input),
      whole("weight", a.weight),
      { name: "labels", view: a.labels, perRow: rows, own: true },
    ];
    const at = { bias: -1, classWeight: -1, scale: -1 };
    if (a.bias) at.bias = inputs.push(whole("bias", a.bias)) - 1;
    if (a.classWeight) at.classWeight = inputs.push(whole("classWeight", a.classWeight)) - 1;
    if (scaleRows) at.scale = inputs.push({ name: "gradOutput", view: scaleRows, perRow: rows, own: true }) - 1;
    const outputs: RowOutput[] = [{ name: "loss", view: losses, perRow: rows, own: true }];
    const slot = { gradHidden: -1, gradWeight: -1, gradBias: -1 };
    if (gradHidden) slot.gradHidden = outputs.push(gradientOutput("gradHidden", a.gradHidden, gradHidden, false)) - 1;
    if (gradWeight)
      slot.gradWeight = outputs.push(gradientOutput("gradWeight", a.gradWeight, gradWeight, a.accumulate)) - 1;
    if (gradBias) slot.gradBias = outputs.push(gradientOutput("gradBias", a.gradBias, gradBias, a.accumulate)) - 1;
    // One block and one chunk at most as large as the call (the same blocks and chunks: the same bits).
    const rowBlock = Math.min(rows, LINEAR_CE_ROW_BLOCK),
      chunk = Math.min(classes, LINEAR_CE_CHUNK);
    const weightSum = a.classWeight ? a.classWeight.reduce((s, w) => s + w, 0) : classes;
    const done = yield {
      fn,
      rows: 1,
      inputs,
      outputs,
      alsoRead: a.inputs,
      scratchBytes: rt.kernels.linearCrossEntropyScratch(rowBlock, chunk),
      export: "linearCrossEntropyRows",
      args: (p) => [
        p.inputs[0],
        p.inputs[1],
        at.bias >= 0 ? p.inputs[at.bias] : 0,
        p.inputs[2],
        at.classWeight >= 0 ? p.inputs[at.classWeight] : 0,
        weightSum,
        rows,
        F,
        classes,
        Math.fround(invT),
        a.softcap,
        a.zLoss,
        a.ignoreIndex,
        a.labelSmoothing,
        p.outputs[0],
        slot.gradHidden >= 0 ? p.outputs[slot.gradHidden] : 0,
        slot.gradWeight >= 0 ? p.outputs[slot.gradWeight] : 0,
        slot.gradBias >= 0 ? p.outputs[slot.gradBias] : 0,
        at.scale >= 0 ? p.inputs[at.scale] : 0,
        scale,
        p.scratch,
        chunk,
        rowBlock,
      ],
      refused: (row) =>
        new RangeError(`${fn}: labels[${row}] changed while the call ran and is out of range for ${classes} classes`),
    };
    if (gradHidden) gradHidden = done[slot.gradHidden] as Float32Array;
    if (gradWeight) gradWeight = done[slot.gradWeight] as Float32Array;
    if (gradBias) gradBias = done[slot.gradBias] as Float32Array;
  } else {
    if (gradWeight && !a.accumulate) gradWeight.fill(0);
    if (gradBias && !a.accumulate) gradBias.fill(0);
  }
  const loss = reduceRowLosses(losses, rows, a.reduction, divisor(a), lossOut);
  const give = (g: Float32Array | null, s: LinearCrossEntropyArgs["gradHidden"]) =>
    g && returned<Float32Array>(s.given, s.view ?? g, g);
  return {
    loss: loss instanceof Float32Array && a.out ? returned<Float32Array>(a.outGiven, a.out, loss) : loss,
    gradHidden: give(gradHidden, a.gradHidden),
    gradWeight: give(gradWeight, a.gradWeight),
    gradBias: give(gradBias, a.gradBias),
  };
}

/** linearCrossEntropy's signature: the result's type follows `reduction`. */
export interface LinearCrossEntropyFunction {
  (
    hidden: Float32Array,
    weight: Float32Array,
    labels: LabelArray | LabelList,
    features: number,
    options: LinearCrossEntropyOptions & { reduction: "none" },
  ): Float32Array;
  (
    hidden: Float32Array,
    weight: Float32Array,
    labels: LabelArray | LabelList,
    features: number,
    options?: LinearCrossEntropyOptions & { reduction?: "mean" | "sum" },
  ): number;
  (
    hidden: Float32Array,
    weight: Float32Array,
    labels: LabelArray | LabelList,
    features: number,
    options?: LinearCrossEntropyOptions,
  ): number | Float32Array;
}

/** linearCrossEntropyWithGrad's signature. */
export interface LinearCrossEntropyWithGradFunction {
  (
    hidden: Float32Array,
    weight: Float32Array,
    labels: LabelArray | LabelList,
    features: number,
    options: LinearCrossEntropyGradOptions & { reduction: "none" },
  ): LinearCrossEntropyResult<Float32Array>;
  (
    hidden: Float32Array,
    weight: Float32Array,
    labels: LabelArray | LabelList,
    features: number,
    options?: LinearCrossEntropyGradOptions & { reduction?: "mean" | "sum" },
  ): LinearCrossEntropyResult<number>;
  (
    hidden: Float32Array,
    weight: Float32Array,
    labels: LabelArray | LabelList,
    features: number,
    options?: LinearCrossEntropyGradOptions,
  ): LinearCrossEntropyResult;
}

const lossOp = defineOp<LinearCrossEntropyFunction>(
  "linearCrossEntropy",
  function* ({ fn, rt, frame }, hidden, weight, labels, features, options) {
    const a = checkLinearCrossEntropyArgs(fn, hidden, weight, labels, features, options, false, frame);
    return (yield* head(fn, rt, a, frame, false)).loss;
  },
);

const withGradOp = defineOp<LinearCrossEntropyWithGradFunction>(
  "linearCrossEntropyWithGrad",
  function* ({ fn, rt, frame }, hidden, weight, labels, features, options) {
    const a = checkLinearCrossEntropyArgs(fn, hidden, weight, labels, features, options, true, frame);
    return yield* head(fn, rt, a, frame, true);
  },
);

/**
 * cross_entropy(hidden · weightᵀ + bias, labels) without the logits: hidden is rows × features,
 * weight classes × features (nn.Linear's layout). Every cross-entropy option that applies, plus
 * `softcap` and `zLoss`. Returns a number, or per-row losses for reduction "none".
 */
export const linearCrossEntropy = lossOp.sync;

/** The fused head's loss and gradients: d hidden, d weight and d bias (each skippable with `false`). */
export const linearCrossEntropyWithGrad = withGradOp.sync;

/** linearCrossEntropy, as an async call. */
export const linearCrossEntropyAsync = lossOp.async;

/** linearCrossEntropyWithGrad, as an async call. */
export const linearCrossEntropyWithGradAsync = withGradOp.async;
