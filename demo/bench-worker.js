// The in-browser benchmark runs here, off the page's main thread, so the page stays responsive.
// It uses probkernels/core with the module the page compiled (nothing is compiled again).
import { initSync, randomNormal, softmax, crossEntropyWithGrad } from "../dist/core.js";
import * as reference from "../dist/reference/index.js";

/** Million elements per second of fn over about 300 ms. */
function time(fn, elements) {
  fn();
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < 300) { fn(); runs++; }
  return (elements * runs) / ((performance.now() - start) * 1000);
}

self.onmessage = ({ data }) => {
  initSync({ module: data.module });
  const rows = [];
  for (const [r, c] of [[512, 1000], [8192, 10], [4, 32000]]) {
    const x = randomNormal(r * c, { seed: 1, std: 3 });
    const labels = Int32Array.from({ length: r }, (_, i) => i % c);
    const out = new Float32Array(r * c);
    for (const [name, run] of [
      ["softmax", (m) => () => m.softmax(x, c, { out })],
      ["crossEntropyWithGrad", (m) => () => m.crossEntropyWithGrad(x, labels, c, { out })],
    ]) {
      rows.push({ label: `${r}×${c} ${name}`, pk: time(run({ softmax, crossEntropyWithGrad }), r * c), ref: time(run(reference), r * c) });
      self.postMessage({ progress: rows.length });
    }
  }
  self.postMessage({ rows });
};
