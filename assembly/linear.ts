// Matrix products of a linear layer (nn.Linear's layout: weight is outF × inF, row-major):
//   linearForward     out = x · weightᵀ (+ bias)            rows × outF
//   gemmBroadcast     C = A · B with A read through strides  (gradInput = G · W, gradWeight = Gᵀ · X)
//   columnSums        gradBias = Σ over rows of G
//
// Each output element is computed by one fixed sequence of operations whatever tile it falls in
// (a 4-row tile or a remainder row): lanes accumulate over k in order, then one horizontal sum and
// the scalar tail. So a row's result does not depend on which rows share its call, and a call
// split by rows across threads gives the same bits as one call.
import { hsum4, madd4 } from "./math";

/** Weight rows per block of the forward product: a block of about 64 KB stays in L2 while every row passes. */
// @ts-ignore: decorator
@inline function forwardBlock(inF: i32): i32 {
  return max<i32>(2, (16384 / max<i32>(inF, 1)) & ~1);
}

/** x·w over n floats: four lanes in k order, their sum, then the tail (the one sequence every tile uses). */
// @ts-ignore: decorator
@inline function finishDot(acc: v128, x: usize, w: usize, kv: i32, n: i32): f32 {
  let s = hsum4(acc);
  for (let k = kv; k < n; k++) s += load<f32>(x + (<usize>k << 2)) * load<f32>(w + (<usize>k << 2));
  return s;
}

// @ts-ignore: decorator
@inline function storeOut(out: usize, v: f32, b: usize, n: i32, accumulate: i32): void {
  let r = v;
  if (b != 0) r += load<f32>(b + (<usize>n << 2));
  if (accumulate) r += load<f32>(out);
  store<f32>(out, r);
}

/** One output: row x · weight row w (the sequence of finishDot). */
function dot1(x: usize, w: usize, kv: i32, n: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    let a = f32x4.splat(0);
    for (let k = 0; k < kv; k += 4) {
      const o = <usize>k << 2;
      a = madd4(v128.load(x + o), v128.load(w + o), a);
    }
    return finishDot(a, x, w, kv, n);
  }
  let s: f32 = 0;
  for (let k = 0; k < n; k++) s += load<f32>(x + (<usize>k << 2)) * load<f32>(w + (<usize>k << 2));
  return s;
}

/**
 * out[r, o] = Σ_k x[r, k] · w[o, k] (+ b[o]) (+ out[r, o] when accumulate), for rows × outF
 * outputs; out's rows are outF apart. b = 0: no bias.
 */
export function linearForward(
  x: usize, w: usize, b: usize, out: usize, rows: i32, inF: i32, outF: i32, accumulate: i32,
): void {
  const kv = ASC_FEATURE_SIMD ? inF & ~3 : 0;
  const xs = <usize>inF << 2;
  const block = forwardBlock(inF);
  for (let o0 = 0; o0 < outF; o0 += block) {
    const o1 = min<i32>(outF, o0 + block);
    let r = 0;
    if (ASC_FEATURE_SIMD) {
      for (; r + 4 <= rows; r += 4) {
        const x0 = x + <usize>r * xs, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        let o = o0;
        for (; o + 2 <= o1; o += 2) {
          const w0 = w + <usize>o * xs, w1 = w0 + xs;
          let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
          for (let k = 0; k < kv; k += 4) {
            const q = <usize>k << 2;
            const v0 = v128.load(w0 + q), v1 = v128.load(w1 + q);
            let u = v128.load(x0 + q);
            a00 = madd4(u, v0, a00);
            a01 = madd4(u, v1, a01);
            u = v128.load(x1 + q);
            a10 = madd4(u, v0, a10);
            a11 = madd4(u, v1, a11);
            u = v128.load(x2 + q);
            a20 = madd4(u, v0, a20);
            a21 = madd4(u, v1, a21);
            u = v128.load(x3 + q);
            a30 = madd4(u, v0, a30);
            a31 = madd4(u, v1, a31);
          }
          const p = out + ((<usize>r * outF + o) << 2), ps = <usize>outF << 2;
          storeOut(p, finishDot(a00, x0, w0, kv, inF), b, o, accumulate);
          storeOut(p + 4, finishDot(a01, x0, w1, kv, inF), b, o + 1, accumulate);
          storeOut(p + ps, finishDot(a10, x1, w0, kv, inF), b, o, accumulate);
          storeOut(p + ps + 4, finishDot(a11, x1, w1, kv, inF), b, o + 1, accumulate);
          storeOut(p + 2 * ps, finishDot(a20, x2, w0, kv, inF), b, o, accumulate);
          storeOut(p + 2 * ps + 4, finishDot(a21, x2, w1, kv, inF), b, o + 1, accumulate);
          storeOut(p + 3 * ps, finishDot(a30, x3, w0, kv, inF), b, o, accumulate);
          storeOut(p + 3 * ps + 4, finishDot(a31, x3, w1, kv, inF), b, o + 1, accumulate);
        }
        for (; o < o1; o++) {
          const wo = w + <usize>o * xs;
          for (let i = 0; i < 4; i++) {
            const xi = x0 + <usize>i * xs;
            storeOut(out + ((<usize>(r + i) * outF + o) << 2), dot1(xi, wo, kv, inF), b, o, accumulate);
          }
        }
      }
    }
    for (; r < rows; r++) {
      const xr = x + <usize>r * xs;
      for (let o = o0; o < o1; o++) {
        storeOut(out + ((<usize>r * outF + o) << 2), dot1(xr, w + <usize>o * xs, kv, inF), b, o, accumulate);
      }
    }
  }
}

