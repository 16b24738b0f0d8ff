// The calls the threads page makes, shared with the Node side of the test (which runs them on one
// thread): large zero-copy calls over seeded inputs, each result reduced to an FNV-1a hash of its bytes.
export function hash(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

export function calls(pk) {
  const rows = 512,
    classes = 1000,
    n = rows * classes;
  const x = pk.allocFloat32(n),
    out = pk.allocFloat32(n),
    perRow = pk.allocFloat32(rows),
    labels = pk.allocInt32(rows);
  pk.randomNormal(n, { seed: 7, std: 3, out: x.array });
  for (let i = 0; i < rows; i++) labels.array[i] = (i * 7919) % classes;
  const hashes = {};
  hashes.softmax = hash(pk.softmax(x.array, classes, { out: out.array, temperature: 0.7 }));
  hashes.logSumExp = hash(pk.logSumExp(x.array, classes, { out: perRow.array }));
  const ce = pk.crossEntropyWithGrad(x.array, labels.array, classes, { out: out.array, labelSmoothing: 0.1 });
  hashes.crossEntropyGrad = hash(ce.grad);
  hashes.crossEntropyLoss = hash(Float64Array.of(ce.loss));
  hashes.sample = hash(pk.sampleCategorical(x.array, classes, { seed: 3, topP: 0.9 }));
  hashes.normal = hash(pk.randomNormal(n, { seed: 11, out: out.array }));
  for (const w of [x, out, perRow, labels]) w.free();
  return hashes;
}

// The async variants on the same inputs (zero-copy and ordinary arrays). On the isolated page the
// workers run them while the page's thread awaits; in Node, on one thread, they run at once.
export async function asyncCalls(pk) {
  const rows = 512,
    classes = 1000,
    n = rows * classes;
  const x = pk.allocFloat32(n),
    out = pk.allocFloat32(n),
    labels = new Int32Array(rows);
  pk.randomNormal(n, { seed: 7, std: 3, out: x.array });
  for (let i = 0; i < rows; i++) labels[i] = (i * 7919) % classes;
  const plain = x.array.slice();
  const hashes = {};
  hashes.softmaxAsync = hash(await pk.softmaxAsync(x.array, classes, { out: out.array, temperature: 0.7 }));
  hashes.logSumExpAsync = hash(await pk.logSumExpAsync(plain, classes));
  const ce = await pk.crossEntropyWithGradAsync(plain, labels, classes, { labelSmoothing: 0.1 });
  hashes.crossEntropyGradAsync = hash(ce.grad);
  hashes.crossEntropyLossAsync = hash(Float64Array.of(ce.loss));
  const kl = await pk.klDivWithGradAsync(
    await pk.logSoftmaxAsync(x.array, classes),
    pk.softmax(plain, classes),
    classes,
    { reduction: "batchmean" },
  );
  hashes.klGradAsync = hash(kl.grad);
  hashes.klLossAsync = hash(Float64Array.of(kl.loss));
  for (const w of [x, out]) w.free();
  return hashes;
}
