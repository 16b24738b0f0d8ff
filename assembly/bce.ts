// binary_cross_entropy_with_logits, element by element, PyTorch's stable form:
//   L = 1 + (posWeight − 1)·t,   loss = w·[(1 − t)·x + L·softplus(−x)],
//   softplus(−x) = max(−x, 0) + log1p(exp(−|x|)),
//   d loss / dx = w·[(1 − t) + L·(σ(x) − 1)] = w·[L·σ(x) − posWeight·t]   (computed in the second form, PyTorch's),
// with σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0, e = exp(−|x|) (never overflows).
// Stable for |x| up to 3e38. Weights: per element (a row operand) or per column (fixed), posWeight
// per column (fixed); 0 = none. Per-row sums in float64 (f32 lanes folded every BLOCK elements).
import { EXP_CONSTANTS, expNonPositive4k, hsum4, madd4 } from "./math";

// f32 lanes are folded into the row's float64 sum every BLOCK elements.
// @ts-ignore: decorator
@inline const BLOCK = 1024;

/** bceWithLogitsRows' scratch: one block of logits, kept while an in-place block is checked. */
export const BCE_SCRATCH_BYTES = BLOCK << 2;

// log1pUnit4k's constants (see EXP_CONSTANTS in math.ts): 2, then 2/13, 2/11, 2/9, 2/7, 2/5, 2/3.
const LOG1P_CONSTANTS = memory.data<f32>([2, 0.15384615384615385, 0.18181818181818182, 0.2222222222222222, 0.2857142857142857, 0.4, 0.6666666666666666]);

/**
 * log1p(e) for e in [0, 1] (lanes), as 2·atanh(s) with s = e/(2 + e) (without forming 1 + e,
 * which would lose the low bits of a small e): s ≤ 1/3, so the series 2s + s³·(2/3 + s²·(2/5 +
 * s²·(2/7 + s²·(2/9 + s²·(2/11 + s²·2/13))))) leaves out less than 1.5e-8 relative (one more
 * term than logNormal4: s reaches 1/3 here). One division, six multiply-adds, no select.
 */
// @ts-ignore: decorator
@inline function log1pUnit4k(e: v128, two: v128, q13: v128, q11: v128, q9: v128, q7: v128, q5: v128, q3: v128): v128 {
  const s = f32x4.div(e, f32x4.add(e, two));
  const z = f32x4.mul(s, s);
  let p = madd4(q13, z, q11);
  p = madd4(p, z, q9);
  p = madd4(p, z, q7);
  p = madd4(p, z, q5);
  p = madd4(p, z, q3);
  return madd4(f32x4.mul(s, z), p, f32x4.add(s, s));
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
  // L·σ − posWeight·t, PyTorch's form (σ − t without posWeight): (1 − t) + L·(σ − 1), equal in
  // exact arithmetic, cancels to 0 where σ is tiny.
  if (grad != 0) store<f32>(grad, <f32>(k * w * (hasPw ? l * sigma - pw * td : sigma - td)));
  return v;
}

/**
 * Element c of the row at byte offset base, in float64 (termScalar) with its weights, posWeight
 * and gradient factor; x is its logit (read by the caller: a redone block's may come from scratch).
 */
function bceElement(
  x: f32, targets: usize, weightElem: usize, weightCol: usize, posWeight: usize, pointwise: usize, grad: usize,
  gradScale: usize, gradScalar: f32, base: usize, c: i32,
): f64 {
  const o = base + (<usize>c << 2), oc = <usize>c << 2;
  const w: f64 = (weightElem != 0 ? <f64>load<f32>(weightElem + o) : 1) * (weightCol != 0 ? <f64>load<f32>(weightCol + oc) : 1);
  const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + o) : <f64>gradScalar;
  return termScalar(x, load<f32>(targets + o), w, posWeight != 0 ? <f64>load<f32>(posWeight + oc) : 1,
    posWeight != 0, pointwise != 0 ? pointwise + o : 0, grad != 0 ? grad + o : 0, k);
}

