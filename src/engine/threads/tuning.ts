// When a call is worth handing to the threads: crossovers measured on the bench (docs/performance.md),
// and the counters the tests read.
import type { KernelCall } from "../call.js";
import type { ThreadPool } from "./pool.js";
import type { Runtime } from "../runtime.js";

/**
 * Elements of row data below which a call runs on the calling thread alone: handing work to a
 * worker costs about 10–20 µs (measured: a softmax over 2^18 elements splits profitably).
 */
export const THREAD_CROSSOVER_ELEMENTS = 1 << 18;

/** How many calls ran split across threads, pipelined, split with copies of shared arrays (and their steps), and async on the workers, for tests. */
export const splitStats = { calls: 0, pipelined: 0, shared: 0, sharedSteps: 0, offloaded: 0 };

/**
 * Whether a call may go through the chunk queue: a pool with a worker ready, at least two rows, no
 * accumulated output, and at least `crossover` elements of row data (inputs and outputs).
 */
export function queueWorthIt(pool: ThreadPool, call: KernelCall, crossover: number): boolean {
  // A matrix product (stagingBytes) rereads its weights per chunk: ring slots are too small for it.
  if (pool.available === 0 || call.rows < 2 || call.stagingBytes !== undefined) return false;
  let perRow = 0;
  for (const op of call.inputs) perRow += op.perRow;
  for (const op of call.outputs) {
    if (op.accumulate) return false;
    perRow += op.perRow;
  }
  return call.rows * perRow >= crossover;
}

/** Whether a call that is not split may be pipelined (enough row data to pay for the hand-offs). */
export const pipelineWorthIt = (pool: ThreadPool, call: KernelCall) =>
  queueWorthIt(pool, call, PIPELINE_CROSSOVER_ELEMENTS);

/**
 * Elements of row data (inputs and outputs) below which a call with ordinary arrays stays on the
 * calling thread. Only that thread can read and write them, so it copies every row into the
 * shared memory and back while the workers compute, and those copies (V8's copy into a shared
 * buffer costs ~1.5× a copy into an ordinary one) bound the gain. Measured on 2 threads against
 * one (bench threads table, 2026-11-28, pipelined at every size from 2^20 on): 4096×1000
 * softmax / logSumExp / crossEntropyWithGrad 1.26–1.40× / 1.09–1.67× / 1.41–1.60×; 3072×1000,
 * 768×4096, 12×262144 (3–6M) 0.97–1.43×; 64×32000 1.16–1.49×; but around 1M elements
 * (600×1000 softmax, 256×4096 and 4×262144 logSumExp) 0.77–0.88×: too few chunks to overlap.
 */
export const PIPELINE_CROSSOVER_ELEMENTS = 3 << 20;

/**
 * Bytes of one ring slot: the arena budget, but at least 1 MiB. Each chunk costs the calling
 * thread ~3.5 µs of hand-off (measured: 4096×1000 softmax through the queue, 1,024 chunks of 4
 * rows 6.9 ms, 128 of 32 rows 3.9 ms, 32 of 128 rows 3.6 ms).
 */
export const pipelineSlotBytes = (rt: Runtime) => Math.max(rt.arena.budgetBytes, 1 << 20);
