// The linear layer (nn.Linear: out = input · weightᵀ + bias) and its backward, as wasm SIMD matrix
// products. Each product runs as one kernel call over whole operands: every operand is staged
// (or used in place, when it lives in wasm memory) in one piece, and the kernel blocks it for
// the caches itself.
import type { RowOperand, RowOutput } from "../engine/call.js";
import { returned } from "../engine/execute.js";
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
  const inputs = [whole("input", a.input), whole("weight", a.weight)];
  if (a.bias) inputs.push(whole("bias", a.bias));
  const [final] = yield {
    fn,
    rows: 1,
    inputs,
    outputs: [{ name: "out", view: out, perRow: n, own: a.out === null, accumulate: a.accumulate }],
    export: "linearForward",
    args: (at) => [
      at.inputs[0],
      at.inputs[1],
      a.bias ? at.inputs[2] : 0,
      at.outputs[0],
      a.rows,
      a.inFeatures,
      a.outFeatures,
      0,
    ],
  };
  return returned<Float32Array>(a.outGiven, out, final);
});

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
  function* ({ fn }, gradOutput, input, weight, inFeatures, options): Op<LinearGradients> {
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
    const g = whole("gradOutput", a.gradOutput);
    if (gradInput !== null && rows > 0) {
      [gradInput] = (yield {
        fn,
        rows: 1,
        inputs: [g, whole("weight", a.weight)],
        outputs: [gradientOutput("gradInput", a.gradInput, gradInput, a.accumulate)],
        alsoRead: alsoRead.filter((v) => v.name !== "gradInput"),
        scratchBytes: packBytes(outF),
        export: "gemmBroadcast",
        args: (at) => [at.inputs[0], outF, 1, at.inputs[1], inF, at.outputs[0], inF, rows, outF, inF, 0, at.scratch, 0],
      }) as Float32Array[];
    }
    if (gradWeight !== null) {
      if (rows === 0) {
        if (!a.accumulate) gradWeight.fill(0);
      } else {
        [gradWeight] = (yield {
          fn,
          rows: 1,
          inputs: [g, whole("input", a.input)],
          outputs: [gradientOutput("gradWeight", a.gradWeight, gradWeight, a.accumulate)],
          alsoRead: alsoRead.filter((v) => v.name !== "gradWeight"),
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
          inputs: [g],
          outputs: [gradientOutput("gradBias", a.gradBias, gradBias, a.accumulate)],
          alsoRead: alsoRead.filter((v) => v.name !== "gradBias"),
          export: "columnSums",
          args: (at) => [at.inputs[0], rows, outF, at.outputs[0], 0],
        }) as Float32Array[];
      }
    }
    return {
      gradInput: gradInput && returned<Float32Array>(a.gradInput.given, a.gradInput.view ?? gradInput, gradInput),
      gradWeight: gradWeight && returned<Float32Array>(a.gradWeight.given, a.gradWeight.view ?? gradWeight, gradWeight),
      gradBias: gradBias && returned<Float32Array>(a.gradBias.given, a.gradBias.view ?? gradBias, gradBias),
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
