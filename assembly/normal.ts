// The normal distribution's log density and density, element by element:
// log N(x; μ, σ²) = −(x − μ)²/(2σ²) − log σ − log √(2π). `logNorm` = log σ + log √(2π).
// The log density in float64 (two lanes at a time in SIMD builds: the same bits); the density
// there as exp(−d²/2)·(1/(σ√(2π))) with an f32 exp of the float64 argument (exp(−logNorm) may
// exceed 1, so it is a factor, not part of the exponent).
import { EXP_CONSTANTS, expNonPositive4k } from "./math";

/** dst[i] = log N(src[i]; mean, std²) (or its exp when `density` is 1), f32 in and out. */
export function normalLogPdfArray(src: usize, dst: usize, n: i32, mean: f64, std: f64, logNorm: f64, density: i32): void {
  const inv = 1 / std;
  let i = 0;
  // The density's factor must be a normal f32 (σ far from 1e±38); else the float64 loop.
  const factor = Math.exp(-logNorm);
  if (ASC_FEATURE_SIMD && (density == 0 || (factor >= 1.1754943508222875e-38 && factor <= 3.4028234663852886e38))) {
    const vmean = f64x2.splat(mean), vinv = f64x2.splat(inv), minusHalf = f64x2.splat(-0.5), vlogNorm = f64x2.splat(logNorm);
    const norm = f32x4.splat(<f32>factor);
    const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
    const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
    const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
    const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
    const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(src + o);
      const dLo = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(x), vmean), vinv);
      const dHi = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1)), vmean), vinv);
      const aLo = f64x2.mul(minusHalf, f64x2.mul(dLo, dLo)), aHi = f64x2.mul(minusHalf, f64x2.mul(dHi, dHi));
      if (density == 0) {
        const lo = f32x4.demote_f64x2_zero(f64x2.sub(aLo, vlogNorm)), hi = f32x4.demote_f64x2_zero(f64x2.sub(aHi, vlogNorm));
        v128.store(dst + o, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
      } else {
        // −d²/2 ≤ 0 (or NaN), as an f32 argument; flushed to 0 below the least normal result.
        const a = v128.shuffle<f32>(f32x4.demote_f64x2_zero(aLo), f32x4.demote_f64x2_zero(aHi), 0, 1, 4, 5);
        v128.store(dst + o, f32x4.mul(expNonPositive4k(a, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true), norm));
      }
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = (<f64>load<f32>(src + o) - mean) * inv;
    const logPdf = -0.5 * d * d - logNorm;
    store<f32>(dst + o, <f32>(density != 0 ? Math.exp(logPdf) : logPdf));
  }
}
