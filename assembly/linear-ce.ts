// The classifier head fused with its cross-entropy: loss and gradients from the hidden states and
// the head's weights, the logits never stored whole. Rows go in blocks of `rowBlock`, classes in
// chunks of `chunk`; a block's logits for one chunk (rowBlock × chunk floats of scratch) are
// computed, folded into per-row running statistics (an online log-sum-exp: max, Σ exp, the
// target's logit, Σ w·z for label smoothing) and dropped. With gradients, a second pass
// recomputes each chunk's logits (the same bits), turns them into d loss / d logits in place and
// multiplies them out into gradHidden (G · W), gradWeight (Gᵀ · H) and gradBias (Σ G).
//
// Logits are z = softcap · tanh((h · wᵀ + b) / softcap) / T (no softcap: (h · wᵀ + b) / T). Per
// counted row (label ≠ ignoreIndex), with LSE = log Σ exp z, W = Σ_c w_c (w ≡ 1 without class
// weights) and C classes:
//   loss = (1 − ε)·w_y·(LSE − z_y) + (ε/C)·(W·LSE − Σ_c w_c z_c) + zLoss·LSE²
//   d loss / d z_c = a·p_c − (ε/C)·w_c − (1 − ε)·w_y·[c = y],   a = (1 − ε)·w_y + (ε/C)·W + 2·zLoss·LSE
// (PyTorch's label smoothing with class weights, docs/semantics.md §2.4; PaLM's z-loss). The
// gradient is scaled per row by `scaleRows[r]` or `scale` (gradOutput / D · 1/T, made by the
// caller) and by the soft-cap's derivative 1 − tanh².
import { columnSums, gemmBroadcast, linearForward } from "./linear";
import { expNonPositive, expNonPositive4, hmax4, hsum4 } from "./math";

/** The logits of one row block × class chunk into `z` (rows × nc, packed), soft-capped and divided by T. */
function chunkLogits(
  h: usize, w: usize, b: usize, z: usize, nr: i32, features: i32, nc: i32, invT: f32, softcap: f32,
): void {
  linearForward(h, w, b, z, nr, features, nc, 0);
  const n = nr * nc;
  if (softcap > 0) {
    const invCap: f32 = <f32>1 / softcap, capOverT: f32 = softcap * invT;
    for (let i = 0; i < n; i++) {
      const p = z + (<usize>i << 2);
      store<f32>(p, capOverT * Mathf.tanh(load<f32>(p) * invCap));
    }
  } else if (invT != 1) {
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const t = f32x4.splat(invT);
      for (; i + 4 <= n; i += 4) {
        const p = z + (<usize>i << 2);
        v128.store(p, f32x4.mul(v128.load(p), t));
      }
    }
    for (; i < n; i++) {
      const p = z + (<usize>i << 2);
      store<f32>(p, load<f32>(p) * invT);
    }
  }
}

/** The largest of n floats (NaN in any gives NaN). */
function rowMax(p: usize, n: i32): f32 {
  let i = 0;
  let m: f32 = -Infinity;
  if (ASC_FEATURE_SIMD && n >= 4) {
    let v = f32x4.splat(-Infinity);
    for (; i + 4 <= n; i += 4) v = f32x4.max(v, v128.load(p + (<usize>i << 2)));
    m = hmax4(v);
  }
  for (; i < n; i++) m = max<f32>(m, load<f32>(p + (<usize>i << 2)));
  return m;
}

/** Σ exp(z − m) over n floats (z ≤ m). */
function sumExp(p: usize, n: i32, m: f32): f64 {
  let i = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let a = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) a = f32x4.add(a, expNonPositive4(f32x4.sub(v128.load(p + (<usize>i << 2)), mv)));
    s = hsum4(a);
  }
  for (; i < n; i++) s += expNonPositive(load<f32>(p + (<usize>i << 2)) - m);
  return <f64>s;
}

/** Σ w_c · z_c over a chunk (w = 0: Σ z_c), in f64. */
function weightedSum(z: usize, cw: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(z + (<usize>i << 2));
    s += cw != 0 ? <f64>load<f32>(cw + (<usize>i << 2)) * v : v;
  }
  return s;
}

