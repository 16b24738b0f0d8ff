// The one executor. A kernel family declares a call as data (call.ts: its operands, the wasm
// export, and the export's arguments for a chunk of rows); `execute` does the rest the same way
// for every kernel:
//  - residency: an operand that already lives in the runtime's memory (the zero-copy tier) is
//    used in place, after checking it lies inside a live WasmArray block, so a view made by hand
//    over the module's memory (its constant tables, the arena) can never reach a kernel;
//  - overlap: no output may share memory with an input or another output, except an output
//    declared in place of an input that covers exactly the same elements;
//  - staging: other operands go through the arena in chunks of whole rows that fit its budget
//    (copy in, kernel, copy out), so memory does not grow with the batch or the number of calls;
//  - growth: addresses are taken before planning, which may grow memory (and detach views of it),
//    and resident outputs are handed back as views of the memory as it is after the call;
//  - refusals: a kernel that refuses a row (an index out of range: it checks where it reads)
//    stops the call with the error the declaration gives.
// A threaded runtime brings its strategies (rt.threading: split, pipelined, offloaded): none imported here.
import type { Addresses, Elements, KernelCall, RowOperand, RowOutput } from "./call.js";
import {
  copy,
  heapFor,
  MAX_PER_KIND,
  NO_FIXED,
  refreshedOutputs,
  SLOT_LAYOUT,
  type Frame,
  type Slots,
} from "./frame.js";
import type { Runtime } from "./runtime.js";
import { chunkBudget } from "./arena.js";
import { hasHalf, widen } from "./widen.js";
import { isSharedBuffer, stageSharedOutputs } from "./shared-outputs.js";
import { checkViewsApart, type NamedView } from "../checks/overlap.js";
import type { KernelExports } from "./wasm.js";

export type { Addresses, Elements, KernelCall, RowOperand, RowOutput };

/** Runs a call's export on `count` rows from `first` with these kernels; returns the refused row or −1. */
export function invoke(kernels: KernelExports, call: KernelCall, at: Addresses, first: number, count: number): number {
  const result = callWith(kernels[call.export] as Export, call.args(at, first, count));
  return result === undefined ? -1 : result;
}

type Export = (...args: number[]) => number | undefined;

