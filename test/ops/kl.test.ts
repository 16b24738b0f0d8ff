// klDiv, klDivBackward and klDivWithGrad against the plain-TS reference on every build: every
// row length around the vector width, every reduction, log and plain targets, and the special
// values PyTorch defines (a zero target adds 0 unless the input is −Infinity; a negative
// target is NaN, not an error); in place, in wasm memory, chunked; bad input.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, PROB_TOL, randomLogits, randomTargets, rng } from "../helpers.js";

/** log-probabilities and probabilities with zeros, a negative, NaN and −Infinity sprinkled in. */
function inputs(rows: number, classes: number, seed: number): [Float32Array, Float32Array] {
  const target = randomTargets(rows, classes, seed);
  const input = pk.logSoftmax(randomLogits(rows * classes, seed + 1), classes);
  const next = rng(seed + 2);
  for (let i = 0; i < target.length; i++) {
    const u = next();
    if (u < 0.08) target[i] = 0;
    else if (u < 0.09) target[i] = -0.25;
    else if (u < 0.1) input[i] = -Infinity;
    else if (u < 0.105) input[i] = NaN;
  }
  return [input, target];
}

describeBuilds("kl_div", () => {
  it.each([1, 3, 4, 5, 8, 13, 33, 1000, 4099])("rows of %i, every reduction, plain and log targets", (classes) => {
    const [input, target] = inputs(5, classes, classes);
    const logTarget = pk.logSoftmax(randomLogits(5 * classes, 7), classes);
    for (const reduction of ["mean", "batchmean", "sum", "none"] as const) {
      for (const [t, lt] of [
        [target, false],
        [logTarget, true],
      ] as const) {
        const options = { reduction, logTarget: lt };
        const want = ref.klDivWithGrad(input, t, classes, options);
        const got = pk.klDivWithGrad(input, t, classes, options);
        expect(mismatch(got.loss, want.loss, LOG_TOL), `${reduction} ${lt}`).toBeNull();
        expect(mismatch(got.grad, want.grad, PROB_TOL)).toBeNull();
        expect(mismatch(pk.klDiv(input, t, classes, options), want.loss, LOG_TOL)).toBeNull();
      }
    }
  });

  it("a zero target adds 0, or NaN against −Infinity; a negative target is NaN", () => {
    const input = Float32Array.from([-1, -Infinity, -2, -1]);
    const target = Float32Array.from([0, 0, -0.5, 1]);
    const none = pk.klDiv(input, target, 4, { reduction: "none" });
    expect(none[0]).toBe(0);
    expect(none[1]).toBeNaN();
    expect(none[2]).toBeNaN();
    expect(none[3]).toBeCloseTo(1, 6);
  });

  it("in place, in wasm memory, per-element gradOutput, and the same bits in one chunk or many", async () => {
    const [input, target] = inputs(37, 1000, 11);
    const expected = pk.klDivWithGrad(input, target, 1000, { reduction: "batchmean" });
    const x = input.slice();
    const inPlace = pk.klDivWithGrad(x, target, 1000, { reduction: "batchmean", out: x });
    expect(inPlace.grad).toBe(x);
    expect(Array.from(x)).toEqual(Array.from(expected.grad));
    const w = pk.allocFloat32(input.length);
    w.array.set(input);
    const resident = pk.klDivWithGrad(w.array, target, 1000, { reduction: "batchmean" });
    expect(resident.loss).toBe(expected.loss);
    w.free();
    const g = Float32Array.from({ length: input.length }, (_, i) => (i % 7) - 3);
    const perElement = pk.klDivBackward(input, target, 1000, { reduction: "none", gradOutput: g });
    expect(
      mismatch(perElement, ref.klDivBackward(input, target, 1000, { reduction: "none", gradOutput: g }), PROB_TOL),
    ).toBeNull();
    const build = pk.runtimeInfo().build;
    await pk.init({ build, arenaBytes: 1 });
    const tiny = pk.klDivWithGrad(input, target, 1000, { reduction: "batchmean" });
    await pk.init({ build, arenaBytes: pk.DEFAULT_ARENA_BYTES });
    expect(tiny.loss).toBe(expected.loss);
    expect(Array.from(tiny.grad)).toEqual(Array.from(expected.grad));
  });

  it("a block with a special value is redone in float64 (plain and log targets); in place, out of place and resident give the same bits", () => {
    // Mostly clean rows (the vector pass), a few targets it does not cover (negative, subnormal,
    // −0, +Infinity) and terms whose f32 lane sums overflow, each in its own 1024-element block.
    const classes = 4099,
      rows = 6;
    // Targets uncovered by the vector formula but with a finite loss (subnormal, −0), and two
    // terms of 2.7e40 (f32 lane sums overflow, the float64 sum does not) …
    const finite: [number, number, number][] = [
      [1500, 1e-40, -2],
      [3000, -0, -1],
      [9000, 3e38, -1],
      [9001, 3e38, -1],
      [20000, 2e-39, -1],
    ];
    // … and values PyTorch turns into NaN or Infinity (a negative target, 0·−Infinity, NaN, +Infinity).
    const nonFinite: [number, number, number][] = [
      [5, -1e-3, -1],
      [4200, Infinity, -3],
      [6000, 0, -Infinity],
      [13000, 0.5, NaN],
    ];
    // Log targets: below the least argument whose exp is a normal float, above 0, and two whose
    // f32 product overflows; then NaN, −Infinity (0·−∞) and an input of +Infinity.
    const finiteLog: [number, number, number][] = [
      [1500, -100, -2],
      [3000, 0.5, -1],
      [9000, 80, -1e38],
      [20000, -87.5, -1],
    ];
    const nonFiniteLog: [number, number, number][] = [
      [5, NaN, -1],
      [4200, -Infinity, -3],
      [6000, -1, Infinity],
    ];
    let input: Float32Array = new Float32Array(0),
      target: Float32Array = new Float32Array(0);
    for (const logTarget of [false, true]) {
      const sets = logTarget ? [finiteLog, [...finiteLog, ...nonFiniteLog]] : [finite, [...finite, ...nonFinite]];
      for (const specials of sets) {
        input = pk.logSoftmax(randomLogits(rows * classes, 21), classes);
        target = logTarget
          ? pk.logSoftmax(randomLogits(rows * classes, 23), classes)
          : randomTargets(rows, classes, 22);
        for (const [i, t, x] of specials) {
          target[i] = t;
          input[i] = x;
        }
        for (const reduction of ["sum", "none"] as const) {
          const options = { reduction, logTarget };
          const want = ref.klDivWithGrad(input, target, classes, options);
          const copied = pk.klDivWithGrad(input, target, classes, options);
          if (specials === sets[0] && reduction === "sum")
            expect(Number.isFinite(copied.loss), `logTarget ${logTarget}`).toBe(true);
          expect(mismatch(copied.loss, want.loss, LOG_TOL), `${reduction} logTarget ${logTarget}`).toBeNull();
          expect(mismatch(copied.grad, want.grad, PROB_TOL)).toBeNull();
          const x = input.slice();
          const inPlace = pk.klDivWithGrad(x, target, classes, { ...options, out: x });
          expect(inPlace.loss).toEqual(copied.loss);
          expect(Array.from(x)).toEqual(Array.from(copied.grad));
          const w = pk.allocFloat32(input.length);
          w.array.set(input);
          const resident = pk.klDivWithGrad(w.array, target, classes, { ...options, out: w.array });
          expect(resident.loss).toEqual(copied.loss);
          expect(Array.from(resident.grad)).toEqual(Array.from(copied.grad));
          w.free();
        }
      }
    }
    input = pk.logSoftmax(randomLogits(rows * classes, 21), classes);
    target = randomTargets(rows, classes, 22);
    for (const [i, t, x] of finite) {
      target[i] = t;
      input[i] = x;
    }
    const pointwise = pk.klDiv(input, target, classes, { reduction: "none" });
    const y = input.slice();
    expect(pk.klDiv(y, target, classes, { reduction: "none", out: y })).toBe(y);
    expect(Array.from(y)).toEqual(Array.from(pointwise));
    expect(mismatch(pointwise, ref.klDiv(input, target, classes, { reduction: "none" }), LOG_TOL)).toBeNull();
  });
});

