// The linear layer (nn.Linear: out = input · weightᵀ + bias) and its backward, as wasm SIMD matrix
// products. The products over rows (the forward, gradInput) are row calls with the weights as a
// fixed operand: chunks of hundreds of rows, split across threads on a threaded runtime. The
// product over the batch (gradWeight) and the column sums run as one call over whole operands.
import type { RowOperand, RowOutput } from "../engine/call.js";
import { keepView, returned } from "../engine/execute.js";
import { defineOp, type Op } from "../engine/op.js";
import {
  checkLinearArgs,
  checkLinearBackwardArgs,
  type GradientSlot,
  type LinearBackwardOptions,
  type LinearGradients,
  type LinearOptions,
} from "../checks/linear.js";
import { checkNoOverlap, type NamedView } from "../checks/overlap.js";

export type { LinearBackwardOptions, LinearGradients, LinearOptions };

/** An operand staged whole: the call has one "row", the array. */
export const whole = (name: string, view: Float32Array | Int32Array | Float64Array, own = false): RowOperand => ({
  name,
  view,
  perRow: view.length,
  own,
});

type LinearFunction = (
  input: Float32Array,
  weight: Float32Array,
  inFeatures: number,
  options?: LinearOptions,
) => Float32Array;
type LinearBackwardFunction = (
  gradOutput: Float32Array,
  input: Float32Array,
  weight: Float32Array,
  inFeatures: number,
  options?: LinearBackwardOptions,
) => LinearGradients;

const linearOp = defineOp<LinearFunction>("linear", function* ({ fn }, input, weight, inFeatures, options) {
  const a = checkLinearArgs(fn, input, weight, inFeatures, options);
  const n = a.rows * a.outFeatures;
  const out = a.out ?? new Float32Array(n);
  if (n === 0) return returned<Float32Array>(a.outGiven, out, out);
  const fixed = [{ name: "weight", view: a.weight }];
  if (a.bias) fixed.push({ name: "bias", view: a.bias });
  const { rows, inFeatures: inF, outFeatures: outF } = a;
  // Rows are independent (each output has one sequence of operations): chunks of rows, or
  // shares of them on threads, give the same bits.
  const [final] = yield {
    fn,
    rows,
    inputs: [{ name: "input", view: a.input, perRow: inF }],
    fixed,
    outputs: [{ name: "out", view: out, perRow: outF, own: a.out === null, accumulate: a.accumulate }],
    stagingBytes: GEMM_STAGING_BYTES,
    export: "linearForward",
    args: (at, _first, count) => [
      at.inputs[0],
      at.fixed[0],
      a.bias ? at.fixed[1] : 0,
      at.outputs[0],
      count,
      inF,
      outF,
      0,
    ],
  };
  return returned<Float32Array>(a.outGiven, out, final);
});

/** Rows a product's chunk may stage: its weights are read once per chunk, so chunks of hundreds of rows. */
const GEMM_STAGING_BYTES = 4 << 20;

/** Scratch for gemmBroadcast's packed column strips of B (inner rows × 16 floats). */
const packBytes = (inner: number) => inner * 64;

/** A gradient's array: the caller's buffer, a new one, or null when skipped. */
const gradientArray = (slot: GradientSlot, length: number) =>
  slot.skip ? null : (slot.view ?? new Float32Array(length));

/** A gradient output of a whole-operand call. */
export const gradientOutput = (
  name: string,
  slot: GradientSlot,
  view: Float32Array,
  accumulate: boolean,
): RowOutput => ({
  ...whole(name, view, slot.view === null),
  accumulate: accumulate && slot.view !== null,
});

