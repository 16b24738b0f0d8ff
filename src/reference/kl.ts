// Plain-TypeScript kl_div in float64, term by term as PyTorch writes it: the oracle for the kernel.
import {
  checkKlArgs,
  klDivisor,
  type KlDivBackwardOptions,
  type KlDivFunction,
  type KlDivWithGradFunction,
} from "../checks/kl.js";
import { checkNoOverlap } from "../checks/overlap.js";

function compute(fn: string, args: ReturnType<typeof checkKlArgs>, wantGrad: boolean) {
  // accumulate: the gradient is added to what `out` held (kept here before it is written).
  const held = args.accumulate && args.out ? args.out.slice() : null;
  const n = args.rows * args.classes;
  const out = args.out ?? new Float32Array(n);
  checkNoOverlap(fn, [{ name: "out", view: out, inPlaceOf: args.input }], args.inputs);
  const terms = new Float64Array(n);
  const grad = wantGrad ? out : new Float32Array(0);
  const divisor = klDivisor(args);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = args.input[i],
      t = args.target[i];
    // xlogy(t, t) is 0 at t = 0; 0·x is still NaN for x = −Infinity, as in PyTorch.
    terms[i] = args.logTarget ? Math.exp(t) * (t - x) : (t === 0 ? 0 : t * Math.log(t)) - t * x;
    total += terms[i];
  }
  if (wantGrad) {
    for (let i = 0; i < n; i++) {
      const k = typeof args.gradOutput === "number" ? args.gradOutput / divisor : args.gradOutput[i];
      grad[i] = (args.logTarget ? -Math.exp(args.target[i]) : -args.target[i]) * k;
    }
  }
  let loss: number | Float32Array = total / divisor;
  if (args.reduction === "none") {
    loss = wantGrad ? Float32Array.from(terms) : ((args.outGiven as Float32Array | undefined) ?? out);
    if (!wantGrad) out.set(terms);
  }
  if (held && wantGrad) for (let i = 0; i < held.length; i++) grad[i] += held[i];
  return { loss, grad: wantGrad ? ((args.outGiven as Float32Array | undefined) ?? grad) : grad };
}

export const klDiv: KlDivFunction = function klDiv(
  input: Float32Array,
  target: Float32Array,
  classes: number,
  options?: unknown,
): never {
  return compute("klDiv", checkKlArgs("klDiv", input, target, classes, options, false), false).loss as never;
};

export function klDivBackward(
  input: Float32Array,
  target: Float32Array,
  classes: number,
  options?: KlDivBackwardOptions,
): Float32Array {
  return compute("klDivBackward", checkKlArgs("klDivBackward", input, target, classes, options, true), true).grad;
}

export const klDivWithGrad: KlDivWithGradFunction = function klDivWithGrad(
  input: Float32Array,
  target: Float32Array,
  classes: number,
  options?: unknown,
): never {
  return compute("klDivWithGrad", checkKlArgs("klDivWithGrad", input, target, classes, options, true), true) as never;
};
