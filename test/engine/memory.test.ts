// Batching and memory: results do not depend on the chunk size, in-place calls work, memory is
// bounded by the largest chunk however many calls are made and however large the batch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, randomLabels, randomLogits, randomTargets, rng } from "../helpers.js";

const PAGE = 65536;

/** Every kernel's output on one input, for comparing runs with different arenas. */
function everything(x: Float32Array, classes: number, labels: Int32Array, soft: Float32Array) {
  const weight = Float32Array.from({ length: classes }, (_, i) => 0.5 + (i % 3));
  return {
    softmax: pk.softmax(x, classes, { temperature: 0.9 }),
    logSoftmax: pk.logSoftmax(x, classes),
    logSumExp: pk.logSumExp(x, classes, { temperature: 1.7 }),
    mean: pk.crossEntropy(x, labels, classes, { weight, labelSmoothing: 0.1 }),
    sum: pk.crossEntropy(x, labels, classes, { reduction: "sum" }),
    none: pk.crossEntropy(x, labels, classes, { reduction: "none" }),
    withGrad: pk.crossEntropyWithGrad(x, labels, classes, { weight, temperature: 2 }),
    soft: pk.crossEntropyWithGrad(x, soft, classes, {
      reduction: "none",
      gradOutput: Float32Array.from(labels, (y) => y / 3),
    }),
  };
}

describeBuilds("chunking and in-place use", (build) => {
  afterAll(async () => {
    await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
  });

  it.each([
    [37, 5],
    [64, 33],
    [9, 1000],
    [3, 4099],
  ])("the same bits with one row per chunk and with one chunk (%i×%i)", async (rows, classes) => {
    const x = randomLogits(rows * classes, rows + classes);
    const labels = randomLabels(rows, classes, 3);
    labels[1] = -100;
    const soft = randomTargets(rows, classes, 4);
    await pk.init({ build, arenaBytes: 1 });
    const tiny = everything(x, classes, labels, soft);
    await pk.init({ build, arenaBytes: 7 * classes * 4 + 300 });
    const middling = everything(x, classes, labels, soft);
    await pk.init({ build, arenaBytes: 64 << 20 });
    const whole = everything(x, classes, labels, soft);
    expect(tiny).toEqual(whole);
    expect(middling).toEqual(whole);
  });

  it.each([37, 7])("out may be the input itself (%i classes: row-wise and short-row paths)", async (classes) => {
    await pk.init({ build });
    const x = randomLogits(11 * classes, 5);
    const labels = randomLabels(11, classes, 6);
    for (const fn of [pk.softmax, pk.logSoftmax]) {
      const expected = fn(x, classes, { temperature: 0.5 });
      const y = x.slice();
      expect(fn(y, classes, { temperature: 0.5, out: y })).toBe(y);
      expect(y).toEqual(expected);
    }
    const expectedGrad = pk.crossEntropyBackward(x, labels, classes, { labelSmoothing: 0.2 });
    const y = x.slice();
    expect(pk.crossEntropyBackward(y, labels, classes, { labelSmoothing: 0.2, out: y })).toBe(y);
    expect(y).toEqual(expectedGrad);
    const z = x.slice();
    const both = pk.crossEntropyWithGrad(z, labels, classes, { out: z });
    expect(both.grad).toBe(z);
    expect(both.loss).toBe(pk.crossEntropy(x, labels, classes));
  });

  it("out given separately is filled and returned; per-row losses go to out with 'none'", async () => {
    await pk.init({ build });
    const x = randomLogits(6 * 8, 8);
    const out = new Float32Array(48);
    expect(pk.softmax(x, 8, { out })).toBe(out);
    expect(out).toEqual(pk.softmax(x, 8));
    const losses = new Float32Array(6);
    expect(pk.crossEntropy(x, [0, 1, 2, 3, 4, 5], 8, { reduction: "none", out: losses })).toBe(losses);
    expect(losses).toEqual(pk.crossEntropy(x, [0, 1, 2, 3, 4, 5], 8, { reduction: "none" }));
  });
});

