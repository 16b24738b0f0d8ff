// The wasm Philox kernels driven over a range of stream positions (normals, uniform words),
// and the keys each kind of draw uses.
import type { Addresses } from "../engine/call.js";
import { type Op, runSync } from "../engine/op.js";
import { SCRATCH_BYTES } from "../engine/wasm.js";
import { halves, philox4x32 } from "./philox.js";

/** What philoxUniformFill writes (assembly/uniform.ts). */
export const enum UniformKind {
  Float = 0,
  Int = 1,
  Bits = 2,
}

export function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * One Philox kernel over positions [position, position + out.length) into out (our view), in
 * chunks of whole groups of 16 (the kernels start at any position; whole groups per chunk keep
 * partial groups to the ends). `fill` calls the kernel on one chunk, given the chunk's start
 * position as two 32-bit halves. Returns the view to hand back (a fresh one if wasm memory grew).
 */
export function philoxRun<T extends Float32Array | Int32Array>(
  fn: string,
  out: T,
  position: bigint,
  kernel: "philoxNormalFill" | "philoxUniformFill",
  args: (at: Addresses, count: number, p0: number, p1: number) => number[],
): T {
  return runSync(fn, function* (): Op<T> {
    const [final] = yield {
      fn,
      rows: out.length,
      inputs: [],
      outputs: [{ name: "out", view: out, perRow: 1 }],
      scratchBytes: SCRATCH_BYTES[kernel],
      rowMultiple: 16,
      export: kernel,
      args(at, first, count) {
        const [p0, p1] = halves(position + BigInt(first));
        return args(at, count, p0, p1);
      },
    };
    return final as T;
  });
}

/** Philox normals (key = the seed) as z·std + mean. */
export function philoxFill(
  fn: string,
  out: Float32Array,
  seed: bigint,
  stream: bigint,
  position: bigint,
  mean: number,
  std: number,
): Float32Array {
  const [k0, k1] = halves(seed);
  const [s0, s1] = halves(stream);
  return philoxRun(fn, out, position, "philoxNormalFill", (at, count, p0, p1) => [
    at.outputs[0],
    count,
    p0,
    p1,
    k0,
    k1,
    s0,
    s1,
    mean,
    std,
    at.scratch,
  ]);
}

/** Philox uniform words (key = the uniform key derived from the seed), turned into what `kind` says. */
export function philoxUniform<T extends Float32Array | Int32Array>(
  fn: string,
  out: T,
  key: readonly [number, number],
  stream: bigint,
  position: bigint,
  kind: UniformKind,
  a: number,
  b: number,
): T {
  const [s0, s1] = halves(stream);
  return philoxRun(fn, out, position, "philoxUniformFill", (at, count, p0, p1) => [
    at.outputs[0],
    count,
    p0,
    p1,
    key[0],
    key[1],
    s0,
    s1,
    kind,
    a,
    b,
    at.scratch,
  ]);
}

/**
 * The key a kind of draw uses: one Philox block of (tag, seed), so uniform words and categorical
 * draws never reuse the blocks of the normal sampler (which keys by the seed itself) or of each other.
 */
export function derivedKey(seed: bigint, tag: number): [number, number] {
  const [k0, k1] = halves(seed);
  const w = philox4x32(tag, 0x6b657973, 0, 0, k0, k1);
  return [w[0], w[1]];
}
export const UNIFORM_TAG = 0x756e6966; // "unif"
export const CATEGORICAL_TAG = 0x63617467; // "catg"

/** Lemire's ⌊w·range / 2^32⌋ for u32 w and range ≤ 2^32, exactly (16-bit halves keep products exact). */
export function scaleWord(w: number, range: number): number {
  if (range === 2 ** 32) return w;
  const lo = (w & 0xffff) * range;
  return Math.floor((Math.floor(lo / 65536) + (w >>> 16) * range) / 65536);
}
