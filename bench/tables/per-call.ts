// Small calls, where the fixed cost of a call decides.
import * as pk from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";
import { requireRuntime } from "../../dist/engine/runtime.js";
import { SCRATCH_BYTES } from "../../dist/engine/wasm.js";
import { plainCrossEntropyWithGrad, plainSoftmax, type Tf } from "../peers.js";
import { quick } from "../options.js";
import { logitsFor, medianMicroseconds } from "../common.js";

export const SMALL_SHAPES: [rows: number, classes: number][] = [
  [1, 10],
  [8, 10],
  [128, 10],
  [1, 1000],
  [1, 128256],
];

/**
 * Small calls, where the fixed cost per call decides: microseconds per call through the API
 * (copying, with `out`), the raw kernel export on data already in wasm memory (the floor), a
 * plain-JavaScript loop as a user writes it, the plain-TS reference (float64, every option) and
 * TF.js's op (tensor already uploaded).
 */
export async function benchPerCall(tf: Tf): Promise<Record<string, Record<string, number>>> {
  const rt = requireRuntime("bench");
  const k = rt.kernels;
  const results: Record<string, Record<string, number>> = {};
  console.log(
    `\nper call, small shapes (microseconds per call, lower is better; raw = the wasm export alone on resident data)`,
  );
  const cols = [
    "shape",
    "kernel",
    "pk api",
    "raw",
    "plain js",
    "reference",
    "tfjs op",
    "api/raw",
    "js/api",
    "tfjs/api",
  ];
  const widths = [10, 21, 8, 8, 8, 9, 8, 8, 8, 8];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" ");
  console.log(line(cols));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const [r, c] of SMALL_SHAPES) {
    const n = r * c;
    const x = logitsFor(n, r + c);
    const labels = Int32Array.from({ length: r }, (_, i) => (i * 7919) % c);
    const out = new Float32Array(n);
    const xw = pk.allocFloat32(n),
      gw = pk.allocFloat32(n),
      lw = pk.allocInt32(r),
      lossw = pk.allocFloat32(2 * r),
      scratch = pk.allocFloat32(Math.max(...Object.values(SCRATCH_BYTES)) / 4);
    xw.array.set(x);
    lw.array.set(labels);
    const [xa, ga, la, lossa, sa] = [xw, gw, lw, lossw, scratch].map((w) => w.array.byteOffset);
    const xt = tf.tensor2d(x, [r, c]);
    const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), c).toFloat();
    const tfLossAndGrad = tf.valueAndGrad((l: import("@tensorflow/tfjs").Tensor) =>
      tf.losses.softmaxCrossEntropy(onehot, l),
    );
    const tasks: Record<string, () => void> = {
      "softmax|api": () => {
        pk.softmax(x, c, { out });
      },
      "softmax|raw": () => {
        k.softmaxRows(xa, ga, r, c, 1, sa);
      },
      "softmax|plain": () => {
        plainSoftmax(x, c, out);
      },
      "softmax|reference": () => {
        ref.softmax(x, c, { out });
      },
      "softmax|tfjs": () =>
        tf.tidy(() => {
          tf.softmax(xt);
        }),
      "crossEntropyWithGrad|api": () => {
        pk.crossEntropyWithGrad(x, labels, c, { out });
      },
      "crossEntropyWithGrad|raw": () => {
        k.crossEntropyHardRows(xa, la, r, c, 1, 0, c, -100, 0, lossa, ga, 0, 1 / r, sa);
      },
      "crossEntropyWithGrad|plain": () => {
        plainCrossEntropyWithGrad(x, labels, c, out);
      },
      "crossEntropyWithGrad|reference": () => {
        ref.crossEntropyWithGrad(x, labels, c, { out });
      },
      "crossEntropyWithGrad|tfjs": () =>
        tf.tidy(() => {
          tfLossAndGrad(xt);
        }),
    };
    const times = await medianMicroseconds(tasks, {
      time: quick ? 100 : 500,
      iterations: 20,
      warmupTime: quick ? 30 : 100,
      warmupIterations: 20,
    });
    for (const kernel of ["softmax", "crossEntropyWithGrad"]) {
      const us: Record<string, number> = {};
      for (const impl of ["api", "raw", "plain", "reference", "tfjs"]) {
        const t = times[`${kernel}|${impl}`];
        if (t !== undefined) us[impl] = t;
      }
      results[`${r}x${c} ${kernel}`] = us;
      const f = (v: number | undefined) =>
        v === undefined ? "—" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
      const q = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(1)}x` : "—");
      console.log(
        line([
          `${r}x${c}`,
          kernel,
          f(us.api),
          f(us.raw),
          f(us.plain),
          f(us.reference),
          f(us.tfjs),
          q(us.api, us.raw),
          q(us.plain, us.api),
          q(us.tfjs, us.api),
        ]),
      );
    }
    for (const w of [xw, gw, lw, lossw, scratch]) w.free();
    tf.dispose([xt, onehot]);
  }
  return results;
}
