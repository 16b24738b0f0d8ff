import * as pk from "../src/index.js";
import { requireRuntime } from "../src/runtime.js";
const build = (process.argv[2] ?? "relaxed-simd") as pk.BuildName;
await pk.init({ build, arenaBytes: 64 << 20 });
const rt = requireRuntime("x");
const shapes = [[4096, 1000], [65536, 10], [8, 128256]];
function time(f: () => void, elems: number) {
  for (let i = 0; i < 5; i++) f();
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 400) { f(); n++; }
  return ((elems * n) / ((performance.now() - t0) * 1000)).toFixed(0);
}
for (const [r, c] of shapes) {
  const plan = rt.arena.plan(r, [], [c * 4, c * 4, 4, 8]);
  const [a, b, lab, loss] = plan.perRow;
  const x = rt.arena.f32.subarray(a >> 2, (a >> 2) + r * c);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i) * 5;
  const xs = x.slice();
  rt.arena.i32.fill(0, lab >> 2, (lab >> 2) + r);
  const k = rt.kernels;
  console.log(`${r}x${c}`, build,
    "softmax(a->b)", time(() => k.softmaxRows(a, b, r, c, 1), r * c),
    "lse", time(() => k.logSumExpRows(a, b, r, c, 1), r * c),
    "ce fwd", time(() => k.crossEntropyHardRows(a, lab, r, c, 1, 0, c, -100, 0, loss, 0, 0, 1), r * c),
    "ce+grad(a->b)", time(() => k.crossEntropyHardRows(a, lab, r, c, 1, 0, c, -100, 0, loss, b, 0, 1), r * c),
    "api softmax", time(() => pk.softmax(xs, c, { out: xs }), r * c),
  );
}
