// Hard-label cross-entropy for short rows (few classes), one row per lane, four rows per vector,
// with the per-row work on vectors too:
//   - the four rows are gathered once into a transposed block in scratch (column c of the four
//     rows is one vector), and the gradient is scattered once at the end (it used to be gathered
//     or scattered lane by lane five times per column);
//   - labels, their checks, the target logit (a select per column), the class weight, the
//     per-row factor and the loss are lane operations, the loss in float64 lanes (f64x2);
//   - log s is an f32x4 log (logNormal4, ~2 ulp; s ∈ [1, classes], so the loss's absolute error
//     stays below 1e-6, far inside the 1e-5 tolerance), with Math.log for a lane whose s is not a
//     normal float (NaN, Infinity: rows with non-finite logits);
//   - the target-class correction is folded into the gradient's last pass, so spare lanes (the
//     last group repeats the final row) store the same final values and nothing is read back.
// The gradient is bit-identical to the row-wise formulas (crossentropy.ts): the same exp terms,
// the same float64 coefficients per row, the same float32 operations in the same order. Every
// row is computed by the same lane operations whatever its group, so results do not depend on
// how rows are chunked.
import { EXP_CONSTANTS, expNonPositive4k, logNormal4 } from "./math";
import { gather4, scatter4, storeColumns4, transposeIn } from "./shortrows";

/** Scratch bytes: the transposed logits and the exp terms, 16 bytes per class each. */
// @ts-ignore: decorator
@inline export function shortCeScratchBytes(maxCols: i32): i32 {
  return maxCols << 5;
}

