// accumulate: true adds a gradient into `out` instead of overwriting it (combining two losses
// into one buffer): out afterwards = what it held + the gradient, element for element (float32
// sums), for every gradient-producing function, on every build, in chunks, in wasm memory.
import { beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, mismatch, PROB_TOL, randomLabels, randomLogits } from "../helpers.js";

const rows = 9,
  classes = 37,
  n = rows * classes;
const x = randomLogits(n, 1),
  t = randomLogits(n, 2);
const labels = randomLabels(rows, classes, 3);
// Made by the reference (no init needed at import time).
const probs = ref.softmax(t, classes);
const logP = ref.logSoftmax(x, classes);
const binary = Float32Array.from(probs, (p) => (p > 1 / classes ? 1 : 0));

/** Each gradient function, called with extra options. */
const CALLS: [string, (m: typeof pk | typeof ref, o: { out?: Float32Array; accumulate?: boolean }) => Float32Array][] =
  [
    ["crossEntropyBackward", (m, o) => m.crossEntropyBackward(x, labels, classes, { labelSmoothing: 0.1, ...o })],
    ["crossEntropyWithGrad (soft)", (m, o) => m.crossEntropyWithGrad(x, probs, classes, o).grad],
    ["nllLossWithGrad", (m, o) => m.nllLossWithGrad(logP, labels, classes, o).grad],
    ["klDivWithGrad", (m, o) => m.klDivWithGrad(logP, probs, classes, { reduction: "batchmean", ...o }).grad],
    [
      "binaryCrossEntropyWithLogitsWithGrad",
      (m, o) => m.binaryCrossEntropyWithLogitsWithGrad(x, binary, classes, o).grad,
    ],
    ["distillationLoss", (m, o) => m.distillationLoss(x, t, classes, { temperature: 2, labels, ...o }).grad],
  ];

const start = () => Float32Array.from({ length: n }, (_, i) => (i % 11) / 4 - 1);
const sum = (a: Float32Array, b: Float32Array) => Float32Array.from(a, (v, i) => v + b[i]);

describeBuilds("accumulate", (build) => {
  it.each(CALLS)("%s: out + gradient, whole and in chunks, JS and wasm memory", async (_, call) => {
    const grad = call(pk, {});
    const want = sum(start(), grad);
    const out = start();
    expect(call(pk, { out, accumulate: true })).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(want));
    expect(mismatch(call(ref, { out: start(), accumulate: true }), want, PROB_TOL)).toBeNull();
    const w = pk.allocFloat32(n);
    w.array.set(start());
    call(pk, { out: w.array, accumulate: true });
    expect(Array.from(w.array)).toEqual(Array.from(want));
    w.free();
    await pk.init({ build, arenaBytes: 1 });
    const chunked = start();
    call(pk, { out: chunked, accumulate: true });
    await pk.init({ build, arenaBytes: pk.DEFAULT_ARENA_BYTES });
    expect(Array.from(chunked)).toEqual(Array.from(want));
  });

  it("two losses into one buffer: CE on the labels plus 0.5 × KL to a teacher", () => {
    const grad = new Float32Array(n);
    pk.crossEntropyWithGrad(x, labels, classes, { out: grad });
    pk.klDivWithGrad(pk.logSoftmax(x, classes), probs, classes, {
      reduction: "batchmean",
      gradOutput: 0.5,
      out: grad,
      accumulate: true,
    });
    const a = pk.crossEntropyBackward(x, labels, classes);
    const b = pk.klDivBackward(pk.logSoftmax(x, classes), probs, classes, { reduction: "batchmean", gradOutput: 0.5 });
    expect(Array.from(grad)).toEqual(Array.from(sum(a, b)));
  });
});

describe("accumulate bad input", () => {
  beforeAll(async () => {
    await pk.init();
  });
  it.each([
    [
      () => pk.crossEntropyBackward(x, labels, classes, { accumulate: true }),
      TypeError,
      /crossEntropyBackward: accumulate adds the gradient into out: pass out/,
    ],
    [
      () => pk.klDivWithGrad(logP, probs, classes, { accumulate: 1 as unknown as boolean, out: new Float32Array(n) }),
      TypeError,
      /accumulate must be a boolean, got 1/,
    ],
    [
      () => pk.crossEntropy(x, labels, classes, { accumulate: true } as never),
      TypeError,
      /crossEntropy: unknown option "accumulate"/,
    ],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
