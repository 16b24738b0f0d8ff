// Typed arrays as the engine sees them, not as the caller's object says. A subclass or an own
// property can override `length`, `buffer`, `subarray` or `set`; a Proxy can answer anything;
// a Float32Array from another realm (an iframe, node:vm) fails `instanceof`. So every array
// argument is read once through %TypedArray%.prototype's own getters, which read the engine's
// internal slots, work across realms and answer `undefined` for proxies and other objects, and
// is replaced by a fresh view of ours over the same memory. Past validation, the package never
// calls a method of the caller's object.

const apply = Reflect.apply;
const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as object;

function intrinsicGetter(key: PropertyKey): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get! as (this: unknown) => unknown;
}

const tagGetter = intrinsicGetter(Symbol.toStringTag);
const bufferGetter = intrinsicGetter("buffer");
const byteOffsetGetter = intrinsicGetter("byteOffset");
const lengthGetter = intrinsicGetter("length");

/** Marks WasmArray instances, so an error can say "pass .array" (engine/wasm-array.ts sets it). */
export const WASM_ARRAY_BRAND: unique symbol = Symbol("probkernels.WasmArray");

/** Views of wasm memory handed out by WasmArrays that were freed since (they alias later blocks). */
const freedViews = new WeakSet<object>();

export function markFreed(view: ArrayBufferView): void {
  freedViews.add(view);
}

/** "Float32Array", "Int32Array", … for a typed array of any realm; undefined for anything else. */
export function typedArrayName(value: unknown): string | undefined {
  return apply(tagGetter, value, []) as string | undefined;
}

/** The length of a typed array (any realm) from its internal slot. */
export function typedArrayLength(value: unknown): number {
  return apply(lengthGetter, value, []) as number;
}

type Ctor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T };

/**
 * Our own view of a typed array whose name has been checked (typedArrayName): the same memory,
 * none of the caller's overrides. Throws a TypeError naming `fn` and `name` when the buffer is
 * detached (transferred, or wasm memory that has grown since) or the view is out of bounds (a
 * resizable buffer shrunk under it): reading it as empty would be a silent wrong answer.
 */
export function ownView<T>(fn: string, name: string, ctor: Ctor<T>, value: unknown): T {
  if (freedViews.has(value as object)) {
    throw new TypeError(
      `${fn}: ${name} is the view of a WasmArray that has been freed; its memory may belong to another array now`,
    );
  }
  const buffer = apply(bufferGetter, value, []) as ArrayBufferLike;
  const byteOffset = apply(byteOffsetGetter, value, []) as number;
  const length = apply(lengthGetter, value, []) as number;
  try {
    return new ctor(buffer, byteOffset, length);
  } catch {
    throw new TypeError(
      `${fn}: ${name} is a view of a detached ArrayBuffer (transferred, or wasm memory that has grown ` +
        `since the view was made) or is out of its buffer's bounds; if it came from a WasmArray, ` +
        `read .array again after allocating or after a call whose rows are larger than arenaBytes`,
    );
  }
}

/** Whether two views share memory: the same buffer and intersecting byte ranges. */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Whether two views cover exactly the same bytes of the same buffer. */
export function sameElements(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}
