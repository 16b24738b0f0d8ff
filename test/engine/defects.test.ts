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
      const rows = 300,
        classes = 1000;
      const data = randomLogits(rows * classes, 7);
      const labels = randomLabels(rows, classes, 8);
      const x = pk.allocFloat32(rows * classes),
        g = pk.allocFloat32(rows * classes);
      x.array.set(data);
      const { loss } = pk.crossEntropyWithGrad(x.array, labels, classes, { out: g.array });
      expect(
        mismatch(Float64Array.of(loss), Float64Array.of(ref.crossEntropy(data, labels, classes) as number), LOG_TOL),
      ).toBeNull();
      x.free();
      g.free();
    } finally {
      await pk.dispose();
    }
  });
});

describe("gaussianNllLoss: negative variances and accumulate", () => {
  const rows = 5,
    cols = 7,
    n = rows * cols;
  const input = randomLogits(n, 21),
    target = randomLogits(n, 22);
  const variance = Float32Array.from(randomLogits(n, 23), (v) => Math.abs(v) + 0.1);

  it("refuses a negative variance as PyTorch does (ValueError there), on both entries and the reference", async () => {
    await pk.init();
    const bad = variance.slice();
    bad[9] = -1;
    for (const f of [
      pk.gaussianNllLoss,
      pk.gaussianNllLossWithGrad,
      ref.gaussianNllLoss,
      ref.gaussianNllLossWithGrad,
    ] as const) {
      expect(() => f(input, target, bad, cols)).toThrow(
        new RangeError(`${f.name}: variance must be non-negative, got variance[9] = -1`),
      );
    }
    const nan = variance.slice();
    nan[3] = NaN; // not negative: PyTorch's var < 0 test lets NaN through, and so do we
    expect(Number.isNaN(pk.gaussianNllLoss(input, target, nan, cols))).toBe(true);
  });

  it("gaussianNllLossWithGrad takes accumulate: adds into out and gradVarOut, as the reference does", async () => {
    await pk.init();
    for (const perRow of [false, true]) {
      const v = perRow ? variance.subarray(0, rows) : variance;
      const held = randomLogits(n, 24),
        heldVar = randomLogits(v.length, 25);
      const out = held.slice(),
        gradVarOut = heldVar.slice();
      const r = pk.gaussianNllLossWithGrad(input, target, v, cols, { out, gradVarOut, accumulate: true });
      const outRef = held.slice(),
        gradVarRef = heldVar.slice();
      ref.gaussianNllLossWithGrad(input, target, v, cols, { out: outRef, gradVarOut: gradVarRef, accumulate: true });
      expect(r.grad).toBe(out);
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

describe("re-entrancy: a call made while another reads its arguments is refused", () => {
  const x = randomLogits(4 * 3, 31);
  const labels = Int32Array.from([0, 1, 2, 0]);

  it("crossEntropyWithGrad: a gradOutput Proxy that calls accuracy cannot change the labels (was a silently wrong loss)", async () => {
    await pk.init();
    const errors: unknown[] = [];
    const gradOutput = new Proxy([1, 1, 1, 1], {
      get(target, key, receiver) {
        if (key === "0") {
          try {
            pk.accuracy(x, Int32Array.from([2, 2, 2, 2]), 3);
          } catch (error) {
            errors.push(error);
          }
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const { loss } = pk.crossEntropyWithGrad(x, labels, 3, { reduction: "none", gradOutput });
    expect(Array.from(loss)).toEqual(Array.from(pk.crossEntropy(x, labels, 3, { reduction: "none" })));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
    expect((errors[0] as Error).message).toBe(
      "accuracy: called while crossEntropyWithGrad was reading its arguments (from a getter, a Proxy or a callback); " +
        "probkernels calls cannot nest: make the call before or after",
    );
  });

  it("crossEntropyBackward: a gradOutput element getter that calls crossEntropy gets the gradient of its own labels", async () => {
    await pk.init();
    const gradOutput = [1, 1, 1, 1];
    let inner: unknown = null;
    Object.defineProperty(gradOutput, 0, {
      get() {
        try {
          pk.crossEntropy(x, Int32Array.from([2, 2, 2, 2]), 3);
        } catch (error) {
          inner = error;
        }
        return 1;
      },
    });
    const grad = pk.crossEntropyBackward(x, labels, 3, { reduction: "none", gradOutput });
    expect(Array.from(grad)).toEqual(
      Array.from(pk.crossEntropyBackward(x, labels, 3, { reduction: "none", gradOutput: [1, 1, 1, 1] })),
    );
    expect((inner as Error).message).toMatch(
      /^crossEntropy: called while crossEntropyBackward was reading its arguments/,
    );
  });

  it("an async call started from another async call's options getter is refused; the outer call resolves to its own loss", async () => {
    await pk.init();
    let inner: Promise<unknown> | null = null;
    const outer = pk.crossEntropyAsync(x, labels, 3, {
      get labelSmoothing() {
        inner = pk.crossEntropyAsync(x, Int32Array.from([2, 2, 2, 2]), 3);
        return 0;
      },
    });
    expect(await outer).toBe(pk.crossEntropy(x, labels, 3));
    await expect(inner).rejects.toThrow(/^crossEntropyAsync: called while crossEntropyAsync was reading its arguments/);
    expect(pk.crossEntropy(x, labels, 3)).toBe(await pk.crossEntropyAsync(x, labels, 3)); // still usable
  });
});

describe.runIf(THREADS_AVAILABLE)("the reference shares nothing with an async call in flight", () => {
  it("ref.nllLoss and ref.accuracy called from timers while async calls run on the workers leave their results unchanged", async () => {
    await pk.init({ threads: 2 });
    try {
      const rows = 65536,
        classes = 100;
      const x = randomLogits(rows * classes, 41),
        labels = randomLabels(rows, classes, 42);
      const expected = pk.crossEntropyWithGrad(x, labels, classes);
      const expectedAccuracy = pk.accuracy(x, labels, classes);
      const z = randomLogits(rows * classes, 43),
        other = randomLabels(rows, classes, 44);
      let stop = false,
        calls = 0;
      const meddle = () => {
        if (stop) return;
        ref.nllLoss(z, other, classes);
        ref.accuracy(z, other, classes);
        calls++;
        setTimeout(meddle, 0);
      };
      setTimeout(meddle, 0);
      const [got, gotAccuracy] = [
        await pk.crossEntropyWithGradAsync(x, labels, classes),
        await pk.accuracyAsync(x, labels, classes),
      ];
      stop = true;
      expect(calls).toBeGreaterThan(0);
      expect(got.loss).toBe(expected.loss);
      expect(Buffer.from(got.grad.buffer).equals(Buffer.from(expected.grad.buffer))).toBe(true);
      expect(gotAccuracy).toBe(expectedAccuracy);
    } finally {
      await pk.dispose();
    }
  });
});
