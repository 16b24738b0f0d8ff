// RandomGenerator: a stream of random values — counter-based Philox by default, or PyTorch's
// CPU mt19937 stream with compat "torch".
import { describe, readOptions } from "../checks/describe.js";
import {
  type Compat,
  type RandomGeneratorOptions,
  type RandomGeneratorState,
  STREAM_LENGTH,
  checkCompat,
  checkCount,
  checkFloat32Out,
  checkInt32Out,
  checkIntBounds,
  checkMeanStd,
  checkStreamEnd,
  checkUniformBounds,
} from "../checks/random.js";
import { returned } from "../engine/execute.js";
import {
  CATEGORICAL_TAG,
  UNIFORM_TAG,
  UniformKind,
  derivedKey,
  philoxFill,
  philoxUniform,
  scaleWord,
  swap,
} from "./philox-fill.js";
import { halves, philox4x32 } from "./philox.js";
import { type Seed, checkSeed, randomSeed } from "./seed.js";
import { MT19937, type TorchState, fmaF32, torchNormalFill } from "./torch.js";

/**
 * A stream of random values: normals (`fill`), uniforms (`fillUniform`), integers
 * (`fillIntegers`), permutations (`permutation`) and, through sampleCategorical, categorical
 * draws; each value drawn takes one position. The default kind is counter-based
 * (Philox4x32-10): its position can be read, skipped and saved, `split()` gives independent
 * child streams, and each kind of value has its own key derived from the seed. The "torch" kind
 * reproduces PyTorch's CPU generator call by call: each `fill(out)` equals one `Tensor.normal_`,
 * each `fillUniform` one `Tensor.uniform_`, each `fillIntegers` one `Tensor.random_(low, high)`
 * on a tensor of out.length elements, and `permutation(n)` equals `torch.randperm(n)`.
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
      throw new RangeError(
        `${fn}: stream is available with the default (philox) generator only, not with compat "torch"`,
      );
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
      const lo = Math.fround(l),
        span = Math.fround(Math.fround(h) - lo);
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
        const w =
          range >= 2 ** 32
            ? Number(BigInt.asUintN(64, (BigInt(mt.nextU32()) << 32n) | BigInt(mt.nextU32())) % BigInt(range))
            : mt.nextU32() % range;
        view[i] = w + l;
      }
    } else {
      checkStreamEnd(fn, this.#position, count);
      // The kernel takes the range as a u32, 0 meaning 2^32.
      final = philoxUniform(
        fn,
        view,
        this.#key(UNIFORM_TAG),
        this.stream,
        this.#position,
        UniformKind.Int,
        l,
        range === 2 ** 32 ? 0 : range,
      );
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
    g: RandomGenerator,
    fn: string,
    rows: number,
  ): { uniforms: Float64Array; commit: () => void; release: () => void } {
    if (g.#mt) {
      throw new RangeError(
        `${fn}: draws come from the default (philox) generator; compat "torch" (PyTorch's multinomial stream) is not reproduced`,
      );
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
    if (this.#mt)
      throw new RangeError(
        `${fn}: the torch-compatible generator (mt19937) cannot jump; skip needs the default generator`,
      );
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
    if (this.#mt)
      throw new RangeError(
        "RandomGenerator.split: the torch-compatible generator cannot split; use the default generator",
      );
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
      algorithm: "philox4x32-10",
      seed: String(this.seed),
      stream: String(this.stream),
      position: String(this.#position),
      splits: String(this.#splits),
    };
  }

  static fromState(state: RandomGeneratorState): RandomGenerator {
    const fn = "RandomGenerator.fromState";
    if (state === null || typeof state !== "object")
      throw new TypeError(`${fn}: state must be an object from state(), got ${describe(state)}`);
    const big = (name: string, v: unknown) => {
      if (typeof v !== "string" || !/^\d+$/.test(v))
        throw new TypeError(`${fn}: state.${name} must be a decimal string, got ${describe(v)}`);
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
