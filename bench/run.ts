// probkernels against the plain-TS reference and TensorFlow.js's wasm backend, side by side on
// the same inputs in one run. Prints million elements per second and ratios; writes
// bench/results/latest.json. Usage: npm run bench -- --help
import * as pk from "../dist/index.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { renderChart } from "./chart.js";
import { loadTfWasm } from "./peers.js";
import { buildArg, only, quick, runs, saveChart } from "./options.js";
import { IMPLS, KERNELS, SHAPES, printRow, tasksFor, type Row } from "./tables/main.js";
import { benchLossFamily } from "./tables/family.js";
import { benchPerCall } from "./tables/per-call.js";
import { benchSampling } from "./tables/random.js";
import { benchTokenSampling } from "./tables/tokens.js";
import { benchThreads } from "./tables/threads.js";
import { benchLinear } from "./tables/linear.js";
import { medianMicroseconds } from "./common.js";

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
  const linear = runs("linear") ? await benchLinear(tf) : {};
  const threads = runs("threads") ? await benchThreads() : {};
  if (only !== undefined) return;
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/latest.json", import.meta.url),
    JSON.stringify({ env, rows, perCall, family, sampling, tokenSampling, linear, threads }, null, 2),
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

await main();
