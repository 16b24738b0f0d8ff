// A Runtime is one instance of one build: its exports, its linear memory and the arena that lays
// that memory out. Kernel calls take a runtime explicitly (the executor runs on one); the module
// keeps a default runtime, made by init(), so the public API stays a set of plain functions.
// Several runtimes may coexist (a worker pool has one per worker, or one over shared memory).
// This file knows nothing of the embedded builds (init.ts does): a runtime can run a module
// compiled elsewhere, as the `probkernels/core` entry does in a worker.
import type { Elements, KernelCall } from "./call.js";
import type { Frame, Slots } from "./frame.js";
import { Arena, DEFAULT_ARENA_BYTES } from "./arena.js";
import { describe, readOptions } from "../checks/describe.js";
import { instantiate, type BuildChoice, type BuildName, type KernelExports } from "./wasm.js";

export interface InitOptions {
  /** Which build to run: "auto" (default) picks the most capable one this engine compiles. */
  build?: BuildChoice;
  /** Staging budget in bytes per chunk of rows (default 256 KiB). */
  arenaBytes?: number;
  /**
   * A build already compiled (runtimeInfo().module of another thread, posted to this one): it is
   * instantiated as it is, nothing is compiled. `build`, if given too, must name it.
   */
  module?: WebAssembly.Module;
  /**
   * Threads to run large calls on (`await init`, not initSync): Node ≥ 20.16, or a
   * cross-origin-isolated page (COOP: same-origin, COEP: require-corp). Default 1. With more,
   * the kernels run over one shared memory: a large zero-copy call splits its rows across the
   * calling thread and threads − 1 workers, a large copying call pipelines its copies with the
   * workers' compute; results are bit-identical to one thread. Where threads are not available
   * the runtime runs on one and runtimeInfo().threadsReason says why.
   */
  threads?: number;
  /**
   * The shared memory's maximum (threads > 1 only: a shared memory declares it up front). A call
   * that needs more is a RangeError. Default 1 GiB; at most 4 GiB.
   */
  maxMemoryBytes?: number;
}

export interface RuntimeInfo {
  /** The build that runs the kernels. */
  build: BuildName;
  /** Builds this engine can compile, most capable first (only the running one for a given module). */
  availableBuilds: BuildName[];
  /** Staging budget per chunk of rows. */
  arenaBytes: number;
  /** Current size of the module's linear memory. */
  memoryBytes: number;
  /** The compiled module: post it to a worker and call initSync({ module }) there to skip compiling. */
  module: WebAssembly.Module;
  /** Threads the kernels run on (1, or what init({ threads }) got). */
  threads: number;
  /** Why fewer threads run than init asked for, or null. */
  threadsReason: string | null;
}

/** How a threaded runtime runs one call on several threads. */
export type ThreadStrategy = "in place" | "copying" | "pipelined";

/**
 * What a threaded runtime brings (threads/threaded-runtime.ts builds it, only for init({ threads })): its workers
 * and the strategies the executor calls. The executor imports none of the thread code.
 */
export interface Threading {
  /**
   * The instance of the ordinary build over memory of its own, for the calls the workers do not
   * take that touch no array in the shared memory: copies into a shared buffer cost more than
   * into an ordinary one.
   */
  readonly local: Runtime;
  /** Workers (threads − 1). */
  readonly workers: number;
  /** Why the workers cannot run calls any more, or null. */
  readonly broken: string | null;
  /** How a call would run across threads, or null to run it on this thread (reads the frame's residency). */
  strategy(rt: Runtime, call: KernelCall, slots: Slots): ThreadStrategy | null;
  /** Runs a call as `strategy` says; null when it should run on this thread instead (nothing was written). */
  run(rt: Runtime, call: KernelCall, frame: Frame, strategy: ThreadStrategy): Elements[] | null;
  /** Whether an async call goes to the workers. */
  offloads(call: KernelCall): boolean;
  /** Runs an async call on the workers; resolves to null when it should run on this thread instead. */
  offload(rt: Runtime, call: KernelCall, slots: Slots): Promise<Elements[] | null>;
  /** Ends the workers. */
  dispose(): void;
}

export class Runtime {
  readonly build: BuildName;
  readonly kernels: KernelExports;
  readonly arena: Arena;
  /** A threaded runtime's workers and strategies (set by threads/threaded-runtime.ts), or null. */
  threading: Threading | null = null;
  /** Why fewer threads run than were asked for, or null. */
  #threadsReason: string | null = null;

  /** An instance of `module`; over `memory` when given (a threaded build imports its shared memory). */
  constructor(
    readonly module: WebAssembly.Module,
    arenaBytes: number,
    fn = "init",
    memory?: WebAssembly.Memory,
    maxMemoryBytes?: number,
  ) {
    const { build, kernels } = instantiate(fn, module, memory);
    this.build = build;
    this.kernels = kernels;
    this.arena = new Arena(memory ?? kernels.memory, kernels.heapBase(), arenaBytes, maxMemoryBytes);
  }

