import { defineConfig } from "vitest/config";

// Node 20 compiles relaxed SIMD only behind a V8 flag (Node 22+ has it on): pass the flag so
// the suite runs on all three builds there too.
const nodeMajor = Number(process.versions.node.split(".")[0]);
// --expose-gc lets a test check that dropped WasmArrays are reclaimed.
const execArgv = [...(nodeMajor < 22 ? ["--experimental-wasm-relaxed-simd"] : []), "--expose-gc"];

/**
 * Suites that take most of the run's time: tarball consumers, the examples' training runs, the
 * browsers, and the statistical tests with 10^6 draws. `npm run test:unit` leaves them out.
 */
const SLOW = [
  "test/integration/**/*.test.ts",
  "test/random/stats.test.ts",
  "test/random/edges.test.ts",
  "test/ops/sampling-stats.test.ts",
  "test/engine/memory.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: SLOW } },
      { extends: true, test: { name: "slow", include: SLOW } },
    ],
    setupFiles: ["./test/setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Child processes, so execArgv applies and the 400 MB batch test has its own heap.
    pool: "forks",
    execArgv,
  },
});
