// Every bad input gets a TypeError or RangeError naming the argument, the expectation and the
// value, and leaves every caller buffer unchanged. Run against the wasm API and the reference.
import { beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { randomLogits } from "../helpers.js";

type Impl = typeof pk | typeof ref;

interface Buffers {
  logits: Float32Array;
  labels: Int32Array;
  soft: Float32Array;
  out: Float32Array;
  weight: Float32Array;
}

function buffers(): Buffers {
  return {
    logits: randomLogits(4 * 10, 1),
    labels: Int32Array.from([1, 2, 3, 9]),
    soft: new Float32Array(40).fill(0.1),
    out: new Float32Array(40).fill(7),
    weight: new Float32Array(10).fill(1),
  };
}

type Case = [
  name: string,
  errorType: typeof TypeError | typeof RangeError,
  message: RegExp,
  call: (impl: Impl, b: Buffers) => unknown,
];

const CASES: Case[] = [
  [
    "logits length not a multiple of classes",
    RangeError,
    /softmax: logits\.length must be a multiple of classes \(7\), got 40/,
    (m, b) => m.softmax(b.logits, 7),
  ],
  [
    "classes zero",
    RangeError,
    /logSoftmax: classes must be a positive integer, got 0/,
    (m, b) => m.logSoftmax(b.logits, 0),
  ],
  [
    "classes fractional",
    RangeError,
    /logSumExp: classes must be a positive integer, got 2\.5/,
    (m, b) => m.logSumExp(b.logits, 2.5),
  ],
  ["classes negative", RangeError, /classes must be a positive integer, got -10/, (m, b) => m.softmax(b.logits, -10)],
  [
    "classes not a number",
    TypeError,
    /classes must be a positive integer, got the string "10"/,
    (m, b) => m.softmax(b.logits, "10" as unknown as number),
  ],
  [
    "logits a Float64Array",
    TypeError,
    /softmax: logits must be a Float32Array, got a Float64Array of length 40; .*Float32Array\.from/,
    (m) => m.softmax(new Float64Array(40) as unknown as Float32Array, 10),
  ],
  [
    "logits a number[]",
    TypeError,
    /crossEntropy: logits must be a Float32Array, got an array of length 3/,
    (m) => m.crossEntropy([1, 2, 3] as unknown as Float32Array, [0], 3),
  ],
  [
    "labels length differs from rows",
    RangeError,
    /crossEntropy: target must have one class index per row \(4 rows\), got length 3/,
    (m, b) => m.crossEntropy(b.logits, [1, 2, 3], 10),
  ],
  [
    "label out of range",
    RangeError,
    /crossEntropyBackward: target\[3\] = 12 is out of range for 10 classes/,
    (m, b) => m.crossEntropyBackward(b.logits, [1, 2, 3, 12], 10, { out: b.out }),
  ],
  [
    "negative label that is not ignoreIndex",
    RangeError,
    /target\[0\] = -1 is out of range for 10 classes \(valid: 0 to 9, or ignoreIndex -100\)/,
    (m, b) => m.crossEntropy(b.logits, [-1, 2, 3, 4], 10),
  ],
  [
    "non-integer label in a number[]",
    TypeError,
    /crossEntropyWithGrad: target\[2\] = 1\.5 is not an integer class index/,
    (m, b) => m.crossEntropyWithGrad(b.logits, [1, 2, 1.5, 4], 10, { out: b.out }),
  ],
  [
    "target of the wrong kind",
    TypeError,
    /target must be class indices .* got a Float64Array of length 4/,
    (m, b) => m.crossEntropy(b.logits, new Float64Array(4) as unknown as Float32Array, 10),
  ],
  [
    "soft targets of the wrong length",
    RangeError,
    /soft targets must have rows × classes = 4 × 10 = 40 entries, got length 4/,
    (m, b) => m.crossEntropy(b.logits, new Float32Array(4), 10),
  ],
  [
    "soft targets with ignoreIndex >= 0",
    RangeError,
    /ignoreIndex must be negative with soft targets \(as in PyTorch\), got 0/,
    (m, b) => m.crossEntropy(b.logits, b.soft, 10, { ignoreIndex: 0 }),
  ],
  [
    "weight of the wrong length",
    RangeError,
    /weight must have one entry per class \(10\), got length 9/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { weight: new Float32Array(9) }),
  ],
  [
    "weight of the wrong type",
    TypeError,
    /weight must be a Float32Array .* got the string "1"/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { weight: "1" as unknown as Float32Array }),
  ],
  [
    "labelSmoothing above 1",
    RangeError,
    /labelSmoothing must be in \[0, 1\], got 1\.5/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { labelSmoothing: 1.5 }),
  ],
  [
    "labelSmoothing negative",
    RangeError,
    /labelSmoothing must be in \[0, 1\], got -0\.1/,
    (m, b) => m.crossEntropyWithGrad(b.logits, b.labels, 10, { labelSmoothing: -0.1, out: b.out }),
  ],
  [
    "labelSmoothing NaN",
    RangeError,
    /labelSmoothing must be in \[0, 1\], got NaN/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { labelSmoothing: NaN }),
  ],
  [
    "temperature zero",
    RangeError,
    /softmax: temperature must be a finite number > 0, got 0/,
    (m, b) => m.softmax(b.logits, 10, { temperature: 0, out: b.out }),
  ],
  [
    "temperature negative",
    RangeError,
    /temperature must be a finite number > 0, got -1/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { temperature: -1 }),
  ],
  [
    "temperature NaN",
    RangeError,
    /temperature must be a finite number > 0, got NaN/,
    (m, b) => m.logSoftmax(b.logits, 10, { temperature: NaN, out: b.out }),
  ],
  [
    "temperature Infinity",
    RangeError,
    /temperature must be a finite number > 0, got Infinity/,
    (m, b) => m.logSumExp(b.logits, 10, { temperature: Infinity }),
  ],
  [
    "temperature a string",
    TypeError,
    /temperature must be a number > 0, got the string "2"/,
    (m, b) => m.softmax(b.logits, 10, { temperature: "2" as unknown as number }),
  ],
  [
    "unknown reduction",
    RangeError,
    /reduction must be "mean", "sum" or "none", got the string "avg"/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { reduction: "avg" as "mean" }),
  ],
  [
    "unknown option key (typo)",
    TypeError,
    /softmax: unknown option "temprature" \(known options: temperature, out, dtype\)/,
    (m, b) => m.softmax(b.logits, 10, { temprature: 2 } as unknown as pk.SoftmaxOptions),
  ],
  [
    "unknown cross-entropy option",
    TypeError,
    /crossEntropy: unknown option "ignore_index"/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { ignore_index: 3 } as unknown as pk.CrossEntropyOptions),
  ],
  [
    "gradOutput on the forward call",
    TypeError,
    /crossEntropy: unknown option "gradOutput"/,
    // @ts-expect-error: gradOutput is not a forward option (a compile error too, since the types split them)
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { gradOutput: 2 }),
  ],
  [
    "options not an object",
    TypeError,
    /softmax: options must be an object, got 2/,
    (m, b) => m.softmax(b.logits, 10, 2 as unknown as pk.SoftmaxOptions),
  ],
  [
    "out of the wrong type",
    TypeError,
    /softmax: out must be a Float32Array of length 40, got a Float64Array of length 40/,
    (m, b) => m.softmax(b.logits, 10, { out: new Float64Array(40) as unknown as Float32Array }),
  ],
  [
    "out of the wrong length",
    RangeError,
    /logSumExp: out must have length 4, got length 40/,
    (m, b) => m.logSumExp(b.logits, 10, { out: b.out }),
  ],
  [
    "gradient out of the wrong length",
    RangeError,
    /crossEntropyBackward: out must have length 40, got length 4/,
    (m, b) => m.crossEntropyBackward(b.logits, b.labels, 10, { out: new Float32Array(4) }),
  ],
  [
    "out partly overlapping logits",
    RangeError,
    /out overlaps logits without being the same elements/,
    (m, b) => m.softmax(b.logits.subarray(0, 30), 10, { out: b.logits.subarray(10, 40) }),
  ],
  [
    "loss out without reduction none",
    RangeError,
    /out holds per-row losses and needs reduction "none", got reduction "mean"/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { out: new Float32Array(4) }),
  ],
  [
    "ignoreIndex not an integer",
    RangeError,
    /ignoreIndex must be a 32-bit integer, got 0\.5/,
    (m, b) => m.crossEntropy(b.logits, b.labels, 10, { ignoreIndex: 0.5 }),
  ],
  [
    "per-row gradOutput with reduction mean",
    RangeError,
    /gradOutput must be a number with reduction "mean"/,
    (m, b) => m.crossEntropyBackward(b.logits, b.labels, 10, { gradOutput: [1, 1, 1, 1], out: b.out }),
  ],
  [
    "per-row gradOutput of the wrong length",
    RangeError,
    /gradOutput must have one value per row \(4\), got length 2/,
    (m, b) => m.crossEntropyWithGrad(b.logits, b.labels, 10, { reduction: "none", gradOutput: [1, 2], out: b.out }),
  ],
];