/** Bytes of scratch for a block of `rowBlock` rows and chunks of `chunk` classes. */
export function linearCrossEntropyScratch(rowBlock: i32, chunk: i32): i32 {
  return 2 * rowBlock * chunk * 4 + rowBlock * 28 + 32 + max<i32>(rowBlock, chunk) * 64;
}

// Per-row statistics of a block, in scratch after the block of logits: Σ exp(z − max) and Σ w·z
// (f64), then max and the target's logit (f32), then whether the target fell in these classes
// (i32), then the packed strips of the products. Addresses only: kernels keep no state.
// @ts-ignore: decorator
@inline function statsAt(scratch: usize, rowBlock: i32, chunk: i32): usize {
  return (scratch + <usize>rowBlock * chunk * 4 + 15) & ~15;
}
// @ts-ignore: decorator
@inline function packAt(scratch: usize, rowBlock: i32, chunk: i32): usize {
  return (statsAt(scratch, rowBlock, chunk) + <usize>rowBlock * 28 + 15) & ~15;
}

/**
 * Pass 1 over one row block: the running statistics of the classes [0, classes) of `w` (class
 * c of this call is class classOffset + c of the whole head; `labels` are whole-head indices).
 */
function blockStatistics(
  hb: usize, w: usize, b: usize, labels: usize, cwShard: usize, nr: i32, features: i32, classes: i32,
  classOffset: i32, invT: f32, softcap: f32, eps: f32, scratch: usize, rowBlock: i32, chunk: i32,
): void {
  const fs = <usize>features << 2;
  const z = scratch, S = statsAt(scratch, rowBlock, chunk), SW = S + (<usize>rowBlock << 3);
  const M = SW + (<usize>rowBlock << 3), ZY = M + (<usize>rowBlock << 2), HT = ZY + (<usize>rowBlock << 2);
  for (let r = 0; r < nr; r++) {
    store<f64>(S + (<usize>r << 3), 0);
    store<f64>(SW + (<usize>r << 3), 0);
    store<f32>(M + (<usize>r << 2), -Infinity);
    store<f32>(ZY + (<usize>r << 2), 0);
    store<i32>(HT + (<usize>r << 2), 0);
  }
  for (let c0 = 0; c0 < classes; c0 += chunk) {
    const nc = min<i32>(chunk, classes - c0);
    chunkLogits(hb, w + <usize>c0 * fs, b != 0 ? b + (<usize>c0 << 2) : 0, z, nr, features, nc, invT, softcap);
    for (let r = 0; r < nr; r++) {
      const zr = z + ((<usize>r * nc) << 2);
      const mOld = load<f32>(M + (<usize>r << 2));
      const m = max<f32>(mOld, rowMax(zr, nc));
      const rescaled = load<f64>(S + (<usize>r << 3)) * <f64>Mathf.exp(mOld - m);
      store<f64>(S + (<usize>r << 3), rescaled + sumExp(zr, nc, m));
      store<f32>(M + (<usize>r << 2), m);
      const y = load<i32>(labels + (<usize>r << 2)) - classOffset - c0;
      if (y >= 0 && y < nc) {
        store<f32>(ZY + (<usize>r << 2), load<f32>(zr + (<usize>y << 2)));
        store<i32>(HT + (<usize>r << 2), 1);
      }
      if (eps != 0) {
        const sw = weightedSum(zr, cwShard != 0 ? cwShard + (<usize>c0 << 2) : 0, nc);
        store<f64>(SW + (<usize>r << 3), load<f64>(SW + (<usize>r << 3)) + sw);
      }
    }
  }
}

/**
 * Pass 2 over one row block: each chunk's logits again, turned into d loss / d logits with the
 * whole head's statistics (M: max, S: Σ exp(z − max), LSE per row of the block), multiplied out
 * into gradHidden (overwritten by the first chunk), gradWeight and gradBias (overwritten by the
 * first row block, `firstBlock`, added to by later ones).
 */
