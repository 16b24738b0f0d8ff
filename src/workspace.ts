// The zero-copy tier: typed arrays that live inside the module's memory. A kernel given such
// a view reads and writes it in place, so a hot loop pays no copy between JavaScript and wasm.
import { requireRuntime, type Runtime } from "./runtime.js";
import { describe } from "./validate.js";

type ViewKind = typeof Float32Array | typeof Int32Array;

/**
 * A block of wasm memory seen as a typed array. Read `.array` to get the view; keep the
 * WasmArray, not the view, across calls that may grow memory (allocating another WasmArray,
 * or a call whose single row needs more than the arena budget): growth detaches old views,
 * and kernels refuse a detached view with an error that says to re-read `.array`.
 */
export class WasmArray<T extends Float32Array | Int32Array> {
  #start: number;
  #view: T | null = null;
  #freed = false;

  /** @internal Use allocFloat32 / allocInt32. */
  constructor(
    private readonly runtime: Runtime,
    private readonly kind: ViewKind,
    readonly length: number,
  ) {
    this.#start = runtime.arena.allocate(length * 4);
  }

  /** The view into wasm memory (re-created only when memory has grown since the last read). */
  get array(): T {
    if (this.#freed) throw new Error("WasmArray: this array has been freed");
    if (requireRuntime("WasmArray.array") !== this.runtime) {
      throw new Error("WasmArray: init() switched to another build since this array was allocated; allocate it again");
    }
    const buffer = this.runtime.arena.memory.buffer;
    if (this.#view === null || this.#view.buffer !== buffer) {
      this.#view = new this.kind(buffer, this.#start, this.length) as T;
    }
    return this.#view;
  }

  /** Returns the block to the module; the array must not be used afterwards. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#view = null;
    this.runtime.arena.free(this.#start);
  }
}

function checkLength(fn: string, length: unknown): number {
  if (typeof length !== "number") throw new TypeError(`${fn}: length must be a non-negative integer, got ${describe(length)}`);
  if (!Number.isInteger(length) || length < 0 || length > 2 ** 30) {
    throw new RangeError(`${fn}: length must be an integer from 0 to 2^30, got ${describe(length)}`);
  }
  return length;
}

/** A zero-filled Float32Array of `length` elements inside wasm memory (for logits, outputs, soft targets). */
export function allocFloat32(length: number): WasmArray<Float32Array> {
  const rt = requireRuntime("allocFloat32");
  const array = new WasmArray<Float32Array>(rt, Float32Array, checkLength("allocFloat32", length));
  array.array.fill(0);
  return array;
}

/** A zero-filled Int32Array of `length` elements inside wasm memory (for class indices). */
export function allocInt32(length: number): WasmArray<Int32Array> {
  const rt = requireRuntime("allocInt32");
  const array = new WasmArray<Int32Array>(rt, Int32Array, checkLength("allocInt32", length));
  array.array.fill(0);
  return array;
}

/**
 * Refuses typed arrays that were views of wasm memory before it grew: they are detached (length
 * 0), and reading them as empty would be a silent wrong answer.
 */
export function rejectDetached(fn: string, rt: Runtime, views: Record<string, unknown>): void {
  for (const [name, view] of Object.entries(views)) {
    if (ArrayBuffer.isView(view) && rt.arena.isStale(view)) {
      throw new RangeError(
        `${fn}: ${name} is a view of wasm memory from before it grew and is now detached; ` +
          `re-read the WasmArray's .array after allocating or after a call with rows larger than arenaBytes`,
      );
    }
  }
}
