// The worker side: the loop every worker runs (one text for Node and browsers, built from the
// protocol's words), its two prologues, and how each engine starts a worker.
import {
  COUNT,
  DEAD,
  DONE,
  FAILED,
  IDLE,
  JOB,
  JOB_KIND,
  MAX_ARGS,
  PROGRAM_JOB,
  Q_ABORT,
  Q_CLAIMED,
  Q_COMPLETED,
  Q_PUBLISHED,
  Q_SIGNAL,
  Q_SLOTS,
  Q_TOTAL,
  QUEUE_JOB,
  QUIT,
  RESULT,
  SPINS,
  STATE,
  TRAPPED,
  CRASH,
} from "./protocol.js";

// The worker's loop, the same text in Node and in a browser (the prologues differ).
const SERVE = `
const STATE = ${STATE}, JOB_KIND = ${JOB_KIND}, COUNT = ${COUNT}, RESULT = ${RESULT};
function serve({ kernels, memory, control, args, queue, jobs, ring, names, receive }) {
  const invoke = (kind, argv) => {
    const value = kernels[names[kind]](...argv);
    return typeof value === "number" ? value : -1;
  };
  const drain = () => {
    for (;;) {
      const j = Atomics.add(queue, ${Q_CLAIMED}, 1);
      if (j >= Atomics.load(queue, ${Q_TOTAL})) return;
      for (let spins = 0; ; spins++) {
        const signal = Atomics.load(queue, ${Q_SIGNAL});
        if (Atomics.load(queue, ${Q_ABORT}) !== 0) return;
        if (Atomics.load(queue, ${Q_PUBLISHED}) > j) break;
        if (spins > ${SPINS}) Atomics.wait(queue, ${Q_SIGNAL}, signal);
      }
      const s = j % ring, at = s * ${MAX_ARGS + 2};
      let result;
      try {
        result = invoke(jobs[at], jobs.subarray(at + 2, at + 2 + jobs[at + 1]));
      } catch {
        result = ${TRAPPED};
      }
      queue[${Q_SLOTS} + ring + s] = result;
      Atomics.store(queue, ${Q_SLOTS} + s, j + 1);
      Atomics.add(queue, ${Q_COMPLETED}, 1);
      Atomics.notify(queue, ${Q_COMPLETED});
    }
  };
  for (;;) {
    // A short spin before sleeping: a call's next job usually comes within microseconds, and a
    // futex wake costs tens of them (the calling thread then waits for this worker's share).
    for (let spins = 0; spins < ${SPINS} && Atomics.load(control, STATE) === ${IDLE}; spins++);
    Atomics.wait(control, STATE, ${IDLE});
    const state = Atomics.load(control, STATE);
    if (state === ${QUIT}) return;
    if (state !== ${JOB}) continue;
    const kind = control[JOB_KIND];
    if (control[${CRASH}] === 1) throw new Error("crash requested");
    let result = -1, done = ${DONE};
    if (kind === ${QUEUE_JOB}) {
      drain();
    } else if (kind === ${PROGRAM_JOB}) {
      try {
        const steps = receive();
        for (let s = 0; s < steps.length; s++) {
          const step = steps[s];
          let heap = new Uint8Array(memory.buffer);
          for (const [buffer, offset, address, bytes] of step.copyIn) heap.set(new Uint8Array(buffer, offset, bytes), address);
          result = invoke(step.kind, step.args);
          if (result >= 0) {
            args[0] = s;
            break;
          }
          heap = new Uint8Array(memory.buffer);
          for (const [buffer, offset, address, bytes] of step.copyOut) new Uint8Array(buffer, offset, bytes).set(heap.subarray(address, address + bytes));
        }
      } catch {
        done = ${FAILED};
      }
    } else {
      try {
        result = invoke(kind, args.subarray(0, control[COUNT]));
      } catch {
        done = ${FAILED};
      }
    }
    control[RESULT] = result;
    Atomics.store(control, STATE, done);
    Atomics.notify(control, STATE);
    Atomics.wait(control, STATE, done);
  }
}
// Said before the thread goes, whatever ends it (an exception, process.exit): the calling thread
// may be blocked waiting for this worker and cannot see an exit event.
function died({ control, queue }) {
  if (Atomics.load(control, STATE) === ${QUIT}) return;
  Atomics.store(control, STATE, ${DEAD});
  Atomics.notify(control, STATE);
  Atomics.notify(queue, ${Q_COMPLETED});
}
`;

