// Gaussian negative log-likelihood, exactly F.gaussian_nll_loss(input, target, var, full, eps):
//   v = max(var, eps)   (clamped without a gradient of its own, as PyTorch clamps under no_grad)
//   loss = ½·(log v + (input − target)²/v) [+ ½·log 2π when full]
//   d/dinput = (input − target)/v,   d/dvar = ½·(1/v − (input − target)²/v²)
// Element by element: in f32 lanes (a block with anything they do not cover is redone in
// float64), or in float64. `var` holds one value per element, or one per row (varPerRow): then
// its gradient is the row's sum. Per-row loss sums into rowLoss (f64, f32 lanes folded every
// BLOCK elements).
import { hsum4, LOG_CONSTANTS, logNormal4k } from "./math";

// @ts-ignore: decorator
@inline const BLOCK = 1024;

export function gaussianNllRows(
  input: usize, target: usize, variance: usize, rows: i32, cols: i32, varPerRow: i32, eps: f64, full: i32,
  rowLoss: usize, pointwise: usize, gradInput: usize, gradVar: usize, gradScale: usize, gradScalar: f32,
): void {
  const halfLog2Pi: f64 = full != 0 ? 0.5 * Math.log(2 * Math.PI) : 0;
  const vector = ASC_FEATURE_SIMD && gradScale == 0 && <f32>eps >= 1.1754943508222875e-38;
  // The vector pass redoes a block in float64 when it has a value it does not cover, from the
  // block's inputs: losses written over the input wait until the block is known to be covered.
  const deferLosses = pointwise == input;
  for (let r = 0; r < rows; r++) {
    let sum: f64 = 0, varSum: f64 = 0;
    let c = 0;
    if (vector) {
      const c0 = v128.load32_splat(LOG_CONSTANTS), c1 = v128.load32_splat(LOG_CONSTANTS, 4);
      const c2 = v128.load32_splat(LOG_CONSTANTS, 8), c3 = v128.load32_splat(LOG_CONSTANTS, 12);
      const c4 = v128.load32_splat(LOG_CONSTANTS, 16), c5 = v128.load32_splat(LOG_CONSTANTS, 20);
      const c6 = v128.load32_splat(LOG_CONSTANTS, 24), c7 = v128.load32_splat(LOG_CONSTANTS, 28);
      const c8 = v128.load32_splat(LOG_CONSTANTS, 32);
      const epsv = f32x4.splat(<f32>eps), half = f32x4.splat(0.5), h = f32x4.splat(<f32>halfLog2Pi);
      const k = f32x4.splat(gradScalar), halfK = f32x4.splat(0.5 * gradScalar), one = f32x4.splat(1);
      const rowVar = varPerRow != 0 ? v128.load32_splat(variance + (<usize>r << 2)) : one;
      while (c + 4 <= cols) {
        const start = c, end = min(cols, c + BLOCK);
        let acc = f32x4.splat(0), dvAcc = f32x4.splat(0), finite = f32x4.splat(0);
        for (; c + 4 <= end; c += 4) {
          const o = (<usize>r * <usize>cols + <usize>c) << 2;
          // v = max(var, eps) (NaN stays NaN), covered when a positive normal finite float.
          const v = f32x4.max(varPerRow != 0 ? rowVar : v128.load(variance + o), epsv);
          const uncovered = v128.not(i32x4.lt_u(i32x4.sub(v, i32x4.splat(0x00800000)), i32x4.splat(0x7F000000)));
          const d = f32x4.sub(v128.load(input + o), v128.load(target + o));
          const inv = f32x4.div(one, v);
          const q = f32x4.mul(f32x4.mul(d, d), inv); // (input − target)²/v
          const term = gaussianTerm4(v, q, half, h, c0, c1, c2, c3, c4, c5, c6, c7, c8);
          acc = f32x4.add(acc, v128.or(term, uncovered)); // NaN in an uncovered lane
          if (pointwise != 0 && !deferLosses) v128.store(pointwise + o, term);
          // The gradients are finite in f32 or the block is redone (an f32 product can overflow
          // where float64's is a finite f32): x − x is NaN exactly for infinities and NaN.
          if (gradInput != 0) {
            const gi = f32x4.mul(k, f32x4.mul(d, inv));
            v128.store(gradInput + o, gi);
            finite = f32x4.add(finite, f32x4.sub(gi, gi));
          }
          if (gradVar != 0) {
            const dv = f32x4.mul(halfK, f32x4.mul(inv, f32x4.sub(one, q))); // ½k·(1/v − d²/v²)
            if (varPerRow != 0) dvAcc = f32x4.add(dvAcc, dv);
            else {
              v128.store(gradVar + o, dv);
              finite = f32x4.add(finite, f32x4.sub(dv, dv));
            }
          }
        }
        const blockSum = hsum4(acc), blockVar = hsum4(dvAcc);
        if (blockSum - blockSum == 0 && blockVar - blockVar == 0 && !v128.any_true(f32x4.ne(finite, finite))) {
          sum += <f64>blockSum;
          varSum += <f64>blockVar;
          if (deferLosses) {
            // The same operations again, now that the input may be overwritten.
            for (let j = start; j < c; j += 4) {
              const o = (<usize>r * <usize>cols + <usize>j) << 2;
              const v = f32x4.max(varPerRow != 0 ? rowVar : v128.load(variance + o), epsv);
              const d = f32x4.sub(v128.load(input + o), v128.load(target + o));
              const q = f32x4.mul(f32x4.mul(d, d), f32x4.div(one, v));
              v128.store(pointwise + o, gaussianTerm4(v, q, half, h, c0, c1, c2, c3, c4, c5, c6, c7, c8));
            }
          }
        } else {
          // A variance the vector pass does not cover, a special value or an f32 overflow.
          for (let j = start; j < c; j++) {
            const dv = gaussianTerm(input, target, variance, r, j, cols, varPerRow, eps, halfLog2Pi, pointwise, gradInput, gradVar, gradScale, gradScalar);
            sum += lastTerm;
            varSum += dv;
          }
        }
      }
    }
    for (; c < cols; c++) {
      const dv = gaussianTerm(input, target, variance, r, c, cols, varPerRow, eps, halfLog2Pi, pointwise, gradInput, gradVar, gradScale, gradScalar);
      sum += lastTerm;
      varSum += dv;
    }
    if (gradVar != 0 && varPerRow != 0) store<f32>(gradVar + (<usize>r << 2), <f32>varSum);
    store<f64>(rowLoss + (<usize>r << 3), sum);
  }
}

