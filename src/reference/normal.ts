// Plain-TypeScript normal log density and density, float64: the oracle for the kernel.
import type { NormalPdfOptions } from "../checks/normal.js";
import { checkMeanStd } from "../checks/random.js";
import { checkFloat32 } from "../checks/arrays.js";
import { readOptions } from "../checks/describe.js";

function run(fn: string, x: Float32Array, options: NormalPdfOptions | undefined, density: boolean): Float32Array {
  const o = readOptions(fn, options, ["mean", "std", "out"]);
  const values = checkFloat32(fn, "x", x);
  const [mean, std] = checkMeanStd(fn, o.mean, o.std);
  if (!(std > 0)) throw new RangeError(`${fn}: std must be a finite number > 0, got ${std}`);
  const out = (o.out as Float32Array | undefined) ?? new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] - mean) / std;
    const logPdf = -0.5 * d * d - Math.log(std) - 0.5 * Math.log(2 * Math.PI);
    out[i] = density ? Math.exp(logPdf) : logPdf;
  }
  return out;
}

export function normalLogPdf(x: Float32Array, options?: NormalPdfOptions): Float32Array {
  return run("normalLogPdf", x, options, false);
}

export function normalPdf(x: Float32Array, options?: NormalPdfOptions): Float32Array {
  return run("normalPdf", x, options, true);
}
