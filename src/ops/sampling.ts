// Token sampling: filterLogits (the logits warpers of Hugging Face transformers' generate:
// temperature, top-k, top-p, min-p) and sampleCategorical (one index per row from what the
// filters keep). One kernel does both (assembly/sampling.ts): thresholds by radix select, no
// sort of the vocabulary. Draws come from the counter-based generator, one position per row.
import { defineOp, type Op } from "../engine/op.js";
import { keepView, returned } from "../engine/execute.js";
import { RandomGenerator } from "../random/generator.js";
import { resolveGenerator } from "./random.js";
import type { Seed } from "../random/seed.js";
import { checkFilters, penalised, type FilterOptions, type RepetitionOptions } from "../checks/filters.js";
import { checkOut } from "../checks/arrays.js";
import { type CheckedLogitsAnyWidth, checkLogitsAnyWidth, decodeHalf, type Dtype } from "../checks/half.js";
import type { RowOperand } from "../engine/call.js";
import { logitsOperand } from "./logits.js";
import { checkNoOverlap } from "../checks/overlap.js";
import { describe, readOptions } from "../checks/describe.js";
import { ownView, typedArrayName } from "../checks/views.js";
import { sampleScratchBytes } from "../engine/wasm.js";

export type { FilterOptions, RepetitionOptions };

export interface FilterLogitsOptions extends FilterOptions, RepetitionOptions {
  /** Output buffer (a Float32Array like logits; may be logits itself). */
  out?: Float32Array;
  /** What `logits` holds: "float32" (the default), or "float16" / "bfloat16" bits in a Uint16Array. */
  dtype?: Dtype;
}

export interface SampleCategoricalOptions extends FilterOptions, RepetitionOptions {
  /** Draw from a fresh generator with this seed (position 0), not with `generator`. */
  seed?: Seed;
  /** What `logits` holds: "float32" (the default), or "float16" / "bfloat16" bits in a Uint16Array. */
  dtype?: Dtype;
  /** Draw from this generator, which advances by one position per row. Default: the default generator. */
  generator?: RandomGenerator;
  /**
   * Output buffer: an Int32Array of one index per row, or a BigInt64Array for int64 token ids
   * (what transformers.js and onnxruntime-web take).
   */
  out?: Int32Array | BigInt64Array;
}

/** The error for a row the kernel refused: what is wrong with it (in the logits the kernel read, penalised or not). */
function refusedRow(fn: string, logits: Float32Array, classes: number, row: number): RangeError {
  const values = logits.subarray(row * classes, (row + 1) * classes);
  const what = values.some(Number.isNaN)
    ? "holds NaN"
    : values.includes(Infinity)
      ? "holds +Infinity"
      : "is all −Infinity";
  return new RangeError(
    `${fn}: row ${row} of logits ${what}: it has no probability distribution to filter or draw from`,
  );
}

/** The logits' float32 values: the caller's array, or 16-bit floats decoded (the rare paths: a penalty, an error). */
const floatsOf = (args: CheckedLogitsAnyWidth) => (args.half ? decodeHalf(args.bits!, args.half) : args.logits);

/** The logits the kernel reads: the penalised copy, 16-bit floats widened as staged, or the caller's float32. */
function readLogits(args: CheckedLogitsAnyWidth, penalisedLogits: Float32Array | null): RowOperand {
  if (penalisedLogits) return { name: "logits", view: penalisedLogits, perRow: args.classes, own: true };
  return logitsOperand(args);
}

/** The filter and penalty options filterLogits and sampleCategorical share. */
const FILTER_KEYS = [
  "temperature",
  "topK",
  "topP",
  "minP",
  "minTokensToKeep",
  "repetitionPenalty",
  "previousTokens",
] as const;

/** Clamps counts to int32 for the kernel (a topK beyond the row is the same as the row). */
const clampCount = (v: number) => Math.min(v, 2 ** 31 - 1);

