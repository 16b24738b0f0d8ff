// Row-wise softmax, log-softmax and log-sum-exp over a row-major f32 matrix.
// Every kernel works on raw pointers into linear memory and allocates nothing; the
// TypeScript side stages rows in and out. Temperature is passed as invT = 1/T: since T > 0,
// max(x/T) = max(x)/T, so each element costs one subtract and one multiply:
// z − max z = (x − max x)·invT.
import { RowOp, shortRows, SHORT_ROW_MAX, SHORT_ROW_MAX_LSE } from "./shortrows";
import { DENORM_CUTOFF, EXP_CONSTANTS, expNonPositive, expNonPositive4, expNonPositive4k, hmax4, hsum4, rowHasNaN } from "./math";

/**
 * Largest non-NaN element of a row (−Infinity if there is none) and, in SIMD builds, the
 * smallest, packed in one u64 (max in the high half, min in the low half; see rangeMax /
 * rangeMin): the kernels keep no state between calls, so both come back as one value.
 * NaN elements are skipped on purpose: wasm's NaN-propagating f32x4.max costs about seven x64
 * instructions where pmax is one, and a NaN still reaches every result through the exp sum
 * (exp(NaN − m) = NaN), which is the only place the kernels need it (see logSumExpRows).
 * The scalar build does not track the minimum (only the SIMD exp loop uses it).
 */
export function rowRange(p: usize, n: i32): u64 {
  let i = 0;
  let hi: f32 = -Infinity;
  let lo: f32 = Infinity;
  if (ASC_FEATURE_SIMD) {
    if (n >= 4) {
      // pmax(a, b) = a < b ? b : a keeps the accumulator when b is NaN.
      let h0 = f32x4.splat(-Infinity), h1 = h0;
      let l0 = f32x4.splat(Infinity), l1 = l0;
      for (; i + 8 <= n; i += 8) {
        const q = p + (<usize>i << 2);
        const a = v128.load(q);
        const b = v128.load(q, 16);
        h0 = f32x4.pmax(h0, a); l0 = f32x4.pmin(l0, a);
        h1 = f32x4.pmax(h1, b); l1 = f32x4.pmin(l1, b);
      }
      if (i + 4 <= n) {
        const a = v128.load(p + (<usize>i << 2));
        h0 = f32x4.pmax(h0, a); l0 = f32x4.pmin(l0, a);
        i += 4;
      }
      hi = hmax4(f32x4.pmax(h0, h1));
      const l = f32x4.pmin(l0, l1);
      const l2 = f32x4.pmin(l, v128.shuffle<f32>(l, l, 2, 3, 0, 1));
      lo = min<f32>(f32x4.extract_lane(l2, 0), f32x4.extract_lane(l2, 1));
    }
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    hi = v > hi ? v : hi;
    if (ASC_FEATURE_SIMD) lo = v < lo ? v : lo;
  }
  return (<u64>reinterpret<u32>(hi) << 32) | <u64>reinterpret<u32>(lo);
}

/** The max of a rowRange result. */
// @ts-ignore: decorator
@inline export function rangeMax(range: u64): f32 {
  return reinterpret<f32>(<u32>(range >>> 32));
}

/** The min of a rowRange result (SIMD builds; +Infinity in the scalar build). */
// @ts-ignore: decorator
@inline export function rangeMin(range: u64): f32 {
  return reinterpret<f32>(<u32>range);
}

// Partial sums are folded into a float64 total every BLOCK elements, so a row of 128k terms
// loses no more accuracy than a row of a few thousand (f32 lanes would drift by ~1e-5).
// @ts-ignore: decorator
@inline const BLOCK = 1024;

/** z = (x − m)·invT on four lanes; the multiply is skipped when T = 1. */
// @ts-ignore: decorator
@inline function shifted4(x: v128, vm: v128, vk: v128, scaled: bool): v128 {
  const d = f32x4.sub(x, vm);
  return scaled ? f32x4.mul(d, vk) : d;
}

/**
 * The exp-sum loop, specialised at compile time: `scaled` (T ≠ 1) and `flush` (some z may be
 * below the underflow cutoff). The common case, T = 1 and logits spanning less than 87, runs
 * three vector operations per element fewer than the general one.
 */
// @ts-ignore: decorator
@inline function expSumVector(src: usize, dst: usize, n: i32, m: f32, invT: f32, scaled: bool, flush: bool): f64 {
  let i = 0;
  let total: f64 = 0;
  const vm = f32x4.splat(m);
  const vk = f32x4.splat(invT);
  // Exp constants in locals, loaded once (see EXP_CONSTANTS).
  const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
  const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
  const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
  const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
  const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
  while (i + 8 <= n) {
    const end = min(n, i + BLOCK);
    let s0 = f32x4.splat(0), s1 = s0;
    if (dst != 0) {
      for (; i + 8 <= end; i += 8) {
        const q = src + (<usize>i << 2);
        const d = dst + (<usize>i << 2);
        const e0 = expNonPositive4k(shifted4(v128.load(q), vm, vk, scaled), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, flush);
        const e1 = expNonPositive4k(shifted4(v128.load(q, 16), vm, vk, scaled), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, flush);
        v128.store(d, e0); v128.store(d, e1, 16);
        s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1);
      }
    } else {
      for (; i + 8 <= end; i += 8) {
        const q = src + (<usize>i << 2);
        s0 = f32x4.add(s0, expNonPositive4k(shifted4(v128.load(q), vm, vk, scaled), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, flush));
        s1 = f32x4.add(s1, expNonPositive4k(shifted4(v128.load(q, 16), vm, vk, scaled), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, flush));
      }
    }
    total += <f64>hsum4(f32x4.add(s0, s1));
  }
  if (i + 4 <= n) {
    const e = expNonPositive4k(shifted4(v128.load(src + (<usize>i << 2)), vm, vk, scaled), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, flush);
    if (dst != 0) v128.store(dst + (<usize>i << 2), e);
    total += <f64>hsum4(e);
    i += 4;
  }
  for (; i < n; i++) {
    const e = expNonPositive((load<f32>(src + (<usize>i << 2)) - m) * invT);
    if (dst != 0) store<f32>(dst + (<usize>i << 2), e);
    total += <f64>e;
  }
  return total;
}