  /** Threads the kernels run on: the workers and this one, or 1 once the workers cannot run calls. */
  get threads(): number {
    return this.threading !== null && this.threading.broken === null ? this.threading.workers + 1 : 1;
  }

  get threadsReason(): string | null {
    const broken = this.threading?.broken;
    return broken != null ? `the thread pool stopped (${broken}); init again for threads` : this.#threadsReason;
  }

  set threadsReason(reason: string | null) {
    this.#threadsReason = reason;
  }

  info(availableBuilds: BuildName[]): RuntimeInfo {
    return {
      build: this.build,
      availableBuilds,
      arenaBytes: this.arena.budgetBytes,
      memoryBytes: this.arena.memoryBytes + (this.threading?.local.arena.memoryBytes ?? 0),
      module: this.module,
      threads: this.threads,
      threadsReason: this.threadsReason,
    };
  }

  /** Sets the staging budget (of the local instance too). */
  setBudget(bytes: number): void {
    this.arena.budgetBytes = bytes;
    if (this.threading) this.threading.local.arena.budgetBytes = bytes;
  }

  dispose(): void {
    this.threading?.dispose();
  }
}

let defaultRuntime: Runtime | null = null;
let defaultBuilds: BuildName[] = [];

export const INIT_OPTION_KEYS = ["build", "arenaBytes", "module", "threads", "maxMemoryBytes"] as const;

export function checkArenaBytes(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2 ** 31) {
    const Err = typeof value === "number" ? RangeError : TypeError;
    throw new Err(`init: arenaBytes must be an integer from 1 to 2^31, got ${describe(value)}`);
  }
  return value;
}

export function checkModule(value: unknown): WebAssembly.Module | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof WebAssembly.Module)) {
    throw new TypeError(`init: module must be a WebAssembly.Module (runtimeInfo().module), got ${describe(value)}`);
  }
  return value;
}

/**
 * Makes `module` the default runtime's module. Idempotent: when it is the module already
 * running, the instance, its memory and every WasmArray stay, and only arenaBytes is updated
 * when given; another module replaces the instance (WasmArrays of the old one are refused).
 */
export function installDefault(
  module: WebAssembly.Module,
  arenaBytes: number | undefined,
  builds: BuildName[],
  threadsReason: string | null = null,
): RuntimeInfo {
  if (defaultRuntime === null || defaultRuntime.module !== module) {
    const budget = arenaBytes ?? defaultRuntime?.arena.budgetBytes ?? DEFAULT_ARENA_BYTES;
    defaultRuntime?.dispose();
    defaultRuntime = new Runtime(module, budget);
  } else if (arenaBytes !== undefined) {
    defaultRuntime.setBudget(arenaBytes);
  }
  defaultRuntime.threadsReason = threadsReason;
  defaultBuilds = builds.length > 0 ? builds : [defaultRuntime.build];
  return defaultRuntime.info(defaultBuilds);
}

/**
 * init without `threads` while a threaded runtime of the same build runs: keep it (init stays
 * idempotent; a library calling init() must not take an application's threads away). Returns
 * its info, or null when init should go on as usual.
 */
export function keepThreaded(
  build: BuildName,
  arenaBytes: number | undefined,
  builds: BuildName[],
  threads?: number,
): RuntimeInfo | null {
  if (defaultRuntime?.threading == null || defaultRuntime.threading.broken !== null || defaultRuntime.build !== build)
    return null;
  if (threads !== undefined && threads !== defaultRuntime.threads) return null;
  if (arenaBytes !== undefined) defaultRuntime.setBudget(arenaBytes);
  defaultBuilds = builds;
  return defaultRuntime.info(defaultBuilds);
}

/** Makes a threaded runtime the default (init({ threads }) built it), ending the previous one's workers. */
export function installThreaded(runtime: Runtime, builds: BuildName[]): RuntimeInfo {
  defaultRuntime?.dispose();
  defaultRuntime = runtime;
  defaultBuilds = builds.length > 0 ? builds : [runtime.build];
  return runtime.info(defaultBuilds);
}

/**
 * Ends the default runtime: its worker threads (a threaded runtime's workers are unref'd, so a
 * process exits without this too) and its instance. Call init again to use the package after it.
 */
export async function dispose(): Promise<void> {
  while (asyncCallsPending()) await asyncCallsEnded();
  defaultRuntime?.dispose();
  defaultRuntime = null;
}

export function checkThreads(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 256) {
    const Err = typeof value === "number" ? RangeError : TypeError;
    throw new Err(`init: threads must be an integer from 1 to 256, got ${describe(value)}`);
  }
  return value;
}

export function checkMaxMemoryBytes(value: unknown): number {
  if (value === undefined) return 2 ** 30;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 2 ** 20 || value > 2 ** 32) {
    const Err = typeof value === "number" ? RangeError : TypeError;
    throw new Err(`init: maxMemoryBytes must be an integer from 2^20 (1 MiB) to 2^32 (4 GiB), got ${describe(value)}`);
  }
  return value;
}

