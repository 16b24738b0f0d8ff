// A call cut into chunks of rows for the chunk queue: ring slots of staged rows, each chunk's
// addresses and invocation, the copies in and out. Shared by the pipelined and async paths.
import type { Addresses, KernelCall, RowOperand } from "../call.js";
import { copy, heapFor, NO_FIXED, SLOT_LAYOUT, type Slots } from "../frame.js";
import type { ThreadPool } from "./pool.js";
import { TRAPPED, type Invocation } from "./protocol.js";
import type { Runtime } from "../runtime.js";

import { pipelineSlotBytes } from "./tuning.js";

const { OUT, FIXED, SCRATCH } = SLOT_LAYOUT;

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
  const ring = pool.queue.ring;
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
    const result = pool.queue.result(j);
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
 * For each output declared in place of an input, both staged through slots and of one layout:
 * the input's index (the output then shares the input's slot, as the one-thread executor does,
 * so the rows stay in cache between the kernel and the copy out). Indexed by OUT + output.
 */
export function inPlaceSlots(call: KernelCall, staged: (index: number) => boolean): number[] {
  const slotOf: number[] = [];
  call.outputs.forEach((op, o) => {
    const i = op.inPlaceOf;
    if (i === undefined || !staged(i) || !staged(OUT + o) || slotOf.includes(i)) return;
    if (op.perRow === call.inputs[i].perRow && op.view.constructor === call.inputs[i].view.constructor)
      slotOf[OUT + o] = i;
  });
  return slotOf;
}
