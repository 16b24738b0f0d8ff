// KL divergence, exactly F.kl_div(input, target, reduction, log_target): input holds
// log-probabilities; pointwise
//   log_target false: xlogy(t, t) − t·x      (t = 0 gives 0 − 0·x: 0, or NaN when x = −Infinity)
//   log_target true:  exp(t)·(t − x)
// and d/dx = −t (resp. −exp(t)). docs/semantics.md §2.8. Per-row sums in float64 (f32 lanes
// folded every BLOCK elements); pointwise values and the gradient optionally stored.
import { EXP_CONSTANTS, expNonPositive4k, hsum4, LOG_CONSTANTS, logNormal4k } from "./math";

// @ts-ignore: decorator
@inline const BLOCK = 1024;

/** klDivRows' scratch: one block of the input, kept while an in-place block is checked. */
export const KL_SCRATCH_BYTES = BLOCK << 2;

/** One pointwise term in float64, for tails and for lanes the vector path does not cover. */
function klTerm(x: f32, t: f32, logTarget: bool): f64 {
  const xd = <f64>x, td = <f64>t;
  if (logTarget) return Math.exp(td) * (td - xd);
  const xlogy = td == 0 ? 0 : td * Math.log(td); // NaN for t < 0 (log of a negative), as PyTorch
  return xlogy - td * xd;
}

/** d term / dx in float64: −t, or −exp(t). */
// @ts-ignore: decorator
@inline function klSlope(t: f32, logTarget: bool): f64 {
  return logTarget ? -Math.exp(<f64>t) : -<f64>t;
}

/**
 * The element at byte offset o in float64: its term into pointwise and k·d/dx into grad (each
 * when not 0); returns the term. x is its input (read by the caller: a redone block's may come
 * from scratch).
 */
function klElement(x: f32, target: usize, pointwise: usize, grad: usize, gradScale: usize, gradScalar: f32, o: usize, logTarget: bool): f64 {
  const t = load<f32>(target + o);
  const v = klTerm(x, t, logTarget);
  if (pointwise != 0) store<f32>(pointwise + o, <f32>v);
  if (grad != 0) {
    const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + o) : <f64>gradScalar;
    store<f32>(grad + o, <f32>(klSlope(t, logTarget) * k));
  }
  return v;
}

/** t·ln t − t·x on four lanes (t·ln t is 0 where t = +0: ln gives a finite value there). */
// @ts-ignore: decorator
@inline function klTerm4(x: v128, t: v128, c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, c7: v128, c8: v128): v128 {
  return klTermFromLog4(x, t, logNormal4k(t, c0, c1, c2, c3, c4, c5, c6, c7, c8));
}

/** klTerm4 given logT = logNormal4(t). */
// @ts-ignore: decorator
@inline function klTermFromLog4(x: v128, t: v128, logT: v128): v128 {
  return f32x4.sub(f32x4.mul(t, logT), f32x4.mul(t, x));
}

/** All ones in lanes whose t klTerm4 does not cover: negative or subnormal (as signed bits below the least normal, but not +0). */
// @ts-ignore: decorator
@inline function klUncoveredTarget4(t: v128): v128 {
  return v128.andnot(i32x4.lt_s(t, i32x4.splat(0x00800000)), i32x4.eq(t, i32x4.splat(0)));
}

/**
 * All ones in lanes whose log target klDivRows' vector pass does not cover: below the least
 * argument whose exp is a normal float (`cutoff`, DENORM_CUTOFF), above 0, or NaN.
 */
// @ts-ignore: decorator
@inline function klUncoveredLogTarget4(t: v128, cutoff: v128): v128 {
  return v128.not(v128.and(f32x4.ge(t, cutoff), f32x4.le(t, f32x4.splat(0))));
}

/** k·(−p) on four lanes (p = t, or exp(t) for log targets), k per element (gradScale) or negK = −gradScalar. */
// @ts-ignore: decorator
@inline function klGrad4(p: v128, gradScale: usize, o: usize, negK: v128): v128 {
  return gradScale != 0 ? f32x4.neg(f32x4.mul(p, v128.load(gradScale + o))) : f32x4.mul(p, negK);
}

