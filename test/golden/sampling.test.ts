// PyTorch reference cases of the sampling family (test/fixtures/torch-reference-2.json):
// filterLogits (transformers' warpers, PyTorch float64: kept counts exact, probabilities within
// tolerance) on every build; torch.rand, torch.randint, torch.randperm and nn.Linear's
// initialisation (PyTorch's own float32 outputs) bit for bit with compat "torch".
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, mismatch, num, PROB_TOL } from "../helpers.js";

type Value = number | string;
interface Case {
  name: string;
  op: string;
  rows: number;
  cols: number;
  seed: number;
  n: number;
  low: number;
  high: number;
  logits: Value[];
  options: { temperature: number; topK: number; topP: number; minP: number; minTokensToKeep: number };
  expectedProbs: Value[];
  expectedKept: number[];
  expected: number[];
  inFeatures: number;
  outFeatures: number;
  expectedWeight: number[];
  expectedBias: number[];
  expectedXavierUniform: number[];
  expectedKaimingUniformRelu: number[];
}

const data = JSON.parse(readFileSync(new URL("../fixtures/torch-reference-2.json", import.meta.url), "utf8")) as {
  cases: Case[];
};
const of = (op: string) => data.cases.filter((c) => c.op === op);

/** softmax of filtered logits in float64 (removed entries are −Infinity: probability 0). */
function probabilities(filtered: Float32Array, rows: number, cols: number): { probs: Float64Array; kept: number[] } {
  const probs = new Float64Array(rows * cols);
  const kept: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = filtered.subarray(r * cols, (r + 1) * cols);
    let max = -Infinity,
      count = 0;
    for (const v of row) {
      max = Math.max(max, v);
      if (v > -Infinity) count++;
    }
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    for (let i = 0; i < cols; i++) probs[r * cols + i] = Math.exp(row[i] - max) / z;
    kept.push(count);
  }
  return { probs, kept };
}

function checkFilter(m: typeof pk | typeof ref, c: Case): void {
  const filtered = m.filterLogits(Float32Array.from(c.logits, num), c.cols, c.options);
  const { probs, kept } = probabilities(filtered, c.rows, c.cols);
  expect(kept).toEqual(c.expectedKept);
  expect(mismatch(probs, c.expectedProbs.map(num), PROB_TOL)).toBeNull();
}

describeBuilds("filterLogits matches transformers' warpers (PyTorch float64)", () => {
  it.each(of("filterLogits").map((c) => [c.name, c] as const))("%s", (_name, c) => checkFilter(pk, c));
});

describe("reference filterLogits matches transformers' warpers", () => {
  it.each(of("filterLogits").map((c) => [c.name, c] as const))("%s", (_name, c) => checkFilter(ref, c));
});

const bits = (a: ArrayLike<number>) => Array.from(Float32Array.from(a as ArrayLike<number>), (v) => v);

describeBuilds("torch-compatible uniform streams and initialisers (PyTorch 1.13 CPU, bit for bit)", () => {
  it.each(of("rand").map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(bits(pk.randomUniform(c.n, { seed: c.seed, compat: "torch" }))).toEqual(bits(c.expected));
  });
  it.each(of("randint").map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(Array.from(pk.randomInt(c.n, c.low, c.high, { seed: c.seed, compat: "torch" }))).toEqual(c.expected);
  });
  it.each(of("randperm").map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(Array.from(pk.randperm(c.n, { seed: c.seed, compat: "torch" }))).toEqual(c.expected);
  });
  it.each(of("linearInit").map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { weight, bias } = pk.linearInit(c.inFeatures, c.outFeatures, { seed: c.seed, compat: "torch" });
    expect(bits(weight)).toEqual(bits(c.expectedWeight));
    expect(bits(bias!)).toEqual(bits(c.expectedBias));
    const shape = [c.outFeatures, c.inFeatures];
    const size = c.outFeatures * c.inFeatures;
    expect(bits(pk.xavierUniform(new Float32Array(size), shape, { seed: c.seed, compat: "torch" }))).toEqual(
      bits(c.expectedXavierUniform),
    );
    expect(
      bits(pk.kaimingUniform(new Float32Array(size), shape, { seed: c.seed, compat: "torch", nonlinearity: "relu" })),
    ).toEqual(bits(c.expectedKaimingUniformRelu));
  });
});
