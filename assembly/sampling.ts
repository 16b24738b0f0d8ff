// Token sampling from logits: the filters of Hugging Face transformers' `generate` (temperature,
// top-k, top-p, min-p; docs/semantics.md §4) and a categorical draw from what remains, without
// sorting the row.
//
// Every filter keeps the entries at or above a threshold, so the row's kept set is always
// {i : key(x_i) ≥ K}, where key is the order-preserving map of a float's bits to u32 (−0 taken
// as +0) and K only grows from filter to filter. Thresholds come from a radix select over keys
// (12 + 10 + 10 bits, three histogram passes of which only the first sees the whole row):
//   - top-k: the k-th largest key (a k-entry heap for k ≤ 1024, else the radix select counting entries);
//   - top-p: the key K with mass(key > K) < p·Z ≤ mass(key ≥ K), weighing entries by
//     w = exp((x − max)/T), Z the mass of the set so far. transformers removes an entry when the
//     ascending cumulative probability up to it is ≤ 1 − p, i.e. keeps it when the mass above it
//     is < p: the same set, except that equal values at the boundary are all kept (a sort
//     would split them in an arbitrary order);
//   - min-p: keep (x − max)/T ≥ ln(minP), i.e. probability ≥ minP × the largest probability.
// minTokensToKeep caps top-p and min-p at the m-th largest key (and raises top-k's k to m).
//
// Determinism: the decisions and the draw depend only on exact IEEE operations — f32 division,
// an unfused exp (bit-identical in every build), float64 sums in index order — so the same
// logits and uniform give the same index in the scalar, SIMD and relaxed-SIMD builds.
import { expNonPositive, expNonPositive4Exact } from "./math";

// @ts-ignore: decorator
@inline const HALF_BYTES: usize = 4096 << 3;
// @ts-ignore: decorator
@inline const HIST_BYTES: usize = HALF_BYTES << 1;

/** Scratch sampleRows needs: two histograms, and six u32/f32 arrays of one row. */
export const SAMPLE_SCRATCH_FIXED_BYTES = 2 * 4096 * 8;
export const SAMPLE_SCRATCH_BYTES_PER_CLASS = 24;

/** Order-preserving key of a float's bits (−0 counts as +0; NaN never reaches here). */
// @ts-ignore: decorator
@inline function keyOf(v: f32): u32 {
  let b = reinterpret<i32>(v);
  if (b == <i32>0x80000000) b = 0;
  return <u32>(b ^ ((b >> 31) | <i32>0x80000000));
}

/** (x − max)/T in f32: the log of an entry's unnormalised probability. */
// @ts-ignore: decorator
@inline function scaled(x: f32, xmax: f32, temperature: f32): f32 {
  const d = x - xmax;
  return temperature == 1 ? d : d / temperature;
}

/** The row's largest entry; NaN when it holds one. */
function rowMax(x: usize, cols: i32): f32 {
  let m: f32 = -Infinity;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let v = f32x4.splat(-Infinity);
    for (; i + 4 <= cols; i += 4) v = f32x4.max(v, v128.load(x + (<usize>i << 2)));
    m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  for (; i < cols; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
  return m;
}

/**
 * The first of `rows` rows of `cols` logits that has no distribution (a NaN, +Infinity, or only
 * −Infinity: what sampleRows refuses), or −1: a check of every row before any is written.
 */
export function firstRefusedRow(src: usize, rows: i32, cols: i32): i32 {
  for (let r = 0; r < rows; r++) {
    const m = rowMax(src + <usize>r * (<usize>cols << 2), cols);
    if (!(m > -Infinity && m < Infinity)) return r;
  }
  return -1;
}

function writeKeys(x: usize, keys: usize, cols: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0), top = i32x4.splat(<i32>0x80000000);
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      const b = f32x4.add(v128.load(x + o), zero); // −0 + 0 = +0
      v128.store(keys + o, v128.xor(b, v128.or(i32x4.shr_s(b, 31), top)));
    }
  }
  for (; i < cols; i++) {
    const o = <usize>i << 2;
    store<u32>(keys + o, keyOf(load<f32>(x + o)));
  }
}

function minKey(keys: usize, n: i32): u32 {
  let m: u32 = 0xFFFFFFFF;
  for (let j = 0; j < n; j++) m = min(m, load<u32>(keys + (<usize>j << 2)));
  return m;
}