/** ½·(log v + q) + h on four lanes (q = (input − target)²/v, h = ½·log 2π or 0). */
// @ts-ignore: decorator
@inline function gaussianTerm4(
  v: v128, q: v128, half: v128, h: v128, c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, c7: v128, c8: v128,
): v128 {
  return f32x4.add(f32x4.mul(half, f32x4.add(logNormal4k(v, c0, c1, c2, c3, c4, c5, c6, c7, c8), q)), h);
}

// gaussianTerm's loss term (a second result).
let lastTerm: f64 = 0;

/**
 * Element (r, c) in float64: stores its loss and gradients where asked (the variance gradient
 * only per element), leaves the loss term in lastTerm, returns d loss/d var.
 */
function gaussianTerm(
  input: usize, target: usize, variance: usize, r: i32, c: i32, cols: i32, varPerRow: i32, eps: f64, halfLog2Pi: f64,
  pointwise: usize, gradInput: usize, gradVar: usize, gradScale: usize, gradScalar: f32,
): f64 {
  const o = (<usize>r * <usize>cols + <usize>c) << 2;
  const vo = varPerRow != 0 ? <usize>r << 2 : o;
  const v = Math.max(<f64>load<f32>(variance + vo), eps);
  const d = <f64>load<f32>(input + o) - <f64>load<f32>(target + o);
  const term = 0.5 * (Math.log(v) + d * d / v) + halfLog2Pi;
  lastTerm = term;
  if (pointwise != 0) store<f32>(pointwise + o, <f32>term);
  const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + o) : <f64>gradScalar;
  if (gradInput != 0) store<f32>(gradInput + o, <f32>(k * d / v));
  const dv = k * 0.5 * (1 / v - d * d / (v * v));
  if (gradVar != 0 && varPerRow == 0) store<f32>(gradVar + o, <f32>dv);
  return dv;
}
