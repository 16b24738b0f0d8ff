// Outputs in a caller's SharedArrayBuffer that may be the runtime's own memory seen through a
// second handle (one that came back through postMessage): computed privately, copied at the end.
import type { Elements, KernelCall } from "./call.js";
import type { Runtime } from "./runtime.js";

/**
 * Whether two views of different SharedArrayBuffer objects may be one memory seen through two
 * handles (one came back through postMessage) and then share elements. Nothing in JavaScript
 * tells a caller's handles apart, but their contents can prove them distinct: the ranges the
 * views would share if the buffers were one memory are compared, and a single differing word
 * settles it (usually the first: an output buffer rarely holds the logits already).
 */
function mayAlias(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const from = Math.max(a.byteOffset, b.byteOffset),
    to = Math.min(a.byteOffset + a.byteLength, b.byteOffset + b.byteLength);
  if (from >= to || a.buffer.byteLength !== b.buffer.byteLength) return false;
  const x = new Uint8Array(a.buffer, from, to - from),
    y = new Uint8Array(b.buffer, from, to - from);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** SharedArrayBuffer where the engine has it (read once: a global lookup per call costs more than the test). */
const SHARED: (new (n: number) => SharedArrayBuffer) | null =
  typeof SharedArrayBuffer === "function" ? SharedArrayBuffer : null;
export const isSharedBuffer = (buffer: ArrayBufferLike) => SHARED !== null && buffer instanceof SHARED;

/**
 * An output in a caller's SharedArrayBuffer that may alias an input or another output through
 * a second handle (mayAlias) is computed into an array of ours and copied into the caller's
 * after every input has been read: right even when they are one memory. Null when no output
 * needs it (the usual case).
 */
export function stageSharedOutputs(
  rt: Runtime,
  call: KernelCall,
): { call: KernelCall; finish: (done: Elements[]) => Elements[] } | null {
  const callers = (op: { view: Elements | ArrayBufferView; own?: boolean }) =>
    !op.own && isSharedBuffer(op.view.buffer) && !rt.arena.owns(op.view.buffer);
  const read: ArrayBufferView[] = [...call.inputs, ...call.outputs, ...(call.fixed ?? []), ...(call.alsoRead ?? [])]
    .filter(callers)
    .map((op) => op.view);
  const risky = (out: Elements) => read.some((view) => view.buffer !== out.buffer && mayAlias(out, view));
  if (!call.outputs.some((op) => callers(op) && risky(op.view))) return null;
  const outputs = call.outputs.map((op) => {
    if (!callers(op) || !risky(op.view)) return op;
    const Ctor = op.view.constructor as new (n: number) => Elements;
    const view = new Ctor(op.view.length);
    if (op.accumulate) view.set(op.view);
    return { ...op, view, own: true, inPlaceOf: undefined };
  });
  const finish = (done: Elements[]) =>
    done.map((view, o) => {
      if (outputs[o] === call.outputs[o]) return view;
      call.outputs[o].view.set(view);
      return call.outputs[o].view;
    });
  return { call: { ...call, outputs }, finish };
}
