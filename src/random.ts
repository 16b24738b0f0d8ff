// Gaussian sampling: randomNormal and NormalGenerator.
//  - default ("philox"): counter-based Philox4x32-10 + Box-Muller in wasm (assembly/random.ts);
//    value i of (seed, stream) is a pure function of them, so any chunking, build or engine
//    gives the same bits, positions can be skipped, and streams split;
//  - compat "torch": PyTorch's CPU mt19937 stream (src/random/torch.ts).
import { halves, philox4x32 } from "./random/philox.js";
import { checkSeed, randomSeed, type Seed } from "./random/seed.js";
import { MT19937, torchNormalFill, type TorchState } from "./random/torch.js";
import { execute, returned } from "./executor.js";
import { requireRuntime } from "./runtime.js";
import { checkFloat32, describe, readOptions } from "./validate.js";
import { SCRATCH_BYTES } from "./wasm.js";

export type { Seed };
/**
 * Which generator: "philox" (default: counter-based Philox4x32-10, SIMD, reproducible at any
 * chunking, thread count or build) or "torch" (PyTorch's CPU mt19937 stream, value for value).
 */
export type Compat = "philox" | "torch";

/** JSON-safe generator state (64-bit values as decimal strings). */
export type NormalGeneratorState =
  | { algorithm: "philox4x32-10"; seed: string; stream: string; position: string; splits: string }
  | { algorithm: "mt19937-torch"; seed: string; position: string; mt: number[]; index: number; cachedNormal: number | null };

export interface NormalGeneratorOptions {
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

function allocate(fn: string, count: number): Float32Array {
  try {
    return new Float32Array(count);
  } catch {
    throw new RangeError(`${fn}: count = ${count} is too large to allocate a Float32Array`);
  }
}

/**
 * Philox normals for positions [position, position + out.length) of (seed, stream) into out
 * (our view); returns the view to hand back (a fresh one if wasm memory grew under it).
 */
function philoxFill(fn: string, out: Float32Array, seed: bigint, stream: bigint, position: bigint, mean: number, std: number): Float32Array {
  const rt = requireRuntime(fn);
  const [k0, k1] = halves(seed);
  const [s0, s1] = halves(stream);
  const kernels = rt.kernels;
  const [final] = execute(rt, {
    fn,
    rows: out.length,
    inputs: [],
    outputs: [{ name: "out", view: out, perRow: 1 }],
    scratchBytes: SCRATCH_BYTES.philoxNormalFill,
    // The kernel starts at any position; whole groups of 16 per chunk keep partial groups to the ends.
    rowMultiple: 16,
    kernel(at, first, count) {
      const [p0, p1] = halves(position + BigInt(first));
      kernels.philoxNormalFill(at.outputs[0], count, p0, p1, k0, k1, s0, s1, mean, std, at.scratch);
      return -1;
    },
  });
  return final as Float32Array;
}

/**
 * A stream of normal samples. The default kind is counter-based (Philox4x32-10): its position
 * can be read, skipped and saved, and `split()` gives independent child streams. The "torch"
 * kind reproduces PyTorch's CPU generator call by call: each `fill(out)` equals one
 * `Tensor.normal_` on a tensor of out.length elements.
 */
export class NormalGenerator {
  /** The seed (64 bits); drawn at random when none was given, so a run can be reproduced. */
  readonly seed: bigint;
  readonly compat: Compat;
  /** Stream id (philox). */
  readonly stream: bigint;
  #position = 0n;
  #splits = 0n;
  #mt: MT19937 | null = null;

  constructor(seed?: Seed, options?: NormalGeneratorOptions) {
    const fn = "NormalGenerator";
    const o = readOptions(fn, options, ["compat", "stream"]);
    this.seed = seed === undefined ? randomSeed() : checkSeed(fn, seed);
    this.compat = checkCompat(fn, o.compat);
    if (this.compat === "torch" && o.stream !== undefined) {
      throw new RangeError(`${fn}: stream is available with the default (philox) generator only, not with compat "torch"`);
    }
    this.stream = o.stream === undefined ? 0n : checkSeed(fn, o.stream, "stream");
    if (this.compat === "torch") this.#mt = new MT19937(this.seed);
  }