describe("memory stays bounded", () => {
  beforeAll(async () => {
    await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
  });

  it("20,000 sampling and uniform calls of varying shapes stay within static data + the arena budget", () => {
    const next = rng(7);
    const x = randomLogits(16 * 4000, 4);
    const g = new pk.RandomGenerator(3);
    const start = pk.runtimeInfo().memoryBytes;
    for (let i = 0; i < 20_000; i++) {
      const classes = 1 + Math.floor(next() * 4000);
      const rows = Math.floor(next() * Math.floor(x.length / classes / 4));
      const input = x.subarray(0, rows * classes);
      switch (i % 4) {
        case 0:
          pk.sampleCategorical(input, classes, { topP: 0.9, generator: g });
          break;
        case 1:
          pk.filterLogits(input, classes, { topK: 5, minP: 0.05 });
          break;
        case 2:
          pk.randomUniform(rows * 10, { low: -1, high: 1 });
          break;
        case 3:
          pk.randomInt(rows * 10, 0, 1000);
          break;
      }
    }
    // The widest row's scratch (64 KB of histograms + 24 bytes per class) and a row fit the budget.
    const info = pk.runtimeInfo();
    expect(2 * 4096 * 8 + 24 * 4000 + 2 * 4000 * 4).toBeLessThan(info.arenaBytes);
    expect(info.memoryBytes).toBeLessThanOrEqual(Math.max(Math.ceil((PAGE + info.arenaBytes) / PAGE) * PAGE, start));
  });

  it("100,000 calls of varying shapes do not grow memory past the largest chunk", () => {
    const next = rng(99);
    const x = randomLogits(64 * 300, 1);
    const soft = randomTargets(64, 300, 2);
    const labels = randomLabels(64, 300, 3);
    const start = pk.runtimeInfo().memoryBytes;
    let largestRowBytes = 0;
    for (let i = 0; i < 100_000; i++) {
      const classes = 1 + Math.floor(next() * 300);
      const rows = Math.floor(next() * 64);
      const n = rows * classes;
      const input = x.subarray(0, n);
      largestRowBytes = Math.max(largestRowBytes, classes * 8 + 16);
      switch (i % 5) {
        case 0:
          pk.softmax(input, classes);
          break;
        case 1:
          pk.logSumExp(input, classes);
          break;
        case 2:
          pk.crossEntropy(
            input,
            labels.subarray(0, rows).map((y) => y % classes),
            classes,
          );
          break;
        case 3:
          pk.crossEntropyWithGrad(input, soft.subarray(0, n), classes, { reduction: "none" });
          break;
        case 4:
          pk.logSoftmax(input, classes, { temperature: 2 });
          break;
      }
    }
    const info = pk.runtimeInfo();
    // Static data is one page; the arena holds at most its budget (these rows are all smaller).
    const bound = Math.ceil((PAGE + info.arenaBytes) / PAGE) * PAGE;
    expect(largestRowBytes).toBeLessThan(info.arenaBytes);
    expect(info.memoryBytes).toBeLessThanOrEqual(Math.max(bound, start));
  });

  it("a 400 MB batch runs through the arena without the arena growing to hold it", () => {
    const classes = 1000;
    const rows = 100_000; // 100,000 × 1000 float32 = 400 MB
    const pattern = randomLogits(classes * 8, 12);
    const x = new Float32Array(rows * classes);
    for (let r = 0; r < rows; r += 8) x.set(pattern, r * classes);
    const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7) % classes);
    const lse = pk.logSumExp(x, classes);
    const loss = pk.crossEntropy(x, labels, classes) as number;
    const memoryBytes = pk.runtimeInfo().memoryBytes;
    expect(memoryBytes).toBeLessThan(4 << 20);
    // Rows repeat every 8: each LSE equals the reference's on the pattern.
    const expected = ref.logSumExp(pattern, classes);
    for (let r = 0; r < rows; r += 997) expect(mismatch([lse[r]], [expected[r % 8]], LOG_TOL), `row ${r}`).toBeNull();
    // The mean loss over the whole batch against the reference over the same rows.
    const perRow = (r: number) =>
      ref.crossEntropy(pattern.subarray((r % 8) * classes, ((r % 8) + 1) * classes), [labels[r]], classes) as number;
    let total = 0;
    for (let r = 0; r < rows; r++) total += perRow(r);
    expect(mismatch([loss], [total / rows], LOG_TOL)).toBeNull();
  });
});
