// Inline f32 helpers shared by every kernel: exp of non-positive arguments (scalar and f32x4),
// horizontal reductions, and a multiply-add that fuses in the relaxed-SIMD build.
//
// exp follows XNNPACK's `rr2-p5` scheme (src/f32-raddstoreexpminusmax/wasmsimd-rr2-p5.c.in):
//   n = round(x·log2e) through a magic-bias add whose low mantissa bits are n + 127,
//   t = x − n·ln2 with ln2 split in two constants (exact first product),
//   p(t) a degree-5 polynomial, exp(x) = 2ⁿ·(1 + t·p(t)) with 2ⁿ built from exponent bits.
// Arguments are always x − max ≤ 0 in our kernels, so only underflow needs care: below
// −87.336 (the smallest x with a normal result) the result is flushed to +0. NaN passes
// through (the comparison is false), −Infinity gives 0.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.4426950216293335;
// 1.5·2²³ + 127: adding it rounds to an integer and leaves n + 127 in the low mantissa bits.
// @ts-ignore: decorator
@inline const MAGIC_BIAS: f32 = 12583039.0;
// @ts-ignore: decorator
@inline const MINUS_LN2_HI: f32 = -0.693145751953125;
// @ts-ignore: decorator
@inline const MINUS_LN2_LO: f32 = -1.428606765330187e-6;
// @ts-ignore: decorator
@inline const C5: f32 = 0.008289290592074394;
// @ts-ignore: decorator
@inline const C4: f32 = 0.04189782217144966;
// @ts-ignore: decorator
@inline const C3: f32 = 0.16667652130126953;
// @ts-ignore: decorator
@inline const C2: f32 = 0.4999915063381195;
// @ts-ignore: decorator
@inline const C1: f32 = 0.9999997019767761;
// @ts-ignore: decorator
@inline export const DENORM_CUTOFF: f32 = -87.33654022216797;

/** a·b + c; fused (one rounding) where relaxed SIMD gives an FMA, two roundings otherwise. */
// @ts-ignore: decorator
@inline export function madd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/**
 * exp(x) for x ≤ 0 (or NaN) on four lanes, with the constants written in place. Kernels with a
 * loop use expNonPositive4k with the constants in locals instead (see EXP_CONSTANTS).
 */
// @ts-ignore: decorator
@inline export function expNonPositive4(x: v128, flush: bool = true): v128 {
  return expNonPositive4k(
    x, f32x4.splat(LOG2E), f32x4.splat(MAGIC_BIAS), f32x4.splat(MINUS_LN2_HI), f32x4.splat(MINUS_LN2_LO),
    f32x4.splat(C5), f32x4.splat(C4), f32x4.splat(C3), f32x4.splat(C2), f32x4.splat(C1),
    f32x4.splat(DENORM_CUTOFF), flush,
  );
}

/** exp(x) for x ≤ 0 (or NaN), one lane: the same steps as expNonPositive4 without fusion. */
// @ts-ignore: decorator
@inline export function expNonPositive(x: f32): f32 {
  let n = x * LOG2E + MAGIC_BIAS;
  const s = reinterpret<f32>(reinterpret<i32>(n) << 23);
  n -= MAGIC_BIAS;
  let t = n * MINUS_LN2_HI + x;
  t = n * MINUS_LN2_LO + t;
  let p = C5 * t + C4;
  p = p * t + C3;
  p = p * t + C2;
  p = p * t + C1;
  t *= s;
  const f = t * p + s;
  return x < DENORM_CUTOFF ? 0 : f;
}

/**
 * exp(x) for x ≤ 0 (or NaN) on four lanes, never fused: each lane equals expNonPositive(x) bit
 * for bit in every build (the relaxed build's FMA would change the last bit), for kernels whose
 * decisions must not depend on the build (sampling).
 */
