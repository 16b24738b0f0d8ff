// The options of the token-sampling filters (filterLogits, sampleCategorical), checked once for
// the kernels and the plain-TS reference alike.
import { describe } from "./describe.js";

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

export function checkFilters(
  fn: string,
  o: Readonly<Partial<Record<keyof FilterOptions, unknown>>>,
  greedyAllowed: boolean,
): Filters {
  const number = (
    name: string,
    value: unknown,
    fallback: number,
    expectation: string,
    ok: (v: number) => boolean,
  ): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number") throw new TypeError(`${fn}: ${name} must be ${expectation}, got ${describe(value)}`);
    if (!ok(value)) throw new RangeError(`${fn}: ${name} must be ${expectation}, got ${describe(value)}`);
    return value;
  };
  const temperature = greedyAllowed
    ? number(
        "temperature",
        o.temperature,
        1,
        "a finite number ≥ 0 (0: greedy, the largest entry)",
        (v) => v >= 0 && Number.isFinite(v),
      )
    : number("temperature", o.temperature, 1, "a finite number > 0", (v) => v > 0 && Number.isFinite(v));
  // The kernel divides in float32: a temperature that rounds to 0 or Infinity there is refused.
  if (temperature > 0 && !(Math.fround(temperature) > 0 && Number.isFinite(Math.fround(temperature)))) {
    throw new RangeError(
      `${fn}: temperature must be representable as a float32 (about 1.4e-45 to 3.4e38), got ${temperature}`,
    );
  }
  const integer = (v: number) => Number.isInteger(v);
  const topK = number("topK", o.topK, 0, "an integer ≥ 0 (0: off)", (v) => integer(v) && v >= 0);
  const topP = number("topP", o.topP, 1, "a number in (0, 1] (1: off)", (v) => v > 0 && v <= 1);
  const minP = number("minP", o.minP, 0, "a number in [0, 1] (0: off)", (v) => v >= 0 && v <= 1);
  const minKeep = number("minTokensToKeep", o.minTokensToKeep, 1, "an integer ≥ 1", (v) => integer(v) && v >= 1);
  return { temperature, topK, topP, minP, minKeep };
}

/** Tokens already generated: one list for every row, or one list per row. */
export type PreviousTokens = ArrayLike<number | bigint> | readonly ArrayLike<number | bigint>[];

export interface RepetitionOptions {
  /**
   * transformers' RepetitionPenaltyLogitsProcessor, applied before the filters: the logits of
   * `previousTokens` are divided by the penalty where positive and multiplied where negative.
   * > 0; 1 (the default) turns it off.
   */
  repetitionPenalty?: number;
  /** The tokens the penalty applies to: one list for every row, or an array of one list per row. */
  previousTokens?: PreviousTokens;
}

/**
 * The logits with the repetition penalty applied (a copy: the caller's array is not changed),
 * or null when there is none. Every token is read once and checked: an integer in [0, classes).
 */
export function penalised(
  fn: string,
  logits: Float32Array,
  rows: number,
  classes: number,
  penalty: unknown,
  previous: unknown,
): Float32Array | null {
  if (penalty === undefined && previous === undefined) return null;
  if (typeof penalty !== "number")
    throw new TypeError(`${fn}: repetitionPenalty must be a finite number > 0, got ${describe(penalty)}`);
  if (!(penalty > 0) || !Number.isFinite(penalty)) {
    throw new RangeError(`${fn}: repetitionPenalty must be a finite number > 0, got ${describe(penalty)}`);
  }
  if (previous === undefined)
    throw new TypeError(`${fn}: repetitionPenalty needs previousTokens (the tokens to penalise)`);
  const lists = tokenLists(fn, previous, rows);
  const out = logits.slice();
  const p = Math.fround(penalty);
  for (let r = 0; r < rows; r++) {
    const tokens = lists(r);
    for (let j = 0; j < tokens.length; j++) {
      let t: unknown = tokens[j];
      // An int64 id (BigInt64Array, bigint[]) in range is that index; out of range it is refused as given.
      if (typeof t === "bigint" && t >= 0n && t < BigInt(classes)) t = Number(t);
      if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t >= classes) {
        throw new RangeError(
          `${fn}: previousTokens${lists.perRow ? `[${r}]` : ""}[${j}] must be a token index from 0 to ${classes - 1}, got ${describe(t)}`,
        );
      }
      const at = r * classes + t;
      const x = logits[at]; // from the original: a token listed twice is penalised once
      out[at] = x < 0 ? Math.fround(x * p) : Math.fround(x / p);
    }
  }
  return out;
}

function tokenLists(fn: string, previous: unknown, rows: number): ((row: number) => unknown[]) & { perRow: boolean } {
  const expectation = "an array of token indices (for every row) or an array of one such array per row";
  if (
    previous === null ||
    typeof previous !== "object" ||
    typeof (previous as ArrayLike<unknown>).length !== "number"
  ) {
    throw new TypeError(`${fn}: previousTokens must be ${expectation}, got ${describe(previous)}`);
  }
  // Copied once (a getter or proxy is read once per element, and later changes do not matter).
  const items = Array.from(previous as ArrayLike<unknown>);
  const perRow = items.length > 0 && items.every((item) => item !== null && typeof item === "object");
  if (!perRow) {
    const list = items;
    return Object.assign(() => list, { perRow: false });
  }
  if (items.length !== rows) {
    throw new RangeError(
      `${fn}: previousTokens holds ${items.length} lists but logits has ${rows} rows (one list per row)`,
    );
  }
  const lists = items.map((item) => Array.from(item as ArrayLike<unknown>));
  return Object.assign((row: number) => lists[row], { perRow: true });
}
