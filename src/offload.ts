// Async calls on a threaded runtime: the workers run every chunk of a call's rows while the
// calling thread only copies rows in and out and awaits them (Atomics.waitAsync), so it stays
// free for its event loop (a page's main thread may not block at all). Uses the pipelined path's
// chunk queue (parallel.ts); the calling thread computes nothing, so on n threads a call runs on
// n − 1 of them. Every row's outputs are the same as on one thread.
import type { Elements, KernelCall } from "./executor.js";
import { planQueue, queueWorthIt, splitStats, THREAD_CROSSOVER_ELEMENTS } from "./parallel.js";
import type { Runtime } from "./runtime.js";
import { slot, SLOT_LAYOUT } from "./slots.js";

const { OUT } = SLOT_LAYOUT;

/**
 * Whether an async call goes to the workers: a pool with a worker ready, no accumulated output,
 * and as much row data as a split call needs (smaller ones run at once on the calling thread:
 * handing them over would cost more than they take).
 */
export const offloadWorthIt = (rt: Runtime, call: KernelCall) => queueWorthIt(rt, call, THREAD_CROSSOVER_ELEMENTS);

/**
 * Runs a call (the executor has checked its operands) on the workers through the chunk queue.
 * Resolves to its outputs, or to null when it should run on the calling thread instead: it is
 * not one kernel call per chunk, no worker took it, or a row was refused (the synchronous run
 * then names the first refused row, as it always would).
 */
export async function executeOffloaded(rt: Runtime, call: KernelCall): Promise<Elements[] | null> {
  const { fn } = call;
  const pool = rt.pool!;
  // Chunks overlap the calling thread's copies with the workers' compute; with nothing to copy
  // (every operand in the shared memory), one chunk per worker saves hand-offs and awaits.
  const copies = call.inputs.some((_, i) => !slot.resident[i]) || call.outputs.some((_, o) => !slot.resident[OUT + o]);
  const plan = planQueue(rt, call, pool.available, copies ? 4 : 1);
  if (plan === null) return null;
  const { chunkRows, copyRows, invocation, rowsPerChunk, chunks } = plan;
  // The caller's ordinary arrays are read and written between awaits: one detached (transferred)
  // or resized meanwhile must fail the call, not make it copy nothing.
  const staged = [
    ...call.inputs.map((op, i) => ({ op, staged: !slot.resident[i] })),
    ...call.outputs.map((op, o) => ({ op, staged: !slot.resident[OUT + o] })),
  ].filter((x) => x.staged).map(({ op }) => ({ op, length: op.view.length }));
  const checkAttached = () => {
    for (const { op, length } of staged) {
      if (op.view.length !== length) {
        throw new TypeError(
          `${fn}: ${op.name} was detached or resized while the call ran (length ${length}, now ${op.view.length}); ` +
            `leave a call's arrays alone until its promise settles`,
        );
      }
    }
  };
  if (pool.startQueue(fn, chunks) === 0) {
    await pool.endQueueAsync(fn, true);
    return null;
  }
  let published = 0, copiedOut = 0, failing = true;
  try {
    for (;;) {
      const completed = pool.completed;
      // Finished chunks out first (in order: it frees their slots), then the next chunk in while
      // a slot is free, else await a chunk's end.
      const out = copiedOut < published ? plan.copyOutWhenDone(copiedOut, checkAttached) : false;
      if (out === null) return null;
      if (out) {
        copiedOut++;
        continue;
      }
      if (published < chunks && published - copiedOut < pool.ring) {
        const count = Math.min(rowsPerChunk, call.rows - published * rowsPerChunk);
        checkAttached();
        copyRows(published, count, "in");
        chunkRows[published % pool.ring] = count;
        pool.publish(published, invocation(published, count)!);
        published++;
        continue;
      }
      if (copiedOut === chunks) break;
      await pool.awaitProgressAsync(fn, completed);
    }
    failing = false;
  } finally {
    await pool.endQueueAsync(fn, failing);
  }
  splitStats.offloaded++;
  // Views of a shared memory stay valid when it grows: the declared outputs are the results.
  return call.outputs.map((op) => op.view);
}
