// Gaussian negative log-likelihood (F.gaussian_nll_loss) and its gradients with respect to the
// input (predicted means) and the variance; and nothing more: the clamp at eps has no gradient
// of its own, as in PyTorch.
import { defineOp, type CallContext, type Op } from "../engine/op.js";
import { sumRows } from "./reduce.js";
import { returned, type RowOperand, type RowOutput } from "../engine/execute.js";
import {
  type GaussianNllFunction,
  type GaussianNllWithGradFunction,
  type GaussianArgs,
  checkGaussianArgs,
} from "../checks/gaussian.js";

function* lossRows(
  { fn, frame }: CallContext,
  args: GaussianArgs,
  wantGrad: boolean,
): Op<{ loss: number | Float32Array; grad: Float32Array; gradVar: Float32Array }> {
  const { rows, classes: cols, reduction } = args;
  const n = rows * cols;
  const rowLoss = frame.float64.take(rows);
  const none = reduction === "none";
  // args.out is the pointwise losses' buffer for gaussianNllLoss, the input gradient's for WithGrad.
  const pointwiseOut = wantGrad ? null : args.out;
  const pointwise = none ? (pointwiseOut ?? new Float32Array(n)) : null;
  const gradInput = wantGrad ? (args.out ?? new Float32Array(n)) : null;
  const gradVar = wantGrad ? (args.gradVarOut ?? new Float32Array(args.variance.length)) : null;
  const divisor = reduction === "mean" ? n : 1;
  const inputs: RowOperand[] = [
    { name: "input", view: args.input, perRow: cols },
    { name: "target", view: args.target, perRow: cols },
    { name: "variance", view: args.variance, perRow: args.varPerRow ? 1 : cols },
  ];
  const outputs: RowOutput[] = [{ name: "loss", view: rowLoss, perRow: 1, own: true }];
  if (pointwise) outputs.push({ name: "out", view: pointwise, perRow: cols, inPlaceOf: 0, own: pointwiseOut === null });
  if (gradInput)
    outputs.push({
      name: "out",
      view: gradInput,
      perRow: cols,
      own: args.out === null,
      accumulate: args.accumulate && args.out !== null,
    });
  if (gradVar) {
    outputs.push({
      name: "gradVarOut",
      view: gradVar,
      perRow: args.varPerRow ? 1 : cols,
      own: args.gradVarOut === null,
      accumulate: args.accumulate && args.gradVarOut !== null,
    });
  }
  const results = yield {
    fn,
    rows,
    inputs,
    outputs,
    alsoRead: args.inputs,
    export: "gaussianNllRows",
    args(at, _first, count) {
      let next = 1;
      const p = pointwise ? at.outputs[next++] : 0;
      const gi = gradInput ? at.outputs[next++] : 0;
      const gv = gradVar ? at.outputs[next++] : 0;
      return [
        at.inputs[0],
        at.inputs[1],
        at.inputs[2],
        count,
        cols,
        args.varPerRow ? 1 : 0,
        args.eps,
        args.full ? 1 : 0,
        at.outputs[0],
        p,
        gi,
        gv,
        0,
        wantGrad ? args.gradOutput / divisor : 0,
      ];
    },
  };
  let next = 1;
  const pointwiseResult = pointwise ? (results[next++] as Float32Array) : null;
  const gradInputResult = gradInput ? (results[next++] as Float32Array) : null;
  const gradVarResult = gradVar ? (results[next++] as Float32Array) : null;
  let loss: number | Float32Array;
  if (pointwiseResult) loss = wantGrad ? pointwiseResult : returned(args.outGiven, pointwise!, pointwiseResult);
  else {
    loss = sumRows(rowLoss, rows) / divisor;
  }
  return {
    loss,
    grad: gradInputResult ? returned<Float32Array>(args.outGiven, gradInput!, gradInputResult) : new Float32Array(0),
    gradVar: gradVarResult
      ? returned<Float32Array>(args.gradVarOutGiven, gradVar!, gradVarResult)
      : new Float32Array(0),
  };
}

const gaussianNllLossOp = defineOp<GaussianNllFunction>(
  "gaussianNllLoss",
  function* (cx, input, target, variance, classes, options) {
    return (yield* lossRows(cx, checkGaussianArgs(cx.fn, input, target, variance, classes, options, false), false))
      .loss;
  },
);

const gaussianNllLossWithGradOp = defineOp<GaussianNllWithGradFunction>(
  "gaussianNllLossWithGrad",
  function* (cx, input, target, variance, classes, options) {
    return yield* lossRows(cx, checkGaussianArgs(cx.fn, input, target, variance, classes, options, true), true);
  },
);

/** F.gaussian_nll_loss(input, target, var): the loss (or the losses per element for "none"). */
export const gaussianNllLoss = gaussianNllLossOp.sync;

/** The loss and its gradients with respect to the input and the variance. */
export const gaussianNllLossWithGrad = gaussianNllLossWithGradOp.sync;

/** gaussianNllLoss, as an async call (engine/op.ts). */
export const gaussianNllLossAsync = gaussianNllLossOp.async;

/** gaussianNllLossWithGrad, as an async call. */
export const gaussianNllLossWithGradAsync = gaussianNllLossWithGradOp.async;