/** Four groups' terms into pointwise and k·(−p) into grad (each when not 0), from byte offset o. */
// @ts-ignore: decorator
@inline function klStore16(
  pointwise: usize, grad: usize, gradScale: usize, o: usize, negK: v128,
  m0: v128, m1: v128, m2: v128, m3: v128, p0: v128, p1: v128, p2: v128, p3: v128,
): void {
  if (pointwise != 0) {
    v128.store(pointwise + o, m0); v128.store(pointwise + o, m1, 16);
    v128.store(pointwise + o, m2, 32); v128.store(pointwise + o, m3, 48);
  }
  if (grad != 0) {
    v128.store(grad + o, klGrad4(p0, gradScale, o, negK)); v128.store(grad + o + 16, klGrad4(p1, gradScale, o + 16, negK));
    v128.store(grad + o + 32, klGrad4(p2, gradScale, o + 32, negK)); v128.store(grad + o + 48, klGrad4(p3, gradScale, o + 48, negK));
  }
}

/** Sixteen inputs kept at `at` (an in-place block's copy in scratch). */
// @ts-ignore: decorator
@inline function keep16(at: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  v128.store(at, x0); v128.store(at, x1, 16); v128.store(at, x2, 32); v128.store(at, x3, 48);
}

/**
 * KL pointwise terms of `rows` rows: their sums per row into rowLoss (f64), the terms into
 * pointwise (f32, when not 0), and k·d/dx into grad (f32, when not 0) with k = gradScale[i]
 * (f32 per element, when not 0) or gradScalar. scratch: BLOCK floats (KL_SCRATCH_BYTES).
 */
