// The embedded builds: their bytes are base64 strings in a generated module, so nothing is
// fetched and no bundler needs to know about .wasm files. Compiles them (once each) and picks
// the most capable one the engine compiles.
import { relaxedSimdBase64, scalarBase64, simdBase64 } from "../generated/wasm-builds.js";
import { describe } from "../checks/describe.js";
import { BUILD_ORDER, type BuildChoice, type BuildName } from "./wasm.js";

const SOURCES: Record<BuildName, string> = {
  "relaxed-simd": relaxedSimdBase64,
  simd: simdBase64,
  scalar: scalarBase64,
};

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
  await Promise.all(
    BUILD_ORDER.filter((name) => !compiled.has(name)).map(async (name) => {
      let result: WebAssembly.Module | Error;
      try {
        result = await WebAssembly.compile(decodeBase64(SOURCES[name]));
      } catch (error) {
        result = asError(error);
      }
      if (!compiled.has(name)) compiled.set(name, result);
    }),
  );
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
    throw new RangeError(`init: build must be "auto", "relaxed-simd", "simd" or "scalar", got ${describe(build)}`);
  }
  return build as BuildChoice;
}

/** The compiled module of a build this engine compiles (see resolveBuild). */
export function moduleOf(name: BuildName): WebAssembly.Module {
  const module = compileBuild(name);
  if (module === null) resolveBuild(name); // throws with the engine's reason
  return module!;
}
