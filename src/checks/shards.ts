// Checks of the vocabulary-sharded head: a shard is the rows [classOffset, classOffset + shard
// classes) of the whole head's weight; labels, class weights and label smoothing refer to the
// whole head (totalClasses).
import { describe, readOptions } from "./describe.js";
import {
  checkBoolean,
  checkFeatures,
  checkGradientSlot,
  checkLinearShape,
  checkNonNegative,
  type GradientSlot,
  type LinearShape,
  SKIPPED,
} from "./linear.js";
import { checkFloat32 } from "./arrays.js";
import type { NamedView } from "./overlap.js";
import {
  type Reduction,
  checkGradOutput,
  checkIgnoreIndex,
  checkLabelSmoothing,
  checkReduction,
  checkTemperature,
  checkWeight,
} from "./scalars.js";
import { type SnapshotBuffers, checkTarget } from "./targets.js";
import { ownView, typedArrayName } from "./views.js";

/** Values per row of CrossEntropyStats: max, Σ exp(logit − max), target logit, target here (1/0), Σ w·logit. */
export const STATS_PER_ROW = 5;

/**
 * Per-row statistics of the cross-entropy of some of a head's classes (linearCrossEntropyStats),
 * or of all of them once merged (mergeCrossEntropyStats). `values` holds five float64 per row:
 * the largest logit, Σ exp(logit − largest), the target's logit, 1 when the target is among
 * these classes (else 0), and Σ classWeight·logit (label smoothing's term). A plain object of
 * one Float64Array: it posts to a worker or another process as it is.
 */
export interface CrossEntropyStats {
  rows: number;
  values: Float64Array;
}

export interface ShardOptions {
  /** The shard's first class in the whole head. Default 0. */
  classOffset?: number;
  /** The whole head's classes. Default classOffset + the shard's classes. */
  totalClasses?: number;
  /** The shard's bias (one per class of the shard). */
  bias?: Float32Array;
  /** Class weights of the whole head (totalClasses). */
  classWeight?: Float32Array | Float64Array | readonly number[];
  /** Rows whose label equals this count nothing. Default -100. */
  ignoreIndex?: number | bigint;
  /** Label smoothing ε in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Divide the (soft-capped) logits by T. Default 1. */
  temperature?: number;
  /** logits → softcap · tanh(logits / softcap). Off by default. */
  softcap?: number;
}

export interface ShardGradOptions extends ShardOptions {
  /** The merged statistics of every shard of the head (mergeCrossEntropyStats). Required. */
  stats: CrossEntropyStats;
  /** The whole head's zLoss (PaLM's auxiliary term). Default 0. */
  zLoss?: number;
  /** "mean" (default), "sum" or "none": how the whole head's loss is reduced. */
  reduction?: Reduction;
  /** Upstream gradient: a number, or one per row with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for this shard's share of d hidden (rows × features), or false to skip it. */
  gradHidden?: Float32Array | false;
  /** Buffer for d weight of the shard (shard classes × features), or false to skip it. */
  gradWeight?: Float32Array | false;
  /** Buffer for d bias of the shard, or false to skip it. */
  gradBias?: Float32Array | false;
  /** Add gradWeight and gradBias into their buffers. */
  accumulate?: boolean;
}

export interface ShardArgs extends LinearShape {
  classOffset: number;
  totalClasses: number;
  labels: Int32Array;
  weightTotal: number;
  bias: Float32Array | null;
  classWeight: Float32Array | null;
  ignoreIndex: number;
  labelSmoothing: number;
  temperature: number;
  softcap: number;
  zLoss: number;
  reduction: Reduction;
  gradOutput: number | Float64Array;
  stats: Float64Array | null;
  gradHidden: GradientSlot;
  gradWeight: GradientSlot;
  gradBias: GradientSlot;
  accumulate: boolean;
  inputs: NamedView[];
}

const STATS_KEYS = [
  "classOffset",
  "totalClasses",
  "bias",
  "classWeight",
  "ignoreIndex",
  "labelSmoothing",
  "temperature",
  "softcap",
] as const;
const GRAD_KEYS = [
  ...STATS_KEYS,
  "stats",
  "zLoss",
  "reduction",
  "gradOutput",
  "gradHidden",
  "gradWeight",
  "gradBias",
  "accumulate",
] as const;

