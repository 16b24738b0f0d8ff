// The classifier head split by vocabulary (Megatron's vocab-parallel cross-entropy): each shard
// of the head's classes gives per-row statistics (linearCrossEntropyStats), the statistics of all
// shards merge exactly in any grouping (mergeCrossEntropyStats), the merged ones give the loss
// (crossEntropyFromStats) and each shard's gradients (linearCrossEntropyShardGrad). Shards may
// live in other workers, processes or machines: the statistics are one Float64Array.
import { returned } from "../engine/execute.js";
import { defineOp, type Op } from "../engine/op.js";
import type { LabelArray, LabelList } from "../checks/targets.js";
import { describe, readOptions } from "../checks/describe.js";
import { checkIgnoreIndex, checkLabelSmoothing, checkReduction, checkWeight } from "../checks/scalars.js";
import { checkTarget } from "../checks/targets.js";
import { checkFeatures, checkNonNegative } from "../checks/linear.js";
import {
  checkShardArgs,
  checkStats,
  type CrossEntropyStats,
  type ShardGradOptions,
  type ShardOptions,
  STATS_PER_ROW,
} from "../checks/shards.js";
import type { LinearGradients } from "../checks/linear.js";
import { gradientOutput, whole } from "./linear.js";
import { gradientScale, LINEAR_CE_CHUNK, LINEAR_CE_ROW_BLOCK } from "./linear-ce.js";
import type { RowOperand, RowOutput } from "../engine/call.js";
import { sumRows } from "./reduce.js";

export type { CrossEntropyStats, ShardGradOptions, ShardOptions };

type Labels = LabelArray | LabelList;

type StatsFunction = (
  hidden: Float32Array,
  weight: Float32Array,
  labels: Labels,
  features: number,
  options?: ShardOptions,
) => CrossEntropyStats;

/** The shard's d hidden (its share of the whole), d weight and d bias; a skipped one is null. */
export interface ShardGradients {
  gradHidden: Float32Array | null;
  gradWeight: Float32Array | null;
  gradBias: Float32Array | null;
}

type ShardGradFunction = (
  hidden: Float32Array,
  weight: Float32Array,
  labels: Labels,
  features: number,
  options: ShardGradOptions,
) => ShardGradients;

const blockOf = (rows: number, classes: number) =>
  [Math.min(rows, LINEAR_CE_ROW_BLOCK), Math.min(classes, LINEAR_CE_CHUNK)] as const;

const statsOp = defineOp<StatsFunction>(
  "linearCrossEntropyStats",
  function* ({ fn, rt, frame }, hidden, weight, labels, features, options): Op<CrossEntropyStats> {
    const a = checkShardArgs(fn, hidden, weight, labels, features, options, false, frame);
    const values = new Float64Array(a.rows * STATS_PER_ROW);
    if (a.rows === 0) return { rows: 0, values };
    const [rowBlock, chunk] = blockOf(a.rows, a.outFeatures);
    const inputs: RowOperand[] = [
      whole("hidden", a.input),
      whole("weight", a.weight),
      { name: "labels", view: a.labels, perRow: a.rows, own: true },
    ];
    const bias = a.bias ? inputs.push(whole("bias", a.bias)) - 1 : -1;
    const cw = a.classWeight ? inputs.push(whole("classWeight", a.classWeight)) - 1 : -1;
    const [done] = yield {
      fn,
      rows: 1,
      inputs,
      outputs: [{ name: "stats", view: values, perRow: values.length, own: true }],
      scratchBytes: rt.kernels.linearCrossEntropyScratch(rowBlock, chunk),
      export: "linearCrossEntropyStatsRows",
      args: (p) => [
        p.inputs[0],
        p.inputs[1],
        bias >= 0 ? p.inputs[bias] : 0,
        p.inputs[2],
        cw >= 0 ? p.inputs[cw] : 0,
        a.rows,
        a.inFeatures,
        a.outFeatures,
        a.classOffset,
        Math.fround(1 / a.temperature),
        a.softcap,
        a.labelSmoothing,
        p.outputs[0],
        p.scratch,
        chunk,
        rowBlock,
      ],
    };
    return { rows: a.rows, values: done as Float64Array };
  },
);