function blockGradients(
  hb: usize, w: usize, b: usize, labels: usize, cw: usize, weightSum: f32, nr: i32, features: i32, classes: i32,
  classOffset: i32, totalClasses: i32, invT: f32, softcap: f32, zLoss: f32, ignoreIndex: i32, eps: f32,
  M: usize, S: usize, LSE: usize, ghb: usize, gw: usize, gb: usize, scaleRows: usize, scale: f32, firstBlock: bool,
  scratch: usize, rowBlock: i32, chunk: i32,
): void {
  const fs = <usize>features << 2;
  const pack = packAt(scratch, rowBlock, chunk);
  const smooth = eps / <f32>totalClasses;
  const tOverCap: f32 = softcap > 0 ? <f32>1 / (invT * softcap) : 0;
  const cwShard = cw != 0 ? cw + (<usize>classOffset << 2) : 0;
  const z = scratch;
  for (let c0 = 0; c0 < classes; c0 += chunk) {
    const nc = min<i32>(chunk, classes - c0);
    const wc = w + <usize>c0 * fs;
    chunkLogits(hb, wc, b != 0 ? b + (<usize>c0 << 2) : 0, z, nr, features, nc, invT, softcap);
    for (let r = 0; r < nr; r++) {
      const zr = z + ((<usize>r * nc) << 2);
      const y = load<i32>(labels + (<usize>r << 2));
      if (y == ignoreIndex) {
        memory.fill(zr, 0, <usize>nc << 2);
        continue;
      }
      const kr: f32 = scaleRows != 0 ? load<f32>(scaleRows + (<usize>r << 2)) : scale;
      const lse = load<f64>(LSE + (<usize>r << 3));
      const m = load<f32>(M + (<usize>r << 2));
      const wy: f32 = cw != 0 ? load<f32>(cw + (<usize>y << 2)) : 1;
      const a = <f32>((1 - <f64>eps) * <f64>wy + <f64>smooth * <f64>weightSum + 2 * <f64>zLoss * lse);
      const ka = <f32>(<f64>kr * <f64>a / load<f64>(S + (<usize>r << 3)));
      const yc = y - classOffset - c0;
      const inChunk = yc >= 0 && yc < nc;
      const zy: f32 = inChunk ? load<f32>(zr + (<usize>yc << 2)) : 0;
      gradRow(zr, nc, m, ka, kr * smooth, cwShard != 0 ? cwShard + (<usize>c0 << 2) : 0, tOverCap);
      if (inChunk) {
        const p = zr + (<usize>yc << 2);
        // The target term's chain factor: 1 − tanh² of its logit (read before the row was overwritten).
        const chain: f32 = softcap > 0 ? targetChain(zy, tOverCap) : 1;
        store<f32>(p, load<f32>(p) - kr * (1 - eps) * wy * chain);
      }
    }
    if (ghb != 0) gemmBroadcast(z, nc, 1, wc, features, ghb, features, nr, nc, features, c0 > 0 ? 1 : 0, pack, 0);
    if (gw != 0) {
      const aPack = pack + (<usize>max<i32>(rowBlock, chunk) << 6);
      gemmBroadcast(z, 1, nc, hb, features, gw + <usize>c0 * fs, features, nc, nr, features, firstBlock ? 0 : 1, pack, aPack);
    }
    if (gb != 0) columnSums(z, nr, nc, gb + (<usize>c0 << 2), firstBlock ? 0 : 1);
  }
}

/** The first row whose label is neither in [0, classes) nor ignoreIndex, or −1. */
function refusedLabel(labels: usize, rows: i32, classes: i32, ignoreIndex: i32): i32 {
  for (let r = 0; r < rows; r++) {
    const y = load<i32>(labels + (<usize>r << 2));
    if (y != ignoreIndex && (y < 0 || y >= classes)) return r;
  }
  return -1;
}

/**
 * Loss per row (f64) into `losses`, and when asked (a nonzero address) gradHidden (rows ×
 * features), gradWeight (classes × features) and gradBias (classes), each overwritten. Returns
 * the first row whose label is neither a class nor ignoreIndex (nothing written), or −1.
 */
