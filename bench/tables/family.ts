// The loss family (KL, NLL, BCE, Gaussian NLL, distillation), entropy and top-k against their peers.
import * as pk from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";
import type { Tf } from "../peers.js";
import { quick } from "../options.js";
import { fmt, logitsFor, medianMicroseconds, ratio } from "../common.js";

/** What users write today for top-k: sort the row's indices by value, keep the first k. */
export function sortTopK(x: Float32Array, rows: number, classes: number, k: number): Int32Array {
  const out = new Int32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: classes }, (_, i) => i).sort((a, b) => x[r * classes + b] - x[r * classes + a]);
    for (let j = 0; j < k; j++) out[r * k + j] = idx[j];
  }
  return out;
}

/**
 * The loss family against crossEntropyWithGrad (same shapes, same run), the plain-TS reference
 * and, where TF.js has the op, TF.js; topK against the sort-based top-k users write.
 */
export async function benchLossFamily(tf: Tf): Promise<Record<string, Record<string, number>>> {
  const results: Record<string, Record<string, number>> = {};
  console.log(
    `\nloss family (million elements per second; "vs CE+grad" = against crossEntropyWithGrad on the same shape)`,
  );
  const cols = ["shape", "kernel", "pk", "reference", "tfjs op", "vs ref", "vs CE+grad", "vs tfjs"];
  const widths = [10, 36, 8, 9, 8, 8, 10, 8];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" ");
  console.log(line(cols));
  console.log(line(widths.map((w) => "-".repeat(w))));
  const shapes: [number, number][] = quick
    ? [
        [1024, 1000],
        [2, 128256],
      ]
    : [
        [4096, 1000],
        [8, 128256],
      ];
  for (const [r, c] of shapes) {
    const n = r * c;
    const s = logitsFor(n, 3),
      t = logitsFor(n, 4);
    const logP = pk.logSoftmax(s, c),
      probs = pk.softmax(t, c),
      logProbs = pk.logSoftmax(t, c);
    const labels = Int32Array.from({ length: r }, (_, i) => (i * 7919) % c);
    const binary = Float32Array.from(probs, (p) => (p > 1 / c ? 1 : 0));
    const out = new Float32Array(n),
      rowsOut = new Float32Array(r),
      labelsOut = new Int32Array(r);
    const variance = Float32Array.from(t, (v) => 0.1 + v * v),
      gradVarOut = new Float32Array(n);
    const st = tf.tensor2d(s, [r, c]),
      bt = tf.tensor2d(binary, [r, c]),
      pt = tf.tensor2d(probs, [r, c]);
    const tasks: Record<string, () => void> = {
      "crossEntropyWithGrad|pk": () => {
        pk.crossEntropyWithGrad(s, labels, c, { out });
      },
      "entropy|pk": () => {
        pk.entropy(s, c, { out: rowsOut });
      },
      "entropy|reference": () => {
        ref.entropy(s, c, { out: rowsOut });
      },
      "klDivWithGrad (batchmean)|pk": () => {
        pk.klDivWithGrad(logP, probs, c, { reduction: "batchmean", out });
      },
      "klDivWithGrad (batchmean)|reference": () => {
        ref.klDivWithGrad(logP, probs, c, { reduction: "batchmean", out });
      },
      "klDivWithGrad (batchmean)|tfjs": () =>
        tf.tidy(() => {
          tf.valueAndGrad((l: import("@tensorflow/tfjs").Tensor) => tf.sum(tf.mul(pt, tf.sub(tf.log(pt), l))).div(r))(
            tf.logSoftmax(st),
          );
        }),
      "klDivWithGrad (log targets)|pk": () => {
        pk.klDivWithGrad(logP, logProbs, c, { reduction: "batchmean", logTarget: true, out });
      },
      "klDivWithGrad (log targets)|reference": () => {
        ref.klDivWithGrad(logP, logProbs, c, { reduction: "batchmean", logTarget: true, out });
      },
      "distillationLoss (T=4, labels)|pk": () => {
        pk.distillationLoss(s, t, c, { temperature: 4, labels, alpha: 0.7, out });
      },
      "distillationLoss (T=4, labels)|reference": () => {
        ref.distillationLoss(s, t, c, { temperature: 4, labels, alpha: 0.7, out });
      },
      "gaussianNllLossWithGrad|pk": () => {
        pk.gaussianNllLossWithGrad(s, t, variance, c, { out, gradVarOut });
      },
      "gaussianNllLossWithGrad|reference": () => {
        ref.gaussianNllLossWithGrad(s, t, variance, c, { out, gradVarOut });
      },
      "argmax|pk": () => {
        pk.argmax(s, c, { out: labelsOut });
      },
      "argmax|reference": () => {
        ref.argmax(s, c, { out: labelsOut });
      },
      "argmax|tfjs": () =>
        tf.tidy(() => {
          tf.argMax(st, 1);
        }),
      "binaryCrossEntropyWithLogitsWithGrad|pk": () => {
        pk.binaryCrossEntropyWithLogitsWithGrad(s, binary, c, { out });
      },
      "binaryCrossEntropyWithLogitsWithGrad|reference": () => {
        ref.binaryCrossEntropyWithLogitsWithGrad(s, binary, c, { out });
      },
      "binaryCrossEntropyWithLogitsWithGrad|tfjs": () =>
        tf.tidy(() => {
          tf.valueAndGrad((l: import("@tensorflow/tfjs").Tensor) => tf.losses.sigmoidCrossEntropy(bt, l))(st);
        }),
    };
    const us = await medianMicroseconds(tasks, {
      time: quick ? 100 : 600,
      iterations: quick ? 2 : 5,
      warmupTime: quick ? 20 : 100,
      warmupIterations: 1,
    });
    const rate = (name: string) => (us[name] === undefined ? undefined : n / us[name]);
    const ce = rate("crossEntropyWithGrad|pk");
    for (const kernel of [
      "entropy",
      "klDivWithGrad (batchmean)",
      "klDivWithGrad (log targets)",
      "distillationLoss (T=4, labels)",
      "binaryCrossEntropyWithLogitsWithGrad",
      "gaussianNllLossWithGrad",
      "argmax",
    ]) {
      const m = { pk: rate(`${kernel}|pk`), reference: rate(`${kernel}|reference`), tfjs: rate(`${kernel}|tfjs`), ce };
      results[`${r}x${c} ${kernel}`] = m as Record<string, number>;
      console.log(
        line([
          `${r}x${c}`,
          kernel,
          fmt(m.pk),
          fmt(m.reference),
          fmt(m.tfjs),
          ratio(m.pk, m.reference),
          ratio(m.pk, ce),
          ratio(m.pk, m.tfjs),
        ]),
      );
    }
    tf.dispose([st, bt, pt]);
  }
  // topK, k = 50: microseconds per call against a sort of the row's indices and TF.js's topk.
  console.log(`\ntopK, k = 50 (microseconds per call, lower is better)`);
  for (const [r, c] of [
    [1, 128256],
    [64, 32000],
  ] as [number, number][]) {
    const x = logitsFor(r * c, 9);
    const xt = tf.tensor2d(x, [r, c]);
    const tasks: Record<string, () => void> = {
      pk: () => {
        pk.topK(x, c, { k: 50 });
      },
      "sort-based JS": () => {
        sortTopK(x, r, c, 50);
      },
      tfjs: () =>
        tf.tidy(() => {
          tf.topk(xt, 50);
        }),
    };
    const us = await medianMicroseconds(tasks, {
      time: quick ? 150 : 800,
      iterations: quick ? 2 : 5,
      warmupTime: 20,
      warmupIterations: 1,
    });
    results[`${r}x${c} topK k=50`] = us;
    console.log(
      `  ${`${r}x${c}`.padEnd(10)} pk ${fmt(us.pk).padStart(7)} µs   sort-based JS ${fmt(us["sort-based JS"]).padStart(7)} µs (${ratio(us["sort-based JS"], us.pk)} faster)   tfjs ${fmt(us.tfjs).padStart(7)} µs (${ratio(us.tfjs, us.pk)} faster)`,
    );
    tf.dispose(xt);
  }
  return results;
}
