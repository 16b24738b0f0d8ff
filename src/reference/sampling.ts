// Plain-TypeScript filterLogits and sampleCategorical: the oracle for the sampling kernel, written
// the way transformers' logits warpers are (a full sort per filter, probabilities in float64).
// Equal values at a top-p boundary fall in sort order here (index order); the kernel keeps them all.
import { checkFilters, penalised, type FilterOptions, type RepetitionOptions } from "../filters.js";
import { checkLogits, describe, readOptions } from "../validate.js";

/** softmax in float64 (−Infinity entries get 0). */
function probabilities(y: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of y) max = Math.max(max, v);
  const p = y.map((v) => Math.exp(v - max));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / z);
}

/** Indices sorted by value, descending (equal values by index). */
const descending = (y: Float64Array) => Array.from(y.keys()).sort((a, b) => y[b] - y[a] || a - b);

/** One row through the warpers in transformers' order; removed entries become −Infinity. */
function filterRow(x: Float32Array, f: ReturnType<typeof checkFilters>): Float64Array {
  const n = x.length;
  // PyTorch divides a float32 tensor by a Python float in float32 (the scalar rounded first).
  const t = Math.fround(f.temperature);
  const y = Float64Array.from(x, (v) => Math.fround(v / t));
  const keep = Math.min(f.minKeep, n);
  if (f.topK > 0) {
    const k = Math.min(Math.max(f.topK, keep), n);
    const kth = descending(y)[k - 1];
    const threshold = y[kth];
    for (let i = 0; i < n; i++) if (y[i] < threshold) y[i] = -Infinity;
  }
  if (f.topP < 1) {
    const p = probabilities(y);
    const order = descending(y).reverse(); // ascending
    let cumulative = 0;
    const remove = new Uint8Array(n);
    order.forEach((i, rank) => {
      cumulative += p[i];
      if (cumulative <= 1 - f.topP && rank < n - keep) remove[i] = 1;
    });
    for (let i = 0; i < n; i++) if (remove[i]) y[i] = -Infinity;
  }
  if (f.minP > 0) {
    const p = probabilities(y);
    const top = Math.max(...p);
    const order = descending(y);
    order.forEach((i, rank) => {
      if (rank >= keep && p[i] < f.minP * top) y[i] = -Infinity;
    });
  }
  return y;
}

export function filterLogits(
  logits: Float32Array, classes: number, options?: FilterOptions & RepetitionOptions & { out?: Float32Array },
): Float32Array {
  const fn = "filterLogits";
  const o = readOptions(fn, options, ["temperature", "topK", "topP", "minP", "minTokensToKeep", "repetitionPenalty", "previousTokens", "out"]);
  const checked = checkLogits(fn, logits, classes);
  const { rows, classes: C } = checked;
  const f = checkFilters(fn, o, false);
  const x = penalised(fn, checked.logits, rows, C, o.repetitionPenalty, o.previousTokens) ?? checked.logits;
  const out = (o.out as Float32Array | undefined) ?? new Float32Array(x.length);
  for (let r = 0; r < rows; r++) out.set(filterRow(x.subarray(r * C, (r + 1) * C), f), r * C);
  return out;
}

/**
 * One index per row from the filtered distribution, by inverse CDF in index order with the
 * row's uniform u: the first index whose cumulative probability exceeds u (the kernel's rule).
 * The uniforms are given (the reference has no generator); temperature 0 picks the first largest.
 */
export function sampleCategorical(
  logits: Float32Array, classes: number, options: FilterOptions & RepetitionOptions & { uniforms: ArrayLike<number> },
): Int32Array {
  const fn = "sampleCategorical";
  const o = readOptions(fn, options, ["temperature", "topK", "topP", "minP", "minTokensToKeep", "repetitionPenalty", "previousTokens", "uniforms"]);
  const checked = checkLogits(fn, logits, classes);
  const { rows, classes: C } = checked;
  const f = checkFilters(fn, o, true);
  const x = penalised(fn, checked.logits, rows, C, o.repetitionPenalty, o.previousTokens) ?? checked.logits;
  const u = o.uniforms as ArrayLike<number>;
  if (!u || u.length !== rows) throw new TypeError(`${fn}: uniforms must hold one number in [0, 1) per row, got ${describe(u)}`);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * C, (r + 1) * C);
    if (f.temperature === 0) {
      out[r] = row.indexOf(Math.max(...row));
      continue;
    }
    const p = probabilities(filterRow(row, f));
    let acc = 0, pick = -1;
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
