// Gaussian samples from a counter-based generator: Philox4x32-10 (J. K. Salmon, M. A. Moraes,
// R. O. Dror, D. E. Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC '11) feeding
// Box-Muller. Value i of a stream is a pure function of (seed, stream, i), so any chunking,
// thread split or build gives the same bits. Only exact IEEE operations are used (no relaxed
// SIMD, no fused multiply-add), so the SIMD and scalar builds, and every engine, agree bit for bit.
//
// Layout: normals come in groups of 16. Group g uses Philox blocks 4g..4g+3 (counter =
// [block lo, block hi, stream lo, stream hi], key = [seed lo, seed hi]); each block's words
// (w0, w1) and (w2, w3) make two Box-Muller pairs. Within the group, index 4k + j holds output k
// of block 4g + j, where outputs are (r·cos, r·sin) of pair (w0, w1), then of pair (w2, w3).
// The four blocks of a group are the four lanes of a vector, so a group is four vector stores.
//
// Box-Muller: u1 = w·2⁻³² + 2⁻³³ ∈ (0, 1] (never 0), r = √(−2 ln u1) ≤ √(66 ln 2) ≈ 6.764, the
// largest |z| this sampler can produce (before mean/std). The angle uses the top 3 bits of the
// other word as the octant and the next 24 as the position in it, so sin and cos are evaluated on
// [0, π/4] only and reflected exactly.

// @ts-ignore: decorator
@inline const M0: u32 = 0xD2511F53;
// @ts-ignore: decorator
@inline const M1: u32 = 0xCD9E8D57;
// @ts-ignore: decorator
@inline const W0: u32 = 0x9E3779B9;
// @ts-ignore: decorator
@inline const W1: u32 = 0xBB67AE85;

// float32 constants (cephes logf / sinf / cosf polynomials)
// @ts-ignore: decorator
@inline const TWO_POW_M32: f32 = 2.3283064365386963e-10;
// @ts-ignore: decorator
@inline const TWO_POW_M33: f32 = 1.1641532182693481e-10;
// @ts-ignore: decorator
@inline const TWO_POW_M24: f32 = 5.9604644775390625e-8;
// @ts-ignore: decorator
@inline const PI_4: f32 = 0.7853981633974483;
// @ts-ignore: decorator
@inline const SQRT_HALF: f32 = 0.7071067811865476;
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline const L0: f32 = 7.0376836292e-2;
// @ts-ignore: decorator
@inline const L1: f32 = -1.1514610310e-1;
// @ts-ignore: decorator
@inline const L2: f32 = 1.1676998740e-1;
// @ts-ignore: decorator
@inline const L3: f32 = -1.2420140846e-1;
// @ts-ignore: decorator
@inline const L4: f32 = 1.4249322787e-1;
// @ts-ignore: decorator
@inline const L5: f32 = -1.6668057665e-1;
// @ts-ignore: decorator
@inline const L6: f32 = 2.0000714765e-1;
// @ts-ignore: decorator
@inline const L7: f32 = -2.4999993993e-1;
// @ts-ignore: decorator
@inline const L8: f32 = 3.3333331174e-1;
// @ts-ignore: decorator
@inline const S1: f32 = -1.6666654611e-1;
// @ts-ignore: decorator
@inline const S2: f32 = 8.3321608736e-3;
// @ts-ignore: decorator
@inline const S3: f32 = -1.9515295891e-4;
// @ts-ignore: decorator
@inline const K1: f32 = 4.166664568298827e-2;
// @ts-ignore: decorator
@inline const K2: f32 = -1.388731625493765e-3;
// @ts-ignore: decorator
@inline const K3: f32 = 2.443315711809948e-5;

// ---------------------------------------------------------------- four lanes

// The vector constants as data, broadcast with v128.load32_splat where they are used: V8's
// Turboshaft pipeline (Node 24) re-materialises each v128.const inside the loop, which cost a
// quarter of the sampler's speed; a broadcast load is one instruction.
const F32_CONSTANTS = memory.data<f32>([
  SQRT_HALF, 1, L0, L1, L2, L3, L4, L5, L6, L7, L8, LN2_LO, 0.5, LN2_HI, TWO_POW_M32, TWO_POW_M33, -2, TWO_POW_M24, PI_4, S1, S2, S3, K1, K2, K3,
]);
const I32_CONSTANTS = memory.data<i32>([
  126, 0x007FFFFF, 0x3F000000, 1, 2, 4, 0, M0, M1,
]);
// @ts-ignore: decorator
@inline function kf(index: usize): v128 {
  return v128.load32_splat(F32_CONSTANTS + (index << 2));
}
// @ts-ignore: decorator
@inline export function ki(index: usize): v128 {
  return v128.load32_splat(I32_CONSTANTS + (index << 2));
}


