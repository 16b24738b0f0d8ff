// A classifier head split by vocabulary across two worker threads (Megatron's vocab-parallel
// cross-entropy), checked against the one-call fused head.
//
//   node examples/sharded-head.mjs [--rows 64] [--features 256] [--classes 32000]
//
// Each worker holds the rows of the head's weight for its share of the classes and never sees
// the other's. Per step: every worker computes per-row statistics of its shard
// (linearCrossEntropyStats: max, Σ exp, the target's logit — five float64 per row), the main
// thread merges them (mergeCrossEntropyStats) into the loss (crossEntropyFromStats) and sends the
// merged statistics back; each worker then computes its shard's weight gradient and its share of
// the hidden-state gradient (linearCrossEntropyShardGrad), and the main thread adds the shares.
import { Worker } from "node:worker_threads";
import { parseArgs } from "node:util";
import { crossEntropyFromStats, init, linearCrossEntropyWithGrad, mergeCrossEntropyStats } from "probkernels";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "64" },
    features: { type: "string", default: "256" },
    classes: { type: "string", default: "32000" },
  },
});
const rows = Number(values.rows),
  features = Number(values.features),
  classes = Number(values.classes);

const { module } = await init();

let seed = 11;
const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
const hidden = Float32Array.from({ length: rows * features }, () => 2 * random() - 1);
const weight = Float32Array.from({ length: classes * features }, () => (random() - 0.5) * 0.1);
const labels = Int32Array.from({ length: rows }, () => Math.floor(random() * classes));
// Label smoothing shapes the statistics (Σ logits); z-loss only the loss and the gradients.
const options = { labelSmoothing: 0.1, zLoss: 1e-4 };

// A worker: its shard of the weight, then two requests per step (statistics, gradients).
const workerSource = `
  const { parentPort, workerData } = require("node:worker_threads");
  import("probkernels/core").then(({ initSync, linearCrossEntropyStats, linearCrossEntropyShardGrad }) => {
    initSync({ module: workerData.module });
    const { weight, classOffset, totalClasses, features, options } = workerData;
    const shard = { labelSmoothing: options.labelSmoothing, classOffset, totalClasses };
    parentPort.on("message", ({ kind, hidden, labels, stats }) => {
      if (kind === "stats") {
        parentPort.postMessage(linearCrossEntropyStats(hidden, weight, labels, features, shard));
      } else {
        const grad = { ...shard, zLoss: options.zLoss, stats };
        const { gradHidden, gradWeight } = linearCrossEntropyShardGrad(hidden, weight, labels, features, grad);
        parentPort.postMessage({ gradHidden, gradWeight }, [gradHidden.buffer, gradWeight.buffer]);
      }
    });
  });
`;
const cut = Math.floor(classes / 2);
const shards = [
  [0, cut],
  [cut, classes],
];
const workers = shards.map(
  ([from, to]) =>
    new Worker(workerSource, {
      eval: true,
      workerData: {
        module,
        weight: weight.slice(from * features, to * features),
        classOffset: from,
        totalClasses: classes,
        features,
        options,
      },
    }),
);
const ask = (worker, message) =>
  new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.postMessage(message);
  });

/** One step across the two workers: the loss, the whole gradHidden and gradWeight. */
async function shardedStep() {
  const parts = await Promise.all(workers.map((w) => ask(w, { kind: "stats", hidden, labels })));
  const merged = mergeCrossEntropyStats(...parts);
  const loss = crossEntropyFromStats(merged, labels, { ...options, totalClasses: classes });
  const grads = await Promise.all(workers.map((w) => ask(w, { kind: "grad", hidden, labels, stats: merged })));
  const gradHidden = new Float32Array(rows * features);
  for (const g of grads) for (let i = 0; i < gradHidden.length; i++) gradHidden[i] += g.gradHidden[i];
  const gradWeight = new Float32Array(classes * features);
  grads.forEach((g, s) => gradWeight.set(g.gradWeight, shards[s][0] * features));
  return { loss, gradHidden, gradWeight };
}
await shardedStep(); // the workers start and instantiate the module
const started = performance.now();
const { loss, gradHidden, gradWeight } = await shardedStep();
const shardedMs = performance.now() - started;
for (const w of workers) await w.terminate();

const t0 = performance.now();
const one = linearCrossEntropyWithGrad(hidden, weight, labels, features, options);
const oneMs = performance.now() - t0;

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
console.log(`${rows}×${features} → ${classes} classes, two shards of ${cut} and ${classes - cut}`);
console.log(
  `loss: sharded ${loss.toFixed(7)}, one call ${one.loss.toFixed(7)}, |diff| ${Math.abs(loss - one.loss).toExponential(1)}`,
);
console.log(
  `gradHidden max |diff| ${maxDiff(gradHidden, one.gradHidden).toExponential(1)}, gradWeight max |diff| ${maxDiff(gradWeight, one.gradWeight).toExponential(1)}`,
);
console.log(`time: two workers ${shardedMs.toFixed(0)} ms (with messages), one call ${oneMs.toFixed(0)} ms`);
