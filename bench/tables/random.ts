// Normal samples: probkernels (copying and zero-copy), plain TS, TF.js.
import * as pk from "../../dist/index.js";
import { type Tf, xoshiroNormalFill } from "../peers.js";
import { quick } from "../options.js";
import { fmt, medianMicroseconds, ratio } from "../common.js";

/** randomNormal of 10^7 values: probkernels (copying and zero-copy), plain TS, TF.js. */
export async function benchSampling(tf: Tf): Promise<Record<string, number>> {
  const count = 10_000_000;
  const out = new Float32Array(count);
  const w = pk.allocFloat32(count);
  const tasks: Record<string, () => void> = {
    probkernels: () => {
      pk.randomNormal(count, { seed: 7, out });
    },
    "probkernels (zero-copy)": () => {
      pk.randomNormal(count, { seed: 7, out: w.array });
    },
    "plain TS (xoshiro128** Box-Muller)": () => {
      xoshiroNormalFill(out, 7);
    },
    "tfjs (op only)": () =>
      tf.tidy(() => {
        tf.randomNormal([count], 0, 1, "float32", 7);
      }),
    "tfjs (with download)": () =>
      tf.tidy(() => {
        tf.randomNormal([count], 0, 1, "float32", 7).dataSync();
      }),
  };
  const us = await medianMicroseconds(tasks, {
    time: quick ? 300 : 2000,
    iterations: quick ? 2 : 5,
    warmupTime: quick ? 50 : 300,
    warmupIterations: 1,
  });
  const mes: Record<string, number> = {};
  for (const [name, t] of Object.entries(us)) mes[name] = count / t;
  w.free();
  const base = mes["plain TS (xoshiro128** Box-Muller)"],
    tfOp = mes["tfjs (op only)"];
  console.log(`\nrandomNormal, 10^7 values (million values per second)`);
  for (const [name, v] of Object.entries(mes)) {
    console.log(
      `  ${name.padEnd(36)} ${fmt(v).padStart(7)}   ${ratio(v, base).padStart(6)} vs plain TS   ${ratio(v, tfOp).padStart(6)} vs TF.js op`,
    );
  }
  return mes;
}