/** e = exp(−|x|) on four lanes, with the exp constants passed in. */
// @ts-ignore: decorator
@inline function expMinusAbs4(x: v128, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128, k9: v128): v128 {
  return expNonPositive4k(f32x4.neg(f32x4.abs(x)), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
}

/** softplus(−x) = max(−x, 0) + log1p(e) (pmax, one instruction, is exact: x is never NaN here). */
// @ts-ignore: decorator
@inline function softplusNeg4(x: v128, e: v128, l0: v128, l1: v128, l2: v128, l3: v128, l4: v128, l5: v128, l6: v128): v128 {
  return f32x4.add(f32x4.pmax(f32x4.splat(0), f32x4.neg(x)), log1pUnit4k(e, l0, l1, l2, l3, l4, l5, l6));
}

/** σ(x) on four lanes: 1/(1 + e) for x ≥ 0, e/(1 + e) below. */
// @ts-ignore: decorator
@inline function sigmoid4(x: v128, e: v128): v128 {
  const inv = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(inv, f32x4.mul(e, inv), f32x4.ge(x, f32x4.splat(0)));
}

/**
 * Four elements at byte offset o (column offset oc), any weights: stores the pointwise losses and
 * the gradient when asked; returns the losses, NaN in a lane the f32 formulas do not cover.
 * bceGroups4 does the same operations without weights.
 */
// @ts-ignore: decorator
@inline function bceGroup(
  logits: usize, targets: usize, weightElem: usize, weightCol: usize, posWeight: usize, pointwise: usize, grad: usize,
  gradScale: usize, kScalar: v128, limit: v128, o: usize, oc: usize,
  k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128, k9: v128,
  l0: v128, l1: v128, l2: v128, l3: v128, l4: v128, l5: v128, l6: v128,
): v128 {
  const one = f32x4.splat(1);
  const x = v128.load(logits + o), t = v128.load(targets + o);
  const e = expMinusAbs4(x, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
  const sp = softplusNeg4(x, e, l0, l1, l2, l3, l4, l5, l6);
  const pw = posWeight != 0 ? v128.load(posWeight + oc) : one;
  const l = posWeight != 0 ? f32x4.add(one, f32x4.mul(f32x4.sub(pw, one), t)) : one;
  let w = weightElem != 0 ? v128.load(weightElem + o) : one;
  if (weightCol != 0) w = f32x4.mul(w, v128.load(weightCol + oc));
  const notT = f32x4.sub(one, t);
  const v = f32x4.mul(w, f32x4.add(f32x4.mul(notT, x), f32x4.mul(l, sp)));
  if (pointwise != 0) v128.store(pointwise + o, v);
  const flagged = v128.or(v, uncoveredLogits4(x, limit));
  if (grad != 0) {
    const k = gradScale != 0 ? v128.load(gradScale + o) : kScalar;
    // L·σ − posWeight·t, or σ − t (see termScalar).
    const d = posWeight != 0 ? f32x4.sub(f32x4.mul(l, sigmoid4(x, e)), f32x4.mul(pw, t)) : f32x4.sub(sigmoid4(x, e), t);
    // k·w·d in float64: in f32, k·w can overflow where the whole product is a finite float
    // (with w = 1 the same bits as f32's k·d: a product of two floats rounded once).
    const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(k), f64x2.promote_low_f32x4(w)), f64x2.promote_low_f32x4(d)));
    const kh = v128.shuffle<f32>(k, k, 2, 3, 0, 1), wh = v128.shuffle<f32>(w, w, 2, 3, 0, 1), dh = v128.shuffle<f32>(d, d, 2, 3, 0, 1);
    const hi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(kh), f64x2.promote_low_f32x4(wh)), f64x2.promote_low_f32x4(dh)));
    v128.store(grad + o, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
  return flagged;
}

/**
 * All ones in lanes the f32 formulas do not cover: |x| ≥ 1e30 (past it float32 products lose
 * what float64 keeps) or NaN.
 */
