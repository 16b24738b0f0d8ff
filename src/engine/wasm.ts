// What every build exports, and instantiating a compiled build. Knows nothing of the embedded
// bytes (builds.ts), so the `probkernels/core` entry, which runs a module compiled elsewhere
// (a worker given the page's module), does not carry them.

export type BuildName = "relaxed-simd" | "simd" | "scalar";
export type BuildChoice = BuildName | "auto";

/**
 * Every kernel export's parameters, by name and wasm type, in order: the one place a call's
 * argument order is written down. KernelExports is derived from it (so a call with the wrong
 * number of arguments does not compile), and a test compares it with each binary's exports,
 * parameter types and results (test/signatures.test.ts), so a kernel whose signature changes
 * without this table fails there. Pointers are byte addresses (i32); `scratch` is working space
 * the kernel owns for the call only (kernels keep no memory of their own).
 */
export const KERNEL_SIGNATURES = {
  heapBase: { params: [], result: "i32" },
  buildId: { params: [], result: "i32" },
  softmaxRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32", "invT:f32", "scratch:i32"], result: null },
  logSoftmaxRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32", "invT:f32", "scratch:i32"], result: null },
  logSumExpRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32", "invT:f32", "scratch:i32"], result: null },
  expNonPositiveArray: { params: ["src:i32", "dst:i32", "n:i32"], result: null },
  addInto: { params: ["dst:i32", "src:i32", "n:i32"], result: null },
  philoxNormalFill: {
    params: [
      "dst:i32",
      "count:i32",
      "startLo:i32",
      "startHi:i32",
      "key0:i32",
      "key1:i32",
      "stream0:i32",
      "stream1:i32",
      "mean:f32",
      "std:f32",
      "scratch:i32",
    ],
    result: null,
  },
  crossEntropyHardRows: {
    params: [
      "logits:i32",
      "labels:i32",
      "rows:i32",
      "cols:i32",
      "invT:f32",
      "weight:i32",
      "weightSum:f64",
      "ignoreIndex:i32",
      "smoothing:f64",
      "lossOut:i32",
      "grad:i32",
      "gradScale:i32",
      "gradScalar:f32",
      "scratch:i32",
    ],
    result: "i32",
  },
  entropyRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32", "invT:f32"], result: null },
  argmaxRows: { params: ["src:i32", "dst:i32", "rows:i32", "cols:i32"], result: null },
  topKRows: { params: ["src:i32", "values:i32", "indices:i32", "rows:i32", "cols:i32", "k:i32"], result: null },
  normalLogPdfArray: {
    params: ["src:i32", "dst:i32", "n:i32", "mean:f64", "std:f64", "logNorm:f64", "density:i32"],
    result: null,
  },
  nllRows: {
    params: [
      "input:i32",
      "labels:i32",
      "rows:i32",
      "cols:i32",
      "weight:i32",
      "ignoreIndex:i32",
      "lossOut:i32",
      "grad:i32",
      "gradScale:i32",
      "gradScalar:f32",
    ],
    result: "i32",
  },
  bceWithLogitsRows: {
    params: [
      "logits:i32",
      "targets:i32",
      "rows:i32",
      "cols:i32",
      "weightElem:i32",
      "weightCol:i32",
      "posWeight:i32",
      "rowLoss:i32",
      "pointwise:i32",
      "grad:i32",
      "gradScale:i32",
      "gradScalar:f32",
      "scratch:i32",
    ],
    result: null,
  },
  distillationRows: {
    params: [
      "student:i32",
      "teacher:i32",
      "labels:i32",
      "rows:i32",
      "cols:i32",
      "invT:f32",
      "weight:i32",
      "weightSum:f64",
      "ignoreIndex:i32",
      "smoothing:f64",
      "klOut:i32",
      "ceOut:i32",
      "grad:i32",
      "gKl:f64",
      "kCe:f64",
      "scratch:i32",
    ],
    result: "i32",
  },
  gaussianNllRows: {
    params: [
      "input:i32",
      "target:i32",
      "variance:i32",
      "rows:i32",
      "cols:i32",
      "varPerRow:i32",
      "eps:f64",
      "full:i32",
      "rowLoss:i32",
      "pointwise:i32",
      "gradInput:i32",
      "gradVar:i32",
      "gradScale:i32",
      "gradScalar:f32",
    ],
    result: null,
  },
  klDivRows: {
    params: [
      "input:i32",
      "target:i32",
      "rows:i32",
      "cols:i32",
      "logTarget:i32",
      "rowLoss:i32",
      "pointwise:i32",
      "grad:i32",
      "gradScale:i32",
      "gradScalar:f32",
      "scratch:i32",
    ],
    result: null,
  },
  philoxUniformFill: {
    params: [
      "dst:i32",
      "count:i32",
      "startLo:i32",
      "startHi:i32",
      "key0:i32",
      "key1:i32",
      "stream0:i32",
      "stream1:i32",
      "kind:i32",
      "low:f64",
      "high:f64",
      "scratch:i32",
    ],
    result: null,
  },
  firstRefusedRow: { params: ["src:i32", "rows:i32", "cols:i32"], result: "i32" },
  sampleRows: {
    params: [
      "src:i32",
      "dst:i32",
      "rows:i32",
      "cols:i32",
      "temperature:f32",
      "topK:i32",
      "topP:f64",
      "minP:f64",
      "minKeep:i32",
      "uniforms:i32",
      "picks:i32",
      "scratch:i32",
    ],
    result: "i32",
  },
  crossEntropySoftRows: {
    params: [
      "logits:i32",
      "targets:i32",
      "rows:i32",
      "cols:i32",
      "invT:f32",
      "weight:i32",
      "smoothing:f64",
      "lossOut:i32",
      "grad:i32",
      "gradScale:i32",
      "gradScalar:f32",
    ],
    result: null,
  },
  halfToFloat: { params: ["src:i32", "dst:i32", "n:i32", "bf16:i32"], result: null },
  linearForward: {
    params: ["x:i32", "w:i32", "b:i32", "out:i32", "rows:i32", "inF:i32", "outF:i32", "accumulate:i32"],
    result: null,
  },
  gemmBroadcast: {
    params: [
      "a:i32",
      "ai:i32",
      "aj:i32",
      "b:i32",
      "ldb:i32",
      "c:i32",
      "ldc:i32",
      "m:i32",
      "inner:i32",
      "n:i32",
      "accumulate:i32",
      "pack:i32",
      "aPack:i32",
    ],
    result: null,
  },
  columnSums: { params: ["g:i32", "rows:i32", "n:i32", "out:i32", "accumulate:i32"], result: null },
  linearCrossEntropyScratch: { params: ["rowBlock:i32", "chunk:i32"], result: "i32" },
  linearCrossEntropyRows: {
    params: [
      "h:i32",
      "w:i32",
      "b:i32",
      "labels:i32",
      "classWeight:i32",
      "weightSum:f32",
      "rows:i32",
      "features:i32",
      "classes:i32",
      "invT:f32",
      "softcap:f32",
      "zLoss:f32",
      "ignoreIndex:i32",
      "eps:f32",
      "losses:i32",
      "gradHidden:i32",
      "gradWeight:i32",
      "gradBias:i32",
      "scaleRows:i32",
      "scale:f32",
      "scratch:i32",
      "chunk:i32",
      "rowBlock:i32",
    ],
    result: "i32",
  },
  linearCrossEntropyStatsRows: {
    params: [
      "h:i32",
      "w:i32",
      "b:i32",
      "labels:i32",
      "classWeight:i32",
      "rows:i32",
      "features:i32",
      "classes:i32",
      "classOffset:i32",
      "invT:f32",
      "softcap:f32",
      "eps:f32",
      "stats:i32",
      "scratch:i32",
      "chunk:i32",
      "rowBlock:i32",
    ],
    result: null,
  },
  linearCrossEntropyShardGradRows: {
    params: [
      "h:i32",
      "w:i32",
      "b:i32",
      "labels:i32",
      "classWeight:i32",
      "weightSum:f32",
      "rows:i32",
      "features:i32",
      "classes:i32",
      "classOffset:i32",
      "totalClasses:i32",
      "invT:f32",
      "softcap:f32",
      "zLoss:f32",
      "ignoreIndex:i32",
      "eps:f32",
      "stats:i32",
      "gradHidden:i32",
      "gradWeight:i32",
      "gradBias:i32",
      "scaleRows:i32",
      "scale:f32",
      "scratch:i32",
      "chunk:i32",
      "rowBlock:i32",
    ],
    result: "i32",
  },
} as const;

