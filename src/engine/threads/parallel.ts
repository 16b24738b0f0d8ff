// Running one declared call on several threads (a threaded runtime's pool):
//  - split: every caller array lives in the shared memory (zero-copy) or in a SharedArrayBuffer,
//    so each thread runs a contiguous share of the rows, the calling thread the first: in place,
//    or (shared arrays, Node) copying its own rows in and out through a slot of its own;
//  - pipelined: some caller arrays are ordinary ones, which only the calling thread can read. It
//    copies chunks of rows into a ring of arena slots and publishes them; the workers (and the
//    calling thread, whenever the ring is full) run the published chunks; the calling thread
//    copies finished chunks out in order. Copying and computing overlap.
// Every row's outputs are the same as on one thread (per-row kernels; counter-based streams take
// the row's position), so results do not depend on the thread count or the split.
import type { Addresses, Elements, KernelCall, RowOperand } from "../call.js";
import { invoke } from "../execute.js";
import { copy, heapFor, NO_FIXED, refreshedOutputs, SLOT_LAYOUT, Slots } from "../frame.js";
import { TRAPPED, type Copy, type Invocation, type ProgramStep, type ThreadPool } from "./pool.js";
import type { Runtime } from "../runtime.js";

const { OUT, FIXED, SCRATCH } = SLOT_LAYOUT;

/**
 * Elements of row data below which a call runs on the calling thread alone: handing work to a
 * worker costs about 10–20 µs (measured: a softmax over 2^18 elements splits profitably).
 */
export const THREAD_CROSSOVER_ELEMENTS = 1 << 18;

/** How many calls ran split across threads, pipelined, split with copies of shared arrays (and their steps), and async on the workers, for tests. */
export const splitStats = { calls: 0, pipelined: 0, shared: 0, sharedSteps: 0, offloaded: 0 };

/**
 * An operand a split call stages whole instead of using in place: an array of ours with a value
 * or two per row (labels' snapshot, per-row losses, uniforms), small next to the rows.
 */
const stagedWhole = (op: RowOperand, isResident: number) => !isResident && op.own === true && op.perRow <= 2;

/**
 * Whether a call may go through the chunk queue: a pool with a worker ready, at least two rows, no
 * accumulated output, and at least `crossover` elements of row data (inputs and outputs).
 */
