// The normal distribution's log density and density (torch.distributions.Normal.log_prob and
// its exp), element by element, in float64 inside.
import { runAsync, runSync, type AsyncOf, type Op } from "./ops.js";
import { returned } from "./executor.js";
import { checkMeanStd } from "./random.js";
import { requireRuntime } from "./runtime.js";
import { checkFloat32, checkOut, readOptions } from "./validate.js";

export interface NormalPdfOptions {
  /** Mean μ (finite). Default 0. */
  mean?: number;
  /** Standard deviation σ (finite, > 0). Default 1. */
  std?: number;
  /** Output buffer (a Float32Array of x's length); may be `x` itself. */
  out?: Float32Array;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function* run(fn: string, x: Float32Array, options: NormalPdfOptions | undefined, density: 0 | 1): Op<Float32Array> {
  const rt = requireRuntime(fn);
  const o = readOptions(fn, options, ["mean", "std", "out"]);
  const values = checkFloat32(fn, "x", x);
  const [mean, std] = checkMeanStd(fn, o.mean, o.std);
  if (!(std > 0)) throw new RangeError(`${fn}: std must be a finite number > 0, got ${std}`);
  const out = checkOut(fn, o.out, values.length);
  const result = out ?? new Float32Array(values.length);
  const logNorm = Math.log(std) + LOG_SQRT_2PI;
  const [final] = yield { rt, call: {
    fn,
    rows: values.length,
    inputs: [{ name: "x", view: values, perRow: 1 }],
    // Element by element: the output may be x itself.
    outputs: [{ name: "out", view: result, perRow: 1, inPlaceOf: 0, own: out === null }],
    kernel(at, _first, count) {
      rt.kernels.normalLogPdfArray(at.inputs[0], at.outputs[0], count, mean, std, logNorm, density);
      return -1;
    },
  } };
  return out ? returned(o.out, out, final) : (final as Float32Array);
}

/** log N(x; mean, std²) for each x: −(x − μ)²/(2σ²) − log σ − ½ log 2π. */
export function normalLogPdf(x: Float32Array, options?: NormalPdfOptions): Float32Array {
  return runSync(run("normalLogPdf", x, options, 0));
}

/** N(x; mean, std²) for each x (the exp of normalLogPdf; 0 once it underflows). */
export function normalPdf(x: Float32Array, options?: NormalPdfOptions): Float32Array {
  return runSync(run("normalPdf", x, options, 1));
}

/** normalLogPdf, as an async call (ops.ts). */
export const normalLogPdfAsync: AsyncOf<typeof normalLogPdf> = (x, options) => runAsync("normalLogPdfAsync", () => run("normalLogPdfAsync", x, options, 0));

/** normalPdf, as an async call (ops.ts). */
export const normalPdfAsync: AsyncOf<typeof normalPdf> = (x, options) => runAsync("normalPdfAsync", () => run("normalPdfAsync", x, options, 1));
