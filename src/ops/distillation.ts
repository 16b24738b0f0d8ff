// Knowledge distillation loss (Hinton, Vinyals and Dean, 2015), fused with its gradient:
//   loss = α·T²·KL(softmax(teacher/T) ‖ softmax(student/T))   (batchmean: Σ over rows / rows)
//        + (1 − α)·cross_entropy(student, labels)               (mean, with the usual CE options)
// and d loss / d student logits in the same call. The T² keeps the soft term's gradient on the
// hard term's scale as T changes (its gradient carries 1/T² otherwise).
import { defineOp } from "../engine/op.js";
import { returned, type RowOperand } from "../engine/execute.js";
import { checkDistillationArgs, type DistillationFunction } from "../checks/distillation.js";

const distillationLossOp = defineOp<DistillationFunction>(
  "distillationLoss",
  function* ({ fn, frame }, studentLogits, teacherLogits, classes, options) {
    const args = checkDistillationArgs(fn, studentLogits, teacherLogits, classes, options, frame);
    const { rows, classes: cols, temperature: T, alpha, labels, weight } = args;
    const kl = frame.float64.take(2 * rows);
    const klRows = kl.subarray(0, rows),
      ceRows = kl.subarray(rows, 2 * rows);
    const grad = args.out ?? new Float32Array(rows * cols);
    const D = labels ? labels.weightTotal : 0;
    const gKl = rows === 0 ? 0 : (args.gradOutput * alpha * T) / rows;
    const kCe = labels ? (args.gradOutput * (1 - alpha)) / D : 0;
    const weightSum = weight ? weight.reduce((s, w) => s + w, 0) : cols;
    const inputs: RowOperand[] = [
      { name: "studentLogits", view: args.student, perRow: cols },
      { name: "teacherLogits", view: args.teacher, perRow: cols },
    ];
    if (labels) inputs.push({ name: "labels", view: labels.labels, perRow: 1, own: true });
    const invT = Math.fround(1 / T);
    const [, , finalGrad] = yield {
      fn,
      rows,
      inputs,
      alsoRead: args.inputs,
      outputs: [
        { name: "kl", view: klRows, perRow: 1, own: true },
        { name: "ce", view: ceRows, perRow: 1, own: true },
        { name: "out", view: grad, perRow: cols, inPlaceOf: 0, own: args.out === null, accumulate: args.accumulate },
      ],
      fixed: weight ? [{ name: "weight", view: weight }] : [],
      // Two rows of working space: the teacher's exp terms, and exp(s − max) for the hard term.
      scratchBytes: 2 * cols * 4,
      export: "distillationRows",
      args: (at, _first, count) => [
        at.inputs[0],
        at.inputs[1],
        labels ? at.inputs[2] : 0,
        count,
        cols,
        invT,
        weight ? at.fixed[0] : 0,
        weightSum,
        args.ignoreIndex,
        args.labelSmoothing,
        at.outputs[0],
        at.outputs[1],
        at.outputs[2],
        gKl,
        kCe,
        at.scratch,
      ],
      refused: (row) =>
        new RangeError(`${fn}: labels[${row}] changed while the call ran and is out of range for ${cols} classes`),
    };
    let klSum = 0,
      ceSum = 0;
    for (let r = 0; r < rows; r++) {
      klSum += klRows[r];
      ceSum += ceRows[r];
    }
    const soft = (alpha * T * T * klSum) / rows;
    const loss = labels ? soft + (1 - alpha) * (ceSum / D) : soft;
    return { loss, kl: soft, grad: returned<Float32Array>(args.outGiven, args.out ?? grad, finalGrad) };
  },
);

/** The knowledge-distillation loss and its gradient with respect to the student logits. */
export const distillationLoss: DistillationFunction = distillationLossOp.sync;

/** distillationLoss, as an async call (engine/op.ts). */
export const distillationLossAsync = distillationLossOp.async;
