// Gaussian sampling: the Philox stream is a pure function of (seed, stream, position), gives
// the same bits on every build and for every chunking, and matches the plain-TS oracle bit for
// bit; the torch-compatible stream matches PyTorch's output; generators save, restore, skip and
// split; bad input is refused before anything is written.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { philox4x32 } from "../../src/random/philox.js";
import { philoxNormals } from "../../src/reference/random.js";
import { BUILDS, describeBuilds } from "../helpers.js";

const hex = (a: Uint32Array) => Array.from(a, (v) => v.toString(16).padStart(8, "0")).join(" ");

describe("Philox4x32-10", () => {
  it("matches the Random123 known-answer vectors", () => {
    expect(hex(philox4x32(0, 0, 0, 0, 0, 0))).toBe("6627e8d5 e169c58d bc57ac4c 9b00dbd8");
    expect(hex(philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff))).toBe(
      "408f276d 41c83b0e a20bc7c6 6d5451fd",
    );
    expect(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))).toBe(
      "d16cfe09 94fdcceb 5001e420 24126ea1",
    );
  });
});

const same = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) expect.fail(`bits differ at ${i}: ${a[i]} vs ${b[i]}`);
};

describeBuilds("philox normals", (_build) => {
  it.each([
    [0n, 0n, 0n, 1000],
    [42n, 0n, 5n, 33],
    [1n, 7n, 13n, 1],
    [2n ** 64n - 1n, 2n ** 63n, 2n ** 36n - 3n, 77],
    [123456789012345n, 3n, 0xfffffff0n * 16n - 5n, 300],
  ])("equal the plain-TS oracle bit for bit (seed %s, stream %s, from %s, %i values)", (seed, stream, start, n) => {
    const g = new pk.RandomGenerator(seed, { stream }).skip(start);
    const got = g.fill(new Float32Array(n), 1.5, 0.25);
    same(got, philoxNormals(new Float32Array(n), seed, stream, start, 1.5, 0.25));
  });

  it("10^6 values in one call equal the same values made in 997-value chunks", () => {
    const whole = pk.randomNormal(1_000_000, { seed: 2026 });
    const g = new pk.RandomGenerator(2026);
    const parts = new Float32Array(1_000_000);
    for (let i = 0; i < parts.length; i += 997) g.fill(parts.subarray(i, Math.min(parts.length, i + 997)));
    same(whole, parts);
    expect(g.position).toBe(1_000_000n);
  });
});

describe("philox normals across builds and memory", () => {
  it("every build gives the same bits", async () => {
    const results = [];
    for (const build of BUILDS) {
      await pk.init({ build });
      results.push(pk.randomNormal(50_003, { seed: 99, mean: -3, std: 7 }));
    }
    for (const r of results.slice(1)) same(r, results[0]);
  });

  it("a tiny arena and a wasm-resident out give the same bits", async () => {
    await pk.init({ arenaBytes: 100 });
    const small = pk.randomNormal(10_001, { seed: 5 });
    await pk.init({ arenaBytes: pk.DEFAULT_ARENA_BYTES });
    const w = pk.allocFloat32(10_001);
    pk.randomNormal(10_001, { seed: 5, out: w.array });
    same(small, pk.randomNormal(10_001, { seed: 5 }));
    same(w.array, small);
    w.free();
  });
});

