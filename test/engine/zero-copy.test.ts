// The zero-copy tier: arrays allocated inside wasm memory are read and written in place, give
// the same bits as the copying path in every combination, and stale views are refused.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { describeBuilds, randomLabels, randomLogits, randomTargets } from "../helpers.js";

function inWasm(values: Float32Array): pk.WasmArray<Float32Array> {
  const a = pk.allocFloat32(values.length);
  a.array.set(values);
  return a;
}

describeBuilds(
  "zero-copy",
  (_build) => {
    it.each([
      [37, 5],
      [9, 1000],
      [2, 4099],
    ])("every input/output placement gives the copying path's bits (%i×%i)", (rows, classes) => {
      const x = randomLogits(rows * classes, rows * classes);
      const labels = randomLabels(rows, classes, 3);
      const soft = randomTargets(rows, classes, 4);
      const expected = {
        softmax: pk.softmax(x, classes, { temperature: 0.7 }),
        logSoftmax: pk.logSoftmax(x, classes),
        logSumExp: pk.logSumExp(x, classes),
        hard: pk.crossEntropyWithGrad(x, labels, classes, { labelSmoothing: 0.1 }),
        soft: pk.crossEntropyWithGrad(x, soft, classes, { reduction: "none" }),
      };
      const xw = inWasm(x);
      const lw = pk.allocInt32(rows);
      lw.array.set(labels);
      const sw = inWasm(soft);
      // Allocated up front: an allocation may grow memory and detach views read before it.
      const outWasm = pk.allocFloat32(rows * classes);
      const outWasmRows = pk.allocFloat32(rows);
      for (const input of ["js", "wasm"] as const) {
        for (const output of ["new", "js", "wasm", "in place"] as const) {
          const what = `${input} input, ${output} output`;
          const src = () => (input === "js" ? x.slice() : (xw.array.set(x), xw.array));
          const outFor = (length: number, source: Float32Array) =>
            output === "new"
              ? undefined
              : output === "js"
                ? new Float32Array(length)
                : output === "wasm"
                  ? (length === rows ? outWasmRows : outWasm).array
                  : length === source.length
                    ? source
                    : undefined;
          for (const fn of ["softmax", "logSoftmax"] as const) {
            const s = src();
            const out = outFor(s.length, s);
            const result =
              fn === "softmax" ? pk.softmax(s, classes, { temperature: 0.7, out }) : pk.logSoftmax(s, classes, { out });
            expect(Array.from(result), `${fn}, ${what}`).toEqual(Array.from(expected[fn]));
            if (out) expect(result).toBe(out);
          }
          {
            const s = src();
            const out = output === "in place" ? undefined : outFor(rows, s);
            expect(Array.from(pk.logSumExp(s, classes, { out })), `logSumExp, ${what}`).toEqual(
              Array.from(expected.logSumExp),
            );
          }
          for (const target of [labels, lw.array] as const) {
            const s = src();
            const r = pk.crossEntropyWithGrad(s, target, classes, { labelSmoothing: 0.1, out: outFor(s.length, s) });
            expect(r.loss, `hard loss, ${what}`).toBe(expected.hard.loss);
            expect(Array.from(r.grad), `hard grad, ${what}`).toEqual(Array.from(expected.hard.grad));
          }
          for (const target of [soft, sw.array]) {
            const s = src();
            const r = pk.crossEntropyWithGrad(s, target, classes, { reduction: "none", out: outFor(s.length, s) });
            expect(Array.from(r.loss as Float32Array), `soft loss, ${what}`).toEqual(
              Array.from(expected.soft.loss as Float32Array),
            );
            expect(Array.from(r.grad), `soft grad, ${what}`).toEqual(Array.from(expected.soft.grad));
          }
        }
      }
    });

    it("a wasm-resident input is not modified unless it is also the output", () => {
      const x = randomLogits(5 * 40, 1);
      const xw = inWasm(x);
      pk.softmax(xw.array, 40);
      pk.crossEntropyWithGrad(xw.array, [1, 2, 3, 4, 5], 40);
      pk.crossEntropyWithGrad(xw.array, [1, 2, 3, 4, 5], 40, { out: pk.allocFloat32(200).array });
      expect(Array.from(xw.array)).toEqual(Array.from(x));
      xw.free();
    });

    it("refuses a view detached by memory growth and says how to re-acquire it", () => {
      const a = pk.allocFloat32(100);
      const view = a.array;
      pk.allocFloat32(4 << 20); // 16 MB: memory must grow
      expect(view.length).toBe(0);
      expect(() => pk.softmax(view, 10)).toThrow(TypeError);
      expect(() => pk.softmax(view, 10)).toThrow(/logits is a view of a detached ArrayBuffer.*read \.array again/);
      expect(() =>
        pk.crossEntropy(new Float32Array(100), new Int32Array(10), 10, { out: view, reduction: "none" }),
      ).toThrow(/out is a view of a detached/);
      expect(a.array.length).toBe(100);
      expect(pk.softmax(a.array, 10).length).toBe(100);
    });

    it("freed blocks are reused: allocating and freeing in a loop does not grow memory", () => {
      pk.allocFloat32(1000).free();
      const before = pk.runtimeInfo().memoryBytes;
      for (let i = 0; i < 10_000; i++) {
        const a = pk.allocFloat32(1 + (i % 5000));
        const b = pk.allocInt32(1 + (i % 300));
        pk.softmax(a.array, 1);
        a.free();
        b.free();
      }
      expect(pk.runtimeInfo().memoryBytes).toBe(before);
    });

    it("rejects bad lengths and use after free", () => {
      expect(() => pk.allocFloat32(-1)).toThrow(RangeError);
      expect(() => pk.allocFloat32(1.5)).toThrow(/allocFloat32: length must be an integer from 0 to 2\^30, got 1\.5/);
      expect(() => pk.allocInt32("3" as unknown as number)).toThrow(TypeError);
      const a = pk.allocFloat32(4);
      a.free();
      expect(() => a.array).toThrow(/freed/);
    });
  },
  { arenaBytes: 4096 },
);

