// Philox4x32-10 in plain TypeScript (J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC '11). The wasm kernels have their own
// copy; this one derives split streams, draws uniforms for truncNormal, and is the oracle the
// tests check the kernels against (bit for bit).

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32. */
function mulhi(a: number, b: number): number {
  // Split b into 16-bit halves so every partial product is exact in float64.
  const bLo = b & 0xffff,
    bHi = b >>> 16;
  const lo = a * bLo;
  const mid = a * bHi + Math.floor(lo / 65536);
  return Math.floor(mid / 65536) >>> 0;
}

/** One Philox4x32-10 block: counter [c0, c1, c2, c3], key [k0, k1] → four u32 words. */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(c0, M0),
      lo0 = Math.imul(c0, M0) >>> 0;
    const hi1 = mulhi(c2, M1),
      lo1 = Math.imul(c2, M1) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/** Low and high 32-bit halves of a u64 bigint. */
export function halves(value: bigint): [number, number] {
  return [Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn)];
}