/**
 * The key K of n entries (keys, weights w, or 1 each when w = 0) with weight(key > K) < target ≤
 * weight(key ≥ K), where target is `fraction` × the entries' total weight when `relative`, else
 * `fraction` itself; the smallest key when the weight stays below target (rounding). Uses the
 * histogram (two interleaved halves on the first level, so consecutive entries of one bucket do
 * not wait on each other's store) and the tmp arrays; leaves keys and w as they are.
 */
function radixSelect(keys: usize, w: usize, n: i32, fraction: f64, relative: bool, hist: usize, tKey: usize, tW: usize): u32 {
  let srcK = keys, srcW = w, m = n;
  let prefix: u32 = 0;
  let above: f64 = 0;
  let target = fraction;
  for (let level = 0; level < 3; level++) {
    const shift: u32 = level == 0 ? 20 : level == 1 ? 10 : 0;
    const buckets: i32 = level == 0 ? 4096 : 1024;
    const mask = <u32>buckets - 1;
    if (level == 0) {
      // Entries alternate between two histograms (the second HALF_BYTES on), summed bucket by bucket after.
      memory.fill(hist, 0, HIST_BYTES);
      let j = 0;
      for (; j + 2 <= m; j += 2) {
        const o = <usize>j << 2;
        const h0 = hist + (<usize>((load<u32>(srcK + o) >>> 20) & 4095) << 3);
        const h1 = hist + HALF_BYTES + (<usize>((load<u32>(srcK + o, 4) >>> 20) & 4095) << 3);
        store<f64>(h0, load<f64>(h0) + (w != 0 ? <f64>load<f32>(srcW + o) : 1.0));
        store<f64>(h1, load<f64>(h1) + (w != 0 ? <f64>load<f32>(srcW + o, 4) : 1.0));
      }
      if (j < m) {
        const o = <usize>j << 2;
        const h0 = hist + (<usize>((load<u32>(srcK + o) >>> 20) & 4095) << 3);
        store<f64>(h0, load<f64>(h0) + (w != 0 ? <f64>load<f32>(srcW + o) : 1.0));
      }
      let total: f64 = 0;
      for (let b = 0; b < 4096; b++) {
        const at = hist + (<usize>b << 3);
        const v = load<f64>(at) + load<f64>(at + HALF_BYTES);
        store<f64>(at, v);
        total += v;
      }
      if (relative) target = fraction * total;
    } else {
      memory.fill(hist, 0, <usize>buckets << 3);
      for (let j = 0; j < m; j++) {
        const o = <usize>j << 2;
        const h = hist + (<usize>((load<u32>(srcK + o) >>> shift) & mask) << 3);
        store<f64>(h, load<f64>(h) + (w != 0 ? <f64>load<f32>(srcW + o) : 1.0));
      }
    }
    let chosen = -1;
    for (let b = buckets - 1; b >= 0; b--) {
      const mass = load<f64>(hist + (<usize>b << 3));
      if (above + mass >= target) { chosen = b; break; }
      above += mass;
    }
    if (chosen < 0) return minKey(srcK, m);
    prefix |= <u32>chosen << shift;
    if (level == 2) break;
    // The chosen bucket's entries go on to the next level (in place once they are in tmp).
    let c = 0;
    for (let j = 0; j < m; j++) {
      const o = <usize>j << 2;
      const k = load<u32>(srcK + o);
      if (((k >>> shift) & mask) != <u32>chosen) continue;
      store<u32>(tKey + (<usize>c << 2), k);
      if (w != 0) store<f32>(tW + (<usize>c << 2), load<f32>(srcW + o));
      c++;
    }
    srcK = tKey; srcW = tW; m = c;
  }
  return prefix;
}

/** Restores the min-heap of n u32 keys at h below position p. */
function siftDownKeys(h: usize, p: i32, n: i32): void {
  const v = load<u32>(h + (<usize>p << 2));
  while (true) {
    let c = 2 * p + 1;
    if (c >= n) break;
    if (c + 1 < n && load<u32>(h + (<usize>(c + 1) << 2)) < load<u32>(h + (<usize>c << 2))) c++;
    const cv = load<u32>(h + (<usize>c << 2));
    if (cv >= v) break;
    store<u32>(h + (<usize>p << 2), cv);
    p = c;
  }
  store<u32>(h + (<usize>p << 2), v);
}

/**
 * The k-th largest of n keys (1 ≤ k ≤ n, as a multiset: what the count radix select gives) by a
 * min-heap of k keys at h; a group of four keys none above the root is one compare (SIMD). For
 * small k, much cheaper than a histogram of the whole row.
 */
