// Cross-entropy forward, backward and both in one fused pass (PyTorch F.cross_entropy).
// The kernel writes one f64 loss per row and, optionally, the gradient in place over the
// staged logits. Losses are reduced here in row order in float64, so the result does not
// depend on the chunk size.
import { requireRuntime, type Runtime } from "./runtime.js";
import {
  checkCrossEntropyArgs, meanDivisor,
  type CrossEntropyArgs, type CrossEntropyOptions, type LabelArray,
} from "./validate.js";

export type { CrossEntropyOptions, LabelArray };

/** Class indices (one per row) or soft targets (a Float32Array of rows × classes). */
export type CrossEntropyTarget = LabelArray | readonly number[] | Float32Array;

export interface LossAndGrad {
  /** The reduced loss, or a Float32Array of per-row losses for reduction 'none'. */
  loss: number | Float32Array;
  /** d loss / d logits, rows × classes. */
  grad: Float32Array;
}

/**
 * Per-row gradient factor k = gradOutput / D · (1/T), where D is the mean's divisor (1 for
 * 'sum' and 'none'). A number applies to every row; a Float64Array gives one per row.
 */
function gradientScale(args: CrossEntropyArgs): number | Float64Array {
  const invT = 1 / args.temperature;
  const g = args.gradOutput;
  if (typeof g !== "number") return g.map((v) => v * invT);
  return args.reduction === "mean" ? (g / meanDivisor(args)) * invT : g * invT;
}

function run(rt: Runtime, args: CrossEntropyArgs, logits: Float32Array, wantGrad: boolean): LossAndGrad {
  const { rows, classes, target, weight, reduction } = args;
  const grad = wantGrad ? args.out! : new Float32Array(0);
  const perRowLoss = reduction === "none" ? (!wantGrad && args.out ? args.out : new Float32Array(rows)) : null;
  let total = 0;

  if (rows > 0) {
    const scale = wantGrad ? gradientScale(args) : 0;
    const perRowScale = typeof scale !== "number";
    const targetBytes = target.kind === "hard" ? 4 : classes * 4;
    const plan = rt.arena.plan(
      rows,
      [weight ? classes * 4 : 0],
      [classes * 4, targetBytes, 8, perRowScale ? 4 : 0],
    );
    const [weightAt] = plan.fixed;
    const [logitsAt, targetAt, lossAt, scaleAt] = plan.perRow;
    if (weight) rt.arena.f32.set(weight, weightAt >>> 2);
    const weightSum = weight ? weight.reduce((s, w) => s + w, 0) : classes;
    const invT = Math.fround(1 / args.temperature);

    for (let r0 = 0; r0 < rows; r0 += plan.rowsPerChunk) {
      const n = Math.min(plan.rowsPerChunk, rows - r0);
      const f32 = rt.arena.f32;
      f32.set(logits.subarray(r0 * classes, (r0 + n) * classes), logitsAt >>> 2);
      if (perRowScale) f32.set((scale as Float64Array).subarray(r0, r0 + n), scaleAt >>> 2);
      const gradAt = wantGrad ? logitsAt : 0;
      const scaleArg = perRowScale ? scaleAt : 0;
      const scalar = perRowScale ? 0 : (scale as number);
      if (target.kind === "hard") {
        rt.arena.i32.set(target.labels.subarray(r0, r0 + n), targetAt >>> 2);
        rt.kernels.crossEntropyHardRows(
          logitsAt, targetAt, n, classes, invT, weight ? weightAt : 0, weightSum,
          args.ignoreIndex, args.labelSmoothing, lossAt, gradAt, scaleArg, scalar,
        );
      } else {
        f32.set(target.probabilities.subarray(r0 * classes, (r0 + n) * classes), targetAt >>> 2);
        rt.kernels.crossEntropySoftRows(
          logitsAt, targetAt, n, classes, invT, weight ? weightAt : 0, args.labelSmoothing,
          lossAt, gradAt, scaleArg, scalar,
        );
      }
      const losses = rt.arena.f64.subarray(lossAt >>> 3, (lossAt >>> 3) + n);
      if (perRowLoss) perRowLoss.set(losses, r0);
      else for (let i = 0; i < n; i++) total += losses[i];
      if (wantGrad) grad.set(f32.subarray(logitsAt >>> 2, (logitsAt >>> 2) + n * classes), r0 * classes);
    }
  }

  const loss = perRowLoss ?? (reduction === "mean" ? total / meanDivisor(args) : total);
  return { loss, grad };
}

/**
 * Cross-entropy loss of logits [rows, classes] against class indices or soft targets, with
 * PyTorch's options and semantics. Returns a number, or per-row losses for reduction 'none'.
 */
export function crossEntropy(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): number | Float32Array {
  const rt = requireRuntime("crossEntropy");
  const args = checkCrossEntropyArgs("crossEntropy", logits, target, classes, options, false);
  return run(rt, args, logits, false).loss;
}

/** d loss / d logits (rows × classes), scaled by gradOutput (default 1). */
export function crossEntropyBackward(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): Float32Array {
  const rt = requireRuntime("crossEntropyBackward");
  const args = checkCrossEntropyArgs("crossEntropyBackward", logits, target, classes, options, true);
  return run(rt, args, logits, true).grad;
}

/** Loss and gradient in one fused pass over the logits. */
export function crossEntropyWithGrad(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): LossAndGrad {
  const rt = requireRuntime("crossEntropyWithGrad");
  const args = checkCrossEntropyArgs("crossEntropyWithGrad", logits, target, classes, options, true);
  return run(rt, args, logits, true);
}
