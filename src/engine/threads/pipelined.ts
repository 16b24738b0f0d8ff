// Pipelined calls (ordinary arrays): the calling thread copies chunks of rows into ring slots and
// publishes them; workers run them; finished chunks are copied out in order.
import type { Addresses, Elements, KernelCall } from "../call.js";
import { invoke } from "../execute.js";
import { copy, heapFor, NO_FIXED, refreshedOutputs, SLOT_LAYOUT, Slots } from "../frame.js";
import type { ThreadPool } from "./pool.js";
import type { Runtime } from "../runtime.js";

import { planQueue } from "./queue-plan.js";
import { splitStats } from "./tuning.js";

const { OUT, FIXED, SCRATCH } = SLOT_LAYOUT;

/**
 * Runs a call with staged operands through the pool's chunk queue. The ring has pool.queue.ring slots,
 * each pipelineSlotBytes of rows (the memory a call stages stays bounded: ring × slot). Chunks
 * are published from the first row on; while the ring is full, the calling thread works from the
 * last row back, on the runtime's local instance when the call touches nothing in the shared
 * memory (its copies are the ordinary, faster ones, and its rows never cross to another core),
 * else by claiming a published chunk. The two ends meet where the threads' speeds put them.
 * Returns null when the call should run on one thread instead: one chunk (nothing to overlap), or
 * a row was refused (the one-thread run then names the first refused row, as it always would).
 */
export function executePipelined(
  rt: Runtime,
  pool: ThreadPool,
  local: Runtime,
  call: KernelCall,
  slots: Slots,
): Elements[] | null {
  const { fn, rows } = call;
  const threads = pool.available + 1;
  const plan = planQueue(rt, pool, call, slots, threads);
  // One chunk: nothing to overlap (and no share for a worker).
  if (plan.chunks === 1) return null;
  const { rowsPerChunk, multiple, chunkRows, chunkAddresses, invocation, copyRows } = plan;
  const localRows = plan.anyResident ? null : new LocalRows(local, call);
  const ring = pool.queue.ring;

  // At most as many chunks as fit from the front; the workers stop at the abort endQueue sends.
  pool.startQueue(fn, plan.chunks);
  let published = 0,
    copiedOut = 0,
    back = rows,
    failing = true;
  try {
    for (;;) {
      const completed = pool.queue.completed;
      // Finished chunks out first (in order: it frees their slots), then the next chunk in while
      // a slot is free, then work from the back, else wait for a chunk to finish.
      const out = copiedOut < published ? plan.copyOutWhenDone(copiedOut) : false;
      if (out === null) return null;
      if (out) {
        copiedOut++;
        continue;
      }
      const front = published * rowsPerChunk;
      // With a local instance, publish only while some worker lacks a chunk to go on with, and
      // work from the back otherwise; without one, keep the ring full and claim from it.
      if (
        front < back &&
        published - copiedOut < ring &&
        (localRows === null || pool.queue.unclaimed(published) < threads - 1)
      ) {
        const count = Math.min(rowsPerChunk, back - front);
        copyRows(published, count, "in");
        chunkRows[published % ring] = count;
        pool.queue.publish(published, invocation(published, count));
        published++;
        continue;
      }
      if (front < back && localRows !== null) {
        const from = Math.max(front, Math.ceil((back - localRows.rowsPerChunk) / multiple) * multiple);
        if (localRows.run(from, back) >= 0) return null;
        back = from;
        continue;
      }
      // Published chunks no worker has claimed yet (none left to work on from the back, or no
      // local instance): run one here (a worker that died before the call leaves all of them).
      const j = pool.queue.claim(published);
      if (j >= 0) {
        pool.queue.complete(j, invoke(rt.kernels, call, chunkAddresses(j), j * rowsPerChunk, chunkRows[j % ring]));
        continue;
      }
      if (copiedOut === published && front >= back) break;
      pool.awaitProgress(fn, completed);
    }
    failing = false;
  } finally {
    pool.endQueue(fn, failing);
  }
  splitStats.pipelined++;
  return refreshedOutputs(rt.arena, call, slots);
}

/**
 * Rows of a call run on a threaded runtime's local (unshared) instance, staged through its own
 * arena in chunks of its budget, as the one-thread executor would.
 */
export class LocalRows {
  readonly rowsPerChunk: number;
  readonly #plan = new Slots();
  readonly #fixedAt: number[] = [];

  constructor(
    readonly local: Runtime,
    readonly call: KernelCall,
  ) {
    const { inputs, outputs } = call;
    const fixed = call.fixed ?? NO_FIXED;
    const { bytes, region } = this.#plan;
    inputs.forEach((op, i) => {
      bytes[i] = op.perRow * op.view.BYTES_PER_ELEMENT;
    });
    outputs.forEach((op, o) => {
      bytes[OUT + o] = op.perRow * op.view.BYTES_PER_ELEMENT;
    });
    fixed.forEach((op, k) => {
      bytes[FIXED + k] = op.view.byteLength;
    });
    bytes[SCRATCH] = call.scratchBytes ?? 0;
    this.rowsPerChunk = local.arena.plan(
      call.fn,
      call.rows,
      this.#plan,
      inputs.length,
      outputs.length,
      fixed.length,
      call.rowMultiple ?? 1,
    );
    fixed.forEach((op, k) => {
      heapFor(local.arena, op.view).set(op.view, region[FIXED + k] / op.view.BYTES_PER_ELEMENT);
      this.#fixedAt.push(region[FIXED + k]);
    });
  }

  /** Runs rows [from, to) (at most rowsPerChunk); returns the kernel's refused row or −1. */
  run(from: number, to: number): number {
    const { local, call } = this;
    const { region } = this.#plan;
    const count = to - from;
    const at: Addresses = {
      inputs: [],
      outputs: [],
      fixed: this.#fixedAt,
      scratch: call.scratchBytes ? region[SCRATCH] : 0,
    };
    call.inputs.forEach((op, i) => {
      copy(
        heapFor(local.arena, op.view),
        region[i] / op.view.BYTES_PER_ELEMENT,
        op.view,
        from * op.perRow,
        count * op.perRow,
      );
      at.inputs.push(region[i]);
    });
    for (let o = 0; o < call.outputs.length; o++) at.outputs.push(region[OUT + o]);
    const refused = invoke(local.kernels, call, at, from, count);
    if (refused >= 0) return refused;
    call.outputs.forEach((op, o) => {
      copy(
        op.view,
        from * op.perRow,
        heapFor(local.arena, op.view),
        region[OUT + o] / op.view.BYTES_PER_ELEMENT,
        count * op.perRow,
      );
    });
    return -1;
  }
}
