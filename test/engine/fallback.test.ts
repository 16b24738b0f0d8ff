// The reason there are three builds: an engine that cannot compile relaxed SIMD, or SIMD at all,
// still runs the package. Simulated by refusing those builds' bytes at compile time, in a fresh
// copy of the package (the compiled-module cache is per module instance). And an engine that
// compiles nothing (a page whose CSP lacks 'wasm-unsafe-eval') gets an error that says why.
import { afterEach, describe, expect, it, vi } from "vitest";
import { relaxedSimdBase64, scalarBase64, simdBase64 } from "../../src/generated/wasm-builds.js";

const sizes = {
  "relaxed-simd": atob(relaxedSimdBase64).length,
  simd: atob(simdBase64).length,
  scalar: atob(scalarBase64).length,
};

const RealModule = WebAssembly.Module;
const realCompile = WebAssembly.compile;

/** Makes the engine refuse the named builds (by their byte length), with `message`. */
function refuse(builds: (keyof typeof sizes)[], message: string): void {
  const refused = (bytes: BufferSource) => builds.some((b) => sizes[b] === (bytes as Uint8Array).byteLength);
  const Fake = ((bytes: BufferSource) => {
    if (refused(bytes)) throw new WebAssembly.CompileError(message);
    return new RealModule(bytes);
  }) as unknown as typeof WebAssembly.Module;
  // The statics and the prototype stay the engine's (exports(), imports(), instanceof).
  Object.assign(Fake, {
    exports: RealModule.exports,
    imports: RealModule.imports,
    customSections: RealModule.customSections,
  });
  Fake.prototype = RealModule.prototype;
  WebAssembly.Module = Fake;
  WebAssembly.compile = async (bytes: BufferSource) => {
    if (refused(bytes)) throw new WebAssembly.CompileError(message);
    return realCompile(bytes);
  };
}

afterEach(() => {
  WebAssembly.Module = RealModule;
  WebAssembly.compile = realCompile;
  vi.resetModules();
});

describe("build fallback", () => {
  it("without relaxed SIMD and SIMD, auto picks the scalar build, reports it, and computes right", async () => {
    refuse(["relaxed-simd", "simd"], "WebAssembly.Module(): invalid opcode 0xfd (simd disabled)");
    vi.resetModules();
    const pk = await import("../../src/index.js");
    const ref = await import("../../src/reference/index.js");
    const info = await pk.init();
    expect(info.build).toBe("scalar");
    expect(info.availableBuilds).toEqual(["scalar"]);
    expect(pk.runtimeInfo().build).toBe("scalar");
    const x = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i) * 4);
    const got = pk.softmax(x, 10),
      want = ref.softmax(x, 10);
    for (let i = 0; i < 30; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6);
    await expect(pk.init({ build: "simd" })).rejects.toThrow(
      /cannot compile the "simd" build \(available: scalar\) \(simd: CompileError: WebAssembly\.Module\(\): invalid opcode/,
    );
  });

  it("without relaxed SIMD only, auto picks the SIMD build", async () => {
    refuse(["relaxed-simd"], "relaxed simd disabled");
    vi.resetModules();
    const pk = await import("../../src/index.js");
    expect((await pk.init()).build).toBe("simd");
  });

  it("when no build compiles, init's error carries the engine's reason and names the CSP fix", async () => {
    const csp =
      "WebAssembly.compile(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script";
    refuse(["relaxed-simd", "simd", "scalar"], csp);
    vi.resetModules();
    const pk = await import("../../src/index.js");
    const failure = pk.init().then(
      () => null,
      (e: Error) => e,
    );
    const error = await failure;
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/init: this engine compiles none of the WebAssembly builds/);
    expect(error!.message).toContain(csp);
    expect(error!.message).toMatch(/script-src must allow 'wasm-unsafe-eval'/);
    expect(() => pk.softmax(new Float32Array(2), 2)).toThrow(/await init\(\)/);
  });
});
