// The demo page: everything is computed by the library in this page (dist/ ESM, no bundler).
import {
  init, runtimeInfo, softmax, crossEntropyWithGrad, randomNormal, filterLogits, sampleCategorical, entropy,
} from "../dist/index.js";

const $ = (id) => document.getElementById(id);

function parseLogits(text) {
  const values = text.split(/[\s,]+/).filter(Boolean).map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new Error("enter numbers separated by commas");
  return Float32Array.from(values);
}

/** Horizontal bars; `signed` centres zero. Each bar carries its exact value in data-value. */
function drawBars(container, values, { signed = false, digits = 3 } = {}) {
  const max = signed ? Math.max(1e-12, ...Array.from(values, Math.abs)) : 1;
  container.replaceChildren(...Array.from(values, (v, i) => {
    const row = document.createElement("div");
    row.className = "bar";
    row.dataset.value = String(v);
    const fill = document.createElement("div");
    fill.className = "fill" + (v < 0 ? " negative" : "");
    if (signed) {
      const half = (Math.abs(v) / max) * 50;
      fill.style.left = v < 0 ? `${50 - half}%` : "50%";
      fill.style.width = `${half}%`;
    } else {
      fill.style.left = "0";
      fill.style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
    }
    const track = document.createElement("div");
    track.className = "track";
    track.append(fill);
    const label = document.createElement("span");
    label.textContent = `class ${i}`;
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = v.toFixed(digits);
    row.append(label, track, value);
    return row;
  }));
}

function updateClassChoices(count) {
  const select = $("true-class");
  const previous = Number(select.value || 0);
  select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(String(i), String(i))));
  select.value = String(Math.min(previous, count - 1));
}

function update() {
  let logits;
  try {
    logits = parseLogits($("logits").value);
    $("logits-error").textContent = "";
  } catch (e) {
    $("logits-error").textContent = e.message;
    return;
  }
  const temperature = Number($("temperature").value);
  $("temperature-value").textContent = temperature.toFixed(2);
  const classes = logits.length;
  if ($("true-class").options.length !== classes) updateClassChoices(classes);
  drawBars($("softmax-bars"), softmax(logits, classes, { temperature }));
  const literal = `Float32Array.from([${Array.from(logits, (v) => +v.toPrecision(7)).join(", ")}])`;
  $("softmax-code").textContent = `const p = softmax(${literal}, ${classes}, { temperature: ${temperature} });`;
  const label = Number($("true-class").value);
  const { loss, grad } = crossEntropyWithGrad(logits, [label], classes, { temperature });
  $("loss").textContent = loss.toFixed(4);
  $("loss").dataset.value = String(loss);
  $("ce-code").textContent = `const { loss, grad } = crossEntropyWithGrad(${literal}, [${label}], ${classes}, { temperature: ${temperature} });`;
  drawBars($("grad-bars"), grad, { signed: true });
}

