// Split calls (every caller array in shared memory): each thread runs a contiguous share of the
// rows, in place or copying its own rows of the caller's SharedArrayBuffers.
import type { Addresses, Elements, KernelCall, RowOperand } from "../call.js";
import { invoke } from "../execute.js";
import { copy, heapFor, NO_FIXED, refreshedOutputs, SLOT_LAYOUT, type Slots } from "../frame.js";
import type { ThreadPool } from "./pool.js";
import type { Copy, ProgramStep } from "./protocol.js";
import type { Runtime } from "../runtime.js";

import { inPlaceSlots } from "./queue-plan.js";
import { stagingOf } from "../arena.js";
import { splitStats, THREAD_CROSSOVER_ELEMENTS } from "./tuning.js";

const { OUT, FIXED, SCRATCH } = SLOT_LAYOUT;

/**
 * An operand a split call stages whole instead of using in place: an array of ours with a value
 * or two per row (labels' snapshot, per-row losses, uniforms), small next to the rows.
 */
export const stagedWhole = (op: RowOperand, isResident: number) => !isResident && op.own === true && op.perRow <= 2;

/** Whether a view is a caller's array over a SharedArrayBuffer (other than this runtime's memory). */
export const isShared = (view: Elements) =>
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
  const fixedBytes = () => {
    let total = 0;
    for (let k = 0; k < nFixed; k++) total += bytes[FIXED + k] + 16;
    return total;
  };
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
    call.stagingBytes === undefined
      ? threads * rt.arena.budgetBytes + bytes[SCRATCH]
      : threads * Math.max(rt.arena.budgetBytes, stagingOf(call)) + bytes[SCRATCH] + fixedBytes(),
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
