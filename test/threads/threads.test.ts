// init({ threads }): kernels over one shared memory, the calling thread and workers each taking a
// share of the rows of a large zero-copy call. Results are bit-identical to one thread for every
// kernel family; a refused row is named as on one thread; the workers never keep a process alive;
// the shared memory's maximum is enforced with a RangeError.
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { PIPELINE_CROSSOVER_ELEMENTS, splitStats } from "../../src/engine/threads/tuning.js";
import { currentRuntime } from "../../src/engine/runtime.js";
import { poolOf } from "../../src/engine/threads/threaded-runtime.js";
import { randomLabels, randomLogits, randomTargets } from "../helpers.js";

const THREADS_AVAILABLE = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === "function";

/** Every family's zero-copy calls on one runtime; returns each result's bytes. */
function battery(): Uint8Array[] {
  const results: Uint8Array[] = [];
  const keep = (a: ArrayBufferView | number) =>
    results.push(
      typeof a === "number"
        ? new Uint8Array(Float64Array.of(a).buffer)
        : new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)),
    );
  const wasm = (data: Float32Array) => {
    const w = pk.allocFloat32(data.length);
    w.array.set(data);
    return w;
  };
  for (const [rows, classes] of [
    [512, 1000],
    [32768, 10],
    [64, 1000],
  ] as const) {
    const n = rows * classes;
    const x = wasm(randomLogits(n, classes)),
      t = wasm(randomTargets(rows, classes, 2)),
      out = pk.allocFloat32(n);
    const labels = pk.allocInt32(rows);
    labels.array.set(randomLabels(rows, classes, 3));
    const perRow = pk.allocFloat32(rows);
    keep(pk.softmax(x.array, classes, { out: out.array, temperature: 0.7 }));
    keep(pk.logSoftmax(x.array, classes, { out: out.array }));
    keep(pk.logSumExp(x.array, classes, { out: perRow.array }));
    keep(pk.entropy(x.array, classes, { out: perRow.array }));
    const ce = pk.crossEntropyWithGrad(x.array, labels.array, classes, {
      out: out.array,
      labelSmoothing: 0.1,
      weight: randomTargets(1, classes, 4),
    });
    keep(ce.loss as number);
    keep(ce.grad);
    const soft = pk.crossEntropyWithGrad(x.array, t.array, classes, { out: out.array });
    keep(soft.loss as number);
    keep(soft.grad);
    const kl = pk.klDivWithGrad(pk.logSoftmax(x.array, classes), t.array, classes, {
      reduction: "batchmean",
      out: out.array,
    });
    keep(kl.loss as number);
    keep(kl.grad);
    const bce = pk.binaryCrossEntropyWithLogitsWithGrad(x.array, t.array, classes, { out: out.array });
    keep(bce.loss as number);
    keep(bce.grad);
    // KL with log targets in place (its block keeps the input in scratch), Gaussian NLL with a
    // variance per row, the density.
    const lp = wasm(pk.logSoftmax(x.array, classes)),
      lt = wasm(pk.logSoftmax(t.array, classes));
    const klLog = pk.klDivWithGrad(lp.array, lt.array, classes, { reduction: "sum", logTarget: true, out: lp.array });
    keep(klLog.loss as number);
    keep(lp.array);
    const variance = wasm(Float32Array.from({ length: rows }, (_, i) => 0.5 + (i % 7)));
    const g = pk.gaussianNllLossWithGrad(x.array, t.array, variance.array, classes, { reduction: "sum" });
    keep(g.loss as number);
    keep(g.grad);
    keep(g.gradVar);
    keep(pk.normalPdf(x.array, { mean: 0.3, std: 1.5, out: out.array }));
    for (const w of [lp, lt, variance]) w.free();
    keep(pk.argmax(x.array, classes));
    keep(pk.sampleCategorical(x.array, classes, { seed: 5, topP: 0.9 }));
    keep(pk.filterLogits(x.array, classes, { topK: 5, out: out.array }));
    keep(pk.randomNormal(n, { seed: 9, out: out.array }));
    keep(pk.randomUniform(n, { seed: 9, out: out.array }));
    for (const w of [x, t, out, labels, perRow]) w.free();
  }
  // The linear layer's products over rows (forward, gradInput): 100 × (1000 + 2000) elements of rows.
  const [rows, inF, outF] = [100, 1000, 2000];
  const input = wasm(randomLogits(rows * inF, 5)),
    weight = wasm(randomLogits(outF * inF, 6, 0.1)),
    bias = wasm(randomLogits(outF, 7)),
    gradOutput = wasm(randomLogits(rows * outF, 8));
  const out = pk.allocFloat32(rows * outF),
    gradInput = pk.allocFloat32(rows * inF);
  keep(pk.linear(input.array, weight.array, inF, { bias: bias.array, out: out.array }));
  keep(pk.linearBackward(gradOutput.array, input.array, weight.array, inF, { gradInput: gradInput.array }).gradInput!);
  for (const w of [input, weight, bias, gradOutput, out, gradInput]) w.free();
  return results;
}

