// Plain-TypeScript nll_loss in float64: the oracle for the kernel.
import type { NllLossBackwardOptions, NllLossFunction, NllLossWithGradFunction } from "../checks/nll.js";
import { checkCrossEntropyArgs, meanDivisor, type CrossEntropyArgs } from "../checks/crossentropy.js";
import { checkNoOverlap } from "../checks/overlap.js";

function compute(fn: string, args: CrossEntropyArgs, wantGrad: boolean) {
  // accumulate: the gradient is added to what `out` held (kept here before it is written).
  const held = args.accumulate && args.out ? args.out.slice() : null;
  const { rows, classes, target, weight, reduction, logits: x } = args;
  if (target.kind !== "hard") throw new TypeError(`${fn}: target must be class indices`);
  const out = args.out ?? new Float32Array(wantGrad ? rows * classes : rows);
  if (args.out) checkNoOverlap(fn, [{ name: "out", view: out, inPlaceOf: wantGrad ? x : undefined }], args.inputs);
  const w = (c: number) => (weight === null ? 1 : weight[c]);
  const D = meanDivisor(args);
  const losses = new Float64Array(rows);
  const rowsGrad = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const y = target.labels[r];
    if (y === args.ignoreIndex) continue;
    losses[r] = -w(y) * x[r * classes + y];
    const g = args.gradOutput;
    const k = typeof g === "number" ? (reduction === "mean" ? g / D : g) : g[r];
    rowsGrad[r * classes + y] = -(k * w(y));
  }
  if (wantGrad) out.set(rowsGrad);
  let loss: number | Float32Array;
  if (reduction === "none") {
    loss = wantGrad ? Float32Array.from(losses) : out;
    if (!wantGrad) out.set(losses);
  } else {
    let total = 0;
    for (const l of losses) total += l;
    loss = reduction === "sum" ? total : total / D;
  }
  if (held && wantGrad) for (let i = 0; i < held.length; i++) out[i] += held[i];
  return { loss, grad: wantGrad ? out : new Float32Array(0) };
}

export const nllLoss: NllLossFunction = function nllLoss(
  input: Float32Array,
  target: unknown,
  classes: number,
  options?: unknown,
): never {
  return compute("nllLoss", checkCrossEntropyArgs("nllLoss", input, target, classes, options, false, true), false)
    .loss as never;
};

export function nllLossBackward(
  input: Float32Array,
  target: Parameters<NllLossFunction>[1],
  classes: number,
  options?: NllLossBackwardOptions,
): Float32Array {
  return compute(
    "nllLossBackward",
    checkCrossEntropyArgs("nllLossBackward", input, target, classes, options, true, true),
    true,
  ).grad;
}

export const nllLossWithGrad: NllLossWithGradFunction = function nllLossWithGrad(
  input: Float32Array,
  target: unknown,
  classes: number,
  options?: unknown,
): never {
  return compute(
    "nllLossWithGrad",
    checkCrossEntropyArgs("nllLossWithGrad", input, target, classes, options, true, true),
    true,
  ) as never;
};
