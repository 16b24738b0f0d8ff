// Gaussian negative log-likelihood, exactly F.gaussian_nll_loss(input, target, var, full, eps):
//   v = max(var, eps)   (clamped without a gradient of its own, as PyTorch clamps under no_grad)
//   loss = ½·(log v + (input − target)²/v) [+ ½·log 2π when full]
//   d/dinput = (input − target)/v,   d/dvar = ½·(1/v − (input − target)²/v²)
// Element by element in float64. `var` holds one value per element, or one per row (varPerRow):
// then its gradient is the row's sum. Per-row loss sums into rowLoss (f64).
export function gaussianNllRows(
  input: usize, target: usize, variance: usize, rows: i32, cols: i32, varPerRow: i32, eps: f64, full: i32,
  rowLoss: usize, pointwise: usize, gradInput: usize, gradVar: usize, gradScale: usize, gradScalar: f32,
): void {
  const halfLog2Pi: f64 = full != 0 ? 0.5 * Math.log(2 * Math.PI) : 0;
  for (let r = 0; r < rows; r++) {
    let sum: f64 = 0, varSum: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const o = (<usize>r * <usize>cols + <usize>c) << 2;
      const vo = varPerRow != 0 ? <usize>r << 2 : o;
      const v = Math.max(<f64>load<f32>(variance + vo), eps);
      const d = <f64>load<f32>(input + o) - <f64>load<f32>(target + o);
      const term = 0.5 * (Math.log(v) + d * d / v) + halfLog2Pi;
      sum += term;
      if (pointwise != 0) store<f32>(pointwise + o, <f32>term);
      const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + o) : <f64>gradScalar;
      if (gradInput != 0) store<f32>(gradInput + o, <f32>(k * d / v));
      const dv = k * 0.5 * (1 / v - d * d / (v * v));
      if (gradVar != 0) {
        if (varPerRow != 0) varSum += dv;
        else store<f32>(gradVar + o, <f32>dv);
      }
    }
    if (gradVar != 0 && varPerRow != 0) store<f32>(gradVar + (<usize>r << 2), <f32>varSum);
    store<f64>(rowLoss + (<usize>r << 3), sum);
  }
}
