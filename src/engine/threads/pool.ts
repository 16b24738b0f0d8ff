// Worker threads over one shared wasm memory (Node's worker_threads, or a cross-origin-isolated
// page's Web Workers). Each worker instantiates the same compiled threaded build over the
// runtime's shared Memory and waits on its control block. Three kinds of job:
//  - one kernel invocation (an export's index and its numeric arguments): a split call hands
//    each worker a share of the rows and runs its own share on the calling thread (run());
//  - a program (Node): steps of copies between the caller's SharedArrayBuffers and wasm memory
//    around kernel invocations, received through the worker's message port (runPrograms());
//  - the chunk queue: a pipelined call publishes chunks of rows as the calling thread copies them
//    in, and the workers claim the next one, run it and mark it done, so copying and computing
//    overlap (startQueue() and on; the calling thread may claim chunks too).
// A job is handed over only by a compare-exchange from idle. The calling thread waits with
// Atomics.wait (Node lets its main thread block) or, on a page's main thread, where Atomics.wait
// is not allowed, by spinning on Atomics.load: the call blocks that thread either way, for less
// time than on one thread. Workers are unref'd (Node): they never keep a process alive;
// dispose() ends them. A worker that crashes (an exception outside a kernel, process.exit) says
// so through its control block before it goes: the call that was waiting for it fails with a
// clear error, a worker found dead before a call gets no job (its share runs on the calling
// thread), and a replacement starts at once (calls in between run on the threads that are left).
import { KERNEL_SIGNATURES } from "../wasm.js";

/**
 * Control block words: the state, the job (an export's index, or a special job), the argument
 * count, the result, and a flag that makes the worker crash on its next job (tests).
 */
const STATE = 0,
  JOB_KIND = 1,
  COUNT = 2,
  RESULT = 3,
  CRASH = 4;
const IDLE = 0,
  JOB = 1,
  DONE = 2,
  QUIT = 3,
  FAILED = 4,
  DEAD = 5;
/**
 * JOB_KIND of the chunk queue, and of a program: steps of copies from and to the caller's SharedArrayBuffers around kernel calls,
 * received through the worker's message port (Node only: a browser worker blocked in
 * Atomics.wait cannot receive a message).
 */
const QUEUE_JOB = -1,
  PROGRAM_JOB = -3;
const MAX_ARGS = 24;
/**
 * Queue words: chunks published, claimed, in the call; the abort flag; chunks completed; a signal
 * counter (bumped on every publish and on abort: what an idle worker sleeps on, so neither can be
 * missed); then per ring slot the chunk done there (+1) and its result.
 */
const Q_PUBLISHED = 0,
  Q_CLAIMED = 1,
  Q_TOTAL = 2,
  Q_ABORT = 3,
  Q_COMPLETED = 4,
  Q_SIGNAL = 5,
  Q_SLOTS = 8;
/** A chunk's result when its kernel trapped. */
export const TRAPPED = -2;
/** How long a call waits for a worker that neither answers nor says it died before giving up on the pool. */
const WORKER_TIMEOUT_MS = 120_000;
/** Atomics.load rounds a worker spins before it sleeps while waiting for the next chunk (a futex wake costs more than a chunk's hand-off). */
const SPINS = 20_000;
// Longer spins (1 ms, time-based, for the worker's next job, the calling thread's wait for a share,
// and the worker's wait for its result to be taken) were tried and measured no robust difference
// (farm-bench, whole processes, two runs of 10 pairs each: with them 65536×10 cross-entropy was 4 %
// faster in one run and 8 % slower in the other, 4096×1000 softmax over shared arrays 20 % slower
// and even): the short spin holds a core for less time.

