// filterLogits and sampleCategorical: against the plain-TS reference (transformers' warpers
// written with sorts), χ² goodness of fit of the draws, greedy = argmax, removed tokens never
// drawn, bit-identical indices across builds and chunk sizes, reproducible generator streams,
// and bad input.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS, describeBuilds, mismatch, randomLogits, rng } from "../helpers.js";

/** Kept entries of filtered rows (not −Infinity), as one boolean array. */
const keptMask = (filtered: Float32Array) => Array.from(filtered, (v) => v > -Infinity);

/** float64 softmax of one filtered row. */
function _rowProbabilities(filtered: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of filtered) max = Math.max(max, v);
  const p = Float64Array.from(filtered, (v) => Math.exp(v - max));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / z);
}

const SETTINGS: pk.FilterOptions[] = [
  {},
  { temperature: 0.7 },
  { topK: 5 },
  { topP: 0.9 },
  { minP: 0.1 },
  { temperature: 1.3, topK: 20, topP: 0.95, minP: 0.02 },
  { topP: 0.3, minTokensToKeep: 4 },
];

/** Random logits with masked entries; scale 2 like a language model's spread. */
function maskedLogits(length: number, seed: number): Float32Array {
  const x = randomLogits(length, seed, 2);
  const next = rng(seed + 99);
  for (let i = 0; i < length; i++) if (next() < 0.05) x[i] = -Infinity;
  return x;
}

describeBuilds("filterLogits", () => {
  const lengths = [1, 2, 3, 4, 5, 7, 16, 33, 100, 1000, 4099, 32_000];
  it.each(lengths)("matches the reference on rows of %i for every setting", (classes) => {
    const rows = classes > 4099 ? 1 : 3;
    const x = maskedLogits(rows * classes, classes);
    for (let r = 0; r < rows; r++) x[r * classes + (r % classes)] = 5; // never an all −Infinity row
    for (const options of SETTINGS) {
      const got = pk.filterLogits(x, classes, options),
        want = ref.filterLogits(x, classes, options);
      expect(keptMask(got), JSON.stringify(options)).toEqual(keptMask(want));
      expect(mismatch(got, want, { abs: 0, rel: 0 })).toBeNull();
    }
  });

  it("keeps ties at a threshold: top-k and top-p keep every entry equal to the last one kept", () => {
    const x = Float32Array.from([1, 3, 2, 3, 0, 3]);
    expect(keptMask(pk.filterLogits(x, 6, { topK: 2 }))).toEqual([false, true, false, true, false, true]);
    expect(keptMask(pk.filterLogits(x, 6, { topP: 0.3 }))).toEqual([false, true, false, true, false, true]);
  });

  it("works in place and on wasm memory, and leaves logits alone otherwise", () => {
    const x = maskedLogits(2000, 5);
    const copy = x.slice();
    const want = pk.filterLogits(x, 1000, { topP: 0.8, temperature: 0.5 });
    expect(Array.from(x)).toEqual(Array.from(copy));
    expect(Array.from(pk.filterLogits(x, 1000, { topP: 0.8, temperature: 0.5, out: x }))).toEqual(Array.from(want));
    const w = pk.allocFloat32(2000);
    w.array.set(copy);
    expect(Array.from(pk.filterLogits(w.array, 1000, { topP: 0.8, temperature: 0.5 }))).toEqual(Array.from(want));
    w.free();
  });

  it("refuses rows with NaN, +Infinity or only −Infinity, naming the row; logits and out unchanged", () => {
    const x = randomLogits(30, 1);
    const out = new Float32Array(30).fill(7);
    for (const [bad, what] of [
      [NaN, "holds NaN"],
      [Infinity, "holds \\+Infinity"],
    ] as const) {
      const y = x.slice();
      y[14] = bad;
      expect(() => pk.filterLogits(y, 10, { out })).toThrow(new RegExp(`filterLogits: row 1 of logits ${what}`));
    }
    const y = x.slice();
    y.fill(-Infinity, 20, 30);
    expect(() => pk.sampleCategorical(y, 10, { seed: 1 })).toThrow(
      /sampleCategorical: row 2 of logits is all −Infinity/,
    );
    expect(Array.from(out)).toEqual(new Array(30).fill(7));
  });
});