/** The seed box as the library takes it: an integer (a bigint beyond 2^53 − 1). */
function parseSeed(text) {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new RangeError(`the seed must be an integer, got "${trimmed}"`);
  const big = BigInt(trimmed);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function drawHistogram() {
  const count = Number($("sample-count").value);
  let seed, z;
  try {
    seed = parseSeed($("seed").value);
    z = randomNormal(count, { seed });
    $("seed-error").textContent = "";
  } catch (error) {
    // Show the library's message (a seed outside 64 bits, say) and clear the stale histogram.
    $("seed-error").textContent = error.message;
    $("histogram").replaceChildren();
    $("bands").tBodies[0].replaceChildren();
    return;
  }
  const shownSeed = typeof seed === "bigint" ? `${seed}n` : String(seed);
  $("sampling-code").textContent = `const z = randomNormal(${count}, { seed: ${shownSeed} });   // N(0, 1), Philox4x32-10 + Box-Muller`;
  const bins = 60, lo = -4, hi = 4, width = (hi - lo) / bins;
  const counts = new Array(bins).fill(0);
  let in1 = 0, in2 = 0, in3 = 0;
  for (const v of z) {
    const a = Math.abs(v);
    if (a <= 1) in1++;
    if (a <= 2) in2++;
    if (a <= 3) in3++;
    const b = Math.floor((v - lo) / width);
    if (b >= 0 && b < bins) counts[b]++;
  }
  const svg = $("histogram");
  const W = 600, H = 200, peak = Math.max(...counts);
  const x = (v) => ((v - lo) / (hi - lo)) * W;
  const parts = [];
  for (const [k, colour] of [[3, "#fef3c7"], [2, "#fde68a"], [1, "#fcd34d"]]) {
    parts.push(`<rect x="${x(-k)}" y="0" width="${x(k) - x(-k)}" height="${H}" fill="${colour}"/>`);
  }
  counts.forEach((c, i) => {
    const h = (c / peak) * (H - 10);
    parts.push(`<rect x="${(i * W) / bins + 0.5}" y="${H - h}" width="${W / bins - 1}" height="${h}" fill="#2563eb"/>`);
  });
  // The N(0, 1) density scaled to the histogram, for comparison.
  const density = Array.from({ length: 121 }, (_, i) => {
    const v = lo + (i / 120) * (hi - lo);
    const expected = (count * width * Math.exp(-v * v / 2)) / Math.sqrt(2 * Math.PI);
    return `${x(v)},${H - (expected / peak) * (H - 10)}`;
  });
  parts.push(`<polyline points="${density.join(" ")}" fill="none" stroke="#111827" stroke-width="1.5"/>`);
  for (const t of [-3, -2, -1, 0, 1, 2, 3]) parts.push(`<text x="${x(t)}" y="${H + 15}" font-size="11" text-anchor="middle">${t}σ</text>`);
  svg.innerHTML = parts.join("");
  const rows = [["±1σ", 68.27, in1], ["±2σ", 95.45, in2], ["±3σ", 99.73, in3]];
  $("bands").tBodies[0].replaceChildren(...rows.map(([band, expected, n]) => {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${band}</td><td>${expected.toFixed(2)} %</td><td>${((100 * n) / count).toFixed(2)} %</td>`;
    return tr;
  }));
}

// A tiny vocabulary: next-word logits after "The cat sat on the".
const VOCAB = ["mat", "floor", "sofa", "bed", "table", "roof", "chair", "grass", "keyboard", "moon", "piano", "volcano"];
const VOCAB_LOGITS = Float32Array.from([5.2, 4.1, 3.8, 3.5, 3.0, 2.4, 2.2, 1.5, 0.9, 0.3, -0.5, -1.8]);
let lastDraw = null; // { seed, options, counts } of the last "draw 1,000 tokens"

/** The panel's options as the library takes them (off values left out). */
function tokenOptions() {
  const temperature = Number($("tok-temperature").value);
  const topK = Number($("tok-topk").value), topP = Number($("tok-topp").value), minP = Number($("tok-minp").value);
  $("tok-temperature-value").textContent = temperature === 0 ? "0 (greedy)" : temperature.toFixed(2);
  $("tok-topk-value").textContent = topK === 0 ? "off" : String(topK);
  $("tok-topp-value").textContent = topP === 1 ? "off" : topP.toFixed(2);
  $("tok-minp-value").textContent = minP === 0 ? "off" : minP.toFixed(2);
  const options = { temperature };
  if (topK > 0) options.topK = topK;
  if (topP < 1) options.topP = topP;
  if (minP > 0) options.minP = minP;
  return options;
}

function updateTokens() {
  const options = tokenOptions();
  const V = VOCAB.length;
  let probs;
  if (options.temperature === 0) {
    // Greedy: all the mass on the first largest logit (the T → 0 limit of every filter).
    const best = sampleCategorical(VOCAB_LOGITS, V, { temperature: 0 })[0];
    probs = Float32Array.from(VOCAB, (_, i) => (i === best ? 1 : 0));
  } else {
    probs = softmax(filterLogits(VOCAB_LOGITS, V, options), V);
  }
  const kept = probs.filter((p) => p > 0).length;
  const h = options.temperature === 0 ? 0 : entropy(filterLogits(VOCAB_LOGITS, V, options), V)[0];
  $("tok-kept").textContent = String(kept);
  $("tok-entropy").textContent = h.toFixed(3);
  $("tok-entropy").dataset.value = String(h);
  const counts = lastDraw && JSON.stringify(lastDraw.options) === JSON.stringify(options) ? lastDraw.counts : null;
  $("tok-bars").replaceChildren(...VOCAB.map((word, i) => {
    const row = document.createElement("div");
    row.className = "bar" + (probs[i] === 0 ? " removed" : "");
    row.dataset.value = String(probs[i]);
    row.dataset.removed = String(probs[i] === 0);
    const label = document.createElement("span");
    label.textContent = word;
    const track = document.createElement("div");
    track.className = "track";
    const fill = document.createElement("div");
    fill.className = "fill";
    fill.style.left = "0";
    fill.style.width = `${probs[i] * 100}%`;
    track.append(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = probs[i] === 0 ? "removed" : probs[i].toFixed(3);
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = counts ? String(counts[i]) : "";
    if (counts) row.dataset.count = String(counts[i]);
    row.append(label, track, value, count);
    return row;
  }));
  const shown = JSON.stringify(options).replace(/"(\w+)":/g, "$1: ").replace(/,/g, ", ");
  $("tok-code").textContent = `const logits = Float32Array.from([${Array.from(VOCAB_LOGITS).join(", ")}]);
filterLogits(logits, ${V}, ${shown});            // removed entries: −Infinity
const token = sampleCategorical(logits, ${V}, { ...${shown}, generator });   // one draw per step`;
}

function drawTokens() {
  const options = tokenOptions();
  const V = VOCAB.length, n = 1000;
  let seed;
  try {
    seed = parseSeed($("tok-seed").value);
  } catch (error) {
    $("tok-code").textContent = error.message;
    return;
  }
  // 1,000 rows of the same logits: one call, one position of the seed's stream per row.
  const batch = new Float32Array(n * V);
  for (let r = 0; r < n; r++) batch.set(VOCAB_LOGITS, r * V);
  const picks = sampleCategorical(batch, V, { ...options, seed });
  const counts = new Array(V).fill(0);
  for (const i of picks) counts[i]++;
  lastDraw = { seed, options, counts };
  updateTokens();
}

let benchWorker = null;

function runBenchmark() {
  const button = $("bench-button");
  button.disabled = true;
  button.textContent = "Running…";
  benchWorker ??= new Worker(new URL("./bench-worker.js", import.meta.url), { type: "module" });
  benchWorker.onmessage = ({ data }) => {
    if (data.progress !== undefined) {
      button.textContent = `Running… ${data.progress}/6`;
      return;
    }
    drawBenchmark(data.rows);
    button.disabled = false;
    button.textContent = "Run again";
  };
  benchWorker.onerror = (event) => {
    $("bench-chart").textContent = `The benchmark failed: ${event.message}`;
    button.disabled = false;
    button.textContent = "Run again";
  };
  benchWorker.postMessage({ module: runtimeInfo().module });
}

function drawBenchmark(rows) {
  const max = Math.max(...rows.map((row) => row.pk));
  $("bench-chart").replaceChildren(...rows.map((row) => {
    const div = document.createElement("div");
    div.className = "bench-row";
    div.innerHTML = `<p>${row.label}: <strong>${row.pk.toFixed(0)}</strong> vs ${row.ref.toFixed(1)} M/s (${(row.pk / row.ref).toFixed(1)}×)</p>
      <svg viewBox="0 0 600 30" width="100%"><rect x="0" y="2" height="12" width="${(row.pk / max) * 600}" fill="#2563eb"/>
      <rect x="0" y="16" height="12" width="${Math.max(1, (row.ref / max) * 600)}" fill="#9ca3af"/></svg>`;
    return div;
  }));
}

await init();
$("build").textContent = runtimeInfo().build;
for (const id of ["logits", "temperature", "true-class"]) $(id).addEventListener("input", update);
for (const id of ["seed", "sample-count"]) $(id).addEventListener("change", drawHistogram);
$("bench-button").addEventListener("click", runBenchmark);
for (const id of ["tok-temperature", "tok-topk", "tok-topp", "tok-minp"]) $(id).addEventListener("input", updateTokens);
$("tok-draw").addEventListener("click", drawTokens);
update();
drawHistogram();
updateTokens();
document.body.dataset.ready = "true";
