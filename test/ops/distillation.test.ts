// distillationLoss against the reference (composed from softmax, kl_div and cross-entropy as a
// PyTorch user writes it) on every build: temperatures, α, labels with weights, smoothing and
// ignored rows, masked teacher entries; in place; bad input.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, PROB_TOL, randomLabels, randomLogits } from "../helpers.js";

describeBuilds("distillation", () => {
  it.each([2, 5, 10, 37, 1000])("rows of %i classes: T, α, labels, weights, smoothing, ignoreIndex", (classes) => {
    const rows = 7;
    const s = randomLogits(rows * classes, classes),
      t = randomLogits(rows * classes, classes + 1, 4);
    t[1] = -Infinity; // a masked teacher entry: p_t = 0 adds 0
    const labels = randomLabels(rows, classes, 2);
    labels[3] = -100;
    const weight = Float32Array.from({ length: classes }, (_, i) => 0.5 + (i % 3));
    for (const options of [
      { temperature: 1 },
      { temperature: 4, alpha: 0.3 },
      { temperature: 2, labels },
      { temperature: 3, labels, alpha: 0.8, weight, labelSmoothing: 0.1, gradOutput: 2 },
    ]) {
      const want = ref.distillationLoss(s, t, classes, options);
      const got = pk.distillationLoss(s, t, classes, options);
      expect(mismatch(got.loss, want.loss, LOG_TOL), JSON.stringify(Object.keys(options))).toBeNull();
      expect(mismatch(got.kl, want.kl, LOG_TOL)).toBeNull();
      expect(mismatch(got.grad, want.grad, PROB_TOL)).toBeNull();
    }
    const x = s.slice();
    const inPlace = pk.distillationLoss(x, t, classes, { temperature: 2, labels, out: x });
    expect(inPlace.grad).toBe(x);
    expect(Array.from(x)).toEqual(Array.from(pk.distillationLoss(s, t, classes, { temperature: 2, labels }).grad));
  });
});

describe("distillation bad input", () => {
  const s = randomLogits(40, 1),
    t = randomLogits(40, 2);
  it.each([
    [
      () => pk.distillationLoss(s, t.subarray(0, 30), 10),
      RangeError,
      /teacherLogits must have the student's length \(40\), got length 30/,
    ],
    [() => pk.distillationLoss(s, t, 10, { alpha: 1.5 }), RangeError, /alpha must be in \[0, 1\], got 1\.5/],
    [
      () => pk.distillationLoss(s, t, 10, { temperature: 0 }),
      RangeError,
      /temperature must be a finite number > 0, got 0/,
    ],
    [
      () => pk.distillationLoss(s, t, 10, { labelSmoothing: 0.1 }),
      TypeError,
      /belong to the hard-label term: give labels too/,
    ],
    [() => pk.distillationLoss(s, t, 10, { labels: [1, 2, 3, 10] }), RangeError, /target\[3\] = 10 is out of range/],
    [() => pk.distillationLoss(s, t, 10, { out: t }), RangeError, /out overlaps teacherLogits/],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