/** f(...a) for the kernels' arities, as plain calls: a spread call costs more than a small kernel's work. */
function callWith(f: Export, a: number[]): number | undefined {
  switch (a.length) {
    case 3:
      return f(a[0], a[1], a[2]);
    case 4:
      return f(a[0], a[1], a[2], a[3]);
    case 5:
      return f(a[0], a[1], a[2], a[3], a[4]);
    case 6:
      return f(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 10:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    case 11:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
    case 12:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    case 13:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
    case 14:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
    default:
      return f(...a);
  }
}

/** Whether a view lives in the runtime's memory; refuses one outside every live block. */
function isResident(rt: Runtime, fn: string, name: string, view: Elements): boolean {
  // A shared memory's buffer is a new object after it grows (and another thread's handle is
  // another object), but views of those address the same memory: they are its views all the same.
  if (view.buffer !== rt.arena.buffer && !rt.arena.owns(view.buffer)) return false;
  if (!rt.arena.inLiveBlock(view.byteOffset, view.byteLength)) {
    throw new RangeError(
      `${fn}: ${name} is a view of wasm memory outside every live WasmArray (freed, or made by hand ` +
        `over the module's memory); kernels read and write wasm memory only through arrays from allocFloat32/allocInt32`,
    );
  }
  return true;
}

const sameLayout = (a: RowOperand, b: RowOperand) => a.perRow === b.perRow && a.view.constructor === b.view.constructor;

const NONE = -1;
const { OUT, FIXED, SCRATCH } = SLOT_LAYOUT;

/**
 * Runs a declared call over all its rows. Returns the outputs' views to hand back: the
 * declaration's own, or for an output in wasm memory that grew during the call, a fresh view
 * of the same elements.
 */
export function execute(rt: Runtime, call: KernelCall, frame: Frame): Elements[];
/** With `offload` (an async call): on a threaded runtime a large call goes to the workers (a promise). */
export function execute(rt: Runtime, call: KernelCall, frame: Frame, offload: true): Elements[] | Promise<Elements[]>;
export function execute(
  rt: Runtime,
  call: KernelCall,
  frame: Frame,
  offload = false,
): Elements[] | Promise<Elements[]> {
  const { fn, rows, inputs, outputs } = call;
  const fixed = call.fixed ?? NO_FIXED;
  const nIn = inputs.length,
    nOut = outputs.length,
    nFixed = fixed.length;
  if (nIn > MAX_PER_KIND || nOut > MAX_PER_KIND || nFixed > MAX_PER_KIND) throw new Error(`${fn}: too many operands`);
  const results: Elements[] = [];
  for (const op of outputs) results.push(op.view);
  if (rows === 0) return results;
  const arena = rt.arena;
  const { resident, base, bytes, region, into, shares } = frame;

  // Residency, and addresses taken before planning: a plan may grow memory, which detaches
  // views of it (a detached view reads as offset 0, length 0).
  let anyResident = 0,
    sharedOutput = false;
  for (let i = 0; i < nIn; i++) {
    const op = inputs[i];
    resident[i] = !op.own && isResident(rt, fn, op.name, op.view) ? 1 : 0;
    anyResident |= resident[i];
    base[i] = op.view.byteOffset;
    into[i] = NONE;
  }
  for (let j = 0; j < nOut; j++) {
    const op = outputs[j];
    resident[OUT + j] = !op.own && isResident(rt, fn, op.name, op.view) ? 1 : 0;
    if (!op.own && !resident[OUT + j] && isSharedBuffer(op.view.buffer)) sharedOutput = true;
    anyResident |= resident[OUT + j];
    base[OUT + j] = op.view.byteOffset;
    frame.length[OUT + j] = op.view.length;
    shares[OUT + j] = NONE;
  }
  for (let k = 0; k < nFixed; k++) {
    resident[FIXED + k] = isResident(rt, fn, fixed[k].name, fixed[k].view) ? 1 : 0;
    anyResident |= resident[FIXED + k];
    base[FIXED + k] = fixed[k].view.byteOffset;
  }

  if (sharedOutput) {
    const staged = stageSharedOutputs(rt, call);
    if (staged !== null) {
      if (!offload) return staged.finish(execute(rt, staged.call, frame));
      return Promise.resolve(execute(rt, staged.call, frame, true)).then(staged.finish);
    }
  }

  const threading = rt.threading;
  if (threading !== null) {
    // An async call large enough goes to the workers; one they hand back (a refused row, no
    // worker free) runs here as a synchronous call would.
    if (offload && !hasHalf(inputs) && threading.offloads(call)) {
      checkOutputsApart(rt, fn, inputs, outputs, fixed, call.alsoRead);
      return threading.offload(rt, call, frame).then((done) => done ?? execute(rt, call, frame));
    }
    // A call that stays on this thread and touches nothing in the shared memory runs on the
    // runtime's ordinary instance (copies into shared memory cost more), which makes the checks
    // below itself. So does one the threads handed back (a refused row: rerun here).
    const strategy = rows > 1 && !hasHalf(inputs) ? threading.strategy(rt, call, frame) : null;
    if (strategy === null && anyResident === 0) return execute(threading.local, call, frame);
    checkOutputsApart(rt, fn, inputs, outputs, fixed, call.alsoRead);
    if (strategy !== null) {
      const done = threading.run(rt, call, frame, strategy);
      if (done !== null) return done;
      if (anyResident === 0) return execute(threading.local, call, frame);
    }
  } else {
    checkOutputsApart(rt, fn, inputs, outputs, fixed, call.alsoRead);
  }

  // Where each staged input goes: its own arena region, or (in place) straight into the memory
  // of a resident output that may overwrite it, which saves a region and a copy. A staged
  // output declared in place of a staged input shares that input's region.
  for (let j = 0; j < nOut; j++) {
    const i = outputs[j].inPlaceOf;
    if (i === undefined || outputs[j].accumulate || resident[i] || inputs[i].half || !sameLayout(outputs[j], inputs[i]))
      continue;
    if (resident[OUT + j]) {
      if (into[i] === NONE) into[i] = j;
    } else if (into[i] === NONE && !sharedAlready(frame, i, nOut)) {
      shares[OUT + j] = i;
    }
  }

  for (let i = 0; i < nIn; i++) {
    // A 16-bit input gets a float32 region, resident or not: its rows are widened into it.
    bytes[i] = inputs[i].half
      ? inputs[i].perRow * 4
      : resident[i] || into[i] !== NONE
        ? 0
        : inputs[i].perRow * inputs[i].view.BYTES_PER_ELEMENT;
  }
  for (let j = 0; j < nOut; j++) {
    const rowBytes = outputs[j].perRow * outputs[j].view.BYTES_PER_ELEMENT;
    // An accumulated output: the kernel's region, and (unless resident) one to stage the array's rows.
    bytes[OUT + j] = outputs[j].accumulate
      ? resident[OUT + j]
        ? rowBytes
        : 2 * rowBytes
      : resident[OUT + j] || shares[OUT + j] !== NONE
        ? 0
        : rowBytes;
  }
  for (let k = 0; k < nFixed; k++) bytes[FIXED + k] = resident[FIXED + k] ? 0 : fixed[k].view.byteLength;
  bytes[SCRATCH] = call.scratchBytes ?? 0;
  const rowsPerChunk = arena.plan(
    fn,
    rows,
    frame,
    nIn,
    nOut,
    nFixed,
    call.rowMultiple ?? 1,
    chunkBudget(arena, call, frame),
  );

  const at: Addresses = { inputs: [], outputs: [], fixed: [], scratch: call.scratchBytes ? region[SCRATCH] : 0 };
  for (let k = 0; k < nFixed; k++) {
    const view = fixed[k].view;
    if (resident[FIXED + k]) {
      at.fixed.push(base[FIXED + k]);
    } else {
      at.fixed.push(region[FIXED + k]);
      heapFor(arena, view).set(view, region[FIXED + k] / view.BYTES_PER_ELEMENT);
    }
  }
  for (let i = 0; i < nIn; i++) at.inputs.push(0);
  for (let j = 0; j < nOut; j++) at.outputs.push(0);

  for (let first = 0; first < rows; first += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - first);
    for (let j = 0; j < nOut; j++) {
      const op = outputs[j];
      at.outputs[j] =
        resident[OUT + j] && !op.accumulate
          ? base[OUT + j] + first * op.perRow * op.view.BYTES_PER_ELEMENT
          : region[OUT + j];
    }
    for (let i = 0; i < nIn; i++) {
      const op = inputs[i];
      const size = op.view.BYTES_PER_ELEMENT;
      if (op.half) {
        at.inputs[i] = widen(rt, op, resident[i] ? base[i] : -1, region[i], first, count);
        continue;
      }
      if (resident[i]) {
        at.inputs[i] = base[i] + first * op.perRow * size;
        continue;
      }
      const address = into[i] !== NONE ? at.outputs[into[i]] : region[i];
      copy(heapFor(arena, op.view), address / size, op.view, first * op.perRow, count * op.perRow);
      at.inputs[i] = address;
    }
    for (let j = 0; j < nOut; j++) {
      if (shares[OUT + j] !== NONE) at.outputs[j] = at.inputs[shares[OUT + j]];
    }

    const refused = invoke(rt.kernels, call, at, first, count);
    if (refused >= 0) {
      throw call.refused?.(first + refused) ?? new RangeError(`${fn}: the kernel refused row ${first + refused}`);
    }

    for (let j = 0; j < nOut; j++) {
      const op = outputs[j];
      const n = count * op.perRow;
      if (op.accumulate) {
        if (resident[OUT + j]) {
          rt.kernels.addInto(base[OUT + j] + first * op.perRow * 4, at.outputs[j], n);
        } else {
          // The array's rows into the second region, the sum there, and back.
          const staged = region[OUT + j] + rowsPerChunk * op.perRow * 4;
          copy(heapFor(arena, op.view), staged / 4, op.view, first * op.perRow, n);
          rt.kernels.addInto(staged, at.outputs[j], n);
          copy(op.view, first * op.perRow, heapFor(arena, op.view), staged / 4, n);
        }
        continue;
      }
      if (resident[OUT + j]) continue;
      copy(op.view, first * op.perRow, heapFor(arena, op.view), at.outputs[j] / op.view.BYTES_PER_ELEMENT, n);
    }
  }

  return refreshedOutputs(arena, call, frame);
}

