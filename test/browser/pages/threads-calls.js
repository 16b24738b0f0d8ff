// The calls the threads page makes, shared with the Node side of the test (which runs them on one
// thread): large zero-copy calls over seeded inputs, each result reduced to an FNV-1a hash of its bytes.
export function hash(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

export function calls(pk) {
  const rows = 512, classes = 1000, n = rows * classes;
  const x = pk.allocFloat32(n), out = pk.allocFloat32(n), perRow = pk.allocFloat32(rows), labels = pk.allocInt32(rows);
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
