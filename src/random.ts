// Gaussian sampling: randomNormal and NormalGenerator.
//  - default ("philox"): counter-based Philox4x32-10 + Box-Muller in wasm (assembly/random.ts);
//    value i of (seed, stream) is a pure function of them, so any chunking, build or engine
//    gives the same bits, positions can be skipped, and streams split;
//  - compat "torch": PyTorch's CPU mt19937 stream (src/random/torch.ts).
import { halves, philox4x32 } from "./random/philox.js";
import { checkSeed, randomSeed, type Seed } from "./random/seed.js";
import { MT19937, torchNormalFill, type TorchState } from "./random/torch.js";
import { currentRuntime, requireRuntime } from "./runtime.js";
import { checkOptionKeys, describe } from "./validate.js";
import { rejectDetached } from "./workspace.js";

export type { Seed };
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
  mean?: number;
  std?: number;
  /** Without a seed, values come from the default generator (its seed is random and readable). */
  seed?: Seed;
  out?: Float32Array;
  compat?: Compat;
}

const MAX_COUNT = 2 ** 31 - 1;

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
  if (!(out instanceof Float32Array)) {
    throw new TypeError(`${fn}: out must be a Float32Array${length === undefined ? "" : ` of length ${length}`}, got ${describe(out)}`);
  }
  if (length !== undefined && out.length !== length) {
    throw new RangeError(`${fn}: out must have length ${length} (count), got length ${out.length}`);
  }
  return out;
}

function allocate(fn: string, count: number): Float32Array {
  try {
    return new Float32Array(count);
  } catch {
    throw new RangeError(`${fn}: count = ${count} is too large to allocate a Float32Array`);
  }
}

/** Philox normals for positions [position, position + out.length) of (seed, stream) into out. */
function philoxFill(fn: string, out: Float32Array, seed: bigint, stream: bigint, position: bigint, mean: number, std: number): void {
  const rt = requireRuntime(fn);
  const [k0, k1] = halves(seed);
  const [s0, s1] = halves(stream);
  const arena = rt.arena;
  const direct = arena.holds(out);
  const outPtr = out.byteOffset;
  const total = out.length;
  if (total === 0) return;
  const plan = arena.plan(total, [], [direct ? 0 : 4]);
  if (direct) out = arena.reattach(out, outPtr, total);
  const [at] = plan.perRow;
  // The kernel starts at any position; whole groups of 16 per chunk keep partial groups to the ends.
  const chunk = direct ? total : Math.max(16, plan.rowsPerChunk - (plan.rowsPerChunk % 16));
  for (let i = 0; i < total; i += chunk) {
    const n = Math.min(chunk, total - i);
    const [p0, p1] = halves(position + BigInt(i));
    const dst = direct ? outPtr + i * 4 : at;
    rt.kernels.philoxNormalFill(dst, n, p0, p1, k0, k1, s0, s1, mean, std);
    if (!direct) out.set(arena.f32.subarray(at >>> 2, (at >>> 2) + n), i);
  }
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
    checkOptionKeys(fn, options, ["compat", "stream"]);
    this.seed = seed === undefined ? randomSeed() : checkSeed(fn, seed);
    this.compat = checkCompat(fn, options?.compat);
    if (this.compat === "torch" && options?.stream !== undefined) {
      throw new RangeError(`${fn}: stream is available with the default (philox) generator only, not with compat "torch"`);
    }
    this.stream = options?.stream === undefined ? 0n : checkSeed(fn, options.stream, "stream");
    if (this.compat === "torch") this.#mt = new MT19937(this.seed);
  }

  /** How many values have been drawn so far (the index of the next one). */
  get position(): bigint {
    return this.#position;
  }

  /** Fills `out` with the next out.length values, as z·std + mean; returns out. */
  fill(out: Float32Array, mean?: number, std?: number): Float32Array {
    const fn = "NormalGenerator.fill";
    checkFloat32Out(fn, out);
    // A detached wasm view has length 0: refuse it rather than fill nothing (both kinds).
    const rt = currentRuntime();
    if (rt) rejectDetached(fn, rt, { out });
    const [m, s] = checkMeanStd(fn, mean, std);
    if (this.#mt) torchNormalFill(this.#mt, out, m, s);
    else philoxFill(fn, out, this.seed, this.stream, this.#position, m, s);
    this.#position += BigInt(out.length);
    return out;
  }

  /** Moves the position forward by `count` values without computing them (philox only). */
  skip(count: number | bigint): this {
    const fn = "NormalGenerator.skip";
    if (this.#mt) throw new RangeError(`${fn}: the torch-compatible generator (mt19937) cannot jump; skip needs the default generator`);
    const n = typeof count === "bigint" ? count : BigInt(checkCount(fn, count));
    if (typeof count === "bigint" && count < 0n) throw new RangeError(`${fn}: count must be ≥ 0, got ${count}n`);
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
      return BigInt(v);
    };
    if (state.algorithm === "philox4x32-10") {
      const g = new NormalGenerator(big("seed", state.seed), { stream: big("stream", state.stream) });
      g.#position = big("position", state.position);
      g.#splits = big("splits", state.splits);
      return g;
    }
    if (state.algorithm === "mt19937-torch") {
      if (!Array.isArray(state.mt) || state.mt.length !== 624 || !Number.isInteger(state.index) || state.index < 0 || state.index > 624) {
        throw new TypeError(`${fn}: state.mt must hold 624 words and state.index be 0..624`);
      }
      const g = new NormalGenerator(big("seed", state.seed), { compat: "torch" });
      g.#mt = MT19937.fromState(state);
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
  checkOptionKeys(fn, options, ["mean", "std", "seed", "out", "compat"]);
  const rt = currentRuntime();
  if (rt) rejectDetached(fn, rt, { out: options?.out });
  const n = checkCount(fn, count);
  const [mean, std] = checkMeanStd(fn, options?.mean, options?.std);
  const compat = checkCompat(fn, options?.compat);
  const seed = options?.seed === undefined ? undefined : checkSeed(fn, options.seed);
  const out = options?.out === undefined ? undefined : checkFloat32Out(fn, options.out, n);
  if (compat === "philox" && seed !== undefined) requireRuntime(fn); // fail before allocating
  const target = out ?? allocate(fn, n);
  if (seed === undefined) {
    const g = getDefaultGenerator();
    if (compat !== g.compat) {
      throw new RangeError(`${fn}: compat "${compat}" needs a seed (the default generator is "${g.compat}")`);
    }
    return g.fill(target, mean, std);
  }
  return new NormalGenerator(seed, { compat }).fill(target, mean, std);
}