// @ts-ignore: decorator
@inline export function mulhi4(a: v128, m: v128): v128 {
  return v128.shuffle<u32>(i64x2.extmul_low_i32x4_u(a, m), i64x2.extmul_high_i32x4_u(a, m), 1, 3, 5, 7);
}

/**
 * ln(u) for u in (0, 1]: cephes logf, unfused, identical to logUnit below lane by lane. The range
 * reduction takes the exponent from the bits, so it is right for any positive normal float too
 * (kl.ts uses it so); zero, subnormals, infinities, NaN and negatives are the caller's to handle.
 */
// @ts-ignore: decorator
@inline export function logUnit4(u: v128): v128 {
  const bits = u;
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(bits, 23), ki(0)));
  let m = v128.or(v128.and(bits, ki(1)), ki(2)); // [0.5, 1)
  const small = f32x4.lt(m, kf(0));
  e = f32x4.sub(e, v128.and(kf(1), small));
  // x = small ? m + m − 1 : m − 1
  const x = f32x4.add(f32x4.sub(m, kf(1)), v128.and(m, small));
  const z = f32x4.mul(x, x);
  let y = kf(2);
  y = f32x4.add(f32x4.mul(y, x), kf(3));
  y = f32x4.add(f32x4.mul(y, x), kf(4));
  y = f32x4.add(f32x4.mul(y, x), kf(5));
  y = f32x4.add(f32x4.mul(y, x), kf(6));
  y = f32x4.add(f32x4.mul(y, x), kf(7));
  y = f32x4.add(f32x4.mul(y, x), kf(8));
  y = f32x4.add(f32x4.mul(y, x), kf(9));
  y = f32x4.add(f32x4.mul(y, x), kf(10));
  y = f32x4.mul(f32x4.mul(y, x), z);
  y = f32x4.add(y, f32x4.mul(e, kf(11)));
  y = f32x4.sub(y, f32x4.mul(z, kf(12)));
  return f32x4.add(f32x4.add(x, y), f32x4.mul(e, kf(13)));
}

/**
 * Writes 16 normals (one group) for blocks with counter words (lo, hi) and stream (s0, s1),
 * key (k0, k1), as z·std + mean.
 */
// @ts-ignore: decorator
@inline function group4(dst: usize, lo: v128, hi: v128, s0: u32, s1: u32, key0: u32, key1: u32, mean: f32, std: f32): void {
  let c0 = lo, c1 = hi, c2 = i32x4.splat(s0), c3 = i32x4.splat(s1);
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
  boxMuller4(dst, c0, c1, mean, std);
  boxMuller4(dst + 32, c2, c3, mean, std);
}

/**
 * Two groups (32 normals, blocks block..block+7) with their Philox rounds interleaved: the
 * rounds of one group are a serial chain, so two chains keep the vector units busier.
 */
// @ts-ignore: decorator
@inline function group8(dst: usize, lo: v128, hi: v128, s0: u32, s1: u32, key0: u32, key1: u32, mean: f32, std: f32): void {
  let a0 = lo, a1 = hi, a2 = i32x4.splat(s0), a3 = i32x4.splat(s1);
  let b0 = i32x4.add(lo, ki(5)), b1 = hi, b2 = a2, b3 = a3;
  let k0 = key0, k1 = key1;
  const m0 = ki(7), m1 = ki(8);
  for (let round = 0; round < 10; round++) {
    if (round > 0) { k0 += W0; k1 += W1; }
    const vk0 = i32x4.splat(k0), vk1 = i32x4.splat(k1);
    const ahi0 = mulhi4(a0, m0), alo0 = i32x4.mul(a0, m0);
    const bhi0 = mulhi4(b0, m0), blo0 = i32x4.mul(b0, m0);
    const ahi1 = mulhi4(a2, m1), alo1 = i32x4.mul(a2, m1);
    const bhi1 = mulhi4(b2, m1), blo1 = i32x4.mul(b2, m1);
    a0 = v128.xor(v128.xor(ahi1, a1), vk0); a1 = alo1;
    a2 = v128.xor(v128.xor(ahi0, a3), vk1); a3 = alo0;
    b0 = v128.xor(v128.xor(bhi1, b1), vk0); b1 = blo1;
    b2 = v128.xor(v128.xor(bhi0, b3), vk1); b3 = blo0;
  }
  boxMuller4(dst, a0, a1, mean, std);
  boxMuller4(dst + 32, a2, a3, mean, std);
  boxMuller4(dst + 64, b0, b1, mean, std);
  boxMuller4(dst + 96, b2, b3, mean, std);
}

