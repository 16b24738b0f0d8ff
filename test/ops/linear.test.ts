// linear, linearBackward and the fused head against the float64 reference: tile boundaries of
// the micro-kernels, row blocks and class chunks of the fused kernel, accumulate, skipped
// gradients, aliasing, bad input, NaN, and a vocabulary of 128,256 classes.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, mismatch, randomLabels, randomLogits } from "../helpers.js";

const uniform = (n: number, seed: number, scale = 1) => randomLogits(n, seed, scale);
/** Float32 sums against float64: a bound that grows with the length of the sums. */
const tol = (terms: number) => ({ abs: 4e-7 * terms + 1e-6, rel: 1e-5 });

const SIZES = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];

describeBuilds("linear", () => {
  it("matches the reference at every tile boundary (rows, inFeatures, outFeatures)", () => {
    for (const rows of SIZES) {
      for (const inF of SIZES) {
        for (const outF of [1, 2, 3, 5, 8, 17]) {
          const x = uniform(rows * inF, rows * 100 + inF),
            w = uniform(outF * inF, outF),
            b = uniform(outF, 7);
          const what = `${rows}×${inF}→${outF}`;
          expect(
            mismatch(pk.linear(x, w, inF, { bias: b }), ref.linear(x, w, inF, { bias: b }), tol(inF)),
            what,
          ).toBeNull();
          const g = uniform(rows * outF, 9);
          const got = pk.linearBackward(g, x, w, inF);
          const want = ref.linearBackward(g, x, w, inF);
          expect(mismatch(got.gradInput!, want.gradInput!, tol(outF)), `${what} gradInput`).toBeNull();
          expect(mismatch(got.gradWeight!, want.gradWeight!, tol(rows)), `${what} gradWeight`).toBeNull();
          expect(mismatch(got.gradBias!, want.gradBias!, tol(rows)), `${what} gradBias`).toBeNull();
        }
      }
    }
  });

  it("wider shapes: the 16-column, 8-column and 4-column blocks and the scalar tail of the products", () => {
    for (const [rows, inF, outF] of [
      [6, 37, 29],
      [9, 64, 40],
      [2, 100, 3],
    ]) {
      const x = uniform(rows * inF, 1),
        w = uniform(outF * inF, 2),
        g = uniform(rows * outF, 3);
      expect(mismatch(pk.linear(x, w, inF), ref.linear(x, w, inF), tol(inF))).toBeNull();
      const got = pk.linearBackward(g, x, w, inF),
        want = ref.linearBackward(g, x, w, inF);
      expect(mismatch(got.gradInput!, want.gradInput!, tol(outF))).toBeNull();
      expect(mismatch(got.gradWeight!, want.gradWeight!, tol(rows))).toBeNull();
    }
  });

  it("a row's result does not depend on the rows around it (the same bits from any row range)", () => {
    const rows = 11,
      inF = 23,
      outF = 13;
    const x = uniform(rows * inF, 4),
      w = uniform(outF * inF, 5),
      g = uniform(rows * outF, 6);
    const all = pk.linear(x, w, inF);
    const gradAll = pk.linearBackward(g, x, w, inF, { gradWeight: false, gradBias: false }).gradInput!;
    for (const [from, to] of [
      [0, 1],
      [1, 6],
      [3, 11],
      [5, 10],
    ]) {
      const part = pk.linear(x.subarray(from * inF, to * inF), w, inF);
      expect(Array.from(part)).toEqual(Array.from(all.subarray(from * outF, to * outF)));
      const gradPart = pk.linearBackward(g.subarray(from * outF, to * outF), x.subarray(from * inF, to * inF), w, inF, {
        gradWeight: false,
        gradBias: false,
      }).gradInput!;
      expect(Array.from(gradPart)).toEqual(Array.from(gradAll.subarray(from * inF, to * inF)));
    }
  });

  it("accumulate adds into the buffers; false skips a gradient; out is returned as given", () => {
    const rows = 5,
      inF = 6,
      outF = 7;
    const x = uniform(rows * inF, 1),
      w = uniform(outF * inF, 2),
      g = uniform(rows * outF, 3);
    const fresh = pk.linear(x, w, inF);
    const out = uniform(rows * outF, 4);
    const before = out.slice();
    expect(pk.linear(x, w, inF, { out, accumulate: true })).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(before, (v, i) => Math.fround(v + fresh[i])));
    const grads = pk.linearBackward(g, x, w, inF);
    const gradWeight = uniform(outF * inF, 5),
      gradBias = uniform(outF, 6);
    const w0 = gradWeight.slice(),
      b0 = gradBias.slice();
    const r = pk.linearBackward(g, x, w, inF, { gradInput: false, gradWeight, gradBias, accumulate: true });
    expect(r.gradInput).toBeNull();
    expect(r.gradWeight).toBe(gradWeight);
    expect(Array.from(gradWeight)).toEqual(Array.from(w0, (v, i) => Math.fround(v + grads.gradWeight![i])));
    expect(Array.from(gradBias)).toEqual(Array.from(b0, (v, i) => Math.fround(v + grads.gradBias![i])));
  });

  it("refuses bad shapes, overlapping outputs and accumulate without a buffer, leaving buffers unchanged", () => {
    const x = uniform(12, 1),
      w = uniform(8, 2);
    expect(() => pk.linear(x, w, 5)).toThrow(/^linear: input.length must be a multiple of inFeatures \(5\), got 12$/);
    expect(() => pk.linear(x, w, 2.5)).toThrow(RangeError);
    expect(() => pk.linear(x, w, "4" as unknown as number)).toThrow(TypeError);
    expect(() => pk.linear(x, uniform(6, 3), 4)).toThrow(/weight must hold outFeatures × inFeatures/);
    expect(() => pk.linear(x, w, 4, { bias: new Float32Array(3) })).toThrow(/bias must have length 2, got length 3/);
    expect(() => pk.linear(x, w, 4, { accumulate: true })).toThrow(TypeError);
    expect(() => pk.linear(Array.from(x) as unknown as Float32Array, w, 4)).toThrow(TypeError);
    const buffer = new Float32Array(20);
    buffer.set(x);
    const snapshot = buffer.slice();
    expect(() => pk.linear(buffer.subarray(0, 12), w, 4, { out: buffer.subarray(10, 16) })).toThrow(
      /out overlaps input/,
    );
    const g = uniform(6, 4);
    expect(() => pk.linearBackward(g, buffer.subarray(0, 12), w, 4, { gradInput: buffer.subarray(4, 16) })).toThrow(
      /gradInput overlaps input/,
    );
    expect(() => pk.linearBackward(g, x, w, 4, { gradWeight: g.subarray(0, 8) as Float32Array })).toThrow(RangeError);
    expect(() => pk.linearBackward(uniform(5, 1), x, w, 4)).toThrow(/gradOutput must hold rows × outFeatures = 3 × 2/);
    expect(() => pk.linearBackward(g, x, w, 4, { accumulate: true })).toThrow(/accumulate adds into gradInput/);
    expect(buffer).toEqual(snapshot);
  });

  it("NaN and infinities propagate as in a float matrix product", () => {
    const x = new Float32Array([1, Number.NaN, 2, 3]),
      w = new Float32Array([1, 1, Number.POSITIVE_INFINITY, 0]);
    const out = pk.linear(x, w, 2);
    expect(Number.isNaN(out[0]) && Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(5);
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
  });
});