it("arrays from a previous init() of another build are refused", async () => {
  await pk.init({ build: "scalar" });
  const a = pk.allocFloat32(4);
  await pk.init({ build: "simd" });
  expect(() => a.array).toThrow(/init\(\) switched to another build/);
});

describe("memory growth during a call", () => {
  /** A new instance (fresh, small memory) with a tiny arena. */
  async function freshRuntime() {
    await pk.init({ build: "scalar" });
    await pk.init({ build: "simd", arenaBytes: 1024 });
  }

  it("wasm-resident arrays stay correct when a row larger than the arena grows memory mid-call", async () => {
    await freshRuntime();
    // Rows longer than all the memory the module has now: staging one must grow memory.
    const classes = pk.runtimeInfo().memoryBytes / 4 + 1000;
    const values = randomLogits(2 * classes, 77);
    const labels = [3, 5];
    const expected = {
      softmax: Array.from(pk.softmax(values, classes)),
      lse: Array.from(pk.logSumExp(values, classes)),
      ce: pk.crossEntropyWithGrad(values, labels, classes),
    };
    const grew = (call: () => void) => {
      const before = pk.runtimeInfo().memoryBytes;
      call();
      expect(pk.runtimeInfo().memoryBytes, "memory grew during the call").toBeGreaterThan(before);
    };

    const input = inWasm(values); // input in wasm, output in JS: the result region grows memory
    grew(() =>
      expect(Array.from(pk.softmax(input.array, classes, { out: new Float32Array(values.length) }))).toEqual(
        expected.softmax,
      ),
    );

    await freshRuntime();
    const rowsOut = pk.allocFloat32(2); // output in wasm, input staged: grows; the output view is re-made
    grew(() => expect(Array.from(pk.logSumExp(values, classes, { out: rowsOut.array }))).toEqual(expected.lse));

    await freshRuntime();
    const logits = inWasm(values); // logits in wasm, gradient to JS: the gradient region grows memory
    grew(() => {
      const r = pk.crossEntropyWithGrad(logits.array, labels, classes);
      expect(r.loss).toBe(expected.ce.loss);
      expect(Array.from(r.grad)).toEqual(Array.from(expected.ce.grad));
    });
    await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
  });
});

describe("sampling into wasm memory", () => {
  it("a detached view is refused by both generator kinds", async () => {
    await pk.init();
    const a = pk.allocFloat32(16);
    const view = a.array;
    pk.allocFloat32(4 << 20); // grows memory
    for (const compat of ["philox", "torch"] as const) {
      expect(() => new pk.RandomGenerator(1, { compat }).fill(view)).toThrow(
        /RandomGenerator\.fill: out is a view of a detached ArrayBuffer/,
      );
    }
    expect(() => pk.randomNormal(16, { seed: 1, out: view })).toThrow(
      /randomNormal: out is a view of a detached ArrayBuffer/,
    );
    expect(pk.randomNormal(16, { seed: 1, out: a.array })).toBe(a.array);
  });
});
