// Knowledge distillation (Hinton et al. 2015), fused: per row, with zs = (s − ms)/T, zt = (t − mt)/T,
//   KL(p_t ‖ p_s) = Σ p_t·(log p_t − log p_s) = (Σ e_t·(zt − zs))/St − log St + log Ss,
// and, when labels are given, cross-entropy of the student at T = 1 with PyTorch's options
// (class weights, ignoreIndex, label smoothing; crossentropy.ts). Per-row KL and CE into f64
// outputs; the TypeScript side combines α·T²·ΣKL/N + (1 − α)·ΣCE/D. The gradient with respect to
// the student logits, in the same call:
//   g_c = gKl·(p_s,c − p_t,c) + kCe·[(1 − ε)·w_y·(p1_c − δ_cy) + (ε/C)·(W·p1_c − w_c)],
// gKl = gradOutput·α·T/N, kCe = gradOutput·(1 − α)/D, p1 = softmax(s) (= p_s when T = 1).
// A teacher probability of 0 adds 0 to the KL (xlogy), unless the student's log-probability there
// is −Infinity (NaN, as PyTorch's 0·(−Infinity)). Labels are checked where they are read (the
// kernel returns the refused row). `scratch` holds two rows: the teacher's exp terms and, for a
// hard term at T ≠ 1, exp(s − ms) (the gradient row may be the student row itself, so nothing
// is read from the student after the first sweep has written there).
import { EXP_CONSTANTS, expNonPositive, expNonPositive4k, hsum4 } from "./math";
import { weightedShiftedSum } from "./crossentropy";
import { rangeMax, rangeMin, rowRange } from "./softmax";

// @ts-ignore: decorator
@inline const BLOCK = 1024;

