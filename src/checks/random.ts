// Checks and option types of the random streams (counts, bounds, mean and std, compat).
import { checkFloat32 } from "./arrays.js";
import { describe } from "./describe.js";
import { ownView, typedArrayName } from "./views.js";
import type { Seed } from "../random/seed.js";

export type { Seed };
/**
 * Which generator: "philox" (default: counter-based Philox4x32-10, SIMD, reproducible at any
 * chunking, thread count or build) or "torch" (PyTorch's CPU mt19937 stream, value for value).
 */
export type Compat = "philox" | "torch";

/** JSON-safe generator state (64-bit values as decimal strings). */
export type RandomGeneratorState =
  | { algorithm: "philox4x32-10"; seed: string; stream: string; position: string; splits: string }
  | {
      algorithm: "mt19937-torch";
      seed: string;
      position: string;
      mt: number[];
      index: number;
      cachedNormal: number | null;
    };

export interface RandomGeneratorOptions {
  /** "philox" (default, counter-based) or "torch" (PyTorch's CPU generator). */
  compat?: Compat;
  /** Stream id (philox only): different streams of one seed are independent. Default 0. */
  stream?: Seed;
}

export const MAX_COUNT = 2 ** 31 - 1;
/** A stream has 2^64 positions; value 2^64 would wrap around to value 0. */
export const STREAM_LENGTH = 2n ** 64n;

export function checkCompat(fn: string, compat: unknown): Compat {
  if (compat === undefined) return "philox";
  if (compat !== "philox" && compat !== "torch") {
    throw new RangeError(`${fn}: compat must be "philox" or "torch", got ${describe(compat)}`);
  }
  return compat;
}

export function checkMeanStd(fn: string, mean: unknown, std: unknown): [number, number] {
  const m = mean === undefined ? 0 : mean;
  const s = std === undefined ? 1 : std;
  if (typeof m !== "number") throw new TypeError(`${fn}: mean must be a finite number, got ${describe(m)}`);
  if (!Number.isFinite(m)) throw new RangeError(`${fn}: mean must be a finite number, got ${describe(m)}`);
  if (typeof s !== "number") throw new TypeError(`${fn}: std must be a finite number ≥ 0, got ${describe(s)}`);
  if (!(s >= 0) || !Number.isFinite(s))
    throw new RangeError(`${fn}: std must be a finite number ≥ 0, got ${describe(s)}`);
  return [m, s];
}

export function checkCount(fn: string, count: unknown, name = "count"): number {
  if (typeof count !== "number")
    throw new TypeError(`${fn}: ${name} must be a non-negative integer, got ${describe(count)}`);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${describe(count)}`);
  }
  if (count > MAX_COUNT) {
    throw new RangeError(`${fn}: ${name} = ${count} is too large (at most 2^31 − 1 values per call)`);
  }
  return count;
}

export function checkFloat32Out(fn: string, out: unknown, length?: number): Float32Array {
  const view = checkFloat32(fn, "out", out, `a Float32Array${length === undefined ? "" : ` of length ${length}`}`);
  if (length !== undefined && view.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length} (count), got length ${view.length}`);
  }
  return view;
}

/** Refuses a draw that would run past the stream's last position (2^64 − 1) instead of wrapping to 0. */
export function checkStreamEnd(fn: string, position: bigint, count: bigint): void {
  if (position + count > STREAM_LENGTH) {
    throw new RangeError(
      `${fn}: the stream has 2^64 positions; drawing ${count} values from position ${position} would run past its end`,
    );
  }
}

export function checkInt32Out(fn: string, out: unknown, length?: number): Int32Array {
  if (typedArrayName(out) !== "Int32Array") {
    throw new TypeError(
      `${fn}: out must be an Int32Array${length === undefined ? "" : ` of length ${length}`}, got ${describe(out)}`,
    );
  }
  const view = ownView(fn, "out", Int32Array, out as Int32Array);
  if (length !== undefined && view.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length} (count), got length ${view.length}`);
  }
  return view;
}

/** Checks integer bounds low < high within int32 (the values go to an Int32Array). */
export function checkIntBounds(fn: string, low: unknown, high: unknown): [number, number] {
  for (const [name, v] of [
    ["low", low],
    ["high", high],
  ] as const) {
    if (typeof v !== "number") throw new TypeError(`${fn}: ${name} must be an integer, got ${describe(v)}`);
    if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31) {
      throw new RangeError(
        `${fn}: ${name} must be an integer from -2^31 to 2^31 (the values are int32), got ${describe(v)}`,
      );
    }
  }
  if (!((low as number) < (high as number))) {
    throw new RangeError(
      `${fn}: low must be less than high (values are drawn from [low, high)), got low = ${low}, high = ${high}`,
    );
  }
  return [low as number, high as number];
}

export function checkUniformBounds(fn: string, low: unknown, high: unknown): [number, number] {
  const l = low === undefined ? 0 : low,
    h = high === undefined ? 1 : high;
  for (const [name, v] of [
    ["low", l],
    ["high", h],
  ] as const) {
    if (typeof v !== "number") throw new TypeError(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
  }
  if (!((l as number) <= (h as number))) {
    throw new RangeError(`${fn}: low must be at most high, got low = ${l}, high = ${h}`);
  }
  if (
    !Number.isFinite(Math.fround(h as number) - Math.fround(l as number)) ||
    !Number.isFinite(Math.fround(Math.fround(h as number) - Math.fround(l as number)))
  ) {
    throw new RangeError(`${fn}: high − low must be a finite float32, got low = ${l}, high = ${h}`);
  }
  return [l as number, h as number];
}
