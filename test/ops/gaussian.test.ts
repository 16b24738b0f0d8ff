// gaussianNllLoss and its gradients against the reference on every build: per-element and
// per-row variances, variances below eps (clamped, the gradient passed through as PyTorch's
// no_grad clamp does), full, every reduction; bad input.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, randomLogits } from "../helpers.js";

describeBuilds("gaussian nll", () => {
  it.each([1, 5, 64])("rows of %i: per-element and per-row variances, every reduction", (classes) => {
    const rows = 6,
      n = rows * classes;
    const x = randomLogits(n, classes),
      t = randomLogits(n, classes + 1);
    const vElem = Float32Array.from(randomLogits(n, classes + 2), (v) => v * v);
    vElem[0] = 1e-9;
    vElem[1] = 0;
    const vRow = Float32Array.from({ length: rows }, (_, i) => 0.1 + i);
    for (const v of [vElem, vRow]) {
      for (const reduction of ["mean", "sum", "none"] as const) {
        for (const full of [false, true]) {
          const options = { reduction, full };
          const want = ref.gaussianNllLossWithGrad(x, t, v, classes, options);
          const got = pk.gaussianNllLossWithGrad(x, t, v, classes, options);
          expect(mismatch(got.loss, want.loss, LOG_TOL)).toBeNull();
          expect(mismatch(got.grad, want.grad, LOG_TOL)).toBeNull();
          expect(mismatch(got.gradVar, want.gradVar, LOG_TOL)).toBeNull();
          expect(mismatch(pk.gaussianNllLoss(x, t, v, classes, options), want.loss, LOG_TOL)).toBeNull();
        }
      }
    }
  });

  it("gradient buffers: out (d/d input) and gradVarOut are filled and returned, in JS and wasm memory, as the reference does", () => {
    const rows = 5,
      classes = 33,
      n = rows * classes;
    const x = randomLogits(n, 41),
      t = randomLogits(n, 42);
    for (const v of [
      Float32Array.from(randomLogits(n, 43), (u) => 0.1 + u * u),
      Float32Array.from({ length: rows }, (_, i) => 0.5 + i),
    ]) {
      for (const reduction of ["mean", "none"] as const) {
        const fresh = pk.gaussianNllLossWithGrad(x, t, v, classes, { reduction });
        const gi = new Float32Array(n).fill(7),
          gv = new Float32Array(v.length).fill(7);
        const given = pk.gaussianNllLossWithGrad(x, t, v, classes, { reduction, out: gi, gradVarOut: gv });
        expect(given.grad).toBe(gi);
        expect(given.gradVar).toBe(gv);
        expect(Array.from(gi)).toEqual(Array.from(fresh.grad));
        expect(Array.from(gv)).toEqual(Array.from(fresh.gradVar));
        expect(given.loss).toEqual(fresh.loss);
        const wi = pk.allocFloat32(n),
          wv = pk.allocFloat32(v.length);
        const resident = pk.gaussianNllLossWithGrad(x, t, v, classes, {
          reduction,
          out: wi.array,
          gradVarOut: wv.array,
        });
        expect(Array.from(resident.grad)).toEqual(Array.from(fresh.grad));
        expect(Array.from(resident.gradVar)).toEqual(Array.from(fresh.gradVar));
        wi.free();
        wv.free();
        const ri = new Float32Array(n),
          rv = new Float32Array(v.length);
        const want = ref.gaussianNllLossWithGrad(x, t, v, classes, { reduction, out: ri, gradVarOut: rv });
        expect(want.grad).toBe(ri);
        expect(want.gradVar).toBe(rv);
        expect(mismatch(gi, ri, LOG_TOL)).toBeNull();
        expect(mismatch(gv, rv, LOG_TOL)).toBeNull();
      }
    }
  });

  it("long rows: a block with a value the f32 lanes do not cover is redone in float64; in place and resident give the same bits", () => {
    const classes = 4099,
      rows = 4,
      n = rows * classes;
    const x = randomLogits(n, 31),
      t = randomLogits(n, 32);
    const vElem = Float32Array.from(randomLogits(n, 33), (v) => 0.05 + v * v);
    // One special per 1024-element block: NaN and infinite variances, a variance under eps, a
    // difference whose square overflows f32, NaN and infinite inputs.
    const specials: [number, number, number][] = [
      [5, NaN, 1],
      [1500, Infinity, 1],
      [3000, 1e-12, 1],
      [5000, 2, 3e38],
      [7000, 1, NaN],
      [9000, 1, -Infinity],
    ];
    for (const [i, v, d] of specials) {
      vElem[i] = v;
      x[i] = t[i] + d;
    }
    const vRow = Float32Array.from({ length: rows }, (_, i) => 0.3 + i);
    vRow[2] = NaN;
    for (const v of [vElem, vRow]) {
      for (const options of [{ reduction: "sum" as const }, { reduction: "none" as const, full: true, eps: 1e-3 }]) {
        const want = ref.gaussianNllLossWithGrad(x, t, v, classes, options);
        const got = pk.gaussianNllLossWithGrad(x, t, v, classes, options);
        expect(mismatch(got.loss, want.loss, LOG_TOL)).toBeNull();
        expect(mismatch(got.grad, want.grad, LOG_TOL)).toBeNull();
        expect(mismatch(got.gradVar, want.gradVar, LOG_TOL)).toBeNull();
      }
      const none = pk.gaussianNllLoss(x, t, v, classes, { reduction: "none" });
      const y = x.slice();
      expect(pk.gaussianNllLoss(y, t, v, classes, { reduction: "none", out: y })).toBe(y);
      expect(Array.from(y)).toEqual(Array.from(none));
      const w = pk.allocFloat32(n);
      w.array.set(x);
      expect(Array.from(pk.gaussianNllLoss(w.array, t, v, classes, { reduction: "none", out: w.array }))).toEqual(
        Array.from(none),
      );
      w.free();
    }
    // A variance gradient whose f32 product overflows (1/v·(1 − d²/v) ≈ −9e38) but whose value,
    // scaled by 1/n for the mean, is a finite float: the float64 redo gives it.
    const x2 = x.slice(),
      v2 = vElem.slice();
    x2[11000] = t[11000] + 3e13;
    v2[11000] = 1e-6;
    const mean = pk.gaussianNllLossWithGrad(x2, t, v2, classes, { reduction: "mean" });
    const wantMean = ref.gaussianNllLossWithGrad(x2, t, v2, classes, { reduction: "mean" });
    expect(Number.isFinite(mean.gradVar[11000])).toBe(true);
    expect(mismatch(mean.gradVar, wantMean.gradVar, LOG_TOL)).toBeNull();
    // A row without special values (the last) gives a finite sum: no other block's value reached it.
    const [a, b] = [3 * classes, 4 * classes];
    const clean = pk.gaussianNllLoss(x.subarray(a, b), t.subarray(a, b), vElem.subarray(a, b), classes, {
      reduction: "sum",
    });
    expect(Number.isFinite(clean)).toBe(true);
    expect(
      mismatch(
        clean,
        ref.gaussianNllLoss(x.subarray(a, b), t.subarray(a, b), vElem.subarray(a, b), classes, { reduction: "sum" }),
        LOG_TOL,
      ),
    ).toBeNull();
  });
});

