// Knowledge distillation (Hinton et al. 2015), fused: per row, with zs = (s − ms)/T, zt = (t − mt)/T,
//   KL(p_t ‖ p_s) = Σ p_t·(log p_t − log p_s) = (Σ e_t·(zt − zs))/St − log St + log Ss,
// and, when labels are given, cross-entropy of the student at T = 1 with PyTorch's options
// (class weights, ignoreIndex, label smoothing; crossentropy.ts). Per-row KL and CE into f64
// outputs; the TypeScript side combines α·T²·ΣKL/N + (1 − α)·ΣCE/D. The gradient with respect to
// the student logits, in the same call:
//   g_c = gKl·(p_s,c − p_t,c) + kCe·[(1 − ε)·w_y·(p1_c − δ_cy) + (ε/C)·(W·p1_c − w_c)],
// gKl = gradOutput·α·T/N, kCe = gradOutput·(1 − α)/D, p1 = softmax(s). A teacher probability of 0
// adds 0 to the KL (xlogy), unless the student's log-probability there is −Infinity (NaN, as
// PyTorch's 0·(−Infinity)). Labels are checked where they are read (returns the refused row).
// Scalar loops with the kernels' exp: correct first; the SIMD rewrite is future work.
import { expNonPositive } from "./math";
import { rangeMax, rowRange } from "./softmax";

export function distillationRows(
  student: usize, teacher: usize, labels: usize, rows: i32, cols: i32, invT: f32,
  weight: usize, weightSum: f64, ignoreIndex: i32, smoothing: f64,
  klOut: usize, ceOut: usize, grad: usize, gKl: f64, kCe: f64,
): i32 {
  const stride = <usize>cols << 2;
  const smoothPerClass = smoothing / <f64>cols;
  for (let r = 0; r < rows; r++) {
    const x = student + <usize>r * stride, t = teacher + <usize>r * stride;
    const ms = rangeMax(rowRange(x, cols)), mt = rangeMax(rowRange(t, cols));
    let ss: f64 = 0, st: f64 = 0, a: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2;
      const zs = (load<f32>(x + o) - ms) * invT, zt = (load<f32>(t + o) - mt) * invT;
      const es = expNonPositive(zs), et = expNonPositive(zt);
      ss += <f64>es;
      st += <f64>et;
      if (et != 0) a += <f64>et * (<f64>zt - <f64>zs);
      else if (zs == -Infinity) a += NaN;
    }
    const logSs = Math.log(ss), logSt = Math.log(st);
    store<f64>(klOut + (<usize>r << 3), a / st - logSt + logSs);

    // The cross-entropy term (T = 1), as crossentropy.ts computes it.
    let y = ignoreIndex;
    let s1: f64 = 0, wy: f64 = 0;
    const withLabels = labels != 0;
    if (withLabels) {
      y = load<i32>(labels + (<usize>r << 2));
      if (y != ignoreIndex && <u32>y >= <u32>cols) return r;
      if (y == ignoreIndex) {
        store<f64>(ceOut + (<usize>r << 3), 0);
      } else {
        wy = weight != 0 ? <f64>load<f32>(weight + (<usize>y << 2)) : 1;
        let smoothSum: f64 = 0;
        for (let c = 0; c < cols; c++) {
          const o = <usize>c << 2;
          const d = <f64>load<f32>(x + o) - <f64>ms;
          s1 += <f64>expNonPositive(load<f32>(x + o) - ms);
          if (smoothing != 0) smoothSum += (weight != 0 ? <f64>load<f32>(weight + o) : 1) * d;
        }
        const logS1 = Math.log(s1);
        const nll = -(wy * ((<f64>load<f32>(x + (<usize>y << 2)) - <f64>ms) - logS1));
        const ce = smoothing == 0 ? nll : (1 - smoothing) * nll + smoothPerClass * -(smoothSum - weightSum * logS1);
        store<f64>(ceOut + (<usize>r << 3), ce);
      }
    }
    if (grad == 0) continue;
    const g = grad + <usize>r * stride;
    const ceLive = withLabels && y != ignoreIndex;
    // Every value the row needs is read before its element is written (grad may be the student).
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2;
      const xs = load<f32>(x + o);
      const ps = <f64>expNonPositive((xs - ms) * invT) / ss;
      const pt = <f64>expNonPositive((load<f32>(t + o) - mt) * invT) / st;
      let v = gKl * (ps - pt);
      if (ceLive) {
        const p1 = <f64>expNonPositive(xs - ms) / s1;
        const wc: f64 = weight != 0 ? <f64>load<f32>(weight + o) : 1;
        let h = (1 - smoothing) * wy * (p1 - (c == y ? 1 : 0));
        if (smoothing != 0) h += smoothPerClass * (weightSum * p1 - wc);
        v += kCe * h;
      }
      store<f32>(g + o, <f32>v);
    }
  }
  return -1;
}
