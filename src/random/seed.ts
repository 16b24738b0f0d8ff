// Seeds: a safe integer or a bigint, taken modulo 2^64 (negative values wrap, as PyTorch's
// manual_seed does). With no seed, 64 random bits from crypto.getRandomValues.
import { describe } from "../checks/describe.js";

export type Seed = number | bigint;

export function checkSeed(fn: string, seed: unknown, name = "seed"): bigint {
  if (typeof seed === "bigint") {
    if (seed < -(2n ** 63n) || seed >= 2n ** 64n) {
      throw new RangeError(`${fn}: ${name} must fit in 64 bits (from -2^63 to 2^64 - 1), got ${seed}n`);
    }
    return BigInt.asUintN(64, seed);
  }
  if (typeof seed !== "number") {
    throw new TypeError(`${fn}: ${name} must be a safe integer or a bigint, got ${describe(seed)}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(
      `${fn}: ${name} must be a safe integer (|${name}| ≤ 2^53 − 1; pass a bigint for larger values), got ${describe(seed)}`,
    );
  }
  return BigInt.asUintN(64, BigInt(seed));
}

/** 64 random bits from the platform's cryptographic generator. */
export function randomSeed(): bigint {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (BigInt(words[1]) << 32n) | BigInt(words[0]);
}
