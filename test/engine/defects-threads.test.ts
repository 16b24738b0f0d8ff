// Regression tests for the audit's findings on the threads and async surfaces (each fails at
// 3d870e9): workers ended from outside, overlapping init calls, the shared memory's maximum,
// other handles of shared memory, generators and resizable buffers used during async calls.
import { MessageChannel } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { PROB_TOL, mismatch, randomLogits } from "../helpers.js";

type Module = { Worker: new (...args: unknown[]) => { terminate(): unknown } };
const workerThreads = (process as unknown as { getBuiltinModule?: (id: string) => Module }).getBuiltinModule?.(
  "node:worker_threads",
);
const THREADS_AVAILABLE = workerThreads !== undefined;

/** A SharedArrayBuffer handle of `buffer` from a MessageChannel round trip (a new object, the same memory). */
async function roundTrip(buffer: SharedArrayBuffer): Promise<SharedArrayBuffer> {
  const { port1, port2 } = new MessageChannel();
  const back = new Promise<SharedArrayBuffer>((resolve) => port2.once("message", resolve));
  port1.postMessage(buffer);
  const got = await back;
  port1.close();
  return got;
}

afterEach(async () => {
  await pk.dispose();
});

describe.runIf(THREADS_AVAILABLE)("workers ended from outside", () => {
  it("an async call whose worker is terminated rejects at once; the pool replaces the worker and stays usable", async () => {
    const spawned: { terminate(): unknown }[] = [];
    const Original = workerThreads!.Worker;
    workerThreads!.Worker = class extends Original {
      constructor(...args: unknown[]) {
        super(...args);
        spawned.push(this);
      }
    };
    try {
      await pk.init({ threads: 2 });
    } finally {
      workerThreads!.Worker = Original;
    }
    expect(spawned).toHaveLength(1);
    const rows = 4096,
      classes = 1000;
    const x = pk.allocFloat32(rows * classes),
      out = pk.allocFloat32(rows * classes);
    x.array.set(randomLogits(rows * classes, 3));
    const started = Date.now();
    const pending = pk.softmaxAsync(x.array, classes, { out: out.array });
    spawned[0].terminate();
    await expect(pending).rejects.toThrow(/softmaxAsync: a worker thread ended during the call/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Same tick: terminated, then a synchronous call: its share runs here.
    const expected = ref.softmax(x.array.slice(0, 64 * classes), classes);
    expect(
      mismatch(pk.softmax(x.array, classes, { out: out.array }).subarray(0, 64 * classes), expected, PROB_TOL),
    ).toBeNull();
    x.free();
    out.free();
  });
});

describe.runIf(THREADS_AVAILABLE)("init calls", () => {
  it("overlapping init({ threads: 2 }) and init({ threads: 1 }): the last request holds", async () => {
    const a = pk.init({ threads: 2 }),
      b = pk.init({ threads: 1 });
    const [infoA, infoB] = await Promise.all([a, b]);
    expect(infoA.threads).toBe(2);
    expect(infoB.threads).toBe(1);
    expect(pk.runtimeInfo().threads).toBe(1);
    const w = pk.allocFloat32(4);
    expect(() => pk.softmax(w.array, 2)).not.toThrow();
  });

  it("an initSync made while an init({ threads: 2 }) is pending holds", async () => {
    const a = pk.init({ threads: 2 });
    pk.initSync();
    await a;
    expect(pk.runtimeInfo().threads).toBe(1);
  });

  it("maxMemoryBytes bounds calls that stay on the calling thread, allocations and async calls; the runtime stays usable", async () => {
    await pk.init({ threads: 2, maxMemoryBytes: 2 ** 20 });
    expect(() => pk.softmax(new Float32Array(400_000), 400_000)).toThrow(RangeError);
    expect(() => pk.softmax(new Float32Array(400_000), 400_000)).toThrow(
      /softmax: needs \d+ bytes of wasm memory, more than init's maxMemoryBytes \(1048576\)/,
    );
    expect(() => pk.allocFloat32(400_000)).toThrow(RangeError);
    await expect(pk.softmaxAsync(new Float32Array(400_000), 400_000)).rejects.toThrow(RangeError);
    expect(pk.runtimeInfo().memoryBytes).toBeLessThanOrEqual(2 * 2 ** 20);
    const x = randomLogits(30 * 10, 4);
    expect(mismatch(pk.softmax(x, 10), ref.softmax(x, 10), PROB_TOL)).toBeNull();
  });
});

describe.runIf(THREADS_AVAILABLE)("other handles of shared memory", () => {
  it("a view of the runtime's memory through a second handle is the memory's own view: in place is right, hand-made views are refused", async () => {
    await pk.init({ threads: 2 });
    const rows = 64,
      classes = 100;
    const x = pk.allocFloat32(rows * classes);
    const data = randomLogits(rows * classes, 5);
    x.array.set(data);
    const back = await roundTrip(x.array.buffer as SharedArrayBuffer);
    expect(back).not.toBe(x.array.buffer);
    const alias = new Float32Array(back, x.array.byteOffset, x.array.length);
    const result = pk.softmax(x.array, classes, { out: alias });
    expect(mismatch(result, ref.softmax(data, classes), PROB_TOL)).toBeNull();
    // Shifted by a row through the second handle: an overlap, refused.
    x.array.set(data);
    const shifted = new Float32Array(back, x.array.byteOffset + 4 * classes, (rows - 1) * classes);
    expect(() => pk.softmax(x.array.subarray(0, (rows - 1) * classes), classes, { out: shifted })).toThrow(
      /softmax: out overlaps logits/,
    );
    // Over the module's static data through the second handle: refused, and nothing written.
    expect(() =>
      pk.softmax(x.array.subarray(0, classes), classes, { out: new Float32Array(back, 0, classes) }),
    ).toThrow(/outside every live WasmArray/);
    const y = randomLogits(4096 * 100, 6);
    expect(mismatch(pk.softmax(y, 100), ref.softmax(y, 100), PROB_TOL)).toBeNull();
    x.free();
  });

  it("out in a caller's SharedArrayBuffer that aliases the logits through another handle gives the right rows", async () => {
    await pk.init({ arenaBytes: 1024 }); // chunks of a few rows: a shifted alias would read rows already written
    const rows = 32,
      classes = 50;
    const data = randomLogits(rows * classes, 7);
    const sab = new SharedArrayBuffer(4 * data.length);
    const logits = new Float32Array(sab);
    logits.set(data);
    const back = await roundTrip(sab);
    // In place through the second handle, and shifted forward by one row (a row is written before it is read).
    pk.softmax(logits, classes, { out: new Float32Array(back) });
    expect(mismatch(logits, ref.softmax(data, classes), PROB_TOL)).toBeNull();
    logits.set(data);
    pk.softmax(logits.subarray(0, (rows - 1) * classes), classes, {
      out: new Float32Array(back, 4 * classes, (rows - 1) * classes),
    });
    expect(
      mismatch(logits.subarray(classes), ref.softmax(data.subarray(0, (rows - 1) * classes), classes), PROB_TOL),
    ).toBeNull();
  });
});

describe.runIf(THREADS_AVAILABLE)("state used by an async call", () => {
  it("a generator cannot be skipped while sampleCategoricalAsync draws from it", async () => {
    await pk.init({ threads: 2 });
    const rows = 512,
      classes = 1000;
    const x = randomLogits(rows * classes, 8);
    const g = new pk.RandomGenerator(11);
    const p = pk.sampleCategoricalAsync(x, classes, { generator: g });
    expect(() => g.skip(1)).toThrow(
      /RandomGenerator.skip: sampleCategoricalAsync is drawing from this generator; await it/,
    );
    await p;
    expect(g.position).toBe(512n);
    g.skip(1);
    expect(g.position).toBe(513n);
  });

  it("a resizable buffer shrunk and grown back during an async call: the call computes from the original rows", async () => {
    await pk.init({ threads: 2 });
    const rows = 4096,
      classes = 1000;
    const data = randomLogits(rows * classes, 9);
    const rab = new (
      ArrayBuffer as unknown as new (
        n: number,
        o: { maxByteLength: number },
      ) => ArrayBuffer & { resize(n: number): void }
    )(4 * data.length, { maxByteLength: 4 * data.length });
    const x = new Float32Array(rab);
    x.set(data);
    const p = pk.logSoftmaxAsync(x, classes);
    rab.resize(4000);
    rab.resize(4 * data.length);
    const got = await p;
    expect(mismatch(got, pk.logSoftmax(data, classes), { abs: 0, rel: 0 })).toBeNull();
  });
});
