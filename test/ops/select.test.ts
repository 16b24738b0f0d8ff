// entropy, argmax / accuracy, topK and the normal density against the plain-TS reference on
// every row length that matters for the kernels' tiles, with special values, ties and NaN, in
// place and in wasm memory; and their bad-input errors.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, PROB_TOL, randomLabels, randomLogits, rng } from "../helpers.js";

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 67, 1000, 4099];

/** Logits with masked entries, NaN, ±Infinity and ties sprinkled in (seeded). */
function specials(length: number, seed: number): Float32Array {
  const x = randomLogits(length, seed);
  const next = rng(seed + 1);
  for (let i = 0; i < length; i++) {
    const u = next();
    if (u < 0.05) x[i] = -Infinity;
    else if (u < 0.06) x[i] = NaN;
    else if (u < 0.07) x[i] = Infinity;
    else if (u < 0.2) x[i] = Math.round(x[i]); // ties
  }
  return x;
}

describeBuilds("selection and entropy kernels", () => {
  it.each(LENGTHS)("entropy on rows of %i (T = 1 and 0.6), with and without special values", (classes) => {
    for (const x of [randomLogits(5 * classes, classes), specials(5 * classes, classes)]) {
      for (const temperature of [1, 0.6]) {
        expect(
          mismatch(pk.entropy(x, classes, { temperature }), ref.entropy(x, classes, { temperature }), LOG_TOL),
        ).toBeNull();
      }
    }
  });

  it.each(LENGTHS)("argmax and accuracy on rows of %i, ties and NaN included", (classes) => {
    const x = specials(6 * classes, 3 * classes);
    expect(Array.from(pk.argmax(x, classes))).toEqual(Array.from(ref.argmax(x, classes)));
    const labels = randomLabels(6, classes, 5);
    labels[0] = -100;
    expect(pk.accuracy(x, labels, classes)).toBe(ref.accuracy(x, labels, classes));
  });

  it("argmax without NaN (the vector maximum, then the first equal entry): ties, ±0, ±Infinity; a NaN only in the tail", () => {
    for (const classes of [8, 9, 11, 12, 15, 16, 17, 31, 33, 1000, 1003]) {
      const rows = 40,
        next = rng(classes);
      const choices = [-0, 0, 1, 1, 2, 2, -Infinity, Infinity, -3];
      const x = Float32Array.from({ length: rows * classes }, () => choices[Math.floor(next() * choices.length)]);
      for (let r = 0; r < 10; r++) x.fill(-0, r * classes, (r + 1) * classes); // all −0: the first
      for (let r = 10; r < 12; r++) x[(r + 1) * classes - 1] = NaN; // a NaN in the last entry
      for (let r = 12; r < 14; r++) x[r * classes + (classes - 1 - (classes % 4))] = NaN; // the last full group
      expect(Array.from(pk.argmax(x, classes)), `${classes}`).toEqual(Array.from(ref.argmax(x, classes)));
    }
  });

  it.each(LENGTHS)("topK on rows of %i for k = 1, 5 and all, ties and NaN included", (classes) => {
    const x = specials(3 * classes, 7 * classes);
    for (const k of [1, Math.min(5, classes), classes]) {
      const got = pk.topK(x, classes, { k }),
        want = ref.topK(x, classes, { k });
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.values)).toEqual(Array.from(want.values));
    }
  });

  it("topK over a 128,256-entry vocabulary (k = 50) and 64 rows of 32,000", () => {
    for (const [rows, classes] of [
      [1, 128_256],
      [64, 32_000],
    ]) {
      const x = randomLogits(rows * classes, rows);
      const got = pk.topK(x, classes, { k: 50 }),
        want = ref.topK(x, classes, { k: 50 });
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
    }
  });

  it("the normal density: values, in place, in wasm memory", () => {
    const x = randomLogits(1001, 4, 5);
    x[0] = 1e30;
    x[1] = -Infinity;
    x[2] = NaN;
    const options = { mean: 0.5, std: 1.7 };
    expect(mismatch(pk.normalLogPdf(x, options), ref.normalLogPdf(x, options), LOG_TOL)).toBeNull();
    expect(mismatch(pk.normalPdf(x, options), ref.normalPdf(x, options), PROB_TOL)).toBeNull();
    const inPlace = x.slice();
    expect(pk.normalPdf(inPlace, { ...options, out: inPlace })).toBe(inPlace);
    expect(mismatch(inPlace, ref.normalPdf(x, options), PROB_TOL)).toBeNull();
    const w = pk.allocFloat32(x.length);
    w.array.set(x);
    expect(Array.from(pk.normalLogPdf(w.array, options))).toEqual(Array.from(pk.normalLogPdf(x, options)));
    w.free();
  });

  it("the normal density keeps its relative accuracy in the tails and for narrow and wide σ (the factor past f32's range: float64)", () => {
    const x = Float32Array.from({ length: 2003 }, (_, i) => -13 + (26 * i) / 2002);
    for (const [mean, std] of [
      [0, 1],
      [0.25, 1e-3],
      [0, 1e20],
      [0, 1e-39],
      [1, 3e38],
    ]) {
      const xs = Float32Array.from(x, (v) => mean + v * std);
      const options = { mean, std };
      expect(
        mismatch(pk.normalPdf(xs, options), ref.normalPdf(xs, options), { abs: 1e-44, rel: 1e-5 }),
        `${std}`,
      ).toBeNull();
      expect(mismatch(pk.normalLogPdf(xs, options), ref.normalLogPdf(xs, options), LOG_TOL), `${std}`).toBeNull();
    }
  });

  it("textbook density values: pdf(0) = 0.398942, pdf(±1) = 0.241971, pdf(±2) = 0.053991", () => {
    const pdf = pk.normalPdf(Float32Array.from([0, 1, -1, 2, -2]));
    expect(Array.from(pdf, (v) => +v.toFixed(6))).toEqual([0.398942, 0.241971, 0.241971, 0.053991, 0.053991]);
  });
});

