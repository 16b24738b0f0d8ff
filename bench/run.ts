// probkernels against the plain-TS reference and TensorFlow.js's wasm backend, side by side on
// the same inputs in one run. Prints million elements per second and ratios; writes
// bench/results/latest.json. Usage: npm run bench -- --help
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
// The built package (npm run build), as users run it: tsx's transform of src/ adds a helper
// call per closure, which shows in per-call times of a few hundred nanoseconds.
import * as pk from "../dist/index.js";
import * as ref from "../dist/reference/index.js";
import { PIPELINE_CROSSOVER_ELEMENTS, THREAD_CROSSOVER_ELEMENTS } from "../dist/engine/threads/tuning.js";
import { requireRuntime } from "../dist/engine/runtime.js";
import { SCRATCH_BYTES } from "../dist/engine/wasm.js";
import { renderChart } from "./chart.js";
import { loadTfWasm, xoshiroNormalFill, type Tf } from "./peers.js";

const HELP = `npm run bench [-- options]

Times probkernels against the plain-TS reference and TensorFlow.js's wasm backend on the same
inputs, in one run, and prints million elements per second and the ratios.

  --quick          a short run (about a minute here instead of about 5 minutes)
  --build=NAME     the build to measure: relaxed-simd, simd or scalar (default: the best one)
  --save-chart     also write docs/benchmark.svg, the chart the README shows
                   (what \`npm run bench:chart\` does; bench/results/ is always written)
  --only=TABLE     run one table: main, per-call, family, random, tokens or threads (for work on
                   one kernel; nothing is written to bench/results/)
  --help           this text

  THREAD_SHAPES='[[65536,10]]' (environment) sets the threads table's shapes.
`;

function parseArguments() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean", default: false },
        build: { type: "string" },
        "save-chart": { type: "boolean", default: false },
        only: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
}

const options = parseArguments();
if (options.help) {
  console.log(HELP);
  process.exit(0);
}
const BUILDS = ["relaxed-simd", "simd", "scalar"];
if (options.build !== undefined && !BUILDS.includes(options.build)) {
  console.error(`bench: --build must be one of ${BUILDS.join(", ")}, got "${options.build}"\n\n${HELP}`);
  process.exit(2);
}
const TABLES = ["main", "per-call", "family", "random", "tokens", "threads"];
if (options.only !== undefined && !TABLES.includes(options.only)) {
  console.error(`bench: --only must be one of ${TABLES.join(", ")}, got "${options.only}"\n\n${HELP}`);
  process.exit(2);
}
const only = options.only;
const runs = (table: string) => only === undefined || only === table;
const quick = options.quick;
const buildArg = options.build;
const saveChart = options["save-chart"];

const SHAPES: [rows: number, classes: number][] = [
  [4096, 1000],
  [65536, 10],
  [64, 32000],
  [8, 128256],
];
const KERNELS = ["softmax", "logSumExp", "crossEntropy", "crossEntropyWithGrad"] as const;
type Kernel = (typeof KERNELS)[number];
const IMPLS = [
  "probkernels",
  "probkernels (zero-copy)",
  "reference",
  "tfjs (op only)",
  "tfjs (with transfers)",
] as const;
type Impl = (typeof IMPLS)[number];