// Node: an eval'd script, so no file has to be resolved next to the ESM or CJS build (or by a
// bundler). It runs as CommonJS or as a module (a parent started with --input-type=module passes
// that on), hence process.getBuiltinModule rather than require.
const NODE_WORKER_SOURCE = `${SERVE}
const { parentPort, workerData, receiveMessageOnPort } = process.getBuiltinModule("node:worker_threads");
process.on("exit", () => died(workerData));
const kernels = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
parentPort.postMessage("ready");
serve({ ...workerData, kernels, receive: () => receiveMessageOnPort(workerData.port).message });
`;

// A browser: a Blob-URL worker (no file to serve; a page with a CSP needs worker-src blob:) that
// gets its data in its first message.
const BROWSER_WORKER_SOURCE = `${SERVE}
self.onmessage = ({ data }) => {
  self.onmessage = null;
  try {
    const kernels = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports;
    postMessage("ready");
    serve({ ...data, kernels });
  } catch (error) {
    died(data);
    throw error;
  }
};
`;

/** What a worker is given: the module and memory, its control block and argument area, the queue (and in Node a message port). */
export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
  args: Float64Array;
  queue: Int32Array;
  jobs: Float64Array;
  ring: number;
  names: string[];
}

/** A started worker: the pool hears once that it is ready, and once that it ended. */
export interface WorkerHandle {
  onReady(listener: () => void): void;
  onEnd(listener: (reason: string) => void): void;
  terminate(): void;
  /** Sends a message the worker reads synchronously (Node's receiveMessageOnPort); absent in browsers. */
  post?(message: unknown): void;
}
export type SpawnWorker = (data: WorkerData) => WorkerHandle;

/** What the pool uses of node:worker_threads' Worker (the package's types do not include Node's). */
export interface NodeWorker {
  on(event: "error" | "exit" | "message", listener: (value: unknown) => void): unknown;
  once(event: "message", listener: (value: unknown) => void): unknown;
  unref(): void;
  terminate(): unknown;
}
export type NodeWorkerConstructor = new (
  source: string,
  options: { eval: true; workerData: unknown; transferList: unknown[] },
) => NodeWorker;

export interface NodePort {
  postMessage(message: unknown): void;
  unref?(): void;
  close(): void;
}
export type NodeMessageChannel = new () => { port1: NodePort; port2: NodePort };

/**
 * What a worker's died() says, said on the calling thread: a worker ended from outside (its
 * terminate() called by someone else, an out-of-memory kill) runs no exit handler of its own,
 * and a call waiting for it must wake and fail rather than wait for the timeout.
 */
export function markDead({ control, queue }: Pick<WorkerData, "control" | "queue">): void {
  if (Atomics.load(control, STATE) === QUIT) return;
  Atomics.store(control, STATE, DEAD);
  Atomics.notify(control, STATE);
  Atomics.notify(queue, Q_COMPLETED);
}

/** Makes `worker.terminate()`, whoever calls it, mark the worker dead first (markDead). */
export function markDeadOnTerminate(worker: { terminate(): unknown }, data: WorkerData): void {
  const terminate = worker.terminate.bind(worker);
  worker.terminate = () => {
    markDead(data);
    return terminate();
  };
}

export function nodeSpawner(Worker: NodeWorkerConstructor, MessageChannel: NodeMessageChannel): SpawnWorker {
  return (data) => {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(NODE_WORKER_SOURCE, {
      eval: true,
      workerData: { ...data, port: port2 },
      transferList: [port2],
    });
    worker.unref();
    port1.unref?.();
    markDeadOnTerminate(worker, data);
    worker.on("exit", () => markDead(data));
    return {
      post: (message) => port1.postMessage(message),
      onReady: (listener) => void worker.once("message", () => listener()),
      onEnd: (listener) => {
        worker.on("error", (error) => listener(`it failed: ${error}`));
        worker.on("exit", (code) => listener(`it exited with code ${code}`));
      },
      terminate: () => {
        port1.close();
        void worker.terminate();
      },
    };
  };
}

/** Web Workers from one Blob URL (made on first use). */
export function browserSpawner(Worker: typeof globalThis.Worker): SpawnWorker {
  let url: string | null = null;
  return (data) => {
    url ??= URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: "text/javascript" }));
    const worker = new Worker(url);
    markDeadOnTerminate(worker, data);
    worker.postMessage(data);
    return {
      onReady: (listener) => worker.addEventListener("message", () => listener(), { once: true }),
      onEnd: (listener) => worker.addEventListener("error", (event) => listener(`it failed: ${event.message}`)),
      terminate: () => worker.terminate(),
    };
  };
}