/** Scratch bytes the kernels that take a `scratch` operand need (CE_SCRATCH_BYTES, SHORT_ROWS_SCRATCH_BYTES, PHILOX_SCRATCH_BYTES, UNIFORM_SCRATCH_BYTES, KL_SCRATCH_BYTES, BCE_SCRATCH_BYTES in assembly/). */
export const SCRATCH_BYTES = {
  crossEntropyHardRows: 1536,
  softmaxRows: 2048,
  philoxNormalFill: 64,
  philoxUniformFill: 64,
  klDivRows: 4096,
  bceWithLogitsRows: 4096,
} as const;

/** sampleRows' scratch for rows of `cols` classes (SAMPLE_SCRATCH_* in assembly/sampling.ts). */
export const sampleScratchBytes = (cols: number) => 2 * 4096 * 8 + 24 * cols;

type Signatures = typeof KERNEL_SIGNATURES;
/** The name of a kernel export. */
export type KernelName = Exclude<keyof Signatures, "heapBase" | "buildId">;
type Args<P extends readonly string[]> = { [I in keyof P]: number };

/** The raw kernel exports; every build has the same ones (assembly/index.ts). */
export type KernelExports = {
  [K in keyof Signatures]: (
    ...args: Args<Signatures[K]["params"]>
  ) => Signatures[K]["result"] extends null ? void : number;
} & { memory: WebAssembly.Memory };

