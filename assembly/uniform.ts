// Uniform draws from the counter-based generator (Philox4x32-10, as in random.ts): floats in
// [low, high), integers in [low, low + range), or the raw 32-bit words. Value i of a stream is
// a pure function of (key, stream, i), so any chunking or build gives the same bits (only exact
// integer and IEEE operations, no fusion).
//
// Layout: words come in groups of 16. Group g uses Philox blocks 4g..4g+3; index 4k + j of the
// group holds word k of block 4g + j, so the four blocks of a group are the four lanes of a
// vector and each of their output words is one vector store (no transpose).
//
// The caller passes the key with its uniform domain already mixed in (src/random.ts), so
// uniform words never reuse the blocks the normal sampler draws from the same seed.
import { ki, mulhi4, philoxBlock, word0, word1, word2, word3 } from "./random";

// @ts-ignore: decorator
@inline const W0: u32 = 0x9E3779B9;
// @ts-ignore: decorator
@inline const W1: u32 = 0xBB67AE85;
// @ts-ignore: decorator
@inline const TWO_POW_M24: f32 = 5.9604644775390625e-8;

/** What philoxUniformFill writes. */
// @ts-ignore: decorator
@inline const KIND_FLOAT = 0;
// @ts-ignore: decorator
@inline const KIND_INT = 1;

/** The 16 words of group g into dst (u32). */
// @ts-ignore: decorator
@inline function wordGroup(dst: usize, g: u64, s0: u32, s1: u32, key0: u32, key1: u32): void {
  const block = g << 2;
  if (ASC_FEATURE_SIMD) {
    // block is a multiple of 4: adding the lane index never carries into the high word.
    let c0 = i32x4.add(i32x4.splat(<i32><u32>block), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0));
    let c1 = i32x4.splat(<i32><u32>(block >>> 32)), c2 = i32x4.splat(s0), c3 = i32x4.splat(s1);
    let k0 = key0, k1 = key1;
    const m0 = ki(7), m1 = ki(8);
    for (let round = 0; round < 10; round++) {
      if (round > 0) { k0 += W0; k1 += W1; }
      const hi0 = mulhi4(c0, m0), lo0 = i32x4.mul(c0, m0);
      const hi1 = mulhi4(c2, m1), lo1 = i32x4.mul(c2, m1);
      c0 = v128.xor(v128.xor(hi1, c1), i32x4.splat(k0));
      c1 = lo1;
      c2 = v128.xor(v128.xor(hi0, c3), i32x4.splat(k1));
      c3 = lo0;
    }
    v128.store(dst, c0);
    v128.store(dst, c1, 16);
    v128.store(dst, c2, 32);
    v128.store(dst, c3, 48);
  } else {
    for (let j: u32 = 0; j < 4; j++) {
      const b = block + <u64>j;
      philoxBlock(<u32>b, <u32>(b >>> 32), s0, s1, key0, key1);
      const o = dst + (<usize>j << 2);
      store<u32>(o, word0);
      store<u32>(o, word1, 16);
      store<u32>(o, word2, 32);
      store<u32>(o, word3, 48);
    }
  }
}

/** Bytes of scratch philoxUniformFill needs (one group of 16 words). */
export const UNIFORM_SCRATCH_BYTES = 64;

/**
 * Words number start .. start + count − 1 of stream (s0, s1) under key (k0, k1) into dst, then
 * turned in place into what `kind` asks for:
 *   0: f32 (w >>> 8)·2⁻²⁴ · (high − low) + low, rounded per operation as PyTorch's
 *      uniform_real_distribution<float> does (so [low, high), high itself only by rounding);
 *   1: i32 low + ⌊w · range / 2³²⌋ (Lemire's multiply-shift; range 0 means 2³²), with
 *      low and range given in `low` and `high`;
 *   2: the raw u32 words.
 * `scratch` (UNIFORM_SCRATCH_BYTES) holds a partial group at either end.
 */
export function philoxUniformFill(
  dst: usize, count: i32, startLo: u32, startHi: u32,
  k0: u32, k1: u32, s0: u32, s1: u32, kind: i32, low: f64, high: f64, scratch: usize,
): void {
  let position = (<u64>startHi << 32) | <u64>startLo;
  let done = 0;
  const offset = <i32>(position & 15);
  if (offset != 0 && count > 0) {
    wordGroup(scratch, position >>> 4, s0, s1, k0, k1);
    const n = min(16 - offset, count);
    memory.copy(dst, scratch + (<usize>offset << 2), <usize>n << 2);
    done = n;
    position += <u64>n;
  }
  for (; done + 16 <= count; done += 16) {
    wordGroup(dst + (<usize>done << 2), position >>> 4, s0, s1, k0, k1);
    position += 16;
  }
  if (done < count) {
    wordGroup(scratch, position >>> 4, s0, s1, k0, k1);
    memory.copy(dst + (<usize>done << 2), scratch, <usize>(count - done) << 2);
  }
  if (kind == KIND_FLOAT) floatsFromWords(dst, count, <f32>low, <f32>high);
  else if (kind == KIND_INT) intsFromWords(dst, count, <i32><i64>low, <u32><u64>high);
}

function floatsFromWords(p: usize, n: i32, low: f32, high: f32): void {
  const span = high - low;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(span), vl = f32x4.splat(low), scale = f32x4.splat(TWO_POW_M24);
    for (; i + 4 <= n; i += 4) {
      const o = p + (<usize>i << 2);
      const x = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(v128.load(o), 8)), scale);
      v128.store(o, f32x4.add(f32x4.mul(x, vs), vl));
    }
  }
  for (; i < n; i++) {
    const o = p + (<usize>i << 2);
    const x = <f32>(load<u32>(o) >>> 8) * TWO_POW_M24;
    store<f32>(o, x * span + low);
  }
}

function intsFromWords(p: usize, n: i32, low: i32, range: u32): void {
  let i = 0;
  if (range == 0) {
    // 2³² values: the word itself, offset by low (wrapping, as the result is low + w mod 2³²).
    for (; i < n; i++) {
      const o = p + (<usize>i << 2);
      store<i32>(o, low + load<i32>(o));
    }
    return;
  }
  if (ASC_FEATURE_SIMD) {
    const vr = i32x4.splat(<i32>range), vl = i32x4.splat(low);
    for (; i + 4 <= n; i += 4) {
      const o = p + (<usize>i << 2);
      v128.store(o, i32x4.add(mulhi4(v128.load(o), vr), vl));
    }
  }
  for (; i < n; i++) {
    const o = p + (<usize>i << 2);
    store<i32>(o, low + <i32><u32>((<u64>load<u32>(o) * <u64>range) >> 32));
  }
}
