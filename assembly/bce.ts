// binary_cross_entropy_with_logits, element by element, PyTorch's stable form:
//   L = 1 + (posWeight − 1)·t,   loss = w·[(1 − t)·x + L·softplus(−x)],
//   softplus(−x) = max(−x, 0) + log1p(exp(−|x|)),
//   d loss / dx = w·[(1 − t) + L·(σ(x) − 1)]   (= w·(σ(x) − t) without posWeight),
// with σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0, e = exp(−|x|) (never overflows).
// Stable for |x| up to 3e38. Weights: per element (a row operand) or per column (fixed), posWeight
// per column (fixed); 0 = none. Per-row sums in float64 (f32 lanes folded per row).
import { EXP_CONSTANTS, expNonPositive4k, hsum4, madd4 } from "./math";

/**
 * log1p(e) for e in [0, 1] (lanes), as 2·atanh(s) without forming 1 + e (which would lose the
 * low bits of a small e): s = e/(2 + e) for 1 + e ≤ √2, else ln 2 + 2·atanh(s) with
 * s = (e − 1)/(e + 3) (the mantissa of (1 + e)/2); |s| ≤ 0.1716 either way, so the series of
 * logNormal4 (math.ts) applies. About 2 ulp, one division.
 */
// @ts-ignore: decorator
@inline function log1pUnit4(e: v128): v128 {
  const big = f32x4.gt(e, f32x4.splat(0.41421356237309503));
  const num = v128.bitselect(f32x4.sub(e, f32x4.splat(1)), e, big);
  const den = f32x4.add(e, v128.bitselect(f32x4.splat(3), f32x4.splat(2), big));
  const s = f32x4.div(num, den);
  const z = f32x4.mul(s, s);
  let p = madd4(f32x4.splat(0.2222222222222222), z, f32x4.splat(0.2857142857142857));
  p = madd4(p, z, f32x4.splat(0.4));
  p = madd4(p, z, f32x4.splat(0.6666666666666666));
  const r = madd4(f32x4.mul(s, z), p, f32x4.add(s, s));
  return f32x4.add(r, v128.and(f32x4.splat(0.6931471805599453), big));
}

/** softplus(−x) and σ(x) − 1 in float64 for one element (tails and special values). */
function termScalar(x: f32, t: f32, w: f64, pw: f64, hasPw: bool, loss: usize, grad: usize, k: f64): f64 {
  const xd = <f64>x, td = <f64>t;
  const e = Math.exp(-Math.abs(xd));
  const sp = Math.max(-xd, 0) + Math.log1p(e);
  const sigma = xd >= 0 ? 1 / (1 + e) : e / (1 + e);
  const l = hasPw ? 1 + (pw - 1) * td : 1;
  const v = w * ((1 - td) * xd + l * sp);
  if (loss != 0) store<f32>(loss, <f32>v);
  if (grad != 0) store<f32>(grad, <f32>(k * w * ((1 - td) + l * (sigma - 1))));
  return v;
}

/**
 * Rows of logits x and targets t (rows × cols): per-row loss sums into rowLoss (f64), the
 * pointwise losses into pointwise (f32, when not 0), k·d loss/dx into grad (when not 0; k =
 * gradScale[i] per element when not 0, else gradScalar). weightElem: per-element weights (rows ×
 * cols, same layout); weightCol: per-column weights; posWeight: per column.
 */
export function bceWithLogitsRows(
  logits: usize, targets: usize, rows: i32, cols: i32, weightElem: usize, weightCol: usize, posWeight: usize,
  rowLoss: usize, pointwise: usize, grad: usize, gradScale: usize, gradScalar: f32,
): void {
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * (<usize>cols << 2);
    let sum: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1), zero = f32x4.splat(0);
      const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
      const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
      const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
      const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
      const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
      let acc = zero;
      for (; i + 4 <= cols; i += 4) {
        const o = base + (<usize>i << 2), oc = <usize>i << 2;
        const x = v128.load(logits + o), t = v128.load(targets + o);
        const ax = f32x4.abs(x);
        // Past ~1e30 float32 products lose what float64 keeps: those groups (and NaN) go scalar.
        if (!i32x4.all_true(f32x4.lt(ax, f32x4.splat(1e30)))) {
          for (let j = 0; j < 4; j++) {
            const oj = o + (<usize>j << 2), cj = oc + (<usize>j << 2);
            const w: f64 = (weightElem != 0 ? <f64>load<f32>(weightElem + oj) : 1) * (weightCol != 0 ? <f64>load<f32>(weightCol + cj) : 1);
            const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + oj) : <f64>gradScalar;
            sum += termScalar(load<f32>(logits + oj), load<f32>(targets + oj), w, posWeight != 0 ? <f64>load<f32>(posWeight + cj) : 1,
              posWeight != 0, pointwise != 0 ? pointwise + oj : 0, grad != 0 ? grad + oj : 0, k);
          }
          continue;
        }
        const e = expNonPositive4k(f32x4.neg(ax), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
        const sp = f32x4.add(f32x4.max(f32x4.neg(x), zero), log1pUnit4(e));
        const l = posWeight != 0 ? f32x4.add(one, f32x4.mul(f32x4.sub(v128.load(posWeight + oc), one), t)) : one;
        let w = weightElem != 0 ? v128.load(weightElem + o) : one;
        if (weightCol != 0) w = f32x4.mul(w, v128.load(weightCol + oc));
        const notT = f32x4.sub(one, t);
        const v = f32x4.mul(w, f32x4.add(f32x4.mul(notT, x), f32x4.mul(l, sp)));
        if (pointwise != 0) v128.store(pointwise + o, v);
        acc = f32x4.add(acc, v);
        if (grad != 0) {
          const inv = f32x4.div(one, f32x4.add(one, e));
          const sigma = v128.bitselect(inv, f32x4.mul(e, inv), f32x4.ge(x, zero));
          const k = gradScale != 0 ? v128.load(gradScale + o) : f32x4.splat(gradScalar);
          v128.store(grad + o, f32x4.mul(f32x4.mul(k, w), f32x4.add(notT, f32x4.mul(l, f32x4.sub(sigma, one)))));
        }
      }
      sum += <f64>hsum4(acc);
    }
    for (; i < cols; i++) {
      const o = base + (<usize>i << 2), oc = <usize>i << 2;
      const w: f64 = (weightElem != 0 ? <f64>load<f32>(weightElem + o) : 1) * (weightCol != 0 ? <f64>load<f32>(weightCol + oc) : 1);
      const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + o) : <f64>gradScalar;
      sum += termScalar(load<f32>(logits + o), load<f32>(targets + o), w, posWeight != 0 ? <f64>load<f32>(posWeight + oc) : 1,
        posWeight != 0, pointwise != 0 ? pointwise + o : 0, grad != 0 ? grad + o : 0, k);
    }
    store<f64>(rowLoss + (<usize>r << 3), sum);
  }
}

