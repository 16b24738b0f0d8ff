// sampleCategorical's draws, statistically: χ² goodness of fit against the filtered distribution,
// and a million draws that never pick a removed token. The slow part of the sampling tests
// (npm test runs it; npm run test:unit leaves it out).
import { expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { describeBuilds, randomLogits } from "../helpers.js";

/** Kept entries of filtered rows (not −Infinity), as one boolean array. */
const keptMask = (filtered: Float32Array) => Array.from(filtered, (v) => v > -Infinity);

/** float64 softmax of one filtered row. */
function rowProbabilities(filtered: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of filtered) max = Math.max(max, v);
  const p = Float64Array.from(filtered, (v) => Math.exp(v - max));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / z);
}

/**
 * Pearson's χ² of observed counts against probabilities (bins with an expected count below 5
 * pooled), and the critical value at a false-failure rate of 1e-6 (Wilson–Hilferty).
 */
function chiSquare(counts: number[], p: Float64Array, n: number): { stat: number; critical: number } {
  const bins: { observed: number; expected: number }[] = [];
  const pooled = { observed: 0, expected: 0 };
  p.forEach((pi, i) => {
    if (pi === 0) return;
    if (n * pi >= 5) bins.push({ observed: counts[i], expected: n * pi });
    else {
      pooled.observed += counts[i];
      pooled.expected += n * pi;
    }
  });
  if (pooled.expected > 0) bins.push(pooled);
  const stat = bins.reduce((s, b) => s + (b.observed - b.expected) ** 2 / b.expected, 0);
  const df = bins.length - 1;
  const z = 4.753424; // upper 1e-6 quantile of N(0, 1)
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { stat, critical };
}

const SETTINGS: pk.FilterOptions[] = [
  {},
  { temperature: 0.7 },
  { topK: 5 },
  { topP: 0.9 },
  { minP: 0.1 },
  { temperature: 1.3, topK: 20, topP: 0.95, minP: 0.02 },
  { topP: 0.3, minTokensToKeep: 4 },
];

describeBuilds("sampleCategorical statistics", () => {
  it.each(SETTINGS.map((s) => [JSON.stringify(s), s] as const))(
    "fits the filtered distribution (χ², 20,000 draws over 50 tokens): %s",
    (_name, options) => {
      const classes = 50,
        n = 20_000;
      const row = randomLogits(classes, 11, 1.5);
      const x = new Float32Array(n * classes);
      for (let r = 0; r < n; r++) x.set(row, r * classes);
      const picks = pk.sampleCategorical(x, classes, { ...options, seed: 2026 });
      const p = rowProbabilities(pk.filterLogits(row, classes, { ...options, temperature: options.temperature ?? 1 }));
      const counts = new Array(classes).fill(0);
      for (const i of picks) counts[i]++;
      const { stat, critical } = chiSquare(counts, p, n);
      expect(stat).toBeLessThan(critical);
    },
  );

  it("fits a 32,000-token vocabulary with top-p 0.9 (χ² over the kept tokens, 4,000 draws)", () => {
    const classes = 32_000,
      n = 4_000;
    const row = randomLogits(classes, 5, 3);
    const x = new Float32Array(n * classes);
    for (let r = 0; r < n; r++) x.set(row, r * classes);
    const picks = pk.sampleCategorical(x, classes, { topP: 0.9, seed: 9 });
    const p = rowProbabilities(pk.filterLogits(row, classes, { topP: 0.9 }));
    const counts = new Array(classes).fill(0);
    for (const i of picks) counts[i]++;
    const { stat, critical } = chiSquare(counts, p, n);
    expect(stat).toBeLessThan(critical);
  });

  it("never draws a removed token (1,000,000 draws, top-k 3 of 20 with top-p 0.6)", () => {
    const classes = 20,
      rows = 100_000;
    const g = new pk.RandomGenerator(4);
    const row = randomLogits(classes, 8, 1);
    const x = new Float32Array(rows * classes);
    for (let r = 0; r < rows; r++) x.set(row, r * classes);
    const kept = keptMask(pk.filterLogits(row, classes, { topK: 3, topP: 0.6 }));
    const seen = new Set<number>();
    for (let call = 0; call < 10; call++) {
      for (const i of pk.sampleCategorical(x, classes, { topK: 3, topP: 0.6, generator: g })) seen.add(i);
    }
    expect(g.position).toBe(1_000_000n);
    for (const i of seen) expect(kept[i], `token ${i}`).toBe(true);
    expect(seen.size).toBe(kept.filter(Boolean).length);
  });
});