/** Most capable first: auto takes the first one the engine compiles. */
export const BUILD_ORDER: readonly BuildName[] = ["relaxed-simd", "simd", "scalar"];

/** What each build's buildId() export answers (assembly/index.ts). */
const BUILD_IDS: Record<number, BuildName> = { 0: "scalar", 1: "simd", 2: "relaxed-simd" };

/**
 * An instance of a compiled build, and which build it is (asked of the module itself, so a
 * module handed over from elsewhere is named right). Throws a TypeError for a module that is
 * not one of this package's builds.
 */
export function instantiate(
  fn: string,
  module: WebAssembly.Module,
  memory?: WebAssembly.Memory,
): { build: BuildName; kernels: KernelExports } {
  const missing = Object.keys(KERNEL_SIGNATURES).filter(
    (name) => !WebAssembly.Module.exports(module).some((e) => e.name === name && e.kind === "function"),
  );
  const imports = WebAssembly.Module.imports(module);
  // A single-thread build imports nothing; a threaded one only its shared memory (env.memory).
  const importsOk =
    memory === undefined
      ? imports.length === 0
      : imports.length === 1 &&
        imports[0].module === "env" &&
        imports[0].name === "memory" &&
        imports[0].kind === "memory";
  if (missing.length > 0 || !importsOk) {
    throw new TypeError(
      `${fn}: module is not a probkernels build (missing exports: ${missing.join(", ") || "none"}; ` +
        `it must import ${memory === undefined ? "nothing" : "only env.memory"})`,
    );
  }
  // The kernels import nothing else (stub runtime, no abort handler), so a plain instance is all
  // they need; no loader means no bare import, and the ESM build runs in a browser as is.
  const kernels = new WebAssembly.Instance(module, memory === undefined ? {} : { env: { memory } })
    .exports as unknown as KernelExports;
  const build = BUILD_IDS[kernels.buildId()];
  if (build === undefined) throw new TypeError(`${fn}: module reports an unknown build id ${kernels.buildId()}`);
  return { build, kernels };
}
