// The normal distribution's log density and density (torch.distributions.Normal.log_prob and
// its exp), element by element, in float64 inside.
import { defineOp, type Op } from "../engine/op.js";
import { returned } from "../engine/execute.js";
import { checkMeanStd } from "../checks/random.js";
import { checkFloat32, checkOut } from "../checks/arrays.js";
import { readOptions } from "../checks/describe.js";
import type { DensityFunction } from "../checks/normal.js";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function densityOp(name: string, density: 0 | 1) {
  return defineOp<DensityFunction>(name, function* ({ fn }, x, options): Op<Float32Array> {
    const o = readOptions(fn, options, ["mean", "std", "out"]);
    const values = checkFloat32(fn, "x", x);
    const [mean, std] = checkMeanStd(fn, o.mean, o.std);
    if (!(std > 0)) throw new RangeError(`${fn}: std must be a finite number > 0, got ${std}`);
    const out = checkOut(fn, o.out, values.length);
    const result = out ?? new Float32Array(values.length);
    const logNorm = Math.log(std) + LOG_SQRT_2PI;
    const [final] = yield {
      fn,
      rows: values.length,
      inputs: [{ name: "x", view: values, perRow: 1 }],
      // Element by element: the output may be x itself.
      outputs: [{ name: "out", view: result, perRow: 1, inPlaceOf: 0, own: out === null }],
      export: "normalLogPdfArray",
      args: (at, _first, count) => [at.inputs[0], at.outputs[0], count, mean, std, logNorm, density],
    };
    return out ? returned(o.out, out, final) : (final as Float32Array);
  });
}

const normalLogPdfOp = densityOp("normalLogPdf", 0);
const normalPdfOp = densityOp("normalPdf", 1);

/** log N(x; mean, std²) for each x: −(x − μ)²/(2σ²) − log σ − ½ log 2π. */
export const normalLogPdf: DensityFunction = normalLogPdfOp.sync;

/** N(x; mean, std²) for each x (the exp of normalLogPdf; 0 once it underflows). */
export const normalPdf: DensityFunction = normalPdfOp.sync;

/** normalLogPdf, as an async call (engine/op.ts). */
export const normalLogPdfAsync = normalLogPdfOp.async;

/** normalPdf, as an async call (engine/op.ts). */
export const normalPdfAsync = normalPdfOp.async;