describe("seeds and generators", () => {
  beforeAll(async () => {
    await pk.init();
  });

  it("seed 0 is an ordinary seed; numbers and bigints name the same seeds; negatives wrap to 64 bits", () => {
    const zero = pk.randomNormal(64, { seed: 0 });
    expect(new Set(zero).size).toBe(64);
    expect(Array.from(zero)).not.toEqual(Array.from(pk.randomNormal(64, { seed: 1 })));
    same(pk.randomNormal(64, { seed: 12345 }), pk.randomNormal(64, { seed: 12345n }));
    same(pk.randomNormal(64, { seed: -1 }), pk.randomNormal(64, { seed: 2n ** 64n - 1n }));
  });

  it("without a seed the default generator draws a random, readable seed that reproduces the run", () => {
    const g = pk.getDefaultGenerator();
    expect(typeof g.seed).toBe("bigint");
    const start = g.position;
    const a = pk.randomNormal(100);
    const b = new pk.RandomGenerator(g.seed).skip(start).fill(new Float32Array(100));
    same(a, b);
    expect(new pk.RandomGenerator().seed).not.toBe(new pk.RandomGenerator().seed);
  });

  it("state() is JSON-safe and fromState continues exactly; skip(n) equals drawing n", () => {
    const g = new pk.RandomGenerator(77n, { stream: 3 });
    g.fill(new Float32Array(123));
    const saved = JSON.parse(JSON.stringify(g.state()));
    const next = g.fill(new Float32Array(50));
    same(pk.RandomGenerator.fromState(saved).fill(new Float32Array(50)), next);
    const skipped = new pk.RandomGenerator(77n, { stream: 3 }).skip(123).fill(new Float32Array(50));
    same(skipped, next);
    const t = new pk.RandomGenerator(7, { compat: "torch" });
    t.fill(new Float32Array(20));
    t.fill(new Float32Array(3)); // leaves a cached normal
    const tSaved = JSON.parse(JSON.stringify(t.state()));
    same(pk.RandomGenerator.fromState(tSaved).fill(new Float32Array(40)), t.fill(new Float32Array(40)));
  });

  it("split() gives distinct, reproducible child streams", () => {
    const parent = new pk.RandomGenerator(8);
    const a = parent.split(),
      b = parent.split();
    expect(a.stream).not.toBe(b.stream);
    expect(a.stream).not.toBe(parent.stream);
    const again = new pk.RandomGenerator(8);
    expect(again.split().stream).toBe(a.stream);
    expect(Array.from(a.fill(new Float32Array(8)))).not.toEqual(Array.from(b.fill(new Float32Array(8))));
  });

  it("never produces |z| beyond the documented bound √(66 ln 2) ≈ 6.764", () => {
    const z = pk.randomNormal(2_000_000, { seed: 31337 });
    let max = 0;
    for (const v of z) max = Math.max(max, Math.abs(v));
    expect(max).toBeLessThanOrEqual(Math.sqrt(66 * Math.LN2) * (1 + 1e-6));
    expect(max).toBeGreaterThan(4.5);
  });
});

interface TorchCase {
  seed: number;
  n: number;
  mean?: number;
  std?: number;
  values: number[];
}
const torchCases: TorchCase[] = JSON.parse(
  readFileSync(new URL("../fixtures/torch-randn.json", import.meta.url), "utf8"),
).cases;

describe('compat: "torch"', () => {
  let exact = 0,
    total = 0;
  it.each(torchCases.map((c) => [c.seed, c.n, c.mean ?? 0, c.std ?? 1, c] as const))(
    "torch.randn / normal_ with seed %i, n = %i, mean %s, std %s within 1e-6",
    (seed, n, mean, std, c) => {
      const got = pk.randomNormal(n, { seed, mean, std, compat: "torch" });
      for (let i = 0; i < n; i++) {
        expect(Math.abs(got[i] - c.values[i]), `value ${i}`).toBeLessThanOrEqual(1e-6);
        total++;
        if (got[i] === Math.fround(c.values[i])) exact++;
      }
      const g = new pk.RandomGenerator(seed, { compat: "torch" });
      same(g.fill(new Float32Array(n), mean, std), got);
    },
  );
  it("is bit-exact for at least 99.9% of the reference values (the rest differ by 1 ulp)", () => {
    expect(total).toBe(torchCases.reduce((s, c) => s + c.n, 0));
    expect(exact / total).toBeGreaterThan(0.999);
  });
});

