// int64 token ids and class labels (BigInt64Array, BigUint64Array, bigint[]) wherever indices are
// taken: the same results as int32 labels, range-checked exactly (2^53 + 1 is out of range, not
// rounded into it), and int64 results from sampleCategorical when asked.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, randomLabels, randomLogits } from "../helpers.js";

const bits = (v: number | Float32Array) => (typeof v === "number" ? [v] : Array.from(v));
const big = (labels: Int32Array) => BigInt64Array.from(labels, (v) => BigInt(v));

describeBuilds("int64 labels and token ids", () => {
  const rows = 6,
    classes = 7;
  const x = randomLogits(rows * classes, 1);
  const labels = randomLabels(rows, classes, 2);
  labels[2] = -100;

  it("every loss takes BigInt64Array, BigUint64Array and bigint[] labels with the int32 result", () => {
    const unsigned = BigUint64Array.from(labels, (v) => BigInt(Math.max(v, 0)));
    const clipped = Int32Array.from(labels, (v) => Math.max(v, 0));
    for (const [given, same] of [
      [big(labels), labels],
      [Array.from(labels, (v) => BigInt(v)), labels],
      [unsigned, clipped],
    ] as const) {
      const a = pk.crossEntropyWithGrad(x, given, classes, { labelSmoothing: 0.1 });
      const b = pk.crossEntropyWithGrad(x, same, classes, { labelSmoothing: 0.1 });
      expect(bits(a.loss)).toEqual(bits(b.loss));
      expect(bits(a.grad)).toEqual(bits(b.grad));
      const logp = pk.logSoftmax(x, classes);
      expect(pk.nllLoss(logp, given, classes)).toBe(pk.nllLoss(logp, same, classes));
      expect(pk.accuracy(x, given, classes)).toBe(pk.accuracy(x, same, classes));
      const w = randomLogits(classes * 3, 3, 0.5),
        h = randomLogits(rows * 3, 4);
      expect(pk.linearCrossEntropy(h, w, given, 3)).toBe(pk.linearCrossEntropy(h, w, same, 3));
      const t = randomLogits(rows * classes, 5);
      expect(pk.distillationLoss(x, t, classes, { labels: given as BigInt64Array, temperature: 2 }).loss).toBe(
        pk.distillationLoss(x, t, classes, { labels: same, temperature: 2 }).loss,
      );
      expect(ref.crossEntropy(x, given, classes)).toBe(ref.crossEntropy(x, same, classes));
    }
    // ignoreIndex as an int64 id too.
    expect(pk.crossEntropy(x, big(labels), classes, { ignoreIndex: -100n })).toBe(pk.crossEntropy(x, labels, classes));
  });

  it("range checks are exact: 2^53 + 1 and 2^63 − 1 are out of range, never rounded into it", () => {
    for (const bad of [2n ** 53n + 1n, 2n ** 63n - 1n, -1n, BigInt(classes)]) {
      const given = big(labels);
      given[4] = bad;
      expect(() => pk.crossEntropy(x, given, classes)).toThrow(
        new RegExp(`^crossEntropy: target\\[4\\] = ${bad}n is out of range for 7 classes`),
      );
      expect(() => pk.crossEntropy(x, [0n, 1n, 2n, 3n, bad, 5n], classes)).toThrow(RangeError);
    }
    const huge = new BigUint64Array(rows);
    huge[0] = 2n ** 64n - 1n;
    expect(() => pk.crossEntropy(x, huge, classes)).toThrow(/target\[0\] = 18446744073709551615n is out of range/);
    expect(() => pk.crossEntropy(x, labels, classes, { ignoreIndex: (2n ** 40n) as unknown as number })).toThrow(
      /ignoreIndex must be a 32-bit integer, got 1099511627776n/,
    );
  });

  it("previousTokens as int64 ids: the same penalty; out of range refused as given", () => {
    const V = 3;
    const logits = new Float32Array([1, -2, 3, 0.5, 2, -1]);
    expect(
      Array.from(pk.filterLogits(logits, V, { repetitionPenalty: 1.3, previousTokens: new BigInt64Array([0n]) })),
    ).toEqual(Array.from(pk.filterLogits(logits, V, { repetitionPenalty: 1.3, previousTokens: [0] })));
    const perRow = [new BigInt64Array([2n]), [1n, 0n]];
    expect(Array.from(pk.filterLogits(logits, V, { repetitionPenalty: 2, previousTokens: perRow }))).toEqual(
      Array.from(pk.filterLogits(logits, V, { repetitionPenalty: 2, previousTokens: [[2], [1, 0]] })),
    );
    expect(() => pk.filterLogits(logits, V, { repetitionPenalty: 2, previousTokens: [2n ** 53n + 1n] })).toThrow(
      /previousTokens\[0\] must be a token index from 0 to 2, got 9007199254740993n/,
    );
  });

  it("sampleCategorical writes int64 ids into a BigInt64Array out, the same draws", () => {
    const out = new BigInt64Array(rows);
    const got = pk.sampleCategorical(x, classes, { seed: 7, topP: 0.9, out });
    expect(got).toBe(out);
    const int32 = pk.sampleCategorical(x, classes, { seed: 7, topP: 0.9 });
    expect(Array.from(out, Number)).toEqual(Array.from(int32));
    expect(() => pk.sampleCategorical(x, classes, { out: new BigInt64Array(2) as unknown as Int32Array })).toThrow(
      /out must have length 6/,
    );
    expect(() => pk.sampleCategorical(x, classes, { out: new Float64Array(rows) as unknown as Int32Array })).toThrow(
      /out must be an Int32Array \(or a BigInt64Array\)/,
    );
  });
});

describe("int64 labels on the plain-TS reference", () => {
  it("nllLoss and accuracy take them", () => {
    const x = randomLogits(12, 1);
    const labels = new Int32Array([0, 3, 1]);
    expect(ref.accuracy(x, big(labels), 4)).toBe(ref.accuracy(x, labels, 4));
  });
});
