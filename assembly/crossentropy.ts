// Fused cross-entropy over rows: the per-row loss and, in the same sweep, d loss / d logits.
// PyTorch semantics (F.cross_entropy); the formulas are in docs/semantics.md §2.2–2.4.
//
// Per row, with z = x·invT, m = max x, s = Σ exp((x − m)·invT), log-softmax
// ℓ_c = (x_c − m)·invT − log s and p_c = exp((x_c − m)·invT) / s:
//   pass 1  m
//   pass 2  s (and the exp terms stored into the gradient row), plus the weighted sums the
//           loss needs, read from x before the store overwrites it (grad may alias logits)
//   pass 3  grad_c = a·e_c − b_c, a pure scale-and-subtract over the stored terms
// Losses are written per row as f64; the TypeScript side reduces them in a fixed order, so
// the result does not depend on how rows are chunked.
//
// `gradScale` holds a per-row factor (f32) or is 0, in which case `gradScalar` applies to
// every row. The factor is gradOutput / D · invT, already including the reduction's divisor.
//
// Safety: labels come from the caller and are checked here, where they are read: a label that
// is neither ignoreIndex nor in [0, cols) stops the kernel before any access through it, and
// the kernel returns that row's index (−1 when every row was done), which the TypeScript side
// turns into a RangeError. A label checked in JavaScript could have changed since (a getter,
// another thread, an aliased buffer); this check cannot be bypassed.
import { EXP_CONSTANTS, expNonPositive4k } from "./math";
import { crossEntropyHardShortRows } from "./shortce";
import { SHORT_ROW_MAX_CE } from "./shortrows";
import { expSum, rangeMax, rowRange, scaleRow } from "./softmax";

/** Two floats at p as an f64x2. */
// @ts-ignore: decorator
@inline function load2f64(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/**
 * Σ w_c·(x_c − m) over a row (w ≡ 1 when weight is 0), for label smoothing. In float64 from
 * the first subtraction: with logits near ±3e38, x − m and the sum overflow float32 where the
 * true (float64) loss is finite.
 */
export function weightedShiftedSum(x: usize, weight: usize, n: i32, m: f32): f64 {
  let i = 0;
  let sum: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f64x2.splat(<f64>m);
    let a0 = f64x2.splat(0), a1 = a0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      let d0 = f64x2.sub(load2f64(x + o), vm);
      let d1 = f64x2.sub(load2f64(x + o + 8), vm);
      if (weight != 0) {
        d0 = f64x2.mul(d0, load2f64(weight + o));
        d1 = f64x2.mul(d1, load2f64(weight + o + 8));
      }
      a0 = f64x2.add(a0, d0);
      a1 = f64x2.add(a1, d1);
    }
    const a = f64x2.add(a0, a1);
    sum = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const w: f64 = weight != 0 ? <f64>load<f32>(weight + o) : 1;
    sum += w * (<f64>load<f32>(x + o) - <f64>m);
  }
  return sum;
}

/** g[c] = a·g[c] − b·w[c] (w ≡ 1 when weight is 0) over a row. */
function scaleSubtract(g: usize, weight: usize, n: i32, a: f32, b: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    if (weight != 0) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), va), f32x4.mul(v128.load(weight + o), vb)));
      }
    } else {
      for (; i + 8 <= n; i += 8) {
        const o = <usize>i << 2;
        v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), va), vb));
        v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o, 16), va), vb), 16);
      }
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), va), vb));
      }
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const w: f32 = weight != 0 ? load<f32>(weight + o) : 1;
    store<f32>(g + o, load<f32>(g + o) * a - b * w);
  }
}

/** Zero a row (ignored rows have zero gradient). */
function zeroRow(g: usize, n: i32): void {
  memory.fill(g, 0, <usize>n << 2);
}

/**
 * One row's loss from its statistics: nll = −w_y·ℓ_y, smooth = −Σ_c w_c·ℓ_c,
 * loss = (1 − ε)·nll + (ε/C)·smooth, with ℓ_c = (x_c − m)·invT − log s.
 */
