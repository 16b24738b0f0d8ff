// Chooses and instantiates one of the embedded builds. The bytes are base64 strings in a
// generated module, so nothing is fetched and no bundler needs to know about .wasm files.
import { relaxedSimdBase64, scalarBase64, simdBase64 } from "./generated/wasm-builds.js";
import { describe } from "./validate.js";

export type BuildName = "relaxed-simd" | "simd" | "scalar";
export type BuildChoice = BuildName | "auto";

/** The raw kernel exports; every build has the same ones (assembly/index.ts). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  softmaxRows(src: number, dst: number, rows: number, cols: number, invT: number): void;
  logSoftmaxRows(src: number, dst: number, rows: number, cols: number, invT: number): void;
  logSumExpRows(src: number, dst: number, rows: number, cols: number, invT: number): void;
  expNonPositiveArray(src: number, dst: number, n: number): void;
  philoxNormalFill(
    dst: number, count: number, startLo: number, startHi: number,
    key0: number, key1: number, stream0: number, stream1: number, mean: number, std: number,
  ): void;
  crossEntropyHardRows(
    logits: number, labels: number, rows: number, cols: number, invT: number,
    weight: number, weightSum: number, ignoreIndex: number, smoothing: number,
    lossOut: number, grad: number, gradScale: number, gradScalar: number,
  ): void;
  crossEntropySoftRows(
    logits: number, targets: number, rows: number, cols: number, invT: number,
    weight: number, smoothing: number,
    lossOut: number, grad: number, gradScale: number, gradScalar: number,
  ): void;
}

const SOURCES: Record<BuildName, string> = {
  "relaxed-simd": relaxedSimdBase64,
  simd: simdBase64,
  scalar: scalarBase64,
};

/** Most capable first: auto takes the first one the engine compiles. */
export const BUILD_ORDER: readonly BuildName[] = ["relaxed-simd", "simd", "scalar"];

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const compiled = new Map<BuildName, WebAssembly.Module | null>();

/**
 * Compiles a build, or returns null when this engine cannot. Compiling (not only
 * WebAssembly.validate) is the test: an engine may validate opcodes it then refuses to compile.
 */
export function compileBuild(name: BuildName): WebAssembly.Module | null {
  if (!compiled.has(name)) {
    let module: WebAssembly.Module | null = null;
    try {
      module = new WebAssembly.Module(decodeBase64(SOURCES[name]));
    } catch {
      module = null;
    }
    compiled.set(name, module);
  }
  return compiled.get(name)!;
}

/**
 * Compiles every build not compiled yet with WebAssembly.compile (asynchronous, so a browser's
 * main thread is not blocked and no engine limit on synchronous compilation applies), filling
 * the cache that compileBuild reads.
 */
export async function precompileBuilds(): Promise<void> {
  await Promise.all(BUILD_ORDER.filter((name) => !compiled.has(name)).map(async (name) => {
    let module: WebAssembly.Module | null;
    try {
      module = await WebAssembly.compile(decodeBase64(SOURCES[name]));
    } catch {
      module = null;
    }
    if (!compiled.has(name)) compiled.set(name, module);
  }));
}

/** The builds this engine can run, most capable first. */
export function availableBuilds(): BuildName[] {
  return BUILD_ORDER.filter((name) => compileBuild(name) !== null);
}

export function checkBuildChoice(build: unknown): BuildChoice {
  if (build === undefined) return "auto";
  if (build !== "auto" && !BUILD_ORDER.includes(build as BuildName)) {
    throw new RangeError(
      `init: build must be "auto", "relaxed-simd", "simd" or "scalar", got ${describe(build)}`,
    );
  }
  return build as BuildChoice;
}

export function instantiateBuild(choice: BuildChoice): { name: BuildName; exports: KernelExports } {
  const candidates = choice === "auto" ? BUILD_ORDER : [choice];
  for (const name of candidates) {
    const module = compileBuild(name);
    if (module === null) continue;
    // The kernels import nothing (stub runtime, no abort handler), so a plain instance is all
    // they need; no loader means no bare import, and the ESM build runs in a browser as is.
    const { exports } = new WebAssembly.Instance(module, {});
    return { name, exports: exports as unknown as KernelExports };
  }
  throw new Error(
    choice === "auto"
      ? "init: this engine compiles none of the WebAssembly builds"
      : `init: this engine cannot compile the "${choice}" build (available: ${availableBuilds().join(", ") || "none"})`,
  );
}