describe("bad input", () => {
  beforeAll(async () => {
    await pk.init();
  });
  const out = () => new Float32Array(4).fill(9);
  it.each([
    [
      "count negative",
      RangeError,
      /randomNormal: count must be a non-negative integer, got -1/,
      (o: Float32Array) => pk.randomNormal(-1, { out: o }),
    ],
    ["count fractional", RangeError, /count must be a non-negative integer, got 2\.5/, () => pk.randomNormal(2.5)],
    ["count too large", RangeError, /count = 4294967296 is too large/, () => pk.randomNormal(2 ** 32)],
    [
      "count not a number",
      TypeError,
      /count must be a non-negative integer, got the string "4"/,
      () => pk.randomNormal("4" as unknown as number),
    ],
    [
      "std negative",
      RangeError,
      /std must be a finite number ≥ 0, got -1/,
      (o: Float32Array) => pk.randomNormal(4, { std: -1, out: o }),
    ],
    [
      "std NaN",
      RangeError,
      /std must be a finite number ≥ 0, got NaN/,
      (o: Float32Array) => pk.randomNormal(4, { std: NaN, out: o }),
    ],
    [
      "mean infinite",
      RangeError,
      /mean must be a finite number, got Infinity/,
      (o: Float32Array) => pk.randomNormal(4, { mean: Infinity, out: o }),
    ],
    [
      "seed not safe",
      RangeError,
      /seed must be a safe integer .* got 9007199254740992/,
      (o: Float32Array) => pk.randomNormal(4, { seed: 2 ** 53, out: o }),
    ],
    [
      "seed fractional",
      RangeError,
      /seed must be a safe integer/,
      (o: Float32Array) => pk.randomNormal(4, { seed: 1.5, out: o }),
    ],
    [
      "seed a string",
      TypeError,
      /seed must be a safe integer or a bigint, got the string "1"/,
      (o: Float32Array) => pk.randomNormal(4, { seed: "1" as unknown as number, out: o }),
    ],
    [
      "seed bigint too large",
      RangeError,
      /seed must fit in 64 bits/,
      (o: Float32Array) => pk.randomNormal(4, { seed: 2n ** 64n, out: o }),
    ],
    [
      "out not a Float32Array",
      TypeError,
      /out must be a Float32Array of length 4, got a Float64Array of length 4/,
      () => pk.randomNormal(4, { out: new Float64Array(4) as unknown as Float32Array }),
    ],
    [
      "out of the wrong length",
      RangeError,
      /out must have length 5 \(count\), got length 4/,
      (o: Float32Array) => pk.randomNormal(5, { out: o }),
    ],
    [
      "unknown compat",
      RangeError,
      /compat must be "philox" or "torch", got the string "numpy"/,
      (o: Float32Array) => pk.randomNormal(4, { compat: "numpy" as "torch", out: o }),
    ],
    [
      "unknown option",
      TypeError,
      /randomNormal: unknown option "stddev"/,
      (o: Float32Array) => pk.randomNormal(4, { stddev: 2, out: o } as unknown as pk.RandomNormalOptions),
    ],
    [
      "generator fill with std NaN",
      RangeError,
      /RandomGenerator\.fill: std must be/,
      (o: Float32Array) => new pk.RandomGenerator(1).fill(o, 0, NaN),
    ],
    ["torch generator skip", RangeError, /cannot jump/, () => new pk.RandomGenerator(1, { compat: "torch" }).skip(3)],
    [
      "generator unknown option",
      TypeError,
      /RandomGenerator: unknown option "seed"/,
      () => new pk.RandomGenerator(1, { seed: 2 } as unknown as pk.RandomGeneratorOptions),
    ],
  ] as const)("%s", (_, type, message, call) => {
    const o = out();
    let error: unknown;
    try {
      call(o);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
    expect(Array.from(o)).toEqual([9, 9, 9, 9]);
  });
});

describe("one rule for where randomness comes from", () => {
  it("randomNormal, randomUniform, randomInt and randperm take a generator and advance it as its own methods do", async () => {
    await pk.init();
    const g = new pk.RandomGenerator(7),
      h = new pk.RandomGenerator(7);
    expect(Array.from(pk.randomNormal(5, { generator: g }))).toEqual(Array.from(h.fill(new Float32Array(5))));
    expect(Array.from(pk.randomUniform(4, { generator: g, low: 1, high: 2 }))).toEqual(
      Array.from(h.fillUniform(new Float32Array(4), 1, 2)),
    );
    expect(Array.from(pk.randomInt(3, 0, 9, { generator: g }))).toEqual(
      Array.from(h.fillIntegers(new Int32Array(3), 0, 9)),
    );
    expect(Array.from(pk.randperm(6, { generator: g }))).toEqual(Array.from(h.permutation(6)));
    expect(g.position).toBe(h.position);
  });

  it("seed with generator, compat with generator, and a Proxy of a generator are refused the same way everywhere", async () => {
    await pk.init();
    const g = new pk.RandomGenerator(1);
    const proxy = new Proxy(g, {});
    const calls: [string, (options: object) => unknown][] = [
      ["randomNormal", (o) => pk.randomNormal(3, o)],
      ["randperm", (o) => pk.randperm(3, o)],
      ["xavierNormal", (o) => pk.xavierNormal(new Float32Array(6), [2, 3], o)],
    ];
    for (const [fn, call] of calls) {
      expect(() => call({ seed: 1, generator: g })).toThrow(new TypeError(`${fn}: give seed or generator, not both`));
      expect(() => call({ compat: "torch", generator: g })).toThrow(
        new TypeError(`${fn}: compat goes with seed (a generator has its own compat)`),
      );
      expect(() => call({ generator: proxy })).toThrow(TypeError);
      expect(() => call({ generator: proxy })).toThrow(new RegExp(`^${fn}: generator must be a RandomGenerator`));
    }
    expect(() => pk.setDefaultGenerator(proxy)).toThrow(/setDefaultGenerator: generator must be a RandomGenerator/);
  });
});
