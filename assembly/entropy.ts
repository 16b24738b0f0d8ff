// Entropy of softmax(x/T) per row, in one sweep after the row max, without materialising p:
// with z = (x − m)·invT, e = exp(z) and s = Σ e,
//   H = −Σ p·log p = −Σ (e/s)·(z − log s) = log s − (Σ e·z)/s.
// Terms with e = 0 (masked −Infinity entries, or underflow) add nothing (0·log 0 = 0) — in the
// vector loop z is clamped at the exp's cutoff, so they add ~1e-38 — but a NaN e (a NaN logit,
// or an all −Infinity row where z = NaN) keeps its NaN. Sums are folded into
// float64 every BLOCK elements, as in expSum. docs/semantics.md; PyTorch reference: entropy.
import { EXP_CONSTANTS, expNonPositive, expNonPositive4k, hsum4 } from "./math";
import { rangeMax, rowRange } from "./softmax";

// @ts-ignore: decorator
@inline const BLOCK = 1024;

/** H(softmax(x/T)) of each row into dst[r] (f32). */
export function entropyRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const m = rangeMax(rowRange(x, cols));
    let s: f64 = 0, t: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f32x4.splat(m), vk = f32x4.splat(invT);
      // Exp constants in locals, loaded once (see EXP_CONSTANTS).
      const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
      const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
      const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
      const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
      const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
      while (i + 4 <= cols) {
        const end = min(cols, i + BLOCK);
        // Two accumulator pairs (even and odd groups of four): the adds of one group do not wait
        // for the other's, so the loop is bound by the exp's throughput, not the add latency.
        let s0 = f32x4.splat(0), t0 = s0, s1 = s0, t1 = s0;
        for (; i + 8 <= end; i += 8) {
          const p = x + (<usize>i << 2);
          // z clamped at the exp's cutoff (pmax: one instruction, and a NaN z stays NaN): e then
          // needs no flush and e·z no mask; a masked entry adds e ≈ 1e-38 and e·z ≈ −1e-36, far
          // below a float's resolution of the sums (the scalar tail adds exactly 0).
          const z0 = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(p), vm), vk), k9);
          const z1 = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(p, 16), vm), vk), k9);
          const e0 = expNonPositive4k(z0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
          const e1 = expNonPositive4k(z1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
          s0 = f32x4.add(s0, e0);
          t0 = f32x4.add(t0, f32x4.mul(e0, z0));
          s1 = f32x4.add(s1, e1);
          t1 = f32x4.add(t1, f32x4.mul(e1, z1));
        }
        for (; i + 4 <= end; i += 4) {
          const z = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(x + (<usize>i << 2)), vm), vk), k9);
          const e = expNonPositive4k(z, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
          s0 = f32x4.add(s0, e);
          t0 = f32x4.add(t0, f32x4.mul(e, z));
        }
        s += <f64>hsum4(f32x4.add(s0, s1));
        t += <f64>hsum4(f32x4.add(t0, t1));
      }
    }
    for (; i < cols; i++) {
      const z = (load<f32>(x + (<usize>i << 2)) - m) * invT;
      const e = expNonPositive(z);
      s += <f64>e;
      if (e != 0) t += <f64>e * <f64>z;
    }
    store<f32>(dst + (<usize>r << 2), <f32>(Math.log(s) - t / s));
  }
}
