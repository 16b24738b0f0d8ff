// Checks and option types of distillation (shared by ops/distillation.ts and the reference).
import { typedArrayName } from "./views.js";
import { checkAccumulate, checkIgnoreIndex, checkLabelSmoothing, checkTemperature, checkWeight } from "./scalars.js";
import { checkFloat32, checkLogits, checkOut, weightView } from "./arrays.js";
import { checkTarget, type HardTarget, type LabelArray, type LabelList, type SnapshotBuffers } from "./targets.js";
import { describe, readOptions } from "./describe.js";
import type { NamedView } from "./overlap.js";

export interface DistillationOptions {
  /** Softening temperature T (finite, > 0) for both softmaxes of the KL term. Default 1. */
  temperature?: number;
  /** Class indices for the hard-label term; without them the loss is the soft term alone. */
  labels?: LabelArray | LabelList;
  /** Weight α of the soft term, in [0, 1]. Default 0.5 with labels, 1 without. */
  alpha?: number;
  /** Label smoothing ε of the hard term, in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Per-class weights of the hard term (length classes). */
  weight?: Float32Array | Float64Array | readonly number[];
  /** Rows whose label equals this have no hard term. Default -100. */
  ignoreIndex?: number | bigint;
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
  rows: number;
  classes: number;
  student: Float32Array;
  teacher: Float32Array;
  temperature: number;
  labels: HardTarget | null;
  alpha: number;
  labelSmoothing: number;
  weight: Float32Array | null;
  ignoreIndex: number;
  gradOutput: number;
  out: Float32Array | null;
  outGiven: unknown;
  inputs: NamedView[];
  accumulate: boolean;
}

export const KEYS = [
  "temperature",
  "labels",
  "alpha",
  "labelSmoothing",
  "weight",
  "ignoreIndex",
  "gradOutput",
  "out",
  "accumulate",
] as const;

/** Checks a distillationLoss call (shared with the reference). */
export function checkDistillationArgs(
  fn: string,
  student: unknown,
  teacher: unknown,
  classes: unknown,
  options: unknown,
  buffers?: SnapshotBuffers,
): DistillationArgs {
  const o = readOptions(fn, options, KEYS);
  const { rows, classes: c, logits: s } = checkLogits(fn, student, classes, "studentLogits");
  const t = checkFloat32(fn, "teacherLogits", teacher);
  if (t.length !== s.length)
    throw new RangeError(`${fn}: teacherLogits must have the student's length (${s.length}), got length ${t.length}`);
  const temperature = checkTemperature(fn, o.temperature);
  const weight = checkWeight(fn, o.weight, c);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const labelSmoothing = checkLabelSmoothing(fn, o.labelSmoothing);
  const inputs: NamedView[] = [
    { name: "studentLogits", view: s },
    { name: "teacherLogits", view: t },
  ];
  let labels: HardTarget | null = null;
  if (o.labels !== undefined) {
    if (typedArrayName(o.labels) === "Float32Array")
      throw new TypeError(
        `${fn}: labels must be class indices (an integer typed array or number[]), got ${describe(o.labels)}`,
      );
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
  if (typeof gradOutput !== "number")
    throw new TypeError(`${fn}: gradOutput must be a number, got ${describe(gradOutput)}`);
  if (weight) inputs.push({ name: "weight", view: weightView(fn, o.weight, weight) });
  return {
    rows,
    classes: c,
    student: s,
    teacher: t,
    temperature,
    labels,
    alpha,
    labelSmoothing,
    weight,
    ignoreIndex,
    gradOutput,
    out: checkOut(fn, o.out, s.length),
    outGiven: o.out,
    inputs,
    accumulate: checkAccumulate(fn, o.accumulate, o.out),
  };
}

export type DistillationFunction = (
  studentLogits: Float32Array,
  teacherLogits: Float32Array,
  classes: number,
  options?: DistillationOptions,
) => DistillationResult;
