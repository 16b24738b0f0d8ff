// The package as users install it: `npm pack`, installed into fresh consumer projects (Node ESM,
// Node CommonJS `require`, TypeScript with moduleResolution node16, nodenext as ESM and as
// CommonJS, and bundler), each running a softmax and a crossEntropy against the reference.
// The TypeScript consumers also check the published types: the result narrows by reduction,
// a typo'd option and a backward option on the forward call do not compile. publint and
// @arethetypeswrong/cli must find no problem. ESM and require also run on Node 22 and 24, and Bun.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = new URL("../..", import.meta.url).pathname;
const bin = (name: string) => join(repo, "node_modules", ".bin", name);
let root = "";
let tarball = "";

/** The check every consumer runs: the package against its own reference, printed as one JSON line. */
const CHECK = `
  const x = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i) * 3);
  const labels = [1, 5, 9];
  const diff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  const softmax = diff(pk.softmax(x, 10), ref.softmax(x, 10));
  const loss = Math.abs(pk.crossEntropy(x, labels, 10) - ref.crossEntropy(x, labels, 10));
  console.log(JSON.stringify({ ok: softmax < 1e-6 && loss < 1e-5, build: pk.runtimeInfo().build, core: typeof core.initSync }));
`;

/** Type checks compiled (not run) by every TypeScript consumer. */
const TYPES = `
  export function typeChecks(x: Float32Array, labels: Int32Array): void {
    const mean: number = pk.crossEntropy(x, labels, 10);
    const sum: number = pk.crossEntropy(x, labels, 10, { reduction: "sum", weight: [1, 2, 3] });
    const perRow: Float32Array = pk.crossEntropy(x, labels, 10, { reduction: "none", out: new Float32Array(3) });
    const fused: number = pk.crossEntropyWithGrad(x, labels, 10, { labelSmoothing: 0.1 }).loss;
    const fusedRows: Float32Array = pk.crossEntropyWithGrad(x, labels, 10, { reduction: "none", gradOutput: [1, 1, 1] }).loss;
    const grad: Float32Array = pk.crossEntropyBackward(x, labels, 10, { gradOutput: 2 });
    const reduction: pk.Reduction = "sum";
    const either: number | Float32Array = pk.crossEntropy(x, labels, 10, { reduction });
    // @ts-expect-error: a typo'd option is a compile error
    pk.softmax(x, 10, { temprature: 2 });
    // @ts-expect-error: gradOutput belongs to the backward functions
    pk.crossEntropy(x, labels, 10, { gradOutput: 2 });
    // @ts-expect-error: with reduction "mean" the loss is a number
    const wrong: Float32Array = pk.crossEntropy(x, labels, 10);
    void [mean, sum, perRow, fused, fusedRows, grad, either, wrong];
  }
`;

const esmImports = `import * as pk from "probkernels";\nimport * as ref from "probkernels/reference";\nimport * as core from "probkernels/core";\n`;
const cjsRequires = `const pk = require("probkernels");\nconst ref = require("probkernels/reference");\nconst core = require("probkernels/core");\n`;

interface Consumer {
  name: string;
  type: "module" | "commonjs";
  /** TypeScript compiler options, or none for plain JavaScript. */
  ts?: Record<string, unknown>;
}

const CONSUMERS: Consumer[] = [
  { name: "node-esm", type: "module" },
  { name: "node-cjs", type: "commonjs" },
  { name: "ts-node16", type: "commonjs", ts: { module: "node16", moduleResolution: "node16" } },
  { name: "ts-nodenext-esm", type: "module", ts: { module: "nodenext", moduleResolution: "nodenext" } },
  { name: "ts-nodenext-cjs", type: "commonjs", ts: { module: "nodenext", moduleResolution: "nodenext" } },
  { name: "ts-bundler", type: "module", ts: { module: "esnext", moduleResolution: "bundler" } },
];

