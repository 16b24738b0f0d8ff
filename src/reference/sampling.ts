// Plain-TypeScript filterLogits and sampleCategorical: the oracle for the sampling kernel, written
// the way transformers' logits warpers are (a full sort per filter, probabilities in float64).
// One rule differs from transformers, as in the kernel: values equal to one that top-p keeps are
// kept too (transformers' sort puts equal values in an unspecified order and may split them).
import { checkFilters, penalised, type FilterOptions, type RepetitionOptions } from "../checks/filters.js";
import { checkLogits } from "../checks/arrays.js";
import { describe, readOptions } from "../checks/describe.js";

/** Indices sorted by value, descending (equal values by index). */
const descending = (x: Float32Array) => Array.from(x.keys()).sort((a, b) => x[b] - x[a] || a - b);

/**
 * Probabilities of the entries not removed, in float64, as exp((x − max x)/T) / Z: the same
 * distribution as softmax(x/T) over them, but x/T overflowing float32 does not make the row NaN.
 */
function probabilities(x: Float32Array, removed: Uint8Array, t: number): Float64Array {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  const p = Float64Array.from(x, (v, i) => (removed[i] ? 0 : Math.exp((v - max) / t)));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / z);
}

/** The kernel's refusal, with the same message: no distribution to filter or draw from. */
function checkRows(fn: string, x: Float32Array, rows: number, C: number): void {
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * C, (r + 1) * C);
    const what = row.some(Number.isNaN)
      ? "holds NaN"
      : row.includes(Infinity)
        ? "holds +Infinity"
        : row.every((v) => v === -Infinity)
          ? "is all −Infinity"
          : null;
    if (what)
      throw new RangeError(
        `${fn}: row ${r} of logits ${what}: it has no probability distribution to filter or draw from`,
      );
  }
}

/**
 * One row through the warpers in transformers' order; removed entries become −Infinity, kept
 * ones x/T (float32 division by T rounded to float32, as PyTorch divides). The filters order and
 * compare the logits themselves (T > 0 keeps their order), so values that x/T would round
 * together stay apart.
 */
function filterRow(x: Float32Array, f: ReturnType<typeof checkFilters>): { y: Float64Array; removed: Uint8Array } {
  const n = x.length;
  const t = Math.fround(f.temperature);
  const removed = new Uint8Array(n);
  const keep = Math.min(f.minKeep, n);
  const order = descending(x);
  // minTokensToKeep protects the `keep` largest, and (as every threshold here) values equal to the last of them.
  const protectedFrom = x[order[keep - 1]];
  if (f.topK > 0) {
    const k = Math.min(Math.max(f.topK, keep), n);
    const threshold = x[order[k - 1]];
    for (let i = 0; i < n; i++) if (x[i] < threshold) removed[i] = 1;
  }
  if (f.topP < 1) {
    const p = probabilities(x, removed, t);
    let cumulative = 0;
    const remove = new Uint8Array(n);
    // Ascending: sorted_indices_to_remove = cumsum(probs) ≤ 1 − top_p, but never the last `keep`.
    order
      .slice()
      .reverse()
      .forEach((i, rank) => {
        cumulative += p[i];
        if (cumulative <= 1 - f.topP && rank < n - keep && x[i] < protectedFrom) remove[i] = 1;
      });
    let lowestKept = Infinity;
    for (let i = 0; i < n; i++) if (!remove[i] && !removed[i]) lowestKept = Math.min(lowestKept, x[i]);
    for (let i = 0; i < n; i++) if (remove[i] && x[i] !== lowestKept) removed[i] = 1;
  }
  if (f.minP > 0) {
    // probs < min_p · max(probs), compared in log space: (x − max)/T < ln(min_p). The same test,
    // but exact where the probabilities differ by less than float64 can hold (subnormal logits).
    const max = x[order[0]],
      logMinP = Math.log(f.minP);
    order.forEach((i, rank) => {
      if (rank >= keep && x[i] < protectedFrom && (x[i] - max) / t < logMinP) removed[i] = 1;
    });
  }
  return { y: Float64Array.from(x, (v, i) => (removed[i] ? -Infinity : Math.fround(v / t))), removed };
}

export function filterLogits(
  logits: Float32Array,
  classes: number,
  options?: FilterOptions & RepetitionOptions & { out?: Float32Array },
): Float32Array {
  const fn = "filterLogits";
  const o = readOptions(fn, options, [
    "temperature",
    "topK",
    "topP",
    "minP",
    "minTokensToKeep",
    "repetitionPenalty",
    "previousTokens",
    "out",
  ]);
  const checked = checkLogits(fn, logits, classes);
  const { rows, classes: C } = checked;
  const f = checkFilters(fn, o, false);
  const x = penalised(fn, checked.logits, rows, C, o.repetitionPenalty, o.previousTokens) ?? checked.logits;
  checkRows(fn, x, rows, C);
  const out = (o.out as Float32Array | undefined) ?? new Float32Array(x.length);
  for (let r = 0; r < rows; r++) out.set(filterRow(x.subarray(r * C, (r + 1) * C), f).y, r * C);
  return out;
}

/**
 * One index per row from the filtered distribution, by inverse CDF in index order with the
 * row's uniform u: the first index whose cumulative probability exceeds u (the kernel's rule).
 * The uniforms are given (the reference has no generator); temperature 0 picks the first largest.
 */
export function sampleCategorical(
  logits: Float32Array,
  classes: number,
  options: FilterOptions & RepetitionOptions & { uniforms: ArrayLike<number> },
): Int32Array {
  const fn = "sampleCategorical";
  const o = readOptions(fn, options, [
    "temperature",
    "topK",
    "topP",
    "minP",
    "minTokensToKeep",
    "repetitionPenalty",
    "previousTokens",
    "uniforms",
  ]);
  const checked = checkLogits(fn, logits, classes);
  const { rows, classes: C } = checked;
  const f = checkFilters(fn, o, true);
  const x = penalised(fn, checked.logits, rows, C, o.repetitionPenalty, o.previousTokens) ?? checked.logits;
  const u = o.uniforms as ArrayLike<number>;
  if (!u || u.length !== rows)
    throw new TypeError(`${fn}: uniforms must hold one number in [0, 1) per row, got ${describe(u)}`);
  checkRows(fn, x, rows, C);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * C, (r + 1) * C);
    if (f.temperature === 0) {
      out[r] = row.indexOf(Math.max(...row));
      continue;
    }
    // The kept set, not the filtered values: x/T may round a kept logit to −Infinity.
    const p = probabilities(row, filterRow(row, f).removed, Math.fround(f.temperature));
    let acc = 0,
      pick = -1;
    for (let i = 0; i < C; i++) {
      if (p[i] === 0) continue;
      pick = i;
      acc += p[i];
      if (acc > u[r]) break;
    }
    out[r] = pick;
  }
  return out;
}