/** Seeded standard normals (logits of a trained-ish classifier are O(1)–O(10)). */
function logitsFor(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = 3 * Math.sqrt(-2 * Math.log(next()));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

function tasksFor(tf: Tf, rows: number, classes: number): { tasks: Map<string, () => void>; release: () => void } {
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

interface Row {
  shape: string;
  kernel: Kernel;
  mes: Partial<Record<Impl, number>>;
}

async function main() {
  const info = await pk.init(buildArg ? { build: buildArg as pk.BuildName } : {});
  const tf = await loadTfWasm();
  const env = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    build: info.build,
    arenaBytes: info.arenaBytes,
    tfjs: `${tf.version.tfjs} wasm backend, SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT")}, threads ${tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT")}`,
    mode: quick ? "quick" : "full",
  };
  console.log(`probkernels bench — ${env.date}`);
  console.log(`Node ${env.node}, ${env.cpu} (${env.cores} cores), probkernels build: ${env.build}, TF.js ${env.tfjs}`);
  console.log(
    `${quick ? "quick" : "full"} run; throughput in million elements (logits) per second, higher is better\n`,
  );

  const rows: Row[] = [];
  for (const [r, c] of runs("main") ? SHAPES : []) {
    const { tasks, release } = tasksFor(tf, r, c);
    const us = await medianMicroseconds(tasks, {
      time: quick ? 120 : 1000,
      iterations: quick ? 3 : 10,
      warmupTime: quick ? 30 : 200,
      warmupIterations: 2,
    });
    for (const kernel of KERNELS) {
      const row: Row = { shape: `${r}x${c}`, kernel, mes: {} };
      for (const impl of IMPLS) {
        const t = us[`${kernel}|${impl}`];
        if (t !== undefined) row.mes[impl] = (r * c) / t;
      }
      rows.push(row);
      printRow(row, rows.length === 1);
    }
    release();
  }
  const perCall = runs("per-call") ? await benchPerCall(tf) : {};
  const family = runs("family") ? await benchLossFamily(tf) : {};
  const sampling = runs("random") ? await benchSampling(tf) : {};
  const tokenSampling = runs("tokens") ? await benchTokenSampling(tf) : {};
  const threads = runs("threads") ? await benchThreads() : {};
  if (only !== undefined) return;
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/latest.json", import.meta.url),
    JSON.stringify({ env, rows, perCall, family, sampling, tokenSampling, threads }, null, 2),
  );
  const svg = renderChart(
    rows,
    IMPLS,
    "probkernels vs plain-TS reference vs TF.js wasm backend",
    `${env.date.slice(0, 10)} · Node ${env.node} · ${env.cpu} (${env.cores} cores) · build ${env.build} · ${env.mode} run`,
  );
  writeFileSync(new URL("./results/latest.svg", import.meta.url), svg);
  console.log("\nwritten: bench/results/latest.json, bench/results/latest.svg");
  if (saveChart) {
    mkdirSync(new URL("../docs/", import.meta.url), { recursive: true });
    writeFileSync(new URL("../docs/benchmark.svg", import.meta.url), svg);
    console.log("written: docs/benchmark.svg");
  }
}

/** What users write today for top-k: sort the row's indices by value, keep the first k. */
function sortTopK(x: Float32Array, rows: number, classes: number, k: number): Int32Array {
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
async function benchLossFamily(tf: Tf): Promise<Record<string, Record<string, number>>> {
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
        pk.topK(x, c, 50);
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

const SMALL_SHAPES: [rows: number, classes: number][] = [
  [1, 10],
  [8, 10],
  [128, 10],
  [1, 1000],
  [1, 128256],
];

/**
 * Small calls, where the fixed cost per call decides: microseconds per call through the API
 * (copying, with `out`), the raw kernel export on data already in wasm memory (the floor), the
 * plain-TS reference and TF.js's op (tensor already uploaded).
 */
async function benchPerCall(tf: Tf): Promise<Record<string, Record<string, number>>> {
  const rt = requireRuntime("bench");
  const k = rt.kernels;
  const results: Record<string, Record<string, number>> = {};
  console.log(
    `\nper call, small shapes (microseconds per call, lower is better; raw = the wasm export alone on resident data)`,
  );
  const cols = ["shape", "kernel", "pk api", "raw", "reference", "tfjs op", "api/raw", "ref/api", "tfjs/api"];
  const widths = [10, 21, 8, 8, 9, 8, 8, 8, 8];
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
      for (const impl of ["api", "raw", "reference", "tfjs"]) {
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
          f(us.reference),
          f(us.tfjs),
          q(us.api, us.raw),
          q(us.reference, us.api),
          q(us.tfjs, us.api),
        ]),
      );
    }
    for (const w of [xw, gw, lw, lossw, scratch]) w.free();
    tf.dispose([xt, onehot]);
  }
  return results;
}

