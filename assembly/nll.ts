// nll_loss over rows of log-probabilities: loss_n = −w[y]·input[n, y] (0 for ignored rows),
// gradient row = −k·w[y] at y and 0 elsewhere (k = gradOutput / D). Labels are checked where
// they are read (the kernel refuses a row, returning its index), as in crossentropy.ts.

/**
 * Per-row losses into lossOut (f64) and, when grad is not 0, the gradient rows (f32; grad may be
 * input itself: each row's input[y] is read before the row is written). Returns −1, or the first
 * row whose label is neither ignoreIndex nor in [0, cols).
 */
export function nllRows(
  input: usize, labels: usize, rows: i32, cols: i32, weight: usize, ignoreIndex: i32,
  lossOut: usize, grad: usize, gradScale: usize, gradScalar: f32,
): i32 {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const y = load<i32>(labels + (<usize>r << 2));
    const g = grad + <usize>r * stride;
    if (y == ignoreIndex) {
      store<f64>(lossOut + (<usize>r << 3), 0);
      if (grad != 0) memory.fill(g, 0, stride);
      continue;
    }
    if (<u32>y >= <u32>cols) return r;
    const w: f64 = weight != 0 ? <f64>load<f32>(weight + (<usize>y << 2)) : 1;
    const at = <usize>y << 2;
    store<f64>(lossOut + (<usize>r << 3), -(w * <f64>load<f32>(input + <usize>r * stride + at)));
    if (grad != 0) {
      const k: f64 = gradScale != 0 ? <f64>load<f32>(gradScale + (<usize>r << 2)) : <f64>gradScalar;
      memory.fill(g, 0, stride);
      store<f32>(g + at, <f32>(-(k * w)));
    }
  }
  return -1;
}
