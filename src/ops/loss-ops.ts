// The three functions of a loss family — the loss, its gradient, and both in one pass — made
// from the family's argument check and its body over rows, so each family writes only those.
import { returned } from "../engine/execute.js";
import type { Frame } from "../engine/frame.js";
import { type AnyFunction, type AsyncOf, type CallContext, defineOp, type Op } from "../engine/op.js";

/** What a loss family's check returns that the three functions use: the caller's `out`. */
interface CheckedLoss {
  out: Float32Array | null;
  outGiven: unknown;
}

/** A family's argument check (its label snapshot, if any, goes into the frame). */
type Check<A> = (
  fn: string,
  input: unknown,
  target: unknown,
  classes: unknown,
  options: unknown,
  withGradient: boolean,
  frame: Frame,
) => A;

/** A family's body over rows: per-row losses reduced, and the gradient when asked for. */
type Rows<A> = (cx: CallContext, args: A, wantGrad: boolean) => Op<{ loss: number | Float32Array; grad: Float32Array }>;

type Pair<F extends AnyFunction> = { sync: F; async: AsyncOf<F> };

/** `name`, `nameBackward` and `nameWithGrad` (each with its async twin) from one check and one body. */
export function lossOps<
  Loss extends AnyFunction,
  Backward extends AnyFunction,
  WithGrad extends AnyFunction,
  A extends CheckedLoss,
>(
  name: string,
  check: Check<A>,
  rows: Rows<A>,
): { loss: Pair<Loss>; backward: Pair<Backward>; withGrad: Pair<WithGrad> } {
  const loss = defineOp<AnyFunction>(name, function* (cx, input, target, classes, options) {
    const args = check(cx.fn, input, target, classes, options, false, cx.frame);
    const { loss } = yield* rows(cx, args, false);
    return loss instanceof Float32Array && args.out ? returned<Float32Array>(args.outGiven, args.out, loss) : loss;
  });
  const backward = defineOp<AnyFunction>(`${name}Backward`, function* (cx, input, target, classes, options) {
    const args = check(cx.fn, input, target, classes, options, true, cx.frame);
    const { grad } = yield* rows(cx, args, true);
    return returned<Float32Array>(args.outGiven, args.out ?? grad, grad);
  });
  const withGrad = defineOp<AnyFunction>(`${name}WithGrad`, function* (cx, input, target, classes, options) {
    const args = check(cx.fn, input, target, classes, options, true, cx.frame);
    const { loss, grad } = yield* rows(cx, args, true);
    return { loss, grad: returned<Float32Array>(args.outGiven, args.out ?? grad, grad) };
  });
  return { loss, backward, withGrad } as unknown as {
    loss: Pair<Loss>;
    backward: Pair<Backward>;
    withGrad: Pair<WithGrad>;
  };
}