const EXPORTS = Object.keys(KERNEL_SIGNATURES);

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
interface WorkerData {
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

interface NodePort {
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
function markDead({ control, queue }: Pick<WorkerData, "control" | "queue">): void {
  if (Atomics.load(control, STATE) === QUIT) return;
  Atomics.store(control, STATE, DEAD);
  Atomics.notify(control, STATE);
  Atomics.notify(queue, Q_COMPLETED);
}

/** Makes `worker.terminate()`, whoever calls it, mark the worker dead first (markDead). */
function markDeadOnTerminate(worker: { terminate(): unknown }, data: WorkerData): void {
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

interface PoolWorker {
  handle: WorkerHandle;
  control: Int32Array;
  args: Float64Array;
  /** Started and instantiated; false while a replacement starts. */
  ready: boolean;
  /** Ended (crashed, or disposed): never given a job again. */
  ended: boolean;
}

/** One kernel call to run on a worker: the export's name and its arguments. */
export interface Invocation {
  name: string;
  args: number[];
}

/** [buffer, byte offset there, byte address in wasm memory, bytes] of a copy: into wasm memory before the step's kernel, or out of it after. */
export type Copy = [SharedArrayBuffer, number, number, number];

/** A program's step: copies into wasm memory, one kernel call, copies out. */
export interface ProgramStep extends Invocation {
  copyIn: Copy[];
  copyOut: Copy[];
}

let mayBlock: boolean | undefined;

/** Waits while arr[index] === value, at most ms: Atomics.wait where the thread may block, else a spin. */
function waitWhile(arr: Int32Array, index: number, value: number, ms: number): void {
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

type WaitAsync = (
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
function waitAsyncWhile(arr: Int32Array, index: number, value: number, ms: number): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (typeof waitAsync !== "function") {
    return new Promise((resolve) => setTimeout(resolve, Atomics.load(arr, index) === value ? 1 : 0));
  }
  const waited = waitAsync(arr, index, value, ms);
  if (!waited.async) return Promise.resolve();
  const alive = setTimeout(() => undefined, ms + 1);
  return (waited.value as Promise<unknown>).then(() => clearTimeout(alive));
}

export class ThreadPool {
  readonly #workers: PoolWorker[] = [];
  readonly #spawn: SpawnWorker;
  readonly #module: WebAssembly.Module;
  readonly #memory: WebAssembly.Memory;
  /** The chunk queue's words and each ring slot's invocation. */
  readonly #queue: Int32Array;
  readonly #jobs: Float64Array;
  /** Chunks in flight at most (ring slots of a pipelined call). */
  readonly ring: number;
  #broken: string | null = null;
  /** Why a worker ended during the current call, for its error. */
  #crashed: string | null = null;
  /** Workers running the current queue job. */
  #queued: PoolWorker[] = [];

  /** `count` workers over `memory`, each with its own instance of `module`. */
  constructor(spawn: SpawnWorker, module: WebAssembly.Module, memory: WebAssembly.Memory, count: number) {
    this.#spawn = spawn;
    this.#module = module;
    this.#memory = memory;
    this.ring = Math.max(4, 2 * (count + 1));
    this.#queue = new Int32Array(new SharedArrayBuffer(4 * (Q_SLOTS + 2 * this.ring)));
    this.#jobs = new Float64Array(new SharedArrayBuffer(8 * (MAX_ARGS + 2) * this.ring));
    for (let i = 0; i < count; i++) this.#workers.push(this.#start());
  }

  #start(): PoolWorker {
    const w: PoolWorker = {
      handle: null as unknown as WorkerHandle,
      control: new Int32Array(new SharedArrayBuffer(20)),
      args: new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS)),
      ready: false,
      ended: false,
    };
    w.handle = this.#spawn({
      module: this.#module,
      memory: this.#memory,
      control: w.control,
      args: w.args,
      queue: this.#queue,
      jobs: this.#jobs,
      ring: this.ring,
      names: EXPORTS,
    });
    w.handle.onReady(() => {
      if (!w.ended) w.ready = true;
    });
    w.handle.onEnd((reason) => this.#ended(w, reason));
    return w;
  }

  /** A worker ended: it gets no more jobs, and (unless the pool is disposed) a replacement starts. */
  #ended(w: PoolWorker, reason: string): void {
    if (w.ended) return;
    w.ended = true;
    w.ready = false;
    w.handle.terminate();
    if (this.#broken !== null) return;
    const index = this.#workers.indexOf(w);
    if (index >= 0) this.#workers[index] = this.#start();
    this.#crashed ??= reason;
  }

