// 16-bit float logits beyond the reference cases: chunked rows (more than the arena's budget),
// every bit pattern class, the same bits as float32 logits of the same values, and bad input.
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { decodeHalf } from "../../src/checks/half.js";
import { describeBuilds, randomLabels, rng } from "../helpers.js";

const bits = (v: number | Float32Array) => (typeof v === "number" ? [v] : Array.from(v));

/** Random 16-bit floats of moderate size (exponents near 1), one in 97 a special value. */
function randomHalf(n: number, seed: number, dtype: "float16" | "bfloat16"): Uint16Array {
  const next = rng(seed);
  const out = new Uint16Array(n);
  const bias = dtype === "float16" ? 15 : 127;
  const mantissaBits = dtype === "float16" ? 10 : 7;
  for (let i = 0; i < n; i++) {
    const sign = next() < 0.5 ? 1 : 0;
    const exponent = bias - 2 + Math.floor(next() * 5);
    const mantissa = Math.floor(next() * 2 ** mantissaBits);
    out[i] = (sign << 15) | (exponent << mantissaBits) | mantissa;
  }
  return out;
}

describeBuilds(
  "16-bit float logits",
  () => {
    it("chunked calls give the float32 path's bits, for both formats", () => {
      for (const dtype of ["float16", "bfloat16"] as const) {
        for (const [rows, classes] of [
          [300, 1000],
          [3, 40000],
          [257, 7],
        ]) {
          const half = randomHalf(rows * classes, rows + classes, dtype);
          const values = decodeHalf(half, dtype);
          const o = { dtype, temperature: 0.8 };
          for (const fn of [pk.softmax, pk.logSoftmax, pk.logSumExp, pk.entropy]) {
            expect(bits(fn(half, classes, o)), `${fn.name} ${dtype} ${rows}×${classes}`).toEqual(
              bits(fn(values, classes, { temperature: 0.8 })),
            );
          }
          const labels = randomLabels(rows, classes, 3);
          const a = pk.crossEntropyWithGrad(half, labels, classes, { dtype, reduction: "none" });
          const b = pk.crossEntropyWithGrad(values, labels, classes, { reduction: "none" });
          expect(bits(a.loss)).toEqual(bits(b.loss));
          expect(bits(a.grad)).toEqual(bits(b.grad));
        }
      }
    });

    it("argmax and topK: the same indices and values as float32 logits", () => {
      for (const dtype of ["float16", "bfloat16"] as const) {
        const half = randomHalf(7 * 300, 12, dtype);
        const values = decodeHalf(half, dtype);
        expect(Array.from(pk.argmax(half, 300, { dtype }))).toEqual(Array.from(pk.argmax(values, 300)));
        const a = pk.topK(half, 300, { k: 9, dtype });
        const b = pk.topK(values, 300, { k: 9 });
        expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
        expect(bits(a.values)).toEqual(bits(b.values));
      }
    });

    it("filterLogits and sampleCategorical: the same filtered logits and draws as float32 logits", () => {
      for (const dtype of ["float16", "bfloat16"] as const) {
        const [rows, classes] = [4, 5000];
        const half = randomHalf(rows * classes, 9, dtype);
        const values = decodeHalf(half, dtype);
        const o = { topK: 50, topP: 0.9, temperature: 0.7 };
        expect(bits(pk.filterLogits(half, classes, { ...o, dtype }))).toEqual(
          bits(pk.filterLogits(values, classes, o)),
        );
        expect(Array.from(pk.sampleCategorical(half, classes, { ...o, dtype, seed: 3 }))).toEqual(
          Array.from(pk.sampleCategorical(values, classes, { ...o, seed: 3 })),
        );
        const penalty = { repetitionPenalty: 1.3, previousTokens: [1, 2, 3] };
        expect(Array.from(pk.sampleCategorical(half, classes, { ...penalty, dtype, seed: 4 }))).toEqual(
          Array.from(pk.sampleCategorical(values, classes, { ...penalty, seed: 4 })),
        );
      }
    });

    it.runIf(typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function")(
      "a Float16Array is float16 without a dtype (engines that have one)",
      () => {
        const F16 = (globalThis as unknown as { Float16Array: new (values: number[]) => Uint16Array }).Float16Array;
        const x = new F16([1.5, -2, 0.25, 3, 1, 0]);
        const asBits = new Uint16Array(x.buffer);
        expect(bits(pk.softmax(x, 3))).toEqual(bits(pk.softmax(asBits, 3, { dtype: "float16" })));
        expect(bits(pk.crossEntropy(x, [0, 2], 3))).toEqual(
          bits(pk.crossEntropy(asBits, [0, 2], 3, { dtype: "float16" })),
        );
        expect(() => pk.softmax(x, 3, { dtype: "bfloat16" })).toThrow(/a Float16Array, which holds float16/);
      },
    );

    it("refuses a Uint16Array without dtype, a dtype that does not match, and an out over the bits", () => {
      const half = randomHalf(20, 1, "float16");
      expect(() => pk.softmax(half, 10)).toThrow(/logits is a Uint16Array: pass dtype "float16" or "bfloat16"/);
      expect(() => pk.softmax(new Float32Array(10), 10, { dtype: "float16" })).toThrow(
        /dtype "float16" needs logits as a Uint16Array/,
      );
      expect(() => pk.softmax(half, 10, { dtype: "half" as "float16" })).toThrow(TypeError);
      expect(() => pk.crossEntropy(half, [0, 1], 10, { dtype: "float16", reduction: "sum" })).not.toThrow();
      // An out that shares bytes with the 16-bit logits (never "in place": the widths differ).
      const buffer = new ArrayBuffer(80);
      const bitsThere = new Uint16Array(buffer, 0, 20);
      bitsThere.set(half);
      const before = bitsThere.slice();
      expect(() => pk.softmax(bitsThere, 10, { dtype: "float16", out: new Float32Array(buffer, 0, 20) })).toThrow(
        /out overlaps logits/,
      );
      expect(() =>
        pk.crossEntropyWithGrad(bitsThere, [0, 1], 10, { dtype: "float16", out: new Float32Array(buffer, 0, 20) }),
      ).toThrow(/out overlaps logits/);
      expect(bitsThere).toEqual(before);
      expect(() => pk.nllLoss(half as unknown as Float32Array, [0, 1], 10)).toThrow(TypeError);
    });
  },
  { arenaBytes: 64 * 1024 },
);
