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
import { checkNoOverlap, type NamedView } from "./validate.js";

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

type Heap = Float32Array | Int32Array | Float64Array;

function heapFor(rt: Runtime, view: Elements): Heap {
  return view instanceof Float32Array ? rt.arena.f32 : view instanceof Int32Array ? rt.arena.i32 : rt.arena.f64;
}

/** Whether a view lives in the runtime's memory; refuses one outside every live block. */
function isResident(rt: Runtime, fn: string, name: string, view: Elements): boolean {
  if (view.buffer !== rt.arena.buffer) return false;
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

/**
 * Runs a declared call over all its rows. Returns the outputs' views to hand back: the
 * declaration's own, or for an output in wasm memory that grew during the call, a fresh view
 * of the same elements. Written with plain loops and few allocations: it runs on every call,
 * and for a 1×10 softmax it is most of the call's cost.
 */
export function execute(rt: Runtime, call: KernelCall): Elements[] {
  const { fn, rows, inputs, outputs } = call;
  const fixed = call.fixed ?? NO_FIXED;
  const nIn = inputs.length, nOut = outputs.length, nFixed = fixed.length;
  const results = outputs.map((o) => o.view);
  if (rows === 0) return results;
  const arena = rt.arena;

  // Residency, and addresses and lengths taken before planning: a plan may grow memory, which
  // detaches views of it (a detached view reads as offset 0, length 0).
  const inResident: boolean[] = [], outResident: boolean[] = [], fixedResident: boolean[] = [];
  const inBase: number[] = [], outBase: number[] = [], outLength: number[] = [], fixedBase: number[] = [];
  for (const op of inputs) { inResident.push(!op.own && isResident(rt, fn, op.name, op.view)); inBase.push(op.view.byteOffset); }
  for (const op of outputs) {
    outResident.push(!op.own && isResident(rt, fn, op.name, op.view));
    outBase.push(op.view.byteOffset);
    outLength.push(op.view.length);
  }
  for (const op of fixed) { fixedResident.push(isResident(rt, fn, op.name, op.view)); fixedBase.push(op.view.byteOffset); }

  checkOutputsApart(fn, inputs, outputs, fixed, call.alsoRead);

  // Where each staged input goes: its own arena region, or (in place) straight into the memory
  // of a resident output that may overwrite it, which saves a region and a copy. A staged
  // output declared in place of a staged input shares that input's region.
  const inIntoOutput: number[] = [], outSharesInput: number[] = [];
  for (let i = 0; i < nIn; i++) inIntoOutput.push(NONE);
  for (let j = 0; j < nOut; j++) outSharesInput.push(NONE);
  for (let j = 0; j < nOut; j++) {
    const i = outputs[j].inPlaceOf;
    if (i === undefined || inResident[i] || !sameLayout(outputs[j], inputs[i])) continue;
    if (outResident[j]) {
      if (inIntoOutput[i] === NONE) inIntoOutput[i] = j;
    } else if (inIntoOutput[i] === NONE && !outSharesInput.includes(i)) {
      outSharesInput[j] = i;
    }
  }

  const fixedBytes: number[] = [];
  for (let k = 0; k < nFixed; k++) fixedBytes.push(fixedResident[k] ? 0 : fixed[k].view.byteLength);
  fixedBytes.push(call.scratchBytes ?? 0);
  const rowBytes: number[] = [];
  for (let i = 0; i < nIn; i++) {
    rowBytes.push(inResident[i] || inIntoOutput[i] !== NONE ? 0 : inputs[i].perRow * inputs[i].view.BYTES_PER_ELEMENT);
  }
  for (let j = 0; j < nOut; j++) {
    rowBytes.push(outResident[j] || outSharesInput[j] !== NONE ? 0 : outputs[j].perRow * outputs[j].view.BYTES_PER_ELEMENT);
  }
  const plan = arena.plan(fn, rows, fixedBytes, rowBytes, call.rowMultiple);

  const at: Addresses = { inputs: inBase.slice(), outputs: outBase.slice(), fixed: [], scratch: 0 };
  for (let k = 0; k < nFixed; k++) {
    const view = fixed[k].view;
    if (fixedResident[k]) {
      at.fixed.push(fixedBase[k]);
    } else {
      at.fixed.push(plan.fixed[k]);
      heapFor(rt, view).set(view, plan.fixed[k] / view.BYTES_PER_ELEMENT);
    }
  }
  if (call.scratchBytes) at.scratch = plan.fixed[nFixed];

  for (let first = 0; first < rows; first += plan.rowsPerChunk) {
    const count = Math.min(plan.rowsPerChunk, rows - first);
    for (let j = 0; j < nOut; j++) {
      const op = outputs[j];
      at.outputs[j] = outResident[j] ? outBase[j] + first * op.perRow * op.view.BYTES_PER_ELEMENT : plan.perRow[nIn + j];
    }
    for (let i = 0; i < nIn; i++) {
      const op = inputs[i];
      const size = op.view.BYTES_PER_ELEMENT;
      if (inResident[i]) {
        at.inputs[i] = inBase[i] + first * op.perRow * size;
        continue;
      }
      const address = inIntoOutput[i] !== NONE ? at.outputs[inIntoOutput[i]] : plan.perRow[i];
      // One chunk: the whole view, without making a subarray.
      const rowsIn = count === rows ? op.view : op.view.subarray(first * op.perRow, (first + count) * op.perRow);
      heapFor(rt, op.view).set(rowsIn, address / size);
      at.inputs[i] = address;
    }
    for (let j = 0; j < nOut; j++) {
      if (outSharesInput[j] !== NONE) at.outputs[j] = at.inputs[outSharesInput[j]];
    }

    const refused = call.kernel(at, first, count);
    if (refused >= 0) {
      throw call.refused?.(first + refused) ?? new RangeError(`${fn}: the kernel refused row ${first + refused}`);
    }

    for (let j = 0; j < nOut; j++) {
      if (outResident[j]) continue;
      const op = outputs[j];
      const from = at.outputs[j] / op.view.BYTES_PER_ELEMENT;
      op.view.set(heapFor(rt, op.view).subarray(from, from + count * op.perRow), first * op.perRow);
    }
  }

  for (let j = 0; j < nOut; j++) {
    if (!outResident[j] || results[j].buffer === arena.buffer) continue;
    const Ctor = results[j].constructor as new (b: ArrayBufferLike, o: number, n: number) => Elements;
    results[j] = new Ctor(arena.buffer, outBase[j], outLength[j]);
  }
  return results;
}

const NO_FIXED: NonNullable<KernelCall["fixed"]> = [];

/** Every output against every input, fixed input, caller array and later output (checkNoOverlap). */
function checkOutputsApart(
  fn: string, inputs: readonly RowOperand[], outputs: readonly RowOutput[],
  fixed: readonly NamedView[], alsoRead: readonly NamedView[] | undefined,
): void {
  const others: NamedView[] = [];
  for (const op of inputs) if (!op.own) others.push(op);
  for (const op of fixed) others.push(op);
  if (alsoRead) for (const op of alsoRead) others.push(op);
  const outs = [];
  for (const o of outputs) {
    if (!o.own) outs.push({ name: o.name, view: o.view, inPlaceOf: o.inPlaceOf === undefined ? undefined : inputs[o.inPlaceOf].view });
  }
  if (outs.length > 0) checkNoOverlap(fn, outs, others);
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
