// The async variants (softmaxAsync, crossEntropyWithGradAsync, …): the same results as the
// synchronous functions, bit for bit, on one thread and on a threaded runtime (where a large call
// runs on the workers while the calling thread awaits them and its event loop goes on); async
// calls queue behind one another, and a synchronous call made while one runs is refused clearly;
// a detached array, a crashed worker or a bad argument fails the call, and the package stays usable.
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { splitStats } from "../../src/engine/threads/tuning.js";
import { currentRuntime } from "../../src/engine/runtime.js";
import { poolOf } from "../../src/engine/threads/threaded-runtime.js";
import { randomLabels, randomLogits, randomTargets } from "../helpers.js";

const THREADS_AVAILABLE = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === "function";

const bytes = (a: ArrayBufferView | number) =>
  Buffer.from(
    typeof a === "number"
      ? new Uint8Array(Float64Array.of(a).buffer)
      : new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)),
  );

type Result = ArrayBufferView | number | object;
const flatten = (r: Result): Buffer[] =>
  typeof r === "number" || ArrayBuffer.isView(r)
    ? [bytes(r)]
    : Object.entries(r)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, v]) => bytes(v as ArrayBufferView | number));

/**
 * Each async variant's call and its synchronous twin on the same arguments (fresh outputs each
 * time): [name, sync, async]. Arrays of `wasm` when given (zero-copy), else ordinary ones.
 */
function pairs(rows: number, classes: number, place: (a: Float32Array) => Float32Array) {
  const n = rows * classes;
  const x = place(randomLogits(n, classes, 1)),
    t = place(randomTargets(rows, classes, 2));
  const logp = place(pk.logSoftmax(x, classes)),
    variance = place(Float32Array.from({ length: rows }, (_, i) => 0.5 + (i % 5)));
  const labels = randomLabels(rows, classes, 3);
  const weight = randomTargets(1, classes, 4);
  const ce = { labelSmoothing: 0.1, weight };
  type Call = () => Result | Promise<Result>;
  const list: [string, Call, Call][] = [
    [
      "softmax",
      () => pk.softmax(x, classes, { temperature: 0.7 }),
      () => pk.softmaxAsync(x, classes, { temperature: 0.7 }),
    ],
    ["logSoftmax", () => pk.logSoftmax(x, classes), () => pk.logSoftmaxAsync(x, classes)],
    ["logSumExp", () => pk.logSumExp(x, classes), () => pk.logSumExpAsync(x, classes)],
    ["entropy", () => pk.entropy(x, classes), () => pk.entropyAsync(x, classes)],
    ["crossEntropy", () => pk.crossEntropy(x, labels, classes, ce), () => pk.crossEntropyAsync(x, labels, classes, ce)],
    [
      "crossEntropy none",
      () => pk.crossEntropy(x, t, classes, { reduction: "none" }),
      () => pk.crossEntropyAsync(x, t, classes, { reduction: "none" }),
    ],
    [
      "crossEntropyBackward",
      () => pk.crossEntropyBackward(x, labels, classes),
      () => pk.crossEntropyBackwardAsync(x, labels, classes),
    ],
    [
      "crossEntropyWithGrad",
      () => pk.crossEntropyWithGrad(x, labels, classes, ce),
      () => pk.crossEntropyWithGradAsync(x, labels, classes, ce),
    ],
    ["klDiv", () => pk.klDiv(logp, t, classes), () => pk.klDivAsync(logp, t, classes)],
    ["klDivBackward", () => pk.klDivBackward(logp, t, classes), () => pk.klDivBackwardAsync(logp, t, classes)],
    [
      "klDivWithGrad",
      () => pk.klDivWithGrad(logp, t, classes, { reduction: "batchmean" }),
      () => pk.klDivWithGradAsync(logp, t, classes, { reduction: "batchmean" }),
    ],
    ["nllLoss", () => pk.nllLoss(logp, labels, classes), () => pk.nllLossAsync(logp, labels, classes)],
    [
      "nllLossBackward",
      () => pk.nllLossBackward(logp, labels, classes),
      () => pk.nllLossBackwardAsync(logp, labels, classes),
    ],
    [
      "nllLossWithGrad",
      () => pk.nllLossWithGrad(logp, labels, classes, { weight }),
      () => pk.nllLossWithGradAsync(logp, labels, classes, { weight }),
    ],
    [
      "bce",
      () => pk.binaryCrossEntropyWithLogits(x, t, classes),
      () => pk.binaryCrossEntropyWithLogitsAsync(x, t, classes),
    ],
    [
      "bceBackward",
      () => pk.binaryCrossEntropyWithLogitsBackward(x, t, classes),
      () => pk.binaryCrossEntropyWithLogitsBackwardAsync(x, t, classes),
    ],
    [
      "bceWithGrad",
      () => pk.binaryCrossEntropyWithLogitsWithGrad(x, t, classes),
      () => pk.binaryCrossEntropyWithLogitsWithGradAsync(x, t, classes),
    ],
    [
      "distillationLoss",
      () => pk.distillationLoss(x, t, classes, { temperature: 4, alpha: 0.7, labels }) as unknown as Result,
      () =>
        pk.distillationLossAsync(x, t, classes, { temperature: 4, alpha: 0.7, labels }) as unknown as Promise<Result>,
    ],
    [
      "gaussianNllLoss",
      () => pk.gaussianNllLoss(x, t, variance, classes),
      () => pk.gaussianNllLossAsync(x, t, variance, classes),
    ],
    [
      "gaussianNllLossWithGrad",
      () => pk.gaussianNllLossWithGrad(x, t, variance, classes) as unknown as Result,
      () => pk.gaussianNllLossWithGradAsync(x, t, variance, classes) as unknown as Promise<Result>,
    ],
    ["argmax", () => pk.argmax(x, classes), () => pk.argmaxAsync(x, classes)],
    ["accuracy", () => pk.accuracy(x, labels, classes), () => pk.accuracyAsync(x, labels, classes)],
    [
      "topK",
      () => pk.topK(x, classes, { k: 3 }) as unknown as Result,
      () => pk.topKAsync(x, classes, { k: 3 }) as unknown as Promise<Result>,
    ],
    [
      "normalLogPdf",
      () => pk.normalLogPdf(x, { mean: 0.5, std: 2 }),
      () => pk.normalLogPdfAsync(x, { mean: 0.5, std: 2 }),
    ],
    ["normalPdf", () => pk.normalPdf(x, { std: 1.5 }), () => pk.normalPdfAsync(x, { std: 1.5 })],
    [
      "filterLogits",
      () => pk.filterLogits(x, classes, { topK: 5, topP: 0.9 }),
      () => pk.filterLogitsAsync(x, classes, { topK: 5, topP: 0.9 }),
    ],
    [
      "sampleCategorical",
      () => pk.sampleCategorical(x, classes, { seed: 5, temperature: 0.8, minP: 0.01 }),
      () => pk.sampleCategoricalAsync(x, classes, { seed: 5, temperature: 0.8, minP: 0.01 }),
    ],
  ];
  return list;
}

