// nllLoss, nllLossBackward, nllLossWithGrad against the reference on every build (weights,
// ignoreIndex, every reduction, per-row gradOutput, D = 0), in place and chunked; the kernel
// refuses a label it reads out of range; bad input.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { requireRuntime } from "../../src/engine/runtime.js";
import { describeBuilds, LOG_TOL, mismatch, PROB_TOL, randomLabels, randomLogits } from "../helpers.js";

describeBuilds("nll_loss", (build) => {
  it.each([1, 4, 10, 37, 1000])("rows of %i classes, weights and ignoreIndex, every reduction", (classes) => {
    const rows = 9;
    const input = pk.logSoftmax(randomLogits(rows * classes, classes), classes);
    const labels = randomLabels(rows, classes, 3);
    labels[2] = -100;
    const weight = Float32Array.from({ length: classes }, (_, i) => 0.5 + (i % 4) / 2);
    for (const reduction of ["mean", "sum", "none"] as const) {
      for (const options of [
        { reduction },
        { reduction, weight },
        { reduction, weight, gradOutput: reduction === "none" ? Array.from({ length: rows }, (_, i) => i - 4) : 3 },
      ]) {
        const want = ref.nllLossWithGrad(input, labels, classes, options);
        const got = pk.nllLossWithGrad(input, labels, classes, options);
        expect(mismatch(got.loss, want.loss, LOG_TOL)).toBeNull();
        expect(mismatch(got.grad, want.grad, PROB_TOL)).toBeNull();
      }
    }
    // In place over the input, and weights summing to 0 over the labels (PyTorch's ±Infinity).
    const x = input.slice();
    const inPlace = pk.nllLossBackward(x, labels, classes, { out: x });
    expect(Array.from(inPlace)).toEqual(Array.from(pk.nllLossBackward(input, labels, classes)));
  });

  it("the kernel refuses a label out of range where it reads it", () => {
    pk.initSync({ build });
    const rt = requireRuntime("test");
    const base = rt.arena.base + 64,
      rows = 4,
      cols = 10;
    const x = base,
      labels = x + rows * cols * 4,
      loss = labels + 64,
      grad = loss + 64;
    rt.arena.i32.set([1, 2, 99, 3], labels >> 2);
    expect(rt.kernels.nllRows(x, labels, rows, cols, 0, -100, loss, grad, 0, 1)).toBe(2);
  });
});

describe("nll_loss bad input", () => {
  const x = randomLogits(40, 1);
  it.each([
    [
      () => pk.nllLoss(x, new Float32Array(40) as unknown as Int32Array, 10),
      TypeError,
      /nllLoss: target must be class indices .* nll_loss takes no soft targets/,
    ],
    [() => pk.nllLoss(x, [1, 2, 3, 10], 10), RangeError, /nllLoss: target\[3\] = 10 is out of range for 10 classes/],
    [
      () => pk.nllLoss(x, [1, 2, 3, 4], 10, { labelSmoothing: 0.1 } as never),
      TypeError,
      /nllLoss: unknown option "labelSmoothing"/,
    ],
    [
      () => pk.nllLoss(new Float64Array(40) as unknown as Float32Array, [1, 2, 3, 4], 10),
      TypeError,
      /nllLoss: input must be a Float32Array/,
    ],
    [() => pk.nllLoss(x, [1, 2, 3, 4], 7), RangeError, /nllLoss: input\.length must be a multiple of classes \(7\)/],
    [
      () => pk.nllLossBackward(x, [1, 2, 3, 4], 10, { weight: [1, 2] }),
      RangeError,
      /weight must have one entry per class \(10\), got length 2/,
    ],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
