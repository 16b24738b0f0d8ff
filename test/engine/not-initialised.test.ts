// A kernel called before init() gets an error that says to await init(). Vitest runs each test
// file in its own module graph, and this file never calls init().
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";

it.each([
  ["softmax", () => pk.softmax(new Float32Array(3), 3)],
  ["logSoftmax", () => pk.logSoftmax(new Float32Array(3), 3)],
  ["logSumExp", () => pk.logSumExp(new Float32Array(3), 3)],
  ["crossEntropy", () => pk.crossEntropy(new Float32Array(3), [0], 3)],
  ["crossEntropyBackward", () => pk.crossEntropyBackward(new Float32Array(3), [0], 3)],
  ["crossEntropyWithGrad", () => pk.crossEntropyWithGrad(new Float32Array(3), [0], 3)],
])("%s before init() throws and says to await init()", (name, call) => {
  // A wrong state is an Error (not a TypeError or RangeError: nothing about the arguments is wrong).
  let thrown: unknown = null;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown?.constructor).toBe(Error);
  expect(call).toThrow(new RegExp(`^${name}: probkernels is not initialised; await init\\(\\)`));
});

it("runtimeInfo before init() is the same Error, named", () => {
  expect(() => pk.runtimeInfo()).toThrow(
    new Error("runtimeInfo: probkernels is not initialised; await init() (or call initSync()) first"),
  );
});

it("works once init() has resolved, not before", async () => {
  const pending = pk.init();
  expect(() => pk.softmax(new Float32Array(2), 2)).toThrow(/await init\(\)/);
  const info = await pending;
  expect(["relaxed-simd", "simd", "scalar"]).toContain(info.build);
  expect(Array.from(pk.softmax(new Float32Array([0, 0]), 2))).toEqual([0.5, 0.5]);
});
