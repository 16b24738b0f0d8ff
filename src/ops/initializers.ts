// Weight initialisers with PyTorch's formulas (torch.nn.init), filling Float32Arrays from the
// same normal streams as randomNormal: xavierNormal, kaimingNormal, truncNormal.
import type { RandomGenerator } from "../random/generator.js";
import { checkMeanStd, type Compat } from "../checks/random.js";
import { resolveGenerator } from "./random.js";
import type { Seed } from "../random/seed.js";
import { keepView, returned } from "../engine/execute.js";
import { erfinv, normalCdf, upperTruncatedQuantile } from "../random/special.js";
import { currentRuntime } from "../engine/runtime.js";
import { checkFloat32 } from "../checks/arrays.js";
import { describe, readOptions } from "../checks/describe.js";

interface Source {
  /** Draw from a fresh generator with this seed (not with `generator`). */
  seed?: Seed;
  /** Draw from this generator, which advances (not with `seed`). Default: the default generator. */
  generator?: RandomGenerator;
  /** With `seed`: "philox" (default) or "torch" (PyTorch's CPU generator after torch.manual_seed(seed)). */
  compat?: Compat;
}

/** The stream to draw from: `generator`, a fresh one from `seed`, or the default generator. */
function sourceOf(
  fn: string,
  options: { readonly seed?: unknown; readonly generator?: unknown; readonly compat?: unknown },
): RandomGenerator {
  return resolveGenerator(fn, options.seed, options.generator, options.compat);
}

function checkTensor(fn: string, out: unknown, shape: unknown): { fanIn: number; fanOut: number } {
  const length = checkFloat32(fn, "out", out).length;
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 0)) {
    throw new TypeError(
      `${fn}: shape must be an array of non-negative integers (e.g. [outFeatures, inFeatures]), got ${describe(shape)}`,
    );
  }
  // torch.nn.init._calculate_fan_in_and_fan_out
  if (shape.length < 2) {
    throw new RangeError(
      `${fn}: fan in and fan out need a shape with at least 2 dimensions, got [${shape.join(", ")}]`,
    );
  }
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if (size !== length) {
    throw new RangeError(`${fn}: shape [${shape.join(", ")}] has ${size} elements but out has length ${length}`);
  }
  const receptive = shape.slice(2).reduce((a: number, b: number) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export interface XavierOptions extends Source {
  /** Scale factor (torch.nn.init's `gain`, e.g. calculateGain("tanh")). Default 1. */
  gain?: number;
}

/** torch.nn.init.xavier_normal_: N(0, std²), std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(out: Float32Array, shape: readonly number[], options?: XavierOptions): Float32Array {
  const fn = "xavierNormal";
  const { source, std } = xavier(fn, out, shape, options);
  return source.fillAs(fn, out, 0, std);
}

/**
 * torch.nn.init.xavier_uniform_: U(−bound, bound), bound = √3·gain·√(2 / (fanIn + fanOut)),
 * computed as PyTorch does (float64, then the bounds rounded to float32).
 */
export function xavierUniform(out: Float32Array, shape: readonly number[], options?: XavierOptions): Float32Array {
  const fn = "xavierUniform";
  const { source, std } = xavier(fn, out, shape, options);
  const bound = Math.sqrt(3.0) * std;
  return source.uniformAs(fn, out, -bound, bound);
}

/** The checked options of a xavier initialiser: its stream and std = gain·√(2 / (fanIn + fanOut)). */
function xavier(fn: string, out: unknown, shape: unknown, options: unknown): { source: RandomGenerator; std: number } {
  const o = readOptions(fn, options, ["gain", "seed", "generator", "compat"]);
  const { fanIn, fanOut } = checkTensor(fn, out, shape);
  const gain = o.gain ?? 1;
  if (typeof gain !== "number") throw new TypeError(`${fn}: gain must be a finite number, got ${describe(gain)}`);
  if (!Number.isFinite(gain)) throw new RangeError(`${fn}: gain must be a finite number, got ${describe(gain)}`);
  return { source: sourceOf(fn, o), std: gain * Math.sqrt(2.0 / (fanIn + fanOut)) };
}

/** The nonlinearity after a layer, for calculateGain (torch.nn.init.calculate_gain's names). */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "conv_transpose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "selu";

const NONLINEARITIES: readonly Nonlinearity[] = [
  "linear",
  "conv1d",
  "conv2d",
  "conv3d",
  "conv_transpose1d",
  "conv_transpose2d",
  "conv_transpose3d",
  "sigmoid",
  "tanh",
  "relu",
  "leaky_relu",
  "selu",
];

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  return gainFor("calculateGain", nonlinearity, param, "param");
}

