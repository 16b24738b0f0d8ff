// `npm run accuracy`: how accurate the kernels are, measured, not asserted (not part of CI).
//  1. The exp used by every kernel, on every float32 input in [-87.3, 0] (the kernels only
//     take exp of x − max ≤ 0), in ULP against Math.exp rounded to float32, per build.
//  2. The largest error against each PyTorch reference case group, per build, as a fraction
//     of the data's tolerance (abs + rel·|expected|).
import { readFileSync } from "node:fs";
import * as pk from "../src/index.js";
import { requireRuntime } from "../src/engine/runtime.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Distance in representable float32 values between two non-negative floats. */
function ulpDistance(a: number, b: number): number {
  f32[0] = a;
  const ia = u32[0];
  f32[0] = b;
  const ib = u32[0];
  return Math.abs(ia - ib);
}

function expError(build: pk.BuildName) {
  pk.initSync({ build });
  const rt = requireRuntime("accuracy");
  const plan = rt.arena.planRows("accuracy", 1 << 16, [4, 4]);
  const chunk = plan.rowsPerChunk;
  const [src, dst] = plan.perRow;
  // Every float32 from -0 down to -87.3: bit patterns 0x80000000 .. bits(-87.3).
  f32[0] = -87.3;
  const last = u32[0];
  let worst = 0,
    worstX = 0,
    sumUlp = 0,
    count = 0,
    flushed = 0;
  const xs = new Float32Array(chunk);
  const xbits = new Uint32Array(xs.buffer);
  for (let bits = 0x80000000; bits <= last; bits += chunk) {
    const n = Math.min(chunk, last - bits + 1);
    for (let i = 0; i < n; i++) xbits[i] = bits + i;
    rt.arena.f32.set(xs.subarray(0, n), src >>> 2);
    rt.kernels.expNonPositiveArray(src, dst, n);
    const ys = rt.arena.f32.subarray(dst >>> 2, (dst >>> 2) + n);
    for (let i = 0; i < n; i++) {
      const expected = Math.fround(Math.exp(xs[i]));
      if (expected < 1.1754943508222875e-38) {
        flushed++;
        continue;
      } // subnormal results: flushed to 0 by design
      const e = ulpDistance(ys[i], expected);
      sumUlp += e;
      count++;
      if (e > worst) {
        worst = e;
        worstX = xs[i];
      }
    }
  }
  return { worst, worstX, mean: sumUlp / count, count, flushed };
}

interface Case {
  name: string;
  op: string;
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

function goldenError(build: pk.BuildName) {
  pk.initSync({ build });
  const data = JSON.parse(readFileSync(new URL("../test/fixtures/torch-reference.json", import.meta.url), "utf8"));
  const tol = data.tolerance;
  const num = (v: number | string) => Number(v);
  const worst = new Map<string, number>();
  const note = (what: string, actual: ArrayLike<number>, expected: number[], t: { abs: number; rel: number }) => {
    let w = worst.get(what) ?? 0;
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i],
        a = actual[i];
      if (!Number.isFinite(e)) continue;
      w = Math.max(w, Math.abs(a - e) / (t.abs + t.rel * Math.abs(e)));
    }
    worst.set(what, w);
  };
  for (const c of data.cases as Case[]) {
    const x = Float32Array.from(c.logits, num);
    if (c.op === "crossEntropy") {
      const target = c.targets ? Float32Array.from(c.targets, num) : c.labels!;
      const r = pk.crossEntropyWithGrad(x, target, c.cols, {
        reduction: c.reduction,
        labelSmoothing: c.labelSmoothing ?? 0,
        ...(c.weight ? { weight: Float32Array.from(c.weight, num) } : {}),
        ...(c.ignoreIndex !== undefined && !c.targets ? { ignoreIndex: c.ignoreIndex } : {}),
      });
      const loss = typeof r.loss === "number" ? [r.loss] : r.loss;
      const expectedLoss = Array.isArray(c.expectedLoss) ? c.expectedLoss.map(num) : [num(c.expectedLoss!)];
      note("crossEntropy loss", loss, expectedLoss, tol.logs_and_losses);
      note("crossEntropy grad", r.grad, c.expectedGrad!.map(num), tol.probabilities);
    } else {
      const fn = c.op === "softmax" ? pk.softmax : c.op === "logSoftmax" ? pk.logSoftmax : pk.logSumExp;
      note(
        c.op,
        fn(x, c.cols, { temperature: c.temperature ?? 1 }),
        c.expected!.map(num),
        c.op === "softmax" ? tol.probabilities : tol.logs_and_losses,
      );
    }
  }
  return worst;
}

pk.initSync();
const builds = pk.runtimeInfo().availableBuilds;
console.log(`Node ${process.version}; builds: ${builds.join(", ")}\n`);
console.log("exp(x) on every float32 x in [-87.3, 0], against Math.exp rounded to float32:");
for (const build of builds) {
  const r = expError(build);
  console.log(
    `  ${build.padEnd(13)} max ${r.worst} ULP (at x = ${r.worstX}), mean ${r.mean.toFixed(3)} ULP over ${r.count} inputs; ${r.flushed} inputs with subnormal results flushed to 0`,
  );
}
console.log("\nLargest error against the PyTorch reference cases, as a fraction of the allowed tolerance:");
for (const build of builds) {
  const w = goldenError(build);
  console.log(`  ${build.padEnd(13)} ${[...w].map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ")}`);
}
