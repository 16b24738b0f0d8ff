// Chooses and instantiates one of the embedded builds. The bytes are base64 strings in a
// generated module, so nothing is fetched and no bundler needs to know about .wasm files.
import { relaxedSimdBase64, scalarBase64, simdBase64 } from "./generated/wasm-builds.js";
import { describe } from "./validate.js";

export type BuildName = "relaxed-simd" | "simd" | "scalar";
export type BuildChoice = BuildName | "auto";

/**
 * Every kernel export's parameters, by name and wasm type, in order: the one place a call's
 * argument order is written down. KernelExports is derived from it (so a call with the wrong
 * number of arguments does not compile), and a test compares it with each binary's exports,
 * parameter types and results (test/signatures.test.ts), so a kernel whose signature changes
 * without this table fails there. Pointers are byte addresses (i32); `scratch` is working space
 * the kernel owns for the call only (kernels keep no memory of their own).
 */
export const KERNEL_SIGNATURES = {
  heapBase: { params: [], result: "i32" },
  softmaxRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32", "invT:f32"], result: null },
  logSoftmaxRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32", "invT:f32"], result: null },
  logSumExpRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32", "invT:f32"], result: null },
  expNonPositiveArray: { params: ["src:i32", "dst:i32", "n:i32"], result: null },
  philoxNormalFill: {
    params: ["dst:i32", "count:i32", "startLo:i32", "startHi:i32", "key0:i32", "key1:i32",
      "stream0:i32", "stream1:i32", "mean:f32", "std:f32", "scratch:i32"],
    result: null,
  },
  crossEntropyHardRows: {
    params: ["logits:i32", "labels:i32", "rows:i32", "cols:i32", "invT:f32", "weight:i32", "weightSum:f64",
      "ignoreIndex:i32", "smoothing:f64", "lossOut:i32", "grad:i32", "gradScale:i32", "gradScalar:f32", "scratch:i32"],
    result: "i32",
  },
  crossEntropySoftRows: {
    params: ["logits:i32", "targets:i32", "rows:i32", "cols:i32", "invT:f32", "weight:i32", "smoothing:f64",
      "lossOut:i32", "grad:i32", "gradScale:i32", "gradScalar:f32"],
    result: null,
  },
} as const;

/** Scratch bytes the kernels that take a `scratch` operand need (CE_SCRATCH_BYTES, PHILOX_SCRATCH_BYTES in assembly/). */
export const SCRATCH_BYTES = { crossEntropyHardRows: 160, philoxNormalFill: 64 } as const;

type Signatures = typeof KERNEL_SIGNATURES;
type Args<P extends readonly string[]> = { [I in keyof P]: number };

/** The raw kernel exports; every build has the same ones (assembly/index.ts). */
export type KernelExports = {
  [K in keyof Signatures]: (...args: Args<Signatures[K]["params"]>) => Signatures[K]["result"] extends null ? void : number;
} & { memory: WebAssembly.Memory };

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

/** Each build's compiled module, or the engine's reason for refusing it. */
const compiled = new Map<BuildName, WebAssembly.Module | Error>();

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Compiles a build, or returns null when this engine cannot. Compiling (not only
 * WebAssembly.validate) is the test: an engine may validate opcodes it then refuses to compile.
 */
export function compileBuild(name: BuildName): WebAssembly.Module | null {
  if (!compiled.has(name)) {
    try {
      compiled.set(name, new WebAssembly.Module(decodeBase64(SOURCES[name])));
    } catch (error) {
      compiled.set(name, asError(error));
    }
  }
  const result = compiled.get(name)!;
  return result instanceof Error ? null : result;
}

/**
 * Compiles every build not compiled yet with WebAssembly.compile (asynchronous, so a browser's
 * main thread is not blocked and no engine limit on synchronous compilation applies), filling
 * the cache that compileBuild reads.
 */
export async function precompileBuilds(): Promise<void> {
  await Promise.all(BUILD_ORDER.filter((name) => !compiled.has(name)).map(async (name) => {
    let result: WebAssembly.Module | Error;
    try {
      result = await WebAssembly.compile(decodeBase64(SOURCES[name]));
    } catch (error) {
      result = asError(error);
    }
    if (!compiled.has(name)) compiled.set(name, result);
  }));
}

/** The builds this engine can run, most capable first. */
export function availableBuilds(): BuildName[] {
  return BUILD_ORDER.filter((name) => compileBuild(name) !== null);
}

/** The build `choice` stands for on this engine: the most capable one it compiles for "auto". */
export function resolveBuild(choice: BuildChoice): BuildName {
  const candidates = choice === "auto" ? BUILD_ORDER : [choice];
  for (const name of candidates) if (compileBuild(name) !== null) return name;
  const reasons = candidates.map((name) => `${name}: ${compiled.get(name)}`).join("; ");
  // The usual reason in a browser: a Content-Security-Policy whose script-src lacks
  // 'wasm-unsafe-eval' forbids compiling any WebAssembly, whatever its features.
  throw new Error(
    (choice === "auto"
      ? "init: this engine compiles none of the WebAssembly builds"
      : `init: this engine cannot compile the "${choice}" build (available: ${availableBuilds().join(", ") || "none"})`) +
      ` (${reasons}). If a Content-Security-Policy is in force, its script-src must allow 'wasm-unsafe-eval'.`,
  );
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

/** A new instance of a build this engine compiles (see resolveBuild). */
export function instantiateBuild(name: BuildName): KernelExports {
  const module = compileBuild(name);
  if (module === null) resolveBuild(name); // throws with the engine's reason
  // The kernels import nothing (stub runtime, no abort handler), so a plain instance is all
  // they need; no loader means no bare import, and the ESM build runs in a browser as is.
  return new WebAssembly.Instance(module!, {}).exports as unknown as KernelExports;
}