describeBuilds("sampleCategorical", () => {
  it("temperature 0 is argmax (the first largest entry) and draws nothing", () => {
    const x = maskedLogits(64 * 300, 3);
    for (let r = 0; r < 64; r += 7) x[r * 300 + 17] = x[r * 300 + 200] = 50; // ties: the first wins
    const g = new pk.RandomGenerator(1);
    expect(Array.from(pk.sampleCategorical(x, 300, { temperature: 0, generator: g, topK: 3 }))).toEqual(
      Array.from(pk.argmax(x, 300)),
    );
    expect(g.position).toBe(0n);
  });

  it("agrees with the reference given the same uniforms", () => {
    const classes = 1000,
      rows = 200;
    const x = maskedLogits(rows * classes, 21);
    for (let r = 0; r < rows; r++) x[r * classes] = 4;
    for (const options of SETTINGS) {
      const { uniforms } = pk.RandomGenerator.categoricalUniforms(new pk.RandomGenerator(5), "test", rows);
      const got = pk.sampleCategorical(x, classes, { ...options, seed: 5 });
      const want = ref.sampleCategorical(x, classes, { ...options, uniforms });
      // float32 weights against float64 probabilities: a draw within ~1e-7 of a boundary may differ.
      const differ = Array.from(got).filter((v, i) => v !== want[i]).length;
      expect(differ, JSON.stringify(options)).toBeLessThanOrEqual(1);
    }
  });

  it("continues a generator step by step: two calls equal one call over both rows, and a saved state replays", () => {
    const x = maskedLogits(4 * 500, 6);
    for (let r = 0; r < 4; r++) x[r * 500 + 1] = 3;
    const all = pk.sampleCategorical(x, 500, { seed: 77, topP: 0.95 });
    const g = new pk.RandomGenerator(77);
    const steps: number[] = [];
    let saved: pk.RandomGeneratorState | null = null;
    for (let r = 0; r < 4; r++) {
      if (r === 2) saved = g.state();
      steps.push(pk.sampleCategorical(x.subarray(r * 500, (r + 1) * 500), 500, { generator: g, topP: 0.95 })[0]);
    }
    expect(steps).toEqual(Array.from(all));
    const replay = pk.RandomGenerator.fromState(JSON.parse(JSON.stringify(saved)));
    expect(Array.from(pk.sampleCategorical(x.subarray(1000), 500, { generator: replay, topP: 0.95 }))).toEqual(
      steps.slice(2),
    );
    // A refused call draws nothing.
    const before = g.position;
    expect(() => pk.sampleCategorical(new Float32Array(500).fill(NaN), 500, { generator: g })).toThrow(RangeError);
    expect(g.position).toBe(before);
  });
});

describe("sampleCategorical is bit-identical across builds and chunk sizes", () => {
  it("the same indices on every build, with the default arena and with one too small for two rows", async () => {
    const classes = 4099,
      rows = 40;
    const x = maskedLogits(rows * classes, 13);
    for (let r = 0; r < rows; r++) x[r * classes + 7] = 2;
    const runs: number[][] = [];
    for (const build of BUILDS) {
      for (const arenaBytes of [pk.DEFAULT_ARENA_BYTES, 4 * 4099]) {
        await pk.init({ build, arenaBytes });
        for (const options of SETTINGS)
          runs.push(Array.from(pk.sampleCategorical(x, classes, { ...options, seed: 3 })));
      }
    }
    await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
    const per = SETTINGS.length;
    for (let k = per; k < runs.length; k++) expect(runs[k]).toEqual(runs[k % per]);
  });
});

