// The normal distribution's log density and density, element by element, in float64:
// log N(x; μ, σ²) = −(x − μ)²/(2σ²) − log σ − log √(2π). `logNorm` = log σ + log √(2π).

/** dst[i] = log N(src[i]; mean, std²) (or its exp when `density` is 1), f32 in and out. */
export function normalLogPdfArray(src: usize, dst: usize, n: i32, mean: f64, std: f64, logNorm: f64, density: i32): void {
  const inv = 1 / std;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = (<f64>load<f32>(src + o) - mean) * inv;
    const logPdf = -0.5 * d * d - logNorm;
    store<f32>(dst + o, <f32>(density != 0 ? Math.exp(logPdf) : logPdf));
  }
}
