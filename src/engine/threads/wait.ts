// How the calling thread waits for a worker: blocking where the thread may block, spinning on a
// page's main thread; and without blocking at all, for async calls.

import { SPINS } from "./protocol.js";

/** Whether this thread may block in Atomics.wait (learned on first use). */
let mayBlock: boolean | undefined;

/** Waits while arr[index] === value, at most ms: Atomics.wait where the thread may block, else a spin. */
export function waitWhile(arr: Int32Array, index: number, value: number, ms: number): void {
  if (mayBlock === undefined) {
    try {
      Atomics.wait(arr, index, value + 1, 0); // "not-equal" at once where waiting is allowed; a TypeError where not
      mayBlock = true;
    } catch {
      mayBlock = false;
    }
  }
  if (mayBlock) {
    // A short spin first: a worker's share usually ends within microseconds of this thread's.
    for (let spins = 0; spins < SPINS; spins++) if (Atomics.load(arr, index) !== value) return;
    Atomics.wait(arr, index, value, ms);
    return;
  }
  const end = performance.now() + ms;
  while (Atomics.load(arr, index) === value && performance.now() < end);
}

export type WaitAsync = (
  arr: Int32Array,
  index: number,
  value: number,
  ms: number,
) => { async: boolean; value: Promise<unknown> | string };

/**
 * Resolves once arr[index] !== value, or after about ms: Atomics.waitAsync (it does not block the
 * thread), or where an engine lacks it, a check again after a timer turn. A timer runs meanwhile
 * either way: a pending waitAsync does not keep Node's event loop alive (a script awaiting an
 * async call would exit, code 13, with the call unfinished), a timer does.
 */
export function waitAsyncWhile(arr: Int32Array, index: number, value: number, ms: number): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (typeof waitAsync !== "function") {
    return new Promise((resolve) => setTimeout(resolve, Atomics.load(arr, index) === value ? 1 : 0));
  }
  const waited = waitAsync(arr, index, value, ms);
  if (!waited.async) return Promise.resolve();
  const alive = setTimeout(() => undefined, ms + 1);
  return (waited.value as Promise<unknown>).then(() => clearTimeout(alive));
}