/** calculate_gain, with errors named after the public function `fn` and its option names. */
function gainFor(fn: string, nonlinearity: unknown, param: unknown, paramName: string): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "conv_transpose1d":
    case "conv_transpose2d":
    case "conv_transpose3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) {
        throw new RangeError(
          `${fn}: ${paramName} (the negative slope) must be a finite number, got ${describe(slope)}`,
        );
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new RangeError(
        `${fn}: nonlinearity must be one of ${NONLINEARITIES.map((n) => `"${n}"`).join(", ")}, got ${describe(nonlinearity)}`,
      );
  }
}

export interface KaimingOptions extends Source {
  /** Negative slope of the rectifier after this layer (leaky_relu only). Default 0. */
  a?: number;
  /** "fan_in" (default: preserves the forward pass's variance) or "fan_out" (the backward pass's). */
  mode?: "fan_in" | "fan_out";
  /** The nonlinearity after this layer; its gain scales the std. Default "leaky_relu" (with `a`). */
  nonlinearity?: Nonlinearity;
}

/** torch.nn.init.kaiming_normal_: N(0, std²), std = gain / √fan (defaults: a = 0, fan_in, leaky_relu). */
export function kaimingNormal(out: Float32Array, shape: readonly number[], options?: KaimingOptions): Float32Array {
  const fn = "kaimingNormal";
  const { source, std } = kaiming(fn, out, shape, options);
  return source.fillAs(fn, out, 0, std);
}

/**
 * torch.nn.init.kaiming_uniform_: U(−bound, bound), bound = √3·gain / √fan (defaults: a = 0,
 * fan_in, leaky_relu), computed as PyTorch does.
 */
export function kaimingUniform(out: Float32Array, shape: readonly number[], options?: KaimingOptions): Float32Array {
  const fn = "kaimingUniform";
  const { source, std } = kaiming(fn, out, shape, options);
  const bound = Math.sqrt(3.0) * std;
  return source.uniformAs(fn, out, -bound, bound);
}

/** The checked options of a kaiming initialiser: its stream and std = gain / √fan. */
function kaiming(fn: string, out: unknown, shape: unknown, options: unknown): { source: RandomGenerator; std: number } {
  const o = readOptions(fn, options, ["a", "mode", "nonlinearity", "seed", "generator", "compat"]);
  const { fanIn, fanOut } = checkTensor(fn, out, shape);
  const mode = o.mode ?? "fan_in";
  if (mode !== "fan_in" && mode !== "fan_out")
    throw new RangeError(`${fn}: mode must be "fan_in" or "fan_out", got ${describe(mode)}`);
  const gain = gainFor(fn, o.nonlinearity ?? "leaky_relu", o.a ?? 0, "a");
  return { source: sourceOf(fn, o), std: gain / Math.sqrt(mode === "fan_in" ? fanIn : fanOut) };
}

export interface LinearInitOptions extends Source {
  /** Whether the layer has a bias (nn.Linear's `bias`). Default true. */
  bias?: boolean;
}

export interface LinearParameters {
  /** outFeatures × inFeatures, row-major (nn.Linear's weight). */
  weight: Float32Array;
  /** outFeatures values (nn.Linear's bias), or null with bias: false. */
  bias: Float32Array | null;
}

/**
 * The parameters `nn.Linear(inFeatures, outFeatures)` starts with: weight from
 * kaiming_uniform_(a = √5) — U(−1/√inFeatures, 1/√inFeatures) — then bias from
 * U(−1/√inFeatures, 1/√inFeatures), drawn in that order from one generator. With
 * `{ seed, compat: "torch" }` the values equal PyTorch's after `torch.manual_seed(seed)`, bit for bit.
 */