describe("gaussian nll bad input", () => {
  const x = randomLogits(12, 1),
    t = randomLogits(12, 2),
    v = new Float32Array(12).fill(1);
  it.each([
    [
      () => pk.gaussianNllLoss(x, t, v.subarray(0, 5), 4),
      RangeError,
      /variance must have one value per element \(12\) or per row \(3\), got length 5/,
    ],
    [() => pk.gaussianNllLoss(x, t.subarray(0, 4), v, 4), RangeError, /target must have the input's length \(12\)/],
    [() => pk.gaussianNllLoss(x, t, v, 4, { eps: 0 }), RangeError, /eps must be a finite number > 0, got 0/],
    [() => pk.gaussianNllLoss(x, t, v, 4, { full: "yes" as never }), TypeError, /full must be a boolean/],
    [() => pk.gaussianNllLoss(x, t, v, 4, { out: new Float32Array(12) }), RangeError, /needs reduction "none"/],
    [
      () => pk.gaussianNllLossWithGrad(x, t, v, 4, { out: new Float32Array(11) }),
      RangeError,
      /gaussianNllLossWithGrad: out must have length 12, got length 11/,
    ],
    [
      () => pk.gaussianNllLossWithGrad(x, t, v, 4, { gradVarOut: new Float32Array(3) }),
      RangeError,
      /gradVarOut must have the variance's length \(12\), got length 3/,
    ],
    [
      () => pk.gaussianNllLossWithGrad(x, t, v, 4, { gradVarOut: new Float64Array(12) as never }),
      TypeError,
      /gradVarOut must be a Float32Array/,
    ],
    [
      () => pk.gaussianNllLossWithGrad(x, t, v, 4, { out: x }),
      RangeError,
      /gaussianNllLossWithGrad: out overlaps input; pass a separate buffer/,
    ],
    [() => pk.gaussianNllLossWithGrad(x, t, v, 4, { gradVarOut: v }), RangeError, /gradVarOut overlaps variance/],
    [
      () => {
        const b = new Float32Array(24);
        pk.gaussianNllLossWithGrad(x, t, v, 4, { out: b.subarray(0, 12), gradVarOut: b.subarray(6, 18) });
      },
      RangeError,
      /out overlaps gradVarOut/,
    ],
    [
      () => ref.gaussianNllLossWithGrad(x, t, v, 4, { out: t }),
      RangeError,
      /gaussianNllLossWithGrad: out overlaps target/,
    ],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