/** C[i, k] = A(i, ·) · B[·, k] for one row i, columns [k0, k0 + 4·vectors) or the scalar tail. */
// @ts-ignore: decorator
@inline function storeC(c: usize, v: v128, accumulate: i32): void {
  v128.store(c, accumulate ? f32x4.add(v128.load(c), v) : v);
}

/**
 * C = A · B (+ C when accumulate): C is m × n (rows ldc apart), B is inner × n (rows ldb apart),
 * and A(i, j) is the float at a + (i·ai + j·aj)·4 — so A may be a matrix or the transpose of
 * one. Every element of C accumulates over j in order, in its own lane (or scalar, for the last
 * n mod 4 columns): gradInput = G · W (A = G) and gradWeight = Gᵀ · X (A = G read down columns).
 * `pack`: scratch of inner × 64 bytes for B's column strips, or 0; `aPack`: m × inner floats for A, or 0.
 */
export function gemmBroadcast(
  a: usize, ai: i32, aj: i32, bm: usize, ldb: i32, c: usize, ldc: i32, m: i32, inner: i32, n: i32, accumulate: i32,
  pack: usize, aPack: usize,
): void {
  // With `aPack` (m × inner floats of scratch), A read down columns (aj > 1: Gᵀ) is first copied
  // there row-major: its columns are rows of G a power of two apart, which share a few cache sets.
  if (aPack != 0 && aj != 1) {
    for (let j = 0; j < inner; j++) {
      const src = a + <usize>j * aj * 4;
      for (let i = 0; i < m; i++) store<f32>(aPack + ((<usize>i * inner + j) << 2), load<f32>(src + <usize>i * ai * 4));
    }
    a = aPack;
    ai = inner;
    aj = 1;
  }
  const ajs = <usize>aj << 2;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    // Sixteen columns (a cache line of each B row) for two rows of C at a time: eight accumulators.
    // With `pack` (inner × 64 bytes of scratch) the strip of B is first copied there, contiguous:
    // B rows a power-of-two apart would otherwise map to a few cache sets and evict each other.
    const packed = pack != 0 && m >= 4;
    const bs = packed ? 64 : <usize>ldb << 2;
    for (; k + 16 <= n; k += 16) {
      let bk = bm + (<usize>k << 2);
      if (packed) {
        const from = <usize>ldb << 2;
        for (let j = 0; j < inner; j++) {
          const src = bk + <usize>j * from, dst = pack + (<usize>j << 6);
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          v128.store(dst, v128.load(src, 32), 32);
          v128.store(dst, v128.load(src, 48), 48);
        }
        bk = pack;
      }
      let i = 0;
      for (; i + 2 <= m; i += 2) {
        let a0 = a + <usize>i * ai * 4;
        const a1 = <usize>ai << 2;
        let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        let bp = bk;
        for (let j = 0; j < inner; j++) {
          const v0 = v128.load(bp), v1 = v128.load(bp, 16), v2 = v128.load(bp, 32), v3 = v128.load(bp, 48);
          let s = v128.load32_splat(a0);
          c00 = madd4(s, v0, c00);
          c01 = madd4(s, v1, c01);
          c02 = madd4(s, v2, c02);
          c03 = madd4(s, v3, c03);
          s = v128.load32_splat(a0 + a1);
          c10 = madd4(s, v0, c10);
          c11 = madd4(s, v1, c11);
          c12 = madd4(s, v2, c12);
          c13 = madd4(s, v3, c13);
          a0 += ajs;
          bp += bs;
        }
        const cp = c + ((<usize>i * ldc + k) << 2), cs = <usize>ldc << 2;
        storeC(cp, c00, accumulate);
        storeC(cp + 16, c01, accumulate);
        storeC(cp + 32, c02, accumulate);
        storeC(cp + 48, c03, accumulate);
        storeC(cp + cs, c10, accumulate);
        storeC(cp + cs + 16, c11, accumulate);
        storeC(cp + cs + 32, c12, accumulate);
        storeC(cp + cs + 48, c13, accumulate);
      }
      for (; i < m; i++) {
        let ap = a + <usize>i * ai * 4;
        let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
        let bp = bk;
        for (let j = 0; j < inner; j++) {
          const s = v128.load32_splat(ap);
          c0 = madd4(s, v128.load(bp), c0);
          c1 = madd4(s, v128.load(bp, 16), c1);
          c2 = madd4(s, v128.load(bp, 32), c2);
          c3 = madd4(s, v128.load(bp, 48), c3);
          ap += ajs;
          bp += bs;
        }
        const cp = c + ((<usize>i * ldc + k) << 2);
        storeC(cp, c0, accumulate);
        storeC(cp + 16, c1, accumulate);
        storeC(cp + 32, c2, accumulate);
        storeC(cp + 48, c3, accumulate);
      }
    }
  }
  const bs = <usize>ldb << 2;
  if (ASC_FEATURE_SIMD) {
    for (; k + 8 <= n; k += 8) {
      const bk = bm + (<usize>k << 2);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        let a0 = a + <usize>i * ai * 4;
        const a1 = <usize>ai << 2;
        let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        let bp = bk;
        for (let j = 0; j < inner; j++) {
          const v0 = v128.load(bp), v1 = v128.load(bp, 16);
          let s = v128.load32_splat(a0);
          c00 = madd4(s, v0, c00);
          c01 = madd4(s, v1, c01);
          s = v128.load32_splat(a0 + a1);
          c10 = madd4(s, v0, c10);
          c11 = madd4(s, v1, c11);
          s = v128.load32_splat(a0 + 2 * a1);
          c20 = madd4(s, v0, c20);
          c21 = madd4(s, v1, c21);
          s = v128.load32_splat(a0 + 3 * a1);
          c30 = madd4(s, v0, c30);
          c31 = madd4(s, v1, c31);
          a0 += ajs;
          bp += bs;
        }
        const cp = c + ((<usize>i * ldc + k) << 2), cs = <usize>ldc << 2;
        storeC(cp, c00, accumulate);
        storeC(cp + 16, c01, accumulate);
        storeC(cp + cs, c10, accumulate);
        storeC(cp + cs + 16, c11, accumulate);
        storeC(cp + 2 * cs, c20, accumulate);
        storeC(cp + 2 * cs + 16, c21, accumulate);
        storeC(cp + 3 * cs, c30, accumulate);
        storeC(cp + 3 * cs + 16, c31, accumulate);
      }
      for (; i < m; i++) {
        let ap = a + <usize>i * ai * 4;
        let c0 = f32x4.splat(0), c1 = c0;
        let bp = bk;
        for (let j = 0; j < inner; j++) {
          const s = v128.load32_splat(ap);
          c0 = madd4(s, v128.load(bp), c0);
          c1 = madd4(s, v128.load(bp, 16), c1);
          ap += ajs;
          bp += bs;
        }
        const cp = c + ((<usize>i * ldc + k) << 2);
        storeC(cp, c0, accumulate);
        storeC(cp + 16, c1, accumulate);
      }
    }
    for (; k + 4 <= n; k += 4) {
      const bk = bm + (<usize>k << 2);
      for (let i = 0; i < m; i++) {
        let ap = a + <usize>i * ai * 4;
        let c0 = f32x4.splat(0);
        let bp = bk;
        for (let j = 0; j < inner; j++) {
          c0 = madd4(v128.load32_splat(ap), v128.load(bp), c0);
          ap += ajs;
          bp += bs;
        }
        storeC(c + ((<usize>i * ldc + k) << 2), c0, accumulate);
      }
    }
  }
  for (; k < n; k++) {
    for (let i = 0; i < m; i++) {
      let ap = a + <usize>i * ai * 4;
      let bp = bm + (<usize>k << 2);
      let s: f32 = 0;
      for (let j = 0; j < inner; j++) {
        s += load<f32>(ap) * load<f32>(bp);
        ap += ajs;
        bp += bs;
      }
      const cp = c + ((<usize>i * ldc + k) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
    }
  }
}

/** out[k] = Σ_r g[r, k] over rows (+ out[k] when accumulate), each column in its own lane, rows in order. */
export function columnSums(g: usize, rows: i32, n: i32, out: usize, accumulate: i32): void {
  const gs = <usize>n << 2;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) {
      let s = f32x4.splat(0);
      let p = g + (<usize>k << 2);
      for (let r = 0; r < rows; r++) {
        s = f32x4.add(s, v128.load(p));
        p += gs;
      }
      storeC(out + (<usize>k << 2), s, accumulate);
    }
  }
  for (; k < n; k++) {
    let s: f32 = 0;
    let p = g + (<usize>k << 2);
    for (let r = 0; r < rows; r++) {
      s += load<f32>(p);
      p += gs;
    }
    const o = out + (<usize>k << 2);
    store<f32>(o, accumulate ? load<f32>(o) + s : s);
  }
}
