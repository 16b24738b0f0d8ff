// The op runner. A public function is declared once (defineOp): a body, written as a generator
// that yields its kernel calls (declarations, call.ts) and gets each one's outputs back. From it
// come the synchronous function and its async twin:
//  - the synchronous one executes each call as it comes;
//  - the async one runs the body's synchronous steps (reading arguments, validation, reductions)
//    on the calling thread and awaits each call, which a threaded runtime runs on its workers,
//    so a page's main thread or Node's event loop stays free. Async calls run one at a time in
//    the order they were made; a synchronous call made while one runs is refused (runtime.ts).
// Every call gets a frame of its own (frame.ts) for its bookkeeping and buffers. Caller code can
// run only while a body reads its arguments (getters, proxies): a probkernels call made from
// there is refused, so no call ever starts while another one is halfway through its steps.
import type { Elements, KernelCall } from "./call.js";
import { execute } from "./execute.js";
import { Frame } from "./frame.js";
import { asyncStep, queueAsyncCall, requireRuntime, type Runtime } from "./runtime.js";
import { GENERAL, type General } from "./small-call.js";

/** What a body is given: the public function's name, the runtime it runs on, and its frame. */
export interface CallContext {
  readonly fn: string;
  readonly rt: Runtime;
  readonly frame: Frame;
}

/** A frame with its call's name and runtime: the body's CallContext itself (no object per call). */
class CallFrame extends Frame implements CallContext {
  fn = "";
  rt = null as unknown as Runtime;
  readonly frame: Frame = this;
}

/** A free frame (the common case: calls one after another), and more for async calls in flight. */
let spare: CallFrame | null = null;
const free: CallFrame[] = [];

/** A frame for a call that starts now (a free one, or a new one). */
function takeFrame(fn: string, rt: Runtime): CallFrame {
  let frame = spare;
  if (frame !== null) spare = null;
  else frame = free.pop() ?? new CallFrame();
  frame.fn = fn;
  frame.rt = rt;
  return frame;
}

/** Gives a frame back once its call has ended: nothing of the call uses it after this. */
function releaseFrame(frame: CallFrame): void {
  frame.rt = null as unknown as Runtime;
  if (spare === null) spare = frame;
  else if (free.length < 8) free.push(frame);
}

/** A public function's body: yields kernel calls, receives their outputs, returns the result. */
export type Op<R> = Generator<KernelCall, R, Elements[]>;

/** The public call whose synchronous steps run now (caller code run from them cannot call in), or null. */
let running: string | null = null;

function nested(fn: string): Error {
  return new Error(
    `${fn}: called while ${running} was reading its arguments (from a getter, a Proxy or a callback); ` +
      `probkernels calls cannot nest: make the call before or after`,
  );
}

/**
 * A body's arguments, at most five (every public function takes up to five: a missing one is
 * undefined either way). Fixed, not a rest array: no array per call on the small-call path.
 */
type Body<R> = (cx: CallContext, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) => Op<R>;

/** Runs a body synchronously. An error of a kernel call is thrown into the body (its finally blocks run). */
export function runSync<R>(
  fn: string,
  body: Body<R>,
  a?: unknown,
  b?: unknown,
  c?: unknown,
  d?: unknown,
  e?: unknown,
): R {
  if (running !== null) throw nested(fn);
  const rt = requireRuntime(fn);
  const frame = takeFrame(fn, rt);
  running = fn;
  try {
    return drive(rt, frame, body(frame, a, b, c, d, e));
  } finally {
    running = null;
    releaseFrame(frame);
  }
}

/** Executes each kernel call a body yields, until it returns. */
function drive<R>(rt: Runtime, frame: CallFrame, op: Op<R>): R {
  let step = op.next(undefined as unknown as Elements[]);
  while (!step.done) {
    let outputs: Elements[];
    try {
      outputs = execute(rt, step.value, frame);
    } catch (error) {
      step = op.throw(error);
      continue;
    }
    step = op.next(outputs);
  }
  return step.value;
}

/**
 * A public function in three parts: `check` reads and checks the arguments (the only part that
 * may run caller code), `small` runs a small call directly (engine/small-call.ts) or answers
 * GENERAL, and `body` is the general path over the checked arguments.
 */
