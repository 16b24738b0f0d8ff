// Cross-entropy forward, backward and both in one fused pass (PyTorch F.cross_entropy).
// The kernel writes one f64 loss per row and, optionally, the gradient in place over the
// staged logits. Losses are reduced here in row order in float64, so the result does not
// depend on the chunk size.
import { requireRuntime, type Runtime } from "./runtime.js";
import { rejectDetached } from "./workspace.js";
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
  if (args.reduction !== "mean") return g * invT;
  // D = 0 with rows left (their weights are all 0): PyTorch's backward divides 0 by 0 and the
  // NaN spreads over those rows; ignored rows stay exactly 0 either way (the kernel zeroes them).
  const divisor = meanDivisor(args);
  return divisor === 0 ? NaN : (g / divisor) * invT;
}

function run(rt: Runtime, args: CrossEntropyArgs, logits: Float32Array, wantGrad: boolean): LossAndGrad {
  const { rows, classes, target, weight, reduction } = args;
  let grad = wantGrad ? args.out! : new Float32Array(0);
  let perRowLoss = reduction === "none" ? (!wantGrad && args.out ? args.out : new Float32Array(rows)) : null;
  let total = 0;

  if (rows > 0) {
    const arena = rt.arena;
    const scale = wantGrad ? gradientScale(args) : 0;
    const perRowScale = typeof scale !== "number";
    // Arrays in wasm memory (allocFloat32 / allocInt32) are used in place.
    const logitsDirect = arena.holds(logits);
    const gradDirect = wantGrad && arena.holds(grad);
    const targetArray = target.kind === "hard" ? target.labels : target.probabilities;
    const targetDirect = arena.holds(targetArray);
    // Without a direct input, logits are staged into the gradient's place and the kernel
    // overwrites them with the gradient: in the caller's wasm-resident `out`, or in the arena.
    const stageIntoGrad = !logitsDirect && gradDirect;
    // Addresses are taken before planning: if the plan grows memory, the views detach.
    const logitsPtr = logits.byteOffset;
    const gradPtr = grad.byteOffset;
    const targetPtr = targetArray.byteOffset;
    const lossDirect = perRowLoss !== null && arena.holds(perRowLoss);
    const lossPtr = perRowLoss?.byteOffset ?? 0;
    const plan = arena.plan(
      rows,
      [weight ? classes * 4 : 0],
      [
        logitsDirect || stageIntoGrad ? 0 : classes * 4,
        logitsDirect && wantGrad && !gradDirect ? classes * 4 : 0,
        targetDirect ? 0 : target.kind === "hard" ? 4 : classes * 4,
        8,
        perRowScale ? 4 : 0,
      ],
    );
    if (gradDirect) grad = arena.reattach(grad, gradPtr, rows * classes);
    if (lossDirect) perRowLoss = arena.reattach(perRowLoss!, lossPtr, rows);
    const [weightAt] = plan.fixed;
    const [logitsAt, gradAt, targetAt, lossAt, scaleAt] = plan.perRow;
    if (weight) arena.f32.set(weight, weightAt >>> 2);
    const weightSum = weight ? weight.reduce((s, w) => s + w, 0) : classes;
    const invT = Math.fround(1 / args.temperature);
    const perRowTarget = target.kind === "hard" ? 1 : classes;

    for (let r0 = 0; r0 < rows; r0 += plan.rowsPerChunk) {
      const n = Math.min(plan.rowsPerChunk, rows - r0);
      const gradOut = gradPtr + r0 * classes * 4;
      let x: number;
      if (logitsDirect) x = logitsPtr + r0 * classes * 4;
      else {
        const chunk = logits.subarray(r0 * classes, (r0 + n) * classes);
        if (stageIntoGrad) { grad.set(chunk, r0 * classes); x = gradOut; }
        else { arena.f32.set(chunk, logitsAt >>> 2); x = logitsAt; }
      }
      const g = !wantGrad ? 0 : gradDirect ? gradOut : logitsDirect ? gradAt : x;

      let t: number;
      if (targetDirect) t = targetPtr + r0 * perRowTarget * 4;
      else {
        const targetChunk = targetArray.subarray(r0 * perRowTarget, (r0 + n) * perRowTarget);
        (target.kind === "hard" ? arena.i32 : arena.f32).set(targetChunk, targetAt >>> 2);
        t = targetAt;
      }
      if (perRowScale) arena.f32.set((scale as Float64Array).subarray(r0, r0 + n), scaleAt >>> 2);
      const scaleArg = perRowScale ? scaleAt : 0;
      const scalar = perRowScale ? 0 : (scale as number);
      if (target.kind === "hard") {
        rt.kernels.crossEntropyHardRows(
          x, t, n, classes, invT, weight ? weightAt : 0, weightSum,
          args.ignoreIndex, args.labelSmoothing, lossAt, g, scaleArg, scalar,
        );
      } else {
        rt.kernels.crossEntropySoftRows(
          x, t, n, classes, invT, weight ? weightAt : 0, args.labelSmoothing,
          lossAt, g, scaleArg, scalar,
        );
      }
      const losses = arena.f64.subarray(lossAt >>> 3, (lossAt >>> 3) + n);
      if (perRowLoss) perRowLoss.set(losses, r0);
      else for (let i = 0; i < n; i++) total += losses[i];
      if (wantGrad && !gradDirect) grad.set(arena.f32.subarray(g >>> 2, (g >>> 2) + n * classes), r0 * classes);
    }
  }

  // Mean with D = 0 is NaN even with label smoothing: PyTorch divides the nll sum (0) and the
  // smoothing sum by D separately, and 0/0 = NaN, which the per-row sum divided once would miss.
  const divisor = meanDivisor(args);
  const loss = perRowLoss ?? (reduction === "mean" ? (divisor === 0 ? NaN : total / divisor) : total);
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
  rejectDetached("crossEntropy", rt, { logits, target, out: options?.out });
  const args = checkCrossEntropyArgs("crossEntropy", logits, target, classes, options, false);
  return run(rt, args, logits, false).loss;
}

/** d loss / d logits (rows × classes), scaled by gradOutput (default 1). */
export function crossEntropyBackward(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): Float32Array {
  const rt = requireRuntime("crossEntropyBackward");
  rejectDetached("crossEntropyBackward", rt, { logits, target, out: options?.out });
  const args = checkCrossEntropyArgs("crossEntropyBackward", logits, target, classes, options, true);
  return run(rt, args, logits, true).grad;
}

/** Loss and gradient in one fused pass over the logits. */
export function crossEntropyWithGrad(
  logits: Float32Array, target: CrossEntropyTarget, classes: number, options?: CrossEntropyOptions,
): LossAndGrad {
  const rt = requireRuntime("crossEntropyWithGrad");
  rejectDetached("crossEntropyWithGrad", rt, { logits, target, out: options?.out });
  const args = checkCrossEntropyArgs("crossEntropyWithGrad", logits, target, classes, options, true);
  return run(rt, args, logits, true);
}