describeBuilds("linearCrossEntropy (fused)", () => {
  const check = (rows: number, F: number, classes: number, options: pk.LinearCrossEntropyGradOptions, seed = 1) => {
    const h = uniform(rows * F, seed, 2),
      w = uniform(classes * F, seed + 1, 0.5),
      labels = randomLabels(rows, classes, seed + 2);
    const got = pk.linearCrossEntropyWithGrad(h, w, labels, F, options);
    const want = ref.linearCrossEntropyWithGrad(h, w, labels, F, options);
    const what = `${rows}×${F}→${classes} ${JSON.stringify(options)}`;
    expect(mismatch(got.loss, want.loss, { abs: 1e-5, rel: 1e-5 }), `${what} loss`).toBeNull();
    expect(mismatch(got.gradHidden!, want.gradHidden!, { abs: 1e-6, rel: 1e-4 }), `${what} gradHidden`).toBeNull();
    expect(mismatch(got.gradWeight!, want.gradWeight!, { abs: 1e-6, rel: 1e-4 }), `${what} gradWeight`).toBeNull();
    if (options.bias) {
      expect(mismatch(got.gradBias!, want.gradBias!, { abs: 1e-6, rel: 1e-4 }), `${what} gradBias`).toBeNull();
    }
    return { h, w, labels, got };
  };

  it("matches the reference across row blocks (128) and class chunks (2048)", () => {
    for (const [rows, classes] of [
      [1, 2047],
      [3, 2048],
      [2, 2049],
      [129, 40],
      [130, 2050],
    ]) {
      check(rows, 5, classes, { bias: uniform(classes, 3) });
    }
  });

  it("every option: class weights, ignoreIndex, smoothing, temperature, softcap, zLoss, reductions, gradOutput", () => {
    const classes = 37;
    const labelsWithIgnored = (rows: number) => {
      const l = randomLabels(rows, classes, 8);
      l[1] = -100;
      return l;
    };
    const cases: pk.LinearCrossEntropyGradOptions[] = [
      { classWeight: uniform(classes, 4).map(Math.abs), labelSmoothing: 0.1 },
      { temperature: 0.7, softcap: 3, zLoss: 1e-3 },
      { reduction: "sum", softcap: 30 },
      { reduction: "none", gradOutput: [1, -2, 0.5, 3, 0] },
      { gradOutput: 2.5, labelSmoothing: 0.3, temperature: 2 },
    ];
    for (const options of cases) check(5, 9, classes, options);
    // Ignored rows count nothing (labels built by hand: ignoreIndex -100 in row 1).
    const h = uniform(5 * 9, 5),
      w = uniform(classes * 9, 6);
    const labels = labelsWithIgnored(5);
    const got = pk.linearCrossEntropyWithGrad(h, w, labels, 9, { zLoss: 1e-2, labelSmoothing: 0.2 });
    const want = ref.linearCrossEntropyWithGrad(h, w, labels, 9, { zLoss: 1e-2, labelSmoothing: 0.2 });
    expect(mismatch(got.loss, want.loss, { abs: 1e-5, rel: 1e-5 })).toBeNull();
    expect(Array.from(got.gradHidden!.subarray(9, 18))).toEqual(new Array(9).fill(0));
  });

  it("the fused head agrees with the unfused path (linear → crossEntropyWithGrad → linearBackward)", () => {
    const rows = 6,
      F = 12,
      classes = 3000;
    const { h, w, labels, got } = check(rows, F, classes, { labelSmoothing: 0.1 });
    const logits = pk.linear(h, w, F);
    const { loss, grad } = pk.crossEntropyWithGrad(logits, labels, classes, { labelSmoothing: 0.1 });
    const g = pk.linearBackward(grad, h, w, F, { gradBias: false });
    expect(mismatch(got.loss, loss, { abs: 1e-5, rel: 1e-5 })).toBeNull();
    expect(mismatch(got.gradHidden!, g.gradInput!, { abs: 1e-6, rel: 1e-4 })).toBeNull();
    expect(mismatch(got.gradWeight!, g.gradWeight!, { abs: 1e-6, rel: 1e-4 })).toBeNull();
  });

  it("a 128,256-class vocabulary, with the memory it takes bounded by one block of logits", () => {
    const rows = 2,
      F = 16,
      classes = 128256;
    check(rows, F, classes, {}, 11);
    const before = pk.runtimeInfo().memoryBytes;
    const h = uniform(rows * F, 1),
      w = uniform(classes * F, 2);
    for (let i = 0; i < 3; i++) pk.linearCrossEntropyWithGrad(h, w, [5, 128255], F);
    expect(pk.runtimeInfo().memoryBytes).toBe(before);
  });

  it("accumulate adds gradWeight and gradBias into their buffers; skipped gradients are null", () => {
    const rows = 4,
      F = 3,
      classes = 10;
    const h = uniform(rows * F, 1),
      w = uniform(classes * F, 2),
      bias = uniform(classes, 3),
      labels = randomLabels(rows, classes, 4);
    const fresh = pk.linearCrossEntropyWithGrad(h, w, labels, F, { bias });
    const gradWeight = uniform(classes * F, 5),
      gradBias = uniform(classes, 6);
    const w0 = gradWeight.slice(),
      b0 = gradBias.slice();
    const r = pk.linearCrossEntropyWithGrad(h, w, labels, F, {
      bias,
      gradWeight,
      gradBias,
      gradHidden: false,
      accumulate: true,
    });
    expect(r.gradHidden).toBeNull();
    expect(r.gradWeight).toBe(gradWeight);
    expect(Array.from(gradWeight)).toEqual(Array.from(w0, (v, i) => Math.fround(v + fresh.gradWeight![i])));
    expect(Array.from(gradBias)).toEqual(Array.from(b0, (v, i) => Math.fround(v + fresh.gradBias![i])));
    expect(pk.linearCrossEntropyWithGrad(h, w, labels, F).gradBias).toBeNull();
  });

  it("NaN in a hidden row gives that row NaN; bad labels and overlapping buffers are refused", () => {
    const F = 4,
      classes = 6;
    const h = uniform(3 * F, 1),
      w = uniform(classes * F, 2);
    h[F] = Number.NaN;
    const r = pk.linearCrossEntropyWithGrad(h, w, [0, 1, 2], F, { reduction: "none" });
    expect(Number.isNaN(r.loss[1])).toBe(true);
    expect(Number.isFinite(r.loss[0]) && Number.isFinite(r.loss[2])).toBe(true);
    expect(() => pk.linearCrossEntropy(h, w, [0, 6, 1], F)).toThrow(RangeError);
    expect(() => pk.linearCrossEntropy(h, w, new Float32Array(3) as unknown as number[], F)).toThrow(TypeError);
    expect(() => pk.linearCrossEntropy(h, w, [0, 1], F)).toThrow(RangeError);
    expect(() => pk.linearCrossEntropy(h, w, [0, 1, 2], F, { softcap: -1 })).toThrow(RangeError);
    const hidden = uniform(3 * F, 3);
    expect(() => pk.linearCrossEntropyWithGrad(hidden, w, [0, 1, 2], F, { gradHidden: hidden })).toThrow(
      /gradHidden overlaps hidden/,
    );
    expect(() => pk.linearCrossEntropyWithGrad(hidden, w, [0, 1, 2], F, { accumulate: true })).toThrow(TypeError);
  });
});

