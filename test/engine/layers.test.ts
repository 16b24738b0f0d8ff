// The layers as built (docs/architecture.md): the reference entry loads nothing of the engine,
// the main entry reaches the thread code only through init's dynamic import, and a bundler that
// splits chunks leaves the worker source out of a one-thread app's entry chunk.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const DIST = resolve(import.meta.dirname, "../../dist");
const built = existsSync(join(DIST, "index.js"));

/** The modules an entry loads: static imports only, or dynamic ones too. */
function closure(entry: string, dynamic: boolean): string[] {
  const seen = new Set<string>();
  const stack = [join(DIST, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    const pattern = dynamic
      ? /(?:from|import)\s*\(?\s*"(\.[^"]+)"/g
      : /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.[^"]+)"/g;
    for (const m of text.matchAll(pattern)) stack.push(resolve(dirname(file), m[1]));
  }
  return [...seen].map((f) => relative(DIST, f));
}

describe.runIf(built)("the layers as built", () => {
  it("probkernels/reference loads no executor, runtime, memory or pool module: only the reference and the checks", () => {
    const modules = closure("reference/index.js", true);
    expect(modules.filter((m) => !m.startsWith("reference/") && !m.startsWith("checks/"))).toEqual([]);
  });

  it("the main entry's static imports reach no thread module and no threaded build", () => {
    const modules = closure("index.js", false);
    expect(modules.filter((m) => m.startsWith("engine/threads/") || m.includes("wasm-threads"))).toEqual([]);
    // The dynamic import is there, for init({ threads }).
    expect(closure("index.js", true)).toContain("engine/threads/threaded-runtime.js");
  });

  it("a bundle of `import { softmax }` split into chunks carries the worker source only in a lazy chunk", async () => {
    const result = await build({
      stdin: {
        contents: `import { softmax, init } from ${JSON.stringify(join(DIST, "index.js"))};\nawait init();\nconsole.log(softmax);`,
        resolveDir: DIST,
        loader: "js",
      },
      bundle: true,
      splitting: true,
      format: "esm",
      outdir: "/virtual",
      write: false,
      logLevel: "silent",
    });
    const entry = result.outputFiles.find((f) => f.path.endsWith("stdin.js"))!;
    const worker = "function serve(";
    expect(entry.text).not.toContain(worker);
    expect(result.outputFiles.some((f) => f !== entry && f.text.includes(worker))).toBe(true);
  });
});
