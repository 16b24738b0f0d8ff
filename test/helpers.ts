// Shared test utilities: the builds to test, seeded inputs, and tolerance comparison.
import { afterEach, beforeAll, describe, expect } from "vitest";
import * as pk from "../src/index.js";
import { availableBuilds } from "../src/engine/builds.js";
import type { BuildName } from "../src/engine/wasm.js";

/** Every build this engine compiles (relaxed-simd needs Node ≥ 22 or a flag on Node 20). */
export const BUILDS: BuildName[] = availableBuilds();

/** mulberry32: a small seeded generator, so every failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller on the seeded generator), times `scale`. */
export function randomLogits(length: number, seed: number, scale = 3): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const u = 1 - next();
    const v = next();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

export function randomLabels(rows: number, classes: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: rows }, () => Math.floor(next() * classes));
}

/** Rows of random probabilities (each row sums to 1). */
export function randomTargets(rows: number, classes: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[r * classes + c] = next();
    for (let c = 0; c < classes; c++) out[r * classes + c] /= sum;
  }
  return out;
}

export interface Tolerance {
  abs: number;
  rel: number;
}

/** The PyTorch reference data's tolerances (test/fixtures/torch-reference.json). */
export const PROB_TOL: Tolerance = { abs: 1e-6, rel: 1e-5 };
export const LOG_TOL: Tolerance = { abs: 1e-5, rel: 1e-5 };

/**
 * Describes the first element outside |a − e| ≤ abs + rel·|e| (NaN must match NaN, infinities
 * must match exactly), or returns null when all agree.
 */
export function mismatch(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  tol: Tolerance,
): string | null {
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  if (a.length !== e.length) return `length ${a.length} ≠ expected ${e.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i],
      y = e[i];
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(y) !== Number.isNaN(x)) return `[${i}]: got ${x}, expected ${y}`;
      continue;
    }
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) return `[${i}]: got ${x}, expected ${y}`;
      continue;
    }
    if (Math.abs(x - y) > tol.abs + tol.rel * Math.abs(y)) {
      return `[${i}]: got ${x}, expected ${y} (|diff| ${Math.abs(x - y).toExponential(2)})`;
    }
  }
  return null;
}

/** Decodes the reference data's special floats ("Infinity", "-Infinity", "NaN"). */
export function num(v: number | string): number {
  return typeof v === "number" ? v : Number(v);
}

/**
 * One suite per build: `body` runs inside describe(`${title}, ${build} build`) after
 * init({ build, arenaBytes }), and every test ends by checking that the build it was meant to
 * test is the one that ran (a fallback would otherwise pass silently as another build).
 */
export function describeBuilds(
  title: string,
  body: (build: BuildName) => void,
  options: { arenaBytes?: number } = {},
): void {
  for (const build of BUILDS) {
    describe(`${title}, ${build} build`, () => {
      beforeAll(async () => {
        await pk.init({ build, arenaBytes: options.arenaBytes ?? pk.DEFAULT_ARENA_BYTES });
      });
      afterEach(() => {
        expect(pk.runtimeInfo().build).toBe(build);
      });
      body(build);
    });
  }
}