// @ts-ignore: decorator
@inline function boxMuller4(dst: usize, wr: v128, wa: v128, mean: f32, std: f32): void {
  const u1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_u(wr), kf(14)), kf(15));
  const r = f32x4.sqrt(f32x4.mul(kf(16), logUnit4(u1)));
  const octant = i32x4.shr_u(wa, 29);
  const frac = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(i32x4.shl(wa, 3), 8)), kf(17));
  const odd = i32x4.eq(v128.and(octant, ki(3)), ki(3));
  const f = v128.bitselect(f32x4.sub(kf(1), frac), frac, odd);
  const t = f32x4.mul(f, kf(18));
  const z = f32x4.mul(t, t);
  // sin t = t + t·z·(S1 + z·(S2 + z·S3));  cos t = 1 − z/2 + z²·(K1 + z·(K2 + z·K3))
  let ps = f32x4.add(f32x4.mul(kf(21), z), kf(20));
  ps = f32x4.add(f32x4.mul(ps, z), kf(19));
  const sinT = f32x4.add(t, f32x4.mul(f32x4.mul(t, z), ps));
  let pc = f32x4.add(f32x4.mul(kf(24), z), kf(23));
  pc = f32x4.add(f32x4.mul(pc, z), kf(22));
  const cosT = f32x4.add(f32x4.sub(kf(1), f32x4.mul(z, kf(12))), f32x4.mul(f32x4.mul(z, z), pc));
  const swap = i32x4.ne(v128.and(i32x4.add(octant, ki(3)), ki(4)), ki(6));
  let cosA = v128.bitselect(sinT, cosT, swap);
  let sinA = v128.bitselect(cosT, sinT, swap);
  cosA = v128.xor(cosA, i32x4.shl(v128.and(i32x4.add(octant, ki(4)), ki(5)), 29));
  sinA = v128.xor(sinA, i32x4.shl(v128.and(octant, ki(5)), 29));
  const vs = f32x4.splat(std), vm = f32x4.splat(mean);
  v128.store(dst, f32x4.add(f32x4.mul(f32x4.mul(r, cosA), vs), vm));
  v128.store(dst, f32x4.add(f32x4.mul(f32x4.mul(r, sinA), vs), vm), 16);
}

// ---------------------------------------------------------------- one lane (scalar build)

export let word0: u32 = 0, word1: u32 = 0, word2: u32 = 0, word3: u32 = 0;

// @ts-ignore: decorator
@inline function mulhi(a: u32, m: u32): u32 {
  return <u32>((<u64>a * <u64>m) >> 32);
}

/** Philox4x32-10 of one block; the result goes to word0..word3. */
export function philoxBlock(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let round = 0; round < 10; round++) {
    if (round > 0) { k0 += W0; k1 += W1; }
    const hi0 = mulhi(c0, M0), lo0 = c0 * M0;
    const hi1 = mulhi(c2, M1), lo1 = c2 * M1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  word0 = c0; word1 = c1; word2 = c2; word3 = c3;
}

function logUnit(u: f32): f32 {
  const bits = reinterpret<u32>(u);
  let e = <f32>(<i32>(bits >>> 23) - 126);
  const m = reinterpret<f32>((bits & 0x007FFFFF) | 0x3F000000);
  const small = m < SQRT_HALF;
  if (small) e -= 1;
  const x: f32 = (m - 1) + (small ? m : 0);
  const z = x * x;
  let y: f32 = L0;
  y = y * x + L1; y = y * x + L2; y = y * x + L3; y = y * x + L4;
  y = y * x + L5; y = y * x + L6; y = y * x + L7; y = y * x + L8;
  y = (y * x) * z;
  y = y + e * LN2_LO;
  y = y - z * <f32>0.5;
  return (x + y) + e * LN2_HI;
}

let outCos: f32 = 0, outSin: f32 = 0;