describe("bad input", () => {
  const x = randomLogits(40, 1);
  it.each([
    [() => pk.topK(x, 10, { k: 0 }), RangeError, /topK: k must be an integer from 1 to classes \(10\), got 0/],
    [() => pk.topK(x, 10, { k: 11 }), RangeError, /got 11/],
    [() => pk.topK(x, 10, { k: 2.5 }), RangeError, /got 2\.5/],
    [() => pk.topK(x, 10, { k: "3" as unknown as number }), TypeError, /got the string "3"/],
    [
      () => pk.argmax(x, 10, { out: new Float32Array(4) as unknown as Int32Array }),
      TypeError,
      /argmax: out must be an Int32Array of length 4, got a Float32Array/,
    ],
    [() => pk.argmax(x, 10, { out: new Int32Array(3) }), RangeError, /argmax: out must have length 4, got length 3/],
    [
      () => pk.accuracy(x, [1, 2, 3], 10),
      RangeError,
      /accuracy: target must have one class index per row \(4 rows\), got length 3/,
    ],
    [() => pk.accuracy(x, [1, 2, 3, 10], 10), RangeError, /accuracy: target\[3\] = 10 is out of range/],
    [
      () => pk.accuracy(x, new Float32Array(4) as unknown as Int32Array, 10),
      TypeError,
      /accuracy: labels must be class indices/,
    ],
    [
      () => pk.entropy(x, 10, { temperature: 0 }),
      RangeError,
      /entropy: temperature must be a finite number > 0, got 0/,
    ],
    [
      () => pk.entropy(x, 10, { tempreature: 1 } as unknown as pk.SoftmaxOptions),
      TypeError,
      /entropy: unknown option "tempreature"/,
    ],
    [() => pk.normalPdf(x, { std: 0 }), RangeError, /normalPdf: std must be a finite number > 0, got 0/],
    [
      () => pk.normalLogPdf([1, 2] as unknown as Float32Array),
      TypeError,
      /normalLogPdf: x must be a Float32Array, got an array of length 2/,
    ],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});

describe("topK(logits, classes, { k, values?, indices? })", () => {
  it("writes into the buffers given, refuses overlaps and the old positional k with a hint", async () => {
    await pk.init();
    const x = randomLogits(4 * 10, 3);
    const values = new Float32Array(8),
      indices = new Int32Array(8);
    const got = pk.topK(x, 10, { k: 2, values, indices });
    expect(got.values).toBe(values);
    expect(got.indices).toBe(indices);
    const want = ref.topK(x, 10, { k: 2 });
    expect(Array.from(values)).toEqual(Array.from(want.values));
    expect(Array.from(indices)).toEqual(Array.from(want.indices));
    expect(() => pk.topK(x, 10, 3 as never)).toThrow(
      new TypeError("topK: k goes in the options: topK(logits, classes, { k: 3 })"),
    );
    expect(() => pk.topK(x, 10, { k: 2, values: x.subarray(0, 8) })).toThrow(/topK: values overlaps logits/);
    expect(() => pk.topK(x, 10, { k: 2, indices: new Int32Array(7) })).toThrow(
      new RangeError("topK: indices must have length 8, got length 7"),
    );
  });
});
