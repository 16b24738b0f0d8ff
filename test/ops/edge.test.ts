// Special values on every code path: each value placed first, inside the 16-wide SIMD body and
// in the scalar tail, for row lengths that exercise each path. Expected values are PyTorch's,
// as stated in docs/semantics.md §2.1–2.3 (not computed by the code under test).
import { beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { BUILDS, LOG_TOL, mismatch, PROB_TOL, randomLogits } from "../helpers.js";

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 67, 1000, 1027, 4099];
const positions = (n: number) => [...new Set([0, Math.min(n - 1, 5), Math.min(n - 1, 20), n - 1])];

const impls = [
  ...BUILDS.map((build) => ({ name: `${build} build`, impl: pk as typeof pk | typeof ref, build })),
  { name: "reference", impl: ref as typeof pk | typeof ref, build: null },
];

for (const { name, impl, build } of impls) {
  describe(`edge cases, ${name}`, () => {
    beforeAll(async () => {
      if (build) await pk.init({ build });
    });

    it.each(LENGTHS)("an all −Infinity row (length %i): softmax and logSoftmax NaN, logSumExp −Infinity", (n) => {
      const x = new Float32Array(3 * n).fill(-Infinity);
      x.set(randomLogits(n, n), 0); // a normal row before it
      x.set(randomLogits(n, n + 1), 2 * n); // and after it
      const p = impl.softmax(x, n);
      const l = impl.logSoftmax(x, n);
      const lse = impl.logSumExp(x, n);
      for (let c = 0; c < n; c++) {
        expect(p[n + c]).toBeNaN();
        expect(l[n + c]).toBeNaN();
      }
      expect(lse[1]).toBe(-Infinity);
      expect(Number.isFinite(lse[0]) && Number.isFinite(lse[2])).toBe(true);
      expect(mismatch(p.subarray(0, n), ref.softmax(x.subarray(0, n), n), PROB_TOL)).toBeNull();
      expect(mismatch(p.subarray(2 * n), ref.softmax(x.subarray(2 * n), n), PROB_TOL)).toBeNull();
    });

    it.each(LENGTHS)("+Infinity anywhere in a row (length %i): softmax row NaN, logSumExp +Infinity", (n) => {
      for (const at of positions(n)) {
        const x = randomLogits(n, at + 17);
        x[at] = Infinity;
        if (n > 1) x[(at + 1) % n] = -Infinity;
        expect(Array.from(impl.softmax(x, n)).every(Number.isNaN), `at ${at}`).toBe(true);
        expect(Array.from(impl.logSoftmax(x, n)).every(Number.isNaN), `at ${at}`).toBe(true);
        expect(impl.logSumExp(x, n)[0], `at ${at}`).toBe(Infinity);
      }
    });

    it.each(LENGTHS)("NaN anywhere in a row (length %i) propagates to every output", (n) => {
      for (const at of positions(n)) {
        const x = randomLogits(n, at + 3);
        x[at] = NaN;
        expect(Array.from(impl.softmax(x, n)).every(Number.isNaN), `at ${at}`).toBe(true);
        expect(Array.from(impl.logSoftmax(x, n)).every(Number.isNaN), `at ${at}`).toBe(true);
        expect(impl.logSumExp(x, n)[0], `at ${at}`).toBeNaN();
      }
    });

    it.each(LENGTHS)(
      "NaN next to +Infinity, next to −Infinity only, or alone gives NaN everywhere (length %i)",
      (n) => {
        for (const at of positions(n)) {
          for (const fill of [Infinity, -Infinity, NaN, 1]) {
            const x = new Float32Array(n).fill(-Infinity);
            x[(at + 1) % n] = fill;
            x[at] = NaN;
            const what = `NaN at ${at} with ${fill}`;
            expect(impl.logSumExp(x, n)[0], what).toBeNaN();
            expect(Array.from(impl.softmax(x, n)).every(Number.isNaN), what).toBe(true);
            expect(Array.from(impl.logSoftmax(x, n)).every(Number.isNaN), what).toBe(true);
            expect(impl.crossEntropy(x, [(at + 1) % n], n), what).toBeNaN();
          }
        }
      },
    );

    it.each(LENGTHS)("masked (−Infinity) entries and one finite entry (length %i)", (n) => {
      for (const at of positions(n)) {
        const x = new Float32Array(n).fill(-Infinity);
        x[at] = 3.5;
        const p = impl.softmax(x, n);
        const l = impl.logSoftmax(x, n);
        for (let c = 0; c < n; c++) {
          expect(p[c]).toBe(c === at ? 1 : 0);
          expect(l[c]).toBe(c === at ? 0 : -Infinity);
        }
        expect(impl.logSumExp(x, n)[0]).toBeCloseTo(3.5, 6);
      }
    });

    it.each(LENGTHS)("huge logits (1e30, 3e38) stay finite where PyTorch's are (length %i)", (n) => {
      for (const at of positions(n)) {
        const x = randomLogits(n, at);
        for (let c = 0; c < n; c += 2) x[c] = -1e30;
        x[at] = 3e38;
        const p = impl.softmax(x, n);
        const l = impl.logSoftmax(x, n);
        for (let c = 0; c < n; c++) expect(p[c]).toBe(c === at ? 1 : 0);
        expect(l[at]).toBe(0);
        expect(mismatch(l, ref.logSoftmax(x, n), LOG_TOL)).toBeNull();
        expect(mismatch(impl.logSumExp(x, n), [3e38], LOG_TOL)).toBeNull();
        // 1e30 everywhere: shift invariance keeps the uniform answer.
        const flat = new Float32Array(n).fill(1e30);
        expect(mismatch(impl.softmax(flat, n), new Float32Array(n).fill(1 / n), PROB_TOL)).toBeNull();
      }
    });

    it("cross-entropy: a −Infinity logit off the target is fine; on the target the loss is +Infinity", () => {
      const x = new Float32Array([0, -Infinity, 1, 2, /* row 2 */ 0, -Infinity, -Infinity, -Infinity]);
      const losses = impl.crossEntropy(x, [0, 1], 4, { reduction: "none" }) as Float32Array;
      expect(losses[0]).toBeCloseTo(2.4076059644443806, 5); // log(1 + e + e²)
      expect(losses[1]).toBe(Infinity);
      // Row [0, -inf, -inf, -inf] with label 0 has loss −0 (semantics.md §2.2).
      const single = impl.crossEntropy(x.subarray(4), [0], 4, { reduction: "none" }) as Float32Array;
      expect(Object.is(single[0], -0)).toBe(true);
    });

    it("cross-entropy: all rows ignored gives mean NaN, sum 0 and an all-zero gradient", () => {
      const x = randomLogits(5 * 7, 1);
      const labels = new Int32Array(5).fill(-100);
      expect(impl.crossEntropy(x, labels, 7)).toBeNaN();
      expect(impl.crossEntropy(x, labels, 7, { reduction: "sum" })).toBe(0);
      for (const reduction of ["mean", "sum", "none"] as const) {
        const grad = impl.crossEntropyBackward(x, labels, 7, { reduction, labelSmoothing: 0.1 });
        expect(
          Array.from(grad).every((g) => g === 0),
          reduction,
        ).toBe(true);
      }
    });

    it("cross-entropy: ignoreIndex may be a valid class index", () => {
      const x = randomLogits(4 * 3, 2);
      const labels = [1, 0, 1, 2];
      const loss = impl.crossEntropy(x, labels, 3, { ignoreIndex: 1, reduction: "none" }) as Float32Array;
      expect(loss[0]).toBe(0);
      expect(loss[2]).toBe(0);
      expect(loss[1]).toBeGreaterThan(0);
    });

    it("soft targets: a zero target against a −Infinity logit gives NaN (0·−inf, as PyTorch)", () => {
      const x = new Float32Array([1, -Infinity, 2]);
      const t = new Float32Array([0.5, 0, 0.5]);
      expect(impl.crossEntropy(x, t, 3)).toBeNaN();
    });

    it("empty batches follow PyTorch: mean NaN, sum 0, empty arrays", () => {
      const x = new Float32Array(0);
      expect(impl.softmax(x, 5).length).toBe(0);
      expect(impl.logSoftmax(x, 5).length).toBe(0);
      expect(impl.logSumExp(x, 5).length).toBe(0);
      expect(impl.crossEntropy(x, [], 5)).toBeNaN();
      expect(impl.crossEntropy(x, [], 5, { reduction: "sum" })).toBe(0);
      expect((impl.crossEntropy(x, [], 5, { reduction: "none" }) as Float32Array).length).toBe(0);
      expect(impl.crossEntropyBackward(x, new Int32Array(0), 5).length).toBe(0);
      expect(impl.crossEntropy(x, new Float32Array(0), 5)).toBeNaN();
      const both = impl.crossEntropyWithGrad(x, [], 5);
      expect(both.loss).toBeNaN();
      expect(both.grad.length).toBe(0);
    });
  });
}

describe("cross-entropy mean with zero total weight (D = 0)", () => {
  it("gives loss NaN and NaN gradients on the remaining rows, 0 on ignored rows, on every build and the reference", async () => {
    const x = new Float32Array([1, 2, 3, 0.5, -1, 2]);
    const weight = new Float32Array([0, 1, 1]);
    for (const impl of [...BUILDS.map((b) => [b, pk] as const), ["reference", ref] as const]) {
      if (impl[1] === pk) await pk.init({ build: impl[0] as pk.BuildName });
      for (const labelSmoothing of [0, 0.2]) {
        const r = impl[1].crossEntropyWithGrad(x, [0, -100], 3, { weight, labelSmoothing });
        expect(r.loss, `${impl[0]} ε=${labelSmoothing}`).toBeNaN();
        expect(Array.from(r.grad.subarray(0, 3)).every(Number.isNaN), `${impl[0]} ε=${labelSmoothing}`).toBe(true);
        expect(Array.from(r.grad.subarray(3))).toEqual([0, 0, 0]);
      }
    }
  });
});