/** classOffset: an integer ≥ 0 (default 0). */
function checkOffset(fn: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number")
    throw new TypeError(`${fn}: classOffset must be an integer ≥ 0, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`${fn}: classOffset must be an integer ≥ 0, got ${describe(value)}`);
  }
  return value;
}

/** Statistics as given: a { rows, values } with a Float64Array of rows × 5; our view of it. */
export function checkStats(fn: string, name: string, stats: unknown, rows: number): Float64Array {
  if (stats === null || typeof stats !== "object") {
    throw new TypeError(`${fn}: ${name} must be a CrossEntropyStats ({ rows, values }), got ${describe(stats)}`);
  }
  const values = (stats as { values?: unknown }).values;
  if (typedArrayName(values) !== "Float64Array") {
    throw new TypeError(`${fn}: ${name}.values must be a Float64Array, got ${describe(values)}`);
  }
  const view = ownView(fn, `${name}.values`, Float64Array, values);
  if (view.length !== rows * STATS_PER_ROW) {
    throw new RangeError(
      `${fn}: ${name} must hold ${STATS_PER_ROW} values for each of ${rows} rows, got length ${view.length}`,
    );
  }
  return view;
}

export function checkShardArgs(
  fn: string,
  hidden: unknown,
  weight: unknown,
  labels: unknown,
  features: unknown,
  options: unknown,
  withGradient: boolean,
  buffers?: SnapshotBuffers,
): ShardArgs {
  const o = readOptions<string>(fn, options, withGradient ? GRAD_KEYS : STATS_KEYS) as Partial<
    Record<(typeof GRAD_KEYS)[number], unknown>
  >;
  const shape = checkLinearShape(fn, hidden, weight, features, "hidden");
  const { rows, outFeatures: classes, inFeatures: F } = shape;
  const classOffset = checkOffset(fn, o.classOffset);
  const totalClasses =
    o.totalClasses === undefined ? classOffset + classes : checkFeatures(fn, "totalClasses", o.totalClasses);
  if (classOffset + classes > totalClasses || totalClasses > 0x7fffffff) {
    throw new RangeError(
      `${fn}: the shard's classes [${classOffset}, ${classOffset + classes}) must lie within totalClasses (${totalClasses})`,
    );
  }
  if (typedArrayName(labels) === "Float32Array") {
    throw new TypeError(`${fn}: labels must be class indices (an integer typed array or number[]), got a Float32Array`);
  }
  const reduction = withGradient ? checkReduction(fn, o.reduction) : "mean";
  const bias = o.bias === undefined ? null : checkFloat32(fn, "bias", o.bias);
  if (bias && bias.length !== classes) {
    throw new RangeError(
      `${fn}: bias must have one value per class of the shard (${classes}), got length ${bias.length}`,
    );
  }
  const classWeight = checkWeight(fn, o.classWeight, totalClasses);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const labelSmoothing = checkLabelSmoothing(fn, o.labelSmoothing);
  const temperature = checkTemperature(fn, o.temperature);
  const softcap = checkNonNegative(fn, "softcap", o.softcap);
  const zLoss = withGradient ? checkNonNegative(fn, "zLoss", o.zLoss) : 0;
  const g = withGradient ? checkGradOutput(fn, o.gradOutput, reduction, rows) : { gradOutput: 1, given: null };
  const statsView = withGradient ? checkStats(fn, "stats", o.stats, rows) : null;
  const t = checkTarget(fn, labels, rows, totalClasses, ignoreIndex, o.ignoreIndex !== undefined, classWeight, buffers);
  if (t.target.kind !== "hard") throw new TypeError(`${fn}: labels must be class indices`);
  const accumulate = withGradient ? checkBoolean(fn, "accumulate", o.accumulate) : false;
  const inputs: NamedView[] = [
    { name: "hidden", view: shape.input },
    { name: "weight", view: shape.weight },
  ];
  if (t.given) inputs.push({ name: "labels", view: t.given });
  if (bias) inputs.push({ name: "bias", view: bias });
  if (statsView) inputs.push({ name: "stats", view: statsView });
  if (g.given) inputs.push({ name: "gradOutput", view: g.given });
  const skipped = SKIPPED;
  return {
    ...shape,
    classOffset,
    totalClasses,
    labels: (t.target as { labels: Int32Array }).labels,
    weightTotal: (t.target as { weightTotal: number }).weightTotal,
    bias,
    classWeight,
    ignoreIndex,
    labelSmoothing,
    temperature,
    softcap,
    zLoss,
    reduction,
    gradOutput: g.gradOutput,
    stats: statsView,
    gradHidden: withGradient ? checkGradientSlot(fn, "gradHidden", o.gradHidden, rows * F, false) : skipped,
    gradWeight: withGradient ? checkGradientSlot(fn, "gradWeight", o.gradWeight, classes * F, accumulate) : skipped,
    gradBias:
      withGradient && bias !== null ? checkGradientSlot(fn, "gradBias", o.gradBias, classes, accumulate) : skipped,
    accumulate,
    inputs,
  };
}
