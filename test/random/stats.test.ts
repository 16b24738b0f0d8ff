// Statistical tests of the samplers on fixed seeds. Each threshold is set so that a correct
// sampler fails less than once in 10^6 runs (about five standard errors, or the 1 − 10^-6
// quantile of the test statistic), so a failure means a real defect.
import { beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { erf, erfinv, normalCdf } from "../../src/random/special.js";

const N = 1_000_000;
const mean = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
};
const variance = (x: ArrayLike<number>) => {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return s / (x.length - 1);
};
function correlation(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma,
      db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe("special functions used by the tests and by truncNormal", () => {
  it("erf, Φ and erfinv agree with tabulated values", () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(normalCdf(-2)).toBeCloseTo(0.022750131948179195, 14);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 13);
    for (const y of [-0.999999, -0.5, 0, 0.3, 0.9, 0.999]) expect(erf(erfinv(y))).toBeCloseTo(y, 13);
  });
});

const SAMPLERS: [string, () => Float32Array][] = [
  ["philox", () => pk.randomNormal(N, { seed: 20261128 })],
  ["torch compat", () => pk.randomNormal(N, { seed: 20261128, compat: "torch" })],
];

for (const [name, draw] of SAMPLERS) {
  describe(`N(0, 1) statistics of 10^6 samples, ${name}`, () => {
    let z: Float32Array;
    beforeAll(async () => {
      await pk.init();
      z = draw();
    });

    it("mean and variance", () => {
      expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(N));
      expect(Math.abs(variance(z) - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    });

    it("Kolmogorov-Smirnov distance to N(0, 1)", () => {
      const sorted = Float64Array.from(z).sort();
      let d = 0;
      for (let i = 0; i < N; i++) {
        const cdf = normalCdf(sorted[i]);
        d = Math.max(d, Math.abs(cdf - i / N), Math.abs((i + 1) / N - cdf));
      }
      // P(D > sqrt(ln(2/α) / 2N)) ≤ α (Dvoretzky-Kiefer-Wolfowitz), α = 1e-6
      expect(d).toBeLessThan(Math.sqrt(Math.log(2e6) / (2 * N)));
    });

    it("fractions within 1, 2 and 3 sigma are 68.27 / 95.45 / 99.73 %", () => {
      for (const [k, p] of [
        [1, 0.6826894921370859],
        [2, 0.9544997361036416],
        [3, 0.9973002039367398],
      ]) {
        let inside = 0;
        for (const v of z) if (Math.abs(v) <= k) inside++;
        expect(Math.abs(inside / N - p), `${k} sigma`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
      }
    });

    it("chi-square over 100 equiprobable bins", () => {
      const edges = Array.from({ length: 99 }, (_, k) => Math.SQRT2 * erfinv(2 * ((k + 1) / 100) - 1));
      const counts = new Array(100).fill(0);
      for (const v of z) {
        let lo = 0,
          hi = 99; // binary search for the bin
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (v < edges[mid]) hi = mid;
          else lo = mid + 1;
        }
        counts[lo]++;
      }
      const expected = N / 100;
      const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(181); // 99 degrees of freedom: P(χ² > 181) ≈ 1e-6
    });

    it("lag 1 to 8 autocorrelations vanish", () => {
      for (let lag = 1; lag <= 8; lag++) {
        expect(Math.abs(correlation(z, z.subarray(lag), N - lag)), `lag ${lag}`).toBeLessThan(5 / Math.sqrt(N));
      }
    });
  });
}

describe("independence and scaling", () => {
  beforeAll(async () => {
    await pk.init();
  });

  it("different seeds, neighbouring streams and split streams are uncorrelated", () => {
    const n = 200_000,
      bound = 5 / Math.sqrt(n);
    const a = pk.randomNormal(n, { seed: 1 });
    expect(Math.abs(correlation(a, pk.randomNormal(n, { seed: 2 })))).toBeLessThan(bound);
    expect(Math.abs(correlation(a, new pk.RandomGenerator(1, { stream: 1 }).fill(new Float32Array(n))))).toBeLessThan(
      bound,
    );
    const parent = new pk.RandomGenerator(1);
    const c1 = parent.split().fill(new Float32Array(n));
    const c2 = parent.split().fill(new Float32Array(n));
    expect(Math.abs(correlation(c1, c2))).toBeLessThan(bound);
    expect(Math.abs(correlation(a, c1))).toBeLessThan(bound);
  });

  it("mean and std scale the same stream", () => {
    const z = pk.randomNormal(N, { seed: 3 });
    const x = pk.randomNormal(N, { seed: 3, mean: 3, std: 2 });
    for (let i = 0; i < N; i += 9973) expect(x[i]).toBe(Math.fround(Math.fround(z[i] * 2) + 3));
    expect(Math.abs(mean(x) - 3)).toBeLessThan((5 * 2) / Math.sqrt(N));
    expect(Math.abs(Math.sqrt(variance(x)) - 2)).toBeLessThan(5 * 2 * Math.sqrt(1 / (2 * N)));
    expect(Array.from(pk.randomNormal(5, { seed: 3, mean: -1, std: 0 }))).toEqual([-1, -1, -1, -1, -1]);
  });
});

describe("initialisers", () => {
  beforeAll(async () => {
    await pk.init();
  });
  const sampleStd = (x: Float32Array) => Math.sqrt(variance(x));
  // The standard error of a sample std is about std/√(2n).
  const close = (got: number, want: number, n: number) =>
    expect(Math.abs(got - want)).toBeLessThan((5 * want) / Math.sqrt(2 * n));

  it("calculateGain follows torch.nn.init.calculate_gain", () => {
    expect(pk.calculateGain("linear")).toBe(1);
    expect(pk.calculateGain("sigmoid")).toBe(1);
    expect(pk.calculateGain("tanh")).toBeCloseTo(5 / 3, 15);
    expect(pk.calculateGain("relu")).toBeCloseTo(Math.SQRT2, 15);
    expect(pk.calculateGain("leaky_relu")).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(pk.calculateGain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(pk.calculateGain("selu")).toBe(0.75);
  });

  it("xavierNormal: std = gain·√(2 / (fanIn + fanOut)), fans from the shape as PyTorch computes them", () => {
    const w = pk.xavierNormal(new Float32Array(256 * 512), [256, 512], { seed: 1 });
    close(sampleStd(w), Math.sqrt(2 / (256 + 512)), w.length);
    const conv = pk.xavierNormal(new Float32Array(64 * 32 * 3 * 3), [64, 32, 3, 3], { gain: 2, seed: 2 });
    close(sampleStd(conv), 2 * Math.sqrt(2 / (32 * 9 + 64 * 9)), conv.length);
    expect(Math.abs(mean(conv))).toBeLessThan((5 * sampleStd(conv)) / Math.sqrt(conv.length));
  });

  it("kaimingNormal: std = gain / √fan for each mode and nonlinearity", () => {
    const shape = [300, 400];
    const n = 300 * 400;
    close(sampleStd(pk.kaimingNormal(new Float32Array(n), shape, { seed: 3 })), Math.SQRT2 / Math.sqrt(400), n);
    close(
      sampleStd(pk.kaimingNormal(new Float32Array(n), shape, { seed: 4, mode: "fan_out", nonlinearity: "relu" })),
      Math.SQRT2 / Math.sqrt(300),
      n,
    );
    close(
      sampleStd(pk.kaimingNormal(new Float32Array(n), shape, { seed: 5, a: 0.2 })),
      Math.sqrt(2 / 1.04) / Math.sqrt(400),
      n,
    );
    close(
      sampleStd(pk.kaimingNormal(new Float32Array(n), shape, { seed: 6, nonlinearity: "tanh" })),
      5 / 3 / Math.sqrt(400),
      n,
    );
  });

  it("truncNormal: values inside [a, b] with the truncated normal's mean and std", () => {
    const x = pk.truncNormal(new Float32Array(N), { seed: 7 });
    let lo = Infinity,
      hi = -Infinity;
    for (const v of x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(-2);
    expect(hi).toBeLessThanOrEqual(2);
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    const z = normalCdf(2) - normalCdf(-2);
    close(sampleStd(x), Math.sqrt(1 - (4 * phi2) / z), N);
    expect(Math.abs(mean(x))).toBeLessThan(5 / Math.sqrt(N));
    // Asymmetric absolute bounds around a shifted mean.
    const y = pk.truncNormal(new Float32Array(200_000), { mean: 1, std: 0.5, a: 0.8, b: 3, seed: 8 });
    for (const v of y) expect(v >= 0.8 && v <= 3).toBe(true);
    const alpha = (0.8 - 1) / 0.5,
      beta = (3 - 1) / 0.5;
    const pdf = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
    const expectedMean = 1 + (0.5 * (pdf(alpha) - pdf(beta))) / (normalCdf(beta) - normalCdf(alpha));
    expect(Math.abs(mean(y) - expectedMean)).toBeLessThan((5 * 0.5) / Math.sqrt(200_000));
  });

  it("draw from a given generator, advancing it", () => {
    const g = new pk.RandomGenerator(11);
    const w = pk.xavierNormal(new Float32Array(100), [10, 10], { generator: g });
    expect(g.position).toBe(100n);
    expect(Array.from(w)).toEqual(
      Array.from(new pk.RandomGenerator(11).fill(new Float32Array(100), 0, Math.sqrt(2 / 20))),
    );
  });

  it("bad input is refused with a clear error", () => {
    expect(() => pk.xavierNormal(new Float32Array(10), [10])).toThrow(/at least 2 dimensions/);
    expect(() => pk.xavierNormal(new Float32Array(10), [2, 3])).toThrow(
      /shape \[2, 3\] has 6 elements but out has length 10/,
    );
    expect(() => pk.kaimingNormal(new Float32Array(4), [2, 2], { mode: "fan" as "fan_in" })).toThrow(RangeError);
    expect(() => pk.truncNormal(new Float32Array(4), { a: 2, b: -2 })).toThrow(/a must be less than b/);
    expect(() => pk.truncNormal(new Float32Array(4), { seed: 1, generator: new pk.RandomGenerator(1) })).toThrow(
      /not both/,
    );
    expect(() => pk.xavierNormal(new Float32Array(4), [2, 2], { gian: 2 } as unknown as pk.XavierOptions)).toThrow(
      /unknown option "gian"/,
    );
  });
});
