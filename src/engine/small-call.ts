// The small-call path. A call of a few kilobytes whose arrays are ordinary JavaScript memory
// spends most of its time in the general machinery (a generator, a declaration, residency and
// planning), not in its kernel. Such a call runs here instead: its family's body checks the
// arguments exactly as before, lays its operands out back to back at the arena's base, copies
// them in, calls the export once over all rows and copies the results out. No frame slots, no
// declaration, no allocation. The same export over the same rows gives the same bits: a row
// kernel's result does not depend on how rows are grouped (the thread-count tests hold it to that).
import { copy, heapFor } from "./frame.js";
import type { Elements } from "./call.js";
import type { Runtime } from "./runtime.js";

/** What a small-call path returns when the call must take the general path. */
export const GENERAL: unique symbol = Symbol("general path");
export type General = typeof GENERAL;

/** Largest small call (bytes of operands and scratch): far below any thread crossover. */
export const SMALL_CALL_BYTES = 32 * 1024;

const SHARED: (new (n: number) => SharedArrayBuffer) | null =
  typeof SharedArrayBuffer === "function" ? SharedArrayBuffer : null;

const align = (n: number) => (n + 15) & ~15;

/**
 * A small call's operands laid out from the arena's base of the instance it runs on (a threaded
 * runtime's local, unshared instance). One per runtime, used by one call at a time: a small call
 * runs synchronously from its first copy to its last and calls no caller code meanwhile.
 */
export class SmallCall {
  private constructor(readonly rt: Runtime) {}

  private static readonly byRuntime = new WeakMap<Runtime, SmallCall>();

  /** The small-call stager of `rt`'s one-thread instance. */
  static of(rt: Runtime): SmallCall {
    const local = rt.threading === null ? rt : rt.threading.local;
    let small = SmallCall.byRuntime.get(local);
    if (small === undefined) SmallCall.byRuntime.set(local, (small = new SmallCall(local)));
    return small;
  }

  /** The next free address while a layout is made, and where it started. */
  private at = 0;
  private start = 0;

  /**
   * Whether an array can be staged here: ordinary memory, neither a view of this instance's
   * memory (a WasmArray: the general path uses it in place) nor shared (another handle of any
   * memory, another thread's writes: the general path's checks).
   */
  plain(view: ArrayBufferView): boolean {
    const buffer = view.buffer;
    if (SHARED !== null && buffer instanceof SHARED) return false;
    return !this.rt.arena.owns(buffer);
  }

  /** Starts a layout; false when `bytes` exceed the small-call size or the arena's budget. */
  begin(bytes: number): boolean {
    const arena = this.rt.arena;
    if (bytes > SMALL_CALL_BYTES || bytes > arena.budgetBytes) return false;
    this.at = this.start = arena.base;
    return true;
  }

  /** The address of a region of `bytes` (16-byte aligned) in the layout. */
  region(bytes: number): number {
    const address = this.at;
    this.at += align(bytes);
    return address;
  }

  /** Makes the layout addressable (memory grows only the first time): before any copy in. */
  reserve(fn: string): void {
    this.rt.arena.reserve(fn, this.at - this.start);
  }

  /** The exports of the instance the call runs on. */
  get kernels(): Runtime["kernels"] {
    return this.rt.kernels;
  }

  /** Copies the first n elements of an array into a region. */
  put(address: number, view: Elements, n: number): void {
    copy(this.heap(view), address / view.BYTES_PER_ELEMENT, view, 0, n);
  }

  /** Copies n elements of a region out into the start of an array. */
  get(view: Elements, address: number, n: number): void {
    copy(view, 0, this.heap(view), address / view.BYTES_PER_ELEMENT, n);
  }

  private heap(view: Elements): Elements {
    return heapFor(this.rt.arena, view);
  }
}

/** Bytes of a region of `n` elements of `bytesPerElement`, as `region` lays it out. */
export const regionBytes = (n: number, bytesPerElement: number) => align(n * bytesPerElement);
