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
  return rowBlock * chunk * 4 + rowBlock * 24 + 16 + max<i32>(rowBlock, chunk) * 64;
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
  for (let r = 0; r < rows; r++) {
    const y = load<i32>(labels + (<usize>r << 2));
    if (y != ignoreIndex && (y < 0 || y >= classes)) return r;
  }
  const z = scratch;
  const stats = (z + <usize>rowBlock * chunk * 4 + 15) & ~15;
  const S = stats, SW = S + (<usize>rowBlock << 3), M = SW + (<usize>rowBlock << 3), ZY = M + (<usize>rowBlock << 2);
  const pack = (ZY + (<usize>rowBlock << 2) + 15) & ~15;
  const fs = <usize>features << 2;
  const smooth = eps / <f32>classes;
  const wantGrad = gh != 0 || gw != 0 || gb != 0;
  const tOverCap: f32 = softcap > 0 ? <f32>1 / (invT * softcap) : 0;
  for (let r0 = 0; r0 < rows; r0 += rowBlock) {
    const nr = min<i32>(rowBlock, rows - r0);
    const hb = h + <usize>r0 * fs;
    for (let r = 0; r < nr; r++) {
      store<f64>(S + (<usize>r << 3), 0);
      store<f64>(SW + (<usize>r << 3), 0);
      store<f32>(M + (<usize>r << 2), -Infinity);
      store<f32>(ZY + (<usize>r << 2), 0);
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
        const y = load<i32>(labels + (<usize>(r0 + r) << 2)) - c0;
        if (y >= 0 && y < nc) store<f32>(ZY + (<usize>r << 2), load<f32>(zr + (<usize>y << 2)));
        if (eps != 0) {
          const sw = weightedSum(zr, cw != 0 ? cw + (<usize>c0 << 2) : 0, nc);
          store<f64>(SW + (<usize>r << 3), load<f64>(SW + (<usize>r << 3)) + sw);
        }
      }
    }
    for (let r = 0; r < nr; r++) {
      const y = load<i32>(labels + (<usize>(r0 + r) << 2));
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
    for (let c0 = 0; c0 < classes; c0 += chunk) {
      const nc = min<i32>(chunk, classes - c0);
      const wc = w + <usize>c0 * fs;
      chunkLogits(hb, wc, b != 0 ? b + (<usize>c0 << 2) : 0, z, nr, features, nc, invT, softcap);
      for (let r = 0; r < nr; r++) {
        const zr = z + ((<usize>r * nc) << 2);
        const y = load<i32>(labels + (<usize>(r0 + r) << 2));
        if (y == ignoreIndex) {
          memory.fill(zr, 0, <usize>nc << 2);
          continue;
        }
        const k: f32 = scaleRows != 0 ? load<f32>(scaleRows + (<usize>(r0 + r) << 2)) : scale;
        const lse = load<f64>(SW + (<usize>r << 3));
        const m = load<f32>(M + (<usize>r << 2));
        const wy: f32 = cw != 0 ? load<f32>(cw + (<usize>y << 2)) : 1;
        const a = <f32>((1 - <f64>eps) * <f64>wy + <f64>smooth * <f64>weightSum + 2 * <f64>zLoss * lse);
        const ka = <f32>(<f64>k * <f64>a / load<f64>(S + (<usize>r << 3)));
        const ke = k * smooth;
        gradRow(zr, nc, m, ka, ke, cw != 0 ? cw + (<usize>c0 << 2) : 0, tOverCap);
        const yc = y - c0;
        if (yc >= 0 && yc < nc) {
          const p = zr + (<usize>yc << 2);
          // The chain factor of the target term: 1 − tanh² of its logit, recovered from z before it was overwritten.
          const chain: f32 = softcap > 0 ? targetChain(load<f32>(ZY + (<usize>r << 2)), tOverCap) : 1;
          store<f32>(p, load<f32>(p) - k * (1 - eps) * wy * chain);
        }
      }
      if (gh != 0) {
        gemmBroadcast(z, nc, 1, wc, features, gh + <usize>r0 * fs, features, nr, nc, features, c0 > 0 ? 1 : 0, pack);
      }
      if (gw != 0) {
        gemmBroadcast(z, 1, nc, hb, features, gw + <usize>c0 * fs, features, nc, nr, features, r0 > 0 ? 1 : 0, pack);
      }
      if (gb != 0) columnSums(z, nr, nc, gb + (<usize>c0 << 2), r0 > 0 ? 1 : 0);
    }
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
