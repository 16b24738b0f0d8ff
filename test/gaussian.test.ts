// gaussianNllLoss and its gradients against the reference on every build: per-element and
// per-row variances, variances below eps (clamped, the gradient passed through as PyTorch's
// no_grad clamp does), full, every reduction; bad input.
import { describe, expect, it } from "vitest";
import * as pk from "../src/index.js";
import * as ref from "../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, randomLogits } from "./helpers.js";

describeBuilds("gaussian nll", () => {
  it.each([1, 5, 64])("rows of %i: per-element and per-row variances, every reduction", (classes) => {
    const rows = 6, n = rows * classes;
    const x = randomLogits(n, classes), t = randomLogits(n, classes + 1);
    const vElem = Float32Array.from(randomLogits(n, classes + 2), (v) => v * v);
    vElem[0] = 1e-9; vElem[1] = 0;
    const vRow = Float32Array.from({ length: rows }, (_, i) => 0.1 + i);
    for (const v of [vElem, vRow]) {
      for (const reduction of ["mean", "sum", "none"] as const) {
        for (const full of [false, true]) {
          const options = { reduction, full };
          const want = ref.gaussianNllLossWithGrad(x, t, v, classes, options);
          const got = pk.gaussianNllLossWithGrad(x, t, v, classes, options);
          expect(mismatch(got.loss, want.loss, LOG_TOL)).toBeNull();
          expect(mismatch(got.gradInput, want.gradInput, LOG_TOL)).toBeNull();
          expect(mismatch(got.gradVar, want.gradVar, LOG_TOL)).toBeNull();
          expect(mismatch(pk.gaussianNllLoss(x, t, v, classes, options), want.loss, LOG_TOL)).toBeNull();
        }
      }
    }
  });
});

describe("gaussian nll bad input", () => {
  const x = randomLogits(12, 1), t = randomLogits(12, 2), v = new Float32Array(12).fill(1);
  it.each([
    [() => pk.gaussianNllLoss(x, t, v.subarray(0, 5), 4), RangeError, /variance must have one value per element \(12\) or per row \(3\), got length 5/],
    [() => pk.gaussianNllLoss(x, t.subarray(0, 4), v, 4), RangeError, /target must have the input's length \(12\)/],
    [() => pk.gaussianNllLoss(x, t, v, 4, { eps: 0 }), RangeError, /eps must be a finite number > 0, got 0/],
    [() => pk.gaussianNllLoss(x, t, v, 4, { full: "yes" as never }), TypeError, /full must be a boolean/],
    [() => pk.gaussianNllLoss(x, t, v, 4, { out: new Float32Array(12) }), RangeError, /needs reduction "none"/],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