// @ts-ignore: decorator
@inline function uncoveredLogits4(x: v128, limit: v128): v128 {
  return v128.not(f32x4.lt(f32x4.abs(x), limit));
}

/**
 * Sixteen elements from byte offset o without weights, posWeight or per-element gradOutput,
 * their (flagged) losses added to the lane sums acc (returned): bceGroup's operations for four groups, interleaved stage by stage (a chain of one exp, one
 * division-based log1p and one more division is too long for the processor to overlap enough
 * groups on its own: 1.36× in cache against one group at a time). The multiplications by a weight
 * of 1 that bceGroup does are left out; they are exact, so the bits are the same.
 */
// @ts-ignore: decorator
@inline function bceGroups4(
  acc: v128, logits: usize, targets: usize, pointwise: usize, grad: usize, k: v128, limit: v128, o: usize,
  k0: v128, k1: v128, k2: v128, k3: v128, k4: v128, k5: v128, k6: v128, k7: v128, k8: v128, k9: v128,
  l0: v128, l1: v128, l2: v128, l3: v128, l4: v128, l5: v128, l6: v128,
): v128 {
  const one = f32x4.splat(1);
  const x0 = v128.load(logits + o), x1 = v128.load(logits + o, 16), x2 = v128.load(logits + o, 32), x3 = v128.load(logits + o, 48);
  const e0 = expMinusAbs4(x0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9), e1 = expMinusAbs4(x1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
  const e2 = expMinusAbs4(x2, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9), e3 = expMinusAbs4(x3, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9);
  const t0 = v128.load(targets + o), t1 = v128.load(targets + o, 16), t2 = v128.load(targets + o, 32), t3 = v128.load(targets + o, 48);
  const n0 = f32x4.sub(one, t0), n1 = f32x4.sub(one, t1), n2 = f32x4.sub(one, t2), n3 = f32x4.sub(one, t3);
  const v0 = f32x4.add(f32x4.mul(n0, x0), softplusNeg4(x0, e0, l0, l1, l2, l3, l4, l5, l6));
  const v1 = f32x4.add(f32x4.mul(n1, x1), softplusNeg4(x1, e1, l0, l1, l2, l3, l4, l5, l6));
  const v2 = f32x4.add(f32x4.mul(n2, x2), softplusNeg4(x2, e2, l0, l1, l2, l3, l4, l5, l6));
  const v3 = f32x4.add(f32x4.mul(n3, x3), softplusNeg4(x3, e3, l0, l1, l2, l3, l4, l5, l6));
  if (pointwise != 0) {
    v128.store(pointwise + o, v0); v128.store(pointwise + o, v1, 16);
    v128.store(pointwise + o, v2, 32); v128.store(pointwise + o, v3, 48);
  }
  if (grad != 0) {
    v128.store(grad + o, f32x4.mul(k, f32x4.sub(sigmoid4(x0, e0), t0)));
    v128.store(grad + o, f32x4.mul(k, f32x4.sub(sigmoid4(x1, e1), t1)), 16);
    v128.store(grad + o, f32x4.mul(k, f32x4.sub(sigmoid4(x2, e2), t2)), 32);
    v128.store(grad + o, f32x4.mul(k, f32x4.sub(sigmoid4(x3, e3), t3)), 48);
  }
  const f0 = v128.or(v0, uncoveredLogits4(x0, limit)), f1 = v128.or(v1, uncoveredLogits4(x1, limit));
  const f2 = v128.or(v2, uncoveredLogits4(x2, limit)), f3 = v128.or(v3, uncoveredLogits4(x3, limit));
  // Added to the lane sums one group after another, as bceGroup's loop adds them: the same bits.
  return f32x4.add(f32x4.add(f32x4.add(f32x4.add(acc, f0), f1), f2), f3);
}

/**
 * Rows of logits x and targets t (rows × cols): per-row loss sums into rowLoss (f64), the
 * pointwise losses into pointwise (f32, when not 0), k·d loss/dx into grad (when not 0; k =
 * gradScale[i] per element when not 0, else gradScalar). weightElem: per-element weights (rows ×
 * cols, same layout); weightCol: per-column weights; posWeight: per column.
 */
export function bceWithLogitsRows(
  logits: usize, targets: usize, rows: i32, cols: i32, weightElem: usize, weightCol: usize, posWeight: usize,
  rowLoss: usize, pointwise: usize, grad: usize, gradScale: usize, gradScalar: f32, scratch: usize,
): void {
  // With an output written over the logits (in place), a block's logits are kept in scratch as
  // they are read, so that a block the f32 lanes do not cover can be redone from them (no
  // scratch given: float64 throughout, never a write outside the operands).
  const inPlace = pointwise == logits || grad == logits;
  const vector = ASC_FEATURE_SIMD && (!inPlace || scratch != 0);
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * (<usize>cols << 2);
    let sum: f64 = 0;
    let i = 0;
    if (vector) {
      // Constants in locals, loaded once (see EXP_CONSTANTS in math.ts).
      const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
      const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
      const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
      const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
      const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
      const l0 = v128.load32_splat(LOG1P_CONSTANTS), l1 = v128.load32_splat(LOG1P_CONSTANTS, 4);
      const l2 = v128.load32_splat(LOG1P_CONSTANTS, 8), l3 = v128.load32_splat(LOG1P_CONSTANTS, 12);
      const l4 = v128.load32_splat(LOG1P_CONSTANTS, 16), l5 = v128.load32_splat(LOG1P_CONSTANTS, 20);
      const l6 = v128.load32_splat(LOG1P_CONSTANTS, 24);
      const limit = f32x4.splat(1e30), k = f32x4.splat(gradScalar);
      const unweighted = weightElem == 0 && weightCol == 0 && posWeight == 0 && gradScale == 0;
      while (i + 4 <= cols) {
        // A block's groups run with no test and no call per group (a call makes the engine reload
        // every constant on each iteration); a lane the f32 formulas do not cover, or an f32
        // overflow, makes the block's sum NaN or infinite, and the block is redone in float64.
        const start = i, end = min(cols, i + BLOCK);
        let acc = f32x4.splat(0);
        if (unweighted) {
          for (; i + 16 <= end; i += 16) {
            const o = base + (<usize>i << 2);
            if (inPlace) {
              const kept = scratch + (<usize>(i - start) << 2);
              v128.store(kept, v128.load(logits + o)); v128.store(kept, v128.load(logits + o, 16), 16);
              v128.store(kept, v128.load(logits + o, 32), 32); v128.store(kept, v128.load(logits + o, 48), 48);
            }
            acc = bceGroups4(acc, logits, targets, pointwise, grad, k, limit, o, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, l0, l1, l2, l3, l4, l5, l6);
          }
        }
        for (; i + 4 <= end; i += 4) {
          const o = base + (<usize>i << 2), oc = <usize>i << 2;
          if (inPlace) v128.store(scratch + (<usize>(i - start) << 2), v128.load(logits + o));
          acc = f32x4.add(acc, bceGroup(logits, targets, weightElem, weightCol, posWeight, pointwise, grad, gradScale, k, limit, o, oc, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, l0, l1, l2, l3, l4, l5, l6));
        }
        const blockSum = hsum4(acc);
        if (blockSum - blockSum == 0) {
          sum += <f64>blockSum;
        } else {
          for (let j = start; j < i; j++) {
            const x = inPlace ? load<f32>(scratch + (<usize>(j - start) << 2)) : load<f32>(logits + base + (<usize>j << 2));
            sum += bceElement(x, targets, weightElem, weightCol, posWeight, pointwise, grad, gradScale, gradScalar, base, j);
          }
        }
      }
    }
    for (; i < cols; i++) {
      sum += bceElement(load<f32>(logits + base + (<usize>i << 2)), targets, weightElem, weightCol, posWeight, pointwise, grad, gradScale, gradScalar, base, i);
    }
    store<f64>(rowLoss + (<usize>r << 3), sum);
  }
}

