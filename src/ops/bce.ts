// Binary cross-entropy with logits (PyTorch F.binary_cross_entropy_with_logits) for
// multi-label classification: every element of logits [rows, classes] is an independent
// binary prediction of target in [0, 1]. `weight` per element (rows × classes) or per column
// (classes), `posWeight` per column; reductions "mean" (over every element), "sum", "none".
import type { CallContext, Op } from "../engine/op.js";
import { lossOps } from "./loss-ops.js";
import { sumRows } from "./reduce.js";
import type { RowOperand, RowOutput } from "../engine/execute.js";
import { SCRATCH_BYTES } from "../engine/wasm.js";
import {
  type BceWithLogitsBackwardOptions,
  type BceWithLogitsFunction,
  type BceWithLogitsWithGradFunction,
  type BceArgs,
  checkBceArgs,
} from "../checks/bce.js";

function* lossRows(
  { fn, frame }: CallContext,
  args: BceArgs,
  wantGrad: boolean,
): Op<{ loss: number | Float32Array; grad: Float32Array }> {
  const { rows, classes: cols, reduction } = args;
  const n = rows * cols;
  const rowLoss = frame.float64.take(rows);
  const none = reduction === "none";
  const pointwiseOut = !wantGrad && none ? args.out : null;
  const pointwise = none ? (pointwiseOut ?? new Float32Array(n)) : null;
  const grad = wantGrad ? (args.out ?? new Float32Array(n)) : null;
  const divisor = reduction === "mean" ? n : 1;
  const perElementGrad = typeof args.gradOutput !== "number";
  const inputs: RowOperand[] = [
    { name: "logits", view: args.logits, perRow: cols },
    { name: "target", view: args.target, perRow: cols },
  ];
  if (args.weightElem) inputs.push({ name: "weight", view: args.weightElem, perRow: cols, own: true });
  if (perElementGrad)
    inputs.push({ name: "gradOutput", view: args.gradOutput as Float32Array, perRow: cols, own: true });
  const fixed = [];
  if (args.weightCol) fixed.push({ name: "weight", view: args.weightCol });
  if (args.posWeight) fixed.push({ name: "posWeight", view: args.posWeight });
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
  const scalar = wantGrad && typeof args.gradOutput === "number" ? args.gradOutput / divisor : 0;
  const results = yield {
    fn,
    rows,
    inputs,
    outputs,
    fixed,
    alsoRead: args.inputs,
    scratchBytes: SCRATCH_BYTES.bceWithLogitsRows,
    export: "bceWithLogitsRows",
    args(at, _first, count) {
      let next = 2;
      const we = args.weightElem ? at.inputs[next++] : 0;
      const gs = perElementGrad ? at.inputs[next++] : 0;
      const wc = args.weightCol ? at.fixed[0] : 0;
      const pw = args.posWeight ? at.fixed[args.weightCol ? 1 : 0] : 0;
      return [
        at.inputs[0],
        at.inputs[1],
        count,
        cols,
        we,
        wc,
        pw,
        at.outputs[0],
        pointwise ? at.outputs[1] : 0,
        grad ? at.outputs[pointwise ? 2 : 1] : 0,
        gs,
        scalar,
        at.scratch,
      ];
    },
  };
  const finalGrad = grad ? (results[pointwise ? 2 : 1] as Float32Array) : new Float32Array(0);
  if (none) return { loss: results[1] as Float32Array, grad: finalGrad };
  return { loss: sumRows(rowLoss, rows) / divisor, grad: finalGrad };
}

const ops = lossOps<
  BceWithLogitsFunction,
  (logits: Float32Array, target: Float32Array, classes: number, options?: BceWithLogitsBackwardOptions) => Float32Array,
  BceWithLogitsWithGradFunction,
  BceArgs
>("binaryCrossEntropyWithLogits", checkBceArgs, lossRows);

/** F.binary_cross_entropy_with_logits(logits, target): the loss (or the losses per element for "none"). */
export const binaryCrossEntropyWithLogits = ops.loss.sync;

/** d loss / d logits (rows × classes), scaled by gradOutput. */
export const binaryCrossEntropyWithLogitsBackward = ops.backward.sync;

/** The loss and d loss / d logits in one pass. */
export const binaryCrossEntropyWithLogitsWithGrad = ops.withGrad.sync;

/** binaryCrossEntropyWithLogits, as an async call (engine/op.ts). */
export const binaryCrossEntropyWithLogitsAsync = ops.loss.async;

/** binaryCrossEntropyWithLogitsBackward, as an async call. */
export const binaryCrossEntropyWithLogitsBackwardAsync = ops.backward.async;

/** binaryCrossEntropyWithLogitsWithGrad, as an async call. */
export const binaryCrossEntropyWithLogitsWithGradAsync = ops.withGrad.async;