export function linearInit(inFeatures: number, outFeatures: number, options?: LinearInitOptions): LinearParameters {
  const fn = "linearInit";
  const o = readOptions(fn, options, ["bias", "seed", "generator", "compat"]);
  for (const [name, v] of [
    ["inFeatures", inFeatures],
    ["outFeatures", outFeatures],
  ] as const) {
    if (typeof v !== "number") throw new TypeError(`${fn}: ${name} must be a positive integer, got ${describe(v)}`);
    if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1)
      throw new RangeError(`${fn}: ${name} must be a positive integer, got ${describe(v)}`);
  }
  if (inFeatures * outFeatures > 2 ** 31 - 1) {
    throw new RangeError(
      `${fn}: inFeatures × outFeatures = ${inFeatures * outFeatures} is too large (at most 2^31 − 1 weights)`,
    );
  }
  const withBias = o.bias ?? true;
  if (typeof withBias !== "boolean") throw new TypeError(`${fn}: bias must be a boolean, got ${describe(withBias)}`);
  const source = sourceOf(fn, o);
  // kaiming_uniform_(a=√5): gain = √(2 / (1 + a²)), bound = √3·gain/√fan_in, as PyTorch computes it.
  const a = Math.sqrt(5);
  const gain = Math.sqrt(2.0 / (1 + a * a));
  const bound = Math.sqrt(3.0) * (gain / Math.sqrt(inFeatures));
  const weight = source.uniformAs(fn, new Float32Array(inFeatures * outFeatures), -bound, bound);
  const biasBound = 1 / Math.sqrt(inFeatures);
  const bias = withBias ? source.uniformAs(fn, new Float32Array(outFeatures), -biasBound, biasBound) : null;
  return { weight, bias };
}

export interface TruncNormalOptions extends Source {
  /** Mean of the normal before truncation. Default 0. */
  mean?: number;
  /** Standard deviation before truncation (> 0). Default 1. */
  std?: number;
  /** Lower and upper bounds, absolute (not in units of std), as in PyTorch. Default −2, 2. */
  a?: number;
  b?: number;
}

/**
 * torch.nn.init.trunc_normal_: N(mean, std²) restricted to [a, b], a and b absolute (not in
 * units of std), as in PyTorch. Each value is the truncated normal's quantile at U = Φ(z) of one
 * normal z from the stream. When [a, b] contains the mean this is PyTorch's formula,
 * erfinv(U(2l − 1, 2u − 1))·std·√2 + mean with l = Φ((a − mean)/std), u = Φ((b − mean)/std),
 * clamped to [a, b]. When the interval lies on one side of the mean the quantile is found in log
 * space instead (upperTruncatedQuantile): PyTorch's formula collapses there (for a = 10, b = 11
 * both Φ round to 1 and every value comes out as 11), this stays exact (mean ≈ 10.098).
 */
export function truncNormal(out: Float32Array, options?: TruncNormalOptions): Float32Array {
  const fn = "truncNormal";
  const o = readOptions(fn, options, ["mean", "std", "a", "b", "seed", "generator", "compat"]);
  const view = checkFloat32(fn, "out", out);
  const [mean, std] = checkMeanStd(fn, o.mean, o.std);
  for (const [name, v] of [
    ["a", o.a],
    ["b", o.b],
  ] as const) {
    if (v !== undefined && (typeof v !== "number" || Number.isNaN(v))) {
      throw new TypeError(`${fn}: ${name} must be a number, got ${describe(v)}`);
    }
  }
  const a = (o.a ?? -2) as number,
    b = (o.b ?? 2) as number;
  if (!(a < b)) throw new RangeError(`${fn}: a must be less than b, got a = ${a}, b = ${b}`);
  if (!(std > 0)) throw new RangeError(`${fn}: std must be > 0, got ${std}`);
  const alpha = (a - mean) / std,
    beta = (b - mean) / std;
  const quantile = truncatedQuantile(alpha, beta);
  // The draws go to a private array; `out` is written after, through a view that survives a
  // growth of wasm memory during sampling (when out is a WasmArray's view).
  const runtime = currentRuntime();
  const outAfterSampling = runtime ? keepView(runtime, view) : () => view;
  const z = sourceOf(fn, o).fillAs(fn, new Float32Array(view.length));
  const target = outAfterSampling();
  for (let i = 0; i < z.length; i++) {
    target[i] = Math.min(b, Math.max(a, mean + std * quantile(normalCdf(z[i]))));
  }
  return returned(out, view, target);
}

/** The standard normal truncated to [alpha, beta], as a function of the quantile u. */
function truncatedQuantile(alpha: number, beta: number): (u: number) => number {
  if (alpha >= 0) return (u) => upperTruncatedQuantile(u, alpha, beta);
  if (beta <= 0) return (u) => -upperTruncatedQuantile(u, -beta, -alpha);
  const l = normalCdf(alpha),
    h = normalCdf(beta);
  return (u) => erfinv(2 * l - 1 + (2 * h - 2 * l) * u) * Math.SQRT2;
}
