// Plain-TypeScript cross-entropy, float64 inside, written the way PyTorch composes it
// (LossNLL.cpp): log_softmax, then nll_loss, then the label-smoothing term, each reduced on its
// own. Gradients composed the same way: d loss / d log p, then log-softmax's backward, so that
// infinities (gradOutput ±Infinity, D = 0) spread exactly as PyTorch's autograd spreads them
// (docs/semantics.md §2.2–2.4). The oracle for the kernels.
import {
  checkCrossEntropyArgs,
  meanDivisor,
  type CrossEntropyArgs,
  type CrossEntropyBackwardFunction,
  type CrossEntropyFunction,
  type CrossEntropyWithGradFunction,
  type LossAndGrad,
} from "../checks/crossentropy.js";
import { checkNoOverlap } from "../checks/overlap.js";
import { rowStatistics } from "./softmax.js";
import { decodeHalf } from "../checks/half.js";

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

function compute(fn: string, checked: CrossEntropyArgs, wantGrad: boolean): LossAndGrad {
  // 16-bit float logits decoded to their (exact) float32 values.
  const args = checked.half ? { ...checked, logits: decodeHalf(checked.bits!, checked.half) } : checked;
  // accumulate: the gradient is added to what `out` held (kept here before it is written).
  const held = args.accumulate && args.out ? args.out.slice() : null;
  const { rows, classes, target, weight, reduction, labelSmoothing: eps, temperature, logits } = args;
  const w = (c: number) => (weight === null ? 1 : weight[c]);
  const nll = new Float64Array(rows);
  const smooth = new Float64Array(rows);
  const grad = wantGrad ? (args.out ?? new Float32Array(rows * classes)) : new Float32Array(0);
  const lossOut = !wantGrad && args.out ? args.out : null;
  const written = wantGrad ? grad : lossOut;
  if (written)
    checkNoOverlap(
      fn,
      [{ name: "out", view: written, inPlaceOf: wantGrad && !checked.half ? logits : undefined }],
      args.inputs,
    );
  const D = meanDivisor(args);
  const g = args.gradOutput;
  // The upstream gradient of each row's loss, as PyTorch's backward forms it: gradOutput / D for
  // the mean (±Infinity or NaN when D = 0), then 1/T.
  const upstream = (r: number) => (typeof g === "number" ? g : g[r]) / (reduction === "mean" ? D : 1);
  const rowGradLogp = new Float64Array(classes);

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
        // d loss / d log p, composed as PyTorch's autograd composes it: the nll term
        // −(1 − ε)·k·w_y at the label and the smoothing term −(ε/C)·k·w_c (absent when ε = 0,
        // so a weight of Infinity on a class that never occurs does not enter).
        const k = upstream(r);
        for (let c = 0; c < classes; c++) rowGradLogp[c] = eps === 0 ? 0 : -(k * (eps / classes)) * w(c);
        rowGradLogp[y] += -(k * (1 - eps)) * w(y);
        logSoftmaxBackward(rowGradLogp, p, grad, r * classes, classes, temperature);
      }
    } else {
      const t = (c: number) => target.probabilities[r * classes + c] * (1 - eps) + eps / classes;
      let loss = 0;
      for (let c = 0; c < classes; c++) loss -= w(c) * t(c) * logp[c];
      nll[r] = loss;
      if (wantGrad) {
        const k = upstream(r);
        for (let c = 0; c < classes; c++) rowGradLogp[c] = -(k * w(c)) * t(c);
        logSoftmaxBackward(rowGradLogp, p, grad, r * classes, classes, temperature);
      }
    }
    // Ignored rows get an exact 0 even when D = 0 (all rows ignored) makes k infinite.
    if (wantGrad && target.kind === "hard" && target.labels[r] === args.ignoreIndex) {
      grad.fill(0, r * classes, (r + 1) * classes);
    }
  }

  let loss: number | Float32Array;
  if (target.kind === "soft" || eps === 0) {
    loss = reduce(nll, reduction, D);
  } else if (reduction === "none") {
    loss = Float32Array.from(nll, (v, i) => (1 - eps) * v + (eps / classes) * smooth[i]);
  } else {
    // PyTorch: (1 − ε)·nll_loss(...) + (ε/C)·smooth_loss, each reduced with the same divisor.
    loss =
      (1 - eps) * (reduce(nll, reduction, D) as number) + (eps / classes) * (reduce(smooth, reduction, D) as number);
    // The kernels know only the combined per-row sum, so with D = 0 they give NaN where PyTorch
    // may give ±Infinity (README: differences); the reference follows them there.
    if (D === 0 && reduction === "mean") loss = NaN;
  }
  if (lossOut && loss instanceof Float32Array) {
    lossOut.set(loss);
    loss = args.outGiven as Float32Array;
  }
  if (held && wantGrad) for (let i = 0; i < held.length; i++) grad[i] += held[i];
  return { loss, grad: wantGrad ? ((args.outGiven as Float32Array | undefined) ?? grad) : grad };
}

/** d/dx of log-softmax(x/T) applied to an upstream gradient gl: (gl − p·Σ gl)/T, into grad. */
function logSoftmaxBackward(
  gl: Float64Array,
  p: Float64Array,
  grad: Float32Array,
  at: number,
  classes: number,
  temperature: number,
): void {
  let total = 0;
  for (let c = 0; c < classes; c++) total += gl[c];
  for (let c = 0; c < classes; c++) grad[at + c] = (gl[c] - p[c] * total) / temperature;
}

export const crossEntropy: CrossEntropyFunction = function crossEntropy(
  logits: Float32Array | Uint16Array,
  target: unknown,
  classes: number,
  options?: unknown,
): never {
  const fn = "crossEntropy";
  return compute(fn, checkCrossEntropyArgs(fn, logits, target, classes, options, false), false).loss as never;
};

export const crossEntropyBackward: CrossEntropyBackwardFunction = function crossEntropyBackward(
  logits,
  target,
  classes,
  options,
) {
  const fn = "crossEntropyBackward";
  return compute(fn, checkCrossEntropyArgs(fn, logits, target, classes, options, true), true).grad;
};

export const crossEntropyWithGrad: CrossEntropyWithGradFunction = function crossEntropyWithGrad(
  logits: Float32Array | Uint16Array,
  target: unknown,
  classes: number,
  options?: unknown,
): never {
  const fn = "crossEntropyWithGrad";
  return compute(fn, checkCrossEntropyArgs(fn, logits, target, classes, options, true), true) as never;
};
