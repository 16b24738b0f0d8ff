// The per-call frame: everything one call keeps while it runs — the executor's bookkeeping of
// its operands (residency, addresses, regions) and the JavaScript-side buffers it fills for
// itself (label snapshots, per-row losses, gradient scales). A frame belongs to one call from
// its first argument check to its last copy-back; the op runner (op.ts) keeps free frames for
// reuse (allocating typed arrays costs more than a small kernel call), and a call that is still
// alive — an async call across its awaits — never shares its frame with another.
import type { Elements, KernelCall } from "./call.js";

// Operand slots in the bookkeeping below: inputs from 0, outputs from OUT, fixed inputs from
// FIXED, the scratch region at SCRATCH. A call has at most MAX_PER_KIND of each kind.
export const MAX_PER_KIND = 8;
const OUT = MAX_PER_KIND,
  FIXED = 2 * MAX_PER_KIND,
  SCRATCH = 3 * MAX_PER_KIND,
  SLOTS = SCRATCH + 1;

/** The slot layout Arena.plan reads (bytes) and fills (region). */
export const SLOT_LAYOUT = { OUT, FIXED, SCRATCH } as const;

/** Above this many elements a buffer is not kept for the next call (one huge batch must not pin its size). */
const KEPT_MAX = 1 << 16;

/** A grow-only JavaScript buffer of one element type, owned by one frame. */
class Buffer<T extends Int32Array | Float32Array | Float64Array> {
  private array: T;

  constructor(private readonly make: (length: number) => T) {
    this.array = make(64);
  }

  /**
   * An array of at least `length` elements (the whole buffer: a subarray would cost an
   * allocation). Its contents are undefined; one take per call and element type.
   */
  take(length: number): T {
    if (length > KEPT_MAX) return this.make(length);
    if (this.array.length < length) this.array = this.make(Math.max(length, this.array.length * 2));
    return this.array;
  }
}

/** The bookkeeping arrays of one plan (a frame has one; a threaded strategy may make another). */
export class Slots {
  /** 1 when the operand lives in wasm memory and is used in place. */
  readonly resident = new Uint8Array(SLOTS);
  /** The operand's byte address in wasm memory when resident (taken before memory may grow). */
  readonly base = new Float64Array(SLOTS);
  /** Bytes of arena to reserve: per row for row operands, in total for fixed ones and scratch. */
  readonly bytes = new Float64Array(SLOTS);
  /** Where the plan put each staged operand's region. */
  readonly region = new Float64Array(SLOTS);
  /** For an input: the output whose memory it is staged into (in place), or NONE. */
  readonly into = new Int8Array(SLOTS);
  /** For an output: the input whose arena region it shares (in place), or NONE. */
  readonly shares = new Int8Array(SLOTS);
  /** An output's length, taken before memory may grow (for the view handed back). */
  readonly length = new Float64Array(SLOTS);
}

export class Frame extends Slots {
  /** Label snapshots. */
  readonly int32 = new Buffer((n) => new Int32Array(n));
  /** Per-row gradient scales. */
  readonly float32 = new Buffer((n) => new Float32Array(n));
  /** Per-row losses. */
  readonly float64 = new Buffer((n) => new Float64Array(n));
}

type Heap = Float32Array | Int32Array | Float64Array | Uint16Array;

/** The views of wasm memory the copies go through (the Arena's). */
interface Memory {
  readonly buffer: ArrayBufferLike;
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly u16: Uint16Array;
}

/** The arena's view of wasm memory with the element type of `view`. */
export function heapFor(arena: Memory, view: Elements): Heap {
  return view instanceof Float32Array
    ? arena.f32
    : view instanceof Int32Array
      ? arena.i32
      : view instanceof Uint16Array
        ? arena.u16
        : arena.f64;
}

/**
 * Copies n elements between typed arrays of one kind. Short runs go through a loop: the
 * built-in set() has a fixed call cost as large as a 1×10 kernel's whole copy.
 */
export function copy(dst: Elements, at: number, src: Elements, from: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
  } else {
    dst.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at);
  }
}

/** The outputs' views to hand back: a resident one of memory that grew since it was made is made anew. */
export function refreshedOutputs(arena: Memory, call: KernelCall, slots: Slots): Elements[] {
  return call.outputs.map((op, j) => {
    if (!slots.resident[OUT + j] || op.view.buffer === arena.buffer) return op.view;
    const Ctor = op.view.constructor as new (b: ArrayBufferLike, o: number, n: number) => Elements;
    return new Ctor(arena.buffer, slots.base[OUT + j], slots.length[OUT + j]);
  });
}

export const NO_FIXED: NonNullable<KernelCall["fixed"]> = [];
