// Outputs must not share memory with inputs or with each other (except exactly, in place).
import { overlaps, sameElements } from "./views.js";

/** An array a call reads or writes, for the overlap check: its name and our view of it. */
export interface NamedView {
  name: string;
  view: ArrayBufferView;
}

/**
 * Outputs must not share memory with any input or with each other, through any handle of the
 * same buffer: rows are staged in chunks, so a shifted view would be read after it had been
 * written, and a failed call would have changed an input. The one exception is an output that
 * covers exactly the same elements as the input it is declared in place of (`inPlaceOf`).
 */
export function checkNoOverlap(
  fn: string,
  outputs: readonly (NamedView & { inPlaceOf?: ArrayBufferView })[],
  inputs: readonly NamedView[],
): void {
  for (let i = 0; i < outputs.length; i++) {
    const out = outputs[i];
    for (const other of inputs) checkApart(fn, out, other);
    for (let j = i + 1; j < outputs.length; j++) checkApart(fn, out, outputs[j]);
  }
}

export function checkApart(fn: string, out: NamedView & { inPlaceOf?: ArrayBufferView }, other: NamedView): void {
  checkViewsApart(fn, out.name, out.view, other.name, other.view, out.inPlaceOf === other.view);
}

/** checkApart on two views: `inPlace` when the output is declared in place of the other. */
export function checkViewsApart(
  fn: string,
  outName: string,
  out: ArrayBufferView,
  name: string,
  other: ArrayBufferView,
  inPlace: boolean,
): void {
  if (!overlaps(out, other)) return;
  if (inPlace && sameElements(out, other)) return;
  throw new RangeError(
    `${fn}: ${outName} overlaps ${name}` +
      (inPlace
        ? ` without being the same elements; pass ${name} itself for an in-place call, or a separate buffer`
        : "; pass a separate buffer"),
  );
}