// @ts-ignore: decorator
@inline function hardRowLoss(
  xy: f32, m: f32, logS: f64, wy: f64, smoothSum: f64,
  invT: f32, smoothing: f64, smoothPerClass: f64, weightSum: f64,
): f64 {
  const nll = -(wy * ((<f64>xy - <f64>m) * <f64>invT - logS));
  if (smoothing == 0) return nll;
  const smooth = -(smoothSum * <f64>invT - weightSum * logS);
  return (1 - smoothing) * nll + smoothPerClass * smooth;
}

/** Whether a label may be used as a class index: ignoreIndex is handled before this. */
// @ts-ignore: decorator
@inline function labelInRange(y: i32, cols: i32): bool {
  return <u32>y < <u32>cols;
}

/**
 * Hard labels (i32 class indices). Rows whose label equals ignoreIndex get loss 0 and a zero
 * gradient. `weightSum` is Σ_c w_c (cols when unweighted), used by label smoothing only.
 * Returns −1, or the first row whose label is out of range (nothing is read through it).
 * `scratch` (CE_SCRATCH_BYTES) is working space for the short-row path.
 */
export function crossEntropyHardRows(
  logits: usize, labels: usize, rows: i32, cols: i32, invT: f32,
  weight: usize, weightSum: f64, ignoreIndex: i32, smoothing: f64,
  lossOut: usize, grad: usize, gradScale: usize, gradScalar: f32, scratch: usize,
): i32 {
  if (ASC_FEATURE_SIMD && cols <= SHORT_ROW_MAX_CE) {
    return crossEntropyHardShortRows(
      logits, labels, rows, cols, invT, weight, weightSum, ignoreIndex, smoothing,
      lossOut, grad, gradScale, gradScalar, scratch,
    );
  }
  const stride = <usize>cols << 2;
  const smoothPerClass = smoothing / <f64>cols; // ε / C
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * stride;
    const g = grad != 0 ? grad + <usize>r * stride : 0;
    const y = load<i32>(labels + (<usize>r << 2));
    if (y == ignoreIndex) {
      store<f64>(lossOut + (<usize>r << 3), 0);
      if (g != 0) zeroRow(g, cols);
      continue;
    }
    if (!labelInRange(y, cols)) return r;
    const wy: f64 = weight != 0 ? <f64>load<f32>(weight + (<usize>y << 2)) : 1;
    const range = rowRange(x, cols);
    const m = rangeMax(range);
    const xy = load<f32>(x + (<usize>y << 2)); // read before pass 2 may overwrite the row
    const smoothSum: f64 = smoothing != 0 ? weightedShiftedSum(x, weight, cols, m) : 0;
    const s = expSum(x, g, cols, range, invT);
    const logS = Math.log(s);

    store<f64>(lossOut + (<usize>r << 3), hardRowLoss(xy, m, logS, wy, smoothSum, invT, smoothing, smoothPerClass, weightSum));

    if (g != 0) {
      // grad_c = k·[(1 − ε)·w_y·(p_c − δ_cy) + (ε/C)·(W·p_c − w_c)],  k = gradOutput/D·invT
      //        = a·e_c − b·w_c − k·(1 − ε)·w_y·δ_cy
      const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + (<usize>r << 2)) : <f64>gradScalar;
      if (smoothing == 0) {
        // Without smoothing no other class's weight enters: an Infinity or NaN weight on a class
        // that never occurs (inverse-frequency weights) must not reach this row through 0·w.
        scaleRow(g, cols, <f32>(k * wy / s));
      } else {
        const a = k * ((1 - smoothing) * wy + smoothPerClass * weightSum) / s;
        const b = k * smoothPerClass;
        scaleSubtract(g, weight, cols, <f32>a, <f32>b);
      }
      const gy = g + (<usize>y << 2);
      store<f32>(gy, load<f32>(gy) - <f32>(k * (1 - smoothing) * wy));
    }
  }
  return -1;
}

