// Short rows (few classes): one row per lane, four rows per vector. Vectorising inside a row
// of 10 classes wastes lanes and pays per-row overhead (max, tails, a log) for every row; here
// each step handles column c of four rows, gathered with lane loads.
//
// Every row is computed by the same lane operations whatever its position, including the last
// group: its missing lanes repeat the batch's last row (computing identical values that are
// written to the same place), so results do not depend on how rows are grouped or chunked.
import { EXP_CONSTANTS, expNonPositive4k, logNormal4, rowHasNaN } from "./math";

/**
 * Rows at most this long take the one-row-per-lane path. Measured crossovers against the
 * row-wise kernels (relaxed SIMD, Node 20, x86-64, interleaved A/B): softmax and log-softmax
 * still 1.2× and 1.4× ahead at 64 classes; hard-label cross-entropy with its gradient even at
 * about 56 (1.07× at 48, 0.95× at 64), so 48 (shortce.ts); log-sum-exp 1.4× ahead at 64.
 */
// @ts-ignore: decorator
@inline export const SHORT_ROW_MAX = 64;
// @ts-ignore: decorator
@inline export const SHORT_ROW_MAX_LSE = 64;
// @ts-ignore: decorator
@inline export const SHORT_ROW_MAX_CE = 48;

export const enum RowOp { Softmax, LogSoftmax, LogSumExp }

/** Scratch the softmax and log-softmax short-row paths need: a transposed block and its exp terms. */
export const SHORT_ROWS_SCRATCH_BYTES = 32 * SHORT_ROW_MAX;

// @ts-ignore: decorator
@inline export function gather4(p0: usize, p1: usize, p2: usize, p3: usize, o: usize): v128 {
  let v = v128.load32_zero(p0 + o);
  v = v128.load32_lane(p1 + o, v, 1);
  v = v128.load32_lane(p2 + o, v, 2);
  return v128.load32_lane(p3 + o, v, 3);
}

// @ts-ignore: decorator
@inline export function scatter4(p0: usize, p1: usize, p2: usize, p3: usize, o: usize, v: v128): void {
  v128.store32_lane(p0 + o, v, 0);
  v128.store32_lane(p1 + o, v, 1);
  v128.store32_lane(p2 + o, v, 2);
  v128.store32_lane(p3 + o, v, 3);
}

/**
 * Rows x0..x3 (cols floats each) into T, transposed: T + 16·c holds column c of the four rows.
 * Four columns at a time are four row loads and a 4×4 transpose (eight shuffles) instead of
 * sixteen lane loads; the last cols % 4 columns are gathered lane by lane.
 */
