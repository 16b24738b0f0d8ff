// The loss-family kernels against their plain-TS references on random batches mixing ordinary
// values with the special ones (NaN, ±Infinity, ±3e38, −0, subnormals) under random options
// (fast-check; a fixed seed in CI, printed on failure). FUZZ_RUNS sets the run count.
import fc from "fast-check";
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, type Tolerance } from "../helpers.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const GRAD_TOL: Tolerance = { abs: 2e-6, rel: 1e-5 };

const value = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -1500, max: 1500 }).map((v) => v / 100) },
  { weight: 2, arbitrary: fc.constant(-Infinity) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, NaN, 3e38, -3e38, -0, 1e-40, -1e-40) },
);
const probability = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 1000 }).map((v) => v / 1000) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 1e-40, NaN) },
);

const batch = fc
  .record({ rows: fc.integer({ min: 1, max: 7 }), classes: fc.integer({ min: 1, max: 45 }) })
  .chain(({ rows, classes }) =>
    fc.record({
      rows: fc.constant(rows),
      classes: fc.constant(classes),
      a: fc.array(value, { minLength: rows * classes, maxLength: rows * classes }).map((v) => Float32Array.from(v)),
      b: fc.array(value, { minLength: rows * classes, maxLength: rows * classes }).map((v) => Float32Array.from(v)),
      p: fc
        .array(probability, { minLength: rows * classes, maxLength: rows * classes })
        .map((v) => Float32Array.from(v)),
      labels: fc
        .array(fc.integer({ min: -1, max: classes - 1 }), { minLength: rows, maxLength: rows })
        .map((v) => v.map((y) => (y < 0 ? -100 : y))),
      weight: fc.option(
        fc.array(
          fc.integer({ min: 0, max: 300 }).map((v) => v / 100),
          { minLength: classes, maxLength: classes },
        ),
        { nil: undefined },
      ),
      temperature: fc.constantFrom(1, 0.5, 4),
      reduction: fc.constantFrom("mean", "sum", "none") as fc.Arbitrary<"mean" | "sum" | "none">,
      flag: fc.boolean(),
      k: fc.integer({ min: 1, max: classes }),
    }),
  );

/** Loss values agree, and NaN stays NaN (the reference's float64 and the kernels' float32 may differ on huge finite values only within the tolerance). */
const agree = (a: number | Float32Array, e: number | Float32Array, tol: Tolerance, what: string) =>
  expect(mismatch(a, e, tol), what).toBeNull();

