// Uniform floats, integers and permutations from the counter-based generator: bit for bit equal
// to a plain-TS oracle written from the layout in assembly/uniform.ts, the same on every build
// and for any chunking, within their bounds, uniform (χ²), and refused clearly on bad input.
// (PyTorch's own streams, compat "torch", are checked in test/golden/sampling.test.ts.)
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { halves, philox4x32 } from "../../src/random/philox.js";
import { BUILDS, describeBuilds } from "../helpers.js";

/** Word `position` of the uniform stream of (seed, stream): the documented layout, from scratch. */
function oracleWords(seed: bigint, stream: bigint, start: bigint, count: number): Uint32Array {
  const [k0, k1] = halves(seed);
  const derived = philox4x32(0x756e6966, 0x6b657973, 0, 0, k0, k1); // the "unif" key
  const [s0, s1] = halves(stream);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const p = start + BigInt(i);
    const group = p >> 4n,
      j = Number(p & 3n),
      k = Number((p >> 2n) & 3n);
    const [b0, b1] = halves(group * 4n + BigInt(j));
    out[i] = philox4x32(b0, b1, s0, s1, derived[0], derived[1])[k];
  }
  return out;
}

const f = Math.fround;
const bitsEqual = (a: Float32Array, b: Float32Array) => {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length),
    ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) expect.fail(`bits differ at ${i}: ${a[i]} vs ${b[i]}`);
  expect(a.length).toBe(b.length);
};