/** initSync of the core entry: instantiates a module compiled elsewhere (no embedded builds). */
export function initSyncFromModule(options: InitOptions): RuntimeInfo {
  const o = readOptions("init", options, INIT_OPTION_KEYS);
  refuseDuringAsyncCall("initSync");
  if (checkThreads(o.threads) > 1) {
    throw new RangeError(
      "init: a module compiled elsewhere runs on one thread (threads > 1 needs the main entry's await init({ threads }))",
    );
  }
  checkMaxMemoryBytes(o.maxMemoryBytes);
  const module = checkModule(o.module);
  if (module === undefined) {
    throw new TypeError(
      "init: probkernels/core carries no builds; pass the module another thread compiled: initSync({ module: runtimeInfo().module })",
    );
  }
  const info = installDefault(module, checkArenaBytes(o.arenaBytes), []);
  if (o.build !== undefined && o.build !== "auto" && o.build !== info.build) {
    throw new RangeError(`init: build ${describe(o.build)} was asked for, but the module is the "${info.build}" build`);
  }
  return info;
}

/** What is running; throws before init. */
export function runtimeInfo(): RuntimeInfo {
  if (defaultRuntime === null) {
    throw new Error("runtimeInfo: probkernels is not initialised; await init() (or call initSync()) first");
  }
  return defaultRuntime.info(defaultBuilds);
}

/** The default runtime if init() has run, else null (for checks that need no kernels). */
export function currentRuntime(): Runtime | null {
  return defaultRuntime;
}

/**
 * The default runtime, for a call that uses it; throws before init, and while an async call runs
 * (outside that call's own synchronous steps): a synchronous call cannot wait for it, and must
 * not stage rows into the arena or allocate in it while the workers use it.
 */
export function requireRuntime(fn: string): Runtime {
  if (defaultRuntime === null) {
    throw new Error(`${fn}: probkernels is not initialised; await init() (or call initSync()) before calling ${fn}`);
  }
  if (asyncCall !== null && !asyncStepping) {
    throw new Error(
      `${fn}: ${asyncCall} has not settled; await it before calling ${fn} ` +
        `(async calls queue behind one another, synchronous ones cannot wait)`,
    );
  }
  return defaultRuntime;
}

/** The default runtime, for reading only (WasmArray.array): refused before init, not while an async call runs. */
export function runtimeForReading(fn: string): Runtime {
  if (defaultRuntime === null) {
    throw new Error(`${fn}: probkernels is not initialised; await init() (or call initSync()) first`);
  }
  return defaultRuntime;
}

// Async calls (op.ts): one at a time, in the order they were made. While one runs, only its own
// synchronous steps (validation, planning, reductions) may use the runtime.
let asyncCall: string | null = null;
let asyncStepping = false;
let asyncTail: Promise<void> = Promise.resolve();
/** Async calls running or waiting to run. */
let asyncWaiting = 0;

/**
 * Runs `body` once every async call made before has ended: at once when none runs or waits (the
 * call reads its arguments and holds the runtime before returning its promise), else after them.
 */
export function queueAsyncCall<R>(fn: string, body: () => Promise<R>): Promise<R> {
  const run = async (): Promise<R> => {
    asyncCall = fn;
    try {
      return await body();
    } finally {
      asyncCall = null;
      asyncWaiting--;
    }
  };
  // The tail moves before run() starts: its first step runs caller code (argument reading),
  // and anything queued from there must wait behind this call.
  const previous = asyncTail;
  let settled!: () => void;
  asyncTail = new Promise<void>((resolve) => {
    settled = resolve;
  });
  const result = asyncWaiting++ === 0 ? run() : previous.then(run);
  result.then(settled, settled);
  return result;
}

/** Runs one synchronous step of the async call in progress (it may use the runtime). */
export function asyncStep<T>(step: () => T): T {
  asyncStepping = true;
  try {
    return step();
  } finally {
    asyncStepping = false;
  }
}

/**
 * Resolves when the async calls made so far have ended. A call may start in between this
 * resolving and the awaiting code resuming, so init and dispose wait in a loop:
 * `while (asyncCallsPending()) await asyncCallsEnded();` and then act in the same step.
 */
export function asyncCallsEnded(): Promise<void> {
  return asyncTail;
}

/** Whether an async call runs or waits to run. */
export function asyncCallsPending(): boolean {
  return asyncWaiting > 0;
}

/** Throws while an async call runs (initSync cannot wait for it). */
export function refuseDuringAsyncCall(fn: string): void {
  if (asyncCall !== null) throw new Error(`${fn}: ${asyncCall} has not settled; await it first`);
}

/** init of the core entry: initSyncFromModule, as a promise (the same signature as the main entry's). */
export async function initFromModule(options: InitOptions): Promise<RuntimeInfo> {
  return initSyncFromModule(options);
}