for (const [implName, impl] of [
  ["wasm API", pk],
  ["reference", ref],
] as const) {
  describe(`bad input, ${implName}`, () => {
    beforeAll(async () => {
      await pk.init();
    });
    it.each(CASES)("%s", (_, errorType, message, call) => {
      const b = buffers();
      const before = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Array.from(v)]));
      let error: unknown;
      try {
        call(impl as Impl, b);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(errorType);
      expect((error as Error).message).toMatch(message);
      for (const [k, v] of Object.entries(b)) expect(Array.from(v), `${k} unchanged`).toEqual(before[k]);
    });
  });
}

describe("init", () => {
  it("rejects an unknown build and unknown options", async () => {
    await expect(pk.init({ build: "gpu" as "simd" })).rejects.toThrow(RangeError);
    await expect(pk.init({ build: "gpu" as "simd" })).rejects.toThrow(
      /build must be "auto", "relaxed-simd", "simd" or "scalar", got the string "gpu"/,
    );
    expect(() => pk.initSync({ arena: 5 } as unknown as pk.InitOptions)).toThrow(/unknown option "arena"/);
    expect(() => pk.initSync({ arenaBytes: 0 })).toThrow(RangeError);
  });
});

describe("one rule for error classes: TypeError for a wrong type, RangeError for a value out of range", () => {
  it("the same mistake gets the same class in every family", async () => {
    await pk.init();
    const x = new Float32Array(6),
      t = new Float32Array(6),
      v = new Float32Array(6).fill(1);
    const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
      [
        "gradOutput of the wrong type (BCE)",
        () => pk.binaryCrossEntropyWithLogitsBackward(x, t, 3, { gradOutput: "x" as never }),
        TypeError,
        /binaryCrossEntropyWithLogitsBackward: gradOutput must be a number, got the string "x"/,
      ],
      [
        "gradOutput of the wrong type (CE)",
        () => pk.crossEntropyBackward(x, [0, 1], 3, { gradOutput: "x" as never }),
        TypeError,
        /crossEntropyBackward: gradOutput must be a number, got the string "x"/,
      ],
      [
        "eps of the wrong type",
        () => pk.gaussianNllLoss(x, t, v, 3, { eps: "1" as never }),
        TypeError,
        /gaussianNllLoss: eps must be a finite number > 0/,
      ],
      [
        "eps out of range",
        () => pk.gaussianNllLoss(x, t, v, 3, { eps: -1 }),
        RangeError,
        /gaussianNllLoss: eps must be a finite number > 0/,
      ],
      [
        "gain of the wrong type",
        () => pk.xavierNormal(new Float32Array(6), [2, 3], { gain: "1" as never }),
        TypeError,
        /xavierNormal: gain must be a finite number/,
      ],
      [
        "gain out of range",
        () => pk.xavierNormal(new Float32Array(6), [2, 3], { gain: Infinity }),
        RangeError,
        /xavierNormal: gain must be a finite number/,
      ],
    ];
    for (const [what, call, Class, message] of cases) {
      let thrown: unknown = null;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown?.constructor, what).toBe(Class);
      expect((thrown as Error).message, what).toMatch(message);
    }
  });
});

