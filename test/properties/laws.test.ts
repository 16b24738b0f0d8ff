// Laws that hold for any input (fast-check; the seed is printed on failure):
// softmax rows sum to 1, shift invariance, hard-label gradient rows sum to 0, and results that
// do not depend on the chunk size.
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { describeBuilds } from "../helpers.js";

/** A [rows, classes] batch of moderate logits. */
const batch = fc
  .record({ rows: fc.integer({ min: 1, max: 9 }), classes: fc.integer({ min: 1, max: 140 }) })
  .chain(({ rows, classes }) =>
    fc.record({
      rows: fc.constant(rows),
      classes: fc.constant(classes),
      // Multiples of 1/64 in [-50, 50]: adding an integer shift up to ±64 is exact in float32.
      logits: fc
        .array(fc.integer({ min: -3200, max: 3200 }), { minLength: rows * classes, maxLength: rows * classes })
        .map((ints) => Float32Array.from(ints, (v) => v / 64)),
      labels: fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: rows, maxLength: rows }),
      temperature: fc.double({ min: 0.25, max: 4, noNaN: true }),
    }),
  );

describeBuilds("properties", (build) => {
  afterAll(async () => {
    await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
  });

  it("softmax rows sum to 1 and lie in [0, 1]", () => {
    fc.assert(
      fc.property(batch, ({ rows, classes, logits, temperature }) => {
        const p = pk.softmax(logits, classes, { temperature });
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let c = 0; c < classes; c++) {
            const v = p[r * classes + c];
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
            sum += v;
          }
          expect(Math.abs(sum - 1)).toBeLessThan(2e-6 * Math.max(1, Math.sqrt(classes)));
        }
      }),
    );
  });

  it("shifting a row by a constant leaves softmax unchanged and moves logSumExp by the shift/T", () => {
    fc.assert(
      fc.property(batch, fc.integer({ min: -64, max: 64 }), ({ classes, logits, temperature }, shift) => {
        const shifted = logits.map((v) => v + shift); // exact: see `batch`
        const a = pk.softmax(logits, classes, { temperature });
        const b = pk.softmax(shifted, classes, { temperature });
        a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * v));
        const la = pk.logSumExp(logits, classes, { temperature });
        const lb = pk.logSumExp(shifted, classes, { temperature });
        la.forEach((v, i) =>
          expect(Math.abs(lb[i] - v - shift / temperature)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(lb[i]))),
        );
      }),
    );
  });

  it("hard-label gradient rows sum to 0 (no weights, any smoothing)", () => {
    fc.assert(
      fc.property(
        batch,
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ rows, classes, logits, labels, temperature }, labelSmoothing) => {
          const grad = pk.crossEntropyBackward(logits, labels, classes, {
            temperature,
            labelSmoothing,
            reduction: "sum",
          });
          for (let r = 0; r < rows; r++) {
            let sum = 0,
              mag = 0;
            for (let c = 0; c < classes; c++) {
              sum += grad[r * classes + c];
              mag += Math.abs(grad[r * classes + c]);
            }
            expect(Math.abs(sum)).toBeLessThanOrEqual(1e-6 * Math.max(1, mag) * Math.sqrt(classes));
          }
        },
      ),
    );
  });

  it("results do not depend on the chunk size", () => {
    fc.assert(
      fc.property(batch, fc.integer({ min: 1, max: 4096 }), ({ classes, logits, labels, temperature }, arenaBytes) => {
        pk.initSync({ build, arenaBytes });
        const small = [
          pk.softmax(logits, classes, { temperature }),
          pk.logSumExp(logits, classes),
          pk.crossEntropyWithGrad(logits, labels, classes, { labelSmoothing: 0.1 }),
        ];
        pk.initSync({ build, arenaBytes: 1 << 24 });
        const large = [
          pk.softmax(logits, classes, { temperature }),
          pk.logSumExp(logits, classes),
          pk.crossEntropyWithGrad(logits, labels, classes, { labelSmoothing: 0.1 }),
        ];
        expect(small).toEqual(large);
      }),
    );
  });
});