function boxMuller(wr: u32, wa: u32): void {
  const u1 = <f32>wr * TWO_POW_M32 + TWO_POW_M33;
  const r = Mathf.sqrt(<f32>-2 * logUnit(u1));
  const octant = wa >>> 29;
  const frac = <f32>((wa << 3) >>> 8) * TWO_POW_M24;
  const f: f32 = (octant & 1) != 0 ? <f32>1 - frac : frac;
  const t = f * PI_4;
  const z = t * t;
  let ps = S3 * z + S2;
  ps = ps * z + S1;
  const sinT = t + (t * z) * ps;
  let pc = K3 * z + K2;
  pc = pc * z + K1;
  const cosT = (<f32>1 - z * <f32>0.5) + (z * z) * pc;
  const swap = ((octant + 1) & 2) != 0;
  let c = swap ? sinT : cosT;
  let s = swap ? cosT : sinT;
  if (((octant + 2) & 4) != 0) c = -c;
  if ((octant & 4) != 0) s = -s;
  outCos = r * c;
  outSin = r * s;
}

// @ts-ignore: decorator
@inline function groupScalar(dst: usize, block: u64, s0: u32, s1: u32, k0: u32, k1: u32, mean: f32, std: f32): void {
  for (let j: u32 = 0; j < 4; j++) {
    const b = block + <u64>j;
    philoxBlock(<u32>b, <u32>(b >>> 32), s0, s1, k0, k1);
    const w2 = word2, w3 = word3;
    boxMuller(word0, word1);
    store<f32>(dst + (<usize>j << 2), outCos * std + mean);
    store<f32>(dst + (<usize>j << 2), outSin * std + mean, 16);
    boxMuller(w2, w3);
    store<f32>(dst + (<usize>j << 2), outCos * std + mean, 32);
    store<f32>(dst + (<usize>j << 2), outSin * std + mean, 48);
  }
}

// ---------------------------------------------------------------- entry point

/** One group of 16 normals (group index g) into dst, by whichever path this build has. */
// @ts-ignore: decorator
@inline function writeGroup(dst: usize, g: u64, s0: u32, s1: u32, k0: u32, k1: u32, mean: f32, std: f32): void {
  const block = g << 2;
  if (ASC_FEATURE_SIMD) {
    // block is a multiple of 4, so adding the lane index never carries into the high word.
    const lo = i32x4.add(i32x4.splat(<i32><u32>block), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0));
    group4(dst, lo, i32x4.splat(<i32><u32>(block >>> 32)), s0, s1, k0, k1, mean, std);
  } else {
    groupScalar(dst, block, s0, s1, k0, k1, mean, std);
  }
}

/** Bytes of scratch philoxNormalFill needs (one group of 16 normals, 16-byte aligned). */
export const PHILOX_SCRATCH_BYTES = 64;

/**
 * Normals number start .. start + count − 1 of stream (s0, s1) under key (k0, k1), as
 * z·std + mean, into dst (f32). `start` is a 64-bit position given as two 32-bit halves.
 * `scratch` (PHILOX_SCRATCH_BYTES, given by the caller: the kernel keeps no state of its own)
 * holds a partial group at either end.
 */
export function philoxNormalFill(
  dst: usize, count: i32, startLo: u32, startHi: u32,
  k0: u32, k1: u32, s0: u32, s1: u32, mean: f32, std: f32, scratch: usize,
): void {
  let position = (<u64>startHi << 32) | <u64>startLo;
  let done = 0;
  // A partial first group: make it whole in scratch and copy the part asked for.
  const offset = <i32>(position & 15);
  if (offset != 0 && count > 0) {
    writeGroup(scratch, position >>> 4, s0, s1, k0, k1, mean, std);
    const n = min(16 - offset, count);
    memory.copy(dst, scratch + (<usize>offset << 2), <usize>n << 2);
    done = n;
    position += <u64>n;
  }
  if (ASC_FEATURE_SIMD) {
    for (; done + 32 <= count; done += 32) {
      // Two consecutive groups: blocks 4g..4g+7. Adding up to 7 to the block's low word carries
      // only from 0xFFFFFFF8 up; those groups take the one-group path below.
      const block = (position >>> 4) << 2;
      if (<u32>block > 0xFFFFFFF0) break;
      const lo = i32x4.add(i32x4.splat(<i32><u32>block), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0));
      group8(dst + (<usize>done << 2), lo, i32x4.splat(<i32><u32>(block >>> 32)), s0, s1, k0, k1, mean, std);
      position += 32;
    }
  }
  for (; done + 16 <= count; done += 16) {
    writeGroup(dst + (<usize>done << 2), position >>> 4, s0, s1, k0, k1, mean, std);
    position += 16;
  }
  if (done < count) {
    writeGroup(scratch, position >>> 4, s0, s1, k0, k1, mean, std);
    memory.copy(dst + (<usize>done << 2), scratch, <usize>(count - done) << 2);
  }
}
