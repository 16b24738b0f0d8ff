// The 128-bit SIMD peak of this machine as wasm reaches it: a calibration loop of independent
// multiply-adds on four-lane vectors (fused in the relaxed-SIMD build, mul + add in the SIMD
// build), compiled here from AssemblyScript so the package ships nothing for it. The bench
// divides a kernel's GFLOP/s by it (2 flops per lane per multiply-add).
import asc from "assemblyscript/asc";

const SOURCE = `
export function peak(iterations: i32): f32 {
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  const m = f32x4.splat(0.999999), c = f32x4.splat(0.000001);
  for (let i = 0; i < iterations; i++) {
    a0 = MADD(a0, m, c); a1 = MADD(a1, m, c); a2 = MADD(a2, m, c); a3 = MADD(a3, m, c);
    a4 = MADD(a4, m, c); a5 = MADD(a5, m, c); a6 = MADD(a6, m, c); a7 = MADD(a7, m, c);
    a8 = MADD(a8, m, c); a9 = MADD(a9, m, c); a10 = MADD(a10, m, c); a11 = MADD(a11, m, c);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(f32x4.add(s, f32x4.add(a8, a9)), f32x4.add(a10, a11));
  return f32x4.extract_lane(t, 0);
}
`;

/** Multiply-adds per iteration of the loop above, and flops per multiply-add on four lanes. */
const MADDS_PER_ITERATION = 12;
const FLOPS_PER_MADD = 8;

async function compile(relaxed: boolean): Promise<WebAssembly.Module> {
  const source = relaxed
    ? SOURCE.replaceAll("MADD(", "f32x4.relaxed_madd(")
    : `@inline function MADD(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }\n${SOURCE}`;
  let bytes: Uint8Array | undefined;
  const flags = ["--enable", "simd", ...(relaxed ? ["--enable", "relaxed-simd"] : [])];
  const { error, stderr } = await asc.main(
    ["peak.ts", "--outFile", "peak.wasm", "-O3", "--runtime", "stub", ...flags],
    {
      readFile: (name: string) => (name === "peak.ts" ? source : null),
      writeFile: (name: string, contents: string | Uint8Array) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") bytes = contents;
      },
      listFiles: () => [],
    },
  );
  if (error || !bytes) throw new Error(`peak: ${stderr.toString()}`);
  return WebAssembly.compile(new Uint8Array(bytes));
}

/** GFLOP/s of the calibration loop on one thread: the median of five timed runs. */
export async function simdPeak(relaxed: boolean): Promise<number | undefined> {
  let module: WebAssembly.Module;
  try {
    module = await compile(relaxed);
  } catch {
    return undefined; // the engine lacks relaxed SIMD
  }
  const { peak } = (await WebAssembly.instantiate(module)).exports as { peak: (n: number) => number };
  const iterations = 20_000_000;
  peak(iterations / 10);
  const rates: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    peak(iterations);
    rates.push((iterations * MADDS_PER_ITERATION * FLOPS_PER_MADD) / ((performance.now() - t0) * 1e6));
  }
  rates.sort((a, b) => a - b);
  return rates[2];
}