function source(c: Consumer): string {
  if (!c.ts) {
    const check = CHECK.replace("(a: Float32Array, b: Float32Array)", "(a, b)");
    return c.type === "module"
      ? `${esmImports}await pk.init();\n${check}`
      : `${cjsRequires}pk.init().then(() => {\n${check}\n});`;
  }
  // TypeScript: ES import syntax everywhere; the compiler emits require() for CommonJS projects.
  return `${esmImports}${TYPES}\nasync function main(): Promise<void> {\n  await pk.init();\n${CHECK}\n}\nvoid main();\n`;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "probkernels-consumers-"));
  // dist/ was built by `pretest`; --ignore-scripts keeps pack from building again.
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", root], { cwd: repo, stdio: "pipe" });
  tarball = join(root, readdirSync(root).find((f) => f.endsWith(".tgz"))!);
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "consumers", private: true }));
  execFileSync("npm", ["install", tarball, "--no-audit", "--no-fund", "--ignore-scripts", "--offline"], {
    cwd: root,
    stdio: "pipe",
  });
  for (const c of CONSUMERS) {
    const dir = join(root, c.name);
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: c.name, private: true, type: c.type }));
    if (c.ts) {
      writeFileSync(join(dir, "index.ts"), source(c));
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            ...c.ts,
            target: "es2022",
            strict: true,
            lib: ["es2022", "dom"],
            types: [],
            skipLibCheck: false,
            outDir: "out",
          },
          files: ["index.ts"],
        }),
      );
    } else {
      writeFileSync(join(dir, "index.js"), source(c));
    }
  }
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Runs a consumer's entry with `node` (another version through npx) and returns its JSON line. */
function run(dir: string, entry: string, node: string[] = ["node"]): { ok: boolean; build: string; core: string } {
  const [command, ...args] = node;
  const result = spawnSync(command, [...args, entry], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  expect(result.stderr.replace(/npm warn.*\n/g, ""), `${dir}: stderr`).toBe("");
  expect(result.status, `${dir}: exit status\n${result.stdout}`).toBe(0);
  return JSON.parse(result.stdout.trim().split("\n").pop()!);
}

describe("the packed package in fresh consumer projects", () => {
  it.each(CONSUMERS.map((c) => [c.name, c] as const))(
    "%s: compiles (TypeScript), loads, and agrees with the reference",
    (_, c) => {
      const dir = join(root, c.name);
      let entry = "index.js";
      if (c.ts) {
        const tsc = spawnSync(bin("tsc"), ["-p", dir], { encoding: "utf8" });
        expect(tsc.stdout + tsc.stderr, `${c.name}: tsc`).toBe("");
        entry = "out/index.js";
      }
      const result = run(dir, entry);
      expect(result).toEqual({ ok: true, build: expect.any(String), core: "function" });
    },
  );

  it.each(["22", "24"])("ESM import and CommonJS require on Node %s", (version) => {
    const node = ["npx", "-y", "-p", `node@${version}`, "node"];
    for (const name of ["node-esm", "node-cjs"]) {
      expect(run(join(root, name), "index.js", node).ok, `${name} on Node ${version}`).toBe(true);
    }
  });

  it("ESM import and CommonJS require on Bun (from the npm registry's bun package)", () => {
    const bun = ["npx", "-y", "-p", "bun@1.4.5", "bun"];
    for (const name of ["node-esm", "node-cjs"]) {
      expect(run(join(root, name), "index.js", bun).ok, `${name} on Bun`).toBe(true);
    }
  });

  it("publint finds no problem", () => {
    const result = spawnSync(bin("publint"), ["run", join(root, "node_modules", "probkernels"), "--strict"], {
      encoding: "utf8",
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/All good!/);
  });

  it("@arethetypeswrong/cli finds no problem for ESM, CommonJS, node10 and bundler consumers", () => {
    const result = spawnSync(bin("attw"), [tarball, "--format", "ascii"], { encoding: "utf8" });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/No problems found/);
  });
});