describe("kl_div bad input", () => {
  const x = randomLogits(40, 1),
    t = randomTargets(4, 10, 2);
  it.each([
    [
      () => pk.klDiv(x, t.subarray(0, 30), 10),
      RangeError,
      /klDiv: target must have the input's length \(40\), got length 30/,
    ],
    [
      () => pk.klDiv(x, new Float64Array(40) as unknown as Float32Array, 10),
      TypeError,
      /klDiv: target must be a Float32Array, got a Float64Array/,
    ],
    [
      () => pk.klDiv(x, t, 10, { reduction: "avg" as pk.KlReduction }),
      RangeError,
      /reduction must be "mean", "batchmean", "sum" or "none", got the string "avg"/,
    ],
    [
      () => pk.klDiv(x, t, 10, { logTarget: 1 as unknown as boolean }),
      TypeError,
      /klDiv: logTarget must be a boolean, got 1/,
    ],
    [
      () => pk.klDiv(x, t, 10, { out: new Float32Array(40) }),
      RangeError,
      /klDiv: out holds the pointwise terms and needs reduction "none"/,
    ],
    [
      () => pk.klDivBackward(x, t, 10, { gradOutput: [1, 2] }),
      RangeError,
      /gradOutput must be a number with reduction "mean"/,
    ],
    [
      () => pk.klDivBackward(x, t, 10, { reduction: "none", gradOutput: [1, 2] }),
      RangeError,
      /gradOutput must have one value per element \(40\), got length 2/,
    ],
    [() => pk.klDivWithGrad(x, t, 10, { out: t }), RangeError, /klDivWithGrad: out overlaps target/],
  ] as const)("%#", (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
