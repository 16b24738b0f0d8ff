// Keeps the shape of src/ true (docs/architecture.md): every import, type imports included, is
// read from the sources; the graph must have no cycle, each layer imports only the layers below
// it, the thread code is reached only through init's dynamic import, and no file grows past
// 400 lines. Prints what is wrong and exits 1; prints a one-line summary otherwise.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..", "src");
const MAX_LINES = 400;

/** Where each layer may import from (folders under src/, or single files). */
const RULES = {
  checks: ["checks", "random/seed.ts", "random/philox.ts"],
  reference: ["reference", "checks", "random/philox.ts", "random/seed.ts", "random/torch.ts", "random/special.ts"],
  engine: ["engine", "checks", "generated"],
  "engine/threads": ["engine", "checks", "generated"],
  random: ["random", "engine", "checks"],
  ops: ["ops", "engine", "checks", "random"],
  entries: ["api.ts", "core.ts", "index.ts", "ops", "engine", "checks", "random"],
};
/** Pure helpers of random/ that the oracle and the checks may use: they import nothing of the engine. */
const PURE_RANDOM = ["random/philox.ts", "random/seed.ts", "random/torch.ts", "random/special.ts"];

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "generated" ? [] : files(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

const layerOf = (file) => {
  const rel = relative(root, file);
  if (!rel.includes("/")) return "entries";
  if (rel.startsWith("engine/threads/")) return "engine/threads";
  if (PURE_RANDOM.includes(rel)) return "checks";
  return rel.split("/")[0];
};
const allowed = (from, to) => {
  const rel = relative(root, to);
  return RULES[layerOf(from)].some((entry) =>
    entry.endsWith(".ts") ? rel === entry : rel === entry || rel.startsWith(`${entry}/`),
  );
};

const problems = [];
const graph = new Map();
const sources = files(root);
for (const file of sources) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n").length - 1;
  if (lines > MAX_LINES)
    problems.push(`${relative(root, file)}: ${lines} lines (at most ${MAX_LINES}: split it along its seams)`);
  const edges = [];
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.[^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/g,
  )) {
    const spec = m[1] ?? m[2];
    const target = normalize(join(dirname(file), spec.replace(/\.js$/, ".ts")));
    const dynamic = m[2] !== undefined;
    edges.push({ target, dynamic });
    const from = relative(root, file),
      to = relative(root, target);
    if (!allowed(file, target))
      problems.push(`${from} imports ${to}: ${layerOf(file)} may import only ${RULES[layerOf(file)].join(", ")}`);
    const intoThreads = to.startsWith("engine/threads/") && !from.startsWith("engine/threads/");
    if (intoThreads && !(from === "engine/init.ts" && dynamic)) {
      problems.push(`${from} imports ${to}: the thread code loads only through engine/init.ts's dynamic import`);
    }
  }
  graph.set(
    file,
    edges.filter((e) => !e.target.includes("/generated/")).map((e) => e.target),
  );
}

// Strongly connected components (Tarjan): any with more than one module is a cycle.
let index = 0;
const stack = [],
  on = new Set(),
  idx = new Map(),
  low = new Map();
function connect(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      component.push(relative(root, w));
    } while (w !== v);
    if (component.length > 1) problems.push(`import cycle: ${component.join(" → ")}`);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) connect(v);

if (problems.length > 0) {
  console.error(`architecture check: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
console.log(
  `architecture check: ${sources.length} modules, ${edges} imports, no cycle, layers respected, every file ≤ ${MAX_LINES} lines`,
);
