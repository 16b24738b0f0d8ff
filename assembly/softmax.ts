// Row-wise softmax, log-softmax and log-sum-exp over a row-major f32 matrix.
// Every kernel works on raw pointers into linear memory and allocates nothing; the
// TypeScript side stages rows in and out. Temperature is passed as invT = 1/T: since T > 0,
// max(x/T) = max(x)/T, so each element costs one subtract and one multiply:
// z − max z = (x − max x)·invT.
import { expNonPositive, expNonPositive4, hmax4, hsum4 } from "./math";

/** Largest element of a row (NaN if any element is NaN). */
export function rowMax(p: usize, n: i32): f32 {
  let i = 0;
  let m: f32 = -Infinity;
  if (ASC_FEATURE_SIMD) {
    if (n >= 4) {
      // Four independent accumulators hide the latency of f32x4.max.
      let m0 = f32x4.splat(-Infinity);
      let m1 = m0, m2 = m0, m3 = m0;
      for (; i + 16 <= n; i += 16) {
        const q = p + (<usize>i << 2);
        m0 = f32x4.max(m0, v128.load(q));
        m1 = f32x4.max(m1, v128.load(q, 16));
        m2 = f32x4.max(m2, v128.load(q, 32));
        m3 = f32x4.max(m3, v128.load(q, 48));
      }
      for (; i + 4 <= n; i += 4) {
        m0 = f32x4.max(m0, v128.load(p + (<usize>i << 2)));
      }
      m = hmax4(f32x4.max(f32x4.max(m0, m1), f32x4.max(m2, m3)));
    }
  }
  for (; i < n; i++) m = max<f32>(m, load<f32>(p + (<usize>i << 2)));
  return m;
}

// Partial sums are folded into a float64 total every BLOCK elements, so a row of 128k terms
// loses no more accuracy than a row of a few thousand (f32 lanes would drift by ~1e-5).
// @ts-ignore: decorator
@inline const BLOCK = 1024;

/**
 * Σ exp((x − m)·invT) over a row, in float64; when `dst` is not 0 each term is also stored
 * there (dst may equal src: every element is read before it is written).
 */
export function expSum(src: usize, dst: usize, n: i32, m: f32, invT: f32): f64 {
  let i = 0;
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    const vk = f32x4.splat(invT);
    while (i + 16 <= n) {
      const end = min(n, i + BLOCK);
      let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      if (dst != 0) {
        for (; i + 16 <= end; i += 16) {
          const q = src + (<usize>i << 2);
          const d = dst + (<usize>i << 2);
          const e0 = expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q), vm), vk));
          const e1 = expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q, 16), vm), vk));
          const e2 = expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q, 32), vm), vk));
          const e3 = expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q, 48), vm), vk));
          v128.store(d, e0); v128.store(d, e1, 16); v128.store(d, e2, 32); v128.store(d, e3, 48);
          s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1);
          s2 = f32x4.add(s2, e2); s3 = f32x4.add(s3, e3);
        }
      } else {
        for (; i + 16 <= end; i += 16) {
          const q = src + (<usize>i << 2);
          s0 = f32x4.add(s0, expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q), vm), vk)));
          s1 = f32x4.add(s1, expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q, 16), vm), vk)));
          s2 = f32x4.add(s2, expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q, 32), vm), vk)));
          s3 = f32x4.add(s3, expNonPositive4(f32x4.mul(f32x4.sub(v128.load(q, 48), vm), vk)));
        }
      }
      total += <f64>hsum4(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
    }
    if (i + 4 <= n) {
      let s0 = f32x4.splat(0);
      for (; i + 4 <= n; i += 4) {
        const e = expNonPositive4(f32x4.mul(f32x4.sub(v128.load(src + (<usize>i << 2)), vm), vk));
        if (dst != 0) v128.store(dst + (<usize>i << 2), e);
        s0 = f32x4.add(s0, e);
      }
      total += <f64>hsum4(s0);
    }
  }
  // Scalar build: every element; SIMD builds: the last n % 4.
  for (; i < n; i++) {
    const e = expNonPositive((load<f32>(src + (<usize>i << 2)) - m) * invT);
    if (dst != 0) store<f32>(dst + (<usize>i << 2), e);
    total += <f64>e;
  }
  return total;
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

/** Softmax of each row of x/T into dst (dst may equal src). */
export function softmaxRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const y = dst + <usize>r * stride;
    const m = rowMax(x, cols);
    // An all −Infinity row gives m = −Infinity and (x − m) = NaN everywhere, and a +Infinity
    // entry gives NaN through inf − inf: both are PyTorch's answers, with no special case.
    const s = expSum(x, y, cols, m, invT);
    scaleRow(y, cols, <f32>(1.0 / s));
  }
}

/** Log-softmax of each row of x/T into dst (dst may equal src). */
export function logSoftmaxRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const y = dst + <usize>r * stride;
    const m = rowMax(x, cols);
    const logS = <f32>Math.log(expSum(x, 0, cols, m, invT));
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
 * +Infinity gives +Infinity; NaN propagates.
 */
export function logSumExpRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const m = rowMax(x, cols);
    let out: f32;
    if (m == Infinity || m == -Infinity) {
      out = m;
    } else {
      out = <f32>(<f64>m * <f64>invT + Math.log(expSum(x, 0, cols, m, invT)));
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
