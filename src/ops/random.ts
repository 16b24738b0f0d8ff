// Random streams: randomNormal, randomUniform, randomInt, randperm and RandomGenerator.
//  - default ("philox"): counter-based Philox4x32-10 + Box-Muller in wasm (assembly/random.ts);
//    value i of (seed, stream) is a pure function of them, so any chunking, build or engine
//    gives the same bits, positions can be skipped, and streams split;
//  - compat "torch": PyTorch's CPU mt19937 stream (src/random/torch.ts).
import { describe, readOptions } from "../checks/describe.js";
import {
  type Compat,
  checkCompat,
  checkCount,
  checkFloat32Out,
  checkInt32Out,
  checkIntBounds,
  checkMeanStd,
  checkUniformBounds,
} from "../checks/random.js";
import { requireRuntime } from "../engine/runtime.js";
import { RandomGenerator } from "../random/generator.js";
import { checkSeed, type Seed } from "../random/seed.js";

export interface RandomNormalOptions {
  /** Mean of the normal distribution (finite). Default 0. */
  mean?: number;
  /** Standard deviation (finite, ≥ 0). Default 1. */
  std?: number;
  /**
   * Start a fresh stream from this seed (a safe integer or a bigint, modulo 2^64), like
   * torch.Generator().manual_seed(seed). Without a seed, values continue the default generator
   * (its seed is random and readable: getDefaultGenerator().seed).
   */
  seed?: Seed;
  /** Buffer to fill (a Float32Array of length `count`); returned. */
  out?: Float32Array;
  /** "philox" (default) or "torch" (PyTorch's CPU stream; needs a seed). See Compat. */
  compat?: Compat;
  /** Draw from this generator (advancing it) instead; not with seed or compat. */
  generator?: RandomGenerator;
}

export interface RandomUniformOptions {
  /** Lower bound (finite). Default 0. */
  low?: number;
  /** Upper bound (finite, ≥ low); values are < high except by float32 rounding, as in PyTorch. Default 1. */
  high?: number;
  /** Start a fresh stream from this seed (like torch.Generator().manual_seed(seed)); else the default generator. */
  seed?: Seed;
  /** Buffer to fill (a Float32Array of length `count`); returned. */
  out?: Float32Array;
  /** "philox" (default) or "torch" (torch.rand / Tensor.uniform_ value for value; needs a seed). */
  compat?: Compat;
  /** Draw from this generator (advancing it) instead; not with seed or compat. */
  generator?: RandomGenerator;
}

export interface RandomIntOptions {
  /** Start a fresh stream from this seed; else the default generator. */
  seed?: Seed;
  /** Buffer to fill (an Int32Array of length `count`); returned. */
  out?: Int32Array;
  /** "philox" (default) or "torch" (torch.randint value for value; needs a seed). */
  compat?: Compat;
  /** Draw from this generator (advancing it) instead; not with seed or compat. */
  generator?: RandomGenerator;
}

export interface RandpermOptions {
  /** Start a fresh stream from this seed; else the default generator. */
  seed?: Seed;
  /** "philox" (default) or "torch" (torch.randperm value for value; needs a seed). */
  compat?: Compat;
  /** Draw from this generator (advancing it) instead; not with seed or compat. */
  generator?: RandomGenerator;
}

function allocate(fn: string, count: number): Float32Array {
  try {
    return new Float32Array(count);
  } catch {
    throw new RangeError(`${fn}: count = ${count} is too large to allocate a Float32Array`);
  }
}

let defaultGenerator: RandomGenerator | null = null;

/** The generator randomNormal uses when no seed is given (random seed, drawn once; readable). */
export function getDefaultGenerator(): RandomGenerator {
  defaultGenerator ??= new RandomGenerator();
  return defaultGenerator;
}

/** Replaces the default generator (for example with one made from a saved seed or state). */
export function setDefaultGenerator(generator: RandomGenerator): void {
  if (!RandomGenerator.holdsState(generator)) {
    throw new TypeError(`setDefaultGenerator: generator must be a RandomGenerator, got ${describe(generator)}`);
  }
  defaultGenerator = generator;
}

