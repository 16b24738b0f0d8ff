// Random streams: randomNormal, randomUniform, randomInt, randperm and RandomGenerator.
//  - default ("philox"): counter-based Philox4x32-10 + Box-Muller in wasm (assembly/random.ts);
//    value i of (seed, stream) is a pure function of them, so any chunking, build or engine
//    gives the same bits, positions can be skipped, and streams split;
//  - compat "torch": PyTorch's CPU mt19937 stream (src/random/torch.ts).
import { halves, philox4x32 } from "./random/philox.js";
import { checkSeed, randomSeed, type Seed } from "./random/seed.js";
import { MT19937, fmaF32, torchNormalFill, type TorchState } from "./random/torch.js";
import type { Addresses } from "./call.js";
import { returned } from "./executor.js";
import { runSync, type Op } from "./ops.js";
import { requireRuntime } from "./runtime.js";
import { checkFloat32, describe, readOptions } from "./validate.js";
import { SCRATCH_BYTES } from "./wasm.js";
import { ownView, typedArrayName } from "./views.js";

export type { Seed };
/**
 * Which generator: "philox" (default: counter-based Philox4x32-10, SIMD, reproducible at any
 * chunking, thread count or build) or "torch" (PyTorch's CPU mt19937 stream, value for value).
 */
export type Compat = "philox" | "torch";

/** JSON-safe generator state (64-bit values as decimal strings). */
export type RandomGeneratorState =
  | { algorithm: "philox4x32-10"; seed: string; stream: string; position: string; splits: string }
  | { algorithm: "mt19937-torch"; seed: string; position: string; mt: number[]; index: number; cachedNormal: number | null };

export interface RandomGeneratorOptions {
  /** "philox" (default, counter-based) or "torch" (PyTorch's CPU generator). */
  compat?: Compat;
  /** Stream id (philox only): different streams of one seed are independent. Default 0. */
  stream?: Seed;
}

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
}

const MAX_COUNT = 2 ** 31 - 1;
/** A stream has 2^64 positions; value 2^64 would wrap around to value 0. */
const STREAM_LENGTH = 2n ** 64n;

export function checkCompat(fn: string, compat: unknown): Compat {
  if (compat === undefined) return "philox";
  if (compat !== "philox" && compat !== "torch") {
    throw new RangeError(`${fn}: compat must be "philox" or "torch", got ${describe(compat)}`);
  }
  return compat;
}

export function checkMeanStd(fn: string, mean: unknown, std: unknown): [number, number] {
  const m = mean === undefined ? 0 : mean;
  const s = std === undefined ? 1 : std;
  if (typeof m !== "number") throw new TypeError(`${fn}: mean must be a finite number, got ${describe(m)}`);
  if (!Number.isFinite(m)) throw new RangeError(`${fn}: mean must be a finite number, got ${describe(m)}`);
  if (typeof s !== "number") throw new TypeError(`${fn}: std must be a finite number ≥ 0, got ${describe(s)}`);
  if (!(s >= 0) || !Number.isFinite(s)) throw new RangeError(`${fn}: std must be a finite number ≥ 0, got ${describe(s)}`);
  return [m, s];
}

function checkCount(fn: string, count: unknown, name = "count"): number {
  if (typeof count !== "number") throw new TypeError(`${fn}: ${name} must be a non-negative integer, got ${describe(count)}`);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${describe(count)}`);
  }
  if (count > MAX_COUNT) {
    throw new RangeError(`${fn}: ${name} = ${count} is too large (at most 2^31 − 1 values per call)`);
  }
  return count;
}

function checkFloat32Out(fn: string, out: unknown, length?: number): Float32Array {
  const view = checkFloat32(fn, "out", out, `a Float32Array${length === undefined ? "" : ` of length ${length}`}`);
  if (length !== undefined && view.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length} (count), got length ${view.length}`);
  }
  return view;
}

