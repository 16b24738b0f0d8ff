// KL divergence, exactly torch.nn.functional.kl_div: `input` holds log-probabilities, `target`
// probabilities (or log-probabilities with logTarget), both rows × classes; the loss and d loss /
// d input. Reductions: "mean" (PyTorch's default: over every element), "batchmean" (over rows:
// the mathematical KL divergence per sample), "sum", "none" (every element).
import type { CallContext, Op } from "../engine/op.js";
import { lossOps } from "./loss-ops.js";
import { sumRows } from "./reduce.js";
import type { RowOperand, RowOutput } from "../engine/execute.js";
import { SCRATCH_BYTES } from "../engine/wasm.js";
import {
  type KlDivBackwardOptions,
  type KlDivFunction,
  type KlDivWithGradFunction,
  type KlArgs,
  checkKlArgs,
  klDivisor,
} from "../checks/kl.js";

function* lossRows(
  { fn, frame }: CallContext,
  args: KlArgs,
  wantGrad: boolean,
): Op<{ loss: number | Float32Array; grad: Float32Array }> {
  const { rows, classes: cols, reduction } = args;
  const n = rows * cols;
  const rowLoss = frame.float64.take(rows);
  const none = reduction === "none";
  const pointwiseOut = !wantGrad && none ? args.out : null;
  const pointwise = none ? (pointwiseOut ?? new Float32Array(n)) : null;
  const grad = wantGrad ? (args.out ?? new Float32Array(n)) : null;
  const divisor = klDivisor(args);
  const perElement = typeof args.gradOutput !== "number";
  let scale: number | Float32Array = 0;
  if (wantGrad) {
    if (typeof args.gradOutput === "number") scale = args.gradOutput / divisor;
    else scale = args.gradOutput; // reduction "none": divisor 1
  }
  const inputs: RowOperand[] = [
    { name: "input", view: args.input, perRow: cols },
    { name: "target", view: args.target, perRow: cols },
  ];
  if (perElement) inputs.push({ name: "gradOutput", view: scale as Float32Array, perRow: cols, own: true });
  const outputs: RowOutput[] = [{ name: "loss", view: rowLoss, perRow: 1, own: true }];
  if (pointwise) outputs.push({ name: "out", view: pointwise, perRow: cols, inPlaceOf: 0, own: pointwiseOut === null });
  if (grad)
    outputs.push({
      name: "out",
      view: grad,
      perRow: cols,
      inPlaceOf: 0,
      own: args.out === null,
      accumulate: args.accumulate,
    });
  const results = yield {
    fn,
    rows,
    inputs,
    outputs,
    alsoRead: args.inputs,
    scratchBytes: SCRATCH_BYTES.klDivRows,
    export: "klDivRows",
    args(at, _first, count) {
      const p = pointwise ? at.outputs[1] : 0;
      const g = grad ? at.outputs[pointwise ? 2 : 1] : 0;
      return [
        at.inputs[0],
        at.inputs[1],
        count,
        cols,
        args.logTarget ? 1 : 0,
        at.outputs[0],
        p,
        g,
        perElement ? at.inputs[2] : 0,
        typeof scale === "number" ? scale : 0,
        at.scratch,
      ];
    },
  };
  const finalGrad = grad ? (results[pointwise ? 2 : 1] as Float32Array) : new Float32Array(0);
  if (none) return { loss: results[1] as Float32Array, grad: finalGrad };
  return { loss: sumRows(rowLoss, rows) / divisor, grad: finalGrad };
}

const ops = lossOps<
  KlDivFunction,
  (input: Float32Array, target: Float32Array, classes: number, options?: KlDivBackwardOptions) => Float32Array,
  KlDivWithGradFunction,
  KlArgs
>("klDiv", checkKlArgs, lossRows);

/** F.kl_div(input, target): the loss (a number, or the pointwise terms for reduction "none"). */
export const klDiv = ops.loss.sync;

/** d kl_div / d input (rows × classes), scaled by gradOutput. */
export const klDivBackward = ops.backward.sync;

/** The loss and d loss / d input in one pass. */
export const klDivWithGrad = ops.withGrad.sync;

/** klDiv, as an async call (engine/op.ts). */
export const klDivAsync = ops.loss.async;

/** klDivBackward, as an async call. */
export const klDivBackwardAsync = ops.backward.async;

/** klDivWithGrad, as an async call. */
export const klDivWithGradAsync = ops.withGrad.async;
