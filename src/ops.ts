// A public function's body is a generator that yields its kernel calls (the executor's
// declarations) and gets each one's outputs back, so one body serves both the synchronous
// function and its async variant:
//  - runSync executes each call as it comes (the function returns its result);
//  - runAsync runs the body's synchronous steps (reading arguments, validation, reductions) on
//    the calling thread and awaits each call while the workers run its kernels (executeAsync),
//    so a page's main thread or Node's event loop stays free. Async calls run one at a time in
//    the order they were made; a synchronous call made while one runs is refused (runtime.ts).
import { execute, executeAsync, type Elements, type KernelCall } from "./executor.js";
import { asyncStep, queueAsyncCall, type Runtime } from "./runtime.js";

/** One kernel call a body waits for: the runtime and the declaration. */
export interface Pending {
  rt: Runtime;
  call: KernelCall;
}

/** A public function's body (see above): yields calls, receives their outputs, returns the result. */
export type Op<R> = Generator<Pending, R, Elements[]>;

/** Runs a body synchronously. An error of a call is thrown into the body (its finally blocks run). */
export function runSync<R>(op: Op<R>): R {
  let step = op.next(undefined as unknown as Elements[]);
  while (!step.done) {
    let outputs: Elements[];
    try {
      outputs = execute(step.value.rt, step.value.call);
    } catch (error) {
      step = op.throw(error);
      continue;
    }
    step = op.next(outputs);
  }
  return step.value;
}

/** Runs a body as an async call (once the async calls made before it have ended). */
export function runAsync<R>(fn: string, makeOp: () => Op<R>): Promise<R> {
  return queueAsyncCall(fn, async () => {
    const op = asyncStep(makeOp);
    let outputs = undefined as unknown as Elements[];
    let failure: { error: unknown } | null = null;
    for (;;) {
      const thrown = failure;
      const step = asyncStep(() => (thrown !== null ? op.throw(thrown.error) : op.next(outputs)));
      if (step.done) return step.value;
      failure = null;
      try {
        outputs = await executeAsync(step.value.rt, step.value.call);
      } catch (error) {
        failure = { error };
      }
    }
  });
}

/**
 * The type of a function's async variant: each call signature (up to three overloads) returning
 * a promise of what it returns.
 */
export type AsyncOf<F> =
  F extends { (...a: infer A1): infer R1; (...a: infer A2): infer R2; (...a: infer A3): infer R3 }
    ? { (...a: A1): Promise<R1>; (...a: A2): Promise<R2>; (...a: A3): Promise<R3> }
    : never;
