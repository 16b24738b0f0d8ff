// PyTorch reference cases of the second family (test/fixtures/torch-reference-2.json, copied
// from the shared reference data) for the functions the package has so far: entropy, argmax and
// accuracy, topK, the normal log density and density, KL divergence, nll_loss, binary cross-entropy with logits, distillation, Gaussian NLL: every op the second family has but
// the sampling ones (filterLogits, rand, randperm, randint, linearInit: the sampling issue). On every build, and on the reference.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, num, PROB_TOL } from "../helpers.js";

type Value = number | string;
interface Case {
  name: string;
  op: string;
  rows: number;
  cols: number;
  logits?: Value[];
  temperature?: number;
  expected?: Value[];
  labels?: number[];
  expectedAccuracy?: number;
  k?: number;
  expectedValues?: Value[];
  expectedIndices?: number[];
  x?: Value[];
  mean?: number;
  std?: number;
  expectedLogPdf?: Value[];
  expectedPdf?: Value[];
  input?: Value[];
  target?: Value[];
  logTarget?: boolean;
  reduction?: string;
  expectedLoss?: Value | Value[];
  expectedGrad?: Value[];
  weight?: Value[];
  ignoreIndex?: number;
  targets?: Value[];
  posWeight?: Value[];
  student?: Value[];
  teacher?: Value[];
  alpha?: number;
  var?: Value[];
  full?: boolean;
  eps?: number;
  expectedGradInput?: Value[];
  expectedGradVar?: Value[];
}

const data = JSON.parse(readFileSync(new URL("../fixtures/torch-reference-2.json", import.meta.url), "utf8")) as {
  cases: Case[];
};
const OPS = [
  "entropy",
  "argmax",
  "topK",
  "normalLogPdf",
  "klDiv",
  "nllLoss",
  "binaryCrossEntropyWithLogits",
  "distillation",
  "gaussianNllLoss",
];
const cases = data.cases.filter((c) => OPS.includes(c.op));
const f32 = (values: Value[]) => Float32Array.from(values, num);

function check(m: typeof pk | typeof ref, c: Case): void {
  switch (c.op) {
    case "entropy": {
      const got = m.entropy(f32(c.logits!), c.cols, { temperature: c.temperature });
      expect(mismatch(got, c.expected!.map(num), LOG_TOL)).toBeNull();
      break;
    }
    case "argmax": {
      expect(Array.from(m.argmax(f32(c.logits!), c.cols))).toEqual(c.expected);
      if (c.labels) expect(m.accuracy(f32(c.logits!), c.labels, c.cols)).toBe(c.expectedAccuracy);
      break;
    }
    case "topK": {
      const { values, indices } = m.topK(f32(c.logits!), c.cols, { k: c.k! });
      expect(Array.from(indices)).toEqual(c.expectedIndices);
      expect(mismatch(values, c.expectedValues!.map(num), { abs: 0, rel: 1e-7 })).toBeNull();
      break;
    }
    case "klDiv": {
      const options = { reduction: c.reduction as pk.KlReduction, logTarget: c.logTarget };
      const [input, target] = [f32(c.input!), f32(c.target!)];
      const expectedLoss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss!);
      expect(mismatch(m.klDiv(input, target, c.cols, options), expectedLoss, LOG_TOL)).toBeNull();
      const both = m.klDivWithGrad(input, target, c.cols, options);
      expect(mismatch(both.loss, expectedLoss, LOG_TOL)).toBeNull();
      expect(mismatch(both.grad, c.expectedGrad!.map(num), PROB_TOL)).toBeNull();
      expect(mismatch(m.klDivBackward(input, target, c.cols, options), c.expectedGrad!.map(num), PROB_TOL)).toBeNull();
      break;
    }
    case "nllLoss": {
      const options = {
        reduction: c.reduction as pk.Reduction,
        ignoreIndex: c.ignoreIndex,
        weight: c.weight?.map(num),
      };
      const input = f32(c.input!);
      const expectedLoss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss!);
      expect(mismatch(m.nllLoss(input, c.labels!, c.cols, options), expectedLoss, LOG_TOL)).toBeNull();
      const both = m.nllLossWithGrad(input, c.labels!, c.cols, options);
      expect(mismatch(both.loss, expectedLoss, LOG_TOL)).toBeNull();
      expect(mismatch(both.grad, c.expectedGrad!.map(num), PROB_TOL)).toBeNull();
      expect(
        mismatch(m.nllLossBackward(input, c.labels!, c.cols, options), c.expectedGrad!.map(num), PROB_TOL),
      ).toBeNull();
      break;
    }
    case "binaryCrossEntropyWithLogits": {
      const options = {
        reduction: c.reduction as pk.Reduction,
        weight: c.weight?.map(num),
        posWeight: c.posWeight?.map(num),
      };
      const [x, t] = [f32(c.logits!), f32(c.targets!)];
      const expectedLoss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss!);
      expect(mismatch(m.binaryCrossEntropyWithLogits(x, t, c.cols, options), expectedLoss, LOG_TOL)).toBeNull();
      const both = m.binaryCrossEntropyWithLogitsWithGrad(x, t, c.cols, options);
      expect(mismatch(both.loss, expectedLoss, LOG_TOL)).toBeNull();
      expect(mismatch(both.grad, c.expectedGrad!.map(num), PROB_TOL)).toBeNull();
      expect(
        mismatch(m.binaryCrossEntropyWithLogitsBackward(x, t, c.cols, options), c.expectedGrad!.map(num), PROB_TOL),
      ).toBeNull();
      break;
    }
    case "distillation": {
      const { loss, grad } = m.distillationLoss(f32(c.student!), f32(c.teacher!), c.cols, {
        temperature: c.temperature,
        alpha: c.alpha,
        labels: c.labels,
      });
      expect(mismatch(loss, num(c.expectedLoss as Value), LOG_TOL)).toBeNull();
      expect(mismatch(grad, c.expectedGrad!.map(num), PROB_TOL)).toBeNull();
      break;
    }
    case "gaussianNllLoss": {
      const options = { full: c.full, eps: c.eps, reduction: c.reduction as pk.Reduction };
      const [x, t, v] = [f32(c.input!), f32(c.target!), f32(c.var!)];
      const expectedLoss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss!);
      expect(mismatch(m.gaussianNllLoss(x, t, v, c.cols, options), expectedLoss, LOG_TOL)).toBeNull();
      const both = m.gaussianNllLossWithGrad(x, t, v, c.cols, options);
      expect(mismatch(both.loss, expectedLoss, LOG_TOL)).toBeNull();
      expect(mismatch(both.grad, c.expectedGradInput!.map(num), LOG_TOL)).toBeNull();
      expect(mismatch(both.gradVar, c.expectedGradVar!.map(num), LOG_TOL)).toBeNull();
      break;
    }
    case "normalLogPdf": {
      const x = f32(c.x!);
      expect(mismatch(m.normalLogPdf(x, { mean: c.mean, std: c.std }), c.expectedLogPdf!.map(num), LOG_TOL)).toBeNull();
      expect(mismatch(m.normalPdf(x, { mean: c.mean, std: c.std }), c.expectedPdf!.map(num), PROB_TOL)).toBeNull();
      break;
    }
  }
}

it("the fixture holds the second family's cases this suite covers", () => {
  expect(cases.length).toBe(13 + 6 + 15 + 3 + 33 + 6 + 13 + 12 + 6);
});

describeBuilds("PyTorch reference cases, second family", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => check(pk, c));
});

describe("PyTorch reference cases, second family, plain-TS reference", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => check(ref, c));
});
