// Which builds run here, and that a forced build is the one used.
import { describe, expect, it } from "vitest";
import * as pk from "../src/index.js";

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