type FilterLogitsFunction = (
  logits: Float32Array | Uint16Array,
  classes: number,
  options?: FilterLogitsOptions,
) => Float32Array;
interface SampleCategoricalFunction {
  /** Indices into a BigInt64Array (int64 token ids). */
  (
    logits: Float32Array | Uint16Array,
    classes: number,
    options: SampleCategoricalOptions & { out: BigInt64Array },
  ): BigInt64Array;
  (
    logits: Float32Array | Uint16Array,
    classes: number,
    options?: SampleCategoricalOptions & { out?: Int32Array },
  ): Int32Array;
  (logits: Float32Array | Uint16Array, classes: number, options?: SampleCategoricalOptions): Int32Array | BigInt64Array;
}

const filterLogitsOp = defineOp<FilterLogitsFunction>(
  "filterLogits",
  function* ({ fn }, logits, classes, options): Op<Float32Array> {
    const o = readOptions(fn, options, [...FILTER_KEYS, "out", "dtype"]);
    const args = checkLogitsAnyWidth(fn, logits, classes, o.dtype);
    const f = checkFilters(fn, o, false);
    const penalisedLogits = penalised(
      fn,
      floatsOf(args),
      args.rows,
      args.classes,
      o.repetitionPenalty,
      o.previousTokens,
    );
    const n = args.rows * args.classes;
    const given = checkOut(fn, o.out, n);
    const out = given ?? new Float32Array(n);
    const cols = args.classes;
    const read = readLogits(args, penalisedLogits);
    const caller = args.bits ?? args.logits;
    // Refuse a bad row before anything is written: the filter kernel refuses it too, but only when
    // it reaches it, after earlier chunks have been written to out (or, in place, to logits).
    yield {
      fn,
      rows: args.rows,
      inputs: [read],
      outputs: [],
      export: "firstRefusedRow",
      args: (at, _first, count) => [at.inputs[0], count, cols],
      refused: (row) => refusedRow(fn, penalisedLogits ?? floatsOf(args), cols, row),
    };
    const [final] = yield {
      fn,
      rows: args.rows,
      inputs: [read],
      // The kernel reads a row whole (keys into scratch) before it writes the row.
      outputs: [
        {
          name: "out",
          view: out,
          perRow: cols,
          inPlaceOf: penalisedLogits || args.half ? undefined : 0,
          own: given === null,
        },
      ],
      // With a penalty the kernel reads a copy; out still must not overlap the caller's logits.
      alsoRead:
        penalisedLogits && !(args.half === null && sameElements(out, args.logits))
          ? [{ name: "logits", view: caller }]
          : undefined,
      scratchBytes: sampleScratchBytes(cols),
      export: "sampleRows",
      args: (at, _first, count) => [
        at.inputs[0],
        at.outputs[0],
        count,
        cols,
        Math.fround(f.temperature),
        clampCount(f.topK),
        f.topP,
        f.minP,
        clampCount(f.minKeep),
        0,
        0,
        at.scratch,
      ],
      refused: (row) => refusedRow(fn, penalisedLogits ?? floatsOf(args), cols, row),
    };
    return returned(o.out, out, final);
  },
);

/**
 * The logits after the filters of Hugging Face transformers' `generate`, in its order:
 * temperature (x / T), top-k, top-p, min-p; removed entries become −Infinity. Ties at a
 * threshold are kept (transformers' top-p sorts them in an unspecified order). The row is not
 * sorted: thresholds come from a radix select. A row holding NaN or +Infinity, or all
 * −Infinity, is a RangeError naming the row.
 */
export const filterLogits: FilterLogitsFunction = filterLogitsOp.sync;

/** filterLogits, as an async call (engine/op.ts). */
export const filterLogitsAsync = filterLogitsOp.async;

const sameElements = (a: Float32Array, b: Float32Array) =>
  a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;

