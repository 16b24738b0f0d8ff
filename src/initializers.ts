// Weight initialisers with PyTorch's formulas (torch.nn.init), filling Float32Arrays from the
// same normal streams as randomNormal: xavierNormal, kaimingNormal, truncNormal.
import { NormalGenerator, checkMeanStd, getDefaultGenerator, type Seed } from "./random.js";
import { erfinv, normalCdf } from "./random/special.js";
import { checkOptionKeys, describe } from "./validate.js";

interface Source { seed?: Seed; generator?: NormalGenerator }

/** The stream to draw from: `generator`, a fresh one from `seed`, or the default generator. */
function sourceOf(fn: string, options: Source | undefined): NormalGenerator {
  if (options?.generator !== undefined && options?.seed !== undefined) {
    throw new TypeError(`${fn}: give seed or generator, not both`);
  }
  if (options?.generator !== undefined) {
    if (!(options.generator instanceof NormalGenerator)) {
      throw new TypeError(`${fn}: generator must be a NormalGenerator, got ${describe(options.generator)}`);
    }
    return options.generator;
  }
  return options?.seed === undefined ? getDefaultGenerator() : new NormalGenerator(options.seed);
}

function checkTensor(fn: string, out: unknown, shape: unknown): { fanIn: number; fanOut: number } {
  if (!(out instanceof Float32Array)) throw new TypeError(`${fn}: out must be a Float32Array, got ${describe(out)}`);
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`${fn}: shape must be an array of non-negative integers (e.g. [outFeatures, inFeatures]), got ${describe(shape)}`);
  }
  // torch.nn.init._calculate_fan_in_and_fan_out
  if (shape.length < 2) {
    throw new RangeError(`${fn}: fan in and fan out need a shape with at least 2 dimensions, got [${shape.join(", ")}]`);
  }
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if (size !== out.length) {
    throw new RangeError(`${fn}: shape [${shape.join(", ")}] has ${size} elements but out has length ${out.length}`);
  }
  const receptive = shape.slice(2).reduce((a: number, b: number) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export interface XavierOptions extends Source { gain?: number }

/** torch.nn.init.xavier_normal_: N(0, std²), std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(out: Float32Array, shape: readonly number[], options?: XavierOptions): Float32Array {
  const fn = "xavierNormal";
  checkOptionKeys(fn, options, ["gain", "seed", "generator"]);
  const { fanIn, fanOut } = checkTensor(fn, out, shape);
  const gain = options?.gain ?? 1;
  if (typeof gain !== "number" || !Number.isFinite(gain)) throw new RangeError(`${fn}: gain must be a finite number, got ${describe(gain)}`);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return sourceOf(fn, options).fill(out, 0, std);
}

export type Nonlinearity =
  | "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d"
  | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  const fn = "calculateGain";
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d":
    case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid":
      return 1;
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) throw new RangeError(`${fn}: negative slope must be a finite number, got ${describe(slope)}`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu": return 3 / 4;
    default:
      throw new RangeError(`${fn}: unsupported nonlinearity ${describe(nonlinearity)}`);
  }
}

export interface KaimingOptions extends Source {
  /** Negative slope of the rectifier after this layer (leaky_relu only). Default 0. */
  a?: number;
  mode?: "fan_in" | "fan_out";
  nonlinearity?: Nonlinearity;
}

/** torch.nn.init.kaiming_normal_: N(0, std²), std = gain / √fan (defaults: a = 0, fan_in, leaky_relu). */
export function kaimingNormal(out: Float32Array, shape: readonly number[], options?: KaimingOptions): Float32Array {
  const fn = "kaimingNormal";
  checkOptionKeys(fn, options, ["a", "mode", "nonlinearity", "seed", "generator"]);
  const { fanIn, fanOut } = checkTensor(fn, out, shape);
  const mode = options?.mode ?? "fan_in";
  if (mode !== "fan_in" && mode !== "fan_out") throw new RangeError(`${fn}: mode must be "fan_in" or "fan_out", got ${describe(mode)}`);
  const gain = calculateGain(options?.nonlinearity ?? "leaky_relu", options?.a ?? 0);
  const fan = mode === "fan_in" ? fanIn : fanOut;
  return sourceOf(fn, options).fill(out, 0, gain / Math.sqrt(fan));
}

export interface TruncNormalOptions extends Source {
  mean?: number;
  std?: number;
  /** Lower and upper bounds, absolute (not in units of std), as in PyTorch. Default −2, 2. */
  a?: number;
  b?: number;
}

/**
 * torch.nn.init.trunc_normal_: N(mean, std²) restricted to [a, b], by PyTorch's formula
 * erfinv(U(2l − 1, 2u − 1))·std·√2 + mean, clamped to [a, b], with l = Φ((a − mean)/std) and
 * u = Φ((b − mean)/std). The uniform U is Φ(z) of one normal z from the stream.
 */
export function truncNormal(out: Float32Array, options?: TruncNormalOptions): Float32Array {
  const fn = "truncNormal";
  checkOptionKeys(fn, options, ["mean", "std", "a", "b", "seed", "generator"]);
  if (!(out instanceof Float32Array)) throw new TypeError(`${fn}: out must be a Float32Array, got ${describe(out)}`);
  const [mean, std] = checkMeanStd(fn, options?.mean, options?.std);
  const a = options?.a ?? -2, b = options?.b ?? 2;
  for (const [name, v] of [["a", a], ["b", b]] as const) {
    if (typeof v !== "number" || Number.isNaN(v)) throw new TypeError(`${fn}: ${name} must be a number, got ${describe(v)}`);
  }
  if (!(a < b)) throw new RangeError(`${fn}: a must be less than b, got a = ${a}, b = ${b}`);
  if (!(std > 0)) throw new RangeError(`${fn}: std must be > 0, got ${std}`);
  const l = normalCdf((a - mean) / std), u = normalCdf((b - mean) / std);
  const z = sourceOf(fn, options).fill(new Float32Array(out.length));
  for (let i = 0; i < out.length; i++) {
    const uniform = 2 * l - 1 + (2 * u - 2 * l) * normalCdf(z[i]);
    const v = erfinv(uniform) * std * Math.SQRT2 + mean;
    out[i] = Math.min(b, Math.max(a, v));
  }
  return out;
}
