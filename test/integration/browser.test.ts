// probkernels in a real browser (Debian's Chromium, headless, through playwright-core):
//  - the built ESM entry in a plain <script type="module"> page: every PyTorch reference case
//    on every build Chromium compiles, and the same sampler bits as Node;
//  - a Vite build and a webpack 5 build of a small app importing "probkernels", no setup.
// Skipped when Chromium is missing, except under CI (CI=true), where .ci/run installs it.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pk from "../../src/index.js";
import { HAVE_CHROMIUM, launchChromium, REQUIRE_CHROMIUM } from "../browser/chromium.js";
import { REPO_FOLDERS, serveDirectory, type StaticServer } from "../../scripts/static-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DIST_ENTRY = join(ROOT, "dist/index.js");
const run = HAVE_CHROMIUM || REQUIRE_CHROMIUM;
if (!run) console.warn("browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)");

describe.runIf(run)("in Chromium", () => {
  let browser: Browser;
  let server: StaticServer;
  const temp: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    server = await serveDirectory(ROOT, { allow: REPO_FOLDERS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const dir of temp) rmSync(dir, { recursive: true, force: true });
  });

  async function pageResult<T>(url: string, probe: string): Promise<T> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
    });
    // Every request must succeed except the favicon the browser asks for on its own.
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(url);
    await page.waitForFunction(probe, undefined, { timeout: 60_000 });
    const value = (await page.evaluate(probe)) as T;
    await page.close();
    expect(errors).toEqual([]);
    return value;
  }

  it("a plain module script runs every PyTorch reference case on every build, samples the same bits as Node, and falls back to one thread without cross-origin isolation", async () => {
    const result = await pageResult<{
      error?: string;
      available: string[];
      builds: Record<string, { cases: number; failures: string[]; running: string }>;
      randomBits: number[];
      torchBits: number[];
      threads: { threads: number; reason: string; softmax: number[] };
    }>(`${server.url}/test/browser/pages/golden.html`, "window.__result");
    // A page without COOP/COEP has no SharedArrayBuffer: init({ threads: 2 }) runs on one and says why.
    expect(result.threads.threads).toBe(1);
    expect(result.threads.reason).toMatch(
      /2 threads were asked for: the page is not cross-origin isolated .*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/,
    );
    expect(result.threads.softmax.length).toBe(3);
    expect(result.error).toBeUndefined();
    expect(result.available).toContain("simd");
    expect(result.available).toContain("scalar");
    expect(result.available).toContain("relaxed-simd"); // current Chromium compiles relaxed SIMD
    for (const [build, r] of Object.entries(result.builds)) {
      expect(r.running, build).toBe(build);
      expect(r.cases, build).toBe(104);
      expect(r.failures, build).toEqual([]);
    }
    await pk.init();
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    expect(result.randomBits).toEqual(bits(pk.randomNormal(1000, { seed: 42, mean: 1.5, std: 0.25 })));
    expect(result.torchBits).toEqual(bits(pk.randomNormal(1000, { seed: 42, compat: "torch" })));
  });

  it("a cross-origin-isolated page (COOP/COEP) runs on two threads with Web Workers and gets Node's bits", async () => {
    const isolated = await serveDirectory(ROOT, { allow: REPO_FOLDERS, crossOriginIsolated: true });
    try {
      const result = await pageResult<{
        error?: string;
        crossOriginIsolated: boolean;
        threads: number;
        reason: string | null;
        split: number;
        hashes: Record<string, number>;
        asyncHashes: Record<string, number>;
        offloaded: number;
        turns: number;
      }>(`${isolated.url}/test/browser/pages/threads.html`, "window.__result");
      expect(result.error).toBeUndefined();
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.threads).toBe(2);
      expect(result.reason).toBeNull();
      expect(result.split).toBeGreaterThanOrEqual(5);
      await pk.init({ threads: 1 });
      // @ts-expect-error a plain JavaScript module of the browser pages
      const { calls, asyncCalls } = await import("../browser/pages/threads-calls.js");
      expect(result.hashes).toEqual(calls(pk));
      // The async variants ran on the worker (five calls) while the page's thread took turns, with Node's bits.
      expect(result.offloaded).toBe(5);
      expect(result.turns).toBeGreaterThan(0);
      expect(result.asyncHashes).toEqual(await asyncCalls(pk));
    } finally {
      await isolated.close();
    }
  });

  it("a cross-origin-isolated page whose Content-Security-Policy forbids blob: workers falls back to one thread and says why", async () => {
    const csp = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; worker-src 'none'";
    const strict = await serveDirectory(ROOT, {
      allow: REPO_FOLDERS,
      crossOriginIsolated: true,
      headers: { "content-security-policy": csp },
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${strict.url}/test/browser/pages/threads.html`);
      // Functions, not strings: the page's CSP forbids evaluating strings.
      const read = () => (window as unknown as { __result?: unknown }).__result;
      await page.waitForFunction(read, undefined, { timeout: 60_000 });
      const result = (await page.evaluate(read)) as {
        error?: string;
        threads: number;
        reason: string;
        hashes: Record<string, number>;
      };
      await page.close();
      expect(result.error).toBeUndefined();
      expect(result.threads).toBe(1);
      expect(result.reason).toMatch(/2 threads were asked for: the workers did not start/);
      await pk.init({ threads: 1 });
      // @ts-expect-error a plain JavaScript module of the browser pages
      const { calls } = await import("../browser/pages/threads-calls.js");
      expect(result.hashes).toEqual(calls(pk));
    } finally {
      await strict.close();
    }
  });

  async function checkApp(dir: string) {
    const app = await serveDirectory(dir);
    try {
      const text = await pageResult<string>(
        app.url,
        `(() => { const t = document.getElementById("out").textContent; return t !== "loading" && t; })()`,
      );
      const { softmax, build } = JSON.parse(text);
      expect(build).toBe("relaxed-simd");
      const expected = [0.6590011388859679, 0.2424329707047139, 0.09856589040931818];
      softmax.forEach((v: number, i: number) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
    } finally {
      await app.close();
    }
  }

  it("a plain module script runs every PyTorch case of the second reference file (loss and sampling families) on every build", async () => {
    const result = await pageResult<{
      error?: string;
      available: string[];
      builds: Record<string, { cases: number; failures: string[]; running: string }>;
    }>(`${server.url}/test/browser/pages/family.html`, "window.__result");
    expect(result.error).toBeUndefined();
    expect(Object.keys(result.builds)).toEqual(result.available);
    for (const [build, r] of Object.entries(result.builds)) {
      expect(r.running, build).toBe(build);
      // The loss family's 107 cases and the sampling family's 87 (filterLogits, rand, randint, randperm, linearInit).
      expect(r.cases, build).toBe(13 + 6 + 15 + 3 + 33 + 6 + 13 + 12 + 6 + 27 + 18 + 18 + 18 + 6);
      expect(r.failures, build).toEqual([]);
    }
  });

  it("a Vite build of an app importing probkernels works with no configuration", async () => {
    const { build } = await import("vite");
    const outDir = mkdtempSync(join(tmpdir(), "pk-vite-"));
    temp.push(outDir);
    await build({
      root: join(ROOT, "test/browser/apps/vite"),
      logLevel: "silent",
      configFile: false,
      // The alias stands in for node_modules/probkernels: the same built ESM entry.
      resolve: { alias: { probkernels: DIST_ENTRY } },
      build: { outDir, emptyOutDir: true },
    });
    await checkApp(outDir);
  });

  it("a webpack 5 build of an app importing probkernels works with no configuration", async () => {
    const { default: webpack } = await import("webpack");
    const outDir = mkdtempSync(join(tmpdir(), "pk-webpack-"));
    temp.push(outDir);
    await new Promise<void>((done, fail) => {
      webpack(
        {
          mode: "production",
          entry: join(ROOT, "test/browser/apps/webpack/main.js"),
          output: { path: outDir, filename: "bundle.js" },
          resolve: { alias: { probkernels: DIST_ENTRY } },
        },
        (error, stats) => {
          if (error) fail(error);
          else if (stats?.hasErrors()) fail(new Error(stats.toString("errors-only")));
          else done();
        },
      );
    });
    cpSync(join(ROOT, "test/browser/apps/webpack/index.html"), join(outDir, "index.html"));
    await checkApp(outDir);
  });

  it("the demo page: bars follow the sliders (softmax and token sampling) and show the library's numbers", async () => {
    await pk.init();
    const page = await browser.newPage({ viewport: { width: 900, height: 1400 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // Every request the page makes is answered (the favicon included).
    page.on("response", (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${server.url}/demo/`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    const barValues = (id: string) =>
      page.$$eval(`#${id} .bar`, (bars) => bars.map((b) => Number((b as HTMLElement).dataset.value)));
    const barTexts = (id: string) => page.$$eval(`#${id} .bar .value`, (cells) => cells.map((c) => c.textContent));
    const logits = new Float32Array([2, 1, 0.1]);

    // The textbook example at T = 1: softmax [0.659, 0.242, 0.099], loss 0.4170, gradient [-0.341, 0.242, 0.099].
    expect(await barTexts("softmax-bars")).toEqual(["0.659", "0.242", "0.099"]);
    expect(await page.textContent("#loss")).toBe("0.4170");
    expect(await barTexts("grad-bars")).toEqual(["-0.341", "0.242", "0.099"]);
    const before = await barValues("softmax-bars");
    expect(before).toEqual(Array.from(pk.softmax(logits, 3)));

    // Move the slider with the keyboard, as a person would.
    await page.focus("#temperature");
    for (let i = 0; i < 20; i++) await page.keyboard.press("ArrowRight");
    const temperature = Number(await page.inputValue("#temperature"));
    expect(temperature).toBeCloseTo(2, 10);
    const after = await barValues("softmax-bars");
    expect(after).not.toEqual(before);
    expect(after).toEqual(Array.from(pk.softmax(logits, 3, { temperature })));
    const { loss, grad } = pk.crossEntropyWithGrad(logits, [0], 3, { temperature });
    expect(await page.textContent("#loss")).toBe((loss as number).toFixed(4));
    expect(await barValues("grad-bars")).toEqual(Array.from(grad));

    // Another true class and other logits.
    await page.selectOption("#true-class", "2");
    await page.fill("#logits", "0.5, -1, 3, 2");
    const edited = new Float32Array([0.5, -1, 3, 2]);
    expect(await barValues("softmax-bars")).toEqual(Array.from(pk.softmax(edited, 4, { temperature })));
    const ce = pk.crossEntropyWithGrad(edited, [2], 4, { temperature });
    expect(Number(await page.getAttribute("#loss", "data-value"))).toBe(ce.loss);

    // Each panel shows the call behind it, with the values on screen.
    expect(await page.textContent("#softmax-code")).toBe(
      `const p = softmax(Float32Array.from([0.5, -1, 3, 2]), 4, { temperature: ${temperature} });`,
    );
    expect(await page.textContent("#ce-code")).toContain(
      `crossEntropyWithGrad(Float32Array.from([0.5, -1, 3, 2]), [2], 4, { temperature: ${temperature} })`,
    );

    // The sampling histogram's measured bands are close to 68.27 / 95.45 / 99.73 %.
    const bands = await page.$$eval("#bands tbody tr td:last-child", (cells) =>
      cells.map((c) => parseFloat(c.textContent ?? "")),
    );
    [68.27, 95.45, 99.73].forEach((p, i) => expect(Math.abs(bands[i] - p)).toBeLessThan(1));

    // A seed beyond 64 bits: the library's message on the page and no stale histogram; a seed
    // beyond 2^53 that fits: a bigint, drawn.
    await page.fill("#seed", "18446744073709551616");
    await page.dispatchEvent("#seed", "change");
    expect(await page.textContent("#seed-error")).toMatch(/seed must fit in 64 bits/);
    expect(await page.$$eval("#histogram rect", (r) => r.length)).toBe(0);
    await page.fill("#seed", "9007199254740993");
    await page.dispatchEvent("#seed", "change");
    expect(await page.textContent("#seed-error")).toBe("");
    expect(await page.textContent("#sampling-code")).toContain("seed: 9007199254740993n");
    expect(await page.$$eval("#histogram rect", (r) => r.length)).toBeGreaterThan(60);

    // The token-sampling panel: move top-k and top-p with the keyboard; the bars, the kept count,
    // the entropy and 1,000 seeded draws are the library's, the draws bit for bit as in Node.
    const vocab = Float32Array.from([5.2, 4.1, 3.8, 3.5, 3.0, 2.4, 2.2, 1.5, 0.9, 0.3, -0.5, -1.8]);
    const V = vocab.length;
    await page.focus("#tok-topk");
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
    await page.focus("#tok-topp");
    for (let i = 0; i < 2; i++) await page.keyboard.press("ArrowLeft");
    const options = { temperature: 1, topK: 5, topP: Number(await page.inputValue("#tok-topp")) };
    expect(options.topP).toBeCloseTo(0.9, 10);
    const filtered = pk.filterLogits(vocab, V, options);
    const probs = pk.softmax(filtered, V);
    expect(await barValues("tok-bars")).toEqual(Array.from(probs));
    expect(await page.$$eval("#tok-bars .bar", (bars) => bars.map((b) => (b as HTMLElement).dataset.removed))).toEqual(
      Array.from(probs, (p) => String(p === 0)),
    );
    expect(Number(await page.textContent("#tok-kept"))).toBe(probs.filter((p) => p > 0).length);
    expect(Number(await page.getAttribute("#tok-entropy", "data-value"))).toBe(pk.entropy(filtered, V)[0]);
    await page.click("#tok-draw");
    const batch = new Float32Array(1000 * V);
    for (let r = 0; r < 1000; r++) batch.set(vocab, r * V);
    const counts = new Array(V).fill(0);
    for (const i of pk.sampleCategorical(batch, V, { ...options, seed: 7 })) counts[i]++;
    expect(
      await page.$$eval("#tok-bars .bar", (bars) => bars.map((b) => Number((b as HTMLElement).dataset.count))),
    ).toEqual(counts);
    counts.forEach((c, i) => {
      if (probs[i] === 0) expect(c).toBe(0);
    });
    // Temperature 0: greedy, one token keeps all the mass.
    await page.focus("#tok-temperature");
    await page.keyboard.press("Home");
    expect(await barValues("tok-bars")).toEqual(Array.from(vocab, (_, i) => (i === 0 ? 1 : 0)));
    expect(await page.textContent("#tok-entropy")).toBe("0.000");

    // The in-browser benchmark runs in a worker: the page answers while it runs, then draws its bars.
    await page.click("#bench-button");
    const started = Date.now();
    await page.evaluate(() => document.title);
    expect(Date.now() - started).toBeLessThan(500);
    expect(await page.textContent("#bench-button")).toMatch(/Running/);
    await page.waitForSelector("#bench-chart .bench-row >> nth=5", { timeout: 60_000 });

    mkdirSync(join(ROOT, "test-output"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-output/demo.png"), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });
});