describeBuilds("random batches with special values, loss family", () => {
  it("entropy, argmax, topK", () => {
    fc.assert(
      fc.property(batch, ({ classes, a, temperature, k }) => {
        agree(pk.entropy(a, classes, { temperature }), ref.entropy(a, classes, { temperature }), LOG_TOL, "entropy");
        expect(Array.from(pk.argmax(a, classes))).toEqual(Array.from(ref.argmax(a, classes)));
        const got = pk.topK(a, classes, { k }),
          want = ref.topK(a, classes, { k });
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      }),
      { numRuns: RUNS },
    );
  });

  it("klDiv, nllLoss, binaryCrossEntropyWithLogits with gradients", () => {
    fc.assert(
      fc.property(batch, ({ classes, a, p, labels, weight, reduction, flag }) => {
        const kl = { reduction: flag ? ("batchmean" as const) : reduction, logTarget: false };
        const klGot = pk.klDivWithGrad(a, p, classes, kl),
          klWant = ref.klDivWithGrad(a, p, classes, kl);
        agree(klGot.loss, klWant.loss, LOG_TOL, "kl loss");
        agree(klGot.grad, klWant.grad, GRAD_TOL, "kl grad");
        const nll = { reduction, ...(weight ? { weight } : {}) };
        const nllGot = pk.nllLossWithGrad(a, labels, classes, nll),
          nllWant = ref.nllLossWithGrad(a, labels, classes, nll);
        agree(nllGot.loss, nllWant.loss, LOG_TOL, "nll loss");
        agree(nllGot.grad, nllWant.grad, GRAD_TOL, "nll grad");
        const bce = { reduction, ...(weight && flag ? { weight, posWeight: weight } : {}) };
        const bceGot = pk.binaryCrossEntropyWithLogitsWithGrad(a, p, classes, bce),
          bceWant = ref.binaryCrossEntropyWithLogitsWithGrad(a, p, classes, bce);
        agree(bceGot.loss, bceWant.loss, LOG_TOL, "bce loss");
        agree(bceGot.grad, bceWant.grad, GRAD_TOL, "bce grad");
      }),
      { numRuns: RUNS },
    );
  });

  it("klDiv with log targets, gaussianNllLoss, the normal density", () => {
    fc.assert(
      fc.property(
        batch,
        fc.integer({ min: -300, max: 300 }),
        fc.constantFrom(1e-3, 0.5, 1, 40, 1e30),
        ({ rows, classes, a, b, p, reduction, flag }, m, std) => {
          const kl = { reduction: flag ? ("batchmean" as const) : reduction, logTarget: true };
          const klGot = pk.klDivWithGrad(a, b, classes, kl),
            klWant = ref.klDivWithGrad(a, b, classes, kl);
          agree(klGot.loss, klWant.loss, LOG_TOL, "kl log-target loss");
          agree(klGot.grad, klWant.grad, GRAD_TOL, "kl log-target grad");
          // Variances: per element from |b| (0, subnormal, 3e38, Infinity, NaN included), or per row.
          const variance = flag ? Float32Array.from(b, Math.abs) : Float32Array.from(p.subarray(0, rows), (v) => v * 4);
          const g = { reduction, full: flag };
          const gGot = pk.gaussianNllLossWithGrad(a, b, variance, classes, g),
            gWant = ref.gaussianNllLossWithGrad(a, b, variance, classes, g);
          agree(gGot.loss, gWant.loss, LOG_TOL, "gaussian loss");
          agree(gGot.grad, gWant.grad, LOG_TOL, "gaussian gradInput");
          agree(gGot.gradVar, gWant.gradVar, LOG_TOL, "gaussian gradVar");
          const normal = { mean: m / 10, std };
          agree(pk.normalLogPdf(a, normal), ref.normalLogPdf(a, normal), LOG_TOL, "normalLogPdf");
          agree(pk.normalPdf(a, normal), ref.normalPdf(a, normal), GRAD_TOL, "normalPdf");
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("distillationLoss with and without labels", () => {
    fc.assert(
      fc.property(batch, ({ classes, a, b, labels, weight, temperature, flag }) => {
        const options = flag ? { temperature, labels, alpha: 0.6, ...(weight ? { weight } : {}) } : { temperature };
        const got = pk.distillationLoss(a, b, classes, options),
          want = ref.distillationLoss(a, b, classes, options);
        agree(got.loss, want.loss, LOG_TOL, "loss");
        agree(got.grad, want.grad, GRAD_TOL, "grad");
      }),
      { numRuns: RUNS },
    );
  });
});

it("the fuzz suite ran", () => expect(RUNS).toBeGreaterThan(0));

const filters = fc.record({
  temperature: fc.constantFrom(1, 0.5, 2, 0.7),
  topK: fc.integer({ min: 0, max: 50 }),
  topP: fc.constantFrom(1, 0.95, 0.9, 0.5, 0.2, 0.01),
  minP: fc.constantFrom(0, 0.05, 0.3, 1),
  minTokensToKeep: fc.integer({ min: 1, max: 3 }),
});

/** The call's result, or the message of the RangeError it threw. */
function outcome<T>(call: () => T): T | string {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return error.message;
  }
}

describeBuilds("random batches with special values, token sampling", () => {
  it("filterLogits and sampleCategorical against the sort-based reference (refusals included)", () => {
    fc.assert(
      fc.property(batch, filters, fc.integer({ min: 0, max: 1000 }), ({ rows, classes, a }, options, seed) => {
        const got = outcome(() => pk.filterLogits(a, classes, options));
        const want = outcome(() => ref.filterLogits(a, classes, options));
        if (typeof want === "string") {
          expect(got).toBe(want);
          return;
        }
        expect(Array.from(got as Float32Array)).toEqual(Array.from(want));
        const { uniforms } = pk.RandomGenerator.categoricalUniforms(new pk.RandomGenerator(seed), "fuzz", rows);
        const picks = pk.sampleCategorical(a, classes, { ...options, seed });
        const expected = ref.sampleCategorical(a, classes, { ...options, uniforms });
        // float32 weights against float64 probabilities: a draw within ~1e-6 of a boundary may differ, to a kept neighbour.
        picks.forEach((pick, r) => {
          if (pick === expected[r]) return;
          expect((want as Float32Array)[r * classes + pick], `row ${r}: ${pick} vs ${expected[r]}`).toBeGreaterThan(
            -Infinity,
          );
        });
        expect(picks.filter((pick, r) => pick !== expected[r]).length).toBeLessThanOrEqual(Math.ceil(rows / 50));
      }),
      { numRuns: RUNS },
    );
  });
});
