import { defineConfig } from "vitest/config";

// Node 20 compiles relaxed SIMD only behind a V8 flag (Node 22+ has it on): pass the flag so
// the suite runs on all three builds there too.
const nodeMajor = Number(process.versions.node.split(".")[0]);
// --expose-gc lets a test check that dropped WasmArrays are reclaimed.
const execArgv = [...(nodeMajor < 22 ? ["--experimental-wasm-relaxed-simd"] : []), "--expose-gc"];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Child processes, so execArgv applies and the 400 MB batch test has its own heap.
    pool: "forks",
    execArgv,
  },
});