/** Runs every pair; returns the mismatching names (empty when every async result has the sync bits). */
async function mismatches(list: ReturnType<typeof pairs>): Promise<string[]> {
  const bad: string[] = [];
  for (const [name, sync, async] of list) {
    const expected = flatten(sync() as Result);
    const got = flatten(await async());
    if (got.length !== expected.length || got.some((b, i) => Buffer.compare(b, expected[i]) !== 0)) bad.push(name);
  }
  return bad;
}

describe("async variants on one thread", () => {
  it("give the synchronous functions' bits and run at once", async () => {
    await pk.init({ threads: 1 });
    expect(await mismatches(pairs(37, 11, (a) => a))).toEqual([]);
  });

  it("reject bad arguments with the synchronous checks, named after the async function", async () => {
    await pk.init();
    await expect(pk.softmaxAsync(new Float32Array(10), 3)).rejects.toThrow(
      /^softmaxAsync: logits.length must be a multiple/,
    );
    await expect(pk.crossEntropyWithGradAsync(new Float32Array(6), [0, 5], 3)).rejects.toThrow(RangeError);
    await expect(pk.klDivAsync(new Float32Array(4), new Float32Array(3), 2)).rejects.toThrow(/^klDivAsync: target/);
    // Type: the overloads carry over (reduction "none" gives per-row losses).
    const losses: Float32Array = await pk.crossEntropyAsync(new Float32Array(6), [0, 1], 3, { reduction: "none" });
    expect(losses.length).toBe(2);
  });

  it("queue behind one another; a synchronous call or an allocation meanwhile is refused, reading a WasmArray is not", async () => {
    await pk.init();
    const w = pk.allocFloat32(20);
    w.array.set(randomLogits(20, 5));
    const first = pk.softmaxAsync(w.array, 10);
    const second = pk.logSumExpAsync(w.array, 10);
    expect(() => pk.softmax(w.array, 10)).toThrow(
      /^softmax: softmaxAsync has not settled; await it before calling softmax/,
    );
    expect(() => pk.allocFloat32(4)).toThrow(/^allocFloat32: softmaxAsync has not settled/);
    expect(() => pk.initSync()).toThrow(/^initSync: softmaxAsync has not settled/);
    expect(w.array.length).toBe(20);
    const [a, b] = await Promise.all([first, second]);
    expect(bytes(a).equals(bytes(pk.softmax(w.array, 10)))).toBe(true);
    expect(bytes(b).equals(bytes(pk.logSumExp(w.array, 10)))).toBe(true);
    // A failed async call releases the runtime too.
    await expect(pk.softmaxAsync(w.array, 3)).rejects.toThrow(/softmaxAsync/);
    expect(pk.softmax(w.array, 10).length).toBe(20);
    w.free();
  });

  it("sampleCategoricalAsync advances a generator as the synchronous call does, and not when it fails", async () => {
    await pk.init();
    const x = randomLogits(16 * 50, 13);
    const g1 = new pk.RandomGenerator(3),
      g2 = new pk.RandomGenerator(3);
    const sync = pk.sampleCategorical(x, 50, { generator: g1, topK: 10 });
    const async = await pk.sampleCategoricalAsync(x, 50, { generator: g2, topK: 10 });
    expect(bytes(async).equals(bytes(sync))).toBe(true);
    expect(g2.state()).toEqual(g1.state());
    x[7 * 50 + 1] = NaN;
    await expect(pk.sampleCategoricalAsync(x, 50, { generator: g2 })).rejects.toThrow(
      /^sampleCategoricalAsync: row 7 of logits holds NaN/,
    );
    expect(g2.state()).toEqual(g1.state());
  });

  it("before init: a rejected promise that says so", async () => {
    await pk.dispose();
    await expect(pk.softmaxAsync(new Float32Array(4), 2)).rejects.toThrow(
      /softmaxAsync: probkernels is not initialised/,
    );
    await pk.init();
  });
});

