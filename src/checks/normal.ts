// Checks and option types of normal (shared by ops/normal.ts and the reference).

export interface NormalPdfOptions {
  /** Mean μ (finite). Default 0. */
  mean?: number;
  /** Standard deviation σ (finite, > 0). Default 1. */
  std?: number;
  /** Output buffer (a Float32Array of x's length); may be `x` itself. */
  out?: Float32Array;
}

export type DensityFunction = (x: Float32Array, options?: NormalPdfOptions) => Float32Array;