const sampleCategoricalOp = defineOp<SampleCategoricalFunction>(
  "sampleCategorical",
  function* ({ fn, rt }, logits, classes, options): Op<Int32Array | BigInt64Array> {
    const o = readOptions(fn, options, [...FILTER_KEYS, "seed", "generator", "out", "dtype"]);
    const args = checkLogitsAnyWidth(fn, logits, classes, o.dtype);
    const f = checkFilters(fn, o, true);
    const penalisedLogits = penalised(
      fn,
      floatsOf(args),
      args.rows,
      args.classes,
      o.repetitionPenalty,
      o.previousTokens,
    );
    let given: Int32Array | BigInt64Array | null = null;
    if (o.out !== undefined) {
      const kind = typedArrayName(o.out);
      if (kind !== "Int32Array" && kind !== "BigInt64Array") {
        throw new TypeError(
          `${fn}: out must be an Int32Array (or a BigInt64Array) of length ${args.rows} (one index per row), got ${describe(o.out)}`,
        );
      }
      given = kind === "Int32Array" ? ownView(fn, "out", Int32Array, o.out) : ownView(fn, "out", BigInt64Array, o.out);
      if (given.length !== args.rows)
        throw new RangeError(
          `${fn}: out must have length ${args.rows} (one index per row), got length ${given.length}`,
        );
      // As every function's out: no memory shared with an input.
      checkNoOverlap(fn, [{ name: "out", view: given }], [{ name: "logits", view: args.bits ?? args.logits }]);
    }
    const generator = resolveGenerator(fn, o.seed, o.generator, undefined);
    // Greedy draws nothing, so the generator does not move.
    const draw = f.temperature === 0 ? null : RandomGenerator.categoricalUniforms(generator, fn, args.rows);
    // The kernel refuses a bad row only when it reaches it: the indices go to an array of ours and
    // into the caller's out after the whole call succeeded, so a refused call leaves out unchanged.
    const picks = new Int32Array(args.rows);
    const outAfter = given ? keepView<Int32Array | BigInt64Array>(rt, given) : null;
    const cols = args.classes;
    try {
      const uniforms = draw ? draw.uniforms : new Float64Array(args.rows);
      yield {
        fn,
        rows: args.rows,
        inputs: [readLogits(args, penalisedLogits), { name: "uniforms", view: uniforms, perRow: 1, own: true }],
        outputs: [{ name: "out", view: picks, perRow: 1, own: true }],
        scratchBytes: sampleScratchBytes(cols),
        export: "sampleRows",
        args: (at, _first, count) => [
          at.inputs[0],
          0,
          count,
          cols,
          Math.fround(f.temperature),
          clampCount(f.topK),
          f.topP,
          f.minP,
          clampCount(f.minKeep),
          at.inputs[1],
          at.outputs[0],
          at.scratch,
        ],
        refused: (row) => refusedRow(fn, penalisedLogits ?? floatsOf(args), cols, row),
      };
      draw?.commit();
    } finally {
      draw?.release();
    }
    if (!outAfter) return picks;
    const target = outAfter();
    if (target instanceof BigInt64Array) {
      for (let i = 0; i < picks.length; i++) target[i] = BigInt(picks[i]);
    } else {
      target.set(picks);
    }
    return returned(o.out, given!, target);
  },
);

/**
 * One index per row drawn from softmax of the filtered logits (filterLogits' options), as an
 * Int32Array. temperature 0 is greedy: the first largest entry (the T → 0 limit), no draw.
 * Reproducible: the same seed (or generator state) gives the same indices on every build,
 * engine and chunking; a generator advances one position per row, so a decoding loop that passes
 * one generator replays step for step from its saved state.
 */
export const sampleCategorical: SampleCategoricalFunction = sampleCategoricalOp.sync;

/** sampleCategorical, as an async call (engine/op.ts). */
export const sampleCategoricalAsync = sampleCategoricalOp.async;
