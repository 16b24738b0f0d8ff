// The chunk queue of pipelined and async calls, in shared memory: the calling thread publishes
// chunks of rows (the export and arguments of each, in its ring slot), workers and the calling
// thread claim them in order, and each marks its chunk done with the kernel's result.
import {
  EXPORTS,
  MAX_ARGS,
  Q_ABORT,
  Q_CLAIMED,
  Q_COMPLETED,
  Q_PUBLISHED,
  Q_SIGNAL,
  Q_SLOTS,
  Q_TOTAL,
  type Invocation,
} from "./protocol.js";

export class ChunkQueue {
  /** The queue's words (protocol.ts: Q_*), then per ring slot the chunk done there (+1) and its result. */
  readonly words: Int32Array;
  /** Each ring slot's invocation: the export's index, the argument count, the arguments. */
  readonly jobs: Float64Array;

  /** A queue of `ring` slots: chunks in flight at most. */
  constructor(readonly ring: number) {
    this.words = new Int32Array(new SharedArrayBuffer(4 * (Q_SLOTS + 2 * ring)));
    this.jobs = new Float64Array(new SharedArrayBuffer(8 * (MAX_ARGS + 2) * ring));
  }

  /** Clears the queue for a call of `total` chunks. */
  reset(total: number): void {
    this.words.fill(0);
    this.words[Q_TOTAL] = total;
  }

  /** Wakes the workers waiting for a chunk. */
  signal(): void {
    Atomics.add(this.words, Q_SIGNAL, 1);
    Atomics.notify(this.words, Q_SIGNAL);
  }

  /** Publishes chunk j (its rows are in ring slot j % ring) to be run as `job`. */
  publish(j: number, job: Invocation): void {
    const at = (j % this.ring) * (MAX_ARGS + 2);
    this.jobs[at] = EXPORTS.indexOf(job.name);
    this.jobs[at + 1] = job.args.length;
    this.jobs.set(job.args, at + 2);
    Atomics.store(this.words, Q_PUBLISHED, j + 1);
    this.signal();
  }

  /** Claims the next chunk for the calling thread if it is published (j < published), else −1. */
  claim(published: number): number {
    const next = Atomics.load(this.words, Q_CLAIMED);
    if (next >= published) return -1;
    return Atomics.compareExchange(this.words, Q_CLAIMED, next, next + 1) === next ? next : -1;
  }

  /** Published chunks no worker has claimed yet. */
  unclaimed(published: number): number {
    return published - Math.min(Atomics.load(this.words, Q_CLAIMED), published);
  }

  /** Marks chunk j done by the calling thread with the kernel's result. */
  complete(j: number, result: number): void {
    const s = j % this.ring;
    this.words[Q_SLOTS + this.ring + s] = result;
    Atomics.store(this.words, Q_SLOTS + s, j + 1);
    Atomics.add(this.words, Q_COMPLETED, 1);
  }

  /** Chunk j's result once it is done, else null. */
  result(j: number): number | null {
    const s = j % this.ring;
    return Atomics.load(this.words, Q_SLOTS + s) === j + 1 ? this.words[Q_SLOTS + this.ring + s] : null;
  }

  /** Chunks completed so far (read it before looking at the chunks, then awaitProgress from it). */
  get completed(): number {
    return Atomics.load(this.words, Q_COMPLETED);
  }

  /** Tells the workers to stop claiming chunks. */
  abort(): void {
    Atomics.store(this.words, Q_ABORT, 1);
    this.signal();
  }
}
