// The one executor. A kernel family declares a call (its operands, and a function that calls the
// wasm export on one chunk of rows given each operand's address); `execute` does the rest the
// same way for every kernel:
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
import type { Runtime } from "./runtime.js";
import { copy, heapFor, MAX_PER_KIND, NO_FIXED, slot, SLOT_LAYOUT } from "./slots.js";
import { redirectKernels } from "./pool.js";
import { executePipelined, executeSplit, pipelineWorthIt, refreshedOutputs, splitKind } from "./parallel.js";
import { checkApart, type NamedView } from "./validate.js";
import { executeOffloaded, offloadWorthIt } from "./offload.js";

export type Elements = Float32Array | Int32Array | Float64Array;

/** `perRow` elements of `view` per row, rows back to back. */
export interface RowOperand {
  /** The argument's name in error messages. */
  name: string;
  /** Our own view of the caller's array (views.ts), or an array of ours. */
  view: Elements;
  perRow: number;
  /**
   * An array made for this call (a snapshot, a result buffer): never in wasm memory, shares
   * memory with nothing, so it skips those checks. (Reading `.buffer` of a small fresh typed
   * array makes V8 move it off the heap: about 0.2 µs each, the bulk of a small call.)
   */
  own?: boolean;
}

export interface RowOutput extends RowOperand {
  /** The input (its index in `inputs`) this output may overwrite element for element. */
  inPlaceOf?: number;
  /**
   * Add the kernel's values into the array instead of overwriting it (f32): the kernel writes
   * into an arena region of its own, which the executor then adds into the array's rows.
   */
  accumulate?: boolean;
}

/** Addresses of each operand's first row in this chunk (bytes), in declaration order. */
export interface Addresses {
  inputs: number[];
  outputs: number[];
  fixed: number[];
  /** The call's scratch region (0 when it asked for none). */
  scratch: number;
}

export interface KernelCall {
  /** The public function, for error messages. */
  fn: string;
  rows: number;
  inputs: RowOperand[];
  outputs: RowOutput[];
  /** Inputs every chunk reads whole (class weights): staged once. */
  fixed?: { name: string; view: Elements }[];
  /** Working space the kernel needs for the call (16-byte aligned, never shared). */
  scratchBytes?: number;
  /**
   * Caller arrays the kernel does not read directly but that outputs must not overlap (labels
   * and per-row gradOutput, which validation copied): a failed call must leave them unchanged.
   */
  alsoRead?: readonly NamedView[];
  /** Chunks hold a multiple of this many rows (except a last, shorter one). */
  rowMultiple?: number;
  /** Runs the kernel on `count` rows from row `first`; returns −1, or the chunk-relative row it refused. */
  kernel(at: Addresses, first: number, count: number): number;
  /** The error for a refused row (absolute index). */
  refused?(row: number): Error;
}


