// A Runtime is one instance of one build: its exports, its linear memory and the arena that lays
// that memory out. Kernel calls take a runtime explicitly (the executor runs on one); the module
// keeps a default runtime, made by init(), so the public API stays a set of plain functions.
// Several runtimes may coexist (a worker pool has one per worker, or one over shared memory).
import { Arena, DEFAULT_ARENA_BYTES } from "./memory.js";
import { describe, readOptions } from "./validate.js";
import {
  availableBuilds, checkBuildChoice, instantiateBuild, precompileBuilds, resolveBuild,
  type BuildChoice, type BuildName, type KernelExports,
} from "./wasm.js";

export interface InitOptions {
  /** Which build to run: "auto" (default) picks the most capable one this engine compiles. */
  build?: BuildChoice;
  /** Staging budget in bytes per chunk of rows (default 256 KiB). */
  arenaBytes?: number;
}

export interface RuntimeInfo {
  /** The build that runs the kernels. */
  build: BuildName;
  /** Builds this engine can compile, most capable first. */
  availableBuilds: BuildName[];
  /** Staging budget per chunk of rows. */
  arenaBytes: number;
  /** Current size of the module's linear memory. */
  memoryBytes: number;
}

export class Runtime {
  readonly kernels: KernelExports;
  readonly arena: Arena;

  constructor(readonly build: BuildName, arenaBytes: number) {
    this.kernels = instantiateBuild(build);
    this.arena = new Arena(this.kernels.memory, this.kernels.heapBase(), arenaBytes);
  }

  info(): RuntimeInfo {
    return {
      build: this.build,
      availableBuilds: availableBuilds(),
      arenaBytes: this.arena.budgetBytes,
      memoryBytes: this.arena.memoryBytes,
    };
  }
}

let defaultRuntime: Runtime | null = null;

function checkArenaBytes(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2 ** 31) {
    const Err = typeof value === "number" ? RangeError : TypeError;
    throw new Err(`init: arenaBytes must be an integer from 1 to 2^31, got ${describe(value)}`);
  }
  return value;
}

/**
 * Compiles and instantiates the kernels (synchronously). Idempotent: when the build it would
 * run is the one already running (also when "auto" resolves to it), the instance, its memory
 * and every WasmArray stay, and only arenaBytes is updated when given; another build replaces
 * the instance (WasmArrays of the old one are refused from then on).
 */
export function initSync(options?: InitOptions): RuntimeInfo {
  const o = readOptions("init", options, ["build", "arenaBytes"]);
  const choice = checkBuildChoice(o.build);
  const arenaBytes = o.arenaBytes === undefined ? undefined : checkArenaBytes(o.arenaBytes);
  const build = resolveBuild(choice);
  if (defaultRuntime === null || defaultRuntime.build !== build) {
    defaultRuntime = new Runtime(build, arenaBytes ?? defaultRuntime?.arena.budgetBytes ?? DEFAULT_ARENA_BYTES);
  } else if (arenaBytes !== undefined) {
    defaultRuntime.arena.budgetBytes = arenaBytes;
  }
  return defaultRuntime.info();
}

/**
 * Compiles the builds asynchronously (nothing blocks a browser's main thread), then does what
 * initSync does. Idempotent.
 */
export async function init(options?: InitOptions): Promise<RuntimeInfo> {
  await precompileBuilds();
  return initSync(options);
}

/** What is running; throws before init. */
export function runtimeInfo(): RuntimeInfo {
  if (defaultRuntime === null) {
    throw new Error("probkernels is not initialised: await init() first");
  }
  return defaultRuntime.info();
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
