// Every PyTorch reference case of torch-reference.json (softmax, logSoftmax, logSumExp,
// cross-entropy) and the fused head's (torch-reference-3.json) through the async twins on a
// threaded runtime, with ordinary arrays and with WasmArrays (zero-copy, split across threads when
// large enough): within the data's tolerances, and bit for bit the synchronous one-thread result.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { LOG_TOL, mismatch, num, PROB_TOL } from "../helpers.js";

const THREADS_AVAILABLE = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === "function";

type Value = number | string;
interface Case {
  name: string;
  op: string;
  cols: number;
  logits: Value[];
  temperature?: number;
  expected?: Value[];
  labels?: number[];
  targets?: Value[];
  weight?: Value[];
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: "mean" | "sum" | "none";
  expectedLoss?: Value | Value[];
  expectedGrad?: Value[];
}
interface HeadCase {
  name: string;
  op: string;
  features: number;
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
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));
const cases: Case[] = fixture("torch-reference.json").cases;
const headData = fixture("torch-reference-3.json");
const headCases: HeadCase[] = headData.cases.filter((c: HeadCase) => c.op === "linearCrossEntropy");
const f32 = (values: Value[]) => Float32Array.from(values, num);
const bits = (v: number | Float32Array) => (typeof v === "number" ? [v] : Array.from(v));

/** A copy of `values` in wasm memory (read `.array` at the call: an allocation may grow memory). */
function inWasm(values: Float32Array): pk.WasmArray<Float32Array> {
  const a = pk.allocFloat32(values.length);
  a.array.set(values);
  return a;
}

/** One case through the async twins; `wasm` puts the logits in wasm memory. Returns every result. */
async function run(c: Case, wasm: boolean): Promise<(number | Float32Array)[]> {
  const held = wasm ? inWasm(f32(c.logits)) : null;
  const logits = () => held?.array ?? f32(c.logits);
  try {
    if (c.op === "crossEntropy") {
      const target = c.targets ? f32(c.targets) : c.labels!;
      const options = {
        reduction: c.reduction,
        ...(c.weight ? { weight: f32(c.weight) } : {}),
        ...(c.ignoreIndex !== undefined && !c.targets ? { ignoreIndex: c.ignoreIndex } : {}),
        ...(c.labelSmoothing ? { labelSmoothing: c.labelSmoothing } : {}),
      };
      const loss = await pk.crossEntropyAsync(logits(), target, c.cols, options);
      const both = await pk.crossEntropyWithGradAsync(logits(), target, c.cols, options);
      return [loss, both.loss, both.grad.slice()];
    }
    const fn = c.op === "softmax" ? pk.softmaxAsync : c.op === "logSoftmax" ? pk.logSoftmaxAsync : pk.logSumExpAsync;
    return [(await fn(logits(), c.cols, { temperature: c.temperature ?? 1 })).slice()];
  } finally {
    held?.free();
  }
}

function check(c: Case, results: (number | Float32Array)[]): void {
  if (c.op === "crossEntropy") {
    const loss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss!);
    expect(mismatch(results[0], loss, LOG_TOL)).toBeNull();
    expect(mismatch(results[1], loss, LOG_TOL)).toBeNull();
    expect(mismatch(results[2], c.expectedGrad!.map(num), PROB_TOL)).toBeNull();
  } else {
    expect(mismatch(results[0], c.expected!.map(num), c.op === "softmax" ? PROB_TOL : LOG_TOL)).toBeNull();
  }
}

describe.skipIf(!THREADS_AVAILABLE)("PyTorch reference cases through async calls on two threads", () => {
  const single = new Map<string, (number | Float32Array)[]>();
  const singleHead = new Map<string, (number | Float32Array)[]>();
  const head = async (c: HeadCase) => {
    const r = await pk.linearCrossEntropyWithGradAsync(f32(c.hidden), f32(c.weight), c.labels, c.features, {
      bias: c.bias && f32(c.bias),
      classWeight: c.classWeight && f32(c.classWeight),
      ignoreIndex: c.ignoreIndex,
      labelSmoothing: c.labelSmoothing,
      reduction: c.reduction,
      temperature: c.temperature,
      softcap: c.softcap,
      zLoss: c.zLoss,
    });
    return [r.loss, r.gradHidden!, r.gradWeight!];
  };

  beforeAll(async () => {
    // The one-thread synchronous results first (the same build as below), for the bitwise check.
    const { build } = await pk.init({ threads: 1 });
    for (const c of cases) single.set(c.name, await run(c, false));
    for (const c of headCases) singleHead.set(c.name, await head(c));
    await pk.init({ threads: 2, build });
  });
  afterAll(async () => {
    await pk.init({ threads: 1 });
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    for (const wasm of [false, true]) {
      const results = await run(c, wasm);
      check(c, results);
      results.forEach((r, i) => expect(bits(r), `result ${i}, wasm ${wasm}`).toEqual(bits(single.get(c.name)![i])));
    }
  });

  it.each(headCases.map((c) => [c.name, c] as const))("fused head: %s", async (_name, c) => {
    const results = await head(c);
    const loss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : num(c.expectedLoss);
    expect(mismatch(results[0], loss, headData.tolerance.loss)).toBeNull();
    expect(mismatch(results[1], c.expectedGradHidden.map(num), headData.tolerance.grad)).toBeNull();
    results.forEach((r, i) => expect(bits(r), `result ${i}`).toEqual(bits(singleHead.get(c.name)![i])));
  });
});