/** The low two f32 lanes of v as f64x2, and the high two. */
// @ts-ignore: decorator
@inline function low64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function high64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}
/** Two f64x2 back to one f32x4 (low lanes from lo, high lanes from hi). */
// @ts-ignore: decorator
@inline function demote4(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** ln of lanes 0 and 1 of s as f64x2: `fast` (logNormal4(s)) where s is a normal positive float, Math.log elsewhere. */
// @ts-ignore: decorator
@inline function logLow2(s: v128, fast: v128): v128 {
  // As bits: s − least normal < (largest − least normal) + 1 for normal positive floats only.
  const ok = i32x4.lt_u(i32x4.sub(s, i32x4.splat(0x00800000)), i32x4.splat(0x7F000000));
  let l = low64(fast);
  if (i32x4.extract_lane(ok, 0) == 0) l = f64x2.replace_lane(l, 0, Math.log(<f64>f32x4.extract_lane(s, 0)));
  if (i32x4.extract_lane(ok, 1) == 0) l = f64x2.replace_lane(l, 1, Math.log(<f64>f32x4.extract_lane(s, 1)));
  return l;
}

/**
 * crossEntropyHardRows' short-row path (cols ≤ SHORT_ROW_MAX_CE, SIMD builds). Same arguments;
 * scratch holds shortCeScratchBytes(cols). Returns −1 or the first row with a label out of range.
 */
export function crossEntropyHardShortRows(
  logits: usize, labels: usize, rows: i32, cols: i32, invT: f32,
  weight: usize, weightSum: f64, ignoreIndex: i32, smoothing: f64,
  lossOut: usize, grad: usize, gradScale: usize, gradScalar: f32, scratch: usize,
): i32 {
  const stride = <usize>cols << 2;
  const T = scratch, E = scratch + (<usize>cols << 4);
  const smoothPerClass = smoothing / <f64>cols;
  const vk = f32x4.splat(invT);
  const last = rows - 1;
  const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
  const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
  const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
  const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
  const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
  const vIgnore = i32x4.splat(ignoreIndex), vCols = i32x4.splat(cols), zero = f32x4.splat(0);
  const invTd = f64x2.splat(<f64>invT);
  for (let r = 0; r < rows; r += 4) {
    const full = r + 3 <= last;
    const r1 = min(r + 1, last), r2 = min(r + 2, last), r3 = min(r + 3, last);
    const y = gather4(labels + (<usize>r << 2), labels + (<usize>r1 << 2), labels + (<usize>r2 << 2), labels + (<usize>r3 << 2), 0);
    const ignored = i32x4.eq(y, vIgnore);
    // A label neither ignoreIndex nor in [0, cols) stops the kernel before anything reads through it.
    const bad = v128.andnot(i32x4.ge_u(y, vCols), ignored);
    if (v128.any_true(bad)) {
      if (i32x4.extract_lane(bad, 0) != 0) return r;
      if (i32x4.extract_lane(bad, 1) != 0) return r1;
      return i32x4.extract_lane(bad, 2) != 0 ? r2 : r3;
    }
    const x0 = logits + <usize>r * stride, x1 = logits + <usize>r1 * stride;
    const x2 = logits + <usize>r2 * stride, x3 = logits + <usize>r3 * stride;

    // The block, transposed, and each row's max (pmax skips NaN; NaN reaches s through exp).
    transposeIn(x0, x1, x2, x3, T, cols);
    let m = f32x4.splat(-Infinity);
    for (let c = 0; c < cols; c++) m = f32x4.pmax(m, v128.load(T + (<usize>c << 4)));
    // Exp terms, their sum, the target logit, and the smoothing sums Σ w·(x − m) in float64.
    let s = zero, xy = zero;
    const mLow = low64(m), mHigh = high64(m);
    let smoothLow = f64x2.splat(0), smoothHigh = smoothLow;
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 4;
      const v = v128.load(T + o);
      xy = v128.bitselect(v, xy, i32x4.eq(y, i32x4.splat(c)));
      if (smoothing != 0) {
        let dLow = f64x2.sub(low64(v), mLow);
        let dHigh = f64x2.sub(high64(v), mHigh);
        if (weight != 0) {
          const w = f64x2.splat(<f64>load<f32>(weight + (<usize>c << 2)));
          dLow = f64x2.mul(dLow, w);
          dHigh = f64x2.mul(dHigh, w);
        }
        smoothLow = f64x2.add(smoothLow, dLow);
        smoothHigh = f64x2.add(smoothHigh, dHigh);
      }
      const e = expNonPositive4k(f32x4.mul(f32x4.sub(v, m), vk), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
      if (grad != 0) v128.store(E + o, e);
      s = f32x4.add(s, e);
    }

    // Per row, in float64 lanes: w_y (class 0 read for ignored rows, whose label may be anything).
    const safeY = v128.andnot(y, ignored);
    let wy = f32x4.splat(1);
    if (weight != 0) {
      wy = f32x4.replace_lane(wy, 0, load<f32>(weight + (<usize>i32x4.extract_lane(safeY, 0) << 2)));
      wy = f32x4.replace_lane(wy, 1, load<f32>(weight + (<usize>i32x4.extract_lane(safeY, 1) << 2)));
      wy = f32x4.replace_lane(wy, 2, load<f32>(weight + (<usize>i32x4.extract_lane(safeY, 2) << 2)));
      wy = f32x4.replace_lane(wy, 3, load<f32>(weight + (<usize>i32x4.extract_lane(safeY, 3) << 2)));
    }
    const wyLow = low64(wy), wyHigh = high64(wy);
    const fastLog = logNormal4(s);
    const logLow = logLow2(s, fastLog), logHigh = logLow2(v128.shuffle<f32>(s, s, 2, 3, 0, 1), v128.shuffle<f32>(fastLog, fastLog, 2, 3, 0, 1));
    // nll = −w_y·((x_y − m)·invT − log s); smooth = −(Σw(x − m)·invT − W·log s) (hardRowLoss).
    let lossLow = f64x2.neg(f64x2.mul(wyLow, f64x2.sub(f64x2.mul(f64x2.sub(low64(xy), mLow), invTd), logLow)));
    let lossHigh = f64x2.neg(f64x2.mul(wyHigh, f64x2.sub(f64x2.mul(f64x2.sub(high64(xy), mHigh), invTd), logHigh)));
    if (smoothing != 0) {
      const vw = f64x2.splat(weightSum), keep = f64x2.splat(1 - smoothing), per = f64x2.splat(smoothPerClass);
      const smLow = f64x2.neg(f64x2.sub(f64x2.mul(smoothLow, invTd), f64x2.mul(vw, logLow)));
      const smHigh = f64x2.neg(f64x2.sub(f64x2.mul(smoothHigh, invTd), f64x2.mul(vw, logHigh)));
      lossLow = f64x2.add(f64x2.mul(keep, lossLow), f64x2.mul(per, smLow));
      lossHigh = f64x2.add(f64x2.mul(keep, lossHigh), f64x2.mul(per, smHigh));
    }
    // Ignored rows: loss 0.
    lossLow = v128.andnot(lossLow, i64x2.extend_low_i32x4_s(ignored));
    lossHigh = v128.andnot(lossHigh, i64x2.extend_high_i32x4_s(ignored));
    const lo = lossOut + (<usize>r << 3);
    if (full) {
      v128.store(lo, lossLow);
      v128.store(lo, lossHigh, 16);
    } else {
      f64x2_storeLane0(lo, lossLow);
      if (r + 1 <= last) v128.store64_lane(lo, lossLow, 1, 8);
      if (r + 2 <= last) v128.store64_lane(lo, lossHigh, 0, 16);
    }
    if (grad == 0) continue;

    // The gradient: a·e − b·w_c − [c = y]·k(1 − ε)w_y, 0 on ignored rows; a, b, k(1 − ε)w_y per
    // row in float64 as the row-wise kernel forms them, then rounded to float32.
    let k = f32x4.splat(gradScalar);
    if (gradScale != 0) {
      k = gather4(gradScale + (<usize>r << 2), gradScale + (<usize>r1 << 2), gradScale + (<usize>r2 << 2), gradScale + (<usize>r3 << 2), 0);
    }
    const kLow = low64(k), kHigh = high64(k);
    const sLow = low64(s), sHigh = high64(s);
    let aLow: v128, aHigh: v128;
    if (smoothing == 0) {
      aLow = f64x2.div(f64x2.mul(kLow, wyLow), sLow);
      aHigh = f64x2.div(f64x2.mul(kHigh, wyHigh), sHigh);
    } else {
      const keep = f64x2.splat(1 - smoothing), extra = f64x2.splat(smoothPerClass * weightSum);
      aLow = f64x2.div(f64x2.mul(kLow, f64x2.add(f64x2.mul(keep, wyLow), extra)), sLow);
      aHigh = f64x2.div(f64x2.mul(kHigh, f64x2.add(f64x2.mul(keep, wyHigh), extra)), sHigh);
    }
    const va = demote4(aLow, aHigh);
    const per = f64x2.splat(smoothPerClass);
    const vb = demote4(f64x2.mul(kLow, per), f64x2.mul(kHigh, per));
    const keepT = f64x2.splat(1 - smoothing);
    const vt = demote4(f64x2.mul(f64x2.mul(kLow, keepT), wyLow), f64x2.mul(f64x2.mul(kHigh, keepT), wyHigh));
    const live = v128.not(ignored);
    const g0 = grad + (x0 - logits), g1 = grad + (x1 - logits), g2 = grad + (x2 - logits), g3 = grad + (x3 - logits);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      storeColumns4(g0, g1, g2, g3, <usize>c << 2,
        gradColumn(E, c, va, vb, vt, y, live, weight, smoothing), gradColumn(E, c + 1, va, vb, vt, y, live, weight, smoothing),
        gradColumn(E, c + 2, va, vb, vt, y, live, weight, smoothing), gradColumn(E, c + 3, va, vb, vt, y, live, weight, smoothing));
    }
    for (; c < cols; c++) scatter4(g0, g1, g2, g3, <usize>c << 2, gradColumn(E, c, va, vb, vt, y, live, weight, smoothing));
  }
  return -1;
}

/** Column c of the four rows' gradient: a·e − b·w_c − [c = y]·t, 0 on ignored rows (live = 0). */
// @ts-ignore: decorator
@inline function gradColumn(E: usize, c: i32, va: v128, vb: v128, vt: v128, y: v128, live: v128, weight: usize, smoothing: f64): v128 {
  let v = f32x4.mul(v128.load(E + (<usize>c << 4)), va);
  if (smoothing != 0) v = f32x4.sub(v, f32x4.mul(vb, weight != 0 ? v128.load32_splat(weight + (<usize>c << 2)) : f32x4.splat(1)));
  v = f32x4.sub(v, v128.and(vt, i32x4.eq(y, i32x4.splat(c))));
  return v128.and(v, live);
}

// @ts-ignore: decorator
@inline function f64x2_storeLane0(p: usize, v: v128): void {
  v128.store64_lane(p, v, 0);
}