const shardGradOp = defineOp<ShardGradFunction>(
  "linearCrossEntropyShardGrad",
  function* ({ fn, rt, frame }, hidden, weight, labels, features, options): Op<ShardGradients> {
    const a = checkShardArgs(fn, hidden, weight, labels, features, options, true, frame);
    const { rows, inFeatures: F, outFeatures: classes } = a;
    const invT = 1 / a.temperature;
    const { scale, scaleRows } = gradientScale(a, frame);
    let gradHidden = a.gradHidden.skip ? null : (a.gradHidden.view ?? new Float32Array(rows * F));
    let gradWeight = a.gradWeight.skip ? null : (a.gradWeight.view ?? new Float32Array(classes * F));
    let gradBias = a.gradBias.skip ? null : (a.gradBias.view ?? new Float32Array(classes));
    if (rows === 0) {
      if (gradWeight && !a.accumulate) gradWeight.fill(0);
      if (gradBias && !a.accumulate) gradBias.fill(0);
    } else {
      const [rowBlock, chunk] = blockOf(rows, classes);
      const inputs: RowOperand[] = [
        whole("hidden", a.input),
        whole("weight", a.weight),
        { name: "labels", view: a.labels, perRow: rows, own: true },
        whole("stats", a.stats!),
      ];
      const bias = a.bias ? inputs.push(whole("bias", a.bias)) - 1 : -1;
      const cw = a.classWeight ? inputs.push(whole("classWeight", a.classWeight)) - 1 : -1;
      const sr = scaleRows ? inputs.push({ name: "gradOutput", view: scaleRows, perRow: rows, own: true }) - 1 : -1;
      const outputs: RowOutput[] = [];
      const gh = gradHidden ? outputs.push(gradientOutput("gradHidden", a.gradHidden, gradHidden, false)) - 1 : -1;
      const gw = gradWeight
        ? outputs.push(gradientOutput("gradWeight", a.gradWeight, gradWeight, a.accumulate)) - 1
        : -1;
      const gb = gradBias ? outputs.push(gradientOutput("gradBias", a.gradBias, gradBias, a.accumulate)) - 1 : -1;
      if (outputs.length > 0) {
        const weightSum = a.classWeight ? a.classWeight.reduce((s, w) => s + w, 0) : a.totalClasses;
        const done = yield {
          fn,
          rows: 1,
          inputs,
          outputs,
          alsoRead: a.inputs,
          scratchBytes: rt.kernels.linearCrossEntropyScratch(rowBlock, chunk),
          export: "linearCrossEntropyShardGradRows",
          args: (p) => [
            p.inputs[0],
            p.inputs[1],
            bias >= 0 ? p.inputs[bias] : 0,
            p.inputs[2],
            cw >= 0 ? p.inputs[cw] : 0,
            weightSum,
            rows,
            F,
            classes,
            a.classOffset,
            a.totalClasses,
            Math.fround(invT),
            a.softcap,
            a.zLoss,
            a.ignoreIndex,
            a.labelSmoothing,
            p.inputs[3],
            gh >= 0 ? p.outputs[gh] : 0,
            gw >= 0 ? p.outputs[gw] : 0,
            gb >= 0 ? p.outputs[gb] : 0,
            sr >= 0 ? p.inputs[sr] : 0,
            scale,
            p.scratch,
            chunk,
            rowBlock,
          ],
          refused: (row) => new RangeError(`${fn}: labels[${row}] changed while the call ran`),
        };
        if (gradHidden) gradHidden = done[gh] as Float32Array;
        if (gradWeight) gradWeight = done[gw] as Float32Array;
        if (gradBias) gradBias = done[gb] as Float32Array;
      }
    }
    const give = (g: Float32Array | null, s: typeof a.gradHidden) =>
      g && returned<Float32Array>(s.given, s.view ?? g, g);
    return {
      gradHidden: give(gradHidden, a.gradHidden),
      gradWeight: give(gradWeight, a.gradWeight),
      gradBias: give(gradBias, a.gradBias),
    };
  },
);

/**
 * Per-row statistics of one shard of a head: `weight` holds the shard's classes (rows
 * [classOffset, classOffset + its length / features) of the whole head's weight), labels and
 * classWeight refer to the whole head. Merge the shards' statistics with mergeCrossEntropyStats.
 */
export const linearCrossEntropyStats: StatsFunction = statsOp.sync;

/**
 * One shard's gradients from the merged statistics of every shard (`options.stats`): d weight and
 * d bias of the shard, and its share of d hidden (add the shards' shares for the whole).
 */
export const linearCrossEntropyShardGrad: ShardGradFunction = shardGradOp.sync;

/** linearCrossEntropyStats, as an async call. */
export const linearCrossEntropyStatsAsync = statsOp.async;

/** linearCrossEntropyShardGrad, as an async call. */
export const linearCrossEntropyShardGradAsync = shardGradOp.async;

/**
 * Statistics of disjoint shards of the same rows merged into those of their union: exact for
 * the max, the target and the sums of w·logit, and Σ exp rescaled to the common max in float64,
 * so any grouping of shards gives the same loss to well within a float32 ulp.
 */
