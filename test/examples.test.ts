// The examples in examples/ run as users would run them (node, importing "probkernels", which
// resolves to this package's own build), so they never rot. Their output is checked for what
// each promises.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const repo = new URL("..", import.meta.url).pathname;

function runExample(file: string, args: string[] = []): string {
  const result = spawnSync(process.execPath, [`examples/${file}`, ...args], { cwd: repo, encoding: "utf8", timeout: 120_000 });
  expect(result.stderr, `${file}: stderr`).toBe("");
  expect(result.status, `${file}: exit status`).toBe(0);
  return result.stdout;
}

describe("examples", () => {
  it("mnist-softmax: the full run reaches ≥ 88 % test accuracy and the loss falls every epoch", () => {
    const out = runExample("mnist-softmax.mjs");
    const losses = [...out.matchAll(/mean loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(losses.length).toBe(8);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    const final = Number(/done: .* test accuracy ([\d.]+) %/.exec(out)![1]);
    expect(final).toBeGreaterThanOrEqual(88);
  });

  it("distillation: the soft term falls every epoch and both 7×7 students learn (≥ 80 %)", () => {
    const out = runExample("distillation.mjs");
    expect(Number(/teacher .*test accuracy ([\d.]+) %/.exec(out)![1])).toBeGreaterThanOrEqual(88);
    const soft = [...out.matchAll(/soft term ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(soft.length).toBe(6);
    for (let i = 1; i < soft.length; i++) expect(soft[i]).toBeLessThan(soft[i - 1]);
    const last = /epoch 6: .*labels only ([\d.]+) %, distilled ([\d.]+) %/.exec(out)!;
    expect(Number(last[1])).toBeGreaterThanOrEqual(80);
    expect(Number(last[2])).toBeGreaterThanOrEqual(80);
  });

  it("worker-losses: workers sharing one compiled module give the one-call mean", () => {
    const out = runExample("worker-losses.mjs", ["--rows", "1000", "--classes", "100", "--workers", "3"]);
    const [fromWorkers, single] = [...out.matchAll(/mean loss .*?: +([\d.]+)/g)].map((m) => Number(m[1]));
    expect(fromWorkers).toBeCloseTo(single, 6);
    expect(out).toMatch(/3 workers sharing one compiled module/);
  });
});