/** Refuses a draw that would run past the stream's last position (2^64 − 1) instead of wrapping to 0. */
function checkStreamEnd(fn: string, position: bigint, count: bigint): void {
  if (position + count > STREAM_LENGTH) {
    throw new RangeError(
      `${fn}: the stream has 2^64 positions; drawing ${count} values from position ${position} would run past its end`,
    );
  }
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function checkInt32Out(fn: string, out: unknown, length?: number): Int32Array {
  if (typedArrayName(out) !== "Int32Array") {
    throw new TypeError(`${fn}: out must be an Int32Array${length === undefined ? "" : ` of length ${length}`}, got ${describe(out)}`);
  }
  const view = ownView(fn, "out", Int32Array, out as Int32Array);
  if (length !== undefined && view.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length} (count), got length ${view.length}`);
  }
  return view;
}

function allocate(fn: string, count: number): Float32Array {
  try {
    return new Float32Array(count);
  } catch {
    throw new RangeError(`${fn}: count = ${count} is too large to allocate a Float32Array`);
  }
}

/** What philoxUniformFill writes (assembly/uniform.ts). */
const enum UniformKind { Float = 0, Int = 1, Bits = 2 }

/**
 * One Philox kernel over positions [position, position + out.length) into out (our view), in
 * chunks of whole groups of 16 (the kernels start at any position; whole groups per chunk keep
 * partial groups to the ends). `fill` calls the kernel on one chunk, given the chunk's start
 * position as two 32-bit halves. Returns the view to hand back (a fresh one if wasm memory grew).
 */
function philoxRun<T extends Float32Array | Int32Array>(
  fn: string, out: T, position: bigint, kernel: "philoxNormalFill" | "philoxUniformFill",
  args: (at: Addresses, count: number, p0: number, p1: number) => number[],
): T {
  return runSync(fn, function* (): Op<T> {
  const [final] = yield {
    fn,
    rows: out.length,
    inputs: [],
    outputs: [{ name: "out", view: out, perRow: 1 }],
    scratchBytes: SCRATCH_BYTES[kernel],
    rowMultiple: 16,
    export: kernel,
    args(at, first, count) {
      const [p0, p1] = halves(position + BigInt(first));
      return args(at, count, p0, p1);
    },
  };
  return final as T;
  });
}

/** Philox normals (key = the seed) as z·std + mean. */
function philoxFill(fn: string, out: Float32Array, seed: bigint, stream: bigint, position: bigint, mean: number, std: number): Float32Array {
  const [k0, k1] = halves(seed);
  const [s0, s1] = halves(stream);
  return philoxRun(fn, out, position, "philoxNormalFill", (at, count, p0, p1) =>
    [at.outputs[0], count, p0, p1, k0, k1, s0, s1, mean, std, at.scratch]);
}

/** Philox uniform words (key = the uniform key derived from the seed), turned into what `kind` says. */
function philoxUniform<T extends Float32Array | Int32Array>(
  fn: string, out: T, key: readonly [number, number], stream: bigint, position: bigint, kind: UniformKind, a: number, b: number,
): T {
  const [s0, s1] = halves(stream);
  return philoxRun(fn, out, position, "philoxUniformFill", (at, count, p0, p1) =>
    [at.outputs[0], count, p0, p1, key[0], key[1], s0, s1, kind, a, b, at.scratch]);
}

/**
 * The key a kind of draw uses: one Philox block of (tag, seed), so uniform words and categorical
 * draws never reuse the blocks of the normal sampler (which keys by the seed itself) or of each other.
 */
function derivedKey(seed: bigint, tag: number): [number, number] {
  const [k0, k1] = halves(seed);
  const w = philox4x32(tag, 0x6b657973, 0, 0, k0, k1);
  return [w[0], w[1]];
}
const UNIFORM_TAG = 0x756e6966; // "unif"
const CATEGORICAL_TAG = 0x63617467; // "catg"

/** Lemire's ⌊w·range / 2^32⌋ for u32 w and range ≤ 2^32, exactly (16-bit halves keep products exact). */
export function scaleWord(w: number, range: number): number {
  if (range === 2 ** 32) return w;
  const lo = (w & 0xffff) * range;
  return Math.floor((Math.floor(lo / 65536) + (w >>> 16) * range) / 65536);
}

/** Checks integer bounds low < high within int32 (the values go to an Int32Array). */
function checkIntBounds(fn: string, low: unknown, high: unknown): [number, number] {
  for (const [name, v] of [["low", low], ["high", high]] as const) {
    if (typeof v !== "number") throw new TypeError(`${fn}: ${name} must be an integer, got ${describe(v)}`);
    if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31) {
      throw new RangeError(`${fn}: ${name} must be an integer from -2^31 to 2^31 (the values are int32), got ${describe(v)}`);
    }
  }
  if (!((low as number) < (high as number))) {
    throw new RangeError(`${fn}: low must be less than high (values are drawn from [low, high)), got low = ${low}, high = ${high}`);
  }
  return [low as number, high as number];
}

function checkUniformBounds(fn: string, low: unknown, high: unknown): [number, number] {
  const l = low === undefined ? 0 : low, h = high === undefined ? 1 : high;
  for (const [name, v] of [["low", l], ["high", h]] as const) {
    if (typeof v !== "number") throw new TypeError(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
  }
  if (!((l as number) <= (h as number))) {
    throw new RangeError(`${fn}: low must be at most high, got low = ${l}, high = ${h}`);
  }
  if (!Number.isFinite(Math.fround(h as number) - Math.fround(l as number)) || !Number.isFinite(Math.fround(Math.fround(h as number) - Math.fround(l as number)))) {
    throw new RangeError(`${fn}: high − low must be a finite float32, got low = ${l}, high = ${h}`);
  }
  return [l as number, h as number];
}

/**
 * A stream of random values: normals (`fill`), uniforms (`fillUniform`), integers
 * (`fillIntegers`), permutations (`permutation`) and, through sampleCategorical, categorical
 * draws; each value drawn takes one position. The default kind is counter-based
 * (Philox4x32-10): its position can be read, skipped and saved, `split()` gives independent
 * child streams, and each kind of value has its own key derived from the seed. The "torch" kind
 * reproduces PyTorch's CPU generator call by call: each `fill(out)` equals one `Tensor.normal_`,
 * each `fillUniform` one `Tensor.uniform_`, each `fillIntegers` one `Tensor.random_(low, high)`
 * on a tensor of out.length elements, and `permutation(n)` equals `torch.randperm(n)`.
 * (Exported as NormalGenerator too, its first name.)
 */
export class RandomGenerator {
  /** The seed (64 bits); drawn at random when none was given, so a run can be reproduced. */
  readonly seed: bigint;
  readonly compat: Compat;
  /** Stream id (philox). */
  readonly stream: bigint;
  #position = 0n;
  #splits = 0n;
  /** The call drawing from this generator across awaits (sampleCategoricalAsync), or null. */
  #drawing: string | null = null;
  #mt: MT19937 | null = null;

  constructor(seed?: Seed, options?: RandomGeneratorOptions) {
    const fn = "RandomGenerator";
    const o = readOptions(fn, options, ["compat", "stream"]);
    this.seed = seed === undefined ? randomSeed() : checkSeed(fn, seed);
    this.compat = checkCompat(fn, o.compat);
    if (this.compat === "torch" && o.stream !== undefined) {
      throw new RangeError(`${fn}: stream is available with the default (philox) generator only, not with compat "torch"`);
    }
    this.stream = o.stream === undefined ? 0n : checkSeed(fn, o.stream, "stream");
    if (this.compat === "torch") this.#mt = new MT19937(this.seed);
  }

  /** Refuses to move a generator that an async call is drawing from (its positions would be drawn twice). */
  #checkIdle(fn: string): void {
    if (this.#drawing !== null) {
      throw new Error(`${fn}: ${this.#drawing} is drawing from this generator; await it before moving the generator`);
    }
  }

  /** How many values have been drawn so far (the index of the next one). */
  get position(): bigint {
    return this.#position;
  }

  /** Fills `out` with the next out.length values, as z·std + mean; returns out. */
  fill(out: Float32Array, mean?: number, std?: number): Float32Array {
    return this.fillAs("RandomGenerator.fill", out, mean, std);
  }

  /** @internal fill, with errors named after the public function that called it. */
  fillAs(fn: string, out: unknown, mean?: unknown, std?: unknown): Float32Array {
    // A detached or freed view is refused (both kinds) rather than filled as if empty.
    this.#checkIdle(fn);
    const view = checkFloat32Out(fn, out);
    const [m, s] = checkMeanStd(fn, mean, std);
    const count = BigInt(view.length);
    let final = view;
    if (this.#mt) {
      torchNormalFill(this.#mt, view, m, s);
    } else {
      checkStreamEnd(fn, this.#position, count);
      final = philoxFill(fn, view, this.seed, this.stream, this.#position, m, s);
    }
    this.#position += count;
    return returned(out, view, final);
  }

  /**
   * Fills `out` with the next out.length uniform values in [low, high) (default [0, 1)); with
   * compat "torch" each call equals one `Tensor.uniform_(low, high)` (float32: 24 random bits,
   * x·(high − low) + low rounded as PyTorch does, so high itself can appear only by rounding).
   */
  fillUniform(out: Float32Array, low?: number, high?: number): Float32Array {
    return this.uniformAs("RandomGenerator.fillUniform", out, low, high);
  }

  /** @internal fillUniform, with errors named after the public function that called it. */
  uniformAs(fn: string, out: unknown, low?: unknown, high?: unknown): Float32Array {
    this.#checkIdle(fn);
    const view = checkFloat32Out(fn, out);
    const [l, h] = checkUniformBounds(fn, low, high);
    const count = BigInt(view.length);
    let final: Float32Array = view;
    if (this.#mt) {
      const lo = Math.fround(l), span = Math.fround(Math.fround(h) - lo);
      // PyTorch's build fuses x·span + low into one multiply-add (measured: unfused differs by an ulp).
      for (let i = 0; i < view.length; i++) view[i] = fmaF32(this.#mt.nextFloat(), span, lo);
    } else {
      checkStreamEnd(fn, this.#position, count);
      final = philoxUniform(fn, view, this.#key(UNIFORM_TAG), this.stream, this.#position, UniformKind.Float, l, h);
    }
    this.#position += count;
    return returned(out, view, final);
  }

  /**
   * Fills `out` with the next out.length integers drawn uniformly from [low, high). With compat
   * "torch" each call equals one `Tensor.random_(low, high)` (a 32-bit word modulo the range, or
   * 64 bits when the range is 2^32); the default generator uses ⌊w·range / 2^32⌋ of one 32-bit word
   * (Lemire), whose bias is below range / 2^32 (2.3·10⁻⁷ relative for a range of 1000).
   */
  fillIntegers(out: Int32Array, low: number, high: number): Int32Array {
    return this.integersAs("RandomGenerator.fillIntegers", out, low, high);
  }

  /** @internal fillIntegers, with errors named after the public function that called it. */
  integersAs(fn: string, out: unknown, low: unknown, high: unknown): Int32Array {
    this.#checkIdle(fn);
    const view = checkInt32Out(fn, out);
    const [l, h] = checkIntBounds(fn, low, high);
    const range = h - l;
    const count = BigInt(view.length);
    let final: Int32Array = view;
    if (this.#mt) {
      const mt = this.#mt;
      for (let i = 0; i < view.length; i++) {
        // uniform_int_from_to_distribution: random64() when the range needs more than 32 bits.
        const w = range >= 2 ** 32 ? Number(BigInt.asUintN(64, (BigInt(mt.nextU32()) << 32n) | BigInt(mt.nextU32())) % BigInt(range)) : mt.nextU32() % range;
        view[i] = w + l;
      }
    } else {
      checkStreamEnd(fn, this.#position, count);
      // The kernel takes the range as a u32, 0 meaning 2^32.
      final = philoxUniform(fn, view, this.#key(UNIFORM_TAG), this.stream, this.#position, UniformKind.Int, l, range === 2 ** 32 ? 0 : range);
    }
    this.#position += count;
    return returned(out, view, final);
  }

  /**
   * A random permutation of 0 … n − 1 (Int32Array): the Fisher–Yates shuffle PyTorch's CPU
   * randperm runs (for i from 0, swap i with i + a draw from [0, n − i)), which with compat
   * "torch" equals `torch.randperm(n)` on this generator. Uses n − 1 positions.
   */
  permutation(n: number): Int32Array {
    return this.permutationAs("RandomGenerator.permutation", n);
  }

  /** @internal permutation, with errors named after the public function that called it. */
  permutationAs(fn: string, n: unknown): Int32Array {
    this.#checkIdle(fn);
    const size = checkCount(fn, n, "n");
    const perm = new Int32Array(size);
    for (let i = 0; i < size; i++) perm[i] = i;
    const draws = Math.max(0, size - 1);
    if (this.#mt) {
      for (let i = 0; i < draws; i++) swap(perm, i, i + (this.#mt.nextU32() % (size - i)));
    } else {
      checkStreamEnd(fn, this.#position, BigInt(draws));
      const words = new Int32Array(draws);
      philoxUniform(fn, words, this.#key(UNIFORM_TAG), this.stream, this.#position, UniformKind.Bits, 0, 0);
      for (let i = 0; i < draws; i++) swap(perm, i, i + scaleWord(words[i] >>> 0, size - i));
    }
    this.#position += BigInt(draws);
    return perm;
  }

  /**
   * @internal One uniform in [0, 1) with 53 random bits per row, for categorical draws (philox
   * only): position p uses Philox block p of the categorical key. The generator advances by
   * `rows` when the caller commits (after its kernel succeeded), so a refused call draws nothing;
   * until the caller releases it, nothing else may move the generator.
   * Static, reading the generator's private state: a subclass or a proxy cannot hand the kernel
   * an array of its own making (a proxy fails the private-field read with a TypeError).
   */
  /** @internal Whether `value` is a generator itself (its private state), not a proxy or a look-alike. */
  static holdsState(value: unknown): value is RandomGenerator {
    return typeof value === "object" && value !== null && #position in value;
  }

  static categoricalUniforms(
    g: RandomGenerator, fn: string, rows: number,
  ): { uniforms: Float64Array; commit: () => void; release: () => void } {
    if (g.#mt) {
      throw new RangeError(`${fn}: draws come from the default (philox) generator; compat "torch" (PyTorch's multinomial stream) is not reproduced`);
    }
    g.#checkIdle(fn);
    const from = g.#position;
    checkStreamEnd(fn, from, BigInt(rows));
    const key = g.#key(CATEGORICAL_TAG);
    const [s0, s1] = halves(g.stream);
    const u = new Float64Array(rows);
    const block = new Uint32Array(4);
    for (let r = 0; r < rows; r++) {
      const [p0, p1] = halves(from + BigInt(r));
      philox4x32(p0, p1, s0, s1, key[0], key[1], block);
      u[r] = ((block[0] >>> 11) * 2 ** 32 + block[1]) * 2 ** -53;
    }
    g.#drawing = fn;
    return {
      uniforms: u,
      commit: () => {
        g.#position = from + BigInt(rows);
      },
      release: () => {
        g.#drawing = null;
      },
    };
  }

  #keys = new Map<number, [number, number]>();
  #key(tag: number): [number, number] {
    let key = this.#keys.get(tag);
    if (!key) this.#keys.set(tag, (key = derivedKey(this.seed, tag)));
    return key;
  }

  /** Moves the position forward by `count` values without computing them (philox only). */
  skip(count: number | bigint): this {
    const fn = "RandomGenerator.skip";
    if (this.#mt) throw new RangeError(`${fn}: the torch-compatible generator (mt19937) cannot jump; skip needs the default generator`);
    this.#checkIdle(fn);
    const n = typeof count === "bigint" ? count : BigInt(checkCount(fn, count));
    if (typeof count === "bigint" && count < 0n) throw new RangeError(`${fn}: count must be ≥ 0, got ${count}n`);
    checkStreamEnd(fn, this.#position, n);
    this.#position += n;
    return this;
  }

  /**
   * A child generator on a new stream, independent of this one and of its other children: the
   * child's stream id is a Philox block of (seed, this stream, split number), so the same parent
   * state always gives the same children (philox only).
   */
  split(): RandomGenerator {
    this.#checkIdle("RandomGenerator.split");
    if (this.#mt) throw new RangeError("RandomGenerator.split: the torch-compatible generator cannot split; use the default generator");
    const [k0, k1] = halves(this.seed);
    const [s0, s1] = halves(this.stream);
    const [n0, n1] = halves(this.#splits);
    // The counter's second word marks split derivation apart from the normal blocks' counters.
    const w = philox4x32(n0, n1 ^ 0x5eed5eed, s0, s1, k0, k1);
    this.#splits += 1n;
    return new RandomGenerator(this.seed, { stream: (BigInt(w[1]) << 32n) | BigInt(w[0]) });
  }

  /** A JSON-safe snapshot; RandomGenerator.fromState(state) continues exactly from here. */
  state(): RandomGeneratorState {
    if (this.#mt) {
      const s: TorchState = this.#mt.state();
      return { algorithm: "mt19937-torch", seed: String(this.seed), position: String(this.#position), ...s };
    }
    return {
      algorithm: "philox4x32-10", seed: String(this.seed), stream: String(this.stream),
      position: String(this.#position), splits: String(this.#splits),
    };
  }

  static fromState(state: RandomGeneratorState): RandomGenerator {
    const fn = "RandomGenerator.fromState";
    if (state === null || typeof state !== "object") throw new TypeError(`${fn}: state must be an object from state(), got ${describe(state)}`);
    const big = (name: string, v: unknown) => {
      if (typeof v !== "string" || !/^\d+$/.test(v)) throw new TypeError(`${fn}: state.${name} must be a decimal string, got ${describe(v)}`);
      const value = BigInt(v);
      if (value >= STREAM_LENGTH) throw new RangeError(`${fn}: state.${name} must be below 2^64, got ${v}`);
      return value;
    };
    if (state.algorithm === "philox4x32-10") {
      const g = new RandomGenerator(big("seed", state.seed), { stream: big("stream", state.stream) });
      g.#position = big("position", state.position);
      g.#splits = big("splits", state.splits);
      return g;
    }
    if (state.algorithm === "mt19937-torch") {
      const { mt, index, cachedNormal } = state;
      if (!Array.isArray(mt) || mt.length !== 624) {
        throw new TypeError(`${fn}: state.mt must be an array of 624 words from state(), got ${describe(mt)}`);
      }
      for (let i = 0; i < 624; i++) {
        const w = mt[i];
        if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 0xffffffff) {
          throw new RangeError(`${fn}: state.mt[${i}] must be an integer from 0 to 2^32 − 1, got ${describe(w)}`);
        }
      }
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 624) {
        throw new RangeError(`${fn}: state.index must be an integer from 0 to 624, got ${describe(index)}`);
      }
      if (cachedNormal !== null && (typeof cachedNormal !== "number" || !Number.isFinite(cachedNormal))) {
        throw new TypeError(`${fn}: state.cachedNormal must be a finite number or null, got ${describe(cachedNormal)}`);
      }
      const g = new RandomGenerator(big("seed", state.seed), { compat: "torch" });
      g.#mt = MT19937.fromState({ mt, index, cachedNormal });
      g.#position = big("position", state.position);
      return g;
    }
    throw new TypeError(`${fn}: unknown state.algorithm ${describe((state as { algorithm?: unknown }).algorithm)}`);
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

export interface RandomIntOptions {
  /** Start a fresh stream from this seed; else the default generator. */
  seed?: Seed;
  /** Buffer to fill (an Int32Array of length `count`); returned. */
  out?: Int32Array;
  /** "philox" (default) or "torch" (torch.randint value for value; needs a seed). */
  compat?: Compat;
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

export interface RandpermOptions {
  /** Start a fresh stream from this seed; else the default generator. */
  seed?: Seed;
  /** "philox" (default) or "torch" (torch.randperm value for value; needs a seed). */
  compat?: Compat;
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