/**
 * Σ exp((x − m)·invT) over a row whose rowRange is `range` (m is its max), in float64; when
 * `dst` is not 0 each term is also stored there (dst may equal src: every element is read
 * before it is written).
 */
export function expSum(src: usize, dst: usize, n: i32, range: u64, invT: f32): f64 {
  const m = rangeMax(range);
  if (ASC_FEATURE_SIMD) {
    // No element can underflow when the smallest one does not (rounding is monotonic).
    // NaN compares false and takes the general path.
    const flush = !((rangeMin(range) - m) * invT >= DENORM_CUTOFF);
    if (invT == 1) {
      return flush
        ? expSumVector(src, dst, n, m, invT, false, true)
        : expSumVector(src, dst, n, m, invT, false, false);
    }
    return flush
      ? expSumVector(src, dst, n, m, invT, true, true)
      : expSumVector(src, dst, n, m, invT, true, false);
  } else {
    let total: f64 = 0;
    for (let i = 0; i < n; i++) {
      const e = expNonPositive((load<f32>(src + (<usize>i << 2)) - m) * invT);
      if (dst != 0) store<f32>(dst + (<usize>i << 2), e);
      total += <f64>e;
    }
    return total;
  }
}

/** p[i] *= k over a row. */
export function scaleRow(p: usize, n: i32, k: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vk = f32x4.splat(k);
    for (; i + 8 <= n; i += 8) {
      const q = p + (<usize>i << 2);
      v128.store(q, f32x4.mul(v128.load(q), vk));
      v128.store(q, f32x4.mul(v128.load(q, 16), vk), 16);
    }
    for (; i + 4 <= n; i += 4) {
      const q = p + (<usize>i << 2);
      v128.store(q, f32x4.mul(v128.load(q), vk));
    }
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    store<f32>(q, load<f32>(q) * k);
  }
}

/**
 * Softmax of each row of x/T into dst (dst may equal src). `scratch` (SHORT_ROWS_SCRATCH_BYTES)
 * is working space for rows of at most SHORT_ROW_MAX classes.
 */
export function softmaxRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32, scratch: usize): void {
  if (ASC_FEATURE_SIMD && cols <= SHORT_ROW_MAX) {
    shortRows(src, dst, rows, cols, invT, RowOp.Softmax, scratch);
    return;
  }
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const y = dst + <usize>r * stride;
    // An all −Infinity row gives m = −Infinity and (x − m) = NaN everywhere, and a +Infinity
    // entry gives NaN through inf − inf: both are PyTorch's answers, with no special case.
    const s = expSum(x, y, cols, rowRange(x, cols), invT);
    scaleRow(y, cols, <f32>(1.0 / s));
  }
}

/** Log-softmax of each row of x/T into dst (dst may equal src); `scratch` as softmaxRows'. */
export function logSoftmaxRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32, scratch: usize): void {
  if (ASC_FEATURE_SIMD && cols <= SHORT_ROW_MAX) {
    shortRows(src, dst, rows, cols, invT, RowOp.LogSoftmax, scratch);
    return;
  }
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const y = dst + <usize>r * stride;
    const range = rowRange(x, cols);
    const m = rangeMax(range);
    const logS = <f32>Math.log(expSum(x, 0, cols, range, invT));
    // ℓ = (x − m)·invT − log s
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m);
      const vk = f32x4.splat(invT);
      const vl = f32x4.splat(logS);
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        v128.store(y + o, f32x4.sub(f32x4.mul(f32x4.sub(v128.load(x + o), vm), vk), vl));
      }
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, (load<f32>(x + o) - m) * invT - logS);
    }
  }
}

/**
 * log Σ exp(x/T) of each row into dst[r] (f32). Follows PyTorch's logsumexp: a max that is
 * ±Infinity is not subtracted, so an all −Infinity row gives −Infinity and a row holding
 * +Infinity gives +Infinity; NaN propagates. `scratch` as softmaxRows'.
 */
export function logSumExpRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32, scratch: usize): void {
  if (ASC_FEATURE_SIMD && cols <= SHORT_ROW_MAX_LSE) {
    shortRows(src, dst, rows, cols, invT, RowOp.LogSumExp, scratch);
    return;
  }
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const range = rowRange(x, cols);
    const m = rangeMax(range);
    let out: f32;
    if (m == Infinity || m == -Infinity) {
      out = rowHasNaN(x, cols) ? NaN : m;
    } else {
      out = <f32>(<f64>m * <f64>invT + Math.log(expSum(x, 0, cols, range, invT)));
    }
    store<f32>(dst + (<usize>r << 2), out);
  }
}

/**
 * dst[i] = exp(src[i]) for src[i] ≤ 0 with the kernels' own exp (the vector form in SIMD
 * builds). Exposed so `npm run accuracy` can measure it on every float32 input.
 */
export function expNonPositiveArray(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, expNonPositive4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, expNonPositive(load<f32>(src + o)));
  }
}