export function klDivRows(
  input: usize, target: usize, rows: i32, cols: i32, logTarget: i32,
  rowLoss: usize, pointwise: usize, grad: usize, gradScale: usize, gradScalar: f32, scratch: usize,
): void {
  const log = logTarget != 0;
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * (<usize>cols << 2);
    let sum: f64 = 0;
    let i = 0;
    // With an output written over the input (in place), the block's inputs are kept in scratch
    // as they are read, so that an uncovered block can be redone from them (no scratch given:
    // float64 throughout, never a write outside the operands).
    const inPlace = pointwise == input || grad == input;
    if (ASC_FEATURE_SIMD && (!inPlace || scratch != 0)) {
      // Constants in locals, loaded once (see EXP_CONSTANTS in math.ts).
      const c0 = v128.load32_splat(LOG_CONSTANTS), c1 = v128.load32_splat(LOG_CONSTANTS, 4);
      const c2 = v128.load32_splat(LOG_CONSTANTS, 8), c3 = v128.load32_splat(LOG_CONSTANTS, 12);
      const c4 = v128.load32_splat(LOG_CONSTANTS, 16), c5 = v128.load32_splat(LOG_CONSTANTS, 20);
      const c6 = v128.load32_splat(LOG_CONSTANTS, 24), c7 = v128.load32_splat(LOG_CONSTANTS, 28);
      const c8 = v128.load32_splat(LOG_CONSTANTS, 32);
      const negK = f32x4.splat(-gradScalar);
      while (i + 4 <= cols) {
        const start = i, end = min(cols, i + BLOCK);
        let acc = f32x4.splat(0);
        if (log) {
          // Log targets: p = exp(t) (exp of t ≤ 0, so t from the least argument whose exp is a
          // normal float up to 0; any other t, NaN included, leaves the block to float64), the
          // term p·(t − x) and the gradient −p·k. Constants loaded per block (only this path).
          const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
          const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
          const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
          const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
          const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
          for (; i + 16 <= end; i += 16) {
            const o = base + (<usize>i << 2);
            const t0 = v128.load(target + o), t1 = v128.load(target + o, 16), t2 = v128.load(target + o, 32), t3 = v128.load(target + o, 48);
            const x0 = v128.load(input + o), x1 = v128.load(input + o, 16), x2 = v128.load(input + o, 32), x3 = v128.load(input + o, 48);
            if (inPlace) keep16(scratch + (<usize>(i - start) << 2), x0, x1, x2, x3);
            const p0 = expNonPositive4k(t0, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
            const p1 = expNonPositive4k(t1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
            const p2 = expNonPositive4k(t2, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
            const p3 = expNonPositive4k(t3, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
            const m0 = f32x4.mul(p0, f32x4.sub(t0, x0)), m1 = f32x4.mul(p1, f32x4.sub(t1, x1));
            const m2 = f32x4.mul(p2, f32x4.sub(t2, x2)), m3 = f32x4.mul(p3, f32x4.sub(t3, x3));
            const u = v128.or(v128.or(klUncoveredLogTarget4(t0, k9), klUncoveredLogTarget4(t1, k9)), v128.or(klUncoveredLogTarget4(t2, k9), klUncoveredLogTarget4(t3, k9)));
            acc = f32x4.add(acc, v128.or(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), u)); // NaN in an uncovered lane
            klStore16(pointwise, grad, gradScale, o, negK, m0, m1, m2, m3, p0, p1, p2, p3);
          }
          for (; i + 4 <= end; i += 4) {
            const o = base + (<usize>i << 2);
            const x = v128.load(input + o), t = v128.load(target + o);
            if (inPlace) v128.store(scratch + (<usize>(i - start) << 2), x);
            const p = expNonPositive4k(t, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, false);
            const term = f32x4.mul(p, f32x4.sub(t, x));
            acc = f32x4.add(acc, v128.or(term, klUncoveredLogTarget4(t, k9))); // NaN in an uncovered lane
            if (pointwise != 0) v128.store(pointwise + o, term);
            if (grad != 0) v128.store(grad + o, klGrad4(p, gradScale, o, negK));
          }
        } else {
          // Four groups at a time, interleaved stage by stage: one group's chain (a division, then
          // the series) is too long for the processor to overlap enough groups on its own.
          for (; i + 16 <= end; i += 16) {
            const o = base + (<usize>i << 2);
            const t0 = v128.load(target + o), t1 = v128.load(target + o, 16), t2 = v128.load(target + o, 32), t3 = v128.load(target + o, 48);
            const l0 = logNormal4k(t0, c0, c1, c2, c3, c4, c5, c6, c7, c8), l1 = logNormal4k(t1, c0, c1, c2, c3, c4, c5, c6, c7, c8);
            const l2 = logNormal4k(t2, c0, c1, c2, c3, c4, c5, c6, c7, c8), l3 = logNormal4k(t3, c0, c1, c2, c3, c4, c5, c6, c7, c8);
            const x0 = v128.load(input + o), x1 = v128.load(input + o, 16), x2 = v128.load(input + o, 32), x3 = v128.load(input + o, 48);
            if (inPlace) keep16(scratch + (<usize>(i - start) << 2), x0, x1, x2, x3);
            const m0 = klTermFromLog4(x0, t0, l0), m1 = klTermFromLog4(x1, t1, l1);
            const m2 = klTermFromLog4(x2, t2, l2), m3 = klTermFromLog4(x3, t3, l3);
            const u = v128.or(v128.or(klUncoveredTarget4(t0), klUncoveredTarget4(t1)), v128.or(klUncoveredTarget4(t2), klUncoveredTarget4(t3)));
            acc = f32x4.add(acc, v128.or(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), u)); // NaN in an uncovered lane
            klStore16(pointwise, grad, gradScale, o, negK, m0, m1, m2, m3, t0, t1, t2, t3);
          }
          for (; i + 4 <= end; i += 4) {
            const o = base + (<usize>i << 2);
            const x = v128.load(input + o), t = v128.load(target + o);
            if (inPlace) v128.store(scratch + (<usize>(i - start) << 2), x);
            const term = klTerm4(x, t, c0, c1, c2, c3, c4, c5, c6, c7, c8);
            acc = f32x4.add(acc, v128.or(term, klUncoveredTarget4(t))); // NaN in an uncovered lane
            if (pointwise != 0) v128.store(pointwise + o, term);
            if (grad != 0) v128.store(grad + o, klGrad4(t, gradScale, o, negK));
          }
        }
        const blockSum = hsum4(acc);
        if (blockSum - blockSum == 0) {
          // Covered: every t is in the vector formula's range and the f32 lane sums are finite.
          sum += <f64>blockSum;
        } else {
          // A special value, an uncovered target or an f32 overflow: the whole block in float64.
          for (let j = start; j < i; j++) {
            const o = base + (<usize>j << 2);
            const x = inPlace ? load<f32>(scratch + (<usize>(j - start) << 2)) : load<f32>(input + o);
            sum += klElement(x, target, pointwise, grad, gradScale, gradScalar, o, log);
          }
        }
      }
    }
    for (; i < cols; i++) {
      const o = base + (<usize>i << 2);
      sum += klElement(load<f32>(input + o), target, pointwise, grad, gradScale, gradScalar, o, log);
    }
    store<f64>(rowLoss + (<usize>r << 3), sum);
  }
}
