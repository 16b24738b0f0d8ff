// The threaded runtime of init({ threads }): the threaded build matching the chosen one (loaded
// on demand from its own generated module, so single-thread users never load its bytes), one
// shared WebAssembly.Memory, and threads − 1 workers (pool.ts) over it: Node's worker_threads,
// or Web Workers in a cross-origin-isolated page (COOP: same-origin, COEP: require-corp).
import { ThreadPool } from "./pool.js";
import {
  browserSpawner,
  nodeSpawner,
  type NodeMessageChannel,
  type NodeWorkerConstructor,
  type SpawnWorker,
} from "./worker-source.js";
import { DEFAULT_ARENA_BYTES } from "../arena.js";
import { executeOffloaded, offloadWorthIt } from "./offload.js";
import { executePipelined } from "./pipelined.js";
import { executeSplit, splitKind } from "./split.js";
import { pipelineWorthIt } from "./tuning.js";
import { Runtime, type Threading } from "../runtime.js";
import type { BuildName } from "../wasm.js";

const PAGE = 65536;

type WorkerModule = { Worker: NodeWorkerConstructor; MessageChannel: NodeMessageChannel };

/** node:worker_threads through process.getBuiltinModule (Node ≥ 20.16), invisible to bundlers. */
function workerThreads(): WorkerModule | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (proc?.getBuiltinModule?.("node:worker_threads") as WorkerModule | undefined) ?? null;
}

const ISOLATION =
  "serve the page with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp";

/** How this engine starts workers: Node's worker_threads, a page's Web Workers, or a reason it cannot. */
function spawner(): SpawnWorker | string {
  const node = workerThreads();
  if (node !== null) return nodeSpawner(node.Worker, node.MessageChannel);
  const g = globalThis as { Worker?: typeof globalThis.Worker; crossOriginIsolated?: boolean; process?: unknown };
  if (g.process !== undefined) return "threads need Node ≥ 20.16 (worker_threads through process.getBuiltinModule)";
  if (typeof g.Worker !== "function") return "this engine has no Web Workers";
  if (g.crossOriginIsolated !== true) return `the page is not cross-origin isolated (${ISOLATION})`;
  return browserSpawner(g.Worker);
}

/** Why this engine cannot run the threaded builds, or null when it can. */
export async function threadsUnavailable(build: BuildName): Promise<string | null> {
  const spawn = spawner();
  if (typeof spawn === "string") return spawn;
  if (typeof SharedArrayBuffer !== "function") return `SharedArrayBuffer is not available (in a browser: ${ISOLATION})`;
  if (build === "scalar") return "there is no threaded scalar build (the engine lacks SIMD)";
  return (await threadedModule(build)) === null ? `this engine does not compile the threaded ${build} build` : null;
}

const compiled = new Map<BuildName, WebAssembly.Module | null>();

async function threadedModule(build: BuildName): Promise<WebAssembly.Module | null> {
  if (!compiled.has(build)) {
    const { relaxedSimdThreadsBase64, simdThreadsBase64 } = await import("../../generated/wasm-threads.js");
    const text = build === "relaxed-simd" ? relaxedSimdThreadsBase64 : simdThreadsBase64;
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    try {
      compiled.set(build, await WebAssembly.compile(bytes));
    } catch {
      compiled.set(build, null);
    }
  }
  return compiled.get(build) ?? null;
}

/** The strategies of a threaded runtime over `pool`, with `local` for the calls that stay on this thread. */
function threading(pool: ThreadPool, local: Runtime): Threading {
  const strategies: Threading & { pool: ThreadPool } = {
    local,
    pool,
    get workers() {
      return pool.size;
    },
    get broken() {
      return pool.broken;
    },
    strategy: (_rt, call, slots) => splitKind(pool, call, slots) ?? (pipelineWorthIt(pool, call) ? "pipelined" : null),
    run: (rt, call, frame, strategy) =>
      strategy === "pipelined"
        ? executePipelined(rt, pool, local, call, frame)
        : executeSplit(rt, pool, call, frame, strategy),
    offloads: (call) => offloadWorthIt(pool, call),
    offload: (rt, call, slots) => executeOffloaded(rt, pool, call, slots),
    dispose: () => pool.dispose(),
  };
  return strategies;
}

/** A threaded runtime's pool (tests: crash injection). */
export const poolOf = (rt: Runtime): ThreadPool | null => (rt.threading as { pool?: ThreadPool } | null)?.pool ?? null;

/**
 * A runtime over a shared memory of at most maxMemoryBytes, with threads − 1 workers, and an
 * instance of `ordinary` (the same build, unshared, bounded by maxMemoryBytes too) for the calls
 * that stay on this thread.
 */
export async function threadedRuntime(
  build: BuildName,
  ordinary: WebAssembly.Module,
  threads: number,
  arenaBytes: number | undefined,
  maxMemoryBytes: number,
): Promise<Runtime> {
  const module = (await threadedModule(build))!;
  const maximum = Math.floor(maxMemoryBytes / PAGE);
  const memory = new WebAssembly.Memory({ initial: Math.min(32, maximum), maximum, shared: true });
  const pool = new ThreadPool(spawner() as SpawnWorker, module, memory, threads - 1);
  try {
    const budget = arenaBytes ?? DEFAULT_ARENA_BYTES;
    const runtime = new Runtime(module, budget, "init", memory, maximum * PAGE);
    runtime.threading = threading(pool, new Runtime(ordinary, budget, "init", undefined, maximum * PAGE));
    await pool.ready();
    return runtime;
  } catch (error) {
    pool.dispose();
    throw error;
  }
}