describe.skipIf(!THREADS_AVAILABLE)("threads", () => {
  afterAll(async () => {
    await pk.init({ threads: 1 });
  });

  it("runs on two threads and gives the same bits as one thread, for every kernel family", async () => {
    const two = await pk.init({ threads: 2 });
    expect(two.threads).toBe(2);
    expect(two.threadsReason).toBeNull();
    const before = splitStats.calls;
    const threaded = battery();
    // The large shapes' zero-copy calls split (most families at 512×1000 and 32768×10; KL's input
    // here is an ordinary array, so it does not); the 64×1000 ones are below the crossover.
    expect(splitStats.calls - before).toBeGreaterThanOrEqual(2 * 10 + 2);
    const one = await pk.init({ threads: 1 });
    expect(one.threads).toBe(1);
    const single = battery();
    expect(threaded.length).toBe(single.length);
    threaded.forEach((bytes, i) =>
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(single[i])), `result ${i}`).toBe(0),
    );
  });

  it("a row refused on a worker's share is named as on one thread, and the pool keeps working", async () => {
    await pk.init({ threads: 2 });
    const rows = 1024,
      classes = 1000;
    const x = pk.allocFloat32(rows * classes);
    x.array.set(randomLogits(rows * classes, 1));
    x.array[900 * classes + 5] = NaN; // in the second half: the worker's share
    expect(() => pk.sampleCategorical(x.array, classes, { seed: 1 })).toThrow(
      /sampleCategorical: row 900 of logits holds NaN/,
    );
    x.array[900 * classes + 5] = 0;
    expect(pk.sampleCategorical(x.array, classes, { seed: 1 }).length).toBe(rows);
    x.free();
  });

  it("copying calls with ordinary arrays: pipelined above the crossover, on the local instance below, the same bits as one thread", async () => {
    // 3072×512: logits in and out are 3·2^20 elements, at the pipeline's crossover; 64×512 is far below.
    const shapes = [
      [3072, 512],
      [64, 512],
    ] as const;
    const run = () => {
      const results: Uint8Array[] = [];
      const keep = (a: ArrayBufferView | number) =>
        results.push(
          typeof a === "number"
            ? new Uint8Array(Float64Array.of(a).buffer)
            : new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)),
        );
      for (const [rows, classes] of shapes) {
        const x = randomLogits(rows * classes, classes),
          t = randomTargets(rows, classes, 2),
          labels = randomLabels(rows, classes, 3);
        keep(pk.softmax(x, classes, { temperature: 0.7 }));
        keep(pk.logSoftmax(x, classes));
        const ce = pk.crossEntropyWithGrad(x, labels, classes, {
          labelSmoothing: 0.1,
          weight: randomTargets(1, classes, 4),
        });
        keep(ce.loss as number);
        keep(ce.grad);
        const soft = pk.crossEntropyWithGrad(x, t, classes);
        keep(soft.loss as number);
        keep(soft.grad);
        const kl = pk.klDivWithGrad(pk.logSoftmax(x, classes), t, classes, { reduction: "batchmean" });
        keep(kl.loss as number);
        keep(kl.grad);
        const bce = pk.binaryCrossEntropyWithLogitsWithGrad(x, t, classes);
        keep(bce.loss as number);
        keep(bce.grad);
        keep(pk.filterLogits(x, classes, { topK: 5 }));
        keep(pk.sampleCategorical(x, classes, { seed: 5, topP: 0.9 }));
      }
      return results;
    };
    expect(3072 * 512 * 2).toBe(PIPELINE_CROSSOVER_ELEMENTS);
    await pk.init({ threads: 2 });
    const before = splitStats.pipelined;
    const threaded = run();
    expect(splitStats.pipelined - before).toBeGreaterThanOrEqual(6);
    await pk.init({ threads: 1 });
    const single = run();
    expect(threaded.length).toBe(single.length);
    threaded.forEach((bytes, i) =>
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(single[i])), `result ${i}`).toBe(0),
    );
  });

  it("SharedArrayBuffer arrays: each thread copies its own rows, with the same bits as one thread, and refusals named as there", async () => {
    const rows = 512,
      classes = 1000,
      n = rows * classes;
    const shared = <T extends Float32Array | Int32Array>(a: T): T => {
      const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
      copy.set(a);
      return copy;
    };
    const x = shared(randomLogits(n, 7)),
      t = shared(randomTargets(rows, classes, 8)),
      labels = shared(randomLabels(rows, classes, 9));
    const run = () => {
      const out = shared(new Float32Array(n));
      const results = [
        pk.softmax(x, classes, { out, temperature: 0.7 }).slice(),
        pk.logSumExp(x, classes),
        pk.crossEntropyWithGrad(x, labels, classes, { out, labelSmoothing: 0.1, reduction: "none" })
          .loss as Float32Array,
        out.slice(),
        pk.binaryCrossEntropyWithLogitsWithGrad(x, t, classes, { out }).grad.slice(),
        pk.sampleCategorical(x, classes, { seed: 4, topK: 20 }),
      ];
      const inPlace = shared(x.slice());
      results.push(pk.logSoftmax(inPlace, classes, { out: inPlace }).slice());
      return results.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    };
    await pk.init({ threads: 2 });
    const before = splitStats.shared;
    const threaded = run();
    expect(splitStats.shared - before).toBeGreaterThanOrEqual(5);
    // Short rows with labels: the arrays staged whole (labels, per-row losses) do not eat the
    // threads' slot budget (they once left one row per step: 32,768 steps a thread).
    const short = shared(randomLogits(65536 * 10, 10)),
      shortLabels = shared(randomLabels(65536, 10, 1));
    const steps = splitStats.sharedSteps;
    pk.crossEntropyWithGrad(short, shortLabels, 10, { out: shared(new Float32Array(65536 * 10)) });
    expect(splitStats.sharedSteps - steps).toBeLessThanOrEqual(32); // 2.6 MB of rows a thread in 256 KiB slots: about 11 steps
    const bad = shared(x.slice());
    bad[400 * classes + 1] = NaN;
    expect(() => pk.sampleCategorical(bad, classes, { seed: 1 })).toThrow(
      /sampleCategorical: row 400 of logits holds NaN/,
    );
    await pk.init({ threads: 1 });
    const single = run();
    threaded.forEach((bytes, i) => expect(Buffer.compare(bytes, single[i]), `result ${i}`).toBe(0));
  });

  it("a row refused in a pipelined call is named as on one thread, and caller arrays stay ordinary arrays", async () => {
    await pk.init({ threads: 2 });
    const rows = 8192,
      classes = 512;
    const x = randomLogits(rows * classes, 1);
    for (const bad of [100, 7000]) {
      const y = x.slice();
      y[bad * classes + 3] = NaN;
      expect(() => pk.sampleCategorical(y, classes, { seed: 1 })).toThrow(
        new RegExp(`sampleCategorical: row ${bad} of logits holds NaN`),
      );
      const labels = new Int32Array(rows);
      labels[bad] = classes;
      expect(() => pk.crossEntropyWithGrad(x, labels, classes)).toThrow(
        new RegExp(`target\\[${bad}\\] = 512 is out of range`),
      );
    }
    const out = new Float32Array(rows * classes);
    expect(pk.softmax(x, classes, { out })).toBe(out);
  });

  it("a worker that crashes fails the call it was running with a clear error; a replacement starts and the pool goes on", async () => {
    await pk.init({ threads: 2 });
    const pool = poolOf(currentRuntime()!)!;
    const rows = 512,
      classes = 1000;
    const x = pk.allocFloat32(rows * classes);
    x.array.set(randomLogits(rows * classes, 1));
    const expected = pk.softmax(x.array, classes).slice();
    pool.crashOnNextJob();
    // The worker exits when it takes the call's share, before any kernel call.
    expect(() => pk.softmax(x.array, classes, { out: x.array })).toThrow(
      /softmax: a worker thread ended during the call .*replacement worker is starting/,
    );
    x.array.set(randomLogits(rows * classes, 1));
    // While the replacement starts, calls run on the threads that are left.
    expect(Buffer.compare(Buffer.from(pk.softmax(x.array, classes).buffer), Buffer.from(expected.buffer))).toBe(0);
    await pool.ready();
    expect(pool.available).toBe(1);
    expect(pk.runtimeInfo().threads).toBe(2);
    const split = splitStats.calls,
      out = pk.allocFloat32(rows * classes);
    expect(
      Buffer.compare(
        Buffer.from(pk.softmax(x.array, classes, { out: out.array }).slice().buffer),
        Buffer.from(expected.buffer),
      ),
    ).toBe(0);
    expect(splitStats.calls).toBe(split + 1);
    x.free();
    out.free();
  });

  it("a worker that died between calls is not handed a share: the call runs it here, correct, and a replacement starts", async () => {
    await pk.init({ threads: 2 });
    const pool = poolOf(currentRuntime()!)!;
    const rows = 512,
      classes = 1000;
    const x = pk.allocFloat32(rows * classes),
      out = pk.allocFloat32(rows * classes);
    x.array.set(randomLogits(rows * classes, 2));
    const expected = pk.softmax(x.array, classes).slice();
    pool.crashNow();
    // No event loop turn in between: the pool has not heard of the exit, only the control block says so.
    expect(pool.available).toBe(1);
    const result = pk.softmax(x.array, classes, { out: out.array });
    expect(Buffer.compare(Buffer.from(result.slice().buffer), Buffer.from(expected.buffer))).toBe(0);
    expect(pool.available).toBe(0);
    await pool.ready();
    expect(pool.available).toBe(1);
    x.free();
    out.free();
    // The same for a pipelined call (ordinary arrays) and a shared-array one.
    const big = randomLogits(8192 * 512, 3);
    const sharedBig = new Float32Array(new SharedArrayBuffer(big.byteLength));
    sharedBig.set(big);
    await pk.init({ threads: 1 });
    const expectedBig = pk.logSoftmax(big, 512);
    await pk.init({ threads: 2 });
    for (const input of [big, sharedBig]) {
      const threaded = poolOf(currentRuntime()!)!;
      await threaded.ready();
      threaded.crashNow();
      const before = { ...splitStats };
      const out = input === sharedBig ? { out: new Float32Array(new SharedArrayBuffer(big.byteLength)) } : undefined;
      expect(
        Buffer.compare(Buffer.from(pk.logSoftmax(input, 512, out).slice().buffer), Buffer.from(expectedBig.buffer)),
      ).toBe(0);
      expect(splitStats.pipelined + splitStats.shared).toBe(before.pipelined + before.shared + 1);
      expect(threaded.available).toBe(0);
    }
  });

  it("the shared memory's maximum is enforced with a RangeError, and options are checked", async () => {
    await pk.init({ threads: 2, maxMemoryBytes: 2 ** 24 });
    expect(() => pk.allocFloat32(2 ** 23)).toThrow(RangeError);
    expect(pk.softmax(randomLogits(10, 1), 10).length).toBe(10);
    expect(() => pk.initSync({ threads: 2 })).toThrow(/threads > 1 needs await init/);
    await expect(pk.init({ threads: 0 })).rejects.toThrow(/threads must be an integer from 1 to 256, got 0/);
    await expect(pk.init({ threads: 2, maxMemoryBytes: 5 })).rejects.toThrow(
      /maxMemoryBytes must be an integer from 2\^20/,
    );
  });

  it("workers never keep a process alive, and dispose() ends them", async () => {
    const script = `
      const pk = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
      const info = await pk.init({ threads: 2 });
      const x = pk.allocFloat32(512 * 1000);
      pk.softmax(x.array, 1000, { out: x.array });
      console.log("threads", info.threads);
    `;
    const started = Date.now();
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("threads 2");
    expect(Date.now() - started).toBeLessThan(15_000);
    await pk.init({ threads: 2 });
    await pk.dispose();
    expect(() => pk.runtimeInfo()).toThrow(/not initialised/);
  });
});

describe.skipIf(!THREADS_AVAILABLE)("threads and init's idempotency", () => {
  it("init() without threads keeps a threaded runtime (and its arrays); threads: 1 replaces it", async () => {
    const first = await pk.init({ threads: 2 });
    const w = pk.allocFloat32(8);
    const again = await pk.init();
    expect(again.threads).toBe(2);
    expect(again.module).toBe(first.module);
    expect(pk.initSync().threads).toBe(2);
    expect((await pk.init({ threads: 2 })).module).toBe(first.module);
    w.array.set([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(pk.softmax(w.array, 8)).length).toBe(8);
    expect((await pk.init({ threads: 1 })).threads).toBe(1);
  });
});

describe("threads on the core entry", () => {
  it("a module compiled elsewhere runs on one thread: threads > 1 is refused there", async () => {
    const core = await import("../../src/core.js");
    const { module } = await pk.init({ threads: 1 });
    expect(() => core.initSync({ module, threads: 2 })).toThrow(/a module compiled elsewhere runs on one thread/);
  });
});