/** randomNormal of 10^7 values: probkernels (copying and zero-copy), plain TS, TF.js. */
async function benchSampling(tf: Tf): Promise<Record<string, number>> {
  const count = 10_000_000;
  const out = new Float32Array(count);
  const w = pk.allocFloat32(count);
  const tasks: Record<string, () => void> = {
    probkernels: () => {
      pk.randomNormal(count, { seed: 7, out });
    },
    "probkernels (zero-copy)": () => {
      pk.randomNormal(count, { seed: 7, out: w.array });
    },
    "plain TS (xoshiro128** Box-Muller)": () => {
      xoshiroNormalFill(out, 7);
    },
    "tfjs (op only)": () =>
      tf.tidy(() => {
        tf.randomNormal([count], 0, 1, "float32", 7);
      }),
    "tfjs (with download)": () =>
      tf.tidy(() => {
        tf.randomNormal([count], 0, 1, "float32", 7).dataSync();
      }),
  };
  const us = await medianMicroseconds(tasks, {
    time: quick ? 300 : 2000,
    iterations: quick ? 2 : 5,
    warmupTime: quick ? 50 : 300,
    warmupIterations: 1,
  });
  const mes: Record<string, number> = {};
  for (const [name, t] of Object.entries(us)) mes[name] = count / t;
  w.free();
  const base = mes["plain TS (xoshiro128** Box-Muller)"],
    tfOp = mes["tfjs (op only)"];
  console.log(`\nrandomNormal, 10^7 values (million values per second)`);
  for (const [name, v] of Object.entries(mes)) {
    console.log(
      `  ${name.padEnd(36)} ${fmt(v).padStart(7)}   ${ratio(v, base).padStart(6)} vs plain TS   ${ratio(v, tfOp).padStart(6)} vs TF.js op`,
    );
  }
  return mes;
}