export interface CheckedOp<A, R> {
  check(cx: CallContext, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown): A;
  small(cx: CallContext, args: A): R | General;
  body(cx: CallContext, args: A): Op<R>;
}

function runCheckedSync<A, R>(
  fn: string,
  spec: CheckedOp<A, R>,
  a?: unknown,
  b?: unknown,
  c?: unknown,
  d?: unknown,
  e?: unknown,
): R {
  if (running !== null) throw nested(fn);
  const rt = requireRuntime(fn);
  const frame = takeFrame(fn, rt);
  running = fn;
  try {
    const args = spec.check(frame, a, b, c, d, e);
    const result = spec.small(frame, args);
    return result !== GENERAL ? result : drive(rt, frame, spec.body(frame, args));
  } finally {
    running = null;
    releaseFrame(frame);
  }
}

/** Runs a body as an async call (once the async calls made before it have ended). */
export function runAsync<R>(
  fn: string,
  body: Body<R>,
  a?: unknown,
  b?: unknown,
  c?: unknown,
  d?: unknown,
  e?: unknown,
): Promise<R> {
  if (running !== null) return Promise.reject(nested(fn));
  return queueAsyncCall(fn, async () => {
    let frame: CallFrame | null = null;
    const step = <T>(f: () => T): T =>
      asyncStep(() => {
        running = fn;
        try {
          return f();
        } finally {
          running = null;
        }
      });
    try {
      const rt = step(() => requireRuntime(fn));
      const cx = (frame = takeFrame(fn, rt));
      const op = body(cx, a, b, c, d, e);
      let outputs = undefined as unknown as Elements[];
      let failure: { error: unknown } | null = null;
      for (;;) {
        const thrown = failure;
        const next = step(() => (thrown !== null ? op.throw(thrown.error) : op.next(outputs)));
        if (next.done) return next.value;
        failure = null;
        try {
          outputs = await execute(rt, next.value, frame, true);
        } catch (error) {
          failure = { error };
        }
      }
    } finally {
      if (frame !== null) releaseFrame(frame);
    }
  });
}

/**
 * The type of a function's async twin: each call signature (up to three overloads) returning a
 * promise of what it returns.
 */
export type AsyncOf<F> = F extends {
  (...a: infer A1): infer R1;
  (...a: infer A2): infer R2;
  (...a: infer A3): infer R3;
}
  ? { (...a: A1): Promise<R1>; (...a: A2): Promise<R2>; (...a: A3): Promise<R3> }
  : never;

// biome-ignore lint/suspicious/noExplicitAny: the signature of any public function
export type AnyFunction = (...args: any[]) => any;

/**
 * One public function from one body: `sync` named `name`, `async` named `name + "Async"`. F is
 * the function's type (its overloads); the body takes its most general signature (the last).
 */
export function defineOp<F extends AnyFunction>(
  name: string,
  body: (cx: CallContext, ...args: Parameters<F>) => Op<ReturnType<F>>,
): { sync: F; async: AsyncOf<F> } {
  const asyncName = `${name}Async`;
  const run = body as unknown as Body<ReturnType<F>>;
  const sync = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) => runSync(name, run, a, b, c, d, e);
  const async = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) =>
    runAsync(asyncName, run, a, b, c, d, e);
  Object.defineProperty(sync, "name", { value: name });
  Object.defineProperty(async, "name", { value: asyncName });
  return { sync: sync as unknown as F, async: async as unknown as AsyncOf<F> };
}

/**
 * defineOp for a function with a small-call path (CheckedOp). The async twin always takes the
 * general path: an async call is worth making only when it is large.
 */
export function defineCheckedOp<F extends AnyFunction, A>(
  name: string,
  spec: CheckedOp<A, ReturnType<F>>,
): { sync: F; async: AsyncOf<F> } {
  const asyncName = `${name}Async`;
  const general: Body<ReturnType<F>> = function* (cx, a, b, c, d, e) {
    return yield* spec.body(cx, spec.check(cx, a, b, c, d, e));
  };
  const sync = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) =>
    runCheckedSync(name, spec, a, b, c, d, e);
  const async = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) =>
    runAsync(asyncName, general, a, b, c, d, e);
  Object.defineProperty(sync, "name", { value: name });
  Object.defineProperty(async, "name", { value: asyncName });
  return { sync: sync as unknown as F, async: async as unknown as AsyncOf<F> };
}
