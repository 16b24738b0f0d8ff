// 16-bit float logits (test/fixtures/torch-reference-3.json, op halfLogits: float16 and bfloat16
// bit patterns, expected values from PyTorch in float64 on the values they stand for): softmax,
// logSoftmax, logSumExp and cross-entropy through a Uint16Array with dtype, on every build and on
// the reference, and bit for bit the float32 path on the same values (the widening is exact).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, mismatch, num, type Tolerance } from "../helpers.js";
import { decodeHalf } from "../../src/checks/half.js";

type Value = number | string;
interface Case {
  name: string;
  op: string;
  dtype: "float16" | "bfloat16";
  rows: number;
  cols: number;
  bits: number[];
  values: Value[];
  labels: number[];
  expectedSoftmax: Value[];
  expectedLogSoftmax: Value[];
  expectedLogSumExp: Value[];
  expectedArgmax: number[];
  expectedLoss: Value;
  expectedGrad: Value[];
}

const data = JSON.parse(readFileSync(new URL("../fixtures/torch-reference-3.json", import.meta.url), "utf8")) as {
  cases: Case[];
  tolerance: { loss: Tolerance; grad: Tolerance; prob: Tolerance; half: Tolerance };
};
const cases = data.cases.filter((c) => c.op === "halfLogits");
const TOL = data.tolerance;
const LOG: Tolerance = { abs: 1e-5, rel: 1e-5 };
const bits = (v: number | Float32Array) => (typeof v === "number" ? [v] : Array.from(v));

function check(m: typeof pk | typeof ref, c: Case): void {
  const half = Uint16Array.from(c.bits);
  const o = { dtype: c.dtype };
  expect(mismatch(m.softmax(half, c.cols, o), c.expectedSoftmax.map(num), TOL.prob), "softmax").toBeNull();
  expect(mismatch(m.logSoftmax(half, c.cols, o), c.expectedLogSoftmax.map(num), LOG), "logSoftmax").toBeNull();
  expect(mismatch(m.logSumExp(half, c.cols, o), c.expectedLogSumExp.map(num), LOG), "logSumExp").toBeNull();
  const { loss, grad } = m.crossEntropyWithGrad(half, c.labels, c.cols, o);
  expect(mismatch(loss, num(c.expectedLoss), TOL.loss), "loss").toBeNull();
  expect(mismatch(grad, c.expectedGrad.map(num), TOL.grad), "grad").toBeNull();
  expect(Array.from(half), "the caller's bits unchanged").toEqual(c.bits);
}

describeBuilds("PyTorch reference: 16-bit float logits", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    check(pk, c);
    const half = Uint16Array.from(c.bits);
    expect(Array.from(pk.argmax(half, c.cols, { dtype: c.dtype })), "argmax").toEqual(c.expectedArgmax);
    const hits = c.expectedArgmax.filter((a, r) => a === c.labels[r]).length;
    expect(pk.accuracy(half, c.labels, c.cols, { dtype: c.dtype })).toBe(hits / c.rows);
    // The same bits as float32 logits of the same values (also through WasmArrays of both widths).
    const values = Float32Array.from(c.values, num);
    expect(Array.from(decodeHalf(half, c.dtype)), "the bits' values, decoded").toEqual(Array.from(values));
    expect(bits(pk.softmax(half, c.cols, { dtype: c.dtype }))).toEqual(bits(pk.softmax(values, c.cols)));
    const a = pk.crossEntropyWithGrad(half, c.labels, c.cols, { dtype: c.dtype, labelSmoothing: 0.1 });
    const b = pk.crossEntropyWithGrad(values, c.labels, c.cols, { labelSmoothing: 0.1 });
    expect(bits(a.loss)).toEqual(bits(b.loss));
    expect(bits(a.grad)).toEqual(bits(b.grad));
    const w = pk.allocInt32(Math.ceil(half.length / 2));
    const resident = new Uint16Array(w.array.buffer, w.array.byteOffset, half.length);
    resident.set(half);
    expect(bits(pk.logSumExp(resident, c.cols, { dtype: c.dtype }))).toEqual(bits(pk.logSumExp(values, c.cols)));
    w.free();
  });
});

describe("PyTorch reference: 16-bit float logits, plain-TS reference", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => check(ref, c));
});