/** Whether some output already shares input i's region. */
function sharedAlready(slots: Slots, i: number, nOut: number): boolean {
  for (let j = 0; j < nOut; j++) if (slots.shares[OUT + j] === i) return true;
  return false;
}

/**
 * Every output against every input, fixed input, caller array and later output (checkNoOverlap).
 * A view through another handle of the runtime's memory is compared as a view of the memory itself.
 */
export function checkOutputsApart(
  rt: Runtime,
  fn: string,
  inputs: readonly RowOperand[],
  outputs: readonly RowOutput[],
  fixed: readonly NamedView[],
  alsoRead: readonly NamedView[] | undefined,
): void {
  for (let j = 0; j < outputs.length; j++) {
    const out = outputs[j];
    if (out.own) continue;
    const view = canonical(rt, out.view);
    for (let i = 0; i < inputs.length; i++) {
      if (!inputs[i].own)
        checkViewsApart(fn, out.name, view, inputs[i].name, canonical(rt, inputs[i].view), out.inPlaceOf === i);
    }
    // The caller arrays named again in alsoRead include the input this output may overwrite.
    const inPlaceOf = out.inPlaceOf === undefined ? null : inputs[out.inPlaceOf].view;
    for (const op of fixed) checkViewsApart(fn, out.name, view, op.name, canonical(rt, op.view), op.view === inPlaceOf);
    if (alsoRead)
      for (const op of alsoRead)
        checkViewsApart(fn, out.name, view, op.name, canonical(rt, op.view), op.view === inPlaceOf);
    for (let k = j + 1; k < outputs.length; k++) {
      if (!outputs[k].own) checkViewsApart(fn, out.name, view, outputs[k].name, canonical(rt, outputs[k].view), false);
    }
  }
}

