// Compute cross-entropy over a large batch in worker threads, compiling the wasm once.
//
//   node examples/worker-losses.mjs [--rows 8192] [--classes 1000] [--workers 2]
//
// The main thread compiles (init) and hands the compiled WebAssembly.Module to each worker,
// which instantiates it with initSync({ module }) from `probkernels/core` (the entry without the
// embedded builds: nothing to compile, less to load). Each worker takes a share of the rows and
// returns the sum of its per-row losses; the main thread adds the sums in shard order and
// divides by the row count — the mean over the whole batch, as one call computes it.
import { Worker } from "node:worker_threads";
import { parseArgs } from "node:util";
import { init, crossEntropy } from "probkernels";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "8192" },
    classes: { type: "string", default: "1000" },
    workers: { type: "string", default: "2" },
  },
});
const rows = Number(values.rows),
  classes = Number(values.classes),
  workers = Number(values.workers);

const { module, build } = await init();

// A batch of logits and labels (seeded, so every run computes the same numbers).
let seed = 7;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
const logits = Float32Array.from({ length: rows * classes }, () => 6 * random() - 3);
const labels = Int32Array.from({ length: rows }, () => Math.floor(random() * classes));

// The worker's whole program: instantiate the module it is given, compute, answer.
const workerSource = `
  const { parentPort, workerData } = require("node:worker_threads");
  import("probkernels/core").then(({ initSync, crossEntropy }) => {
    initSync({ module: workerData.module });
    parentPort.on("message", ({ logits, labels, classes }) => {
      parentPort.postMessage(crossEntropy(logits, labels, classes, { reduction: "sum" }));
    });
  });
`;

const started = performance.now();
const pool = Array.from({ length: workers }, () => new Worker(workerSource, { eval: true, workerData: { module } }));
const share = Math.ceil(rows / workers);
const sums = await Promise.all(
  pool.map(
    (worker, w) =>
      new Promise((resolve, reject) => {
        const from = w * share,
          to = Math.min(rows, from + share);
        worker.once("message", resolve);
        worker.once("error", reject);
        // Copies of the shard: the workers own their rows (a SharedArrayBuffer would avoid the copy).
        worker.postMessage({
          logits: logits.slice(from * classes, to * classes),
          labels: labels.slice(from, to),
          classes,
        });
      }),
  ),
);
const mean = sums.reduce((total, s) => total + s, 0) / rows;
const elapsed = performance.now() - started;
await Promise.all(pool.map((worker) => worker.terminate()));

const single = crossEntropy(logits, labels, classes);
console.log(`${rows}×${classes} logits, build ${build}, ${workers} workers sharing one compiled module`);
console.log(`mean loss from the workers: ${mean.toFixed(6)} (${elapsed.toFixed(0)} ms including starting the workers)`);
console.log(
  `mean loss in one call:      ${single.toFixed(6)} (difference ${Math.abs(mean - single).toExponential(1)})`,
);
