// Plain-TypeScript cross-entropy, float64 inside, written the way PyTorch composes it
// (LossNLL.cpp): log_softmax, then nll_loss, then the label-smoothing term, each reduced on its
// own. Gradients from the closed forms in semantics.md §2.2–2.4. The oracle for the kernels.
import {
  checkCrossEntropyArgs, meanDivisor,
  type CrossEntropyArgs, type CrossEntropyOptions,
} from "../validate.js";
import type { CrossEntropyTarget, LossAndGrad } from "../crossentropy.js";
import { rowStatistics } from "./softmax.js";

export type { CrossEntropyOptions, CrossEntropyTarget, LossAndGrad };

let logpScratch = new Float64Array(0);
let pScratch = new Float64Array(0);

/** Log-softmax and softmax of one row, float64, in scratch buffers reused by the next call. */
function rowLogSoftmax(logits: Float32Array, r: number, classes: number, temperature: number) {
  const { z, max, sum } = rowStatistics(logits, r * classes, classes, temperature);
  const logSum = Math.log(sum);
  if (logpScratch.length < classes) {
    logpScratch = new Float64Array(classes);
    pScratch = new Float64Array(classes);
  }
  const logp = logpScratch;
  const p = pScratch;
  for (let c = 0; c < classes; c++) {
    logp[c] = z[c] - max - logSum;
    p[c] = Math.exp(z[c] - max) / sum;
  }
  return { logp, p };
}

function reduce(values: Float64Array, reduction: string, divisor: number): number | Float32Array {
  if (reduction === "none") return Float32Array.from(values);
  let total = 0;
  for (const v of values) total += v;
  return reduction === "sum" ? total : total / divisor;
}

function compute(args: CrossEntropyArgs, logits: Float32Array, wantGrad: boolean): LossAndGrad {
  const { rows, classes, target, weight, reduction, labelSmoothing: eps, temperature } = args;
  const w = (c: number) => (weight === null ? 1 : weight[c]);
  const nll = new Float64Array(rows);
  const smooth = new Float64Array(rows);
  const grad = wantGrad ? args.out! : new Float32Array(0);
  const D = meanDivisor(args);
  const g = args.gradOutput;
  // With reduction "mean" and D = 0 (every remaining row has weight 0), PyTorch's backward is
  // 0/0: NaN on those rows (ignored rows are set to 0 below).
  const upstream = (r: number) =>
    reduction === "mean" && D === 0 ? NaN : (typeof g === "number" ? g : g[r]) / (reduction === "mean" ? D : 1) / temperature;
  let W = 0;
  for (let c = 0; c < classes; c++) W += w(c);
  const rowGrad = new Float64Array(classes);

  for (let r = 0; r < rows; r++) {
    const { logp, p } = rowLogSoftmax(logits, r, classes, temperature);
    if (target.kind === "hard") {
      const y = target.labels[r];
      const ignored = y === args.ignoreIndex;
      if (!ignored) {
        nll[r] = -w(y) * logp[y];
        let s = 0;
        for (let c = 0; c < classes; c++) s -= w(c) * logp[c];
        smooth[r] = s;
      }
      if (wantGrad && !ignored) {
        for (let c = 0; c < classes; c++) {
          rowGrad[c] = (1 - eps) * w(y) * (p[c] - (c === y ? 1 : 0)) + (eps / classes) * (W * p[c] - w(c));
        }
      }
    } else {
      const t = (c: number) => target.probabilities[r * classes + c] * (1 - eps) + eps / classes;
      let loss = 0;
      let weightedTargetSum = 0;
      for (let c = 0; c < classes; c++) {
        loss -= w(c) * t(c) * logp[c];
        weightedTargetSum += w(c) * t(c);
      }
      nll[r] = loss;
      if (wantGrad) {
        for (let c = 0; c < classes; c++) rowGrad[c] = p[c] * weightedTargetSum - w(c) * t(c);
      }
    }
    if (wantGrad) {
      // Ignored rows get an exact 0 even when D = 0 (all rows ignored) makes k infinite.
      const ignored = target.kind === "hard" && target.labels[r] === args.ignoreIndex;
      const k = upstream(r);
      for (let c = 0; c < classes; c++) grad[r * classes + c] = ignored ? 0 : rowGrad[c] * k;
    }
  }

  let loss: number | Float32Array;
  if (target.kind === "soft" || eps === 0) {
    loss = reduce(nll, reduction, D);
  } else if (reduction === "none") {
    loss = Float32Array.from(nll, (v, i) => (1 - eps) * v + (eps / classes) * smooth[i]);
  } else {
    // PyTorch: (1 − ε)·nll_loss(...) + (ε/C)·smooth_loss, each reduced with the same divisor.
    loss = (1 - eps) * (reduce(nll, reduction, D) as number) + (eps / classes) * (reduce(smooth, reduction, D) as number);
  }
  return { loss, grad };
}

export function crossEntropy(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): number | Float32Array {
  const args = checkCrossEntropyArgs("crossEntropy", logits, target, classes, options, false);
  const { loss } = compute(args, logits, false);
  if (args.out && loss instanceof Float32Array) { args.out.set(loss); return args.out; }
  return loss;
}

export function crossEntropyBackward(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): Float32Array {
  const args = checkCrossEntropyArgs("crossEntropyBackward", logits, target, classes, options, true);
  return compute(args, logits, true).grad;
}

export function crossEntropyWithGrad(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): LossAndGrad {
  const args = checkCrossEntropyArgs("crossEntropyWithGrad", logits, target, classes, options, true);
  return compute(args, logits, true);
}