/** A view through another handle of the runtime's memory, as a view of the memory itself; any other view as it is. */
function canonical(rt: Runtime, view: ArrayBufferView): ArrayBufferView {
  const arena = rt.arena;
  if (!arena.shared || view.buffer === arena.buffer || !arena.owns(view.buffer)) return view;
  return new Uint8Array(arena.buffer, view.byteOffset, view.byteLength);
}

/**
 * A way back to a view's elements after memory may have grown: returns the view itself, or,
 * when it was a view of the runtime's memory that has since grown (detached), a fresh view of
 * the same elements. For outputs written in JavaScript after the kernels ran.
 */
export function keepView<T extends Elements | BigInt64Array>(rt: Runtime, view: T): () => T {
  const buffer = view.buffer,
    byteOffset = view.byteOffset,
    length = view.length;
  return () => {
    const memory = rt.arena.buffer;
    if (buffer === memory || !rt.arena.isRetired(buffer)) return view;
    const Ctor = view.constructor as new (b: ArrayBufferLike, o: number, n: number) => T;
    return new Ctor(memory, byteOffset, length);
  };
}

/**
 * What a public function returns for an output: the caller's own `out` object, unless wasm
 * memory grew during the call and detached it (then a fresh view of the same elements).
 */
export function returned<T>(given: unknown, declared: ArrayBufferView, final: ArrayBufferView): T {
  return (final !== declared || given === undefined ? final : given) as T;
}