function kthLargestKey(keys: usize, n: i32, k: i32, h: usize): u32 {
  memory.copy(h, keys, <usize>k << 2);
  for (let p = (k >> 1) - 1; p >= 0; p--) siftDownKeys(h, p, k);
  let i = k;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(keys + (<usize>i << 2));
      if (!v128.any_true(i32x4.gt_u(v, i32x4.splat(<i32>load<u32>(h))))) continue;
      for (let j = i; j < i + 4; j++) {
        const key = load<u32>(keys + (<usize>j << 2));
        if (key > load<u32>(h)) { store<u32>(h, key); siftDownKeys(h, 0, k); }
      }
    }
  }
  for (; i < n; i++) {
    const key = load<u32>(keys + (<usize>i << 2));
    if (key > load<u32>(h)) { store<u32>(h, key); siftDownKeys(h, 0, k); }
  }
  return load<u32>(h);
}

/** k up to this many: the heap; beyond, the count radix select (insertions grow like k·ln(n/k)). */
// @ts-ignore: decorator
@inline const HEAP_MAX_K = 1024;

function countAtLeast(keys: usize, n: i32, threshold: u32): i32 {
  let c = 0;
  for (let j = 0; j < n; j++) if (load<u32>(keys + (<usize>j << 2)) >= threshold) c++;
  return c;
}

/** Keeps the list entries with key ≥ threshold, in order; returns how many. */
function compact(lIdx: usize, lKey: usize, lW: usize, n: i32, threshold: u32): i32 {
  let c = 0;
  for (let j = 0; j < n; j++) {
    const o = <usize>j << 2;
    const k = load<u32>(lKey + o);
    if (k < threshold) continue;
    const to = <usize>c << 2;
    store<i32>(lIdx + to, load<i32>(lIdx + o));
    store<u32>(lKey + to, k);
    store<f32>(lW + to, load<f32>(lW + o));
    c++;
  }
  return c;
}

/** The whole row as the list: indices, keys and weights. */
function listAll(x: usize, keys: usize, cols: i32, xmax: f32, temperature: f32, lIdx: usize, lKey: usize, lW: usize): i32 {
  memory.copy(lKey, keys, <usize>cols << 2);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vmax = f32x4.splat(xmax), vt = f32x4.splat(temperature), step = i32x4.splat(4);
    let idx = v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      let d = f32x4.sub(v128.load(x + o), vmax);
      if (temperature != 1) d = f32x4.div(d, vt);
      v128.store(lW + o, expNonPositive4Exact(d));
      v128.store(lIdx + o, idx);
      idx = i32x4.add(idx, step);
    }
  }
  for (; i < cols; i++) {
    const o = <usize>i << 2;
    store<f32>(lW + o, expNonPositive(scaled(load<f32>(x + o), xmax, temperature)));
    store<i32>(lIdx + o, i);
  }
  return cols;
}

/** The entries with key ≥ threshold as the list, in index order; returns how many. */
function listAtLeast(
  x: usize, keys: usize, cols: i32, threshold: u32, xmax: f32, temperature: f32, lIdx: usize, lKey: usize, lW: usize,
): i32 {
  let c = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vk = i32x4.splat(<i32>threshold);
    // Most groups hold nothing at or above a top-k threshold: one compare skips them.
    for (; i + 4 <= cols; i += 4) {
      if (!v128.any_true(i32x4.ge_u(v128.load(keys + (<usize>i << 2)), vk))) continue;
      for (let j = i; j < i + 4; j++) c = listOne(x, keys, j, threshold, xmax, temperature, lIdx, lKey, lW, c);
    }
  }
  for (; i < cols; i++) c = listOne(x, keys, i, threshold, xmax, temperature, lIdx, lKey, lW, c);
  return c;
}

// @ts-ignore: decorator
@inline function listOne(
  x: usize, keys: usize, i: i32, threshold: u32, xmax: f32, temperature: f32, lIdx: usize, lKey: usize, lW: usize, c: i32,
): i32 {
  const o = <usize>i << 2;
  const k = load<u32>(keys + o);
  if (k < threshold) return c;
  const to = <usize>c << 2;
  store<i32>(lIdx + to, i);
  store<u32>(lKey + to, k);
  store<f32>(lW + to, expNonPositive(scaled(load<f32>(x + o), xmax, temperature)));
  return c + 1;
}

/** dst = x/T where key ≥ threshold, −Infinity elsewhere (dst may be x). */
function writeFiltered(x: usize, keys: usize, dst: usize, cols: i32, threshold: u32, temperature: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vk = i32x4.splat(<i32>threshold), vt = f32x4.splat(temperature), removed = f32x4.splat(-Infinity);
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      let y = v128.load(x + o);
      if (temperature != 1) y = f32x4.div(y, vt);
      v128.store(dst + o, v128.bitselect(y, removed, i32x4.ge_u(v128.load(keys + o), vk)));
    }
  }
  for (; i < cols; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(dst + o, load<u32>(keys + o) >= threshold ? (temperature == 1 ? v : v / temperature) : -Infinity);
  }
}