/**
 * Soft targets (f32 probabilities, rows × cols), smoothed as t' = t·(1 − ε) + ε/C:
 *   loss = −Σ_c w_c·t'_c·ℓ_c,   grad_c = k·(p_c·Σ_j w_j·t'_j − w_c·t'_c).
 * The products are formed as PyTorch forms them, so t_c = 0 against ℓ_c = −Infinity gives NaN.
 */
export function crossEntropySoftRows(
  logits: usize, targets: usize, rows: i32, cols: i32, invT: f32,
  weight: usize, smoothing: f64,
  lossOut: usize, grad: usize, gradScale: usize, gradScalar: f32,
): void {
  const stride = <usize>cols << 2;
  const keep = <f32>(1 - smoothing);
  const spread = <f32>(smoothing / <f64>cols);
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * stride;
    const t = targets + <usize>r * stride;
    const g = grad != 0 ? grad + <usize>r * stride : 0;
    const range = rowRange(x, cols);
    const m = rangeMax(range);
    // A = Σ w·t'·(x − m) and B = Σ w·t', both in float64 (a float32 B drifts by 1e-3 relative
    // over 10^6 classes), read before pass 2 may overwrite x.
    let sumA: f64 = 0, sumB: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vm = f64x2.splat(<f64>m);
      const vkeep = f32x4.splat(keep);
      const vspread = f32x4.splat(spread);
      let a0 = f64x2.splat(0), a1 = a0, b0 = a0, b1 = a0;
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        let wt = f32x4.add(f32x4.mul(v128.load(t + o), vkeep), vspread);
        if (weight != 0) wt = f32x4.mul(wt, v128.load(weight + o));
        const wtLow = f64x2.promote_low_f32x4(wt);
        const wtHigh = f64x2.promote_low_f32x4(v128.shuffle<f32>(wt, wt, 2, 3, 0, 1));
        a0 = f64x2.add(a0, f64x2.mul(wtLow, f64x2.sub(load2f64(x + o), vm)));
        a1 = f64x2.add(a1, f64x2.mul(wtHigh, f64x2.sub(load2f64(x + o + 8), vm)));
        b0 = f64x2.add(b0, wtLow);
        b1 = f64x2.add(b1, wtHigh);
      }
      const a = f64x2.add(a0, a1);
      sumA = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
      const b = f64x2.add(b0, b1);
      sumB = f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      let wt = load<f32>(t + o) * keep + spread;
      if (weight != 0) wt *= load<f32>(weight + o);
      sumA += <f64>wt * (<f64>load<f32>(x + o) - <f64>m);
      sumB += <f64>wt;
    }
    const s = expSum(x, g, cols, range, invT);
    const logS = Math.log(s);
    store<f64>(lossOut + (<usize>r << 3), -(sumA * <f64>invT - sumB * logS));

    if (g != 0) {
      const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + (<usize>r << 2)) : <f64>gradScalar;
      const a = <f32>(k * sumB / s);
      const kf = <f32>k;
      // grad_c = a·e_c − k·w_c·t'_c
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        const va = f32x4.splat(a);
        const vk = f32x4.splat(kf);
        const vkeep = f32x4.splat(keep);
        const vspread = f32x4.splat(spread);
        for (; j + 4 <= cols; j += 4) {
          const o = <usize>j << 2;
          let wt = f32x4.add(f32x4.mul(v128.load(t + o), vkeep), vspread);
          if (weight != 0) wt = f32x4.mul(wt, v128.load(weight + o));
          v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), va), f32x4.mul(wt, vk)));
        }
      }
      for (; j < cols; j++) {
        const o = <usize>j << 2;
        let wt = load<f32>(t + o) * keep + spread;
        if (weight != 0) wt *= load<f32>(weight + o);
        store<f32>(g + o, load<f32>(g + o) * a - kf * wt);
      }
    }
  }
}

// Scratch for the short-row kernel (shortce.ts): the transposed block and its exp terms. The
// caller passes it (16-byte aligned): a kernel keeps no memory of its own, so threads over one
// memory never share it.
export const CE_SCRATCH_BYTES = 32 * SHORT_ROW_MAX_CE;
