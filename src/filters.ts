// The options of the token-sampling filters (filterLogits, sampleCategorical), checked once for
// the kernels and the plain-TS reference alike.
import { describe } from "./validate.js";

export interface FilterOptions {
  /** Divide the logits by this (> 0) first. Default 1. */
  temperature?: number;
  /** Keep the k largest (ties with the k-th included); 0 turns it off. Default 0. */
  topK?: number;
  /** Keep the smallest set of largest entries whose probability reaches topP, in (0, 1]; 1 turns it off. Default 1. */
  topP?: number;
  /** Remove entries whose probability is below minP × the largest probability, in [0, 1]; 0 turns it off. Default 0. */
  minP?: number;
  /** top-p and min-p always keep at least this many of the largest entries (and top-k keeps at least this many). Default 1. */
  minTokensToKeep?: number;
}

export interface Filters {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  minKeep: number;
}

export function checkFilters(fn: string, o: Readonly<Partial<Record<keyof FilterOptions, unknown>>>, greedyAllowed: boolean): Filters {
  const number = (name: string, value: unknown, fallback: number, expectation: string, ok: (v: number) => boolean): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number") throw new TypeError(`${fn}: ${name} must be ${expectation}, got ${describe(value)}`);
    if (!ok(value)) throw new RangeError(`${fn}: ${name} must be ${expectation}, got ${describe(value)}`);
    return value;
  };
  const temperature = greedyAllowed
    ? number("temperature", o.temperature, 1, "a finite number ≥ 0 (0: greedy, the largest entry)", (v) => v >= 0 && Number.isFinite(v))
    : number("temperature", o.temperature, 1, "a finite number > 0", (v) => v > 0 && Number.isFinite(v));
  // The kernel divides in float32: a temperature that rounds to 0 or Infinity there is refused.
  if (temperature > 0 && !(Math.fround(temperature) > 0 && Number.isFinite(Math.fround(temperature)))) {
    throw new RangeError(`${fn}: temperature must be representable as a float32 (about 1.4e-45 to 3.4e38), got ${temperature}`);
  }
  const integer = (v: number) => Number.isInteger(v);
  const topK = number("topK", o.topK, 0, "an integer ≥ 0 (0: off)", (v) => integer(v) && v >= 0);
  const topP = number("topP", o.topP, 1, "a number in (0, 1] (1: off)", (v) => v > 0 && v <= 1);
  const minP = number("minP", o.minP, 0, "a number in [0, 1] (0: off)", (v) => v >= 0 && v <= 1);
  const minKeep = number("minTokensToKeep", o.minTokensToKeep, 1, "an integer ≥ 1", (v) => integer(v) && v >= 1);
  return { temperature, topK, topP, minP, minKeep };
}

