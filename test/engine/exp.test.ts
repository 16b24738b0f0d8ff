// The exp inside every kernel: within 2 ULP of the correctly rounded result on a dense sample
// of [-87.3, 0] (`npm run accuracy` checks every float32 there and finds 2 ULP at most), exact
// 0 for −Infinity and below the flush point, NaN for NaN.
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { requireRuntime } from "../../src/engine/runtime.js";
import { describeBuilds } from "../helpers.js";

function kernelExp(xs: Float32Array): Float32Array {
  const rt = requireRuntime("exp test");
  const plan = rt.arena.planRows("exp test", xs.length, [4, 4]);
  const [src, dst] = plan.perRow;
  const out = new Float32Array(xs.length);
  for (let i = 0; i < xs.length; i += plan.rowsPerChunk) {
    const n = Math.min(plan.rowsPerChunk, xs.length - i);
    rt.arena.f32.set(xs.subarray(i, i + n), src >>> 2);
    rt.kernels.expNonPositiveArray(src, dst, n);
    out.set(rt.arena.f32.subarray(dst >>> 2, (dst >>> 2) + n), i);
  }
  return out;
}

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
function ulps(a: number, b: number): number {
  asFloat[0] = a;
  const ia = bits[0];
  asFloat[0] = b;
  return Math.abs(ia - bits[0]);
}

describeBuilds("exp", (build) => {
  it("is within 2 ULP on 200,003 points spread over [-87.3, 0] and near 0", () => {
    pk.initSync({ build });
    const n = 200_003;
    const xs = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -87.3 * (i / n) : -(2 ** (-24 * (i / n))) * 2));
    const ys = kernelExp(xs);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, ulps(ys[i], Math.fround(Math.exp(xs[i]))));
    expect(worst).toBeLessThanOrEqual(2);
  });

  it("gives 0 for −Infinity and below −87.34, 1 at 0 and NaN for NaN", () => {
    pk.initSync({ build });
    const ys = kernelExp(new Float32Array([-Infinity, -87.35, -100, -1e30, 0, -0, NaN]));
    expect(Array.from(ys.subarray(0, 6))).toEqual([0, 0, 0, 0, 1, 1]);
    expect(ys[6]).toBeNaN();
  });
});
