// `npm run bench`: runs bench/run.ts with tsx. On Node 20 it adds V8's relaxed-SIMD flag, which
// Node 22+ and current browsers have on by default, so the bench measures the build a current
// engine runs. Pass --build=simd (or scalar) to measure another build.
import { spawnSync } from "node:child_process";

const major = Number(process.versions.node.split(".")[0]);
const flags = major < 22 ? ["--experimental-wasm-relaxed-simd"] : [];
const result = spawnSync(
  process.execPath,
  [...flags, "--import", "tsx", "bench/run.ts", ...process.argv.slice(2)],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
