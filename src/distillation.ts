// Knowledge distillation loss (Hinton, Vinyals and Dean, 2015), fused with its gradient:
//   loss = α·T²·KL(softmax(teacher/T) ‖ softmax(student/T))   (batchmean: Σ over rows / rows)
//        + (1 − α)·cross_entropy(student, labels)               (mean, with the usual CE options)
// and d loss / d student logits in the same call. The T² keeps the soft term's gradient on the
// hard term's scale as T changes (its gradient carries 1/T² otherwise).
import { defineOp, type CallContext, type Op } from "./ops.js";
import { returned, type RowOperand } from "./executor.js";
import { typedArrayName } from "./views.js";
import {
  checkAccumulate, checkFloat32, checkIgnoreIndex, checkLabelSmoothing, checkLogits, checkOut, checkTarget, checkTemperature,
  checkWeight, describe, readOptions, weightView, type HardTarget, type LabelArray, type NamedView, type SnapshotBuffers,
} from "./validate.js";

export interface DistillationOptions {
  /** Softening temperature T (finite, > 0) for both softmaxes of the KL term. Default 1. */
  temperature?: number;
  /** Class indices for the hard-label term; without them the loss is the soft term alone. */
  labels?: LabelArray | readonly number[];
  /** Weight α of the soft term, in [0, 1]. Default 0.5 with labels, 1 without. */
  alpha?: number;
  /** Label smoothing ε of the hard term, in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Per-class weights of the hard term (length classes). */
  weight?: Float32Array | Float64Array | readonly number[];
  /** Rows whose label equals this have no hard term. Default -100. */
  ignoreIndex?: number;
  /** Upstream gradient (a number). Default 1. */
  gradOutput?: number;
  /** Buffer for the gradient (rows × classes); may be the student logits themselves. */
  out?: Float32Array;
  /** Add the gradient into `out` (which must be given) instead of overwriting it: two losses, one buffer. */
  accumulate?: boolean;
}

export interface DistillationResult {
  /** The loss: α·T²·KL (batchmean) + (1 − α)·CE (mean). */
  loss: number;
  /** The soft term α·T²·KL alone (batchmean), to report. */
  kl: number;
  /** d loss / d student logits, rows × classes. */
  grad: Float32Array;
}

export interface DistillationArgs {
  rows: number; classes: number; student: Float32Array; teacher: Float32Array; temperature: number;
  labels: HardTarget | null; alpha: number; labelSmoothing: number; weight: Float32Array | null; ignoreIndex: number;
  gradOutput: number; out: Float32Array | null; outGiven: unknown; inputs: NamedView[]; accumulate: boolean;
}

const KEYS = ["temperature", "labels", "alpha", "labelSmoothing", "weight", "ignoreIndex", "gradOutput", "out", "accumulate"] as const;

