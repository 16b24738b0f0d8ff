// The linear layer and the fused head: GFLOP/s (2·rows·in·out per product) of linear and
// linearBackward against a plain-JavaScript loop and TF.js's tf.matMul (XNNPACK inside) in both
// layouts; the fused head against its three products run alone and against plain JS (matmul
// loops + the package's own crossEntropyWithGrad), with the memory each needs. (A tf.tidy callback
// must not return the downloaded array: tidy walks a returned container element by element.)
import * as pk from "../../dist/index.js";
import { requireRuntime } from "../../dist/engine/runtime.js";
import { LINEAR_CE_CHUNK, LINEAR_CE_ROW_BLOCK } from "../../dist/ops/linear-ce.js";
import type { Tf } from "../peers.js";
import { quick } from "../options.js";
import { fmt, logitsFor } from "../common.js";
import { simdPeak } from "../peak.js";

/** Seconds per call: the median of `rounds` timed calls after one warm-up. */
function seconds(f: () => void, rounds: number): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    f();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** out = x · wᵀ as a user writes it (row by row, float64 sums). */
function plainLinear(x: Float32Array, w: Float32Array, rows: number, inF: number, outF: number, out: Float32Array) {
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = 0;
      const xr = r * inF,
        wo = o * inF;
      for (let k = 0; k < inF; k++) s += x[xr + k] * w[wo + k];
      out[r * outF + o] = s;
    }
  }
}

const LINEAR_SHAPES: [number, number, number][] = [
  [256, 1024, 4096],
  [4096, 784, 10],
  [128, 784, 10],
];
const HEAD_SHAPES: [number, number, number][] = [
  [256, 512, 32000],
  [64, 256, 128256],
];

