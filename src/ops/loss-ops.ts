// The three functions of a loss family — the loss, its gradient, and both in one pass — made
// from the family's argument check and its body over rows, so each family writes only those.
import { returned } from "../engine/execute.js";
import type { Frame } from "../engine/frame.js";
import { type AnyFunction, type AsyncOf, type CallContext, defineCheckedOp, type Op } from "../engine/op.js";
import { GENERAL, type General } from "../engine/small-call.js";

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

type LossAndGrad = { loss: number | Float32Array; grad: Float32Array };

/** A family's body over rows: per-row losses reduced, and the gradient when asked for. */
type Rows<A> = (cx: CallContext, args: A, wantGrad: boolean) => Op<LossAndGrad>;

/** The same for a small call (engine/small-call.ts), or GENERAL. */
type SmallRows<A> = (cx: CallContext, args: A, wantGrad: boolean) => LossAndGrad | General;

const generalOnly = (): General => GENERAL;

/** The loss as a function returns it: the caller's `out` object for reduction "none" with `out`. */
const lossResult = (args: CheckedLoss, loss: number | Float32Array) =>
  loss instanceof Float32Array && args.out ? returned<Float32Array>(args.outGiven, args.out, loss) : loss;

/** The gradient as a function returns it: the caller's `out` object, unless memory grew under it. */
const gradResult = (args: CheckedLoss, grad: Float32Array) =>
  returned<Float32Array>(args.outGiven, args.out ?? grad, grad);

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
  small: SmallRows<A> = generalOnly,
): { loss: Pair<Loss>; backward: Pair<Backward>; withGrad: Pair<WithGrad> } {
  const checked =
    (withGradient: boolean) =>
    (cx: CallContext, ...[input, target, classes, options]: unknown[]) =>
      check(cx.fn, input, target, classes, options, withGradient, cx.frame);
  const loss = defineCheckedOp<AnyFunction, A>(name, {
    check: checked(false),
    small: (cx, args) => {
      const r = small(cx, args, false);
      return r === GENERAL ? r : lossResult(args, r.loss);
    },
    *body(cx, args) {
      const { loss } = yield* rows(cx, args, false);
      return lossResult(args, loss);
    },
  });
  const backward = defineCheckedOp<AnyFunction, A>(`${name}Backward`, {
    check: checked(true),
    small: (cx, args) => {
      const r = small(cx, args, true);
      return r === GENERAL ? r : gradResult(args, r.grad);
    },
    *body(cx, args) {
      const { grad } = yield* rows(cx, args, true);
      return gradResult(args, grad);
    },
  });
  const withGrad = defineCheckedOp<AnyFunction, A>(`${name}WithGrad`, {
    check: checked(true),
    small: (cx, args) => {
      const r = small(cx, args, true);
      return r === GENERAL ? r : { loss: r.loss, grad: gradResult(args, r.grad) };
    },
    *body(cx, args) {
      const { loss, grad } = yield* rows(cx, args, true);
      return { loss, grad: gradResult(args, grad) };
    },
  });
  return { loss, backward, withGrad } as unknown as {
    loss: Pair<Loss>;
    backward: Pair<Backward>;
    withGrad: Pair<WithGrad>;
  };
}