/** Whether a view lives in the runtime's memory; refuses one outside every live block. */
function isResident(rt: Runtime, fn: string, name: string, view: Elements): boolean {
  // A shared memory's buffer is a new object after it grows, but views of the old one still
  // address the same memory (nothing is detached): they are this memory's views all the same.
  if (view.buffer !== rt.arena.buffer && !rt.arena.isRetired(view.buffer)) return false;
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

export { SLOT_LAYOUT, type Slots } from "./slots.js";

/**
 * Runs a declared call over all its rows. Returns the outputs' views to hand back: the
 * declaration's own, or for an output in wasm memory that grew during the call, a fresh view
 * of the same elements.
 */
export function execute(rt: Runtime, call: KernelCall): Elements[];
/** With `offload` (an async call): on a threaded runtime a large call goes to the workers (a promise). */
export function execute(rt: Runtime, call: KernelCall, offload: true): Elements[] | Promise<Elements[]>;
export function execute(rt: Runtime, call: KernelCall, offload = false): Elements[] | Promise<Elements[]> {
  const { fn, rows, inputs, outputs } = call;
  const fixed = call.fixed ?? NO_FIXED;
  const nIn = inputs.length, nOut = outputs.length, nFixed = fixed.length;
  if (nIn > MAX_PER_KIND || nOut > MAX_PER_KIND || nFixed > MAX_PER_KIND) throw new Error(`${fn}: too many operands`);
  const results: Elements[] = [];
  for (const op of outputs) results.push(op.view);
  if (rows === 0) return results;
  const arena = rt.arena;
  const { resident, base, bytes, region, into, shares } = slot;

  // Residency, and addresses taken before planning: a plan may grow memory, which detaches
  // views of it (a detached view reads as offset 0, length 0).
  let anyResident = 0;
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
    anyResident |= resident[OUT + j];
    base[OUT + j] = op.view.byteOffset;
    slot.length[OUT + j] = op.view.length;
    shares[OUT + j] = NONE;
  }
  for (let k = 0; k < nFixed; k++) {
    resident[FIXED + k] = isResident(rt, fn, fixed[k].name, fixed[k].view) ? 1 : 0;
    anyResident |= resident[FIXED + k];
    base[FIXED + k] = fixed[k].view.byteOffset;
  }

  // An async call large enough goes to the workers (offload.ts); one they hand back (a refused
  // row, no worker free) runs here as a synchronous call would.
  if (offload && offloadWorthIt(rt, call)) {
    checkOutputsApart(fn, inputs, outputs, fixed, call.alsoRead);
    return executeOffloaded(rt, call).then((done) => done ?? execute(rt, call));
  }
  // A threaded runtime's call that stays on this thread and touches nothing in the shared
  // memory runs on its ordinary instance (copies into shared memory cost more), which makes the
  // checks below itself. So does one the threads handed back (a refused row: rerun here).
  const threaded = rt.pool !== null && rows > 1 ? splitKind(rt, call) ?? (pipelineWorthIt(rt, call) ? "pipelined" : null) : null;
  const local = rt.local;
  if (threaded === null && local !== null && anyResident === 0) return redirectKernels(local.kernels, () => execute(local, call));

  checkOutputsApart(fn, inputs, outputs, fixed, call.alsoRead);

  if (threaded !== null) {
    const done = threaded === "pipelined" ? executePipelined(rt, call) : executeSplit(rt, call, threaded);
    if (done !== null) return done;
    if (local !== null && anyResident === 0) return redirectKernels(local.kernels, () => execute(local, call));
  }

  // Where each staged input goes: its own arena region, or (in place) straight into the memory
  // of a resident output that may overwrite it, which saves a region and a copy. A staged
  // output declared in place of a staged input shares that input's region.
  for (let j = 0; j < nOut; j++) {
    const i = outputs[j].inPlaceOf;
    if (i === undefined || outputs[j].accumulate || resident[i] || !sameLayout(outputs[j], inputs[i])) continue;
    if (resident[OUT + j]) {
      if (into[i] === NONE) into[i] = j;
    } else if (into[i] === NONE && !sharedAlready(i, nOut)) {
      shares[OUT + j] = i;
    }
  }

  for (let i = 0; i < nIn; i++) {
    bytes[i] = resident[i] || into[i] !== NONE ? 0 : inputs[i].perRow * inputs[i].view.BYTES_PER_ELEMENT;
  }
  for (let j = 0; j < nOut; j++) {
    const rowBytes = outputs[j].perRow * outputs[j].view.BYTES_PER_ELEMENT;
    // An accumulated output: the kernel's region, and (unless resident) one to stage the array's rows.
    bytes[OUT + j] = outputs[j].accumulate ? (resident[OUT + j] ? rowBytes : 2 * rowBytes)
      : resident[OUT + j] || shares[OUT + j] !== NONE ? 0 : rowBytes;
  }
  for (let k = 0; k < nFixed; k++) bytes[FIXED + k] = resident[FIXED + k] ? 0 : fixed[k].view.byteLength;
  bytes[SCRATCH] = call.scratchBytes ?? 0;
  const rowsPerChunk = arena.plan(fn, rows, slot, nIn, nOut, nFixed, call.rowMultiple ?? 1);

  const at: Addresses = { inputs: [], outputs: [], fixed: [], scratch: call.scratchBytes ? region[SCRATCH] : 0 };
  for (let k = 0; k < nFixed; k++) {
    const view = fixed[k].view;
    if (resident[FIXED + k]) {
      at.fixed.push(base[FIXED + k]);
    } else {
      at.fixed.push(region[FIXED + k]);
      heapFor(rt, view).set(view, region[FIXED + k] / view.BYTES_PER_ELEMENT);
    }
  }
  for (let i = 0; i < nIn; i++) at.inputs.push(0);
  for (let j = 0; j < nOut; j++) at.outputs.push(0);

  for (let first = 0; first < rows; first += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - first);
    for (let j = 0; j < nOut; j++) {
      const op = outputs[j];
      at.outputs[j] = resident[OUT + j] && !op.accumulate ? base[OUT + j] + first * op.perRow * op.view.BYTES_PER_ELEMENT : region[OUT + j];
    }
    for (let i = 0; i < nIn; i++) {
      const op = inputs[i];
      const size = op.view.BYTES_PER_ELEMENT;
      if (resident[i]) {
        at.inputs[i] = base[i] + first * op.perRow * size;
        continue;
      }
      const address = into[i] !== NONE ? at.outputs[into[i]] : region[i];
      copy(heapFor(rt, op.view), address / size, op.view, first * op.perRow, count * op.perRow);
      at.inputs[i] = address;
    }
    for (let j = 0; j < nOut; j++) {
      if (shares[OUT + j] !== NONE) at.outputs[j] = at.inputs[shares[OUT + j]];
    }

    const refused = call.kernel(at, first, count);
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
          copy(heapFor(rt, op.view), staged / 4, op.view, first * op.perRow, n);
          rt.kernels.addInto(staged, at.outputs[j], n);
          copy(op.view, first * op.perRow, heapFor(rt, op.view), staged / 4, n);
        }
        continue;
      }
      if (resident[OUT + j]) continue;
      copy(op.view, first * op.perRow, heapFor(rt, op.view), at.outputs[j] / op.view.BYTES_PER_ELEMENT, n);
    }
  }

  return refreshedOutputs(rt, call);
}