  /** Resolves when every worker has instantiated the module (init waits: a worker starts through this thread's event loop). */
  ready(): Promise<void> {
    const started = this.#workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          if (w.ready) return resolve();
          w.handle.onReady(resolve);
          w.handle.onEnd((reason) => reject(new Error(`a worker did not start: ${reason}`)));
        }),
    );
    return Promise.all(started).then(() => undefined);
  }

  /** Workers the pool was made with (a crashed one's replacement counts while it starts). */
  get size(): number {
    return this.#workers.length;
  }

  /** Workers that can take a job now. */
  get available(): number {
    let n = 0;
    for (const w of this.#workers) if (w.ready) n++;
    return n;
  }

  /** Why the pool cannot run calls any more, or null. */
  get broken(): string | null {
    return this.#broken;
  }

  #check(fn: string): void {
    if (this.#broken) throw new Error(`${fn}: the thread pool cannot run calls (${this.#broken}); init again`);
    this.#crashed = null;
  }

  /**
   * Hands w a job if it is idle; false when it is not (it died while idle: its state says DEAD,
   * and it is replaced).
   */
  #take(w: PoolWorker, kind: number, args: readonly number[]): boolean {
    w.args.set(args);
    w.control[JOB_KIND] = kind;
    w.control[COUNT] = args.length;
    if (Atomics.compareExchange(w.control, STATE, IDLE, JOB) !== IDLE) {
      this.#ended(w, "it had crashed");
      return false;
    }
    Atomics.notify(w.control, STATE);
    return true;
  }

  /**
   * Hands each job to a ready worker (`post` first, when the job needs a message), runs `local`
   * here, then any job no worker took (one that died since the call was planned) here too
   * through `here`, and waits for every worker given a job, whatever happens (the next call
   * reuses the scratch and the rows). Returns each job's outcome in order.
   */
  #dispatch<J, R>(
    fn: string,
    jobs: J[],
    kindOf: (job: J) => number,
    argsOf: (job: J) => readonly number[],
    local: () => void,
    here: (job: J, index: number) => R,
    outcome: (w: PoolWorker, result: number) => R,
    post?: (w: PoolWorker, job: J) => void,
  ): R[] {
    this.#check(fn);
    // Checked before any worker gets a job: every worker given one is waited for below.
    if (jobs.some((job) => argsOf(job).length > MAX_ARGS))
      throw new Error(`${fn}: a job takes more than ${MAX_ARGS} arguments`);
    const ready = this.#workers.filter((w) => w.ready);
    const given: (PoolWorker | null)[] = jobs.map((job) => {
      const args = argsOf(job);
      for (let w = ready.shift(); w !== undefined; w = ready.shift()) {
        post?.(w, job);
        if (this.#take(w, kindOf(job), args)) return w;
      }
      return null;
    });
    let failure: unknown = null;
    const outcomes: R[] = [];
    try {
      local();
      jobs.forEach((job, i) => {
        if (given[i] === null) outcomes[i] = here(job, i);
      });
    } catch (error) {
      failure = error;
    }
    given.forEach((w, i) => {
      if (w === null) return;
      const got = this.#collect(fn, w);
      if (got !== null && !got.trapped) outcomes[i] = outcome(w, got.result);
      if (failure !== null) return;
      if (got === null) failure = this.#crashError(fn);
      else if (got.trapped) failure = new Error(`${fn}: a kernel trapped on a worker`);
    });
    if (failure !== null) throw failure;
    return outcomes;
  }

  /**
   * Waits until w has finished its job and takes its result back; a worker that died is replaced
   * (its result is null), one that stops answering breaks the pool.
   */
  #collect(fn: string, w: PoolWorker): { result: number; trapped: boolean } | null {
    const start = Date.now();
    while (Atomics.load(w.control, STATE) === JOB) {
      waitWhile(w.control, STATE, JOB, 50);
      this.#checkAnswering(fn, w, start);
    }
    return this.#collected(w);
  }

  /** #collect without blocking: awaits the worker (Atomics.waitAsync, or polling where an engine lacks it). */
  async #collectAsync(fn: string, w: PoolWorker): Promise<{ result: number; trapped: boolean } | null> {
    const start = Date.now();
    while (Atomics.load(w.control, STATE) === JOB) {
      await waitAsyncWhile(w.control, STATE, JOB, 50);
      this.#checkAnswering(fn, w, start);
    }
    return this.#collected(w);
  }

  /** Gives up on the pool when w has been running one job for WORKER_TIMEOUT_MS. */
  #checkAnswering(fn: string, w: PoolWorker, start: number): void {
    if (Atomics.load(w.control, STATE) !== JOB || Date.now() - start <= WORKER_TIMEOUT_MS) return;
    this.#broken = `a worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s`;
    this.dispose();
    throw new Error(`${fn}: ${this.#broken}; the pool was shut down, init again`);
  }

  /** A finished (or dead) worker's outcome; sets it idle again. */
  #collected(w: PoolWorker): { result: number; trapped: boolean } | null {
    const state = Atomics.load(w.control, STATE);
    if (state === DEAD) {
      this.#ended(w, "it crashed while running a share of a call");
      return null;
    }
    const result = w.control[RESULT];
    Atomics.store(w.control, STATE, IDLE);
    Atomics.notify(w.control, STATE);
    return { result, trapped: state === FAILED };
  }

  #crashError(fn: string): Error {
    const why = this.#crashed ?? "it crashed";
    return new Error(
      `${fn}: a worker thread ended during the call (${why}); the call's outputs are incomplete. A replacement worker is starting: call again`,
    );
  }

  /**
   * Runs each job on a worker (or here, after `local`, when no worker can take it: `here`) while
   * `local` runs here; returns each job's result (an export's i32 result, −1 for none).
   */
  run(fn: string, jobs: Invocation[], local: () => void, here: (job: Invocation, index: number) => number): number[] {
    return this.#dispatch(
      fn,
      jobs,
      (job) => EXPORTS.indexOf(job.name),
      (job) => job.args,
      local,
      here,
      (_, result) => result,
    );
  }

  /** Whether workers take programs (Node: they receive them through a message port). */
  get takesPrograms(): boolean {
    return this.#workers.every((w) => w.handle.post !== undefined);
  }

  /**
   * Runs each program on a worker (or here, after `local`, through `here`) while `local` runs
   * here; returns whether a kernel refused a row in each.
   */
  runPrograms(
    fn: string,
    programs: ProgramStep[][],
    local: () => void,
    here: (program: ProgramStep[], index: number) => boolean,
  ): boolean[] {
    return this.#dispatch(
      fn,
      programs,
      () => PROGRAM_JOB,
      () => [],
      local,
      here,
      (_, result) => result >= 0,
      (w, program) => w.handle.post!(program.map((step) => ({ ...step, kind: EXPORTS.indexOf(step.name) }))),
    );
  }

  /**
   * Starts a pipelined call of `total` chunks: every available worker starts claiming chunks as
   * they are published. Returns how many workers took the job.
   */
  startQueue(fn: string, total: number): number {
    this.#check(fn);
    const q = this.#queue;
    q.fill(0);
    q[Q_TOTAL] = total;
    this.#queued = this.#workers.filter((w) => w.ready && this.#take(w, QUEUE_JOB, []));
    return this.#queued.length;
  }

  /** Wakes the workers waiting for a chunk. */
  #signal(): void {
    Atomics.add(this.#queue, Q_SIGNAL, 1);
    Atomics.notify(this.#queue, Q_SIGNAL);
  }

  /** Publishes chunk j (its rows are in ring slot j % ring) to be run as `job`. */
  publish(j: number, job: Invocation): void {
    const at = (j % this.ring) * (MAX_ARGS + 2);
    this.#jobs[at] = EXPORTS.indexOf(job.name);
    this.#jobs[at + 1] = job.args.length;
    this.#jobs.set(job.args, at + 2);
    Atomics.store(this.#queue, Q_PUBLISHED, j + 1);
    this.#signal();
  }

  /** Claims the next chunk for the calling thread if it is published (j < published), else −1. */
  claim(published: number): number {
    const next = Atomics.load(this.#queue, Q_CLAIMED);
    if (next >= published) return -1;
    return Atomics.compareExchange(this.#queue, Q_CLAIMED, next, next + 1) === next ? next : -1;
  }

  /** Published chunks no worker has claimed yet. */
  unclaimed(published: number): number {
    return published - Math.min(Atomics.load(this.#queue, Q_CLAIMED), published);
  }

  /** Marks chunk j done by the calling thread with the kernel's result. */
  complete(j: number, result: number): void {
    const s = j % this.ring;
    this.#queue[Q_SLOTS + this.ring + s] = result;
    Atomics.store(this.#queue, Q_SLOTS + s, j + 1);
    Atomics.add(this.#queue, Q_COMPLETED, 1);
  }

  /** Chunk j's result once it is done, else null. */
  result(j: number): number | null {
    const s = j % this.ring;
    return Atomics.load(this.#queue, Q_SLOTS + s) === j + 1 ? this.#queue[Q_SLOTS + this.ring + s] : null;
  }

  /** Chunks completed so far (read it before looking at the chunks, then awaitProgress from it). */
  get completed(): number {
    return Atomics.load(this.#queue, Q_COMPLETED);
  }

  /** Waits until more than `seen` chunks have completed; throws when a worker died. */
  awaitProgress(fn: string, seen: number): void {
    const start = Date.now();
    while (Atomics.load(this.#queue, Q_COMPLETED) === seen) {
      this.#checkProgress(fn, start);
      waitWhile(this.#queue, Q_COMPLETED, seen, 50);
    }
  }

  /** awaitProgress without blocking the calling thread (an async call). */
  async awaitProgressAsync(fn: string, seen: number): Promise<void> {
    const start = Date.now();
    while (Atomics.load(this.#queue, Q_COMPLETED) === seen) {
      this.#checkProgress(fn, start);
      await waitAsyncWhile(this.#queue, Q_COMPLETED, seen, 50);
    }
  }

  #checkProgress(fn: string, start: number): void {
    if (this.#queued.some((w) => Atomics.load(w.control, STATE) === DEAD)) throw this.#crashError(fn);
    if (Date.now() - start > WORKER_TIMEOUT_MS)
      throw new Error(`${fn}: no chunk completed within ${WORKER_TIMEOUT_MS / 1000} s`);
  }

  /**
   * Ends the queue job: tells the workers to stop claiming and waits until each has, so no chunk
   * is still running when the call returns or throws. Throws when a worker died during the call
   * and `failing` is false (a call that already fails keeps its own error).
   */
  endQueue(fn: string, failing: boolean): void {
    this.#abortQueue();
    let died = false;
    for (const w of this.#queued) if (this.#collect(fn, w) === null) died = true;
    this.#queued = [];
    if (died && !failing) throw this.#crashError(fn);
  }

  /** endQueue without blocking the calling thread (an async call). */
  async endQueueAsync(fn: string, failing: boolean): Promise<void> {
    this.#abortQueue();
    let died = false;
    for (const w of this.#queued) if ((await this.#collectAsync(fn, w)) === null) died = true;
    this.#queued = [];
    if (died && !failing) throw this.#crashError(fn);
  }

  #abortQueue(): void {
    Atomics.store(this.#queue, Q_ABORT, 1);
    this.#signal();
  }

  /** Makes one worker exit abnormally when it takes its next job (tests of crash handling). */
  crashOnNextJob(worker = 0): void {
    this.#workers.filter((w) => w.ready)[worker].control[CRASH] = 1;
  }

  /** Makes one worker exit abnormally now, between calls, and waits until it has (tests). */
  crashNow(worker = 0): void {
    const w = this.#workers.filter((x) => x.ready)[worker];
    w.control[CRASH] = 1;
    Atomics.store(w.control, STATE, JOB);
    Atomics.notify(w.control, STATE);
    while (Atomics.load(w.control, STATE) === JOB) Atomics.wait(w.control, STATE, JOB, 50);
  }

  /** Ends every worker (they are unref'd, so a process may also simply exit). */
  dispose(): void {
    this.#broken ??= "disposed";
    for (const w of this.#workers) {
      w.ended = true;
      w.ready = false;
      Atomics.store(w.control, STATE, QUIT);
      Atomics.notify(w.control, STATE);
      w.handle.terminate();
    }
  }
}
