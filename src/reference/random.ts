// Plain-TypeScript version of the wasm normal sampler (assembly/random.ts), operation for
// operation in float32 (Math.fround after every step): the oracle that the kernels' output is
// compared with bit for bit. Slow; for tests.
import { halves, philox4x32 } from "../random/philox.js";

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

const C = {
  TWO_POW_M32: f(2 ** -32),
  TWO_POW_M33: f(2 ** -33),
  TWO_POW_M24: f(2 ** -24),
  PI_4: f(Math.PI / 4),
  SQRT_HALF: f(Math.SQRT1_2),
  LN2_HI: f(0.693359375),
  LN2_LO: f(-2.1219444e-4),
  L: [
    7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
    2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
  ].map(f),
  S1: f(-1.6666654611e-1),
  S2: f(8.3321608736e-3),
  S3: f(-1.9515295891e-4),
  K1: f(4.166664568298827e-2),
  K2: f(-1.388731625493765e-3),
  K3: f(2.443315711809948e-5),
};

function logUnit(u: number): number {
  const bits = bitsOf(u);
  let e = f((bits >>> 23) - 126);
  const m = fromBits((bits & 0x007fffff) | 0x3f000000);
  const small = m < C.SQRT_HALF;
  if (small) e = f(e - 1);
  const x = f(f(m - 1) + (small ? m : 0));
  const z = f(x * x);
  let y = C.L[0];
  for (let k = 1; k < 9; k++) y = f(f(y * x) + C.L[k]);
  y = f(f(y * x) * z);
  y = f(y + f(e * C.LN2_LO));
  y = f(y - f(z * 0.5));
  return f(f(x + y) + f(e * C.LN2_HI));
}

function boxMuller(wr: number, wa: number): [number, number] {
  const u1 = f(f(f(wr) * C.TWO_POW_M32) + C.TWO_POW_M33);
  const r = f(Math.sqrt(f(-2 * logUnit(u1))));
  const octant = wa >>> 29;
  const frac = f(f(((wa << 3) >>> 8) >>> 0) * C.TWO_POW_M24);
  const t = f(((octant & 1) !== 0 ? f(1 - frac) : frac) * C.PI_4);
  const z = f(t * t);
  const ps = f(f(f(f(C.S3 * z) + C.S2) * z) + C.S1);
  const sinT = f(t + f(f(t * z) * ps));
  const pc = f(f(f(f(C.K3 * z) + C.K2) * z) + C.K1);
  const cosT = f(f(1 - f(z * 0.5)) + f(f(z * z) * pc));
  const swap = ((octant + 1) & 2) !== 0;
  let c = swap ? sinT : cosT;
  let s = swap ? cosT : sinT;
  if (((octant + 2) & 4) !== 0) c = -c;
  if ((octant & 4) !== 0) s = -s;
  return [f(r * c), f(r * s)];
}

/**
 * Normal number `position` of (seed, stream), as z·std + mean: the same bits as the kernels.
 * Fills `out` with positions start .. start + out.length − 1.
 */
export function philoxNormals(
  out: Float32Array,
  seed: bigint,
  stream: bigint,
  start: bigint,
  mean = 0,
  std = 1,
): Float32Array {
  const [k0, k1] = halves(seed);
  const [s0, s1] = halves(stream);
  const words = new Uint32Array(4);
  const group = new Float32Array(16);
  let cached = -1n;
  const fm = f(mean),
    fs = f(std);
  for (let i = 0; i < out.length; i++) {
    const position = start + BigInt(i);
    const g = position >> 4n;
    if (g !== cached) {
      for (let j = 0; j < 4; j++) {
        const [b0, b1] = halves(g * 4n + BigInt(j));
        philox4x32(b0, b1, s0, s1, k0, k1, words);
        const [c0, s0v] = boxMuller(words[0], words[1]);
        const [c1, s1v] = boxMuller(words[2], words[3]);
        group[j] = c0;
        group[4 + j] = s0v;
        group[8 + j] = c1;
        group[12 + j] = s1v;
      }
      cached = g;
    }
    out[i] = f(f(group[Number(position & 15n)] * fs) + fm);
  }
  return out;
}
