// Random streams: randomNormal, randomUniform, randomInt, randperm and RandomGenerator.
//  - default ("philox"): counter-based Philox4x32-10 + Box-Muller in wasm (assembly/random.ts);
//    value i of (seed, stream) is a pure function of them, so any chunking, build or engine
//    gives the same bits, positions can be skipped, and streams split;
//  - compat "torch": PyTorch's CPU mt19937 stream (src/random/torch.ts).
import { describe, readOptions } from "../checks/describe.js";
import {
  type Compat,
  type RandomIntOptions,
  type RandomNormalOptions,
  type RandomUniformOptions,
  type RandpermOptions,
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
import { checkSeed } from "../random/seed.js";

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
  if (!(generator instanceof RandomGenerator)) {
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
  const o = readOptions(fn, options, ["mean", "std", "seed", "out", "compat"]);
  const n = checkCount(fn, count);
  const [mean, std] = checkMeanStd(fn, o.mean, o.std);
  const compat = checkCompat(fn, o.compat);
  const seed = o.seed === undefined ? undefined : checkSeed(fn, o.seed);
  if (o.out !== undefined) checkFloat32Out(fn, o.out, n);
  if (compat === "philox" && (seed !== undefined || getDefaultGenerator().compat === "philox")) {
    requireRuntime(fn); // fail before allocating
  }
  const target = o.out ?? allocate(fn, n);
  if (seed === undefined) {
    const g = getDefaultGenerator();
    if (compat !== g.compat) {
      throw new RangeError(`${fn}: compat "${compat}" needs a seed (the default generator is "${g.compat}")`);
    }
    return g.fillAs(fn, target, mean, std);
  }
  return new RandomGenerator(seed, { compat }).fillAs(fn, target, mean, std);
}

/** The generator a function without `generator` draws from: a fresh one for a seed, else the default. */
function generatorFor(fn: string, seed: bigint | undefined, compat: Compat): RandomGenerator {
  if (seed !== undefined) return new RandomGenerator(seed, { compat });
  const g = getDefaultGenerator();
  if (compat !== g.compat) {
    throw new RangeError(`${fn}: compat "${compat}" needs a seed (the default generator is "${g.compat}")`);
  }
  return g;
}

/**
 * `count` uniform samples in [low, high) as a Float32Array (or into `out`): `torch.rand(count)`
 * (scaled) with compat "torch", the counter-based Philox stream by default.
 */
export function randomUniform(count: number, options?: RandomUniformOptions): Float32Array {
  const fn = "randomUniform";
  const o = readOptions(fn, options, ["low", "high", "seed", "out", "compat"]);
  const n = checkCount(fn, count);
  checkUniformBounds(fn, o.low, o.high);
  const compat = checkCompat(fn, o.compat);
  const seed = o.seed === undefined ? undefined : checkSeed(fn, o.seed);
  if (o.out !== undefined) checkFloat32Out(fn, o.out, n);
  const g = generatorFor(fn, seed, compat);
  if (g.compat === "philox") requireRuntime(fn);
  return g.uniformAs(fn, o.out ?? allocate(fn, n), o.low, o.high);
}

/** `count` integers drawn uniformly from [low, high) as an Int32Array: `torch.randint(low, high, (count,))`. */
export function randomInt(count: number, low: number, high: number, options?: RandomIntOptions): Int32Array {
  const fn = "randomInt";
  const o = readOptions(fn, options, ["seed", "out", "compat"]);
  const n = checkCount(fn, count);
  checkIntBounds(fn, low, high);
  const compat = checkCompat(fn, o.compat);
  const seed = o.seed === undefined ? undefined : checkSeed(fn, o.seed);
  if (o.out !== undefined) checkInt32Out(fn, o.out, n);
  const g = generatorFor(fn, seed, compat);
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
  const o = readOptions(fn, options, ["seed", "compat"]);
  checkCount(fn, n, "n");
  const compat = checkCompat(fn, o.compat);
  const seed = o.seed === undefined ? undefined : checkSeed(fn, o.seed);
  const g = generatorFor(fn, seed, compat);
  if (g.compat === "philox") requireRuntime(fn);
  return g.permutationAs(fn, n);
}
