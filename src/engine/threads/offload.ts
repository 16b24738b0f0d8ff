// Async calls on a threaded runtime: the workers run every chunk of a call's rows while the
// calling thread only copies rows in and out and awaits them (Atomics.waitAsync), so it stays
// free for its event loop (a page's main thread may not block at all). Uses the pipelined path's
// chunk queue (queue-plan.ts, chunk-queue.ts); the calling thread computes nothing, so on n threads a call runs on
// n − 1 of them. Every row's outputs are the same as on one thread.
import type { Elements, KernelCall } from "../call.js";
import { SLOT_LAYOUT, type Slots } from "../frame.js";
import { planQueue } from "./queue-plan.js";
import { queueWorthIt, splitStats, THREAD_CROSSOVER_ELEMENTS } from "./tuning.js";
import type { ThreadPool } from "./pool.js";
import type { Runtime } from "../runtime.js";

const { OUT } = SLOT_LAYOUT;

/**
 * Whether an async call goes to the workers: a pool with a worker ready, no accumulated output,
 * and as much row data as a split call needs (smaller ones run at once on the calling thread:
 * handing them over would cost more than they take).
 */
export const offloadWorthIt = (pool: ThreadPool, call: KernelCall) =>
  queueWorthIt(pool, call, THREAD_CROSSOVER_ELEMENTS);

/**
 * Runs a call (the executor has checked its operands) on the workers through the chunk queue.
 * Resolves to its outputs, or to null when it should run on the calling thread instead: no worker
 * took it, or a row was refused (the synchronous run then names the first refused row, as it
 * always would).
 */
export async function executeOffloaded(
  rt: Runtime,
  pool: ThreadPool,
  given: KernelCall,
  slots: Slots,
): Promise<Elements[] | null> {
  const { call, finish } = detachResizable(given);
  const { fn } = call;
  // Chunks overlap the calling thread's copies with the workers' compute; with nothing to copy
  // (every operand in the shared memory), one chunk per worker saves hand-offs and awaits.
  const copies =
    call.inputs.some((_, i) => !slots.resident[i]) || call.outputs.some((_, o) => !slots.resident[OUT + o]);
  const plan = planQueue(rt, pool, call, slots, pool.available, copies ? 4 : 1);
  const { chunkRows, copyRows, invocation, rowsPerChunk, chunks } = plan;
  // The caller's ordinary arrays are read and written between awaits: one detached (transferred)
  // or resized meanwhile must fail the call, not make it copy nothing.
  const staged = [
    ...call.inputs.map((op, i) => ({ op, staged: !slots.resident[i] })),
    ...call.outputs.map((op, o) => ({ op, staged: !slots.resident[OUT + o] })),
  ]
    .filter((x) => x.staged)
    .map(({ op }) => ({ op, length: op.view.length }));
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
  let published = 0,
    copiedOut = 0,
    failing = true;
  try {
    for (;;) {
      const completed = pool.queue.completed;
      // Finished chunks out first (in order: it frees their slots), then the next chunk in while
      // a slot is free, else await a chunk's end.
      const out = copiedOut < published ? plan.copyOutWhenDone(copiedOut, checkAttached) : false;
      if (out === null) return null;
      if (out) {
        copiedOut++;
        continue;
      }
      if (published < chunks && published - copiedOut < pool.queue.ring) {
        const count = Math.min(rowsPerChunk, call.rows - published * rowsPerChunk);
        checkAttached();
        copyRows(published, count, "in");
        chunkRows[published % pool.queue.ring] = count;
        pool.queue.publish(published, invocation(published, count));
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
  finish();
  // Views of a shared memory stay valid when it grows: the declared outputs are the results.
  return given.outputs.map((op) => op.view);
}

const isResizable = (view: Elements) => (view.buffer as ArrayBuffer & { resizable?: boolean }).resizable === true;

/**
 * A resizable ArrayBuffer can shrink and grow back between two awaits, leaving a view of the
 * same length over zeroed rows: such inputs are copied when the call starts (it computes from
 * the rows as they were), and such outputs are written into arrays of ours and copied into the
 * caller's when the call ends (`finish`, which fails the call if one no longer fits).
 */
function detachResizable(call: KernelCall): { call: KernelCall; finish: () => void } {
  if (!call.inputs.some((op) => isResizable(op.view)) && !call.outputs.some((op) => isResizable(op.view))) {
    return { call, finish: () => undefined };
  }
  const inputs = call.inputs.map((op) => (isResizable(op.view) ? { ...op, view: op.view.slice(), own: true } : op));
  const outputs = call.outputs.map((op) => {
    if (!isResizable(op.view)) return op;
    const Ctor = op.view.constructor as new (n: number) => Elements;
    return { ...op, view: new Ctor(op.view.length), own: true, inPlaceOf: undefined };
  });
  const finish = () => {
    outputs.forEach((op, o) => {
      const target = call.outputs[o];
      if (op === target) return;
      if (target.view.length !== op.view.length) {
        throw new TypeError(
          `${call.fn}: ${target.name} was detached or resized while the call ran (length ${op.view.length}, now ${target.view.length}); ` +
            `leave a call's arrays alone until its promise settles`,
        );
      }
      target.view.set(op.view);
    });
  };
  return { call: { ...call, inputs, outputs }, finish };
}
