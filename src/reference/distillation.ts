// Plain-TypeScript distillation loss in float64, composed from the reference softmax, kl_div and
// cross-entropy as a PyTorch user writes it: the oracle for the fused kernel.
import { checkDistillationArgs, type DistillationOptions, type DistillationResult } from "../distillation.js";
import { crossEntropyWithGrad } from "./crossentropy.js";
import { logSoftmax, softmax } from "./softmax.js";

export function distillationLoss(
  studentLogits: Float32Array, teacherLogits: Float32Array, classes: number, options?: DistillationOptions,
): DistillationResult {
  const args = checkDistillationArgs("distillationLoss", studentLogits, teacherLogits, classes, options);
  const { rows, classes: C, temperature: T, alpha } = args;
  const logPs = logSoftmax(args.student, C, { temperature: T }), ps = softmax(args.student, C, { temperature: T });
  const pt = softmax(args.teacher, C, { temperature: T }), logPt = logSoftmax(args.teacher, C, { temperature: T });
  let kl = 0;
  const grad = new Float64Array(rows * C);
  for (let i = 0; i < rows * C; i++) {
    kl += (pt[i] === 0 ? 0 : pt[i] * logPt[i]) - pt[i] * logPs[i];
    grad[i] = (args.gradOutput * alpha * T / rows) * (ps[i] - pt[i]);
  }
  const soft = (alpha * T * T * kl) / rows;
  let loss = soft;
  if (args.labels) {
    const ce = crossEntropyWithGrad(args.student, args.labels.labels.slice(0, rows), C, {
      weight: args.weight ?? undefined, ignoreIndex: args.ignoreIndex, labelSmoothing: args.labelSmoothing,
      gradOutput: args.gradOutput * (1 - alpha),
    });
    loss += (1 - alpha) * ce.loss;
    for (let i = 0; i < rows * C; i++) grad[i] += ce.grad[i];
  }
  const out = args.out ?? new Float32Array(rows * C);
  out.set(grad);
  return { loss, kl: soft, grad: (args.outGiven as Float32Array | undefined) ?? out };
}