/** Checks a distillationLoss call (shared with the reference). */
export function checkDistillationArgs(
  fn: string, student: unknown, teacher: unknown, classes: unknown, options: unknown, buffers?: SnapshotBuffers,
): DistillationArgs {
  const o = readOptions(fn, options, KEYS);
  const { rows, classes: c, logits: s } = checkLogits(fn, student, classes, "studentLogits");
  const t = checkFloat32(fn, "teacherLogits", teacher);
  if (t.length !== s.length) throw new RangeError(`${fn}: teacherLogits must have the student's length (${s.length}), got length ${t.length}`);
  const temperature = checkTemperature(fn, o.temperature);
  const weight = checkWeight(fn, o.weight, c);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const labelSmoothing = checkLabelSmoothing(fn, o.labelSmoothing);
  const inputs: NamedView[] = [{ name: "studentLogits", view: s }, { name: "teacherLogits", view: t }];
  let labels: HardTarget | null = null;
  if (o.labels !== undefined) {
    if (typedArrayName(o.labels) === "Float32Array") throw new TypeError(`${fn}: labels must be class indices (an integer typed array or number[]), got ${describe(o.labels)}`);
    const checked = checkTarget(fn, o.labels, rows, c, ignoreIndex, o.ignoreIndex !== undefined, weight, buffers);
    labels = checked.target as HardTarget;
    if (checked.given) inputs.push({ name: "labels", view: checked.given });
  } else if (o.labelSmoothing !== undefined || o.weight !== undefined || o.ignoreIndex !== undefined) {
    throw new TypeError(`${fn}: labelSmoothing, weight and ignoreIndex belong to the hard-label term: give labels too`);
  }
  const alpha = o.alpha ?? (labels ? 0.5 : 1);
  if (typeof alpha !== "number") throw new TypeError(`${fn}: alpha must be a number in [0, 1], got ${describe(alpha)}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`${fn}: alpha must be in [0, 1], got ${describe(alpha)}`);
  const gradOutput = o.gradOutput ?? 1;
  if (typeof gradOutput !== "number") throw new TypeError(`${fn}: gradOutput must be a number, got ${describe(gradOutput)}`);
  if (weight) inputs.push({ name: "weight", view: weightView(fn, o.weight, weight) });
  return {
    rows, classes: c, student: s, teacher: t, temperature, labels, alpha, labelSmoothing, weight, ignoreIndex,
    gradOutput, out: checkOut(fn, o.out, s.length), outGiven: o.out, inputs, accumulate: checkAccumulate(fn, o.accumulate, o.out),
  };
}

type DistillationFunction = (
  studentLogits: Float32Array, teacherLogits: Float32Array, classes: number, options?: DistillationOptions,
) => DistillationResult;

const distillationLossOp = defineOp<DistillationFunction>("distillationLoss", function* ({ fn, frame }, studentLogits, teacherLogits, classes, options) {
  const args = checkDistillationArgs(fn, studentLogits, teacherLogits, classes, options, frame);
  const { rows, classes: cols, temperature: T, alpha, labels, weight } = args;
  const kl = frame.float64.take(2 * rows);
  const klRows = kl.subarray(0, rows), ceRows = kl.subarray(rows, 2 * rows);
  const grad = args.out ?? new Float32Array(rows * cols);
  const D = labels ? labels.weightTotal : 0;
  const gKl = rows === 0 ? 0 : (args.gradOutput * alpha * T) / rows;
  const kCe = labels ? (args.gradOutput * (1 - alpha)) / D : 0;
  const weightSum = weight ? weight.reduce((s, w) => s + w, 0) : cols;
  const inputs: RowOperand[] = [
    { name: "studentLogits", view: args.student, perRow: cols },
    { name: "teacherLogits", view: args.teacher, perRow: cols },
  ];
  if (labels) inputs.push({ name: "labels", view: labels.labels, perRow: 1, own: true });
  const invT = Math.fround(1 / T);
  const [, , finalGrad] = yield {
    fn, rows, inputs, alsoRead: args.inputs,
    outputs: [
      { name: "kl", view: klRows, perRow: 1, own: true },
      { name: "ce", view: ceRows, perRow: 1, own: true },
      { name: "out", view: grad, perRow: cols, inPlaceOf: 0, own: args.out === null, accumulate: args.accumulate },
    ],
    fixed: weight ? [{ name: "weight", view: weight }] : [],
    // Two rows of working space: the teacher's exp terms, and exp(s − max) for the hard term.
    scratchBytes: 2 * cols * 4,
    export: "distillationRows",
    args: (at, _first, count) => [at.inputs[0], at.inputs[1], labels ? at.inputs[2] : 0, count, cols, invT,
      weight ? at.fixed[0] : 0, weightSum, args.ignoreIndex, args.labelSmoothing, at.outputs[0], at.outputs[1], at.outputs[2], gKl, kCe,
      at.scratch],
    refused: (row) => new RangeError(`${fn}: labels[${row}] changed while the call ran and is out of range for ${cols} classes`),
  };
  let klSum = 0, ceSum = 0;
  for (let r = 0; r < rows; r++) { klSum += klRows[r]; ceSum += ceRows[r]; }
  const soft = (alpha * T * T * klSum) / rows;
  const loss = labels ? soft + (1 - alpha) * (ceSum / D) : soft;
  return { loss, kl: soft, grad: returned<Float32Array>(args.outGiven, args.out ?? grad, finalGrad) };
});

/** The knowledge-distillation loss and its gradient with respect to the student logits. */
export const distillationLoss: DistillationFunction = distillationLossOp.sync;

/** distillationLoss, as an async call (ops.ts). */
export const distillationLossAsync = distillationLossOp.async;
