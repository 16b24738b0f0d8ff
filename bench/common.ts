// What every table uses: seeded logits, timing by medians of rounds, number formatting.
import { Bench } from "tinybench";

/** Seeded standard normals (logits of a trained-ish classifier are O(1)–O(10)). */
export function logitsFor(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = 3 * Math.sqrt(-2 * Math.log(next()));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/**
 * Runs the tasks with tinybench and returns each one's median time per call in microseconds
 * (a task that produced no result is left out).
 */
export async function medianMicroseconds(
  tasks: Record<string, () => unknown> | Map<string, () => unknown>,
  options: ConstructorParameters<typeof Bench>[0],
): Promise<Record<string, number>> {
  const bench = new Bench({ ...options, throws: true });
  for (const [name, fn] of tasks instanceof Map ? tasks : Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const us: Record<string, number> = {};
  for (const task of bench.tasks) {
    const result = task.result;
    if (result && "latency" in result) us[task.name] = result.latency.p50 * 1000;
  }
  return us;
}

export const fmt = (v: number | undefined) => (v === undefined ? "—" : v >= 100 ? v.toFixed(0) : v.toFixed(1));

export const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(1)}x` : "—");
