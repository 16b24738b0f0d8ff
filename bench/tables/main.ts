// The main table: softmax, logSumExp, cross-entropy and its gradient at four shapes, against the
// plain-TS reference and TF.js (op alone, and with the copy in and out).
import * as pk from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";
import type { Tf } from "../peers.js";
import { fmt, logitsFor, ratio } from "../common.js";

export const SHAPES: [rows: number, classes: number][] = [
  [4096, 1000],
  [65536, 10],
  [64, 32000],
  [8, 128256],
];

export const KERNELS = ["softmax", "logSumExp", "crossEntropy", "crossEntropyWithGrad"] as const;

export type Kernel = (typeof KERNELS)[number];

export const IMPLS = [
  "probkernels",
  "probkernels (zero-copy)",
  "reference",
  "tfjs (op only)",
  "tfjs (with transfers)",
] as const;

export type Impl = (typeof IMPLS)[number];

export function tasksFor(
  tf: Tf,
  rows: number,
  classes: number,
): { tasks: Map<string, () => void>; release: () => void } {
  const n = rows * classes;
  const x = logitsFor(n, rows ^ classes);
  const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % classes);
  const out = new Float32Array(n);
  const rowsOut = new Float32Array(rows);
  const xt = tf.tensor2d(x, [rows, classes]);
  const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), classes).toFloat();
  const tfLoss = (l: import("@tensorflow/tfjs").Tensor) => tf.losses.softmaxCrossEntropy(onehot, l);
  const tfLossAndGrad = tf.valueAndGrad(tfLoss);
  const upload = () => tf.tensor2d(x, [rows, classes]);
  const uploadLabels = () => tf.oneHot(tf.tensor1d(labels, "int32"), classes);

  const t = new Map<string, () => void>();
  const key = (k: Kernel, i: Impl) => `${k}|${i}`;
  for (const [impl, m] of [
    ["probkernels", pk],
    ["reference", ref],
  ] as const) {
    t.set(key("softmax", impl), () => {
      m.softmax(x, classes, { out });
    });
    t.set(key("logSumExp", impl), () => {
      m.logSumExp(x, classes, { out: rowsOut });
    });
    t.set(key("crossEntropy", impl), () => {
      m.crossEntropy(x, labels, classes);
    });
    t.set(key("crossEntropyWithGrad", impl), () => {
      m.crossEntropyWithGrad(x, labels, classes, { out });
    });
  }
  // Zero-copy: logits, labels and outputs already live in wasm memory (allocFloat32/allocInt32).
  const xw = pk.allocFloat32(n);
  const lw = pk.allocInt32(rows);
  const ow = pk.allocFloat32(n);
  const rw = pk.allocFloat32(rows);
  xw.array.set(x);
  lw.array.set(labels);
  const zc = "probkernels (zero-copy)";
  t.set(key("softmax", zc), () => {
    pk.softmax(xw.array, classes, { out: ow.array });
  });
  t.set(key("logSumExp", zc), () => {
    pk.logSumExp(xw.array, classes, { out: rw.array });
  });
  t.set(key("crossEntropy", zc), () => {
    pk.crossEntropy(xw.array, lw.array, classes);
  });
  t.set(key("crossEntropyWithGrad", zc), () => {
    pk.crossEntropyWithGrad(xw.array, lw.array, classes, { out: ow.array });
  });
  // Op only: inputs already on the backend, results left there (disposed, not downloaded).
  t.set(key("softmax", "tfjs (op only)"), () =>
    tf.tidy(() => {
      tf.softmax(xt);
    }),
  );
  t.set(key("logSumExp", "tfjs (op only)"), () =>
    tf.tidy(() => {
      tf.logSumExp(xt, 1);
    }),
  );
  t.set(key("crossEntropy", "tfjs (op only)"), () =>
    tf.tidy(() => {
      tfLoss(xt);
    }),
  );
  t.set(key("crossEntropyWithGrad", "tfjs (op only)"), () =>
    tf.tidy(() => {
      tfLossAndGrad(xt);
    }),
  );
  // With transfers: what a Float32Array user pays (upload, op, download).
  t.set(key("softmax", "tfjs (with transfers)"), () =>
    tf.tidy(() => {
      tf.softmax(upload()).dataSync();
    }),
  );
  t.set(key("logSumExp", "tfjs (with transfers)"), () =>
    tf.tidy(() => {
      tf.logSumExp(upload(), 1).dataSync();
    }),
  );
  t.set(key("crossEntropy", "tfjs (with transfers)"), () =>
    tf.tidy(() => {
      tf.losses.softmaxCrossEntropy(uploadLabels(), upload()).dataSync();
    }),
  );
  t.set(key("crossEntropyWithGrad", "tfjs (with transfers)"), () =>
    tf.tidy(() => {
      const oh = uploadLabels();
      const { value, grad } = tf.valueAndGrad((l: import("@tensorflow/tfjs").Tensor) =>
        tf.losses.softmaxCrossEntropy(oh, l),
      )(upload());
      value.dataSync();
      grad.dataSync();
    }),
  );
  const release = () => {
    for (const a of [xw, lw, ow, rw]) a.free();
    tf.dispose([xt, onehot]);
  };
  return { tasks: t, release };
}

export interface Row {
  shape: string;
  kernel: Kernel;
  mes: Partial<Record<Impl, number>>;
}

export function printRow(row: Row, header: boolean) {
  const cols = [
    "shape",
    "kernel",
    "pk copy",
    "pk 0-copy",
    "reference",
    "tfjs op",
    "tfjs+xfer",
    "vs ref",
    "vs tfjs op",
    "vs tfjs+xfer",
    "0-copy vs op",
  ];
  const widths = [10, 21, 8, 9, 9, 8, 9, 7, 10, 12, 12];
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" ");
  if (header) {
    console.log(line(cols));
    console.log(line(widths.map((w) => "-".repeat(w))));
  }
  const m = row.mes;
  const zc = m["probkernels (zero-copy)"];
  console.log(
    line([
      row.shape,
      row.kernel,
      fmt(m.probkernels),
      fmt(zc),
      fmt(m.reference),
      fmt(m["tfjs (op only)"]),
      fmt(m["tfjs (with transfers)"]),
      ratio(m.probkernels, m.reference),
      ratio(m.probkernels, m["tfjs (op only)"]),
      ratio(m.probkernels, m["tfjs (with transfers)"]),
      ratio(zc, m["tfjs (op only)"]),
    ]),
  );
}
