// The small-call path (engine/small-call.ts): a call of a few kilobytes over ordinary arrays runs
// its export once from the arena's base. It must give the general path's bits for every option,
// refuse what the general path refuses, and leave every other case to the general path.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { requireRuntime } from "../../src/engine/runtime.js";
import { SMALL_CALL_BYTES } from "../../src/engine/small-call.js";
import { describeBuilds, randomLabels, randomLogits, randomTargets } from "../helpers.js";

/** A copy of `values` in wasm memory: a resident operand always takes the general path. */
function inWasm<T extends Float32Array | Int32Array>(values: T): T {
  const a = values instanceof Float32Array ? pk.allocFloat32(values.length) : pk.allocInt32(values.length);
  a.array.set(values);
  return a.array as T;
}

/** Whether `call` staged `x` at the arena's base, as only the small-call path lays it out. */
function stagedAtBase(x: Float32Array, call: () => unknown): boolean {
  const arena = requireRuntime("test").arena;
  const at = arena.base / 4;
  arena.f32.fill(Number.NaN, at, at + x.length);
  call();
  return x.every((v, i) => Object.is(requireRuntime("test").arena.f32[at + i], v));
}

const bits = (a: Float32Array | number) => (typeof a === "number" ? [a] : Array.from(a));

// Shapes from one element to just above the small-call size (the last takes the general path).
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 10],
  [3, 7],
  [8, 10],
  [5, 64],
  [1, 1000],
  [16, 240],
];

describeBuilds("small calls", () => {
  it("the row kernels give the general path's bits, in place and with every output placement", () => {
    for (const [rows, classes] of SHAPES) {
      const x = randomLogits(rows * classes, rows + classes);
      x[0] = Number.NEGATIVE_INFINITY;
      for (const fn of [pk.softmax, pk.logSoftmax, pk.logSumExp, pk.entropy]) {
        for (const temperature of [1, 0.7]) {
          const general = bits(fn(inWasm(x), classes, { temperature }));
          expect(bits(fn(x, classes, { temperature })), `${fn.name} ${rows}×${classes}`).toEqual(general);
          const perRow = general.length / rows;
          const out = new Float32Array(rows * perRow);
          expect(fn(x, classes, { temperature, out })).toBe(out);
          expect(bits(out)).toEqual(general);
          if (perRow === classes) {
            const inPlace = x.slice();
            expect(fn(inPlace, classes, { temperature, out: inPlace })).toBe(inPlace);
            expect(bits(inPlace)).toEqual(general);
          }
        }
      }
    }
  });

  it("cross-entropy gives the general path's bits under every option", () => {
    const cases: pk.CrossEntropyBackwardOptions[] = [
      {},
      { reduction: "sum" },
      { reduction: "none" },
      { labelSmoothing: 0.1, temperature: 1.5 },
      { weight: new Float32Array([0.5, 2, 1, 1, 3, 0.25, 1, 1, 1, 2]), ignoreIndex: 2 },
      { reduction: "none", gradOutput: [0.5, -1, 2, 0, 1, 1, 3, 1] },
      { gradOutput: 0.25, labelSmoothing: 0.2 },
    ];
    const rows = 8,
      classes = 10;
    const x = randomLogits(rows * classes, 5);
    const labels = randomLabels(rows, classes, 6);
    labels[3] = 2;
    const soft = randomTargets(rows, classes, 7);
    const xw = inWasm(x);
    for (const options of cases) {
      for (const target of [labels, soft]) {
        if (target === soft && "ignoreIndex" in options) continue;
        const what = `${JSON.stringify(options)} ${target === soft ? "soft" : "hard"}`;
        const { gradOutput: _, ...forward } = options;
        expect(bits(pk.crossEntropy(x, target, classes, forward)), what).toEqual(
          bits(pk.crossEntropy(xw, target, classes, forward)),
        );
        const small = pk.crossEntropyWithGrad(x, target, classes, options);
        const general = pk.crossEntropyWithGrad(xw, target, classes, options);
        expect(bits(small.loss), what).toEqual(bits(general.loss));
        expect(bits(small.grad), what).toEqual(bits(general.grad));
        expect(bits(pk.crossEntropyBackward(x, target, classes, options)), what).toEqual(bits(general.grad));
      }
    }
  });

  it("takes the small path for small ordinary arrays only", () => {
    const x = randomLogits(80, 1);
    expect(stagedAtBase(x, () => pk.softmax(x, 10))).toBe(true);
    expect(stagedAtBase(x, () => pk.crossEntropyWithGrad(x, randomLabels(8, 10, 2), 10))).toBe(true);
    // Larger than a small call: the general path (staged after its scratch).
    const big = randomLogits(SMALL_CALL_BYTES / 4, 3);
    expect(stagedAtBase(big.subarray(0, 16), () => pk.softmax(big, 1024))).toBe(false);
    // A SharedArrayBuffer (another handle may alias it): the general path's checks.
    const shared = new Float32Array(new SharedArrayBuffer(320));
    shared.set(randomLogits(80, 4));
    expect(stagedAtBase(shared, () => pk.softmax(shared, 10))).toBe(false);
    // A WasmArray: used in place.
    const resident = inWasm(x);
    expect(stagedAtBase(x, () => pk.softmax(resident, 10))).toBe(false);
  });

  it("refuses an out that overlaps an input without being it, as the general path does", () => {
    const buffer = new Float32Array(90);
    buffer.set(randomLogits(90, 8));
    const x = buffer.subarray(0, 80);
    const shifted = buffer.subarray(10, 90);
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
      return "no error";
    };
    const before = buffer.slice();
    const smallError = message(() => pk.softmax(x, 10, { out: shifted }));
    expect(smallError).toMatch(/^RangeError: softmax: out overlaps logits without being the same elements/);
    const labels = randomLabels(8, 10, 9);
    expect(message(() => pk.crossEntropyWithGrad(x, labels, 10, { out: shifted }))).toMatch(
      /^RangeError: crossEntropyWithGrad: out overlaps logits/,
    );
    const labelsAsOut = new Float32Array(labels.buffer);
    expect(
      message(() => pk.crossEntropy(x, labels, 10, { reduction: "none", out: labelsAsOut.subarray(0, 8) })),
    ).toMatch(/^RangeError: crossEntropy: out overlaps target/);
    expect(buffer).toEqual(before);
  });

  it("follows the arena's base when a WasmArray is allocated, and keeps memory bounded", () => {
    const x = randomLogits(80, 10);
    const expected = pk.softmax(x, 10);
    const held = pk.allocFloat32(1 << 16);
    expect(stagedAtBase(x, () => expect(pk.softmax(x, 10)).toEqual(expected))).toBe(true);
    held.free();
    const bytes = pk.runtimeInfo().memoryBytes;
    for (let i = 0; i < 20_000; i++) pk.crossEntropyWithGrad(x, [1, 2, 3, 4, 5, 6, 7, 8], 10, { reduction: "none" });
    expect(pk.runtimeInfo().memoryBytes).toBe(bytes);
  });
});

describe("small calls with a tiny arena budget", () => {
  it("a call larger than arenaBytes takes the general path (chunks of rows) with the same bits", async () => {
    const x = randomLogits(8 * 100, 11);
    await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
    const expected = pk.logSoftmax(x, 100);
    await pk.init({ arenaBytes: 1024 });
    try {
      const row = x.subarray(0, 100);
      expect(stagedAtBase(row, () => expect(bits(pk.logSoftmax(x, 100))).toEqual(bits(expected)))).toBe(false);
    } finally {
      await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
    }
  });
});
