// The generators' edges: the end of a stream, states from outside, errors named after the
// public function, and truncNormal far in a tail (checked against a truncated normal computed
// here by numerical integration, independently of the sampler's own log-space code).
import { beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";

beforeAll(async () => {
  await pk.init();
});

describe("the end of a Philox stream (2^64 positions)", () => {
  const last = 2n ** 64n - 1n;

  it("skip and fill up to the last position work; one value past it is a RangeError, never a wrap to 0", () => {
    const g = new pk.RandomGenerator(7);
    g.skip(last - 3n);
    expect(g.fill(new Float32Array(3)).every(Number.isFinite)).toBe(true);
    expect(g.position).toBe(last);
    expect(() => g.fill(new Float32Array(2))).toThrow(
      /RandomGenerator\.fill: the stream has 2\^64 positions; drawing 2 values from position 18446744073709551615 would run past its end/,
    );
    expect(() => g.skip(2)).toThrow(RangeError);
    expect(g.position).toBe(last);
    expect(g.fill(new Float32Array(1)).every(Number.isFinite)).toBe(true);
    // The value at the last position is not the value at position 0.
    const first = new pk.RandomGenerator(7).fill(new Float32Array(1))[0];
    const end = new pk.RandomGenerator(7).skip(last).fill(new Float32Array(1))[0];
    expect(end).not.toBe(first);
  });

  it("fromState refuses positions at or past 2^64", () => {
    const state = new pk.RandomGenerator(1).state();
    expect(() =>
      pk.RandomGenerator.fromState({ ...state, position: String(2n ** 64n) } as pk.RandomGeneratorState),
    ).toThrow(/RandomGenerator\.fromState: state\.position must be below 2\^64/);
  });
});

describe("torch-mode states from outside are checked", () => {
  const good = () =>
    new pk.RandomGenerator(3, { compat: "torch" }).state() as Extract<
      pk.RandomGeneratorState,
      { algorithm: "mt19937-torch" }
    >;

  it.each([
    [
      "a word that is not a uint32",
      (s: ReturnType<typeof good>) => {
        s.mt[5] = -1;
      },
      /state\.mt\[5\] must be an integer from 0 to 2\^32 − 1, got -1/,
    ],
    [
      "a fractional word",
      (s: ReturnType<typeof good>) => {
        s.mt[0] = 1.5;
      },
      /state\.mt\[0\]/,
    ],
    [
      "a string word",
      (s: ReturnType<typeof good>) => {
        (s.mt as unknown[])[9] = "7";
      },
      /state\.mt\[9\]/,
    ],
    [
      "623 words",
      (s: ReturnType<typeof good>) => {
        s.mt.pop();
      },
      /state\.mt must be an array of 624 words/,
    ],
    [
      "index 625",
      (s: ReturnType<typeof good>) => {
        s.index = 625;
      },
      /state\.index must be an integer from 0 to 624/,
    ],
    [
      "a cached normal that is a string",
      (s: ReturnType<typeof good>) => {
        (s as { cachedNormal: unknown }).cachedNormal = "0.5";
      },
      /state\.cachedNormal must be a finite number or null/,
    ],
    [
      "a cached normal of NaN",
      (s: ReturnType<typeof good>) => {
        s.cachedNormal = NaN;
      },
      /state\.cachedNormal/,
    ],
  ])("%s", (_, spoil, message) => {
    const state = good();
    spoil(state);
    expect(() => pk.RandomGenerator.fromState(state)).toThrow(message);
  });

  it("a valid state round-trips", () => {
    const g = new pk.RandomGenerator(3, { compat: "torch" });
    g.fill(new Float32Array(5));
    const copy = pk.RandomGenerator.fromState(JSON.parse(JSON.stringify(g.state())));
    expect(Array.from(copy.fill(new Float32Array(40)))).toEqual(Array.from(g.fill(new Float32Array(40))));
  });
});

describe("initialiser errors name the public function and list valid values", () => {
  it.each([
    [
      () => pk.kaimingNormal(new Float32Array(4), [2, 2], { nonlinearity: "swish" as pk.Nonlinearity }),
      /^RangeError: kaimingNormal: nonlinearity must be one of "linear", .*"selu", got the string "swish"/,
    ],
    [
      () => pk.kaimingNormal(new Float32Array(4), [2, 2], { a: Number.NaN }),
      /^RangeError: kaimingNormal: a \(the negative slope\) must be a finite number, got NaN/,
    ],
    [
      () => pk.xavierNormal(new Float32Array(4), [2, 2], { seed: 0.5 }),
      /^RangeError: xavierNormal: seed must be a safe integer/,
    ],
    [
      () => pk.truncNormal(new Float32Array(4), { mean: Infinity }),
      /^RangeError: truncNormal: mean must be a finite number/,
    ],
    [
      () => pk.kaimingNormal(new Float64Array(4) as unknown as Float32Array, [2, 2]),
      /^TypeError: kaimingNormal: out must be a Float32Array, got a Float64Array/,
    ],
    [() => pk.calculateGain("gelu" as pk.Nonlinearity), /^RangeError: calculateGain: nonlinearity must be one of/],
  ])("%#", (call, message) => {
    expect(() => {
      try {
        call();
      } catch (e) {
        throw new Error(String(e));
      }
    }).toThrow(message);
  });
});

/** The standard normal truncated to [a, b], by Simpson's rule on e^(−(x² − a²)/2) (no underflow for a > 0). */
function truncatedByIntegration(a: number, b: number, steps = 20_000) {
  const h = (b - a) / steps;
  const density = (x: number) => Math.exp(-(x * x - a * a) / 2);
  const cumulative = new Float64Array(steps + 1);
  let mass = 0,
    moment = 0;
  for (let i = 0; i < steps; i++) {
    const x0 = a + i * h,
      x1 = x0 + h,
      xm = x0 + h / 2;
    const piece = (h / 6) * (density(x0) + 4 * density(xm) + density(x1));
    mass += piece;
    moment += (h / 6) * (x0 * density(x0) + 4 * xm * density(xm) + x1 * density(x1));
    cumulative[i + 1] = mass;
  }
  return {
    mean: moment / mass,
    cdf: (x: number) => {
      const at = Math.min(steps, Math.max(0, (x - a) / h));
      const i = Math.floor(at);
      const upper = cumulative[Math.min(steps, i + 1)];
      return (cumulative[i] + (upper - cumulative[i]) * (at - i)) / mass;
    },
  };
}

describe("truncNormal far in a tail", () => {
  const N = 200_000;
  // Kolmogorov–Smirnov at a ~1e-6 false-failure rate: sqrt(ln(2/1e-6)/(2N)).
  const ksBound = Math.sqrt(Math.log(2 / 1e-6) / (2 * N));

  it.each([
    [10, 11, 0, 1],
    [-11, -10, 0, 1],
    [4, 40, 0, 1],
    [3, 3.5, 1, 0.5],
    [-30, -6, 0, 1],
  ])("[%d, %d] with mean %d, std %d: the exact mean and distribution (KS)", (a, b, mean, std) => {
    const x = pk.truncNormal(new Float32Array(N), { a, b, mean, std, seed: 11 });
    expect(x.every((v) => v >= Math.fround(a) && v <= Math.fround(b))).toBe(true);
    // Standardise; mirror an interval below the mean onto the upper tail.
    const lo = (a - mean) / std,
      hi = (b - mean) / std;
    const flip = hi <= 0;
    const exact = truncatedByIntegration(flip ? -hi : lo, flip ? -lo : hi);
    const z = Float64Array.from(x, (v) => ((v - mean) / std) * (flip ? -1 : 1)).sort();
    const sampleMean = z.reduce((s, v) => s + v, 0) / N;
    expect(Math.abs(sampleMean - exact.mean)).toBeLessThan(0.01);
    let d = 0;
    for (let i = 0; i < N; i += 7) d = Math.max(d, Math.abs((i + 0.5) / N - exact.cdf(z[i])));
    expect(d).toBeLessThan(ksBound + 1e-4);
  });

  it("[10, 11]: mean ≈ 10.098 (PyTorch's formula returns 11 for every value there)", () => {
    const x = pk.truncNormal(new Float32Array(N), { a: 10, b: 11, seed: 3 });
    expect(x.reduce((s, v) => s + v, 0) / N).toBeCloseTo(10.098, 2);
    expect(new Set(x).size).toBeGreaterThan(1000);
  });
});