// @ts-ignore: decorator
@inline export function expNonPositive4Exact(x: v128): v128 {
  let n = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC_BIAS));
  const s = i32x4.shl(n, 23);
  n = f32x4.sub(n, f32x4.splat(MAGIC_BIAS));
  let t = f32x4.add(f32x4.mul(n, f32x4.splat(MINUS_LN2_HI)), x);
  t = f32x4.add(f32x4.mul(n, f32x4.splat(MINUS_LN2_LO)), t);
  let p = f32x4.add(f32x4.mul(f32x4.splat(C5), t), f32x4.splat(C4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(C3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(C2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(C1));
  t = f32x4.mul(t, s);
  const f = f32x4.add(f32x4.mul(t, p), s);
  return v128.andnot(f, f32x4.lt(x, f32x4.splat(DENORM_CUTOFF)));
}

/**
 * ln(x) on four lanes for positive normal floats (zero, subnormals, infinities, NaN and negatives
 * are the caller's to mask; +0 gives a finite value, −127·ln 2): x = 2ᵉ·m with m in [√½, √2)
 * (musl's reduction: subtracting √½'s bits puts e in the high bits and m's exponent in the rest),
 * ln m = 2·atanh(s), s = (m − 1)/(m + 1) (|s| ≤ 0.1716), as 2s + s³·(2/3 + s²·(2/5 + s²·(2/7 +
 * s²·2/9))) — the series' next term is below 2.2e-10 — and e·ln 2 in two parts. About 2 ulp; one
 * division and four multiply-adds instead of cephes' nine-term polynomial.
 */
// @ts-ignore: decorator
@inline export function logNormal4(x: v128): v128 {
  return logNormal4k(
    x, i32x4.splat(0x3F3504F3), i32x4.splat(<i32>0xFF800000), f32x4.splat(1), f32x4.splat(0.2222222222222222),
    f32x4.splat(0.2857142857142857), f32x4.splat(0.4), f32x4.splat(0.6666666666666666),
    f32x4.splat(-2.12194440e-4), f32x4.splat(0.693359375),
  );
}

// logNormal4's constants as data, in logNormal4k's argument order after x (see EXP_CONSTANTS).
export const LOG_CONSTANTS = memory.data<u32>([
  0x3F3504F3, 0xFF800000, 0x3F800000, 0x3E638E39, 0x3E924925, 0x3ECCCCCD, 0x3F2AAAAB, 0xB95E8083, 0x3F318000,
]);

/** logNormal4 with its constants passed in (loaded once from LOG_CONSTANTS by kernels with a loop). */
// @ts-ignore: decorator
@inline export function logNormal4k(
  x: v128, sqrtHalfBits: v128, highMask: v128, one: v128, p9: v128, p7: v128, p5: v128, p3: v128, ln2lo: v128, ln2hi: v128,
): v128 {
  const tmp = i32x4.sub(x, sqrtHalfBits);
  const m = i32x4.sub(x, v128.and(tmp, highMask)); // in [√½, √2)
  const s = f32x4.div(f32x4.sub(m, one), f32x4.add(m, one));
  const z = f32x4.mul(s, s);
  let p = madd4(p9, z, p7);
  p = madd4(p, z, p5);
  p = madd4(p, z, p3);
  const r = madd4(f32x4.mul(s, z), p, f32x4.add(s, s));
  const ef = f32x4.convert_i32x4_s(i32x4.shr_s(tmp, 23));
  return f32x4.add(madd4(ef, ln2lo, r), f32x4.mul(ef, ln2hi));
}

/** Largest lane; NaN in any lane gives NaN (wasm max propagates NaN). */
// @ts-ignore: decorator
@inline export function hmax4(v: v128): f32 {
  const m = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

/** Sum of the four lanes, in a fixed order: (l0 + l2) + (l1 + l3). */
// @ts-ignore: decorator
@inline export function hsum4(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Whether a row holds a NaN (rare path: only for rows whose max is infinite). */
export function rowHasNaN(p: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v != v) return true;
  }
  return false;
}

// The exp constants as data: kernels load them into locals once (v128.load32_splat), so the
// engine keeps them in registers instead of re-materialising a v128.const at every use inside
// the loop (V8's Turboshaft pipeline in Node 24 does not hoist them).
export const EXP_CONSTANTS = memory.data<f32>([
  LOG2E, MAGIC_BIAS, MINUS_LN2_HI, MINUS_LN2_LO, C5, C4, C3, C2, C1, DENORM_CUTOFF,
]);

/**
 * exp(x) for x ≤ 0 (or NaN) on four lanes, constants passed in (the EXP_CONSTANTS order). With
 * `flush` false the caller guarantees x ≥ DENORM_CUTOFF in every lane (or NaN), which saves the
 * compare and mask.
 */
// @ts-ignore: decorator
@inline export function expNonPositive4k(
  x: v128, log2e: v128, magic: v128, ln2hi: v128, ln2lo: v128,
  c5: v128, c4: v128, c3: v128, c2: v128, c1: v128, cutoff: v128, flush: bool,
): v128 {
  let n = madd4(x, log2e, magic);
  const s = i32x4.shl(n, 23);
  n = f32x4.sub(n, magic);
  let t = madd4(n, ln2hi, x);
  t = madd4(n, ln2lo, t);
  let p = madd4(c5, t, c4);
  p = madd4(p, t, c3);
  p = madd4(p, t, c2);
  p = madd4(p, t, c1);
  t = f32x4.mul(t, s);
  const f = madd4(t, p, s);
  if (!flush) return f;
  return v128.andnot(f, f32x4.lt(x, cutoff));
}

/** dst[i] += src[i] over n floats (a gradient accumulated into a caller's buffer). */
export function addInto(dst: usize, src: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}
