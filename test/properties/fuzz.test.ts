// Every kernel path against the plain-TS reference on random batches that mix ordinary logits
// with −Infinity masks, +Infinity, NaN and huge values, under random option combinations
// (fast-check; the seed is printed on failure). Short rows (≤ 20 classes, four rows per vector),
// row-wise kernels and their tails all get special values here.
import fc from "fast-check";
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { describeBuilds, LOG_TOL, mismatch, type Tolerance } from "../helpers.js";

const GRAD_TOL: Tolerance = { abs: 2e-6, rel: 1e-5 };
const PROB_TOL: Tolerance = { abs: 1e-6, rel: 1e-5 };

const logit = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -2000, max: 2000 }).map((v) => v / 100) },
  { weight: 3, arbitrary: fc.constant(-Infinity) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, NaN, 1e30, -1e30, 3e38) },
);

const batch = fc
  .record({ rows: fc.integer({ min: 1, max: 9 }), classes: fc.integer({ min: 1, max: 70 }) })
  .chain(({ rows, classes }) =>
    fc.record({
      rows: fc.constant(rows),
      classes: fc.constant(classes),
      logits: fc
        .array(logit, { minLength: rows * classes, maxLength: rows * classes })
        .map((v) => Float32Array.from(v)),
      labels: fc.array(fc.integer({ min: -1, max: classes - 1 }), { minLength: rows, maxLength: rows }),
      weight: fc.option(
        fc.array(
          fc.integer({ min: 0, max: 300 }).map((v) => v / 100),
          { minLength: classes, maxLength: classes },
        ),
        { nil: undefined },
      ),
      ignoreIndex: fc.constantFrom(-100, -1, 0),
      labelSmoothing: fc.constantFrom(0, 0, 0.1, 1),
      temperature: fc.constantFrom(1, 1, 0.5, 3),
      reduction: fc.constantFrom("mean", "sum", "none") as fc.Arbitrary<"mean" | "sum" | "none">,
      soft: fc.boolean(),
      gradOutput: fc.constantFrom(undefined, 2.5, "per-row"),
    }),
  );

describeBuilds("random batches with special values", (_build) => {
  it("softmax, logSoftmax and logSumExp agree with the reference", () => {
    fc.assert(
      fc.property(batch, ({ classes, logits, temperature }) => {
        expect(
          mismatch(
            pk.softmax(logits, classes, { temperature }),
            ref.softmax(logits, classes, { temperature }),
            PROB_TOL,
          ),
        ).toBeNull();
        expect(
          mismatch(
            pk.logSoftmax(logits, classes, { temperature }),
            ref.logSoftmax(logits, classes, { temperature }),
            LOG_TOL,
          ),
        ).toBeNull();
        expect(
          mismatch(
            pk.logSumExp(logits, classes, { temperature }),
            ref.logSumExp(logits, classes, { temperature }),
            LOG_TOL,
          ),
        ).toBeNull();
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });

  it("cross-entropy loss and gradient agree with the reference under every option", () => {
    fc.assert(
      fc.property(batch, (b) => {
        // Labels of −1 stand for "ignored": map them to the ignoreIndex in use.
        const labels = b.labels.map((y) => (y < 0 ? b.ignoreIndex : y));
        const soft = b.soft && b.ignoreIndex < 0;
        let target: number[] | Float32Array = labels;
        if (soft) {
          target = new Float32Array(b.rows * b.classes);
          labels.forEach((y, r) => {
            target[r * b.classes + (Math.max(0, y) % b.classes)] = 0.75;
            target[r * b.classes] += 0.25;
          });
        }
        const options = {
          reduction: b.reduction,
          labelSmoothing: b.labelSmoothing,
          temperature: b.temperature,
          ...(b.weight ? { weight: Float32Array.from(b.weight) } : {}),
          ...(soft ? {} : { ignoreIndex: b.ignoreIndex }),
        };
        const gradOutput: number | Float32Array | undefined =
          b.gradOutput === "per-row"
            ? b.reduction === "none"
              ? Float32Array.from({ length: b.rows }, (_, i) => i - 1.5)
              : 0.5
            : (b.gradOutput as number | undefined);
        const withGrad = { ...options, ...(gradOutput === undefined ? {} : { gradOutput }) };
        const a = pk.crossEntropyWithGrad(b.logits, target, b.classes, withGrad);
        const e = ref.crossEntropyWithGrad(b.logits, target, b.classes, withGrad);
        expect(mismatch(a.loss as number, e.loss as number, LOG_TOL), "loss").toBeNull();
        expect(mismatch(a.grad, e.grad, GRAD_TOL), "grad").toBeNull();
        expect(
          mismatch(pk.crossEntropy(b.logits, target, b.classes, options) as number, e.loss as number, LOG_TOL),
          "forward",
        ).toBeNull();
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});
