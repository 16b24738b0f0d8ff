// Checks and option types of nll (shared by ops/nll.ts and the reference).
import type { CrossEntropyBaseOptions, CrossEntropyTarget, LossAndGrad } from "./crossentropy.js";
import type { Reduction } from "./scalars.js";

/** nllLoss's options. */
export interface NllLossOptions extends Omit<CrossEntropyBaseOptions, "labelSmoothing" | "temperature"> {
  /** "mean" (default: Σ l / Σ w[y] over non-ignored rows), "sum" or "none". */
  reduction?: Reduction;
  /** Buffer for the per-row losses (reduction "none" only). */
  out?: Float32Array;
}

/** nllLossBackward's and nllLossWithGrad's options. */
export interface NllLossBackwardOptions extends Omit<CrossEntropyBaseOptions, "labelSmoothing" | "temperature"> {
  reduction?: Reduction;
  /** Upstream gradient: a number, or one value per row with reduction "none". Default 1. */
  gradOutput?: number | Float32Array | Float64Array | readonly number[];
  /** Buffer for the gradient (rows × classes); may be `input` itself. */
  out?: Float32Array;
  /** Add the gradient into `out` (which must be given) instead of overwriting it: two losses, one buffer. */
  accumulate?: boolean;
}

export type Target = Exclude<CrossEntropyTarget, Float32Array>;

export interface NllLossFunction {
  (input: Float32Array, target: Target, classes: number, options: NllLossOptions & { reduction: "none" }): Float32Array;
  (
    input: Float32Array,
    target: Target,
    classes: number,
    options?: Omit<NllLossOptions, "reduction" | "out"> & { reduction?: "mean" | "sum" },
  ): number;
  (input: Float32Array, target: Target, classes: number, options?: NllLossOptions): number | Float32Array;
}

export interface NllLossWithGradFunction {
  (
    input: Float32Array,
    target: Target,
    classes: number,
    options: NllLossBackwardOptions & { reduction: "none" },
  ): LossAndGrad<Float32Array>;
  (
    input: Float32Array,
    target: Target,
    classes: number,
    options?: NllLossBackwardOptions & { reduction?: "mean" | "sum" },
  ): LossAndGrad<number>;
  (input: Float32Array, target: Target, classes: number, options?: NllLossBackwardOptions): LossAndGrad;
}