describe("options objects and tiny temperatures", () => {
  it("an options object with a prototype of the caller's, a Map, a Date or a class instance is refused; a null-prototype or other-realm object is fine", async () => {
    await pk.init();
    const x = randomLogits(6, 1);
    for (const options of [Object.create({ temprature: 100 }), new Map(), new Date(0), new (class Options {})()]) {
      expect(() => pk.softmax(x, 3, options)).toThrow(
        /^softmax: options must be a plain object \(\{ … \}\), got an object/,
      );
    }
    const bare = Object.assign(Object.create(null), { temperature: 2 });
    expect(Array.from(pk.softmax(x, 3, bare))).toEqual(Array.from(pk.softmax(x, 3, { temperature: 2 })));
    const { runInNewContext } = await import("node:vm");
    expect(Array.from(pk.softmax(x, 3, runInNewContext("({ temperature: 2 })")))).toEqual(
      Array.from(pk.softmax(x, 3, { temperature: 2 })),
    );
  });

  it("a temperature whose reciprocal overflows float32 is a RangeError (it gave NaN); the smallest allowed one works", async () => {
    await pk.init();
    const x = Float32Array.of(1, 2, 3);
    for (const call of [
      () => pk.entropy(x, 3, { temperature: 1e-39 }),
      () => pk.softmax(x, 3, { temperature: 1e-39 }),
      () => pk.crossEntropy(x, [0], 3, { temperature: 1e-39 }),
      () => pk.distillationLoss(x, x, 3, { temperature: 1e-39 }),
    ]) {
      expect(call).toThrow(RangeError);
      expect(call).toThrow(/temperature must be at least 2.94e-39 \(1\/T must be a finite float32\), got 1e-39/);
    }
    expect(Array.from(pk.softmax(x, 3, { temperature: 3e-39 }))).toEqual([0, 0, 1]);
  });
});