export function linearCrossEntropyRows(
  h: usize, w: usize, b: usize, labels: usize, cw: usize, weightSum: f32,
  rows: i32, features: i32, classes: i32,
  invT: f32, softcap: f32, zLoss: f32, ignoreIndex: i32, eps: f32,
  losses: usize, gh: usize, gw: usize, gb: usize, scaleRows: usize, scale: f32,
  scratch: usize, chunk: i32, rowBlock: i32,
): i32 {
  const refused = refusedLabel(labels, rows, classes, ignoreIndex);
  if (refused >= 0) return refused;
  const S = statsAt(scratch, rowBlock, chunk), SW = S + (<usize>rowBlock << 3);
  const M = SW + (<usize>rowBlock << 3), ZY = M + (<usize>rowBlock << 2), HT = ZY + (<usize>rowBlock << 2);
  const fs = <usize>features << 2;
  const smooth = eps / <f32>classes;
  const wantGrad = gh != 0 || gw != 0 || gb != 0;
  for (let r0 = 0; r0 < rows; r0 += rowBlock) {
    const nr = min<i32>(rowBlock, rows - r0);
    const hb = h + <usize>r0 * fs;
    const lb = labels + (<usize>r0 << 2);
    blockStatistics(hb, w, b, lb, cw, nr, features, classes, 0, invT, softcap, eps, scratch, rowBlock, chunk);
    for (let r = 0; r < nr; r++) {
      const y = load<i32>(lb + (<usize>r << 2));
      let loss: f64 = 0;
      if (y != ignoreIndex) {
        const lse = <f64>load<f32>(M + (<usize>r << 2)) + Math.log(load<f64>(S + (<usize>r << 3)));
        const wy: f64 = cw != 0 ? <f64>load<f32>(cw + (<usize>y << 2)) : 1;
        loss = (1 - <f64>eps) * wy * (lse - <f64>load<f32>(ZY + (<usize>r << 2)));
        if (eps != 0) loss += <f64>smooth * (<f64>weightSum * lse - load<f64>(SW + (<usize>r << 3)));
        if (zLoss != 0) loss += <f64>zLoss * lse * lse;
        // Pass 2 reads the LSE from here.
        store<f64>(SW + (<usize>r << 3), lse);
      }
      store<f64>(losses + (<usize>(r0 + r) << 3), loss);
    }
    if (!wantGrad) continue;
    blockGradients(
      hb, w, b, lb, cw, weightSum, nr, features, classes, 0, classes, invT, softcap, zLoss, ignoreIndex, eps,
      M, S, SW, gh != 0 ? gh + <usize>r0 * fs : 0, gw, gb,
      scaleRows != 0 ? scaleRows + (<usize>r0 << 2) : 0, scale, r0 == 0, scratch, rowBlock, chunk,
    );
  }
  return -1;
}

/**
 * One shard of a head's classes (weight rows = classes [classOffset, classOffset + classes) of
 * the whole head; labels index the whole head): per row, five f64 into `stats` — the shard's
 * max logit, Σ exp(logit − max), the target's logit, 1 when the target is in the shard (else 0),
 * and Σ w_c·logit_c (with label smoothing; cw indexes the whole head, or 0).
 */
export function linearCrossEntropyStatsRows(
  h: usize, w: usize, b: usize, labels: usize, cw: usize,
  rows: i32, features: i32, classes: i32, classOffset: i32,
  invT: f32, softcap: f32, eps: f32, stats: usize,
  scratch: usize, chunk: i32, rowBlock: i32,
): void {
  const S = statsAt(scratch, rowBlock, chunk), SW = S + (<usize>rowBlock << 3);
  const M = SW + (<usize>rowBlock << 3), ZY = M + (<usize>rowBlock << 2), HT = ZY + (<usize>rowBlock << 2);
  const fs = <usize>features << 2;
  const cwShard = cw != 0 ? cw + (<usize>classOffset << 2) : 0;
  for (let r0 = 0; r0 < rows; r0 += rowBlock) {
    const nr = min<i32>(rowBlock, rows - r0);
    blockStatistics(
      h + <usize>r0 * fs, w, b, labels + (<usize>r0 << 2), cwShard, nr, features, classes, classOffset,
      invT, softcap, eps, scratch, rowBlock, chunk,
    );
    for (let r = 0; r < nr; r++) {
      const o = stats + <usize>(r0 + r) * 40;
      store<f64>(o, <f64>load<f32>(M + (<usize>r << 2)));
      store<f64>(o, load<f64>(S + (<usize>r << 3)), 8);
      store<f64>(o, <f64>load<f32>(ZY + (<usize>r << 2)), 16);
      store<f64>(o, <f64>load<i32>(HT + (<usize>r << 2)), 24);
      store<f64>(o, load<f64>(SW + (<usize>r << 3)), 32);
    }
  }
}