export function queueWorthIt(pool: ThreadPool, call: KernelCall, crossover: number): boolean {
  if (pool.available === 0 || call.rows < 2) return false;
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
const pipelineSlotBytes = (rt: Runtime) => Math.max(rt.arena.budgetBytes, 1 << 20);

/** A call cut into chunks of rows for the pool's chunk queue (ring slots of staged rows). */
export interface QueuePlan {
  rowsPerChunk: number;
  /** Chunks of rowsPerChunk rows (the last one may be shorter). */
  chunks: number;
  multiple: number;
  /** Some operand lives in the shared memory (used in place). */
  anyResident: boolean;
  /** Rows of each ring slot's chunk (the last published one may be cut short). */
  chunkRows: number[];
  chunkAddresses(j: number): Addresses;
  /** The kernel invocation of chunk j (count rows). */
  invocation(j: number, count: number): Invocation;
  /** Copies chunk j's rows of the staged inputs into its ring slot, or of the staged outputs out of it. */
  copyRows(j: number, count: number, direction: "in" | "out"): void;
  /**
   * Chunk j (the next to copy out, in order: it frees the slot) once it is done: copies its rows
   * out (after `beforeCopy`) and returns true; false while it runs; null when its kernel refused a
   * row. Throws when the kernel trapped on a worker.
   */
  copyOutWhenDone(j: number, beforeCopy?: () => void): boolean | null;
}

/**
 * Plans a call for the chunk queue: ring slots of each staged operand, chunks small enough that
 * each of `threads` threads gets chunksPerThread of them, fixed operands staged. The executor's bookkeeping
 * (residency, addresses) is copied, so the plan stays valid across awaits.
 */
export function planQueue(
  rt: Runtime,
  pool: ThreadPool,
  call: KernelCall,
  slots: Slots,
  threads: number,
  chunksPerThread = 4,
): QueuePlan {
  const { fn, rows, inputs, outputs } = call;
  const fixed = call.fixed ?? NO_FIXED;
  const nIn = inputs.length,
    nOut = outputs.length,
    nFixed = fixed.length;
  const { bytes } = slots;
  const resident = slots.resident.slice(),
    base = slots.base.slice();
  const ring = pool.ring;
  const multiple = call.rowMultiple ?? 1;
  const rowBytes = (op: RowOperand) => op.perRow * op.view.BYTES_PER_ELEMENT;
  let anyResident = false;
  for (let i = 0; i < nIn; i++) {
    bytes[i] = resident[i] ? 0 : ring * rowBytes(inputs[i]);
    anyResident ||= resident[i] === 1;
  }
  const slotOf = inPlaceSlots(call, (index) => !resident[index]);
  for (let o = 0; o < nOut; o++) {
    bytes[OUT + o] = resident[OUT + o] || slotOf[OUT + o] !== undefined ? 0 : ring * rowBytes(outputs[o]);
    anyResident ||= resident[OUT + o] === 1;
  }
  for (let k = 0; k < nFixed; k++) {
    bytes[FIXED + k] = resident[FIXED + k] ? 0 : fixed[k].view.byteLength;
    anyResident ||= resident[FIXED + k] === 1;
  }
  const scratchEach = call.scratchBytes ? Math.ceil(call.scratchBytes / 16) * 16 : 0;
  bytes[SCRATCH] = scratchEach * ring;
  // Each operand's region holds `ring` slots of rowsPerChunk rows, one after another.
  // At most a slot's worth, and small enough that every thread gets several chunks.
  const cap = Math.ceil(Math.ceil(rows / (chunksPerThread * threads)) / multiple) * multiple;
  const rowsPerChunk = rt.arena.plan(fn, cap, slots, nIn, nOut, nFixed, multiple, ring * pipelineSlotBytes(rt));
  const region = slots.region.slice();

  const fixedAt: number[] = [];
  for (let k = 0; k < nFixed; k++) fixedAt.push(resident[FIXED + k] ? base[FIXED + k] : region[FIXED + k]);
  const chunkAddresses = (j: number): Addresses => {
    const s = j % ring,
      first = j * rowsPerChunk;
    return {
      inputs: inputs.map((op, i) =>
        resident[i] ? base[i] + first * rowBytes(op) : region[i] + s * rowsPerChunk * rowBytes(op),
      ),
      outputs: outputs.map((op, o) =>
        resident[OUT + o]
          ? base[OUT + o] + first * rowBytes(op)
          : region[slotOf[OUT + o] ?? OUT + o] + s * rowsPerChunk * rowBytes(op),
      ),
      fixed: fixedAt,
      scratch: scratchEach ? region[SCRATCH] + s * scratchEach : 0,
    };
  };
  const invocation = (j: number, count: number): Invocation => ({
    name: call.export,
    args: call.args(chunkAddresses(j), j * rowsPerChunk, count),
  });

  for (let k = 0; k < nFixed; k++) {
    if (resident[FIXED + k]) continue;
    const view = fixed[k].view;
    heapFor(rt.arena, view).set(view, region[FIXED + k] / view.BYTES_PER_ELEMENT);
  }
  const copyRows = (j: number, count: number, direction: "in" | "out") => {
    const first = j * rowsPerChunk,
      at = chunkAddresses(j);
    const ops = direction === "in" ? inputs : outputs,
      addresses = direction === "in" ? at.inputs : at.outputs;
    for (let i = 0; i < ops.length; i++) {
      if (resident[(direction === "in" ? 0 : OUT) + i]) continue;
      const op = ops[i],
        heap = heapFor(rt.arena, op.view),
        size = op.view.BYTES_PER_ELEMENT;
      if (direction === "in") copy(heap, addresses[i] / size, op.view, first * op.perRow, count * op.perRow);
      else copy(op.view, first * op.perRow, heap, addresses[i] / size, count * op.perRow);
    }
  };
  const chunkRows = new Array<number>(ring).fill(0);
  const copyOutWhenDone = (j: number, beforeCopy?: () => void): boolean | null => {
    const result = pool.result(j);
    if (result === null) return false;
    if (result === TRAPPED) throw new Error(`${fn}: a kernel trapped on a worker`);
    if (result >= 0) return null;
    beforeCopy?.();
    copyRows(j, chunkRows[j % ring], "out");
    return true;
  };
  return {
    rowsPerChunk,
    chunks: Math.ceil(rows / rowsPerChunk),
    multiple,
    anyResident,
    chunkRows,
    chunkAddresses,
    invocation,
    copyRows,
    copyOutWhenDone,
  };
}

/**
 * Runs a call with staged operands through the pool's chunk queue. The ring has pool.ring slots,
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
  const ring = pool.ring;

  // At most as many chunks as fit from the front; the workers stop at the abort endQueue sends.
  pool.startQueue(fn, plan.chunks);
  let published = 0,
    copiedOut = 0,
    back = rows,
    failing = true;
  try {
    for (;;) {
      const completed = pool.completed;
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
        (localRows === null || pool.unclaimed(published) < threads - 1)
      ) {
        const count = Math.min(rowsPerChunk, back - front);
        copyRows(published, count, "in");
        chunkRows[published % ring] = count;
        pool.publish(published, invocation(published, count));
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
      const j = pool.claim(published);
      if (j >= 0) {
        pool.complete(j, invoke(rt.kernels, call, chunkAddresses(j), j * rowsPerChunk, chunkRows[j % ring]));
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
class LocalRows {
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

/**
 * For each output declared in place of an input, both staged through slots and of one layout:
 * the input's index (the output then shares the input's slot, as the one-thread executor does,
 * so the rows stay in cache between the kernel and the copy out). Indexed by OUT + output.
 */
function inPlaceSlots(call: KernelCall, staged: (index: number) => boolean): number[] {
  const slotOf: number[] = [];
  call.outputs.forEach((op, o) => {
    const i = op.inPlaceOf;
    if (i === undefined || !staged(i) || !staged(OUT + o) || slotOf.includes(i)) return;
    if (op.perRow === call.inputs[i].perRow && op.view.constructor === call.inputs[i].view.constructor)
      slotOf[OUT + o] = i;
  });
  return slotOf;
}

/** Whether a view is a caller's array over a SharedArrayBuffer (other than this runtime's memory). */
const isShared = (view: Elements) =>
  typeof SharedArrayBuffer === "function" && view.buffer instanceof SharedArrayBuffer;

/**
 * Whether a call may be split across threads, and how: "in place" when every caller array is
 * resident (zero-copy); "copying" when some are over SharedArrayBuffers instead (the workers take
 * programs: Node). Arrays of ours must be per-row values only (staged whole), no output
 * accumulated, and there must be enough row data to pay for the hand-off. Else null.
 */
export function splitKind(pool: ThreadPool, call: KernelCall, slots: Slots): "in place" | "copying" | null {
  if (pool.available === 0 || call.rows < 2) return null;
  const { resident } = slots;
  let perRow = 0,
    copying = false;
  const fits = (op: RowOperand, isResident: number, accumulate = false) => {
    if (accumulate) return false;
    if (isResident) {
      perRow += op.perRow;
      return true;
    }
    if (stagedWhole(op, isResident)) return true;
    if (op.own || !isShared(op.view) || !pool.takesPrograms) return false;
    copying = true;
    perRow += op.perRow;
    return true;
  };
  for (let i = 0; i < call.inputs.length; i++) if (!fits(call.inputs[i], resident[i])) return null;
  for (let o = 0; o < call.outputs.length; o++)
    if (!fits(call.outputs[o], resident[OUT + o], call.outputs[o].accumulate)) return null;
  if (call.rows * perRow < THREAD_CROSSOVER_ELEMENTS) return null;
  return copying ? "copying" : "in place";
}

/**
 * Runs a call split across threads (splitKind): every thread takes a contiguous share of the
 * rows, with scratch of its own. Resident operands are used in place; arrays of ours are staged
 * whole; each thread copies its rows of a SharedArrayBuffer operand between the caller's buffer
 * and a slot of its own in the arena, chunk by chunk (a worker through a program of steps it
 * receives, the calling thread directly), so the copies run on every core too. Returns null when
 * a row was refused: the one-thread run then names the first refused row.
 */
export function executeSplit(
  rt: Runtime,
  pool: ThreadPool,
  call: KernelCall,
  slots: Slots,
  kind: "in place" | "copying",
): Elements[] | null {
  const { fn, rows, inputs, outputs } = call;
  const fixed = call.fixed ?? NO_FIXED;
  const nIn = inputs.length,
    nOut = outputs.length,
    nFixed = fixed.length;
  const { resident, base, bytes, region } = slots;
  const threads = pool.available + 1;
  const multiple = call.rowMultiple ?? 1;
  const share = Math.ceil(Math.ceil(rows / threads) / multiple) * multiple;
  const rowBytes = (op: RowOperand) => op.perRow * op.view.BYTES_PER_ELEMENT;
  const wholeBytes = (op: RowOperand) => Math.ceil((rows * rowBytes(op)) / 16) * 16;
  // Per thread a slot of each copied operand and its scratch; then the staged arrays whole.
  let extra = 0;
  for (let i = 0; i < nIn; i++) {
    const w = stagedWhole(inputs[i], resident[i]);
    bytes[i] = resident[i] || w ? 0 : threads * rowBytes(inputs[i]);
    if (w) extra += wholeBytes(inputs[i]);
  }
  const slotOf = inPlaceSlots(call, (index) => {
    const op = index < OUT ? inputs[index] : outputs[index - OUT];
    return !resident[index] && !stagedWhole(op, resident[index]);
  });
  for (let o = 0; o < nOut; o++) {
    const w = stagedWhole(outputs[o], resident[OUT + o]);
    bytes[OUT + o] = resident[OUT + o] || w || slotOf[OUT + o] !== undefined ? 0 : threads * rowBytes(outputs[o]);
    if (w) extra += wholeBytes(outputs[o]);
  }
  for (let k = 0; k < nFixed; k++) bytes[FIXED + k] = resident[FIXED + k] ? 0 : fixed[k].view.byteLength;
  const scratchEach = call.scratchBytes ? Math.ceil(call.scratchBytes / 16) * 16 : 0;
  bytes[SCRATCH] = scratchEach * threads + extra;
  // A budget per thread for the slots, besides the scratch and the arrays staged whole.
  const rowsPerChunk = rt.arena.plan(
    fn,
    share,
    slots,
    nIn,
    nOut,
    nFixed,
    multiple,
    threads * rt.arena.budgetBytes + bytes[SCRATCH],
  );

  let at = region[SCRATCH] + scratchEach * threads;
  const wholeAt: number[] = [];
  for (let i = 0; i < nIn; i++) {
    if (!stagedWhole(inputs[i], resident[i])) continue;
    wholeAt[i] = at;
    at += wholeBytes(inputs[i]);
    // A pooled array of ours may be longer than the call's rows: stage only rows × perRow.
    const view = inputs[i].view;
    heapFor(rt.arena, view).set(view.subarray(0, rows * inputs[i].perRow), wholeAt[i] / view.BYTES_PER_ELEMENT);
  }
  for (let o = 0; o < nOut; o++) {
    if (!stagedWhole(outputs[o], resident[OUT + o])) continue;
    wholeAt[OUT + o] = at;
    at += wholeBytes(outputs[o]);
  }
  const fixedAt: number[] = [];
  for (let k = 0; k < nFixed; k++) {
    if (resident[FIXED + k]) {
      fixedAt.push(base[FIXED + k]);
    } else {
      fixedAt.push(region[FIXED + k]);
      heapFor(rt.arena, fixed[k].view).set(fixed[k].view, region[FIXED + k] / fixed[k].view.BYTES_PER_ELEMENT);
    }
  }
  /** An operand's address for rows from `first` on thread t: in place, in its whole staging, or in t's slot. */
  const address = (index: number, op: RowOperand, t: number, first: number) =>
    resident[index]
      ? base[index] + first * rowBytes(op)
      : wholeAt[index] !== undefined
        ? wholeAt[index] + first * rowBytes(op)
        : region[slotOf[index] ?? index] + t * rowsPerChunk * rowBytes(op);
  const copies = (ops: readonly RowOperand[], offset: number, t: number, first: number, count: number): Copy[] => {
    const list: Copy[] = [];
    ops.forEach((op, i) => {
      if (resident[offset + i] || wholeAt[offset + i] !== undefined) return;
      list.push([
        op.view.buffer as SharedArrayBuffer,
        op.view.byteOffset + first * rowBytes(op),
        address(offset + i, op, t, first),
        count * rowBytes(op),
      ]);
    });
    return list;
  };
  const program = (t: number): { steps: ProgramStep[]; firsts: number[]; counts: number[]; at: Addresses[] } => {
    const steps: ProgramStep[] = [],
      firsts: number[] = [],
      counts: number[] = [],
      ats: Addresses[] = [];
    const end = Math.min(rows, (t + 1) * share);
    for (let first = t * share; first < end; first += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, end - first);
      const addresses: Addresses = {
        inputs: inputs.map((op, i) => address(i, op, t, first)),
        outputs: outputs.map((op, o) => address(OUT + o, op, t, first)),
        fixed: fixedAt,
        scratch: scratchEach ? region[SCRATCH] + t * scratchEach : 0,
      };
      steps.push({
        name: call.export,
        args: call.args(addresses, first, count),
        copyIn: copies(inputs, 0, t, first, count),
        copyOut: copies(outputs, OUT, t, first, count),
      });
      firsts.push(first);
      counts.push(count);
      ats.push(addresses);
    }
    return { steps, firsts, counts, at: ats };
  };
  const programs: ReturnType<typeof program>[] = [];
  for (let t = 0; t * share < rows; t++) programs.push(program(t));
  // The calling thread runs its own program, and any a worker could not take: the same copies
  // through views of the caller's buffers, and the kernel called directly. In place, each
  // worker's program is one kernel call.
  const runHere = (p: (typeof programs)[number]): boolean => {
    const bytesOf = (buffer: ArrayBufferLike, from: number, n: number) => new Uint8Array(buffer, from, n);
    for (let s = 0; s < p.steps.length; s++) {
      for (const [buffer, offset, address, n] of p.steps[s].copyIn)
        bytesOf(rt.arena.buffer, address, n).set(bytesOf(buffer, offset, n));
      if (invoke(rt.kernels, call, p.at[s], p.firsts[s], p.counts[s]) >= 0) return true;
      for (const [buffer, offset, address, n] of p.steps[s].copyOut)
        bytesOf(buffer, offset, n).set(bytesOf(rt.arena.buffer, address, n));
    }
    return false;
  };
  let refused = false;
  const local = () => {
    refused = runHere(programs[0]);
  };
  const others = programs.slice(1);
  const outcomes =
    kind === "in place"
      ? pool
          .run(
            fn,
            others.map((p) => p.steps[0]),
            local,
            (_, i) => (runHere(others[i]) ? 0 : -1),
          )
          .map((r) => r >= 0)
      : pool.runPrograms(
          fn,
          others.map((p) => p.steps),
          local,
          (_, i) => runHere(others[i]),
        );
  if (refused || outcomes.some((r) => r)) return null;
  for (let o = 0; o < nOut; o++) {
    const view = outputs[o].view;
    if (wholeAt[OUT + o] !== undefined)
      copy(view, 0, heapFor(rt.arena, view), wholeAt[OUT + o] / view.BYTES_PER_ELEMENT, rows * outputs[o].perRow);
  }
  if (kind === "in place") {
    splitStats.calls++;
  } else {
    splitStats.shared++;
    for (const p of programs) splitStats.sharedSteps += p.steps.length;
  }
  return refreshedOutputs(rt.arena, call, slots);
}