  /** How many values have been drawn so far (the index of the next one). */
  get position(): bigint {
    return this.#position;
  }

  /** Fills `out` with the next out.length values, as z·std + mean; returns out. */
  fill(out: Float32Array, mean?: number, std?: number): Float32Array {
    return this.fillAs("NormalGenerator.fill", out, mean, std);
  }

  /** @internal fill, with errors named after the public function that called it. */
  fillAs(fn: string, out: unknown, mean?: unknown, std?: unknown): Float32Array {
    // A detached or freed view is refused (both kinds) rather than filled as if empty.
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

  /** Moves the position forward by `count` values without computing them (philox only). */
  skip(count: number | bigint): this {
    const fn = "NormalGenerator.skip";
    if (this.#mt) throw new RangeError(`${fn}: the torch-compatible generator (mt19937) cannot jump; skip needs the default generator`);
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
  split(): NormalGenerator {
    if (this.#mt) throw new RangeError("NormalGenerator.split: the torch-compatible generator cannot split; use the default generator");
    const [k0, k1] = halves(this.seed);
    const [s0, s1] = halves(this.stream);
    const [n0, n1] = halves(this.#splits);
    // The counter's second word marks split derivation apart from the normal blocks' counters.
    const w = philox4x32(n0, n1 ^ 0x5eed5eed, s0, s1, k0, k1);
    this.#splits += 1n;
    return new NormalGenerator(this.seed, { stream: (BigInt(w[1]) << 32n) | BigInt(w[0]) });
  }

  /** A JSON-safe snapshot; NormalGenerator.fromState(state) continues exactly from here. */
  state(): NormalGeneratorState {
    if (this.#mt) {
      const s: TorchState = this.#mt.state();
      return { algorithm: "mt19937-torch", seed: String(this.seed), position: String(this.#position), ...s };
    }
    return {
      algorithm: "philox4x32-10", seed: String(this.seed), stream: String(this.stream),
      position: String(this.#position), splits: String(this.#splits),
    };
  }

  static fromState(state: NormalGeneratorState): NormalGenerator {
    const fn = "NormalGenerator.fromState";
    if (state === null || typeof state !== "object") throw new TypeError(`${fn}: state must be an object from state(), got ${describe(state)}`);
    const big = (name: string, v: unknown) => {
      if (typeof v !== "string" || !/^\d+$/.test(v)) throw new TypeError(`${fn}: state.${name} must be a decimal string, got ${describe(v)}`);
      const value = BigInt(v);
      if (value >= STREAM_LENGTH) throw new RangeError(`${fn}: state.${name} must be below 2^64, got ${v}`);
      return value;
    };
    if (state.algorithm === "philox4x32-10") {
      const g = new NormalGenerator(big("seed", state.seed), { stream: big("stream", state.stream) });
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
      const g = new NormalGenerator(big("seed", state.seed), { compat: "torch" });
      g.#mt = MT19937.fromState({ mt, index, cachedNormal });
      g.#position = big("position", state.position);
      return g;
    }
    throw new TypeError(`${fn}: unknown state.algorithm ${describe((state as { algorithm?: unknown }).algorithm)}`);
  }
}

let defaultGenerator: NormalGenerator | null = null;

/** The generator randomNormal uses when no seed is given (random seed, drawn once; readable). */
export function getDefaultGenerator(): NormalGenerator {
  defaultGenerator ??= new NormalGenerator();
  return defaultGenerator;
}

/** Replaces the default generator (for example with one made from a saved seed or state). */
export function setDefaultGenerator(generator: NormalGenerator): void {
  if (!(generator instanceof NormalGenerator)) {
    throw new TypeError(`setDefaultGenerator: generator must be a NormalGenerator, got ${describe(generator)}`);
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
  return new NormalGenerator(seed, { compat }).fillAs(fn, target, mean, std);
}