describe("sampling bad input", () => {
  const x = randomLogits(20, 2);
  it.each([
    [
      "temperature negative",
      RangeError,
      /sampleCategorical: temperature must be a finite number ≥ 0 \(0: greedy, the largest entry\), got -1/,
      () => pk.sampleCategorical(x, 10, { temperature: -1 }),
    ],
    [
      "temperature NaN",
      RangeError,
      /temperature must be a finite number ≥ 0 .*got NaN/,
      () => pk.sampleCategorical(x, 10, { temperature: NaN }),
    ],
    [
      "temperature a string",
      TypeError,
      /temperature must be .*got the string "1"/,
      () => pk.sampleCategorical(x, 10, { temperature: "1" as unknown as number }),
    ],
    [
      "temperature 0 in filterLogits",
      RangeError,
      /filterLogits: temperature must be a finite number > 0, got 0/,
      () => pk.filterLogits(x, 10, { temperature: 0 }),
    ],
    [
      "temperature below float32",
      RangeError,
      /temperature must be representable as a float32/,
      () => pk.filterLogits(x, 10, { temperature: 1e-50 }),
    ],
    [
      "topK negative",
      RangeError,
      /filterLogits: topK must be an integer ≥ 0 \(0: off\), got -1/,
      () => pk.filterLogits(x, 10, { topK: -1 }),
    ],
    [
      "topK fractional",
      RangeError,
      /topK must be an integer ≥ 0 \(0: off\), got 2.5/,
      () => pk.filterLogits(x, 10, { topK: 2.5 }),
    ],
    [
      "topP 0",
      RangeError,
      /topP must be a number in \(0, 1\] \(1: off\), got 0/,
      () => pk.filterLogits(x, 10, { topP: 0 }),
    ],
    [
      "topP above 1",
      RangeError,
      /topP must be a number in \(0, 1\] \(1: off\), got 1.5/,
      () => pk.sampleCategorical(x, 10, { topP: 1.5 }),
    ],
    [
      "minP negative",
      RangeError,
      /minP must be a number in \[0, 1\] \(0: off\), got -0.1/,
      () => pk.filterLogits(x, 10, { minP: -0.1 }),
    ],
    [
      "minP above 1",
      RangeError,
      /minP must be a number in \[0, 1\] \(0: off\), got 2/,
      () => pk.filterLogits(x, 10, { minP: 2 }),
    ],
    [
      "minTokensToKeep 0",
      RangeError,
      /minTokensToKeep must be an integer ≥ 1, got 0/,
      () => pk.filterLogits(x, 10, { minTokensToKeep: 0 }),
    ],
    [
      "unknown option",
      TypeError,
      /sampleCategorical: unknown option "top_p"/,
      () => pk.sampleCategorical(x, 10, { top_p: 0.9 } as unknown as pk.SampleCategoricalOptions),
    ],
    [
      "out of the wrong type",
      TypeError,
      /sampleCategorical: out must be an Int32Array \(or a BigInt64Array\) of length 2 \(one index per row\), got a Float32Array/,
      () => pk.sampleCategorical(x, 10, { out: new Float32Array(2) as unknown as Int32Array }),
    ],
    [
      "out of the wrong length",
      RangeError,
      /out must have length 2 \(one index per row\), got length 3/,
      () => pk.sampleCategorical(x, 10, { out: new Int32Array(3) }),
    ],
    [
      "filter out of the wrong length",
      RangeError,
      /filterLogits: out must have length 20, got length 10/,
      () => pk.filterLogits(x, 10, { out: new Float32Array(10) }),
    ],
    [
      "seed and generator",
      TypeError,
      /give seed or generator, not both/,
      () => pk.sampleCategorical(x, 10, { seed: 1, generator: new pk.RandomGenerator(1) }),
    ],
    [
      "a torch generator",
      RangeError,
      /compat "torch" \(PyTorch's multinomial stream\) is not reproduced/,
      () => pk.sampleCategorical(x, 10, { generator: new pk.RandomGenerator(1, { compat: "torch" }) }),
    ],
    [
      "logits not a multiple of classes",
      RangeError,
      /logits.length must be a multiple of classes \(3\), got 20/,
      () => pk.sampleCategorical(x, 3),
    ],
  ] as const)("%s", async (_name, type, message, call) => {
    await pk.init();
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});

describeBuilds("repetition penalty", () => {
  it("divides positive and multiplies negative logits of previous tokens before the filters (transformers' rule)", () => {
    const x = Float32Array.from([2, -1, 0.5, 3, -2, 1]);
    const got = pk.filterLogits(x, 3, { repetitionPenalty: 2, previousTokens: [[0, 1, 0], [2]] });
    expect(Array.from(got)).toEqual([1, -2, 0.5, 3, -2, 0.5]);
    // One list for every row; the caller's logits stay as they were.
    expect(Array.from(pk.filterLogits(x, 3, { repetitionPenalty: 2, previousTokens: new Int32Array([1]) }))).toEqual([
      2, -2, 0.5, 3, -4, 1,
    ]);
    expect(Array.from(x)).toEqual([2, -1, 0.5, 3, -2, 1]);
    // In place, and the sampler sees the penalised row: token 0 falls from first to second place.
    const y = Float32Array.from([2, 1.5, -3]);
    expect(pk.sampleCategorical(y, 3, { temperature: 0, repetitionPenalty: 2, previousTokens: [0] })[0]).toBe(1);
    pk.filterLogits(y, 3, { repetitionPenalty: 4, previousTokens: [0], out: y });
    expect(Array.from(y)).toEqual([0.5, 1.5, -3]);
  });

  it("refuses tokens outside the vocabulary, a penalty ≤ 0, and a list per row of the wrong count", () => {
    const x = new Float32Array(6);
    expect(() => pk.filterLogits(x, 3, { repetitionPenalty: 1.2, previousTokens: [[0], [3]] })).toThrow(
      /filterLogits: previousTokens\[1\]\[0\] must be a token index from 0 to 2, got 3/,
    );
    expect(() => pk.sampleCategorical(x, 3, { repetitionPenalty: 0, previousTokens: [1] })).toThrow(
      /repetitionPenalty must be a finite number > 0, got 0/,
    );
    expect(() => pk.filterLogits(x, 3, { repetitionPenalty: 1.2, previousTokens: [[0]] })).toThrow(
      /previousTokens holds 1 lists but logits has 2 rows/,
    );
    expect(() => pk.filterLogits(x, 3, { repetitionPenalty: 1.2 })).toThrow(/repetitionPenalty needs previousTokens/);
  });
});

describeBuilds("sampling safety", () => {
  it("a penalty that overflows a logit to +Infinity is named as such; out may not overlap logits even when the kernel reads a copy", () => {
    const x = Float32Array.from([3e38, 1, 2, 0]);
    expect(() => pk.sampleCategorical(x, 4, { repetitionPenalty: 0.5, previousTokens: [0], seed: 1 })).toThrow(
      /row 0 of logits holds \+Infinity/,
    );
    const buffer = new ArrayBuffer(64);
    const logits = new Float32Array(buffer, 0, 8).fill(1);
    const out = new Int32Array(buffer, 28, 2); // shares the last logit's bytes
    expect(() =>
      pk.sampleCategorical(logits, 4, { repetitionPenalty: 1.5, previousTokens: [0], out, seed: 1 }),
    ).toThrow(/overlap/);
    expect(Array.from(logits)).toEqual(new Array(8).fill(1));
  });
});

describeBuilds("a refused call leaves the caller's buffers unchanged", (build) => {
  it("a NaN row after many good ones: filterLogits' out and logits (in place), sampleCategorical's out", async () => {
    await pk.init({ build, arenaBytes: 4096 }); // many chunks: the bad row is far from the first
    const classes = 100,
      rows = 50;
    const x = randomLogits(rows * classes, 9);
    x[45 * classes + 3] = NaN;
    const copy = x.slice();
    const out = new Float32Array(rows * classes).fill(7);
    expect(() => pk.filterLogits(x, classes, { topP: 0.9, out })).toThrow(/filterLogits: row 45 of logits holds NaN/);
    expect(out.every((v) => v === 7)).toBe(true);
    expect(() => pk.filterLogits(x, classes, { topP: 0.9, out: x })).toThrow(RangeError);
    expect(Array.from(x)).toEqual(Array.from(copy));
    const picks = new Int32Array(rows).fill(-1);
    expect(() => pk.sampleCategorical(x, classes, { seed: 1, out: picks })).toThrow(
      /sampleCategorical: row 45 of logits holds NaN/,
    );
    expect(picks.every((v) => v === -1)).toBe(true);
    await pk.init({ build, arenaBytes: pk.DEFAULT_ARENA_BYTES });
  });
});

describeBuilds("a hostile generator", () => {
  it("a subclass overriding the draw, or a proxy, cannot hand the kernel uniforms of its own", () => {
    class Lying extends pk.RandomGenerator {
      categoricalUniforms() {
        return { uniforms: new Float64Array(1).fill(NaN), commit: () => {} };
      }
    }
    const x = randomLogits(4 * 50, 3);
    const lying = pk.sampleCategorical(x, 50, { generator: new Lying(8) });
    expect(Array.from(lying)).toEqual(
      Array.from(pk.sampleCategorical(x, 50, { generator: new pk.RandomGenerator(8) })),
    );
    const proxy = new Proxy(new pk.RandomGenerator(8), {});
    expect(() => pk.sampleCategorical(x, 50, { generator: proxy })).toThrow(
      /sampleCategorical: generator must be a RandomGenerator, got/,
    );
  });
});
