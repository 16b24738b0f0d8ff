import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The 400 MB batch test needs room for its input and output arrays.
    pool: "forks",
  },
});
