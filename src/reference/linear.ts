// Plain-TypeScript linear layer and fused head, float64 inside: the logits materialised, then the
// cross-entropy of docs/semantics.md §2.2–2.4 plus soft-capping and z-loss, written out directly.
// The oracle for the kernels.
import {
  checkLinearArgs,
  checkLinearBackwardArgs,
  checkLinearCrossEntropyArgs,
  type LinearBackwardOptions,
  type LinearCrossEntropyGradOptions,
  type LinearCrossEntropyOptions,
  type LinearGradients,
  type LinearOptions,
} from "../checks/linear.js";
import { checkNoOverlap, type NamedView } from "../checks/overlap.js";
import type { LabelArray, LabelList } from "../checks/targets.js";

/** out = input · weightᵀ (+ bias), float64 sums. */
export function linear(input: Float32Array, weight: Float32Array, inFeatures: number, options?: LinearOptions) {
  const a = checkLinearArgs("linear", input, weight, inFeatures, options);
  if (a.out)
    checkNoOverlap(
      "linear",
      [{ name: "out", view: a.out }],
      [
        { name: "input", view: a.input },
        { name: "weight", view: a.weight },
        ...(a.bias ? [{ name: "bias", view: a.bias }] : []),
      ],
    );
  const { rows, inFeatures: F, outFeatures: O } = a;
  const result = new Float32Array(rows * O);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      let s = a.bias ? a.bias[o] : 0;
      for (let k = 0; k < F; k++) s += a.input[r * F + k] * a.weight[o * F + k];
      result[r * O + o] = s;
    }
  }
  const out = a.out ?? result;
  if (a.out) for (let i = 0; i < result.length; i++) out[i] = a.accumulate ? out[i] + result[i] : result[i];
  return a.outGiven !== undefined ? (a.outGiven as Float32Array) : out;
}

/** The three gradients of linear, float64 sums. */
export function linearBackward(
  gradOutput: Float32Array,
  input: Float32Array,
  weight: Float32Array,
  inFeatures: number,
  options?: LinearBackwardOptions,
): LinearGradients {
  const a = checkLinearBackwardArgs("linearBackward", gradOutput, input, weight, inFeatures, options);
  const { rows, inFeatures: F, outFeatures: O } = a;
  const g = a.gradOutput;
  const given: NamedView[] = [];
  for (const [name, slot] of [
    ["gradInput", a.gradInput],
    ["gradWeight", a.gradWeight],
    ["gradBias", a.gradBias],
  ] as const) {
    if (slot.view) given.push({ name, view: slot.view });
  }
  checkNoOverlap("linearBackward", given, [
    { name: "gradOutput", view: g },
    { name: "input", view: a.input },
    { name: "weight", view: a.weight },
  ]);
  const gi = new Float64Array(rows * F),
    gw = new Float64Array(O * F),
    gb = new Float64Array(O);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      const v = g[r * O + o];
      gb[o] += v;
      for (let k = 0; k < F; k++) {
        gi[r * F + k] += v * a.weight[o * F + k];
        gw[o * F + k] += v * a.input[r * F + k];
      }
    }
  }
  const place = (slot: typeof a.gradInput, values: Float64Array) => {
    if (slot.skip) return null;
    const out = slot.view ?? new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = a.accumulate ? out[i] + values[i] : values[i];
    return slot.view ? (slot.given as Float32Array) : out;
  };
  return { gradInput: place(a.gradInput, gi), gradWeight: place(a.gradWeight, gw), gradBias: place(a.gradBias, gb) };
}

interface HeadResult {
  loss: number | Float32Array;
  gradHidden: Float32Array | null;
  gradWeight: Float32Array | null;
  gradBias: Float32Array | null;
}