export { splitStats, THREAD_CROSSOVER_ELEMENTS } from "./parallel.js";

/** Whether some output already shares input i's region. */
function sharedAlready(i: number, nOut: number): boolean {
  for (let j = 0; j < nOut; j++) if (slot.shares[OUT + j] === i) return true;
  return false;
}



/** Every output against every input, fixed input, caller array and later output (checkNoOverlap). */
function checkOutputsApart(
  fn: string, inputs: readonly RowOperand[], outputs: readonly RowOutput[],
  fixed: readonly NamedView[], alsoRead: readonly NamedView[] | undefined,
): void {
  for (let j = 0; j < outputs.length; j++) {
    const out = outputs[j];
    if (out.own) continue;
    const declared = { name: out.name, view: out.view, inPlaceOf: out.inPlaceOf === undefined ? undefined : inputs[out.inPlaceOf].view };
    for (const op of inputs) if (!op.own) checkApart(fn, declared, op);
    for (const op of fixed) checkApart(fn, declared, op);
    if (alsoRead) for (const op of alsoRead) checkApart(fn, declared, op);
    for (let k = j + 1; k < outputs.length; k++) if (!outputs[k].own) checkApart(fn, declared, outputs[k]);
  }
}

/**
 * execute for an async call: on a threaded runtime a large call runs on the workers while the
 * calling thread awaits them (offload.ts); any other call runs at once, as execute runs it.
 */
export async function executeAsync(rt: Runtime, call: KernelCall): Promise<Elements[]> {
  return execute(rt, call, true);
}

/**
 * A way back to a view's elements after memory may have grown: returns the view itself, or,
 * when it was a view of the runtime's memory that has since grown (detached), a fresh view of
 * the same elements. For outputs written in JavaScript after the kernels ran.
 */
export function keepView<T extends Elements>(rt: Runtime, view: T): () => T {
  const buffer = view.buffer, byteOffset = view.byteOffset, length = view.length;
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
export function returned<T>(given: unknown, declared: Elements, final: Elements): T {
  return (final !== declared || given === undefined ? final : given) as T;
}
