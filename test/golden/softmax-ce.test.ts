// Every PyTorch reference case (test/fixtures/torch-reference.json) through the public API on
// every build, and through the plain-TS reference, within the data's tolerances.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, num, PROB_TOL } from "../helpers.js";

interface Case {
  name: string;
  op: string;
  rows: number;
  cols: number;
  logits: (number | string)[];
  temperature?: number;
  expected?: (number | string)[];
  labels?: number[];
  targets?: (number | string)[];
  weight?: (number | string)[];
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: "mean" | "sum" | "none";
  expectedLoss?: number | string | (number | string)[];
  expectedGrad?: (number | string)[];
}

const data = JSON.parse(readFileSync(new URL("../fixtures/torch-reference.json", import.meta.url), "utf8"));
const cases: Case[] = data.cases;
const f32 = (values: (number | string)[]) => Float32Array.from(values, num);

type Impl = typeof pk | typeof ref;

function checkCase(impl: Impl, c: Case): void {
  const logits = f32(c.logits);
  const before = logits.slice();
  if (c.op === "crossEntropy") {
    const target = c.targets ? f32(c.targets) : c.labels!;
    const options = {
      reduction: c.reduction,
      ...(c.weight ? { weight: f32(c.weight) } : {}),
      ...(c.ignoreIndex !== undefined && !c.targets ? { ignoreIndex: c.ignoreIndex } : {}),
      ...(c.labelSmoothing ? { labelSmoothing: c.labelSmoothing } : {}),
    };
    const expectedLoss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss!);
    const expectedGrad = c.expectedGrad!.map(num);
    const loss = impl.crossEntropy(logits, target, c.cols, options);
    expect(mismatch(loss as number | Float32Array, expectedLoss, LOG_TOL), "crossEntropy").toBeNull();
    const grad = impl.crossEntropyBackward(logits, target, c.cols, options);
    expect(mismatch(grad, expectedGrad, PROB_TOL), "crossEntropyBackward").toBeNull();
    const both = impl.crossEntropyWithGrad(logits, target, c.cols, options);
    expect(mismatch(both.loss as number | Float32Array, expectedLoss, LOG_TOL), "withGrad loss").toBeNull();
    expect(mismatch(both.grad, expectedGrad, PROB_TOL), "withGrad grad").toBeNull();
  } else {
    const fn = c.op === "softmax" ? impl.softmax : c.op === "logSoftmax" ? impl.logSoftmax : impl.logSumExp;
    const tol = c.op === "softmax" ? PROB_TOL : LOG_TOL;
    const result = fn(logits, c.cols, { temperature: c.temperature ?? 1 });
    expect(mismatch(result, c.expected!.map(num), tol), c.op).toBeNull();
  }
  expect(Array.from(logits), "logits unchanged").toEqual(Array.from(before));
}

it("the fixture holds all 104 reference cases", () => {
  expect(cases.length).toBe(104);
});

describeBuilds("PyTorch reference cases", (build) => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    expect(pk.runtimeInfo().build).toBe(build);
    checkCase(pk, c);
  });
});

describe("PyTorch reference cases, plain-TS reference", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => checkCase(ref, c));
});