function head(
  fn: string,
  hidden: unknown,
  weight: unknown,
  labels: unknown,
  features: unknown,
  options: unknown,
  wantGrad: boolean,
): HeadResult {
  const a = checkLinearCrossEntropyArgs(fn, hidden, weight, labels, features, options, wantGrad);
  const { rows, inFeatures: F, outFeatures: C, labels: y } = a;
  const eps = a.labelSmoothing;
  const cw = (c: number) => (a.classWeight ? a.classWeight[c] : 1);
  let W = 0;
  for (let c = 0; c < C; c++) W += cw(c);
  const D = a.weightTotal;
  const losses = new Float64Array(rows);
  const gz = new Float64Array(rows * C); // d loss / d raw logits
  const z = new Float64Array(C),
    chain = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      let v = a.bias ? a.bias[c] : 0;
      for (let k = 0; k < F; k++) v += a.input[r * F + k] * a.weight[c * F + k];
      if (a.softcap > 0) {
        const t = Math.tanh(v / a.softcap);
        v = a.softcap * t;
        chain[c] = (1 - t * t) / a.temperature;
      } else {
        chain[c] = 1 / a.temperature;
      }
      z[c] = v / a.temperature;
    }
    if (y[r] === a.ignoreIndex) continue;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[c] - m);
    const lse = m + Math.log(s);
    const wy = cw(y[r]);
    let smooth = 0;
    for (let c = 0; c < C; c++) smooth += cw(c) * (lse - z[c]);
    losses[r] = (1 - eps) * wy * (lse - z[y[r]]) + (eps / C) * smooth + a.zLoss * lse * lse;
    if (!wantGrad) continue;
    const k =
      typeof a.gradOutput === "number" ? (a.reduction === "mean" ? a.gradOutput / D : a.gradOutput) : a.gradOutput[r];
    const coef = (1 - eps) * wy + (eps / C) * W + 2 * a.zLoss * lse;
    for (let c = 0; c < C; c++) {
      const p = Math.exp(z[c] - lse);
      const d = coef * p - (eps / C) * cw(c) - (c === y[r] ? (1 - eps) * wy : 0);
      gz[r * C + c] = k * d * chain[c];
    }
  }
  let loss: number | Float32Array;
  if (a.reduction === "none") {
    const out = a.out ?? new Float32Array(rows);
    out.set(losses);
    loss = a.out ? (a.outGiven as Float32Array) : out;
  } else {
    let total = 0;
    for (const l of losses) total += l;
    loss = a.reduction === "sum" ? total : total / (D === 0 && eps !== 0 ? Number.NaN : D);
  }
  if (!wantGrad) return { loss, gradHidden: null, gradWeight: null, gradBias: null };
  const gh = new Float64Array(rows * F),
    gw = new Float64Array(C * F),
    gb = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      const v = gz[r * C + c];
      if (v === 0) continue;
      gb[c] += v;
      for (let k = 0; k < F; k++) {
        gh[r * F + k] += v * a.weight[c * F + k];
        gw[c * F + k] += v * a.input[r * F + k];
      }
    }
  }
  const place = (slot: typeof a.gradHidden, values: Float64Array, accumulate: boolean) => {
    if (slot.skip) return null;
    const out = slot.view ?? new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = accumulate ? out[i] + values[i] : values[i];
    return slot.view ? (slot.given as Float32Array) : out;
  };
  return {
    loss,
    gradHidden: place(a.gradHidden, gh, false),
    gradWeight: place(a.gradWeight, gw, a.accumulate),
    gradBias: place(a.gradBias, gb, a.accumulate),
  };
}

/** The fused head's loss through materialised float64 logits. */
export function linearCrossEntropy(
  hidden: Float32Array,
  weight: Float32Array,
  labels: LabelArray | LabelList,
  features: number,
  options?: LinearCrossEntropyOptions,
): number | Float32Array {
  return head("linearCrossEntropy", hidden, weight, labels, features, options, false).loss;
}

/** The fused head's loss and gradients through materialised float64 logits. */
export function linearCrossEntropyWithGrad(
  hidden: Float32Array,
  weight: Float32Array,
  labels: LabelArray | LabelList,
  features: number,
  options?: LinearCrossEntropyGradOptions,
): HeadResult {
  return head("linearCrossEntropyWithGrad", hidden, weight, labels, features, options, true);
}