/** mulberry32: the seeded PRNG a JS sampler uses for reproducible draws. */
function mulberry32(seed: number): () => number {
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
function jsSample(
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
async function benchTokenSampling(tf: Tf): Promise<Record<string, Record<string, number>>> {
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

/**
 * Threads: each call zero-copy (arrays from allocFloat32/allocInt32), copying (ordinary arrays in
 * and out) and shared (arrays over SharedArrayBuffers) on one thread and on every core, each measured on a fresh runtime
 * (init({ threads })), rounds interleaved. The last shape is a check of memory bandwidth: a
 * 16384×1000 softmax streams 128 MB per call.
 */
async function benchThreads(): Promise<Record<string, Record<string, number>>> {
  const results: Record<string, Record<string, number>> = {};
  const cores = Math.max(2, (await import("node:os")).availableParallelism?.() ?? cpus().length);
  console.log(
    `\nthreads: 1 thread and ${cores} (million elements per second). Zero-copy calls (WasmArrays) and shared ones ` +
      `(arrays over SharedArrayBuffers) split from ${THREAD_CROSSOVER_ELEMENTS} elements of row data; copying calls ` +
      `(ordinary arrays) pipeline from ${PIPELINE_CROSSOVER_ELEMENTS}`,
  );
  const shapes: [number, number][] = process.env.THREAD_SHAPES
    ? JSON.parse(process.env.THREAD_SHAPES)
    : [
        [4096, 1000],
        [64, 32000],
        [8, 128256],
        [65536, 10],
        [64, 1000],
        [1024, 10],
        [16384, 1000],
      ];
  const kernels = ["softmax", "logSumExp", "crossEntropyWithGrad"] as const;
  for (const [r, c] of shapes) {
    if (quick && r * c > 2 ** 23) continue;
    const n = r * c;
    const x = logitsFor(n, 5);
    const labels = Int32Array.from({ length: r }, (_, i) => (i * 7919) % c);
    const plainOut = new Float32Array(n),
      plainRows = new Float32Array(r);
    // The same arrays over SharedArrayBuffers (what another worker of the caller's may write).
    const sharedOf = <T extends Float32Array | Int32Array>(a: T): T => {
      const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
      copy.set(a);
      return copy;
    };
    const sx = sharedOf(x),
      sLabels = sharedOf(labels),
      sOut = sharedOf(plainOut),
      sRows = sharedOf(plainRows);
    const rate: Record<string, number[]> = {};
    for (let round = 0; round < (quick ? 3 : 7); round++) {
      for (const threads of [1, cores]) {
        await pk.init({ threads });
        const xw = pk.allocFloat32(n),
          out = pk.allocFloat32(n),
          rowsOut = pk.allocFloat32(r),
          lw = pk.allocInt32(r);
        xw.array.set(x);
        lw.array.set(labels);
        const calls: Record<string, [() => void, () => void, () => void]> = {
          softmax: [
            () => {
              pk.softmax(xw.array, c, { out: out.array });
            },
            () => {
              pk.softmax(x, c, { out: plainOut });
            },
            () => {
              pk.softmax(sx, c, { out: sOut });
            },
          ],
          logSumExp: [
            () => {
              pk.logSumExp(xw.array, c, { out: rowsOut.array });
            },
            () => {
              pk.logSumExp(x, c, { out: plainRows });
            },
            () => {
              pk.logSumExp(sx, c, { out: sRows });
            },
          ],
          crossEntropyWithGrad: [
            () => {
              pk.crossEntropyWithGrad(xw.array, lw.array, c, { out: out.array });
            },
            () => {
              pk.crossEntropyWithGrad(x, labels, c, { out: plainOut });
            },
            () => {
              pk.crossEntropyWithGrad(sx, sLabels, c, { out: sOut });
            },
          ],
        };
        for (const k of kernels) {
          calls[k].forEach((f, mode) => {
            f();
            const t0 = performance.now();
            let count = 0;
            while (performance.now() - t0 < (quick ? 60 : 150)) {
              f();
              count++;
            }
            (rate[`${k}|${mode}|${threads}`] ??= []).push((n * count) / ((performance.now() - t0) * 1000));
          });
        }
        for (const w of [xw, out, rowsOut, lw]) w.free();
      }
    }
    for (const k of kernels) {
      const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1];
      const [zeroOne, zeroAll, copyOne, copyAll, sharedOne, sharedAll] = [0, 1, 2].flatMap((mode) =>
        [1, cores].map((t) => median(rate[`${k}|${mode}|${t}`])),
      );
      results[`${r}x${c} ${k}`] = {
        one: zeroOne,
        all: zeroAll,
        copyingOne: copyOne,
        copyingAll: copyAll,
        sharedOne,
        sharedAll,
      };
      const column = (one: number, all: number) =>
        `${fmt(one).padStart(5)} → ${fmt(all).padStart(5)} ${`${(all / one).toFixed(2)}x`.padStart(6)}`;
      console.log(
        `  ${`${r}x${c}`.padEnd(10)} ${k.padEnd(20)} zero-copy ${column(zeroOne, zeroAll)}   copying ${column(copyOne, copyAll)}` +
          `   shared ${column(sharedOne, sharedAll)}`,
      );
    }
  }
  await pk.init({ threads: 1 });
  await benchAsync(cores, shapes, results);
  return results;
}

/**
 * The async variants on every core against the synchronous call on one thread (ordinary arrays
 * and zero-copy), rounds interleaved; and how long the calling thread went without an event-loop
 * turn during the async calls (the longest gap between setImmediate turns), against one
 * synchronous call's length (the time it blocks the thread).
 */
async function benchAsync(
  cores: number,
  allShapes: [number, number][],
  results: Record<string, Record<string, number>>,
): Promise<void> {
  const shapes = allShapes.filter(([r, c]) => r * c <= 2 ** 23 && r * c >= 2 ** 18);
  if (shapes.length === 0) return;
  console.log(
    `\nasync variants on ${cores} threads (the workers compute, the calling thread copies and awaits) against the synchronous ` +
      `call on one thread: million elements per second, and the longest the calling thread went without an event-loop turn`,
  );
  const kernels = ["softmax", "crossEntropyWithGrad"] as const;
  const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1];
  for (const [r, c] of shapes) {
    const n = r * c;
    const x = logitsFor(n, 5),
      plainOut = new Float32Array(n);
    const labels = Int32Array.from({ length: r }, (_, i) => (i * 7919) % c);
    const rate: Record<string, number[]> = {},
      gap: Record<string, number[]> = {};
    for (let round = 0; round < (quick ? 3 : 7); round++) {
      for (const threads of [1, cores]) {
        await pk.init({ threads });
        const xw = pk.allocFloat32(n),
          out = pk.allocFloat32(n),
          lw = pk.allocInt32(r);
        xw.array.set(x);
        lw.array.set(labels);
        const calls: Record<string, [() => unknown, () => unknown]> = {
          softmax:
            threads === 1
              ? [() => pk.softmax(x, c, { out: plainOut }), () => pk.softmax(xw.array, c, { out: out.array })]
              : [
                  () => pk.softmaxAsync(x, c, { out: plainOut }),
                  () => pk.softmaxAsync(xw.array, c, { out: out.array }),
                ],
          crossEntropyWithGrad:
            threads === 1
              ? [
                  () => pk.crossEntropyWithGrad(x, labels, c, { out: plainOut }),
                  () => pk.crossEntropyWithGrad(xw.array, lw.array, c, { out: out.array }),
                ]
              : [
                  () => pk.crossEntropyWithGradAsync(x, labels, c, { out: plainOut }),
                  () => pk.crossEntropyWithGradAsync(xw.array, lw.array, c, { out: out.array }),
                ],
        };
        for (const k of kernels) {
          for (const [mode, f] of calls[k].entries()) {
            await f();
            // Per call, the longest stretch without an event-loop turn (a synchronous call: all of
            // it); the round's figure is the median call's, so a garbage collection or the
            // machine's noise in one call does not stand for all of them.
            let last = performance.now(),
              longest = 0,
              ticking = true;
            const tick = () => {
              const now = performance.now();
              longest = Math.max(longest, now - last);
              last = now;
              if (ticking) setImmediate(tick);
            };
            setImmediate(tick);
            const held: number[] = [];
            const t0 = performance.now();
            let count = 0;
            while (performance.now() - t0 < (quick ? 60 : 100)) {
              const started = performance.now();
              last = started;
              longest = 0;
              await f();
              const now = performance.now();
              held.push(threads === 1 ? now - started : Math.max(longest, now - last));
              count++;
            }
            ticking = false;
            const key = `${k}|${mode}|${threads}`;
            (rate[key] ??= []).push((n * count) / ((performance.now() - t0) * 1000));
            (gap[key] ??= []).push(median(held));
          }
        }
        for (const w of [xw, out, lw]) w.free();
      }
    }
    for (const k of kernels) {
      const cells = ["copying", "zero-copy"].map((name, mode) => {
        const one = median(rate[`${k}|${mode}|1`]),
          all = median(rate[`${k}|${mode}|${cores}`]);
        const blockOne = median(gap[`${k}|${mode}|1`]),
          blockAll = median(gap[`${k}|${mode}|${cores}`]);
        results[`${r}x${c} ${k} async ${name}`] = {
          syncOne: one,
          asyncAll: all,
          syncBlockMs: blockOne,
          asyncLongestGapMs: blockAll,
        };
        return (
          `${name} ${fmt(one).padStart(5)} → ${fmt(all).padStart(5)} ${`${(all / one).toFixed(2)}x`.padStart(6)}, thread held ` +
          `${blockOne.toFixed(2)} → ${blockAll.toFixed(2)} ms`
        );
      });
      console.log(`  ${`${r}x${c}`.padEnd(10)} ${k.padEnd(20)} ${cells.join("   ")}`);
    }
  }
  await pk.init({ threads: 1 });
}

/**
 * Runs the tasks with tinybench and returns each one's median time per call in microseconds
 * (a task that produced no result is left out).
 */
async function medianMicroseconds(
  tasks: Record<string, () => unknown> | Map<string, () => unknown>,
  options: ConstructorParameters<typeof Bench>[0],
): Promise<Record<string, number>> {
  const bench = new Bench({ ...options, throws: true });
  for (const [name, fn] of tasks instanceof Map ? tasks : Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const us: Record<string, number> = {};
  for (const task of bench.tasks) {
    const result = task.result;
    if (result && "latency" in result) us[task.name] = result.latency.p50 * 1000;
  }
  return us;
}

const fmt = (v: number | undefined) => (v === undefined ? "—" : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(1)}x` : "—");

function printRow(row: Row, header: boolean) {
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

await main();
