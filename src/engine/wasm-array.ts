// The zero-copy tier: typed arrays that live inside the module's memory. A kernel given such
// a view reads and writes it in place, so a hot loop pays no copy between JavaScript and wasm.
import { requireRuntime, runtimeForReading, type Runtime } from "./runtime.js";
import { describe } from "../checks/describe.js";
import { markFreed, WASM_ARRAY_BRAND } from "../checks/views.js";

type ViewKind = typeof Float32Array | typeof Int32Array;

/** What the finaliser needs to return a dropped WasmArray's block (nothing that holds the WasmArray). */
interface Held {
  runtime: Runtime;
  start: number;
  view: WeakRef<ArrayBufferView> | null;
}

// A WasmArray that is dropped without free() gives its block back when it is garbage collected.
// Its last view, if still alive, is marked freed, so a kernel refuses it rather than let it alias
// a later allocation.
const reclaim = new FinalizationRegistry<Held>((held) => {
  const view = held.view?.deref();
  held.runtime.arena.free(held.start);
  if (view) markFreed(view);
});

/**
 * A block of wasm memory seen as a typed array. Read `.array` to get the view; keep the
 * WasmArray, not the view, across calls that may grow memory (allocating another WasmArray,
 * or a call whose single row needs more than the arena budget): growth detaches old views,
 * and kernels refuse a detached view with an error that says to re-read `.array`.
 * `free()` returns the block at once; a WasmArray dropped without it is reclaimed when the
 * garbage collector finalises it (later, at a time the engine chooses).
 */
export class WasmArray<T extends Float32Array | Int32Array> {
  readonly [WASM_ARRAY_BRAND] = true;
  #view: T | null = null;
  #freed = false;
  readonly #held: Held;

  /** @internal Use allocFloat32 / allocInt32. */
  constructor(
    private readonly runtime: Runtime,
    private readonly kind: ViewKind,
    readonly length: number,
    fn: string,
  ) {
    this.#held = { runtime, start: runtime.arena.allocate(fn, length * kind.BYTES_PER_ELEMENT), view: null };
    reclaim.register(this, this.#held, this);
  }

  /** The view into wasm memory (re-created only when memory has grown since the last read). */
  get array(): T {
    if (this.#freed) throw new Error("WasmArray: this array has been freed");
    if (runtimeForReading("WasmArray.array") !== this.runtime) {
      throw new Error("WasmArray: init() switched to another build since this array was allocated; allocate it again");
    }
    const buffer = this.runtime.arena.buffer;
    if (this.#view === null || this.#view.buffer !== buffer) {
      this.#view = new this.kind(buffer, this.#held.start, this.length) as T;
      this.#held.view = new WeakRef(this.#view);
    }
    return this.#view;
  }

  /** Returns the block to the module at once; the array and its views must not be used afterwards. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    reclaim.unregister(this);
    this.runtime.arena.free(this.#held.start);
    if (this.#view) markFreed(this.#view);
    this.#view = null;
  }
}

function checkLength(fn: string, length: unknown): number {
  if (typeof length !== "number")
    throw new TypeError(`${fn}: length must be a non-negative integer, got ${describe(length)}`);
  if (!Number.isInteger(length) || length < 0 || length > 2 ** 30) {
    throw new RangeError(`${fn}: length must be an integer from 0 to 2^30, got ${describe(length)}`);
  }
  return length;
}

/** A zero-filled Float32Array of `length` elements inside wasm memory (for logits, outputs, soft targets). */
export function allocFloat32(length: number): WasmArray<Float32Array> {
  const fn = "allocFloat32";
  const array = new WasmArray<Float32Array>(requireRuntime(fn), Float32Array, checkLength(fn, length), fn);
  array.array.fill(0);
  return array;
}

/** A zero-filled Int32Array of `length` elements inside wasm memory (for class indices). */
export function allocInt32(length: number): WasmArray<Int32Array> {
  const fn = "allocInt32";
  const array = new WasmArray<Int32Array>(requireRuntime(fn), Int32Array, checkLength(fn, length), fn);
  array.array.fill(0);
  return array;
}