// @ts-ignore: decorator
@inline export function transposeIn(x0: usize, x1: usize, x2: usize, x3: usize, T: usize, cols: i32): void {
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const o = <usize>c << 2;
    const a = v128.load(x0 + o), b = v128.load(x1 + o), cc = v128.load(x2 + o), d = v128.load(x3 + o);
    const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(cc, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(cc, d, 2, 6, 3, 7);
    const to = T + (o << 2);
    v128.store(to, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(to, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
    v128.store(to, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
    v128.store(to, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    v128.store(T + (o << 2), gather4(x0, x1, x2, x3, o));
  }
}

/** Columns c..c+3 of four rows (v0..v3, one vector per column) stored into rows y0..y3: a 4×4 transpose and four stores. */
// @ts-ignore: decorator
@inline export function storeColumns4(y0: usize, y1: usize, y2: usize, y3: usize, o: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  v128.store(y0 + o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(y1 + o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(y2 + o, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(y3 + o, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** ln of each lane: logNormal4 where s is a normal positive float, Math.log (float64) elsewhere. */
// @ts-ignore: decorator
@inline function logLanes(s: v128): v128 {
  // As bits: s − least normal < (largest − least normal) + 1 for normal positive floats only.
  const ok = i32x4.lt_u(i32x4.sub(s, i32x4.splat(0x00800000)), i32x4.splat(0x7F000000));
  let v = logNormal4(s);
  if (i32x4.all_true(ok)) return v;
  if (i32x4.extract_lane(ok, 0) == 0) v = f32x4.replace_lane(v, 0, <f32>Math.log(<f64>f32x4.extract_lane(s, 0)));
  if (i32x4.extract_lane(ok, 1) == 0) v = f32x4.replace_lane(v, 1, <f32>Math.log(<f64>f32x4.extract_lane(s, 1)));
  if (i32x4.extract_lane(ok, 2) == 0) v = f32x4.replace_lane(v, 2, <f32>Math.log(<f64>f32x4.extract_lane(s, 2)));
  if (i32x4.extract_lane(ok, 3) == 0) v = f32x4.replace_lane(v, 3, <f32>Math.log(<f64>f32x4.extract_lane(s, 3)));
  return v;
}

/** PyTorch's logsumexp for one lane: a ±Infinity max is returned as is (unless a NaN is present). */
// @ts-ignore: decorator
@inline function lseLane(m: f32, s: f32, invT: f32, row: usize, cols: i32): f32 {
  if (m == Infinity || m == -Infinity) return rowHasNaN(row, cols) ? NaN : m;
  return <f32>(<f64>m * <f64>invT + Math.log(<f64>s));
}

/**
 * softmax / log-softmax (dst: rows × cols) or log-sum-exp (dst: rows) of x/T, four rows at a
 * time. dst may equal src for the row-to-row ops: a group's rows are read whole before they are
 * written. The four rows are gathered once into a transposed block in `scratch`
 * (SHORT_ROWS_SCRATCH_BYTES: column c of the four rows is one vector, the exp terms beside them)
 * and results scattered once; log-softmax and log-sum-exp take log s from an f32x4 log
 * (logNormal4, ~2 ulp; Math.log for a lane whose s is not a normal float).
 */
// @ts-ignore: decorator
@inline export function shortRows(src: usize, dst: usize, rows: i32, cols: i32, invT: f32, op: RowOp, scratch: usize): void {
  const stride = <usize>cols << 2;
  const vk = f32x4.splat(invT);
  const last = rows - 1;
  const T = scratch, E = scratch + (<usize>cols << 4);
  // Exp constants in locals, loaded once (see EXP_CONSTANTS).
  const k0 = v128.load32_splat(EXP_CONSTANTS), k1 = v128.load32_splat(EXP_CONSTANTS, 4);
  const k2 = v128.load32_splat(EXP_CONSTANTS, 8), k3 = v128.load32_splat(EXP_CONSTANTS, 12);
  const k4 = v128.load32_splat(EXP_CONSTANTS, 16), k5 = v128.load32_splat(EXP_CONSTANTS, 20);
  const k6 = v128.load32_splat(EXP_CONSTANTS, 24), k7 = v128.load32_splat(EXP_CONSTANTS, 28);
  const k8 = v128.load32_splat(EXP_CONSTANTS, 32), k9 = v128.load32_splat(EXP_CONSTANTS, 36);
  for (let r = 0; r < rows; r += 4) {
    const x0 = src + <usize>r * stride;
    const x1 = src + <usize>min(r + 1, last) * stride;
    const x2 = src + <usize>min(r + 2, last) * stride;
    const x3 = src + <usize>min(r + 3, last) * stride;
    // pmax skips NaN, as rowMax does; NaN reaches the result through the exp sum.
    let m = f32x4.splat(-Infinity);
    let s = f32x4.splat(0);
    transposeIn(x0, x1, x2, x3, T, cols);
    for (let c = 0; c < cols; c++) m = f32x4.pmax(m, v128.load(T + (<usize>c << 4)));
    if (op == RowOp.LogSumExp) {
      for (let c = 0; c < cols; c++) {
        s = f32x4.add(s, expNonPositive4k(f32x4.mul(f32x4.sub(v128.load(T + (<usize>c << 4)), m), vk), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true));
      }
      // m·invT + log s in float64 lanes, log s from the f32x4 log (Math.log where s is not normal).
      const logS = logLanes(s), vkd = f64x2.splat(<f64>invT);
      const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(m), vkd), f64x2.promote_low_f32x4(logS));
      const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(m, m, 2, 3, 0, 1)), vkd),
        f64x2.promote_low_f32x4(v128.shuffle<f32>(logS, logS, 2, 3, 0, 1)));
      let out = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
      // A ±Infinity max is PyTorch's answer as is (NaN when the row holds one): patch those lanes.
      const vInf = f32x4.splat(Infinity);
      if (v128.any_true(f32x4.eq(f32x4.abs(m), vInf))) {
        out = f32x4.replace_lane(out, 0, lseLane(f32x4.extract_lane(m, 0), f32x4.extract_lane(s, 0), invT, x0, cols));
        out = f32x4.replace_lane(out, 1, lseLane(f32x4.extract_lane(m, 1), f32x4.extract_lane(s, 1), invT, x1, cols));
        out = f32x4.replace_lane(out, 2, lseLane(f32x4.extract_lane(m, 2), f32x4.extract_lane(s, 2), invT, x2, cols));
        out = f32x4.replace_lane(out, 3, lseLane(f32x4.extract_lane(m, 3), f32x4.extract_lane(s, 3), invT, x3, cols));
      }
      const d = dst + (<usize>r << 2);
      if (r + 3 <= last) {
        v128.store(d, out);
      } else {
        v128.store32_lane(d, out, 0);
        if (r + 1 <= last) v128.store32_lane(d, out, 1, 4);
        if (r + 2 <= last) v128.store32_lane(d, out, 2, 8);
      }
      continue;
    }
    const y0 = dst + (x0 - src), y1 = dst + (x1 - src), y2 = dst + (x2 - src), y3 = dst + (x3 - src);
    if (op == RowOp.Softmax) {
      for (let c = 0; c < cols; c++) {
        const o = <usize>c << 4;
        const e = expNonPositive4k(f32x4.mul(f32x4.sub(v128.load(T + o), m), vk), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true);
        v128.store(E + o, e);
        s = f32x4.add(s, e);
      }
      const inv = f32x4.div(f32x4.splat(1), s);
      let c = 0;
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2, e = E + (o << 2);
        storeColumns4(y0, y1, y2, y3, o, f32x4.mul(v128.load(e), inv), f32x4.mul(v128.load(e, 16), inv),
          f32x4.mul(v128.load(e, 32), inv), f32x4.mul(v128.load(e, 48), inv));
      }
      for (; c < cols; c++) {
        const o = <usize>c << 2;
        scatter4(y0, y1, y2, y3, o, f32x4.mul(v128.load(E + (o << 2)), inv));
      }
    } else {
      for (let c = 0; c < cols; c++) {
        s = f32x4.add(s, expNonPositive4k(f32x4.mul(f32x4.sub(v128.load(T + (<usize>c << 4)), m), vk), k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, true));
      }
      const logS = logLanes(s);
      let c = 0;
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2, t = T + (o << 2);
        storeColumns4(y0, y1, y2, y3, o,
          f32x4.sub(f32x4.mul(f32x4.sub(v128.load(t), m), vk), logS), f32x4.sub(f32x4.mul(f32x4.sub(v128.load(t, 16), m), vk), logS),
          f32x4.sub(f32x4.mul(f32x4.sub(v128.load(t, 32), m), vk), logS), f32x4.sub(f32x4.mul(f32x4.sub(v128.load(t, 48), m), vk), logS));
      }
      for (; c < cols; c++) {
        const o = <usize>c << 2;
        scatter4(y0, y1, y2, y3, o, f32x4.sub(f32x4.mul(f32x4.sub(v128.load(T + (o << 2)), m), vk), logS));
      }
    }
  }
}
