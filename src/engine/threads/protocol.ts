// Worker threads over one shared wasm memory (Node's worker_threads, or a cross-origin-isolated
// page's Web Workers). Each worker instantiates the same compiled threaded build over the
// runtime's shared Memory and waits on its control block. Three kinds of job:
//  - one kernel invocation (an export's index and its numeric arguments): a split call hands
//    each worker a share of the rows and runs its own share on the calling thread (run());
//  - a program (Node): steps of copies between the caller's SharedArrayBuffers and wasm memory
//    around kernel invocations, received through the worker's message port (runPrograms());
//  - the chunk queue: a pipelined call publishes chunks of rows as the calling thread copies them
//    in, and the workers claim the next one, run it and mark it done, so copying and computing
//    overlap (startQueue() and on; the calling thread may claim chunks too).
// A job is handed over only by a compare-exchange from idle. The calling thread waits with
// Atomics.wait (Node lets its main thread block) or, on a page's main thread, where Atomics.wait
// is not allowed, by spinning on Atomics.load: the call blocks that thread either way, for less
// time than on one thread. Workers are unref'd (Node): they never keep a process alive;
// dispose() ends them. A worker that crashes (an exception outside a kernel, process.exit) says
// so through its control block before it goes: the call that was waiting for it fails with a
// clear error, a worker found dead before a call gets no job (its share runs on the calling
// thread), and a replacement starts at once (calls in between run on the threads that are left).
//
// This file: the words of the control blocks and the chunk queue, shared by both sides (the
// worker loop is generated from them), and what a job carries.
import { KERNEL_SIGNATURES } from "../wasm.js";

/**
 * Control block words: the state, the job (an export's index, or a special job), the argument
 * count, the result, and a flag that makes the worker crash on its next job (tests).
 */
export const STATE = 0,
  JOB_KIND = 1,
  COUNT = 2,
  RESULT = 3,
  CRASH = 4;
export const IDLE = 0,
  JOB = 1,
  DONE = 2,
  QUIT = 3,
  FAILED = 4,
  DEAD = 5;
/**
 * JOB_KIND of the chunk queue, and of a program: steps of copies from and to the caller's SharedArrayBuffers around kernel calls,
 * received through the worker's message port (Node only: a browser worker blocked in
 * Atomics.wait cannot receive a message).
 */
export const QUEUE_JOB = -1,
  PROGRAM_JOB = -3;
export const MAX_ARGS = 24;
/**
 * Queue words: chunks published, claimed, in the call; the abort flag; chunks completed; a signal
 * counter (bumped on every publish and on abort: what an idle worker sleeps on, so neither can be
 * missed); then per ring slot the chunk done there (+1) and its result.
 */
export const Q_PUBLISHED = 0,
  Q_CLAIMED = 1,
  Q_TOTAL = 2,
  Q_ABORT = 3,
  Q_COMPLETED = 4,
  Q_SIGNAL = 5,
  Q_SLOTS = 8;
/** A chunk's result when its kernel trapped. */
export const TRAPPED = -2;
/** How long a call waits for a worker that neither answers nor says it died before giving up on the pool. */
export const WORKER_TIMEOUT_MS = 120_000;
/** Atomics.load rounds a worker spins before it sleeps while waiting for the next chunk (a futex wake costs more than a chunk's hand-off). */
export const SPINS = 20_000;
// Longer spins (1 ms, time-based, for the worker's next job, the calling thread's wait for a share,
// and the worker's wait for its result to be taken) were tried and measured no robust difference
// (farm-bench, whole processes, two runs of 10 pairs each: with them 65536×10 cross-entropy was 4 %
// faster in one run and 8 % slower in the other, 4096×1000 softmax over shared arrays 20 % slower
// and even): the short spin holds a core for less time.

export const EXPORTS = Object.keys(KERNEL_SIGNATURES);

/** One kernel call to run on a worker: the export's name and its arguments. */
export interface Invocation {
  name: string;
  args: number[];
}

/** [buffer, byte offset there, byte address in wasm memory, bytes] of a copy: into wasm memory before the step's kernel, or out of it after. */
export type Copy = [SharedArrayBuffer, number, number, number];

/** A program's step: copies into wasm memory, one kernel call, copies out. */
export interface ProgramStep extends Invocation {
  copyIn: Copy[];
  copyOut: Copy[];
}
