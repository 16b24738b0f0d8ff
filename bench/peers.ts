// TensorFlow.js's wasm backend (XNNPACK, SIMD) on the same inputs. Loaded through CommonJS:
// tfjs-core's ESM build uses extensionless imports that Node's ESM loader refuses, and the
// full @tensorflow/tfjs bundle is needed for gradient registrations (tf.valueAndGrad).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export type Tf = typeof import("@tensorflow/tfjs");

export async function loadTfWasm(): Promise<Tf> {
  const tf: Tf = require("@tensorflow/tfjs");
  require("@tensorflow/tfjs-backend-wasm");
  await tf.setBackend("wasm");
  await tf.ready();
  return tf;
}

/**
 * The plain-TypeScript baseline for randomNormal: a seeded Box-Muller over xoshiro128**
 * (Blackman and Vigna), both outputs of each pair used, float64 inside.
 */
export function xoshiroNormalFill(out: Float32Array, seed: number): Float32Array {
  // splitmix32 to spread the seed over the four state words
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = split(),
    s1 = split(),
    s2 = split(),
    s3 = split();
  const rotl = (v: number, k: number) => (v << k) | (v >>> (32 - k));
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  for (let i = 0; i < out.length; i += 2) {
    const u1 = (next() + 1) / 4294967297; // (0, 1)
    const u2 = next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** softmax over rows as a user writes it in plain JavaScript (max, exp and sum, scale): the small-call peer. */
export function plainSoftmax(x: Float32Array, classes: number, out: Float32Array): Float32Array {
  for (let r = 0; r < x.length; r += classes) {
    let max = -Infinity;
    for (let i = r; i < r + classes; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = r; i < r + classes; i++) sum += out[i] = Math.exp(x[i] - max);
    const inv = 1 / sum;
    for (let i = r; i < r + classes; i++) out[i] *= inv;
  }
  return out;
}

/** Mean cross-entropy over hard labels and its gradient (softmax − one-hot) / rows, in plain JavaScript. */
export function plainCrossEntropyWithGrad(
  x: Float32Array,
  labels: Int32Array,
  classes: number,
  grad: Float32Array,
): number {
  const rows = labels.length;
  let loss = 0;
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    let max = -Infinity;
    for (let i = o; i < o + classes; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = o; i < o + classes; i++) sum += grad[i] = Math.exp(x[i] - max);
    const scale = 1 / (sum * rows);
    for (let i = o; i < o + classes; i++) grad[i] *= scale;
    grad[o + labels[r]] -= 1 / rows;
    loss += Math.log(sum) + max - x[o + labels[r]];
  }
  return loss / rows;
}