const linearBackwardOp = defineOp<LinearBackwardFunction>(
  "linearBackward",
  function* ({ fn, rt }, gradOutput, input, weight, inFeatures, options): Op<LinearGradients> {
    const a = checkLinearBackwardArgs(fn, gradOutput, input, weight, inFeatures, options);
    const { rows, inFeatures: inF, outFeatures: outF } = a;
    let gradInput = gradientArray(a.gradInput, rows * inF);
    let gradWeight = gradientArray(a.gradWeight, outF * inF);
    let gradBias = gradientArray(a.gradBias, outF);
    const read: NamedView[] = [
      { name: "gradOutput", view: a.gradOutput },
      { name: "input", view: a.input },
      { name: "weight", view: a.weight },
    ];
    // The three products run one after another: no gradient buffer may overlap an array a later one reads.
    const given: NamedView[] = [];
    if (a.gradInput.view) given.push({ name: "gradInput", view: a.gradInput.view });
    if (a.gradWeight.view) given.push({ name: "gradWeight", view: a.gradWeight.view });
    if (a.gradBias.view) given.push({ name: "gradBias", view: a.gradBias.view });
    checkNoOverlap(fn, given, read);
    const alsoRead = [...read, ...given];
    // Three calls in turn: a call may grow wasm memory, which detaches views of it made before,
    // so each call takes the caller's arrays afresh (keepView), in its operands and overlap list.
    const keepers = new Map<ArrayBufferView, () => Float32Array>();
    for (const v of [...read, ...given]) keepers.set(v.view, keepView(rt, v.view as Float32Array));
    const now = <T extends Float32Array | null>(view: T): T =>
      (view && keepers.has(view) ? keepers.get(view)!() : view) as T;
    const fresh = (views: NamedView[]) => views.map((v) => ({ name: v.name, view: now(v.view as Float32Array) }));
    const gradOutputNow = () => now(a.gradOutput),
      inputNow = () => now(a.input),
      weightNow = () => now(a.weight);
    if (gradInput !== null && rows > 0) {
      [gradInput] = (yield {
        fn,
        rows,
        inputs: [{ name: "gradOutput", view: gradOutputNow(), perRow: outF }],
        fixed: [{ name: "weight", view: weightNow() }],
        outputs: [{ ...gradientOutput("gradInput", a.gradInput, gradInput, a.accumulate), perRow: inF }],
        alsoRead: fresh(alsoRead.filter((v) => v.name !== "gradInput")),
        stagingBytes: GEMM_STAGING_BYTES,
        scratchBytes: packBytes(outF),
        export: "gemmBroadcast",
        args: (at, _first, count) => [
          at.inputs[0],
          outF,
          1,
          at.fixed[0],
          inF,
          at.outputs[0],
          inF,
          count,
          outF,
          inF,
          0,
          at.scratch,
          0,
        ],
      }) as Float32Array[];
    }
    if (gradWeight !== null) {
      if (rows === 0) {
        if (!a.accumulate) gradWeight.fill(0);
      } else {
        [gradWeight] = (yield {
          fn,
          rows: 1,
          inputs: [whole("gradOutput", gradOutputNow()), whole("input", inputNow())],
          outputs: [gradientOutput("gradWeight", a.gradWeight, now(gradWeight), a.accumulate)],
          alsoRead: fresh(alsoRead.filter((v) => v.name !== "gradWeight")),
          // The packed strips, then gradOutput transposed (outF × rows).
          scratchBytes: packBytes(rows) + rows * outF * 4,
          export: "gemmBroadcast",
          args: (at) => [
            at.inputs[0],
            1,
            outF,
            at.inputs[1],
            inF,
            at.outputs[0],
            inF,
            outF,
            rows,
            inF,
            0,
            at.scratch,
            at.scratch + packBytes(rows),
          ],
        }) as Float32Array[];
      }
    }
    if (gradBias !== null) {
      if (rows === 0) {
        if (!a.accumulate) gradBias.fill(0);
      } else {
        [gradBias] = (yield {
          fn,
          rows: 1,
          inputs: [whole("gradOutput", gradOutputNow())],
          outputs: [gradientOutput("gradBias", a.gradBias, now(gradBias), a.accumulate)],
          alsoRead: fresh(alsoRead.filter((v) => v.name !== "gradBias")),
          export: "columnSums",
          args: (at) => [at.inputs[0], rows, outF, at.outputs[0], 0],
        }) as Float32Array[];
      }
    }
    // A caller's buffer as a view that survives every growth of the three calls (its own object when none).
    const result = (slot: GradientSlot, own: Float32Array | null) =>
      slot.view === null ? own : returned<Float32Array>(slot.given, slot.view, now(slot.view));
    return {
      gradInput: result(a.gradInput, gradInput),
      gradWeight: result(a.gradWeight, gradWeight),
      gradBias: result(a.gradBias, gradBias),
    };
  },
);

/**
 * out = input · weightᵀ (+ bias): input is rows × inFeatures, weight outFeatures × inFeatures
 * (nn.Linear's layout), out rows × outFeatures. `accumulate` adds into `out`.
 */
export const linear: LinearFunction = linearOp.sync;

/**
 * The gradients of `linear` given d loss / d out (rows × outFeatures): gradInput = gradOutput ·
 * weight, gradWeight = gradOutputᵀ · input, gradBias = the column sums of gradOutput. Pass a
 * buffer for any of them, or `false` to skip it; `accumulate` adds into the buffers.
 */
export const linearBackward: LinearBackwardFunction = linearBackwardOp.sync;

/** linear, as an async call. */
export const linearAsync = linearOp.async;

/** linearBackward, as an async call. */
export const linearBackwardAsync = linearBackwardOp.async;
