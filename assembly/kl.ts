// KL divergence, exactly F.kl_div(input, target, reduction, log_target): input holds
// log-probabilities; pointwise
//   log_target false: xlogy(t, t) − t·x      (t = 0 gives 0 − 0·x: 0, or NaN when x = −Infinity)
//   log_target true:  exp(t)·(t − x)
// and d/dx = −t (resp. −exp(t)). docs/semantics.md §2.8. Per-row sums in float64 (f32 lanes
// folded every BLOCK elements); pointwise values and the gradient optionally stored.
import { hsum4, logNormal4 } from "./math";

// @ts-ignore: decorator
@inline const BLOCK = 1024;

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
 * KL pointwise terms of `rows` rows: their sums per row into rowLoss (f64), the terms into
 * pointwise (f32, when not 0), and k·d/dx into grad (f32, when not 0) with k = gradScale[i]
 * (f32 per element, when not 0) or gradScalar.
 */
export function klDivRows(
  input: usize, target: usize, rows: i32, cols: i32, logTarget: i32,
  rowLoss: usize, pointwise: usize, grad: usize, gradScale: usize, gradScalar: f32,
): void {
  const log = logTarget != 0;
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * (<usize>cols << 2);
    let sum: f64 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD && !log) {
      const zero = f32x4.splat(0);
      const smallest = f32x4.splat(1.1754943508222875e-38); // the least positive normal float
      const largest = f32x4.splat(3.4028234663852886e38);
      while (i + 4 <= cols) {
        const end = min(cols, i + BLOCK);
        let acc = zero;
        for (; i + 4 <= end; i += 4) {
          const o = base + (<usize>i << 2);
          const x = v128.load(input + o), t = v128.load(target + o);
          // Lanes the vector formula covers: t = 0 or a normal positive float, |x| ≤ 1e30 (beyond,
          // float32 lane sums of t·x could overflow where the float64 sum does not).
          const normal = v128.and(f32x4.ge(t, smallest), f32x4.le(t, largest));
          const covered = v128.and(v128.or(normal, f32x4.eq(t, zero)), f32x4.le(f32x4.abs(x), f32x4.splat(1e30)));
          let term: v128;
          if (i32x4.all_true(covered)) {
            const xlogy = v128.and(f32x4.mul(t, logNormal4(t)), normal); // 0 where t = 0
            term = f32x4.sub(xlogy, f32x4.mul(t, x));
            if (pointwise != 0) v128.store(pointwise + o, term);
            acc = f32x4.add(acc, term);
          } else {
            // A special value in the group: each lane in float64, added to the row sum directly.
            for (let j = 0; j < 4; j++) {
              const oj = o + (<usize>j << 2);
              const v = klTerm(load<f32>(input + oj), load<f32>(target + oj), false);
              if (pointwise != 0) store<f32>(pointwise + oj, <f32>v);
              sum += v;
            }
          }
          if (grad != 0) {
            const k = gradScale != 0 ? v128.load(gradScale + o) : f32x4.splat(gradScalar);
            v128.store(grad + o, f32x4.mul(f32x4.neg(t), k));
          }
        }
        sum += <f64>hsum4(acc);
      }
    }
    for (; i < cols; i++) {
      const o = base + (<usize>i << 2);
      const t = load<f32>(target + o);
      const v = klTerm(load<f32>(input + o), t, log);
      if (pointwise != 0) store<f32>(pointwise + o, <f32>v);
      sum += v;
      if (grad != 0) {
        const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + o) : <f64>gradScalar;
        store<f32>(grad + o, <f32>(klSlope(t, log) * k));
      }
    }
    store<f64>(rowLoss + (<usize>r << 3), sum);
  }
}
