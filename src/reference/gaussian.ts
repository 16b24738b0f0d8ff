// Plain-TypeScript gaussian_nll_loss in float64: the oracle for the kernel.
import {
  checkGaussianArgs,
  gaussianOutputs,
  type GaussianArgs,
  type GaussianNllFunction,
  type GaussianNllWithGradFunction,
} from "../checks/gaussian.js";
import { checkNoOverlap } from "../checks/overlap.js";

function compute(args: GaussianArgs, wantGrad: boolean) {
  const { rows, classes: C } = args;
  const n = rows * C;
  const terms = new Float64Array(n),
    gradInput = new Float32Array(wantGrad ? n : 0),
    gradVar = new Float64Array(wantGrad ? args.variance.length : 0);
  const divisor = args.reduction === "mean" ? n : 1;
  const k = args.gradOutput / divisor;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const vi = args.varPerRow ? Math.floor(i / C) : i;
    const v = Math.max(args.variance[vi], args.eps);
    const d = args.input[i] - args.target[i];
    terms[i] = 0.5 * (Math.log(v) + (d * d) / v) + (args.full ? 0.5 * Math.log(2 * Math.PI) : 0);
    total += terms[i];
    if (wantGrad) {
      gradInput[i] = (k * d) / v;
      gradVar[vi] += k * 0.5 * (1 / v - (d * d) / (v * v));
    }
  }
  let loss: number | Float32Array = total / divisor;
  if (args.reduction === "none") {
    const out = (wantGrad ? null : args.out) ?? new Float32Array(n);
    out.set(terms);
    loss = (wantGrad ? undefined : (args.outGiven as Float32Array | undefined)) ?? out;
  }
  if (!wantGrad) return { loss, grad: gradInput, gradVar: new Float32Array(0) };
  // Into the caller's buffers when given (the arguments were checked not to overlap them).
  // accumulate: each gradient is added (in float32) to what its buffer held.
  const gradInputOut = args.out ?? gradInput,
    gradVarOut = args.gradVarOut ?? new Float32Array(gradVar.length);
  if (gradInputOut !== gradInput) {
    for (let i = 0; i < n; i++) gradInputOut[i] = (args.accumulate ? gradInputOut[i] : 0) + gradInput[i];
  }
  const addVar = args.accumulate && args.gradVarOut !== null;
  for (let i = 0; i < gradVar.length; i++) gradVarOut[i] = (addVar ? gradVarOut[i] : 0) + Math.fround(gradVar[i]);
  return {
    loss,
    grad: (args.outGiven as Float32Array | undefined) ?? gradInputOut,
    gradVar: (args.gradVarOutGiven as Float32Array | undefined) ?? gradVarOut,
  };
}

export const gaussianNllLoss: GaussianNllFunction = function gaussianNllLoss(
  input: Float32Array,
  target: Float32Array,
  variance: Float32Array,
  classes: number,
  options?: unknown,
): never {
  return compute(checkGaussianArgs("gaussianNllLoss", input, target, variance, classes, options, false), false)
    .loss as never;
};

export const gaussianNllLossWithGrad: GaussianNllWithGradFunction = function gaussianNllLossWithGrad(
  input: Float32Array,
  target: Float32Array,
  variance: Float32Array,
  classes: number,
  options?: unknown,
): never {
  const fn = "gaussianNllLossWithGrad";
  const args = checkGaussianArgs(fn, input, target, variance, classes, options, true);
  checkNoOverlap(fn, gaussianOutputs(args), args.inputs);
  return compute(args, true) as never;
};