describe.skipIf(!THREADS_AVAILABLE)("async variants on two threads", () => {
  afterAll(async () => {
    await pk.init({ threads: 1 });
  });

  it("run large calls on the workers with one thread's bits: zero-copy, ordinary and shared arrays", async () => {
    // One-thread bits first, then the same calls on two threads.
    const rows = 512,
      classes = 1000;
    await pk.init({ threads: 1 });
    const expected: Buffer[][] = [];
    for (const [, sync] of pairs(rows, classes, (a) => a)) expected.push(flatten(sync() as Result));
    await pk.init({ threads: 2 });
    // The WasmArrays are kept (one dropped would be reclaimed by the garbage collector, its view refused).
    const kept: pk.WasmArray<Float32Array>[] = [];
    const places: [string, (a: Float32Array) => Float32Array][] = [
      ["ordinary", (a) => a],
      [
        "zero-copy",
        (a) => {
          const w = pk.allocFloat32(a.length);
          kept.push(w);
          w.array.set(a);
          return w.array;
        },
      ],
      [
        "shared",
        (a) => {
          const s = new Float32Array(new SharedArrayBuffer(a.byteLength));
          s.set(a);
          return s;
        },
      ],
    ];
    for (const [where, place] of places) {
      const before = splitStats.offloaded;
      const list = pairs(rows, classes, place);
      const bad: string[] = [];
      for (let i = 0; i < list.length; i++) {
        const got = flatten(await list[i][2]());
        if (got.length !== expected[i].length || got.some((b, k) => Buffer.compare(b, expected[i][k]) !== 0))
          bad.push(list[i][0]);
      }
      expect(bad, where).toEqual([]);
      // Most calls are offloaded at 512×1000 (filterLogits twice: its row check, then the filter);
      // count a lower bound.
      expect(splitStats.offloaded - before, where).toBeGreaterThanOrEqual(20);
    }
    for (const w of kept) w.free();
  }, 60_000);

  it("leave the event loop running while the workers compute", async () => {
    await pk.init({ threads: 2 });
    const rows = 8192,
      classes = 1000;
    const x = pk.allocFloat32(rows * classes),
      out = pk.allocFloat32(rows * classes);
    x.array.set(randomLogits(rows * classes, 5));
    let turns = 0,
      running = true;
    const turn = () => {
      turns++;
      if (running) setImmediate(turn);
    };
    setImmediate(turn);
    const before = splitStats.offloaded;
    const result = await pk.softmaxAsync(x.array, classes, { out: out.array });
    running = false;
    expect(splitStats.offloaded).toBe(before + 1);
    expect(turns).toBeGreaterThan(0);
    expect(result).toBe(out.array);
    x.free();
    out.free();
  });

  it("a script that only awaits an async call runs it to the end (a pending Atomics.waitAsync alone would let Node exit)", () => {
    const script = `
      const pk = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
      await pk.init({ threads: 2 });
      const x = pk.allocFloat32(2048 * 1000);
      const lse = await pk.logSumExpAsync(x.array, 1000);
      console.log("rows", lse.length, lse[0].toFixed(4));
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`rows 2048 ${Math.log(1000).toFixed(4)}`);
  });

  it("an ordinary array detached during the call fails it clearly, and the package stays usable", async () => {
    await pk.init({ threads: 2 });
    const rows = 8192,
      classes = 1000;
    const x = randomLogits(rows * classes, 6);
    const pending = pk.softmaxAsync(x, classes);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    await expect(pending).rejects.toThrow(
      /^softmaxAsync: logits was detached or resized while the call ran \(length 8192000, now 0\)/,
    );
    const y = randomLogits(64 * classes, 7);
    expect(bytes(await pk.softmaxAsync(y, classes)).equals(bytes(pk.softmax(y, classes)))).toBe(true);
  });

  it("a worker that crashes during an async call fails it with the pool's error; a replacement starts", async () => {
    await pk.init({ threads: 2 });
    const pool = poolOf(currentRuntime()!)!;
    const rows = 512,
      classes = 1000;
    const x = pk.allocFloat32(rows * classes);
    x.array.set(randomLogits(rows * classes, 8));
    const expected = pk.softmax(x.array, classes).slice();
    pool.crashOnNextJob();
    await expect(pk.softmaxAsync(x.array, classes)).rejects.toThrow(
      /^softmaxAsync: a worker thread ended during the call/,
    );
    await pool.ready();
    expect(pool.available).toBe(1);
    const before = splitStats.offloaded;
    expect(bytes(await pk.softmaxAsync(x.array, classes)).equals(bytes(expected))).toBe(true);
    expect(splitStats.offloaded).toBe(before + 1);
    // A worker that died between calls takes no job: the call runs here instead, correct.
    pool.crashNow();
    expect(bytes(await pk.softmaxAsync(x.array, classes)).equals(bytes(expected))).toBe(true);
    await pool.ready();
    x.free();
  });

  it("a row refused on a worker is named as the synchronous call names it, and the generator does not move", async () => {
    await pk.init({ threads: 2 });
    const rows = 512,
      classes = 1000;
    const x = randomLogits(rows * classes, 14);
    x[300 * classes + 9] = NaN;
    const g = new pk.RandomGenerator(4),
      before = g.state();
    const offloaded = splitStats.offloaded;
    await expect(pk.sampleCategoricalAsync(x, classes, { generator: g })).rejects.toThrow(
      /^sampleCategoricalAsync: row 300 of logits holds NaN/,
    );
    expect(splitStats.offloaded).toBe(offloaded);
    expect(g.state()).toEqual(before);
    x[300 * classes + 9] = 0;
    expect((await pk.sampleCategoricalAsync(x, classes, { generator: g })).length).toBe(rows);
  });

  it("a call the shared memory cannot hold is a RangeError, and the runtime stays usable", async () => {
    await pk.init({ threads: 2, maxMemoryBytes: 2 ** 22 });
    // 1024×1000 zero-copy arrays fill most of the 4 MiB; an ordinary 1024×1000 call then needs
    // ring slots for its rows that do not fit.
    const w = pk.allocFloat32(700 * 1000);
    await expect(pk.softmaxAsync(randomLogits(1024 * 1000, 15), 1000)).rejects.toThrow(RangeError);
    const y = randomLogits(16 * 100, 16);
    expect(bytes(await pk.softmaxAsync(y, 100)).equals(bytes(pk.softmax(y, 100)))).toBe(true);
    w.free();
    await pk.init({ threads: 1 });
  });

  it("accumulated outputs run on the calling thread, with the synchronous bits", async () => {
    await pk.init({ threads: 2 });
    const rows = 1024,
      classes = 1000;
    const x = randomLogits(rows * classes, 9);
    const labels = randomLabels(rows, classes, 10);
    const grad = randomLogits(rows * classes, 11),
      twin = grad.slice();
    const before = splitStats.offloaded;
    await pk.crossEntropyBackwardAsync(x, labels, classes, { out: grad, accumulate: true });
    expect(splitStats.offloaded).toBe(before);
    pk.crossEntropyBackward(x, labels, classes, { out: twin, accumulate: true });
    expect(bytes(grad).equals(bytes(twin))).toBe(true);
  });

  it("dispose() and init() wait for the async calls in flight", async () => {
    await pk.init({ threads: 2 });
    const x = randomLogits(512 * 1000, 12);
    const expected = (await pk.init({ threads: 1 }), pk.logSoftmax(x, 1000));
    await pk.init({ threads: 2 });
    const pending = pk.logSoftmaxAsync(x, 1000);
    const disposed = pk.dispose();
    expect(bytes(await pending).equals(bytes(expected))).toBe(true);
    await disposed;
    expect(() => pk.runtimeInfo()).toThrow(/not initialised/);
    await pk.init({ threads: 2 });
    const again = pk.logSoftmaxAsync(x, 1000);
    const info = await pk.init({ threads: 1 });
    expect(info.threads).toBe(1);
    expect(bytes(await again).equals(bytes(expected))).toBe(true);
  });
});
