// A Runtime is one instance of one build: its exports, its linear memory and the arena that lays
// that memory out. Kernel calls take a runtime explicitly (the executor runs on one); the module
// keeps a default runtime, made by init(), so the public API stays a set of plain functions.
// Several runtimes may coexist (a worker pool has one per worker, or one over shared memory).
// This file knows nothing of the embedded builds (init.ts does): a runtime can run a module
// compiled elsewhere, as the `probkernels/core` entry does in a worker.
import { Arena, DEFAULT_ARENA_BYTES } from "./memory.js";
import { describe, readOptions } from "./validate.js";
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
}

export class Runtime {
  readonly build: BuildName;
  readonly kernels: KernelExports;
  readonly arena: Arena;

  constructor(readonly module: WebAssembly.Module, arenaBytes: number, fn = "init") {
    ({ build: this.build, kernels: this.kernels } = instantiate(fn, module));
    this.arena = new Arena(this.kernels.memory, this.kernels.heapBase(), arenaBytes);
  }

  info(availableBuilds: BuildName[]): RuntimeInfo {
    return {
      build: this.build,
      availableBuilds,
      arenaBytes: this.arena.budgetBytes,
      memoryBytes: this.arena.memoryBytes,
      module: this.module,
    };
  }
}

let defaultRuntime: Runtime | null = null;
let defaultBuilds: BuildName[] = [];

export const INIT_OPTION_KEYS = ["build", "arenaBytes", "module"] as const;

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
export function installDefault(module: WebAssembly.Module, arenaBytes: number | undefined, builds: BuildName[]): RuntimeInfo {
  if (defaultRuntime === null || defaultRuntime.module !== module) {
    defaultRuntime = new Runtime(module, arenaBytes ?? defaultRuntime?.arena.budgetBytes ?? DEFAULT_ARENA_BYTES);
  } else if (arenaBytes !== undefined) {
    defaultRuntime.arena.budgetBytes = arenaBytes;
  }
  defaultBuilds = builds.length > 0 ? builds : [defaultRuntime.build];
  return defaultRuntime.info(defaultBuilds);
}

/** initSync of the core entry: instantiates a module compiled elsewhere (no embedded builds). */
export function initSyncFromModule(options: InitOptions): RuntimeInfo {
  const o = readOptions("init", options, INIT_OPTION_KEYS);
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
    throw new Error("probkernels is not initialised: await init() first");
  }
  return defaultRuntime.info(defaultBuilds);
}

/** The default runtime if init() has run, else null (for checks that need no kernels). */
export function currentRuntime(): Runtime | null {
  return defaultRuntime;
}

export function requireRuntime(fn: string): Runtime {
  if (defaultRuntime === null) {
    throw new TypeError(
      `${fn}: probkernels is not initialised; await init() (or call initSync()) before calling ${fn}`,
    );
  }
  return defaultRuntime;
}

/** init of the core entry: initSyncFromModule, as a promise (the same signature as the main entry's). */
export async function initFromModule(options: InitOptions): Promise<RuntimeInfo> {
  return initSyncFromModule(options);
}