export function mergeCrossEntropyStats(...parts: CrossEntropyStats[]): CrossEntropyStats {
  const fn = "mergeCrossEntropyStats";
  if (parts.length === 0) throw new TypeError(`${fn}: pass at least one CrossEntropyStats`);
  const rows = parts[0]?.rows;
  if (typeof rows !== "number" || !Number.isInteger(rows) || rows < 0) {
    throw new TypeError(`${fn}: stats must be CrossEntropyStats ({ rows, values }), got ${describe(parts[0])}`);
  }
  const views = parts.map((p, i) => checkStats(fn, `stats ${i}`, p, rows));
  const out = new Float64Array(rows * STATS_PER_ROW);
  for (let r = 0; r < rows; r++) {
    const o = r * STATS_PER_ROW;
    let m = Number.NEGATIVE_INFINITY;
    for (const v of views) m = Math.max(m, v[o]);
    // NaN in any shard's max makes the row NaN, as it would in one call.
    if (views.some((v) => Number.isNaN(v[o]))) m = Number.NaN;
    let s = 0,
      target = 0,
      has = 0,
      sw = 0;
    for (const v of views) {
      s += v[o] === m ? v[o + 1] : v[o + 1] * Math.exp(v[o] - m);
      if (v[o + 3] !== 0 && has === 0) {
        target = v[o + 2];
        has = 1;
      }
      sw += v[o + 4];
    }
    out[o] = m;
    out[o + 1] = s;
    out[o + 2] = target;
    out[o + 3] = has;
    out[o + 4] = sw;
  }
  return { rows, values: out };
}

const STATS_LOSS_KEYS = ["totalClasses", "classWeight", "ignoreIndex", "labelSmoothing", "reduction", "zLoss"] as const;

/** What crossEntropyFromStats takes: the options of the whole head's loss. */
export interface StatsLossOptions {
  /** The whole head's classes (label smoothing divides by it). */
  totalClasses: number;
  classWeight?: Float32Array | Float64Array | readonly number[];
  ignoreIndex?: number | bigint;
  labelSmoothing?: number;
  reduction?: "mean" | "sum" | "none";
  zLoss?: number;
}

/**
 * The whole head's cross-entropy from merged statistics (as linearCrossEntropy gives it): a
 * number, or per-row losses (Float32Array) for reduction "none".
 */
export function crossEntropyFromStats(
  stats: CrossEntropyStats,
  labels: Labels,
  options: StatsLossOptions,
): number | Float32Array {
  const fn = "crossEntropyFromStats";
  if (options === undefined) throw new TypeError(`${fn}: options must give totalClasses, got undefined`);
  const o = readOptions(fn, options, STATS_LOSS_KEYS) as Partial<StatsLossOptions>;
  const rows = (stats as { rows?: unknown })?.rows;
  if (typeof rows !== "number" || !Number.isInteger(rows) || rows < 0) {
    throw new TypeError(`${fn}: stats must be CrossEntropyStats ({ rows, values }), got ${describe(stats)}`);
  }
  const v = checkStats(fn, "stats", stats, rows);
  const totalClasses = checkFeatures(fn, "totalClasses", o.totalClasses);
  const classWeight = checkWeight(fn, o.classWeight, totalClasses);
  const ignoreIndex = checkIgnoreIndex(fn, o.ignoreIndex);
  const eps = checkLabelSmoothing(fn, o.labelSmoothing);
  const t = checkTarget(fn, labels, rows, totalClasses, ignoreIndex, o.ignoreIndex !== undefined, classWeight);
  if (t.target.kind !== "hard") throw new TypeError(`${fn}: labels must be class indices`);
  const a = { totalClasses, classWeight, ignoreIndex, labels: t.target.labels, weightTotal: t.target.weightTotal };
  const reduction = checkReduction(fn, o.reduction);
  const zLoss = checkNonNegative(fn, "zLoss", o.zLoss);
  let W = 0;
  for (let c = 0; c < a.totalClasses; c++) W += a.classWeight ? a.classWeight[c] : 1;
  const losses = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const y = a.labels[r];
    if (y === a.ignoreIndex) continue;
    const o = r * STATS_PER_ROW;
    const lse = v[o] + Math.log(v[o + 1]);
    const wy = a.classWeight ? a.classWeight[y] : 1;
    let loss = (1 - eps) * wy * (lse - v[o + 2]);
    if (eps !== 0) loss += (eps / a.totalClasses) * (W * lse - v[o + 4]);
    if (zLoss !== 0) loss += zLoss * lse * lse;
    losses[r] = loss;
  }
  if (reduction === "none") return Float32Array.from(losses);
  const total = sumRows(losses, rows);
  if (reduction === "sum") return total;
  return total / (a.weightTotal === 0 && eps !== 0 ? Number.NaN : a.weightTotal);
}

export type { LinearGradients };
