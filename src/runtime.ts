// The module-wide state: which build is running and its arena. `init()` creates it; every
// kernel call asks for it through `requireRuntime`, which explains what to do when it is missing.
import { Arena, DEFAULT_ARENA_BYTES } from "./memory.js";
import { describe } from "./validate.js";
import {
  availableBuilds, checkBuildChoice, instantiateBuild, precompileBuilds,
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

export interface Runtime {
  build: BuildName;
  choice: BuildChoice;
  kernels: KernelExports;
  arena: Arena;
}

let runtime: Runtime | null = null;

function checkArenaBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_ARENA_BYTES;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2 ** 31) {
    const Err = typeof value === "number" ? RangeError : TypeError;
    throw new Err(`init: arenaBytes must be an integer from 1 to 2^31, got ${describe(value)}`);
  }
  return value;
}

/**
 * Compiles and instantiates the kernels (synchronously). Idempotent: calling it again with the
 * same build keeps the instance (and only updates arenaBytes when given); a different build
 * replaces it.
 */
export function initSync(options?: InitOptions): RuntimeInfo {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError(`init: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (key !== "build" && key !== "arenaBytes") {
      throw new TypeError(`init: unknown option "${key}" (known options: build, arenaBytes)`);
    }
  }
  const choice = checkBuildChoice(options?.build);
  const arenaBytes = options?.arenaBytes === undefined ? undefined : checkArenaBytes(options.arenaBytes);
  if (runtime === null || runtime.choice !== choice) {
    const { name, exports } = instantiateBuild(choice);
    runtime = {
      build: name,
      choice,
      kernels: exports,
      arena: new Arena(exports.memory, exports.heapBase(), arenaBytes ?? runtime?.arena.budgetBytes ?? DEFAULT_ARENA_BYTES),
    };
  } else if (arenaBytes !== undefined) {
    runtime.arena.budgetBytes = arenaBytes;
  }
  return runtimeInfo();
}

/**
 * Compiles the builds asynchronously (nothing blocks a browser's main thread), then does what
 * initSync does. Idempotent.
 */
export async function init(options?: InitOptions): Promise<RuntimeInfo> {
  await precompileBuilds();
  return initSync(options);
}

/** What is running, or null before init. */
export function runtimeInfo(): RuntimeInfo {
  if (runtime === null) {
    throw new Error("probkernels is not initialised: await init() first");
  }
  return {
    build: runtime.build,
    availableBuilds: availableBuilds(),
    arenaBytes: runtime.arena.budgetBytes,
    memoryBytes: runtime.arena.memoryBytes,
  };
}

/** The runtime if init() has run, else null (for checks that need no kernels). */
export function currentRuntime(): Runtime | null {
  return runtime;
}

export function requireRuntime(fn: string): Runtime {
  if (runtime === null) {
    throw new TypeError(
      `${fn}: probkernels is not initialised; await init() (or call initSync()) before calling ${fn}`,
    );
  }
  return runtime;
}
