// binaryCrossEntropyWithLogits and its gradient against the reference on every build: row
// lengths around the vector width, soft targets, weights per element and per column, posWeight,
// every reduction, logits up to ±3e38 and NaN; in place; bad input.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, PROB_TOL, randomLogits, rng } from "../helpers.js";

describeBuilds("binary cross-entropy with logits", () => {
  it.each([1, 3, 4, 7, 16, 33, 1000])("rows of %i: every option and reduction", (classes) => {
    const rows = 6,
      n = rows * classes;
    const x = randomLogits(n, classes, 4);
    const next = rng(classes);
    const t = Float32Array.from({ length: n }, () => (next() < 0.5 ? Math.round(next()) : next()));
    x[0] = 3e38;
    if (n > 1) x[1] = -3e38;
    if (n > 2) x[2] = 40;
    if (n > 3) x[3] = -1e-30;
    const weightElem = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 3));
    const weightCol = Float32Array.from({ length: classes }, (_, i) => 1 + (i % 2));
    const posWeight = Float32Array.from({ length: classes }, (_, i) => 0.5 + (i % 4));
    for (const reduction of ["mean", "sum", "none"] as const) {
      for (const extra of [{}, { weight: weightElem }, { weight: weightCol, posWeight }]) {
        const options = { reduction, ...extra };
        const want = ref.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, options);
        const got = pk.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, options);
        expect(mismatch(got.loss, want.loss, LOG_TOL), `${reduction} ${Object.keys(extra)}`).toBeNull();
        expect(mismatch(got.grad, want.grad, PROB_TOL)).toBeNull();
      }
    }
    const inPlace = x.slice();
    pk.binaryCrossEntropyWithLogitsBackward(inPlace, t, classes, { out: inPlace });
    expect(Array.from(inPlace)).toEqual(Array.from(pk.binaryCrossEntropyWithLogitsBackward(x, t, classes)));
  });

  it("NaN logits give NaN; ±Infinity give PyTorch's limits", () => {
    const x = Float32Array.from([NaN, Infinity, -Infinity, 0]);
    const t = Float32Array.from([1, 0, 1, 0.5]);
    const got = pk.binaryCrossEntropyWithLogits(x, t, 4, { reduction: "none" });
    const want = ref.binaryCrossEntropyWithLogits(x, t, 4, { reduction: "none" });
    expect(got[0]).toBeNaN();
    expect(mismatch(got, want, LOG_TOL)).toBeNull();
  });

  it("the unweighted loop and the weighted one agree bit for bit (a weight of 1 is exact), special values included", () => {
    // 4099 columns: whole 1024-element blocks, 16-element steps and 4-element tails; blocks with
    // |x| ≥ 1e30 (and, for the pointwise losses, one with NaN) take the group-by-group path.
    const classes = 4099,
      rows = 3,
      n = rows * classes;
    const x = randomLogits(n, 12, 5);
    const next = rng(6);
    const t = Float32Array.from({ length: n }, () => (next() < 0.5 ? Math.round(next()) : next()));
    x[2000] = 2e30;
    x[9000] = -3e38;
    const ones = new Float32Array(classes).fill(1);
    for (const [reduction, nan] of [
      ["sum", false],
      ["none", false],
      ["none", true],
    ] as const) {
      x[5000] = nan ? NaN : 1.5;
      const plain = pk.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, { reduction });
      const weighted = pk.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, { reduction, weight: ones });
      if (reduction === "sum") expect(Number.isFinite(plain.loss)).toBe(true);
      expect(weighted.loss).toEqual(plain.loss);
      expect(Array.from(weighted.grad)).toEqual(Array.from(plain.grad));
      const want = ref.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, { reduction });
      expect(mismatch(plain.loss, want.loss, LOG_TOL)).toBeNull();
      expect(mismatch(plain.grad, want.grad, PROB_TOL)).toBeNull();
    }
  });

  it("huge weights: a loss sum beyond float32's range and a gradient whose f32 factor k·w would overflow stay finite, as in float64", () => {
    const classes = 2000,
      rows = 2,
      n = rows * classes;
    const x = randomLogits(n, 14, 3),
      t = Float32Array.from({ length: n }, (_, i) => i % 2);
    const weight = new Float32Array(classes).fill(1);
    weight[1500] = 3e38;
    weight[1600] = 3e38;
    for (const r of [0, 1]) {
      // Column 1500: k·w = 6e38 overflows f32, k·w·(σ − t) = 6e37 does not.
      x[r * classes + 1500] = 0.405;
      t[r * classes + 1500] = 0.5;
      // Column 1600: a loss of 3e38·5.007, beyond f32; the row's float64 sum holds it.
      x[r * classes + 1600] = -5;
      t[r * classes + 1600] = 1;
    }
    const options = { reduction: "sum" as const, weight, gradOutput: 2 };
    const got = pk.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, options);
    const want = ref.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, options);
    expect(Number.isFinite(got.loss)).toBe(true);
    expect(mismatch(got.loss, want.loss, LOG_TOL)).toBeNull();
    expect(Number.isFinite(got.grad[1500]) && Number.isFinite(got.grad[classes + 1500])).toBe(true);
    expect(mismatch(got.grad, want.grad, PROB_TOL)).toBeNull();
    // In place (the logits kept in scratch for the float64 redo) gives the same bits.
    const y = x.slice();
    const inPlace = pk.binaryCrossEntropyWithLogitsWithGrad(y, t, classes, { ...options, out: y });
    expect(inPlace.loss).toBe(got.loss);
    expect(Array.from(y)).toEqual(Array.from(got.grad));
  });

  it("the gradient keeps its relative accuracy where σ(x) is tiny (L·σ − posWeight·t, not (1 − t) + L·(σ − 1))", () => {
    const x = Float32Array.from([-30, -20, -15, -12, -30, -20, -15, -12]);
    const t = new Float32Array(8);
    const sigma = Array.from(x, (v) => Math.exp(v) / (1 + Math.exp(v)));
    for (const options of [{}, { posWeight: new Float32Array(8).fill(3) }, { reference: true }]) {
      const grad =
        "reference" in options
          ? ref.binaryCrossEntropyWithLogitsBackward(x, t, 8, {
              reduction: "sum",
              posWeight: new Float32Array(8).fill(3),
            })
          : pk.binaryCrossEntropyWithLogitsBackward(x, t, 8, { reduction: "sum", ...options });
      for (let i = 0; i < 8; i++) expect(Math.abs(grad[i] - sigma[i]) / sigma[i]).toBeLessThan(1e-6);
    }
  });
});

