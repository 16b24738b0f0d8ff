// Two threads against one: zero-copy, copying and shared arrays.
import * as pk from "../../dist/index.js";
import { cpus } from "node:os";
import { PIPELINE_CROSSOVER_ELEMENTS, THREAD_CROSSOVER_ELEMENTS } from "../../dist/engine/threads/tuning.js";
import { quick } from "../options.js";
import { fmt, logitsFor } from "../common.js";
import { benchAsync } from "./async.js";

/**
 * Threads: each call zero-copy (arrays from allocFloat32/allocInt32), copying (ordinary arrays in
 * and out) and shared (arrays over SharedArrayBuffers) on one thread and on every core, each measured on a fresh runtime
 * (init({ threads })), rounds interleaved. The last shape is a check of memory bandwidth: a
 * 16384×1000 softmax streams 128 MB per call.
 */
export async function benchThreads(): Promise<Record<string, Record<string, number>>> {
  const results: Record<string, Record<string, number>> = {};
  const cores = Math.max(2, (await import("node:os")).availableParallelism?.() ?? cpus().length);
  console.log(
    `\nthreads: 1 thread and ${cores} (million elements per second). Zero-copy calls (WasmArrays) and shared ones ` +
      `(arrays over SharedArrayBuffers) split from ${THREAD_CROSSOVER_ELEMENTS} elements of row data; copying calls ` +
      `(ordinary arrays) pipeline from ${PIPELINE_CROSSOVER_ELEMENTS}`,
  );
  const shapes: [number, number][] = process.env.THREAD_SHAPES
    ? JSON.parse(process.env.THREAD_SHAPES)
    : [
        [4096, 1000],
        [64, 32000],
        [8, 128256],
        [65536, 10],
        [64, 1000],
        [1024, 10],
        [16384, 1000],
      ];
  const kernels = ["softmax", "logSumExp", "crossEntropyWithGrad"] as const;
  for (const [r, c] of shapes) {
    if (quick && r * c > 2 ** 23) continue;
    const n = r * c;
    const x = logitsFor(n, 5);
    const labels = Int32Array.from({ length: r }, (_, i) => (i * 7919) % c);
    const plainOut = new Float32Array(n),
      plainRows = new Float32Array(r);
    // The same arrays over SharedArrayBuffers (what another worker of the caller's may write).
    const sharedOf = <T extends Float32Array | Int32Array>(a: T): T => {
      const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
      copy.set(a);
      return copy;
    };
    const sx = sharedOf(x),
      sLabels = sharedOf(labels),
      sOut = sharedOf(plainOut),
      sRows = sharedOf(plainRows);
    const rate: Record<string, number[]> = {};
    for (let round = 0; round < (quick ? 3 : 7); round++) {
      for (const threads of [1, cores]) {
        await pk.init({ threads });
        const xw = pk.allocFloat32(n),
          out = pk.allocFloat32(n),
          rowsOut = pk.allocFloat32(r),
          lw = pk.allocInt32(r);
        xw.array.set(x);
        lw.array.set(labels);
        const calls: Record<string, [() => void, () => void, () => void]> = {
          softmax: [
            () => {
              pk.softmax(xw.array, c, { out: out.array });
            },
            () => {
              pk.softmax(x, c, { out: plainOut });
            },
            () => {
              pk.softmax(sx, c, { out: sOut });
            },
          ],
          logSumExp: [
            () => {
              pk.logSumExp(xw.array, c, { out: rowsOut.array });
            },
            () => {
              pk.logSumExp(x, c, { out: plainRows });
            },
            () => {
              pk.logSumExp(sx, c, { out: sRows });
            },
          ],
          crossEntropyWithGrad: [
            () => {
              pk.crossEntropyWithGrad(xw.array, lw.array, c, { out: out.array });
            },
            () => {
              pk.crossEntropyWithGrad(x, labels, c, { out: plainOut });
            },
            () => {
              pk.crossEntropyWithGrad(sx, sLabels, c, { out: sOut });
            },
          ],
        };
        for (const k of kernels) {
          calls[k].forEach((f, mode) => {
            f();
            const t0 = performance.now();
            let count = 0;
            while (performance.now() - t0 < (quick ? 60 : 150)) {
              f();
              count++;
            }
            (rate[`${k}|${mode}|${threads}`] ??= []).push((n * count) / ((performance.now() - t0) * 1000));
          });
        }
        for (const w of [xw, out, rowsOut, lw]) w.free();
      }
    }
    for (const k of kernels) {
      const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1];
      const [zeroOne, zeroAll, copyOne, copyAll, sharedOne, sharedAll] = [0, 1, 2].flatMap((mode) =>
        [1, cores].map((t) => median(rate[`${k}|${mode}|${t}`])),
      );
      results[`${r}x${c} ${k}`] = {
        one: zeroOne,
        all: zeroAll,
        copyingOne: copyOne,
        copyingAll: copyAll,
        sharedOne,
        sharedAll,
      };
      const column = (one: number, all: number) =>
        `${fmt(one).padStart(5)} → ${fmt(all).padStart(5)} ${`${(all / one).toFixed(2)}x`.padStart(6)}`;
      console.log(
        `  ${`${r}x${c}`.padEnd(10)} ${k.padEnd(20)} zero-copy ${column(zeroOne, zeroAll)}   copying ${column(copyOne, copyAll)}` +
          `   shared ${column(sharedOne, sharedAll)}`,
      );
    }
  }
  await pk.init({ threads: 1 });
  await benchAsync(cores, shapes, results);
  return results;
}
