// The async twins against one synchronous thread, and how long a call holds the calling thread.
import * as pk from "../../dist/index.js";
import { quick } from "../options.js";
import { fmt, logitsFor } from "../common.js";

/**
 * The async variants on every core against the synchronous call on one thread (ordinary arrays
 * and zero-copy), rounds interleaved; and how long the calling thread went without an event-loop
 * turn during the async calls (the longest gap between setImmediate turns), against one
 * synchronous call's length (the time it blocks the thread).
 */
export async function benchAsync(
  cores: number,
  allShapes: [number, number][],
  results: Record<string, Record<string, number>>,
): Promise<void> {
  const shapes = allShapes.filter(([r, c]) => r * c <= 2 ** 23 && r * c >= 2 ** 18);
  if (shapes.length === 0) return;
  console.log(
    `\nasync variants on ${cores} threads (the workers compute, the calling thread copies and awaits) against the synchronous ` +
      `call on one thread: million elements per second, and the longest the calling thread went without an event-loop turn`,
  );
  const kernels = ["softmax", "crossEntropyWithGrad"] as const;
  const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1];
  for (const [r, c] of shapes) {
    const n = r * c;
    const x = logitsFor(n, 5),
      plainOut = new Float32Array(n);
    const labels = Int32Array.from({ length: r }, (_, i) => (i * 7919) % c);
    const rate: Record<string, number[]> = {},
      gap: Record<string, number[]> = {};
    for (let round = 0; round < (quick ? 3 : 7); round++) {
      for (const threads of [1, cores]) {
        await pk.init({ threads });
        const xw = pk.allocFloat32(n),
          out = pk.allocFloat32(n),
          lw = pk.allocInt32(r);
        xw.array.set(x);
        lw.array.set(labels);
        const calls: Record<string, [() => unknown, () => unknown]> = {
          softmax:
            threads === 1
              ? [() => pk.softmax(x, c, { out: plainOut }), () => pk.softmax(xw.array, c, { out: out.array })]
              : [
                  () => pk.softmaxAsync(x, c, { out: plainOut }),
                  () => pk.softmaxAsync(xw.array, c, { out: out.array }),
                ],
          crossEntropyWithGrad:
            threads === 1
              ? [
                  () => pk.crossEntropyWithGrad(x, labels, c, { out: plainOut }),
                  () => pk.crossEntropyWithGrad(xw.array, lw.array, c, { out: out.array }),
                ]
              : [
                  () => pk.crossEntropyWithGradAsync(x, labels, c, { out: plainOut }),
                  () => pk.crossEntropyWithGradAsync(xw.array, lw.array, c, { out: out.array }),
                ],
        };
        for (const k of kernels) {
          for (const [mode, f] of calls[k].entries()) {
            await f();
            // Per call, the longest stretch without an event-loop turn (a synchronous call: all of
            // it); the round's figure is the median call's, so a garbage collection or the
            // machine's noise in one call does not stand for all of them.
            let last = performance.now(),
              longest = 0,
              ticking = true;
            const tick = () => {
              const now = performance.now();
              longest = Math.max(longest, now - last);
              last = now;
              if (ticking) setImmediate(tick);
            };
            setImmediate(tick);
            const held: number[] = [];
            const t0 = performance.now();
            let count = 0;
            while (performance.now() - t0 < (quick ? 60 : 100)) {
              const started = performance.now();
              last = started;
              longest = 0;
              await f();
              const now = performance.now();
              held.push(threads === 1 ? now - started : Math.max(longest, now - last));
              count++;
            }
            ticking = false;
            const key = `${k}|${mode}|${threads}`;
            (rate[key] ??= []).push((n * count) / ((performance.now() - t0) * 1000));
            (gap[key] ??= []).push(median(held));
          }
        }
        for (const w of [xw, out, lw]) w.free();
      }
    }
    for (const k of kernels) {
      const cells = ["copying", "zero-copy"].map((name, mode) => {
        const one = median(rate[`${k}|${mode}|1`]),
          all = median(rate[`${k}|${mode}|${cores}`]);
        const blockOne = median(gap[`${k}|${mode}|1`]),
          blockAll = median(gap[`${k}|${mode}|${cores}`]);
        results[`${r}x${c} ${k} async ${name}`] = {
          syncOne: one,
          asyncAll: all,
          syncBlockMs: blockOne,
          asyncLongestGapMs: blockAll,
        };
        return (
          `${name} ${fmt(one).padStart(5)} → ${fmt(all).padStart(5)} ${`${(all / one).toFixed(2)}x`.padStart(6)}, thread held ` +
          `${blockOne.toFixed(2)} → ${blockAll.toFixed(2)} ms`
        );
      });
      console.log(`  ${`${r}x${c}`.padEnd(10)} ${k.padEnd(20)} ${cells.join("   ")}`);
    }
  }
  await pk.init({ threads: 1 });
}
