// Text from a character-level bigram model, sampled with temperature, top-k, top-p and min-p:
// the decoding loop of a language model, small enough to read. The model is a table of
// log-counts of which character follows which in a paragraph of Alice's Adventures in Wonderland
// (Lewis Carroll, 1865; public domain); each step samples the next character from the row of
// the one before. Seeded: the same seed gives the same text on every machine, and a generator's
// saved state replays a generation from the middle.
//
//   node examples/text-sampling.mjs [--seed 42] [--length 160]
import { parseArgs } from "node:util";
import { init, sampleCategorical, filterLogits, entropy, RandomGenerator } from "probkernels";

const { values: args } = parseArgs({
  options: { seed: { type: "string", default: "42" }, length: { type: "string", default: "160" } },
  strict: true,
});
const SEED = Number(args.seed),
  LENGTH = Number(args.length);

const CORPUS = `Alice was beginning to get very tired of sitting by her sister on the bank, and of having
nothing to do: once or twice she had peeped into the book her sister was reading, but it had no
pictures or conversations in it, and what is the use of a book, thought Alice, without pictures
or conversations? So she was considering in her own mind (as well as she could, for the hot day
made her feel very sleepy and stupid), whether the pleasure of making a daisy-chain would be
worth the trouble of getting up and picking the daisies, when suddenly a White Rabbit with pink
eyes ran close by her. There was nothing so very remarkable in that; nor did Alice think it so
very much out of the way to hear the Rabbit say to itself, Oh dear! Oh dear! I shall be late!`.replace(/\s+/g, " ");

await init();

// The model: logits[a][b] = log(count of "ab" + 0.05), one row of V logits per character.
const vocab = [...new Set(CORPUS)].sort();
const V = vocab.length;
const index = new Map(vocab.map((c, i) => [c, i]));
const counts = new Float64Array(V * V);
for (let i = 1; i < CORPUS.length; i++) counts[index.get(CORPUS[i - 1]) * V + index.get(CORPUS[i])]++;
const logits = Float32Array.from(counts, (c) => Math.log(c + 0.05));

/** `length` characters after `start`, one sampleCategorical call per step; mean entropy of what the filters kept. */
function generate(start, length, options, generator) {
  let previous = index.get(start),
    text = start,
    h = 0;
  for (let step = 0; step < length; step++) {
    const row = logits.subarray(previous * V, (previous + 1) * V);
    if (options.temperature !== 0) h += entropy(filterLogits(row, V, options), V)[0];
    previous = sampleCategorical(row, V, { ...options, generator })[0];
    text += vocab[previous];
  }
  return { text, entropy: h / length };
}

const SETTINGS = [
  ["greedy (temperature 0)", { temperature: 0 }],
  ["temperature 1, no filter", { temperature: 1 }],
  ["temperature 0.7, top-k 5", { temperature: 0.7, topK: 5 }],
  ["temperature 1, top-p 0.9", { temperature: 1, topP: 0.9 }],
  ["temperature 1.5, min-p 0.05", { temperature: 1.5, minP: 0.05 }],
];

console.log(`character bigram model: ${V} characters, ${CORPUS.length} characters of text; seed ${SEED}\n`);
for (const [name, options] of SETTINGS) {
  const { text, entropy: h } = generate("A", LENGTH, options, new RandomGenerator(SEED));
  console.log(`${name} (mean entropy ${h.toFixed(3)} nats per step):\n  ${text}\n`);
}

// Reproducible step by step: save the generator halfway, and the rest replays from the state.
const options = { temperature: 1, topP: 0.9 };
const whole = generate("A", LENGTH, options, new RandomGenerator(SEED)).text;
const g = new RandomGenerator(SEED);
const half = generate("A", LENGTH / 2, options, g).text;
const saved = JSON.stringify(g.state());
const rest = generate(half.at(-1), LENGTH / 2, options, RandomGenerator.fromState(JSON.parse(saved))).text;
console.log(`replayed from a saved state: ${half + rest.slice(1) === whole ? "identical" : "DIFFERENT"}`);
