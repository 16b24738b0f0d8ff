// Vocabulary shards (test/fixtures/torch-reference-3.json): the crossEntropyShards cases (logits
// split at shardBounds; expected whole-row loss, log-sum-exp and gradient) run through a head
// whose weight is the identity (each shard's logits exactly), and every linearCrossEntropy case
// split into two and three shards. Statistics merged in any grouping give the one-call loss.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { describeBuilds, mismatch, num, type Tolerance } from "../helpers.js";

type Value = number | string;
interface ShardCase {
  name: string;
  op: string;
  rows: number;
  cols: number;
  logits: Value[];
  labels: number[];
  shardBounds: number[];
  expectedLoss: Value[];
  expectedLogSumExp: Value[];
  expectedGrad: Value[];
}
interface HeadCase {
  name: string;
  op: string;
  rows: number;
  features: number;
  classes: number;
  hidden: Value[];
  weight: Value[];
  bias?: Value[];
  labels: number[];
  classWeight?: Value[];
  ignoreIndex?: number;
  labelSmoothing: number;
  reduction: "mean" | "sum" | "none";
  temperature: number;
  softcap?: number;
  zLoss?: number;
  expectedLoss: Value | Value[];
  expectedGradHidden: Value[];
  expectedGradWeight: Value[];
  expectedGradBias?: Value[];
}

const data = JSON.parse(readFileSync(new URL("../fixtures/torch-reference-3.json", import.meta.url), "utf8")) as {
  cases: (ShardCase | HeadCase)[];
  tolerance: { loss: Tolerance; grad: Tolerance };
};
const TOL = data.tolerance;
const shardCases = data.cases.filter((c) => c.op === "crossEntropyShards") as ShardCase[];
const headCases = data.cases.filter((c) => c.op === "linearCrossEntropy") as HeadCase[];
const f32 = (values: Value[]) => Float32Array.from(values, num);

/** The identity weight of `n` classes: hidden · Iᵀ is hidden, bit for bit. */
const identity = (n: number) => {
  const w = new Float32Array(n * n);
  for (let i = 0; i < n; i++) w[i * n + i] = 1;
  return w;
};

/** Columns [from, to) of a row-major rows × cols matrix. */
function columns(x: Float32Array, rows: number, cols: number, from: number, to: number): Float32Array {
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * cols + from, r * cols + to), r * (to - from));
  return out;
}

