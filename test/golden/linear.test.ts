// PyTorch reference cases of the classifier head (test/fixtures/torch-reference-3.json, op
// linearCrossEntropy: F.cross_entropy(F.linear(hidden, weight, bias), …) with soft-capping and
// z-loss, computed in float64): the fused functions on every build and on the reference, and the
// unfused path (linear → crossEntropyWithGrad → linearBackward) where it applies.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, mismatch, num, type Tolerance } from "../helpers.js";

type Value = number | string;
interface Case {
  name: string;
  op: string;
  rows: number;
  features: number;
  classes: number;
  hidden: Value[];
  weight: Value[];
  bias?: Value[];
  labels: number[];
  classWeight?: Value[];
  ignoreIndex?: number;
  labelSmoothing: number;
  reduction: "mean" | "sum" | "none";
  temperature: number;
  softcap?: number;
  zLoss?: number;
  expectedLoss: Value | Value[];
  expectedGradHidden: Value[];
  expectedGradWeight: Value[];
  expectedGradBias?: Value[];
}

const data = JSON.parse(readFileSync(new URL("../fixtures/torch-reference-3.json", import.meta.url), "utf8")) as {
  cases: Case[];
  tolerance: { loss: Tolerance; grad: Tolerance };
};
const cases = data.cases.filter((c) => c.op === "linearCrossEntropy");
const TOL = data.tolerance;
const f32 = (values: Value[]) => Float32Array.from(values, num);
const expectedLoss = (c: Case) => (Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss));

function options(c: Case): pk.LinearCrossEntropyGradOptions {
  return {
    bias: c.bias && f32(c.bias),
    classWeight: c.classWeight && f32(c.classWeight),
    ignoreIndex: c.ignoreIndex,
    labelSmoothing: c.labelSmoothing,
    reduction: c.reduction,
    temperature: c.temperature,
    softcap: c.softcap,
    zLoss: c.zLoss,
  };
}

function checkFused(m: typeof pk | typeof ref, c: Case): void {
  const h = f32(c.hidden),
    w = f32(c.weight);
  const o = options(c);
  const r = m.linearCrossEntropyWithGrad(h, w, c.labels, c.features, o);
  expect(mismatch(r.loss, expectedLoss(c), TOL.loss), "loss").toBeNull();
  expect(mismatch(r.gradHidden!, c.expectedGradHidden.map(num), TOL.grad), "gradHidden").toBeNull();
  expect(mismatch(r.gradWeight!, c.expectedGradWeight.map(num), TOL.grad), "gradWeight").toBeNull();
  if (c.expectedGradBias) expect(mismatch(r.gradBias!, c.expectedGradBias.map(num), TOL.grad), "gradBias").toBeNull();
  else expect(r.gradBias).toBeNull();
  const { gradOutput: _, ...forward } = o;
  expect(mismatch(m.linearCrossEntropy(h, w, c.labels, c.features, forward), expectedLoss(c), TOL.loss)).toBeNull();
}

describeBuilds("PyTorch reference: the fused classifier head", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => checkFused(pk, c));

  it.each(cases.filter((c) => !c.softcap && !c.zLoss).map((c) => [c.name, c] as const))(
    "%s, unfused: linear → crossEntropyWithGrad → linearBackward",
    (_name, c) => {
      const h = f32(c.hidden),
        w = f32(c.weight);
      const bias = c.bias && f32(c.bias);
      const logits = pk.linear(h, w, c.features, { bias });
      const { loss, grad } = pk.crossEntropyWithGrad(logits, c.labels, c.classes, {
        weight: c.classWeight && f32(c.classWeight),
        ignoreIndex: c.ignoreIndex,
        labelSmoothing: c.labelSmoothing,
        reduction: c.reduction,
        temperature: c.temperature,
      });
      expect(mismatch(loss, expectedLoss(c), TOL.loss)).toBeNull();
      const g = pk.linearBackward(grad, h, w, c.features, { gradBias: bias ? undefined : false });
      expect(mismatch(g.gradInput!, c.expectedGradHidden.map(num), TOL.grad)).toBeNull();
      expect(mismatch(g.gradWeight!, c.expectedGradWeight.map(num), TOL.grad)).toBeNull();
      if (c.expectedGradBias) expect(mismatch(g.gradBias!, c.expectedGradBias.map(num), TOL.grad)).toBeNull();
    },
  );
});

describe("PyTorch reference: the fused classifier head, plain-TS reference", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => checkFused(ref, c));
});
