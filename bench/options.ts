// The command line of npm run bench: parsed once, when the bench starts.
import { parseArgs } from "node:util";

export const HELP = `npm run bench [-- options]

Times probkernels against the plain-TS reference and TensorFlow.js's wasm backend on the same
inputs, in one run, and prints million elements per second and the ratios.

  --quick          a short run (about a minute here instead of about 5 minutes)
  --build=NAME     the build to measure: relaxed-simd, simd or scalar (default: the best one)
  --save-chart     also write docs/benchmark.svg, the chart the README shows
                   (what \`npm run bench:chart\` does; bench/results/ is always written)
  --only=TABLE     run one table: main, per-call, family, random, tokens, linear or threads (for work on
                   one kernel; nothing is written to bench/results/)
  --help           this text

  THREAD_SHAPES='[[65536,10]]' (environment) sets the threads table's shapes.
`;

export function parseArguments() {
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

export const options = parseArguments();
if (options.help) {
  console.log(HELP);
  process.exit(0);
}

export const BUILDS = ["relaxed-simd", "simd", "scalar"];
if (options.build !== undefined && !BUILDS.includes(options.build)) {
  console.error(`bench: --build must be one of ${BUILDS.join(", ")}, got "${options.build}"\n\n${HELP}`);
  process.exit(2);
}

export const TABLES = ["main", "per-call", "family", "random", "tokens", "linear", "threads"];
if (options.only !== undefined && !TABLES.includes(options.only)) {
  console.error(`bench: --only must be one of ${TABLES.join(", ")}, got "${options.only}"\n\n${HELP}`);
  process.exit(2);
}

export const only = options.only;

export const runs = (table: string) => only === undefined || only === table;

export const quick = options.quick;

export const buildArg = options.build;

export const saveChart = options["save-chart"];
