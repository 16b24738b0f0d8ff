// The pool of workers over one shared wasm memory: their lifecycle, handing out jobs, collecting
// results, and the chunk queue of pipelined and async calls. The protocol is in protocol.ts,
// the worker side in worker-source.ts.
import {
  COUNT,
  CRASH,
  DEAD,
  EXPORTS,
  IDLE,
  JOB,
  JOB_KIND,
  MAX_ARGS,
  PROGRAM_JOB,
  Q_COMPLETED,
  QUEUE_JOB,
  QUIT,
  RESULT,
  STATE,
  WORKER_TIMEOUT_MS,
  FAILED,
  type Invocation,
  type ProgramStep,
} from "./protocol.js";
import { ChunkQueue } from "./chunk-queue.js";
import { waitAsyncWhile, waitWhile } from "./wait.js";
import type { SpawnWorker, WorkerHandle } from "./worker-source.js";

interface PoolWorker {
  handle: WorkerHandle;
  control: Int32Array;
  args: Float64Array;
  /** Started and instantiated; false while a replacement starts. */
  ready: boolean;
  /** Ended (crashed, or disposed): never given a job again. */
  ended: boolean;
}

export class ThreadPool {
  readonly #workers: PoolWorker[] = [];
  readonly #spawn: SpawnWorker;
  readonly #module: WebAssembly.Module;
  readonly #memory: WebAssembly.Memory;
  /** The chunk queue of pipelined and async calls (ring slots: chunks in flight at most). */
  readonly queue: ChunkQueue;
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
    this.queue = new ChunkQueue(Math.max(4, 2 * (count + 1)));
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
      queue: this.queue.words,
      jobs: this.queue.jobs,
      ring: this.queue.ring,
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
    this.queue.reset(total);
    this.#queued = this.#workers.filter((w) => w.ready && this.#take(w, QUEUE_JOB, []));
    return this.#queued.length;
  }

  /** Waits until more than `seen` chunks have completed; throws when a worker died. */
  awaitProgress(fn: string, seen: number): void {
    const start = Date.now();
    while (Atomics.load(this.queue.words, Q_COMPLETED) === seen) {
      this.#checkProgress(fn, start);
      waitWhile(this.queue.words, Q_COMPLETED, seen, 50);
    }
  }

  /** awaitProgress without blocking the calling thread (an async call). */
  async awaitProgressAsync(fn: string, seen: number): Promise<void> {
    const start = Date.now();
    while (Atomics.load(this.queue.words, Q_COMPLETED) === seen) {
      this.#checkProgress(fn, start);
      await waitAsyncWhile(this.queue.words, Q_COMPLETED, seen, 50);
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
    this.queue.abort();
    let died = false;
    for (const w of this.#queued) if (this.#collect(fn, w) === null) died = true;
    this.#queued = [];
    if (died && !failing) throw this.#crashError(fn);
  }

  /** endQueue without blocking the calling thread (an async call). */
  async endQueueAsync(fn: string, failing: boolean): Promise<void> {
    this.queue.abort();
    let died = false;
    for (const w of this.#queued) if ((await this.#collectAsync(fn, w)) === null) died = true;
    this.#queued = [];
    if (died && !failing) throw this.#crashError(fn);
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
