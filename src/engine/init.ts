// init and initSync of the main entry: compile the embedded builds (once each) and run the most
// capable one the engine compiles, or the one asked for, or a module compiled elsewhere.
import { availableBuilds, checkBuildChoice, moduleOf, precompileBuilds, resolveBuild } from "./builds.js";
import {
  checkArenaBytes,
  checkMaxMemoryBytes,
  checkModule,
  checkThreads,
  INIT_OPTION_KEYS,
  initSyncFromModule,
  installDefault,
  installThreaded,
  keepThreaded,
  asyncCallsEnded,
  asyncCallsPending,
  refuseDuringAsyncCall,
  runtimeInfo,
  type InitOptions,
  type RuntimeInfo,
} from "./runtime.js";
import { readOptions } from "../checks/describe.js";

/**
 * Compiles and instantiates the kernels (synchronously). Idempotent: when the build it would
 * run is the one already running (also when "auto" resolves to it), the instance, its memory
 * and every WasmArray stay, and only arenaBytes is updated when given; another build replaces
 * the instance (WasmArrays of the old one are refused from then on). With `module`, runs that
 * compiled build instead (see InitOptions.module).
 */
export function initSync(options?: InitOptions): RuntimeInfo {
  const o = readOptions("init", options, INIT_OPTION_KEYS);
  syncCalls++;
  return installSync(o);
}

type InitRecord = Readonly<Partial<Record<(typeof INIT_OPTION_KEYS)[number], unknown>>>;

/** initSync's work on options already read. */
function installSync(o: InitRecord): RuntimeInfo {
  refuseDuringAsyncCall("initSync");
  if (checkThreads(o.threads) > 1) {
    throw new RangeError(
      "init: threads > 1 needs await init({ threads }) (the threaded builds load asynchronously); initSync runs on one thread",
    );
  }
  checkMaxMemoryBytes(o.maxMemoryBytes);
  if (checkModule(o.module) !== undefined) return initSyncFromModule(o as InitOptions);
  const choice = checkBuildChoice(o.build);
  const arenaBytes = checkArenaBytes(o.arenaBytes);
  const build = resolveBuild(choice);
  if (o.threads === undefined) {
    const kept = keepThreaded(build, arenaBytes, availableBuilds());
    if (kept) return kept;
  }
  return installDefault(moduleOf(build), arenaBytes, availableBuilds());
}

/**
 * Compiles the builds asynchronously (nothing blocks a browser's main thread), then does what
 * initSync does. Idempotent.
 */
export function init(options?: InitOptions): Promise<RuntimeInfo> {
  let o: InitRecord;
  try {
    o = readOptions("init", options, INIT_OPTION_KEYS);
  } catch (error) {
    return Promise.reject(error);
  }
  // Calls run one after another, in the order they were made, so the last one made holds; one
  // overtaken by an initSync made meanwhile leaves that runtime in place.
  const syncCallsBefore = syncCalls;
  const result = initTail.then(() => initNow(o, () => syncCalls !== syncCallsBefore));
  initTail = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}

/** initSync() calls made so far. */
let syncCalls = 0;
/** The last init() call's end. */
let initTail: Promise<void> = Promise.resolve();

async function initNow(o: InitRecord, overtaken: () => boolean): Promise<RuntimeInfo> {
  const threads = checkThreads(o.threads);
  const maxMemoryBytes = checkMaxMemoryBytes(o.maxMemoryBytes);
  if (checkModule(o.module) === undefined) await precompileBuilds();
  if (threads === 1) {
    while (asyncCallsPending()) await asyncCallsEnded();
    if (overtaken()) return runtimeInfo();
    return installSync({ ...o, maxMemoryBytes: undefined });
  }
  if (o.module !== undefined)
    throw new RangeError("init: threads > 1 runs the embedded threaded builds; it does not take a module");
  const choice = checkBuildChoice(o.build);
  const arenaBytes = checkArenaBytes(o.arenaBytes);
  const build = resolveBuild(choice);
  // The same threads on the same build: idempotent, as init is (maxMemoryBytes is fixed at creation).
  if (o.maxMemoryBytes === undefined) {
    const kept = keepThreaded(build, arenaBytes, availableBuilds(), threads);
    if (kept) return kept;
  }
  // The thread code (pool, strategies, the worker source) loads only here, for init({ threads }).
  const { threadedRuntime, threadsUnavailable } = await import("./threads/threaded-runtime.js");
  const reason = await threadsUnavailable(build);
  if (reason !== null) {
    while (asyncCallsPending()) await asyncCallsEnded();
    if (overtaken()) return runtimeInfo();
    return installDefault(
      moduleOf(build),
      arenaBytes,
      availableBuilds(),
      `${threads} threads were asked for: ${reason}; running on one`,
    );
  }
  let runtime: Awaited<ReturnType<typeof threadedRuntime>>;
  try {
    runtime = await threadedRuntime(build, moduleOf(build), threads, arenaBytes, maxMemoryBytes);
  } catch (error) {
    // Workers that cannot start (a page's Content-Security-Policy without worker-src blob:, a
    // sandbox without threads) leave the package on one thread, saying why.
    const reason = `${threads} threads were asked for: the workers did not start (${error instanceof Error ? error.message : String(error)}); running on one`;
    while (asyncCallsPending()) await asyncCallsEnded();
    if (overtaken()) return runtimeInfo();
    return installDefault(moduleOf(build), arenaBytes, availableBuilds(), reason);
  }
  while (asyncCallsPending()) await asyncCallsEnded();
  if (overtaken()) {
    runtime.dispose();
    return runtimeInfo();
  }
  return installThreaded(runtime, availableBuilds());
}
