// nll_loss forward, backward and both (PyTorch F.nll_loss on log-probabilities): class
// weights, ignoreIndex, reductions "mean" (Σ l / Σ w[y]), "sum", "none". The same checks and
// the same label safety as cross-entropy (the kernel checks each label it reads).
import { labelsOperand } from "./crossentropy.js";
import type { CallContext, Op } from "../engine/op.js";
import { lossOps } from "./loss-ops.js";
import { keepView, type RowOperand, type RowOutput } from "../engine/execute.js";
import { checkCrossEntropyArgs, meanDivisor, type CrossEntropyArgs } from "../checks/crossentropy.js";
import { checkNoOverlap } from "../checks/overlap.js";
import { reduceRowLosses } from "./reduce.js";
import type { NllLossBackwardOptions, Target, NllLossFunction, NllLossWithGradFunction } from "../checks/nll.js";

function* lossRows(
  { fn, rt, frame }: CallContext,
  args: CrossEntropyArgs,
  wantGrad: boolean,
): Op<{ loss: number | Float32Array; grad: Float32Array }> {
  const { rows, classes, target, weight, reduction } = args;
  if (target.kind !== "hard") throw new TypeError(`${fn}: target must be class indices`);
  const losses = frame.float64.take(rows);
  const grad = wantGrad ? (args.out ?? new Float32Array(rows * classes)) : null;
  let scale: number | Float32Array = 0;
  if (wantGrad) {
    const g = args.gradOutput;
    if (typeof g === "number") scale = reduction === "mean" ? g / meanDivisor(args) : g;
    else {
      scale = frame.float32.take(rows);
      for (let i = 0; i < rows; i++) scale[i] = g[i];
    }
  }
  if (!wantGrad && args.out) checkNoOverlap(fn, [{ name: "out", view: args.out }], args.inputs);
  const lossOut = !wantGrad && args.out ? keepView(rt, args.out) : null;
  const inputs: RowOperand[] = [
    { name: "input", view: args.logits, perRow: classes },
    labelsOperand(rt, target.labels, args.inputs),
  ];
  if (typeof scale !== "number") inputs.push({ name: "gradOutput", view: scale, perRow: 1, own: true });
  const outputs: RowOutput[] = [{ name: "loss", view: losses, perRow: 1, own: true }];
  if (grad)
    outputs.push({
      name: "out",
      view: grad,
      perRow: classes,
      inPlaceOf: 0,
      own: args.out === null,
      accumulate: args.accumulate,
    });
  const [, finalGrad] = yield {
    fn,
    rows,
    inputs,
    outputs,
    alsoRead: args.inputs,
    fixed: weight ? [{ name: "weight", view: weight }] : [],
    export: "nllRows",
    args: (at, _first, count) => [
      at.inputs[0],
      at.inputs[1],
      count,
      classes,
      weight ? at.fixed[0] : 0,
      args.ignoreIndex,
      at.outputs[0],
      grad ? at.outputs[1] : 0,
      typeof scale === "number" ? 0 : at.inputs[2],
      typeof scale === "number" ? scale : 0,
    ],
    refused: (row) =>
      new RangeError(`${fn}: target[${row}] changed while the call ran and is out of range for ${classes} classes`),
  };
  // PyTorch divides by D = Σ w[y] as it is, 0 included (±Infinity or NaN).
  const loss = reduceRowLosses(losses, rows, reduction, meanDivisor(args), lossOut);
  return { loss, grad: grad ? (finalGrad as Float32Array) : new Float32Array(0) };
}

const ops = lossOps<
  NllLossFunction,
  (input: Float32Array, target: Target, classes: number, options?: NllLossBackwardOptions) => Float32Array,
  NllLossWithGradFunction,
  CrossEntropyArgs
>(
  "nllLoss",
  (fn, input, target, classes, options, withGrad, frame) =>
    checkCrossEntropyArgs(fn, input, target, classes, options, withGrad, true, frame),
  lossRows,
);

/** F.nll_loss(input, target): input holds log-probabilities [rows, classes], target class indices. */
export const nllLoss = ops.loss.sync;

/** d nll_loss / d input (rows × classes), scaled by gradOutput. */
export const nllLossBackward = ops.backward.sync;

/** The loss and d loss / d input in one pass. */
export const nllLossWithGrad = ops.withGrad.sync;

/** nllLoss, as an async call (engine/op.ts). */
export const nllLossAsync = ops.loss.async;

/** nllLossBackward, as an async call. */
export const nllLossBackwardAsync = ops.backward.async;

/** nllLossWithGrad, as an async call. */
export const nllLossWithGradAsync = ops.withGrad.async;
