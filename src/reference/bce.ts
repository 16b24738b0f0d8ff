// Plain-TypeScript binary_cross_entropy_with_logits in float64 (PyTorch's stable form): the oracle.
import {
  checkBceArgs,
  type BceArgs,
  type BceWithLogitsBackwardOptions,
  type BceWithLogitsFunction,
  type BceWithLogitsWithGradFunction,
} from "../checks/bce.js";
import { checkNoOverlap } from "../checks/overlap.js";

function compute(fn: string, args: BceArgs, wantGrad: boolean) {
  // accumulate: the gradient is added to what `out` held (kept here before it is written).
  const held = args.accumulate && args.out ? args.out.slice() : null;
  const { rows, classes: C, logits: x, target: t } = args;
  const n = rows * C;
  const out = args.out ?? new Float32Array(n);
  if (args.out) checkNoOverlap(fn, [{ name: "out", view: out, inPlaceOf: x }], args.inputs);
  const terms = new Float64Array(n),
    grads = new Float64Array(n);
  const divisor = args.reduction === "mean" ? n : 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = i % C;
    const w = (args.weightElem ? args.weightElem[i] : 1) * (args.weightCol ? args.weightCol[c] : 1);
    const l = args.posWeight ? 1 + (args.posWeight[c] - 1) * t[i] : 1;
    const softplus = Math.max(-x[i], 0) + Math.log1p(Math.exp(-Math.abs(x[i])));
    terms[i] = w * ((1 - t[i]) * x[i] + l * softplus);
    total += terms[i];
    const sigma = 1 / (1 + Math.exp(-x[i]));
    const k = typeof args.gradOutput === "number" ? args.gradOutput / divisor : args.gradOutput[i];
    // L·σ − posWeight·t (PyTorch's form): (1 − t) + L·(σ − 1) loses σ's relative accuracy where σ is tiny.
    grads[i] = k * w * (args.posWeight ? l * sigma - args.posWeight[c] * t[i] : sigma - t[i]);
  }
  if (wantGrad) out.set(grads);
  let loss: number | Float32Array = total / divisor;
  if (args.reduction === "none") {
    loss = wantGrad ? Float32Array.from(terms) : out;
    if (!wantGrad) out.set(terms);
  }
  if (held && wantGrad) for (let i = 0; i < held.length; i++) out[i] += held[i];
  return { loss, grad: wantGrad ? out : new Float32Array(0) };
}

export const binaryCrossEntropyWithLogits: BceWithLogitsFunction = function binaryCrossEntropyWithLogits(
  logits: Float32Array,
  target: Float32Array,
  classes: number,
  options?: unknown,
): never {
  const fn = "binaryCrossEntropyWithLogits";
  return compute(fn, checkBceArgs(fn, logits, target, classes, options, false), false).loss as never;
};

export function binaryCrossEntropyWithLogitsBackward(
  logits: Float32Array,
  target: Float32Array,
  classes: number,
  options?: BceWithLogitsBackwardOptions,
): Float32Array {
  const fn = "binaryCrossEntropyWithLogitsBackward";
  return compute(fn, checkBceArgs(fn, logits, target, classes, options, true), true).grad;
}

export const binaryCrossEntropyWithLogitsWithGrad: BceWithLogitsWithGradFunction =
  function binaryCrossEntropyWithLogitsWithGrad(
    logits: Float32Array,
    target: Float32Array,
    classes: number,
    options?: unknown,
  ): never {
    const fn = "binaryCrossEntropyWithLogitsWithGrad";
    return compute(fn, checkBceArgs(fn, logits, target, classes, options, true), true) as never;
  };
