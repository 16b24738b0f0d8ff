// The examples in examples/ run as users would run them (node, importing "probkernels", which
// resolves to this package's own build), so they never rot. Their output is checked for what
// each promises.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const repo = new URL("../..", import.meta.url).pathname;

function runExample(file: string, args: string[] = []): string {
  const result = spawnSync(process.execPath, [`examples/${file}`, ...args], {
    cwd: repo,
    encoding: "utf8",
    timeout: 120_000,
  });
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

  it("text-sampling: seeded text is reproducible, replays from a saved state, and the filters narrow the choice", () => {
    const out = runExample("text-sampling.mjs");
    expect(runExample("text-sampling.mjs")).toBe(out);
    expect(out).toMatch(/replayed from a saved state: identical/);
    const h = Object.fromEntries(
      [...out.matchAll(/^(.+) \(mean entropy ([\d.]+) nats per step\)/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(h["greedy (temperature 0)"]).toBe(0);
    expect(h["temperature 1, top-p 0.9"]).toBeLessThan(h["temperature 1, no filter"]);
    expect(h["temperature 0.7, top-k 5"]).toBeLessThan(h["temperature 1, top-p 0.9"]);
    // Another seed: other sampled text, the same greedy text.
    const other = runExample("text-sampling.mjs", ["--seed", "7"]);
    const texts = (o: string) => [...o.matchAll(/nats per step\):\n {2}(.*)/g)].map((m) => m[1]);
    expect(texts(other)[0]).toBe(texts(out)[0]);
    expect(texts(other)[1]).not.toBe(texts(out)[1]);
  });

  it("worker-losses: workers sharing one compiled module give the one-call mean", () => {
    const out = runExample("worker-losses.mjs", ["--rows", "1000", "--classes", "100", "--workers", "3"]);
    const [fromWorkers, single] = [...out.matchAll(/mean loss .*?: +([\d.]+)/g)].map((m) => Number(m[1]));
    expect(fromWorkers).toBeCloseTo(single, 6);
    expect(out).toMatch(/3 workers sharing one compiled module/);
  });

  it("sharded-head: a head split across two workers gives the one-call loss and gradients", () => {
    const out = runExample("sharded-head.mjs", ["--rows", "8", "--features", "32", "--classes", "5001"]);
    const m = /loss: sharded ([\d.]+), one call ([\d.]+)/.exec(out)!;
    expect(Math.abs(Number(m[1]) - Number(m[2]))).toBeLessThan(1e-5);
    const g = /gradHidden max \|diff\| ([\d.e+-]+), gradWeight max \|diff\| ([\d.e+-]+)/.exec(out)!;
    expect(Number(g[1])).toBeLessThan(1e-6);
    expect(Number(g[2])).toBeLessThan(1e-6);
  });
});
