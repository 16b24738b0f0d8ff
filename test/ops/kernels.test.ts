// Every kernel against the plain-TS reference (float64 inside) on random inputs whose row
// lengths hit every tile boundary of the SIMD loops (1–67), and long rows (1000, 4099, 32000),
// with odd row counts, on every build this engine compiles.
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import {
  describeBuilds,
  LOG_TOL,
  mismatch,
  PROB_TOL,
  randomLabels,
  randomLogits,
  randomTargets,
  type Tolerance,
} from "../helpers.js";

const SHORT = Array.from({ length: 67 }, (_, i) => i + 1);
const SHAPES: [rows: number, classes: number][] = [
  ...SHORT.map((c) => [c % 2 === 0 ? 3 : 5, c] as [number, number]),
  [7, 1000],
  [3, 4099],
  [1, 32000],
  [3, 32000],
];

function agree(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tol: Tolerance, what: string) {
  expect(mismatch(actual, expected, tol), what).toBeNull();
}

/** Gradient tolerance: probabilities scaled by the weight and 1/D factors of the call. */
const GRAD_TOL: Tolerance = { abs: 2e-6, rel: 1e-5 };

describeBuilds("against the reference", (_build) => {
  it.each(SHAPES)("softmax, logSoftmax, logSumExp on %i×%i (T = 1 and 0.7)", (rows, classes) => {
    const x = randomLogits(rows * classes, rows * 1000 + classes);
    for (const temperature of [1, 0.7, 3]) {
      agree(
        pk.softmax(x, classes, { temperature }),
        ref.softmax(x, classes, { temperature }),
        PROB_TOL,
        `softmax T=${temperature}`,
      );
      agree(
        pk.logSoftmax(x, classes, { temperature }),
        ref.logSoftmax(x, classes, { temperature }),
        LOG_TOL,
        `logSoftmax T=${temperature}`,
      );
      agree(
        pk.logSumExp(x, classes, { temperature }),
        ref.logSumExp(x, classes, { temperature }),
        LOG_TOL,
        `logSumExp T=${temperature}`,
      );
    }
  });

  const OPTION_SETS: [string, object][] = [
    ["defaults", {}],
    ["sum", { reduction: "sum" }],
    ["none", { reduction: "none" }],
    ["temperature 0.5", { temperature: 0.5 }],
    ["smoothing 0.1", { labelSmoothing: 0.1 }],
    ["weight + smoothing + ignore, sum", { weightSeed: 1, labelSmoothing: 0.2, ignoreEvery: 3, reduction: "sum" }],
    ["weight + ignoreIndex 0, mean", { weightSeed: 2, ignoreIndex: 0 }],
    [
      "weight + smoothing + T, none, gradOutput per row",
      { weightSeed: 3, labelSmoothing: 0.3, temperature: 2, reduction: "none", perRowGrad: true },
    ],
  ];

  it.each(SHAPES)("hard-label cross-entropy on %i×%i under every option set", (rows, classes) => {
    const x = randomLogits(rows * classes, rows * 7 + classes);
    for (const [name, spec] of OPTION_SETS) {
      const s = spec as Record<string, unknown>;
      const labels = randomLabels(rows, classes, classes);
      const options: Record<string, unknown> = {};
      for (const key of ["reduction", "temperature", "labelSmoothing", "ignoreIndex"]) {
        if (s[key] !== undefined) options[key] = s[key];
      }
      if (s.weightSeed) options.weight = Float32Array.from(randomLogits(classes, s.weightSeed as number), Math.abs);
      if (s.ignoreEvery)
        labels.forEach((_, i) => {
          if (i % (s.ignoreEvery as number) === 0) labels[i] = -100;
        });
      if (s.perRowGrad) options.gradOutput = Float32Array.from({ length: rows }, (_, i) => 0.5 + i);
      const forward = { ...options };
      delete forward.gradOutput;
      agree(
        pk.crossEntropy(x, labels, classes, forward) as number,
        ref.crossEntropy(x, labels, classes, forward) as number,
        LOG_TOL,
        `loss ${name}`,
      );
      const a = pk.crossEntropyWithGrad(x, labels, classes, options);
      const b = ref.crossEntropyWithGrad(x, labels, classes, options);
      agree(a.loss as number, b.loss as number, LOG_TOL, `withGrad loss ${name}`);
      agree(a.grad, b.grad, GRAD_TOL, `withGrad grad ${name}`);
      agree(pk.crossEntropyBackward(x, labels, classes, options), b.grad, GRAD_TOL, `backward ${name}`);
    }
  });

  it.each(SHAPES)("soft-target cross-entropy on %i×%i", (rows, classes) => {
    const x = randomLogits(rows * classes, rows * 13 + classes);
    const t = randomTargets(rows, classes, classes + 5);
    const weight = Float32Array.from(randomLogits(classes, 9), Math.abs);
    for (const options of [
      {},
      { reduction: "sum" as const },
      { reduction: "none" as const, temperature: 0.8 },
      { labelSmoothing: 0.05, weight },
      { reduction: "none" as const, weight, gradOutput: 2.5 },
    ]) {
      const a = pk.crossEntropyWithGrad(x, t, classes, options);
      const b = ref.crossEntropyWithGrad(x, t, classes, options);
      agree(a.loss as number, b.loss as number, LOG_TOL, `soft loss ${JSON.stringify(Object.keys(options))}`);
      agree(a.grad, b.grad, GRAD_TOL, `soft grad ${JSON.stringify(Object.keys(options))}`);
    }
  });
});
