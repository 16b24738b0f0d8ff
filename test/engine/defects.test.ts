// Regression tests for the defects found at 3d870e9 by the code review (§4.1) and the
// adversarial audit: each failed there and passes now.
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { LOG_TOL, mismatch, randomLabels, randomLogits } from "../helpers.js";

const THREADS_AVAILABLE = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === "function";

describe("distillationLoss with labels of another realm", () => {
  it("refuses a Float32Array from node:vm as labels with its own message (was a deep TypeError)", async () => {
    await pk.init();
    const x = randomLogits(4 * 3, 1);
    const foreign = runInNewContext("new Float32Array(12)") as unknown as Int32Array;
    expect(() => pk.distillationLoss(x, x, 3, { labels: foreign })).toThrow(
      /distillationLoss: labels must be class indices \(an integer typed array or number\[\]\), got a Float32Array of length 12/,
    );
    const labels = runInNewContext("Int32Array.from([0, 1, 2, 0])") as Int32Array;
    const loss = pk.distillationLoss(x, x, 3, { labels }).loss;
    expect(loss).toBe(pk.distillationLoss(x, x, 3, { labels: Int32Array.from([0, 1, 2, 0]) }).loss);
  });
});

describe.runIf(THREADS_AVAILABLE)("split calls stage arrays of ours by the call's rows", () => {
  it("a split call after a larger call (pooled label buffer longer than the rows) runs and is right", async () => {
    await pk.init({ threads: 2, arenaBytes: 1024 });
    try {
      pk.crossEntropy(new Float32Array(60000 * 2), new Int32Array(60000), 2); // a long label snapshot first
      const rows = 300, classes = 1000;
      const data = randomLogits(rows * classes, 7);
      const labels = randomLabels(rows, classes, 8);
      const x = pk.allocFloat32(rows * classes), g = pk.allocFloat32(rows * classes);
      x.array.set(data);
      const { loss } = pk.crossEntropyWithGrad(x.array, labels, classes, { out: g.array });
      expect(mismatch(Float64Array.of(loss), Float64Array.of(ref.crossEntropy(data, labels, classes) as number), LOG_TOL)).toBeNull();
      x.free();
      g.free();
    } finally {
      await pk.dispose();
    }
  });
});

describe("gaussianNllLoss: negative variances and accumulate", () => {
  const rows = 5, cols = 7, n = rows * cols;
  const input = randomLogits(n, 21), target = randomLogits(n, 22);
  const variance = Float32Array.from(randomLogits(n, 23), (v) => Math.abs(v) + 0.1);

  it("refuses a negative variance as PyTorch does (ValueError there), on both entries and the reference", async () => {
    await pk.init();
    const bad = variance.slice();
    bad[9] = -1;
    for (const f of [pk.gaussianNllLoss, pk.gaussianNllLossWithGrad, ref.gaussianNllLoss, ref.gaussianNllLossWithGrad] as const) {
      expect(() => f(input, target, bad, cols)).toThrow(new RangeError(`${f.name}: variance must be non-negative, got variance[9] = -1`));
    }
    const nan = variance.slice();
    nan[3] = NaN; // not negative: PyTorch's var < 0 test lets NaN through, and so do we
    expect(Number.isNaN(pk.gaussianNllLoss(input, target, nan, cols))).toBe(true);
  });

  it("gaussianNllLossWithGrad takes accumulate: adds into out and gradVarOut, as the reference does", async () => {
    await pk.init();
    for (const perRow of [false, true]) {
      const v = perRow ? variance.subarray(0, rows) : variance;
      const held = randomLogits(n, 24), heldVar = randomLogits(v.length, 25);
      const out = held.slice(), gradVarOut = heldVar.slice();
      const r = pk.gaussianNllLossWithGrad(input, target, v, cols, { out, gradVarOut, accumulate: true });
      const outRef = held.slice(), gradVarRef = heldVar.slice();
      ref.gaussianNllLossWithGrad(input, target, v, cols, { out: outRef, gradVarOut: gradVarRef, accumulate: true });
      expect(r.gradInput).toBe(out);
      expect(mismatch(out, outRef, { abs: 1e-6, rel: 1e-5 })).toBeNull();
      expect(mismatch(gradVarOut, gradVarRef, { abs: 1e-6, rel: 1e-5 })).toBeNull();
      // Only what was given accumulates: without gradVarOut the variance gradient is fresh.
      const fresh = pk.gaussianNllLossWithGrad(input, target, v, cols);
      const onlyOut = held.slice();
      const r2 = pk.gaussianNllLossWithGrad(input, target, v, cols, { out: onlyOut, accumulate: true });
      expect(Array.from(r2.gradVar)).toEqual(Array.from(fresh.gradVar));
    }
    expect(() => pk.gaussianNllLossWithGrad(input, target, variance, cols, { accumulate: true })).toThrow(
      /gaussianNllLossWithGrad: accumulate adds the gradients into out and gradVarOut: pass at least one of them/,
    );
  });
});
