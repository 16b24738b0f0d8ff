// Token sampling against a tuned plain-JavaScript sampler.
import * as pk from "../../dist/index.js";
import type { Tf } from "../peers.js";
import { quick } from "../options.js";
import { fmt, logitsFor, medianMicroseconds, ratio } from "../common.js";

/** mulberry32: the seeded PRNG a JS sampler uses for reproducible draws. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Token sampling the way JavaScript decoders do it today (transformers.js-style): softmax of
 * logits / T in plain JS, a full sort of the indices by probability, top-k and top-p by walking
 * the sorted list, then a draw from a seeded PRNG over what is left.
 */
export function jsSample(
  x: Float32Array,
  rows: number,
  classes: number,
  o: { topK?: number; topP?: number; temperature?: number },
  rand: () => number,
): Int32Array {
  const out = new Int32Array(rows);
  const t = o.temperature ?? 1;
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * classes, (r + 1) * classes);
    let max = -Infinity;
    for (let i = 0; i < classes; i++) max = Math.max(max, row[i] / t);
    const p = new Float64Array(classes);
    let z = 0;
    for (let i = 0; i < classes; i++) z += p[i] = Math.exp(row[i] / t - max);
    for (let i = 0; i < classes; i++) p[i] /= z;
    const order = Array.from({ length: classes }, (_, i) => i).sort((a, b) => p[b] - p[a]);
    let keep = o.topK && o.topK > 0 ? Math.min(o.topK, classes) : classes;
    if (o.topP !== undefined && o.topP < 1) {
      let cumulative = 0;
      for (let j = 0; j < keep; j++) {
        cumulative += p[order[j]];
        if (cumulative >= o.topP) {
          keep = j + 1;
          break;
        }
      }
    }
    let total = 0;
    for (let j = 0; j < keep; j++) total += p[order[j]];
    let u = rand() * total,
      pick = order[keep - 1];
    for (let j = 0; j < keep; j++) {
      u -= p[order[j]];
      if (u < 0) {
        pick = order[j];
        break;
      }
    }
    out[r] = pick;
  }
  return out;
}

/**
 * filter + sample for language-model decoding: microseconds per call of sampleCategorical against
 * the plain-JS sampler above (and tf.multinomial, which has no top-k/top-p, for scale).
 */
export async function benchTokenSampling(tf: Tf): Promise<Record<string, Record<string, number>>> {
  const results: Record<string, Record<string, number>> = {};
  console.log(`
token sampling: filter + draw (microseconds per call, lower is better; logits 3·N(0, 1))`);
  const cases: [number, number, { topK?: number; topP?: number }][] = [
    [1, 128256, { topK: 50, topP: 0.9 }],
    [1, 128256, { topP: 0.9 }],
    [64, 32000, { topK: 50, topP: 0.9 }],
    [64, 32000, { topP: 0.9 }],
  ];
  for (const [r, c, options] of cases) {
    const x = logitsFor(r * c, 11);
    const xt = tf.tensor2d(x, [r, c]);
    const g = new pk.RandomGenerator(1);
    const rand = mulberry32(1);
    const tasks: Record<string, () => void> = {
      pk: () => {
        pk.sampleCategorical(x, c, { ...options, generator: g });
      },
      "plain JS": () => {
        jsSample(x, r, c, options, rand);
      },
      "tf.multinomial (no filters)": () =>
        tf.tidy(() => {
          tf.multinomial(xt as import("@tensorflow/tfjs").Tensor2D, 1, 1).dataSync();
        }),
    };
    const us = await medianMicroseconds(tasks, {
      time: quick ? 200 : 1000,
      iterations: quick ? 3 : 5,
      warmupTime: 30,
      warmupIterations: 2,
    });
    const label = `${r}x${c} ${Object.entries(options)
      .map(([k, v]) => `${k} ${v}`)
      .join(" + ")}`;
    results[label] = us;
    console.log(
      `  ${label.padEnd(30)} pk ${fmt(us.pk).padStart(7)} µs   plain JS ${fmt(us["plain JS"]).padStart(7)} µs (${ratio(us["plain JS"], us.pk)} faster)   tf.multinomial ${fmt(us["tf.multinomial (no filters)"]).padStart(7)} µs`,
    );
    tf.dispose(xt);
  }
  return results;
}
