// What a kernel family declares for the executor: one call of one wasm export over rows, as
// data — its operands, the export, and how to make the export's arguments from the operands'
// addresses. The executor, the thread strategies and the workers all read the same declaration.
import type { NamedView } from "../checks/overlap.js";
import type { KernelName } from "./wasm.js";

export type Elements = Float32Array | Int32Array | Float64Array | Uint16Array;

/** `perRow` elements of `view` per row, rows back to back. */
export interface RowOperand {
  /** The argument's name in error messages. */
  name: string;
  /** Our own view of the caller's array (checks/views.ts), or an array of ours. */
  view: Elements;
  perRow: number;
  /**
   * An array made for this call (a snapshot, a result buffer): never in wasm memory, shares
   * memory with nothing, so it skips those checks. (Reading `.buffer` of a small fresh typed
   * array makes V8 move it off the heap: about 0.2 µs each, the bulk of a small call.)
   */
  own?: boolean;
  /**
   * An input of 16-bit floats (a Uint16Array of their bits) the kernel reads as float32: each
   * chunk's rows are widened into the operand's region in wasm (halfToFloat) as they are staged.
   */
  half?: "float16" | "bfloat16";
}

export interface RowOutput extends RowOperand {
  /** The input (its index in `inputs`) this output may overwrite element for element. */
  inPlaceOf?: number;
  /**
   * Add the kernel's values into the array instead of overwriting it (f32): the kernel writes
   * into an arena region of its own, which the executor then adds into the array's rows.
   */
  accumulate?: boolean;
}

/** Addresses of each operand's first row in this chunk (bytes), in declaration order. */
export interface Addresses {
  inputs: number[];
  outputs: number[];
  fixed: number[];
  /** The call's scratch region (0 when it asked for none). */
  scratch: number;
}

export interface KernelCall {
  /** The public function, for error messages. */
  fn: string;
  rows: number;
  inputs: RowOperand[];
  outputs: RowOutput[];
  /** Inputs every chunk reads whole (class weights): staged once. */
  fixed?: { name: string; view: Elements }[];
  /** Working space the kernel needs for the call (16-byte aligned, never shared). */
  scratchBytes?: number;
  /**
   * Caller arrays the kernel does not read directly but that outputs must not overlap (labels
   * and per-row gradOutput, which validation copied): a failed call must leave them unchanged.
   */
  alsoRead?: readonly NamedView[];
  /** Chunks hold a multiple of this many rows (except a last, shorter one). */
  rowMultiple?: number;
  /**
   * Bytes of rows a chunk may stage, when more than the arena's budget pays: a matrix product
   * reads its fixed operands (the weights) once per chunk, so it runs on many rows at a time.
   * Such a call is split across threads but never pipelined.
   */
  stagingBytes?: number;
  /**
   * The wasm export that runs one chunk of rows. It returns the chunk-relative row it refused, or
   * −1 (or nothing). The same export and arguments run on any thread: a worker is handed them as
   * they are.
   */
  export: KernelName;
  /** The export's arguments for `count` rows from row `first`, given each operand's address. */
  args(at: Addresses, first: number, count: number): number[];
  /** The error for a refused row (absolute index). */
  refused?(row: number): Error;
}