export async function benchLinear(tf: Tf): Promise<Record<string, Record<string, number>>> {
  const results: Record<string, Record<string, number>> = {};
  const rounds = quick ? 3 : 7;
  console.log(
    "\nlinear (GFLOP/s, higher is better; tfjs K×N = tf.matMul with weights pre-transposed, its fastest layout; " +
      "tfjs N×K = transposeB, nn.Linear's layout)",
  );
  console.log(
    `${"shape".padEnd(16)} ${["linear", "backward", "plain js", "tfjs K×N", "tfjs N×K", "vs js", "vs tfjs"].map((c) => c.padStart(9)).join(" ")}`,
  );
  const build = pk.runtimeInfo().build;
  const peak = build === "scalar" ? undefined : await simdPeak(build === "relaxed-simd");
  const ofPeak = (gflops: number) => (peak ? ` (${((100 * gflops) / peak).toFixed(0)} % of peak)` : "");
  for (const [rows, inF, outF] of LINEAR_SHAPES) {
    const flops = 2 * rows * inF * outF;
    const x = logitsFor(rows * inF, 1),
      w = logitsFor(outF * inF, 2),
      g = logitsFor(rows * outF, 3);
    const out = new Float32Array(rows * outF);
    const gradInput = new Float32Array(rows * inF),
      gradWeight = new Float32Array(outF * inF);
    const forward = flops / seconds(() => pk.linear(x, w, inF, { out }), rounds) / 1e9;
    const backward =
      (2 * flops) /
      seconds(() => pk.linearBackward(g, x, w, inF, { gradInput, gradWeight, gradBias: false }), rounds) /
      1e9;
    // Plain JS on a few rows (its rate does not depend on the row count).
    const jsRows = Math.min(rows, Math.max(1, Math.round(2e7 / (inF * outF))));
    const plain = (2 * jsRows * inF * outF) / seconds(() => plainLinear(x, w, jsRows, inF, outF, out), rounds) / 1e9;
    const xt = tf.tensor2d(x, [rows, inF]),
      wt = tf.tensor2d(w, [outF, inF]),
      wkn = tf.transpose(wt);
    const tfKN =
      flops /
      seconds(
        () =>
          tf.tidy(() => {
            tf.matMul(xt, wkn).dataSync();
          }),
        rounds,
      ) /
      1e9;
    const tfNK =
      flops /
      seconds(
        () =>
          tf.tidy(() => {
            tf.matMul(xt, wt, false, true).dataSync();
          }),
        rounds,
      ) /
      1e9;
    tf.dispose([xt, wt, wkn]);
    const key = `${rows}x${inF}->${outF}`;
    results[key] = { linear: forward, backward, plain, tfjsKN: tfKN, tfjsNK: tfNK, peak: peak ?? Number.NaN };
    console.log(
      `${key.padEnd(16)} ${[fmt(forward), fmt(backward), fmt(plain), fmt(tfKN), fmt(tfNK), `${(forward / plain).toFixed(0)}x`, `${(forward / Math.max(tfKN, tfNK)).toFixed(2)}x`].map((c) => c.padStart(9)).join(" ")}`,
    );
  }

  if (peak) {
    const best = Math.max(...Object.values(results).map((r) => r.linear));
    console.log(
      `128-bit SIMD peak of this machine (${build} build, a calibration loop of independent ${build === "relaxed-simd" ? "fused multiply-adds" : "multiplies and adds"}): ` +
        `${fmt(peak)} GFLOP/s; the fastest linear row above${ofPeak(best)}`,
    );
  }
  // Threads: zero-copy arrays (WasmArrays) split across the pool, one thread against two.
  const [rows, inF, outF] = LINEAR_SHAPES[0];
  const flops = 2 * rows * inF * outF;
  const speeds: Record<number, { forward: number; gradInput: number }> = {};
  for (const threads of [1, 2]) {
    await pk.init({ threads });
    const arrays = [rows * inF, outF * inF, rows * outF, rows * outF, rows * inF].map((n, i) => {
      const a = pk.allocFloat32(n);
      a.array.set(logitsFor(n, 10 + i));
      return a;
    });
    const [x, w, out, g, gi] = arrays.map((a) => a.array);
    speeds[threads] = {
      forward: flops / seconds(() => pk.linear(x, w, inF, { out }), rounds) / 1e9,
      gradInput:
        flops /
        seconds(() => pk.linearBackward(g, x, w, inF, { gradInput: gi, gradWeight: false, gradBias: false }), rounds) /
        1e9,
    };
    for (const a of arrays) a.free();
  }
  await pk.init({ threads: 1 });
  results.threads = {
    forward1: speeds[1].forward,
    forward2: speeds[2].forward,
    gradInput1: speeds[1].gradInput,
    gradInput2: speeds[2].gradInput,
  };
  console.log(
    `${rows}x${inF}->${outF} zero-copy, GFLOP/s on 1 → 2 threads: linear ${fmt(speeds[1].forward)} → ${fmt(speeds[2].forward)} ` +
      `(${(speeds[2].forward / speeds[1].forward).toFixed(2)}x), gradInput ${fmt(speeds[1].gradInput)} → ` +
      `${fmt(speeds[2].gradInput)} (${(speeds[2].gradInput / speeds[1].gradInput).toFixed(2)}x)`,
  );

  console.log(
    "\nlinearCrossEntropyWithGrad (GFLOP/s of its three products; 'products' = linear + linearBackward alone on the " +
      "same shapes; 'plain js' = matmul loops + pk.crossEntropyWithGrad; memory beyond the caller's arrays)",
  );
  console.log(
    `${"shape".padEnd(18)} ${["fused", "products", "plain js", "vs prod", "vs js", "fused MB", "logits MB"].map((c) => c.padStart(9)).join(" ")}`,
  );
  const rt = requireRuntime("bench");
  for (const [rows, F, classes] of quick ? HEAD_SHAPES.slice(0, 1) : HEAD_SHAPES) {
    const flops = 3 * 2 * rows * F * classes;
    const h = logitsFor(rows * F, 4),
      w = logitsFor(classes * F, 5).map((v) => v * 0.05);
    const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % classes);
    const gradHidden = new Float32Array(rows * F),
      gradWeight = new Float32Array(classes * F);
    const fused =
      flops /
      seconds(
        () => pk.linearCrossEntropyWithGrad(h, w, labels, F, { gradHidden, gradWeight }),
        Math.max(1, rounds - 2),
      ) /
      1e9;
    // Beyond the caller's arrays and their staged copies: the kernel's scratch (one block of
    // logits, per-row statistics, a packed strip) and the per-row losses and scales.
    const fusedMB =
      (rt.kernels.linearCrossEntropyScratch(Math.min(rows, LINEAR_CE_ROW_BLOCK), Math.min(classes, LINEAR_CE_CHUNK)) +
        12 * rows) /
      2 ** 20;
    const logits = new Float32Array(rows * classes);
    const products =
      flops /
      seconds(
        () => {
          pk.linear(h, w, F, { out: logits });
          pk.linearBackward(logits, h, w, F, { gradInput: gradHidden, gradWeight, gradBias: false });
        },
        Math.max(1, rounds - 2),
      ) /
      1e9;
    const jsRows = Math.max(1, Math.round(4e6 / (F * classes)));
    const jsLogits = logits.subarray(0, jsRows * classes);
    const plain =
      (3 * 2 * jsRows * F * classes) /
      seconds(() => {
        plainLinear(h, w, jsRows, F, classes, jsLogits);
        const { grad } = pk.crossEntropyWithGrad(jsLogits, labels.subarray(0, jsRows), classes);
        for (let r = 0; r < jsRows; r++) {
          for (let k = 0; k < F; k++) {
            let s = 0;
            for (let c = 0; c < classes; c++) s += grad[r * classes + c] * w[c * F + k];
            gradHidden[r * F + k] = s;
          }
        }
        for (let c = 0; c < classes; c++) {
          for (let k = 0; k < F; k++) {
            let s = 0;
            for (let r = 0; r < jsRows; r++) s += grad[r * classes + c] * h[r * F + k];
            gradWeight[c * F + k] = s;
          }
        }
      }, 1) /
      1e9;
    const logitsMB = (2 * rows * classes * 4) / 2 ** 20;
    const key = `${rows}x${F}->${classes}`;
    results[key] = { fused, products, plain, fusedMB, logitsMB };
    console.log(
      `${key.padEnd(18)} ${[fmt(fused), fmt(products), fmt(plain), `${(fused / products).toFixed(2)}x`, `${(fused / plain).toFixed(0)}x`, fusedMB.toFixed(1), logitsMB.toFixed(0)].map((c) => c.padStart(9)).join(" ")}`,
    );
  }
  return results;
}