describeBuilds("philox uniforms", () => {
  it.each([
    [0n, 0n, 0n, 1000],
    [42n, 0n, 5n, 33],
    [1n, 7n, 13n, 1],
    [2n ** 64n - 1n, 2n ** 63n, 2n ** 36n - 3n, 77],
  ])("floats and integers equal the oracle (seed %s, stream %s, from %s, %i values)", (seed, stream, start, n) => {
    const words = oracleWords(seed, stream, start, n);
    const low = -1.5,
      high = 2.25,
      span = f(f(high) - f(low));
    const floats = new pk.RandomGenerator(seed, { stream }).skip(start).fillUniform(new Float32Array(n), low, high);
    bitsEqual(
      floats,
      Float32Array.from(words, (w) => f(f(f((w >>> 8) * 2 ** -24) * span) + f(low))),
    );
    const ints = new pk.RandomGenerator(seed, { stream }).skip(start).fillIntegers(new Int32Array(n), -7, 1000);
    expect(Array.from(ints)).toEqual(Array.from(words, (w) => -7 + Number((BigInt(w) * 1007n) >> 32n)));
    const full = new pk.RandomGenerator(seed, { stream })
      .skip(start)
      .fillIntegers(new Int32Array(n), -(2 ** 31), 2 ** 31);
    expect(Array.from(full)).toEqual(Array.from(words, (w) => (w - 2 ** 31) | 0)); // 2^32 values: low + w
  });

  it("10^6 values in one call equal the same values made in 997-value chunks; a generator counts them", () => {
    const whole = pk.randomUniform(1_000_000, { seed: 2026 });
    const g = new pk.RandomGenerator(2026);
    const parts = new Float32Array(1_000_000);
    for (let i = 0; i < parts.length; i += 997) g.fillUniform(parts.subarray(i, Math.min(parts.length, i + 997)));
    bitsEqual(whole, parts);
    expect(g.position).toBe(1_000_000n);
  });

  it("values stay in [low, high) with the right mean and variance; integers are uniform (χ²)", () => {
    const u = pk.randomUniform(1_000_000, { seed: 5, low: 2, high: 6 });
    let sum = 0,
      sq = 0,
      lo = Infinity,
      hi = -Infinity;
    for (const v of u) {
      sum += v;
      sq += v * v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const mean = sum / u.length,
      variance = sq / u.length - mean * mean;
    expect(lo).toBeGreaterThanOrEqual(2);
    expect(hi).toBeLessThan(6);
    expect(Math.abs(mean - 4)).toBeLessThan(5 * Math.sqrt(16 / 12 / 1e6)); // 5σ
    expect(Math.abs(variance - 16 / 12)).toBeLessThan(0.01);
    const ints = pk.randomInt(1_000_000, -3, 7, { seed: 6 });
    const counts = new Array(10).fill(0);
    for (const v of ints) counts[v + 3]++;
    const chi = counts.reduce((s, c) => s + (c - 1e5) ** 2 / 1e5, 0);
    expect(chi).toBeLessThan(42.6); // χ²(9) at a false-failure rate of 1e-6
  });

  it("randperm is a permutation, reproducible from its seed, and uses n − 1 positions", () => {
    for (const n of [0, 1, 2, 17, 1000]) {
      const p = pk.randperm(n, { seed: 3 });
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(Array.from(pk.randperm(n, { seed: 3 }))).toEqual(Array.from(p));
    }
    const g = new pk.RandomGenerator(1);
    g.permutation(100);
    expect(g.position).toBe(99n);
    // Every position of a 4-element permutation is equally likely: 24 orders, 240,000 draws.
    const g2 = new pk.RandomGenerator(8);
    const seen = new Map<string, number>();
    for (let i = 0; i < 240_000; i++) {
      const key = g2.permutation(4).join("");
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(24);
    const chi = [...seen.values()].reduce((s, c) => s + (c - 1e4) ** 2 / 1e4, 0);
    expect(chi).toBeLessThan(64.3); // χ²(23) at 1e-6
  });

  it("normals, uniforms and categorical draws share one position counter without sharing blocks", () => {
    const g = new pk.RandomGenerator(12);
    const normals = g.fill(new Float32Array(16));
    const uniforms = g.fillUniform(new Float32Array(16));
    expect(g.position).toBe(32n);
    // Same positions, other kinds: the uniform words are not the normal sampler's words.
    const sameSpotUniforms = new pk.RandomGenerator(12).fillUniform(new Float32Array(16));
    expect(Array.from(uniforms)).not.toEqual(Array.from(sameSpotUniforms));
    expect(normals.some((v) => v < 0)).toBe(true);
  });
});

describe("philox uniforms across builds", () => {
  it("every build gives the same bits", async () => {
    const results: Float32Array[] = [];
    const ints: number[][] = [];
    for (const build of BUILDS) {
      await pk.init({ build });
      results.push(pk.randomUniform(50_003, { seed: 99, low: -3, high: 7 }));
      ints.push(Array.from(pk.randomInt(50_003, 0, 12345, { seed: 99 })));
    }
    await pk.init();
    for (const r of results.slice(1)) bitsEqual(r, results[0]);
    for (const r of ints.slice(1)) expect(r).toEqual(ints[0]);
  });
});

describe("uniform bad input", () => {
  it.each([
    [
      "low ≥ high (integers)",
      RangeError,
      /randomInt: low must be less than high \(values are drawn from \[low, high\)\), got low = 5, high = 5/,
      () => pk.randomInt(3, 5, 5),
    ],
    [
      "fractional bound",
      RangeError,
      /randomInt: low must be an integer from -2\^31 to 2\^31 \(the values are int32\), got 0.5/,
      () => pk.randomInt(3, 0.5, 5),
    ],
    [
      "bound beyond int32",
      RangeError,
      /high must be an integer from -2\^31 to 2\^31/,
      () => pk.randomInt(3, 0, 2 ** 40),
    ],
    [
      "bound a string",
      TypeError,
      /randomInt: high must be an integer, got the string "5"/,
      () => pk.randomInt(3, 0, "5" as unknown as number),
    ],
    [
      "low > high (floats)",
      RangeError,
      /randomUniform: low must be at most high, got low = 2, high = 1/,
      () => pk.randomUniform(3, { low: 2, high: 1 }),
    ],
    [
      "bound infinite",
      RangeError,
      /randomUniform: high must be a finite number, got Infinity/,
      () => pk.randomUniform(3, { high: Infinity }),
    ],
    [
      "span overflows float32",
      RangeError,
      /high − low must be a finite float32/,
      () => pk.randomUniform(3, { low: -3e38, high: 3e38 }),
    ],
    ["count negative", RangeError, /randperm: n must be a non-negative integer, got -1/, () => pk.randperm(-1)],
    [
      "out of the wrong type",
      TypeError,
      /randomInt: out must be an Int32Array of length 3, got a Float32Array/,
      () => pk.randomInt(3, 0, 5, { out: new Float32Array(3) as unknown as Int32Array }),
    ],
    [
      "compat torch without a seed",
      TypeError,
      /randperm: compat "torch" needs a seed/,
      () => pk.randperm(5, { compat: "torch" }),
    ],
    ["compat torch skip", RangeError, /cannot jump/, () => new pk.RandomGenerator(1, { compat: "torch" }).skip(1)],
    [
      "unknown option",
      TypeError,
      /randomUniform: unknown option "min"/,
      () => pk.randomUniform(3, { min: 0 } as unknown as pk.RandomUniformOptions),
    ],
    [
      "initialiser compat without seed",
      TypeError,
      /linearInit: compat "torch" needs a seed \(the default generator is "philox"\)/,
      () => pk.linearInit(3, 2, { compat: "torch" }),
    ],
    [
      "linearInit size",
      RangeError,
      /linearInit: inFeatures must be a positive integer, got 0/,
      () => pk.linearInit(0, 2),
    ],
  ] as const)("%s", async (_name, type, message, call) => {
    await pk.init();
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
