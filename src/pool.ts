// Worker threads over one shared wasm memory (Node). Each worker instantiates the same compiled
// threaded build over the runtime's shared Memory and waits on its control block; a call hands
// each worker one kernel invocation (an export's index and its numeric arguments), runs its own
// part on the calling thread, and waits for the workers with Atomics.wait (Node lets the main
// thread block). Workers are unref'd: they never keep a process alive; dispose() ends them.
import { KERNEL_SIGNATURES } from "./wasm.js";

/** Control block words: the state, the export's index, the argument count, the result. */
const STATE = 0, EXPORT = 1, COUNT = 2, RESULT = 3;
const IDLE = 0, JOB = 1, DONE = 2, QUIT = 3, FAILED = 4;
const MAX_ARGS = 24;
/** How long a call waits for a worker before it gives up on the pool. */
const WORKER_TIMEOUT_MS = 120_000;

const EXPORTS = Object.keys(KERNEL_SIGNATURES);

// The worker's whole program: an eval'd script, so no file has to be resolved next to the ESM or
// CJS build (or by a bundler). It runs as CommonJS or as a module (a parent started with
// --input-type=module passes that on), hence process.getBuiltinModule rather than require.
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
const { module, memory, control, args, exports: names } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
parentPort.postMessage("ready");
for (;;) {
  Atomics.wait(control, ${STATE}, ${IDLE});
  const state = Atomics.load(control, ${STATE});
  if (state === ${QUIT}) break;
  if (state !== ${JOB}) continue;
  let result = -1, done = ${DONE};
  try {
    const value = kernels[names[control[${EXPORT}]]](...args.subarray(0, control[${COUNT}]));
    if (typeof value === "number") result = value;
  } catch {
    done = ${FAILED};
  }
  control[${RESULT}] = result;
  Atomics.store(control, ${STATE}, done);
  Atomics.notify(control, ${STATE});
  Atomics.wait(control, ${STATE}, done);
}
`;

/** What the pool uses of node:worker_threads' Worker (the package's types do not include Node's). */
export interface NodeWorker {
  on(event: "error" | "exit" | "message", listener: (value: unknown) => void): unknown;
  once(event: "message" | "error" | "exit", listener: (value: unknown) => void): unknown;
  unref(): void;
  terminate(): unknown;
}
export type NodeWorkerConstructor = new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;

interface PoolWorker {
  worker: NodeWorker;
  control: Int32Array;
  args: Float64Array;
}

/** One kernel call to run on a worker: the export's name and its arguments. */
export interface Invocation {
  name: string;
  args: number[];
}

export class ThreadPool {
  readonly workers: PoolWorker[] = [];
  #broken: string | null = null;

  /** `count` workers over `memory`, each with its own instance of `module`. */
  constructor(WorkerCtor: NodeWorkerConstructor, module: WebAssembly.Module, memory: WebAssembly.Memory, count: number) {
    for (let i = 0; i < count; i++) {
      const control = new Int32Array(new SharedArrayBuffer(16));
      const args = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS));
      const worker = new WorkerCtor(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, args, exports: EXPORTS } });
      worker.unref();
      worker.on("error", (error) => { this.#broken ??= `a worker failed: ${error}`; });
      worker.on("exit", () => { this.#broken ??= "a worker exited"; });
      this.workers.push({ worker, control, args });
    }
  }

  /**
   * Resolves when every worker has instantiated the module. A call must not block the calling
   * thread before: a worker finishes starting up through the parent's event loop.
   */
  ready(): Promise<void> {
    return Promise.all(this.workers.map(({ worker }) => new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", (error) => reject(error instanceof Error ? error : new Error(String(error))));
      worker.once("exit", () => reject(new Error("a worker exited while starting")));
    }))).then(() => undefined);
  }

  /** Why the pool cannot run calls any more, or null. */
  get broken(): string | null {
    return this.#broken;
  }

  /**
   * Runs jobs[i] on worker i (jobs.length ≤ workers) while `local` runs here; returns each job's
   * result (an export's i32 result, −1 for none) after `local`'s.
   */
  run(fn: string, jobs: Invocation[], local: () => number): number[] {
    if (this.#broken) throw new Error(`${fn}: the thread pool cannot run calls (${this.#broken}); init again`);
    jobs.forEach((job, i) => {
      const w = this.workers[i];
      if (job.args.length > MAX_ARGS) throw new Error(`${fn}: ${job.name} takes more than ${MAX_ARGS} arguments`);
      w.args.set(job.args);
      w.control[EXPORT] = EXPORTS.indexOf(job.name);
      w.control[COUNT] = job.args.length;
      Atomics.store(w.control, STATE, JOB);
      Atomics.notify(w.control, STATE);
    });
    // The workers are waited for whatever happens here, so no share is still running when the
    // call returns or throws (the next call reuses the scratch and the rows).
    let localResult = -1;
    let failure: unknown = null;
    try {
      localResult = local();
    } catch (error) {
      failure = error;
    }
    const results = [localResult];
    for (let i = 0; i < jobs.length; i++) {
      const { control } = this.workers[i];
      const start = Date.now();
      let state = Atomics.load(control, STATE);
      while (state === JOB) {
        Atomics.wait(control, STATE, JOB, 1000);
        state = Atomics.load(control, STATE);
        if (state === JOB && Date.now() - start > WORKER_TIMEOUT_MS) {
          this.#broken = `a worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s`;
          this.dispose();
          throw new Error(`${fn}: ${this.#broken}; the pool was shut down, init again`);
        }
      }
      results.push(control[RESULT]);
      Atomics.store(control, STATE, IDLE);
      Atomics.notify(control, STATE);
      if (state === FAILED && failure === null) {
        this.#broken = "a kernel trapped on a worker";
        failure = new Error(`${fn}: ${this.#broken}; init again`);
      }
    }
    if (failure !== null) throw failure;
    return results;
  }

  /** Ends every worker (they are unref'd, so a process may also simply exit). */
  dispose(): void {
    this.#broken ??= "disposed";
    for (const { worker, control } of this.workers) {
      Atomics.store(control, STATE, QUIT);
      Atomics.notify(control, STATE);
      void worker.terminate();
    }
  }
}

/**
 * While set, a threaded runtime's kernel wrapper records each call instead of running it: the
 * executor collects the invocation it hands to a worker.
 */
let recorder: Invocation[] | null = null;

/** Runs `body` with kernel calls recorded, and returns what was recorded. */
export function recordInvocations(body: () => void): Invocation[] {
  const recorded: Invocation[] = [];
  recorder = recorded;
  try {
    body();
  } finally {
    recorder = null;
  }
  return recorded;
}

/** The exports of a threaded instance behind a wrapper that records calls during recordInvocations. */
export function recordingKernels<T extends Record<string, unknown>>(exports: T): T {
  const wrapper: Record<string, unknown> = { memory: exports.memory };
  for (const name of EXPORTS) {
    const f = exports[name] as (...args: number[]) => number | undefined;
    wrapper[name] = (...args: number[]) => {
      if (recorder === null) return f(...args);
      recorder.push({ name, args });
      return -1;
    };
  }
  return wrapper as T;
}