/**
 * `count` normal samples N(mean, std²) as a Float32Array (or into `out`). With a seed the stream
 * starts at position 0 of that seed (like a fresh torch.Generator().manual_seed(seed)); without
 * one, values continue the default generator.
 */
export function randomNormal(count: number, options?: RandomNormalOptions): Float32Array {
  const fn = "randomNormal";
  const o = readOptions(fn, options, ["mean", "std", "seed", "generator", "out", "compat"]);
  const n = checkCount(fn, count);
  const [mean, std] = checkMeanStd(fn, o.mean, o.std);
  if (o.out !== undefined) checkFloat32Out(fn, o.out, n);
  const g = resolveGenerator(fn, o.seed, o.generator, o.compat);
  if (g.compat === "philox") requireRuntime(fn); // fail before allocating
  return g.fillAs(fn, o.out ?? allocate(fn, n), mean, std);
}

/**
 * The stream a call draws from, by one rule for every function that draws: `generator` itself,
 * a fresh generator for `seed` (of kind `compat`), or the default generator. `compat` goes with a
 * seed (a generator has its own); without one it must name the default generator's kind.
 */
export function resolveGenerator(fn: string, seed: unknown, generator: unknown, compat: unknown): RandomGenerator {
  if (seed !== undefined && generator !== undefined) throw new TypeError(`${fn}: give seed or generator, not both`);
  if (generator !== undefined) {
    if (compat !== undefined) throw new TypeError(`${fn}: compat goes with seed (a generator has its own compat)`);
    // Its private state, not instanceof: a Proxy or a look-alike is refused here, not at first use.
    if (!RandomGenerator.holdsState(generator)) {
      throw new TypeError(`${fn}: generator must be a RandomGenerator, got ${describe(generator)}`);
    }
    return generator;
  }
  const kind = checkCompat(fn, compat);
  if (seed !== undefined) return new RandomGenerator(checkSeed(fn, seed), { compat: kind });
  const g = getDefaultGenerator();
  if (compat !== undefined && kind !== g.compat) {
    throw new TypeError(`${fn}: compat "${kind}" needs a seed (the default generator is "${g.compat}")`);
  }
  return g;
}

/**
 * `count` uniform samples in [low, high) as a Float32Array (or into `out`): `torch.rand(count)`
 * (scaled) with compat "torch", the counter-based Philox stream by default.
 */
export function randomUniform(count: number, options?: RandomUniformOptions): Float32Array {
  const fn = "randomUniform";
  const o = readOptions(fn, options, ["low", "high", "seed", "generator", "out", "compat"]);
  const n = checkCount(fn, count);
  checkUniformBounds(fn, o.low, o.high);
  if (o.out !== undefined) checkFloat32Out(fn, o.out, n);
  const g = resolveGenerator(fn, o.seed, o.generator, o.compat);
  if (g.compat === "philox") requireRuntime(fn);
  return g.uniformAs(fn, o.out ?? allocate(fn, n), o.low, o.high);
}

/** `count` integers drawn uniformly from [low, high) as an Int32Array: `torch.randint(low, high, (count,))`. */
export function randomInt(count: number, low: number, high: number, options?: RandomIntOptions): Int32Array {
  const fn = "randomInt";
  const o = readOptions(fn, options, ["seed", "generator", "out", "compat"]);
  const n = checkCount(fn, count);
  checkIntBounds(fn, low, high);
  if (o.out !== undefined) checkInt32Out(fn, o.out, n);
  const g = resolveGenerator(fn, o.seed, o.generator, o.compat);
  if (g.compat === "philox") requireRuntime(fn);
  let target: unknown;
  try {
    target = o.out ?? new Int32Array(n);
  } catch {
    throw new RangeError(`${fn}: count = ${n} is too large to allocate an Int32Array`);
  }
  return g.integersAs(fn, target, low, high);
}

/** A random permutation of 0 … n − 1 as an Int32Array: `torch.randperm(n)` with compat "torch". */
export function randperm(n: number, options?: RandpermOptions): Int32Array {
  const fn = "randperm";
  const o = readOptions(fn, options, ["seed", "generator", "compat"]);
  checkCount(fn, n, "n");
  const g = resolveGenerator(fn, o.seed, o.generator, o.compat);
  if (g.compat === "philox") requireRuntime(fn);
  return g.permutationAs(fn, n);
}