export function distillationRows(
  student: usize, teacher: usize, labels: usize, rows: i32, cols: i32, invT: f32,
  weight: usize, weightSum: f64, ignoreIndex: i32, smoothing: f64,
  klOut: usize, ceOut: usize, grad: usize, gKl: f64, kCe: f64, scratch: usize,
): i32 {
  const stride = <usize>cols << 2;
  const smoothPerClass = smoothing / <f64>cols;
  for (let r = 0; r < rows; r++) {
    const x = student + <usize>r * stride, t = teacher + <usize>r * stride;
    const g = grad != 0 ? grad + <usize>r * stride : 0;
    const rangeS = rowRange(x, cols), rangeT = rowRange(t, cols);
    const ms = rangeMax(rangeS), mt = rangeMax(rangeT);
    // Labels first: a refused row must be refused before anything of it is written.
    let y = ignoreIndex;
    if (labels != 0) {
      y = load<i32>(labels + (<usize>r << 2));
      if (y != ignoreIndex && <u32>y >= <u32>cols) return r;
    }
    const ceLive = labels != 0 && y != ignoreIndex;
    // The cross-entropy statistics (T = 1), read before the gradient may overwrite the row.
    let s1: f64 = 0, xy: f32 = 0, smoothSum: f64 = 0;
    if (ceLive) {
      xy = load<f32>(x + (<usize>y << 2));
      if (smoothing != 0) smoothSum = weightedShiftedSum(x, weight, cols, ms);
    }
    // One sweep: es (into the gradient row), et (into scratch), e1 = exp(s − ms) when the hard term
    // needs it at T ≠ 1 (summed into S1, and kept in the second scratch row for the gradient),
    // Ss, St and A = Σ e_t·(zt − zs).
    const needE1 = ceLive && invT != 1;
    const keepE1 = g != 0 && needE1;
    let ss: f64 = 0, st: f64 = 0, a: f64 = 0;
    let i = 0;
    // float32 lanes hold Σ e_t·(zt − zs) unless a row spans ~1e36 (logits near ±3e38): such rows
    // (and NaN ones) take the float64 loop below, as the float64 reference would compute them.
    const spanS = (rangeMin(rangeS) - ms) * invT, spanT = (rangeMin(rangeT) - mt) * invT;
    const vectorSafe = spanS > -1e36 && spanT > -1e36;
    if (ASC_FEATURE_SIMD && vectorSafe) {
      const vms = f32x4.splat(ms), vmt = f32x4.splat(mt), vk = f32x4.splat(invT);
      const zero = f32x4.splat(0), minusInf = f32x4.splat(-Infinity), nan = f32x4.splat(NaN);
      const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
      const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
      const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
      const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
      const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
      while (i + 4 <= cols) {
        const end = min(cols, i + BLOCK);
        let vs = zero, vt = zero, va = zero, v1 = zero;
        // Two groups at a time, interleaved (longer independent chains for the processor to
        // overlap); the same operations as the loop below, each group's sums added in order.
        for (; i + 8 <= end; i += 8) {
          const o = <usize>i << 2;
          const xs0 = v128.load(x + o), xs1 = v128.load(x + o, 16);
          const zs0 = f32x4.mul(f32x4.sub(xs0, vms), vk), zs1 = f32x4.mul(f32x4.sub(xs1, vms), vk);
          const zt0 = f32x4.mul(f32x4.sub(v128.load(t + o), vmt), vk), zt1 = f32x4.mul(f32x4.sub(v128.load(t + o, 16), vmt), vk);
          const es0 = expNonPositive4k(zs0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
          const es1 = expNonPositive4k(zs1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
          const et0 = expNonPositive4k(zt0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
          const et1 = expNonPositive4k(zt1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
          const term0 = v128.bitselect(f32x4.mul(et0, f32x4.sub(zt0, zs0)), v128.and(nan, f32x4.eq(xs0, minusInf)), f32x4.ne(et0, zero));
          const term1 = v128.bitselect(f32x4.mul(et1, f32x4.sub(zt1, zs1)), v128.and(nan, f32x4.eq(xs1, minusInf)), f32x4.ne(et1, zero));
          vs = f32x4.add(f32x4.add(vs, es0), es1); vt = f32x4.add(f32x4.add(vt, et0), et1); va = f32x4.add(f32x4.add(va, term0), term1);
          if (needE1) {
            const e10 = expNonPositive4k(f32x4.sub(xs0, vms), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
            const e11 = expNonPositive4k(f32x4.sub(xs1, vms), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
            v1 = f32x4.add(f32x4.add(v1, e10), e11);
            if (keepE1) { v128.store(scratch + stride + o, e10); v128.store(scratch + stride + o, e11, 16); }
          }
          if (g != 0) {
            v128.store(g + o, es0); v128.store(g + o, es1, 16);
            v128.store(scratch + o, et0); v128.store(scratch + o, et1, 16);
          }
        }
        for (; i + 4 <= end; i += 4) {
          const o = <usize>i << 2;
          const xs = v128.load(x + o);
          const zs = f32x4.mul(f32x4.sub(xs, vms), vk);
          const zt = f32x4.mul(f32x4.sub(v128.load(t + o), vmt), vk);
          const es = expNonPositive4k(zs, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
          const et = expNonPositive4k(zt, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
          // e_t·(zt − zs), or (e_t = 0) 0, or NaN where the student logit is −Infinity (0·(−∞)).
          const term = v128.bitselect(f32x4.mul(et, f32x4.sub(zt, zs)), v128.and(nan, f32x4.eq(xs, minusInf)), f32x4.ne(et, zero));
          vs = f32x4.add(vs, es); vt = f32x4.add(vt, et); va = f32x4.add(va, term);
          if (needE1) {
            const e1 = expNonPositive4k(f32x4.sub(xs, vms), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
            v1 = f32x4.add(v1, e1);
            if (keepE1) v128.store(scratch + stride + o, e1);
          }
          if (g != 0) { v128.store(g + o, es); v128.store(scratch + o, et); }
        }
        ss += <f64>hsum4(vs); st += <f64>hsum4(vt); a += <f64>hsum4(va); s1 += <f64>hsum4(v1);
      }
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      const xs = load<f32>(x + o), xt = load<f32>(t + o);
      const zs = (xs - ms) * invT, zt = (xt - mt) * invT;
      const es = expNonPositive(zs), et = expNonPositive(zt);
      ss += <f64>es; st += <f64>et;
      // zt − zs in float64 from the logits: x − max of two huge logits overflows float32.
      if (et != 0) a += <f64>et * (((<f64>xt - <f64>mt) - (<f64>xs - <f64>ms)) * <f64>invT);
      else if (xs == -Infinity) a += NaN;
      if (needE1) {
        const e1 = expNonPositive(xs - ms);
        s1 += <f64>e1;
        if (keepE1) store<f32>(scratch + stride + o, e1);
      }
      if (g != 0) { store<f32>(g + o, es); store<f32>(scratch + o, et); }
    }
    const logSs = Math.log(ss);
    store<f64>(klOut + (<usize>r << 3), a / st - Math.log(st) + logSs);
    if (invT == 1) s1 = ss;
    let wy: f64 = 0;
    if (labels != 0) {
      if (!ceLive) {
        store<f64>(ceOut + (<usize>r << 3), 0);
      } else {
        wy = weight != 0 ? <f64>load<f32>(weight + (<usize>y << 2)) : 1;
        const logS1 = Math.log(s1);
        const nll = -(wy * ((<f64>xy - <f64>ms) - logS1));
        const ce = smoothing == 0 ? nll : (1 - smoothing) * nll + smoothPerClass * -(smoothSum - weightSum * logS1);
        store<f64>(ceOut + (<usize>r << 3), ce);
      }
    }
    if (g == 0) continue;
    // g = gKl·(es/Ss − et/St) + kCe·[(1 − ε)·w_y + (ε/C)·W]·p1 − kCe·(ε/C)·w_c, then the label's term.
    const cs = <f32>(gKl / ss), ct = <f32>(gKl / st);
    const a1: f64 = ceLive ? kCe * (smoothing == 0 ? wy : (1 - smoothing) * wy + smoothPerClass * weightSum) / s1 : 0;
    const b1 = <f32>(ceLive && smoothing != 0 ? kCe * smoothPerClass : 0);
    const sameP = invT == 1; // p1 = es/s1 with the stored es; else e1 from the second scratch row
    const e1Row = scratch + stride;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vcs = f32x4.splat(cs), vct = f32x4.splat(ct), va1 = f32x4.splat(<f32>a1), vb1 = f32x4.splat(b1);
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        const es = v128.load(g + o);
        let v = f32x4.sub(f32x4.mul(es, vcs), f32x4.mul(v128.load(scratch + o), vct));
        if (ceLive) {
          const e1 = sameP ? es : v128.load(e1Row + o);
          v = f32x4.add(v, f32x4.mul(e1, va1));
          if (smoothing != 0) v = f32x4.sub(v, f32x4.mul(vb1, weight != 0 ? v128.load(weight + o) : f32x4.splat(1)));
        }
        v128.store(g + o, v);
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const es = load<f32>(g + o);
      let v = es * cs - load<f32>(scratch + o) * ct;
      if (ceLive) {
        const e1 = sameP ? es : load<f32>(e1Row + o);
        v += e1 * <f32>a1;
        if (smoothing != 0) v -= b1 * (weight != 0 ? load<f32>(weight + o) : 1);
      }
      store<f32>(g + o, v);
    }
    if (ceLive) {
      const gy = g + (<usize>y << 2);
      store<f32>(gy, load<f32>(gy) - <f32>(kCe * (1 - smoothing) * wy));
    }
  }
  return -1;
}