/**
 * Filters `rows` rows of `cols` logits (src) and, when `picks` is not 0, draws one index per row
 * with the row's uniform u ∈ [0, 1) (uniforms, f64): the first kept index, in index order, whose
 * cumulative weight exceeds u·Z. When `dst` is not 0 the filtered logits go there: x/T where
 * kept, −Infinity where removed. temperature 0 picks the first largest entry (greedy; picks only).
 * topK 0, topP ≥ 1 and minP 0 turn a filter off. Returns the first row holding NaN or +Infinity
 * or only −Infinity (refused: the caller raises the error), or −1.
 * Scratch: SAMPLE_SCRATCH_FIXED_BYTES + SAMPLE_SCRATCH_BYTES_PER_CLASS·cols.
 */
export function sampleRows(
  src: usize, dst: usize, rows: i32, cols: i32, temperature: f32, topK: i32, topP: f64, minP: f64, minKeep: i32,
  uniforms: usize, picks: usize, scratch: usize,
): i32 {
  const hist = scratch;
  const row = <usize>cols << 2;
  const keys = scratch + HIST_BYTES;
  const lIdx = keys + row, lKey = lIdx + row, lW = lKey + row, tKey = lW + row, tW = tKey + row;
  const logMinP: f64 = minP > 0 ? Math.log(minP) : -Infinity;
  const keep = max(1, min(minKeep, cols));
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * row;
    const xmax = rowMax(x, cols);
    // NaN fails both comparisons; +Infinity or an all −Infinity row has no distribution.
    if (!(xmax > -Infinity && xmax < Infinity)) return r;
    if (temperature == 0) {
      let at = 0;
      while (load<f32>(x + (<usize>at << 2)) != xmax) at++;
      store<i32>(picks + (<usize>r << 2), at);
      continue;
    }
    writeKeys(x, keys, cols);
    let threshold: u32 = 0;
    let n: i32;
    const k = topK > 0 ? min(max(topK, keep), cols) : cols;
    if (k < cols) {
      threshold = k <= HEAP_MAX_K ? kthLargestKey(keys, cols, k, tKey) : radixSelect(keys, 0, cols, <f64>k, false, hist, tKey, tW);
      n = listAtLeast(x, keys, cols, threshold, xmax, temperature, lIdx, lKey, lW);
    } else {
      n = listAll(x, keys, cols, xmax, temperature, lIdx, lKey, lW);
    }
    if (topP < 1) {
      let t = radixSelect(lKey, lW, n, topP, true, hist, tKey, tW);
      if (keep > 1 && countAtLeast(lKey, n, t) < keep) t = radixSelect(lKey, 0, n, <f64>min(keep, n), false, hist, tKey, tW);
      if (t > threshold) {
        threshold = t;
        n = compact(lIdx, lKey, lW, n, threshold);
      }
    }
    if (minP > 0) {
      let t: u32 = 0xFFFFFFFF;
      let c = 0;
      for (let j = 0; j < n; j++) {
        const i = load<i32>(lIdx + (<usize>j << 2));
        if (<f64>scaled(load<f32>(x + (<usize>i << 2)), xmax, temperature) >= logMinP) {
          c++;
          t = min(t, load<u32>(lKey + (<usize>j << 2)));
        }
      }
      if (c < keep) t = radixSelect(lKey, 0, n, <f64>min(keep, n), false, hist, tKey, tW);
      if (t > threshold) {
        threshold = t;
        n = compact(lIdx, lKey, lW, n, threshold);
      }
    }
    if (dst != 0) writeFiltered(x, keys, dst + <usize>r * row, cols, threshold, temperature);
    if (picks != 0) {
      let z: f64 = 0;
      for (let j = 0; j < n; j++) z += <f64>load<f32>(lW + (<usize>j << 2));
      const target = load<f64>(uniforms + (<usize>r << 3)) * z;
      let acc: f64 = 0;
      let pick = -1;
      for (let j = 0; j < n; j++) {
        const w = <f64>load<f32>(lW + (<usize>j << 2));
        if (w == 0) continue;
        pick = j;
        acc += w;
        if (acc > target) break;
      }
      store<i32>(picks + (<usize>r << 2), load<i32>(lIdx + (<usize>pick << 2)));
    }
  }
  return -1;
}
