// The TypeScript side's signature table (src/wasm.ts) against what each binary really exports:
// names, parameter types in order, results. A kernel whose arguments change in assembly/ without
// the table (or the other way round) fails here, not as a silently swapped argument.
// Also: kernels keep no state (they write nothing outside their operands), and two runtimes
// coexist, each with its own memory.
import { describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import * as ref from "../../src/reference/index.js";
import { relaxedSimdBase64, scalarBase64, simdBase64 } from "../../src/generated/wasm-builds.js";
import { execute } from "../../src/engine/execute.js";
import { Frame } from "../../src/engine/frame.js";
import { moduleOf } from "../../src/engine/builds.js";
import { Runtime } from "../../src/engine/runtime.js";
import { KERNEL_SIGNATURES, SCRATCH_BYTES, type KernelName } from "../../src/engine/wasm.js";
import { BUILDS, PROB_TOL, mismatch, randomLabels, randomLogits, randomTargets } from "../helpers.js";

const TYPES: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128" };

/** Exported functions of a wasm binary: name → { params, results } (a minimal reader of the spec's sections). */
function exportedSignatures(bytes: Uint8Array): Map<string, { params: string[]; results: string[] }> {
  let at = 8; // magic and version
  const leb = () => {
    let result = 0,
      shift = 0,
      byte: number;
    do {
      byte = bytes[at++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  };
  const name = () => {
    const n = leb();
    const s = new TextDecoder().decode(bytes.subarray(at, at + n));
    at += n;
    return s;
  };
  const types: { params: string[]; results: string[] }[] = [];
  const functionTypes: number[] = [];
  let importedFunctions = 0;
  const exports = new Map<string, { params: string[]; results: string[] }>();
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        expect(bytes[at++]).toBe(0x60);
        const params = Array.from({ length: leb() }, () => TYPES[bytes[at++]]);
        const results = Array.from({ length: leb() }, () => TYPES[bytes[at++]]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        name();
        name();
        if (bytes[at++] === 0) {
          leb();
          importedFunctions++;
        } else at = end;
      }
    } else if (id === 3) {
      for (let n = leb(); n > 0; n--) functionTypes.push(leb());
    } else if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const exportName = name();
        const kind = bytes[at++];
        const index = leb();
        if (kind === 0) exports.set(exportName, types[functionTypes[index - importedFunctions]]);
      }
    }
    at = end;
  }
  return exports;
}

const BINARIES = { "relaxed-simd": relaxedSimdBase64, simd: simdBase64, scalar: scalarBase64 };

describe("kernel signatures", () => {
  it.each(Object.entries(BINARIES))(
    "%s: every export matches the table in src/wasm.ts, and nothing else is exported",
    (_, base64) => {
      const exports = exportedSignatures(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
      const table = Object.fromEntries(
        Object.entries(KERNEL_SIGNATURES).map(([kernel, sig]) => [
          kernel,
          {
            params: sig.params.map((p) => p.split(":")[1]),
            results: sig.result === null ? [] : [sig.result],
          },
        ]),
      );
      expect(Object.fromEntries(exports)).toEqual(table);
      for (const sig of Object.values(KERNEL_SIGNATURES)) {
        expect(new Set(sig.params.map((p) => p.split(":")[0])).size).toBe(sig.params.length);
      }
    },
  );
});

describe.each(BUILDS)("stateless kernels, %s build", (build) => {
  it("no kernel writes outside its operands: static data (the constant tables) is unchanged by every kernel", () => {
    pk.initSync({ build, arenaBytes: 4096 });
    const rt = new Runtime(moduleOf(build), 4096);
    const staticEnd = rt.kernels.heapBase();
    const before = new Uint8Array(rt.arena.buffer.slice(0, staticEnd));
    type At = { inputs: number[]; outputs: number[]; fixed: number[]; scratch: number };
    const call = (
      name: KernelName,
      args: (at: At, first: number, count: number) => number[],
      classes: number,
      rows: number,
      soft = false,
    ) =>
      execute(
        rt,
        {
          fn: "test",
          rows,
          inputs: [
            { name: "logits", view: randomLogits(rows * classes, classes), perRow: classes },
            soft
              ? { name: "target", view: randomTargets(rows, classes, 2), perRow: classes }
              : { name: "target", view: randomLabels(rows, classes, 2), perRow: 1 },
          ],
          outputs: [
            { name: "loss", view: new Float64Array(rows), perRow: 1 },
            { name: "grad", view: new Float32Array(rows * classes), perRow: classes },
          ],
          fixed: [{ name: "weight", view: new Float32Array(classes).fill(1) }],
          scratchBytes: Math.max(...Object.values(SCRATCH_BYTES)),
          export: name,
          args,
        },
        new Frame(),
      );
    for (const classes of [3, 10, 37, 1000]) {
      call("softmaxRows", (at, _, n) => [at.inputs[0], at.outputs[1], n, classes, 0.5, at.scratch], classes, 9);
      call("logSoftmaxRows", (at, _, n) => [at.inputs[0], at.outputs[1], n, classes, 1, at.scratch], classes, 9);
      call("logSumExpRows", (at, _, n) => [at.inputs[0], at.outputs[1], n, classes, 1, at.scratch], classes, 9);
      call(
        "crossEntropyHardRows",
        (at, _, n) => [
          at.inputs[0],
          at.inputs[1],
          n,
          classes,
          1,
          at.fixed[0],
          classes,
          -100,
          0.1,
          at.outputs[0],
          at.outputs[1],
          0,
          1,
          at.scratch,
        ],
        classes,
        9,
      );
      call(
        "crossEntropySoftRows",
        (at, _, n) => [at.inputs[0], at.inputs[1], n, classes, 1, at.fixed[0], 0.1, at.outputs[0], at.outputs[1], 0, 1],
        classes,
        9,
        true,
      );
      call("philoxNormalFill", (at, first, n) => [at.outputs[1], n, first + 5, 0, 1, 2, 3, 4, 0, 1, at.scratch], 1, 37);
    }
    expect(new Uint8Array(rt.arena.buffer.slice(0, staticEnd))).toEqual(before);
  });

  it("two runtimes coexist, each with its own memory and arena, and agree", () => {
    const a = new Runtime(moduleOf(build), 1024),
      b = new Runtime(moduleOf(build), 1 << 20);
    expect(a.arena.memory).not.toBe(b.arena.memory);
    const x = randomLogits(40 * 33, 6);
    const results = [a, b].map(
      (rt) =>
        execute(
          rt,
          {
            fn: "test",
            rows: 40,
            inputs: [{ name: "logits", view: x, perRow: 33 }],
            outputs: [{ name: "out", view: new Float32Array(x.length), perRow: 33 }],
            scratchBytes: SCRATCH_BYTES.softmaxRows,
            export: "softmaxRows",
            args: (at, _, n) => [at.inputs[0], at.outputs[0], n, 33, 1, at.scratch],
          },
          new Frame(),
        )[0],
    );
    expect(Array.from(results[0])).toEqual(Array.from(results[1]));
    expect(mismatch(results[0], ref.softmax(x, 33), PROB_TOL)).toBeNull();
  });
});