describe("the fused head's plain-TS reference", () => {
  it("equals cross-entropy of its own float64 logits", () => {
    const rows = 3,
      F = 5,
      classes = 7;
    const h = uniform(rows * F, 1),
      w = uniform(classes * F, 2),
      labels = [1, 6, 0];
    const logits = ref.linear(h, w, F);
    expect(
      mismatch(ref.linearCrossEntropy(h, w, labels, F), ref.crossEntropy(logits, labels, classes), {
        abs: 1e-6,
        rel: 1e-6,
      }),
    ).toBeNull();
  });
});

describe("linearBackward over WasmArrays while its calls grow wasm memory", () => {
  it("each of its three calls takes the arrays afresh and the results are views of the grown memory", async () => {
    const builds = (await pk.init()).availableBuilds;
    // A fresh runtime (another build, then back): small memory, so the calls below must grow it.
    await pk.init({ build: builds[builds.length - 1] });
    await pk.init({ build: builds[0] });
    const [rows, inF, outF] = [200, 40, 3000];
    const x = randomLogits(rows * inF, 1, 1),
      w = randomLogits(outF * inF, 2, 0.1),
      g = randomLogits(rows * outF, 3, 1);
    const wasm = (values: Float32Array) => {
      const a = pk.allocFloat32(values.length);
      a.array.set(values);
      return a;
    };
    const [xw, ww, gw] = [wasm(x), wasm(w), wasm(g)];
    const gradWeight = pk.allocFloat32(outF * inF);
    const before = pk.runtimeInfo().memoryBytes;
    const r = pk.linearBackward(gw.array, xw.array, ww.array, inF, { gradWeight: gradWeight.array });
    expect(pk.runtimeInfo().memoryBytes).toBeGreaterThan(before);
    const want = ref.linearBackward(g, x, w, inF);
    expect(mismatch(r.gradInput!, want.gradInput!, tol(outF))).toBeNull();
    expect(mismatch(r.gradWeight!, want.gradWeight!, tol(rows))).toBeNull();
    expect(mismatch(gradWeight.array, want.gradWeight!, tol(rows))).toBeNull();
    expect(mismatch(r.gradBias!, want.gradBias!, tol(rows))).toBeNull();
    for (const a of [xw, ww, gw, gradWeight]) a.free();
  });
});
