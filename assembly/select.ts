// Selection over rows: argmax, and the k largest entries of each row sorted (topK).
// Order: larger first; a NaN counts as larger than any number (torch.argmax, torch.topk); equal
// values keep their index order (the lower index first).

/** Whether (a, ia) comes before (b, ib) in the order above. */
// @ts-ignore: decorator
@inline function before(a: f32, ia: i32, b: f32, ib: i32): bool {
  if (a != a) return b == b || ia < ib; // a NaN: first unless b is an earlier NaN
  if (b != b) return false;
  return a > b || (a == b && ia < ib);
}

/**
 * The index of each row's first largest entry (the first NaN if any) into dst[r] (i32). SIMD
 * builds: the row's maximum (pmax, one instruction: it skips NaN, which a flag notes instead),
 * then the first entry equal to it, four at a time (−0 and +0 compare equal, so the first zero
 * of either sign, as the one-pass scalar scan finds).
 */
export function argmaxRows(src: usize, dst: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    store<i32>(dst + (<usize>r << 2), ASC_FEATURE_SIMD && cols >= 8 ? argmaxRowSimd(x, cols) : argmaxRowScalar(x, 0, cols));
  }
}

/** The first largest entry of x[from, cols) (the first NaN if any), one at a time. */
function argmaxRowScalar(x: usize, from: i32, cols: i32): i32 {
  let best: f32 = load<f32>(x + (<usize>from << 2));
  let at = from;
  if (best != best) return at;
  for (let i = from + 1; i < cols; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return i;
    if (v > best) { best = v; at = i; }
  }
  return at;
}

/** argmaxRowScalar's answer for a row of at least 8 entries, four at a time. */
function argmaxRowSimd(x: usize, cols: i32): i32 {
  let m0 = v128.load(x), m1 = v128.load(x, 16);
  let nan = v128.or(f32x4.ne(m0, m0), f32x4.ne(m1, m1));
  let i = 8;
  for (; i + 8 <= cols; i += 8) {
    const a = v128.load(x + (<usize>i << 2)), b = v128.load(x + (<usize>i << 2), 16);
    m0 = f32x4.pmax(m0, a); m1 = f32x4.pmax(m1, b);
    nan = v128.or(nan, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
  }
  for (; i + 4 <= cols; i += 4) {
    const a = v128.load(x + (<usize>i << 2));
    m0 = f32x4.pmax(m0, a);
    nan = v128.or(nan, f32x4.ne(a, a));
  }
  // A NaN somewhere (the tail included): the scalar scan stops at the first one.
  let tailNaN = false;
  for (let j = i; j < cols; j++) { const v = load<f32>(x + (<usize>j << 2)); if (v != v) tailNaN = true; }
  if (v128.any_true(nan) || tailNaN) return argmaxRowScalar(x, 0, cols);
  const m = f32x4.pmax(m0, m1);
  let best = max<f32>(max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max<f32>(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (let j = i; j < cols; j++) best = max<f32>(best, load<f32>(x + (<usize>j << 2)));
  // The first entry equal to the maximum.
  const vb = f32x4.splat(best);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const hit = i32x4.bitmask(f32x4.eq(v128.load(x + (<usize>j << 2)), vb));
    if (hit != 0) return j + <i32>ctz<u32>(hit);
  }
  for (; j < cols; j++) if (load<f32>(x + (<usize>j << 2)) == best) return j;
  return 0; // not reached: the maximum is an entry of the row
}

/**
 * The k first entries of each row in the order above: values into values[r·k …] (f32) and
 * their indices into indices[r·k …] (i32), first to last. A min-heap of k entries (its root the
 * last of them) sits in the output row itself; an entry is compared with the root, so most of a
 * long row costs one comparison (four at a time in SIMD builds: a group with nothing above the
 * root is skipped). The heap is sorted in place at the end. 1 ≤ k ≤ cols (checked by the caller).
 */
export function topKRows(src: usize, values: usize, indices: usize, rows: i32, cols: i32, k: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>r * stride;
    const hv = values + <usize>r * (<usize>k << 2);
    const hi = indices + <usize>r * (<usize>k << 2);
    // The first k entries, heapified (the root is the last in order).
    for (let i = 0; i < k; i++) {
      store<f32>(hv + (<usize>i << 2), load<f32>(x + (<usize>i << 2)));
      store<i32>(hi + (<usize>i << 2), i);
    }
    for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(hv, hi, i, k);
    let i = k;
    if (ASC_FEATURE_SIMD) {
      // Skip groups of four with no entry above the root (NaN compares false: f32x4.ne finds it).
      for (; i + 4 <= cols; i += 4) {
        const v = v128.load(x + (<usize>i << 2));
        const root = f32x4.splat(load<f32>(hv));
        if (!v128.any_true(v128.or(f32x4.gt(v, root), f32x4.ne(v, v)))) continue;
        for (let j = i; j < i + 4; j++) offer(hv, hi, k, load<f32>(x + (<usize>j << 2)), j);
      }
    }
    for (; i < cols; i++) offer(hv, hi, k, load<f32>(x + (<usize>i << 2)), i);
    // Heap sort: repeatedly move the root (the last in order) to the end.
    for (let n = k - 1; n > 0; n--) {
      swap(hv, hi, 0, n);
      siftDown(hv, hi, 0, n);
    }
  }
}

/** Puts (v, i) in the heap if it comes before the root. */
// @ts-ignore: decorator
@inline function offer(hv: usize, hi: usize, k: i32, v: f32, i: i32): void {
  if (before(v, i, load<f32>(hv), load<i32>(hi))) {
    store<f32>(hv, v);
    store<i32>(hi, i);
    siftDown(hv, hi, 0, k);
  }
}

// @ts-ignore: decorator
@inline function swap(hv: usize, hi: usize, a: i32, b: i32): void {
  const pa = <usize>a << 2, pb = <usize>b << 2;
  const v = load<f32>(hv + pa); store<f32>(hv + pa, load<f32>(hv + pb)); store<f32>(hv + pb, v);
  const i = load<i32>(hi + pa); store<i32>(hi + pa, load<i32>(hi + pb)); store<i32>(hi + pb, i);
}

/** Restores the heap below `at` (n entries): each parent comes after its children in the order. */
function siftDown(hv: usize, hi: usize, at: i32, n: i32): void {
  let p = at;
  while (true) {
    const l = 2 * p + 1;
    if (l >= n) return;
    let c = l;
    const rr = l + 1;
    // The child that comes later in the order (the smaller) goes up.
    if (rr < n && before(load<f32>(hv + (<usize>l << 2)), load<i32>(hi + (<usize>l << 2)),
      load<f32>(hv + (<usize>rr << 2)), load<i32>(hi + (<usize>rr << 2)))) c = rr;
    if (!before(load<f32>(hv + (<usize>p << 2)), load<i32>(hi + (<usize>p << 2)),
      load<f32>(hv + (<usize>c << 2)), load<i32>(hi + (<usize>c << 2)))) return;
    swap(hv, hi, p, c);
    p = c;
  }
}
