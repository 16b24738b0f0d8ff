// Plain-TypeScript distillation loss in float64: log-softmax of both rows at T, the kl_div sum
// term by term as PyTorch writes it, and the reference cross-entropy for the hard term: the
// oracle for the fused kernel.
import { checkDistillationArgs, type DistillationOptions, type DistillationResult } from "../checks/distillation.js";
import { crossEntropyWithGrad } from "./crossentropy.js";
import { rowStatistics } from "./softmax.js";

export function distillationLoss(
  studentLogits: Float32Array,
  teacherLogits: Float32Array,
  classes: number,
  options?: DistillationOptions,
): DistillationResult {
  const args = checkDistillationArgs("distillationLoss", studentLogits, teacherLogits, classes, options);
  const { rows, classes: C, temperature: T, alpha } = args;
  let kl = 0;
  const grad = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    // log-softmax of both rows at T in float64 (not rounded to float32: −6e38 must stay finite).
    const logP = (x: Float32Array) => {
      const { z, max, sum } = rowStatistics(x, r * C, C, T);
      const logSum = Math.log(sum);
      return Array.from(z.subarray(0, C), (v) => v - max - logSum);
    };
    const logPs = logP(args.student),
      logPt = logP(args.teacher);
    for (let c = 0; c < C; c++) {
      const pt = Math.exp(logPt[c]),
        ps = Math.exp(logPs[c]);
      kl += (pt === 0 ? 0 : pt * logPt[c]) - pt * logPs[c];
      grad[r * C + c] = ((args.gradOutput * alpha * T) / rows) * (ps - pt);
    }
  }
  const soft = (alpha * T * T * kl) / rows;
  let loss = soft;
  if (args.labels) {
    const ce = crossEntropyWithGrad(args.student, args.labels.labels.slice(0, rows), C, {
      weight: args.weight ?? undefined,
      ignoreIndex: args.ignoreIndex,
      labelSmoothing: args.labelSmoothing,
      gradOutput: args.gradOutput * (1 - alpha),
    });
    loss += (1 - alpha) * ce.loss;
    for (let i = 0; i < rows * C; i++) grad[i] += ce.grad[i];
  }
  const out = args.out ?? new Float32Array(rows * C);
  // accumulate: the gradient is added to what `out` held.
  if (args.accumulate) for (let i = 0; i < rows * C; i++) grad[i] += out[i];
  out.set(grad);
  return { loss, kl: soft, grad: (args.outGiven as Float32Array | undefined) ?? out };
}
