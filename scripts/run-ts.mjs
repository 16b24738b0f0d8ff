// Runs a TypeScript program (bench/run.ts, scripts/accuracy.ts) with tsx. On Node 20 it adds
// V8's relaxed-SIMD flag, which Node 22+ and current browsers have on by default (and which
// Node 22+ refuses as an unknown option), so every Node measures the build a current engine runs.
// Usage: node scripts/run-ts.mjs <program.ts> [arguments...]
import { spawnSync } from "node:child_process";

const major = Number(process.versions.node.split(".")[0]);
const flags = major < 22 ? ["--experimental-wasm-relaxed-simd"] : [];
const [program, ...args] = process.argv.slice(2);
const result = spawnSync(process.execPath, [...flags, "--import", "tsx", program, ...args], { stdio: "inherit" });
process.exit(result.status ?? 1);
