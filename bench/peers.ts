// TensorFlow.js's wasm backend (XNNPACK, SIMD) on the same inputs. Loaded through CommonJS:
// tfjs-core's ESM build uses extensionless imports that Node's ESM loader refuses, and the
// full @tensorflow/tfjs bundle is needed for gradient registrations (tf.valueAndGrad).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export type Tf = typeof import("@tensorflow/tfjs");

export async function loadTfWasm(): Promise<Tf> {
  const tf: Tf = require("@tensorflow/tfjs");
  require("@tensorflow/tfjs-backend-wasm");
  await tf.setBackend("wasm");
  await tf.ready();
  return tf;
}
