// Which builds run here, and that a forced build is the one used.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";

describe("builds", () => {
  it("every engine we support compiles the SIMD and scalar builds; Node ≥ 22 (or the flag) also relaxed SIMD", async () => {
    const info = await pk.init();
    expect(info.availableBuilds).toContain("simd");
    expect(info.availableBuilds).toContain("scalar");
    // The test runner passes --experimental-wasm-relaxed-simd on Node 20 (vitest.config.ts).
    expect(info.availableBuilds).toContain("relaxed-simd");
    expect(info.build).toBe(info.availableBuilds[0]);
  });

  it.each(["relaxed-simd", "simd", "scalar"] as const)("init({ build: %j }) runs that build", async (build) => {
    expect((await pk.init({ build })).build).toBe(build);
    expect(pk.runtimeInfo().build).toBe(build);
  });
});

describe("a compiled module handed over (init({ module }), probkernels/core)", () => {
  it("init({ module }) runs the module it is given, names its build, and is idempotent for the running one", async () => {
    const first = await pk.init({ build: "simd" });
    const a = pk.allocFloat32(4);
    expect(pk.initSync({ module: first.module }).build).toBe("simd");
    expect(a.array.length).toBe(4); // same instance: the WasmArray is still valid
    const scalar = pk.initSync({ build: "scalar" });
    pk.initSync({ module: first.module });
    expect(pk.runtimeInfo().build).toBe("simd");
    expect(pk.initSync({ module: scalar.module }).build).toBe("scalar");
    expect(() => pk.initSync({ module: {} as WebAssembly.Module })).toThrow(
      /init: module must be a WebAssembly\.Module/,
    );
    const foreign = new WebAssembly.Module(Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0]));
    expect(() => pk.initSync({ module: foreign })).toThrow(
      /init: module is not a probkernels build \(missing exports: heapBase, buildId/,
    );
    await pk.init();
  });

  it("a worker_threads worker runs the page's module through probkernels/core, with the same bits", async () => {
    const { Worker } = await import("node:worker_threads");
    const info = await pk.init();
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.cos(i) * 3);
    const core = new URL("../../dist/core.js", import.meta.url).href;
    const worker = new Worker(
      `import("${core}").then((pk) => {
         const { parentPort, workerData } = require("node:worker_threads");
         const info = pk.initSync({ module: workerData.module });
         parentPort.postMessage({ build: info.build, softmax: pk.softmax(workerData.x, 10) });
       });`,
      { eval: true, workerData: { module: info.module, x } },
    );
    const reply = await new Promise<{ build: string; softmax: Float32Array }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await worker.terminate();
    expect(reply.build).toBe(info.build);
    expect(Array.from(reply.softmax)).toEqual(Array.from(pk.softmax(x, 10)));
  });

  it("probkernels/core without a module says what to pass", async () => {
    const core = await import("../../src/core.js");
    expect(() => core.initSync({})).toThrow(
      /probkernels\/core carries no builds; pass the module another thread compiled/,
    );
  });
});