/**
 * The gradients of one shard of a head from the whole head's merged statistics (`stats`: per
 * row max, Σ exp(logit − max), as linearCrossEntropyStatsRows lays them out): gradHidden is this
 * shard's share (the shards' shares add up to the whole), gradWeight and gradBias the shard's
 * rows. Returns the first row whose label is neither in [0, totalClasses) nor ignoreIndex, or −1.
 */
export function linearCrossEntropyShardGradRows(
  h: usize, w: usize, b: usize, labels: usize, cw: usize, weightSum: f32,
  rows: i32, features: i32, classes: i32, classOffset: i32, totalClasses: i32,
  invT: f32, softcap: f32, zLoss: f32, ignoreIndex: i32, eps: f32, stats: usize,
  gh: usize, gw: usize, gb: usize, scaleRows: usize, scale: f32,
  scratch: usize, chunk: i32, rowBlock: i32,
): i32 {
  const refused = refusedLabel(labels, rows, totalClasses, ignoreIndex);
  if (refused >= 0) return refused;
  const S = statsAt(scratch, rowBlock, chunk), SW = S + (<usize>rowBlock << 3);
  const M = SW + (<usize>rowBlock << 3), ZY = M + (<usize>rowBlock << 2), HT = ZY + (<usize>rowBlock << 2);
  const fs = <usize>features << 2;
  for (let r0 = 0; r0 < rows; r0 += rowBlock) {
    const nr = min<i32>(rowBlock, rows - r0);
    // The merged statistics of the block in the layout blockGradients reads (LSE where SW was).
    for (let r = 0; r < nr; r++) {
      const o = stats + <usize>(r0 + r) * 40;
      const m = load<f64>(o),
        s = load<f64>(o, 8);
      store<f32>(M + (<usize>r << 2), <f32>m);
      store<f64>(S + (<usize>r << 3), s * Math.exp(m - <f64>(<f32>m)));
      store<f64>(SW + (<usize>r << 3), m + Math.log(s));
    }
    blockGradients(
      h + <usize>r0 * fs, w, b, labels + (<usize>r0 << 2), cw, weightSum, nr, features, classes, classOffset,
      totalClasses, invT, softcap, zLoss, ignoreIndex, eps, M, S, SW, gh != 0 ? gh + <usize>r0 * fs : 0, gw, gb,
      scaleRows != 0 ? scaleRows + (<usize>r0 << 2) : 0, scale, r0 == 0, scratch, rowBlock, chunk,
    );
  }
  return -1;
}

// @ts-ignore: decorator
@inline function targetChain(zy: f32, tOverCap: f32): f32 {
  const t = zy * tOverCap;
  return 1 - t * t;
}

/** A row of z (≤ m) into d loss / d logits over its chunk: (ka·exp(z − m) − ke·w_c) · chain, chain = 1 − tanh². */
function gradRow(zr: usize, nc: i32, m: f32, ka: f32, ke: f32, cw: usize, tOverCap: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m), kav = f32x4.splat(ka), kev = f32x4.splat(ke), tc = f32x4.splat(tOverCap);
    const one = f32x4.splat(1);
    for (; i + 4 <= nc; i += 4) {
      const p = zr + (<usize>i << 2);
      const zv = v128.load(p);
      const wv = cw != 0 ? f32x4.mul(kev, v128.load(cw + (<usize>i << 2))) : kev;
      let g = f32x4.sub(f32x4.mul(kav, expNonPositive4(f32x4.sub(zv, mv))), wv);
      if (tOverCap != 0) {
        const t = f32x4.mul(zv, tc);
        g = f32x4.mul(g, f32x4.sub(one, f32x4.mul(t, t)));
      }
      v128.store(p, g);
    }
  }
  for (; i < nc; i++) {
    const p = zr + (<usize>i << 2);
    const zv = load<f32>(p);
    let g = ka * expNonPositive(zv - m) - (cw != 0 ? ke * load<f32>(cw + (<usize>i << 2)) : ke);
    if (tOverCap != 0) {
      const t = zv * tOverCap;
      g *= 1 - t * t;
    }
    store<f32>(p, g);
  }
}
