// The executor's per-call bookkeeping and copy helpers, shared by the one-thread path
// (executor.ts) and the threaded ones (parallel.ts).
import type { Elements, KernelCall } from "./executor.js";
import type { Runtime } from "./runtime.js";

type Heap = Float32Array | Int32Array | Float64Array;

export function heapFor(rt: Runtime, view: Elements): Heap {
  return view instanceof Float32Array ? rt.arena.f32 : view instanceof Int32Array ? rt.arena.i32 : rt.arena.f64;
}

// Operand slots in the per-call bookkeeping below: inputs from 0, outputs from OUT, fixed inputs
// from FIXED, the scratch region at SCRATCH. A call has at most MAX_PER_KIND of each kind.
export const MAX_PER_KIND = 8;
const OUT = MAX_PER_KIND, FIXED = 2 * MAX_PER_KIND, SCRATCH = 3 * MAX_PER_KIND, SLOTS = SCRATCH + 1;

/**
 * The bookkeeping of one call, reused by every call (typed arrays: no allocation, no garbage;
 * on a 1×10 softmax the executor's own cost is most of the call's). execute never runs caller
 * code, so a call cannot start while another one uses this.
 */
export const slot = newSlots();

/** A fresh set of the bookkeeping arrays (a second plan within one call: parallel.ts). */
export function newSlots() {
  return {
    /** 1 when the operand lives in wasm memory and is used in place. */
    resident: new Uint8Array(SLOTS),
    /** The operand's byte address in wasm memory when resident (taken before memory may grow). */
    base: new Float64Array(SLOTS),
    /** Bytes of arena to reserve: per row for row operands, in total for fixed ones and scratch. */
    bytes: new Float64Array(SLOTS),
    /** Where the plan put each staged operand's region. */
    region: new Float64Array(SLOTS),
    /** For an input: the output whose memory it is staged into (in place), or NONE. */
    into: new Int8Array(SLOTS),
    /** For an output: the input whose arena region it shares (in place), or NONE. */
    shares: new Int8Array(SLOTS),
    /** An output's length, taken before memory may grow (for the view handed back). */
    length: new Float64Array(SLOTS),
  };
}

/**
 * Copies n elements between typed arrays of one kind. Short runs go through a loop: the
 * built-in set() costs ~50 ns of call overhead, as much as a 1×10 kernel's whole copy.
 */
export function copy(dst: Elements, at: number, src: Elements, from: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
  } else {
    dst.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at);
  }
}

/** The slot layout Arena.plan reads (bytes) and fills (region). */
export const SLOT_LAYOUT = { OUT, FIXED, SCRATCH } as const;
export type Slots = typeof slot;

export const NO_FIXED: NonNullable<KernelCall["fixed"]> = [];
