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
  if (view.buffer !== rt.arena.memory.buffer) return false;
  if (!rt.arena.inLiveBlock(view.byteOffset, view.byteLength)) {
    throw new RangeError(
      `${fn}: ${name} is a view of wasm memory outside every live WasmArray (freed, or made by hand ` +
        `over the module's memory); kernels read and write wasm memory only through arrays from allocFloat32/allocInt32`,
    );
  }
  return true;
}

const sameLayout = (a: Elements, b: Elements, perRowA: number, perRowB: number) =>
  perRowA === perRowB && a.BYTES_PER_ELEMENT === b.BYTES_PER_ELEMENT && a.constructor === b.constructor;

const NONE = -1;

/**
 * Runs a declared call over all its rows. Returns the outputs' views to hand back: the
 * declaration's own, or for an output in wasm memory that grew during the call, a fresh view
 * of the same elements.
 */
export function execute(rt: Runtime, call: KernelCall): Elements[] {
  const { fn, rows, inputs, outputs } = call;
  const fixed = call.fixed ?? [];
  if (rows === 0) return outputs.map((o) => o.view);
  const arena = rt.arena;

  const inResident = inputs.map((op) => isResident(rt, fn, op.name, op.view));
  const outResident = outputs.map((op) => isResident(rt, fn, op.name, op.view));
  const fixedResident = fixed.map((op) => isResident(rt, fn, op.name, op.view));

  checkNoOverlap(
    fn,
    outputs.map((o) => ({ name: o.name, view: o.view, inPlaceOf: o.inPlaceOf === undefined ? undefined : inputs[o.inPlaceOf].view })),
    [...inputs, ...fixed, ...(call.alsoRead ?? [])],
  );

  // Where each staged input goes: its own arena region, or (in place) straight into the memory
  // of a resident output that may overwrite it, which saves a region and a copy.
  const inIntoOutput = inputs.map(() => NONE);
  const outSharesInput = outputs.map(() => NONE);
  outputs.forEach((out, j) => {
    const i = out.inPlaceOf;
    if (i === undefined || inResident[i] || !sameLayout(out.view, inputs[i].view, out.perRow, inputs[i].perRow)) return;
    if (outResident[j]) {
      if (inIntoOutput[i] === NONE) inIntoOutput[i] = j;
    } else if (inIntoOutput[i] === NONE && !outSharesInput.includes(i)) {
      outSharesInput[j] = i;
    }
  });

  // Addresses and lengths of resident operands, taken before planning: a plan may grow memory,
  // which detaches views of it (a detached view reads as offset 0, length 0).
  const inBase = inputs.map((op) => op.view.byteOffset);
  const outBase = outputs.map((op) => op.view.byteOffset);
  const outLength = outputs.map((op) => op.view.length);
  const fixedBase = fixed.map((op) => op.view.byteOffset);

  const plan = arena.plan(
    fn,
    rows,
    [...fixed.map((op, k) => (fixedResident[k] ? 0 : op.view.byteLength)), call.scratchBytes ?? 0],
    [
      ...inputs.map((op, i) => (inResident[i] || inIntoOutput[i] !== NONE ? 0 : op.perRow * op.view.BYTES_PER_ELEMENT)),
      ...outputs.map((op, j) => (outResident[j] || outSharesInput[j] !== NONE ? 0 : op.perRow * op.view.BYTES_PER_ELEMENT)),
    ],
    call.rowMultiple,
  );
  const at: Addresses = {
    inputs: inputs.map(() => 0),
    outputs: outputs.map(() => 0),
    fixed: fixed.map((_, k) => (fixedResident[k] ? fixedBase[k] : plan.fixed[k])),
    scratch: call.scratchBytes ? plan.fixed[fixed.length] : 0,
  };
  fixed.forEach((op, k) => {
    if (!fixedResident[k]) heapFor(rt, op.view).set(op.view, plan.fixed[k] / op.view.BYTES_PER_ELEMENT);
  });

  for (let first = 0; first < rows; first += plan.rowsPerChunk) {
    const count = Math.min(plan.rowsPerChunk, rows - first);
    for (let j = 0; j < outputs.length; j++) {
      const op = outputs[j];
      at.outputs[j] = outResident[j] ? outBase[j] + first * op.perRow * op.view.BYTES_PER_ELEMENT : plan.perRow[inputs.length + j];
    }
    for (let i = 0; i < inputs.length; i++) {
      const op = inputs[i];
      const size = op.view.BYTES_PER_ELEMENT;
      if (inResident[i]) {
        at.inputs[i] = inBase[i] + first * op.perRow * size;
        continue;
      }
      const address = inIntoOutput[i] !== NONE ? at.outputs[inIntoOutput[i]] : plan.perRow[i];
      heapFor(rt, op.view).set(op.view.subarray(first * op.perRow, (first + count) * op.perRow), address / size);
      at.inputs[i] = address;
    }
    for (let j = 0; j < outputs.length; j++) {
      if (outSharesInput[j] !== NONE) at.outputs[j] = at.inputs[outSharesInput[j]];
    }

    const refused = call.kernel(at, first, count);
    if (refused >= 0) {
      throw call.refused?.(first + refused) ?? new RangeError(`${fn}: the kernel refused row ${first + refused}`);
    }

    for (let j = 0; j < outputs.length; j++) {
      if (outResident[j]) continue;
      const op = outputs[j];
      const from = at.outputs[j] / op.view.BYTES_PER_ELEMENT;
      op.view.set(heapFor(rt, op.view).subarray(from, from + count * op.perRow), first * op.perRow);
    }
  }

  const buffer = arena.memory.buffer;
  return outputs.map((op, j) => {
    if (!outResident[j] || op.view.buffer === buffer) return op.view;
    const Ctor = op.view.constructor as new (b: ArrayBufferLike, o: number, n: number) => Elements;
    return new Ctor(buffer, outBase[j], outLength[j]);
  });
}

/**
 * A way back to a view's elements after memory may have grown: returns the view itself, or,
 * when it was a view of the runtime's memory that has since grown (detached), a fresh view of
 * the same elements. For outputs written in JavaScript after the kernels ran.
 */
export function keepView<T extends Elements>(rt: Runtime, view: T): () => T {
  const buffer = view.buffer, byteOffset = view.byteOffset, length = view.length;
  return () => {
    const memory = rt.arena.memory.buffer;
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