describeBuilds("PyTorch reference: vocabulary shards", () => {
  it.each(shardCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const logits = f32(c.logits);
    const bounds = c.shardBounds;
    const parts: pk.CrossEntropyStats[] = [];
    const hiddenOf: Float32Array[] = [];
    for (let s = 0; s + 1 < bounds.length; s++) {
      const n = bounds[s + 1] - bounds[s];
      const hidden = columns(logits, c.rows, c.cols, bounds[s], bounds[s + 1]);
      hiddenOf.push(hidden);
      parts.push(
        pk.linearCrossEntropyStats(hidden, identity(n), c.labels, n, { classOffset: bounds[s], totalClasses: c.cols }),
      );
    }
    const merged = pk.mergeCrossEntropyStats(...parts);
    const lse = Array.from({ length: c.rows }, (_, r) => merged.values[r * 5] + Math.log(merged.values[r * 5 + 1]));
    expect(mismatch(lse, c.expectedLogSumExp.map(num), TOL.loss)).toBeNull();
    const loss = pk.crossEntropyFromStats(merged, c.labels, { totalClasses: c.cols, reduction: "none" });
    expect(mismatch(loss, c.expectedLoss.map(num), TOL.loss)).toBeNull();
    // Each shard's gradient with respect to its logits is its gradHidden through the identity head.
    const grad = new Float32Array(c.rows * c.cols);
    for (let s = 0; s + 1 < bounds.length; s++) {
      const n = bounds[s + 1] - bounds[s];
      const { gradHidden } = pk.linearCrossEntropyShardGrad(hiddenOf[s], identity(n), c.labels, n, {
        stats: merged,
        classOffset: bounds[s],
        totalClasses: c.cols,
        reduction: "none",
        gradWeight: false,
      });
      for (let r = 0; r < c.rows; r++) grad.set(gradHidden!.subarray(r * n, (r + 1) * n), r * c.cols + bounds[s]);
    }
    expect(mismatch(grad, c.expectedGrad.map(num), TOL.grad)).toBeNull();
    // Any grouping of the shards merges to the same loss (within a float32 ulp of the one-call head).
    if (parts.length >= 3) {
      const leftFirst = pk.mergeCrossEntropyStats(pk.mergeCrossEntropyStats(parts[0], parts[1]), ...parts.slice(2));
      const rightFirst = pk.mergeCrossEntropyStats(parts[0], pk.mergeCrossEntropyStats(...parts.slice(1)));
      for (const m of [leftFirst, rightFirst]) {
        const l = pk.crossEntropyFromStats(m, c.labels, { totalClasses: c.cols, reduction: "none" }) as Float32Array;
        expect(Array.from(l)).toEqual(Array.from(loss as Float32Array));
      }
    }
  });

  it.each(headCases.map((c) => [c.name, c] as const))("%s, split into shards", (_name, c) => {
    const h = f32(c.hidden),
      w = f32(c.weight),
      bias = c.bias ? f32(c.bias) : undefined;
    const classWeight = c.classWeight ? f32(c.classWeight) : undefined;
    const common = {
      totalClasses: c.classes,
      classWeight,
      ignoreIndex: c.ignoreIndex,
      labelSmoothing: c.labelSmoothing,
      temperature: c.temperature,
      softcap: c.softcap,
    };
    const { totalClasses: _, ...headOptions } = common;
    const whole = pk.linearCrossEntropyWithGrad(h, w, c.labels, c.features, {
      ...headOptions,
      bias,
      reduction: c.reduction,
      zLoss: c.zLoss,
    });
    for (const cuts of [[Math.ceil(c.classes / 2)], [1, Math.ceil((2 * c.classes) / 3)]]) {
      const bounds = [0, ...cuts.filter((x) => x > 0 && x < c.classes), c.classes];
      const shard = (s: number) => ({
        w: w.subarray(bounds[s] * c.features, bounds[s + 1] * c.features),
        bias: bias?.subarray(bounds[s], bounds[s + 1]),
        classOffset: bounds[s],
      });
      const parts = bounds.slice(1).map((_, s) =>
        pk.linearCrossEntropyStats(h, shard(s).w, c.labels, c.features, {
          ...common,
          bias: shard(s).bias,
          classOffset: shard(s).classOffset,
        }),
      );
      const merged = pk.mergeCrossEntropyStats(...parts);
      const loss = pk.crossEntropyFromStats(merged, c.labels, {
        totalClasses: c.classes,
        classWeight,
        ignoreIndex: c.ignoreIndex,
        labelSmoothing: c.labelSmoothing,
        reduction: c.reduction,
        zLoss: c.zLoss,
      });
      const expected = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss);
      expect(mismatch(loss, expected, TOL.loss), `loss, shards at ${bounds}`).toBeNull();
      expect(mismatch(loss, whole.loss, { abs: 1e-6, rel: 1e-6 }), "against the one-call head").toBeNull();
      const gradHidden = new Float32Array(h.length);
      const gradWeight = new Float32Array(w.length);
      for (let s = 0; s + 1 < bounds.length; s++) {
        const g = pk.linearCrossEntropyShardGrad(h, shard(s).w, c.labels, c.features, {
          stats: merged,
          ...common,
          bias: shard(s).bias,
          classOffset: shard(s).classOffset,
          reduction: c.reduction,
          zLoss: c.zLoss,
        });
        for (let i = 0; i < gradHidden.length; i++) gradHidden[i] += g.gradHidden![i];
        gradWeight.set(g.gradWeight!, bounds[s] * c.features);
      }
      expect(mismatch(gradHidden, c.expectedGradHidden.map(num), TOL.grad), "gradHidden").toBeNull();
      expect(mismatch(gradWeight, c.expectedGradWeight.map(num), TOL.grad), "gradWeight").toBeNull();
    }
  });
});