describe("binary cross-entropy bad input", () => {
  const x = randomLogits(12, 1),
    t = new Float32Array(12).fill(0.5);
  it.each([
    [
      () => pk.binaryCrossEntropyWithLogits(x, t.subarray(0, 6), 4),
      RangeError,
      /target must have the logits' length \(12\), got length 6/,
    ],
    [
      () => pk.binaryCrossEntropyWithLogits(x, t, 4, { weight: [1, 2] }),
      RangeError,
      /weight must have one entry per element \(12\) or per class \(4\), got length 2/,
    ],
    [
      () => pk.binaryCrossEntropyWithLogits(x, t, 4, { posWeight: new Float32Array(12) }),
      RangeError,
      /posWeight must have one entry per class \(4\), got length 12/,
    ],
    [
      () => pk.binaryCrossEntropyWithLogits(x, t, 4, { posWeight: "1" as never }),
      TypeError,
      /posWeight must be a Float32Array/,
    ],
    [() => pk.binaryCrossEntropyWithLogitsWithGrad(x, t, 4, { out: t }), RangeError, /out overlaps target/],
    [
      () => {
        const b = new Float32Array(16);
        return pk.binaryCrossEntropyWithLogitsWithGrad(x, t, 4, {
          posWeight: b.subarray(0, 4),
          out: b.subarray(3, 15),
        });
      },
      RangeError,
      /out overlaps posWeight/,
    ],
    [
      () => {
        const b = new Float32Array(14);
        return pk.binaryCrossEntropyWithLogitsWithGrad(x, t, 4, { weight: b.subarray(0, 4), out: b.subarray(2, 14) });
      },
      RangeError,
      /out overlaps weight/,
    ],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
