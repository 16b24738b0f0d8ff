// probkernels in a real browser (Debian's Chromium, headless, through playwright-core):
//  - the built ESM entry in a plain <script type="module"> page: every PyTorch reference case
//    on every build Chromium compiles, and the same sampler bits as Node;
//  - a Vite build and a webpack 5 build of a small app importing "probkernels", no setup.
// Skipped when Chromium is missing, except under CI (CI=true), where .ci/run installs it.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pk from "../src/index.js";
import { HAVE_CHROMIUM, launchChromium, REQUIRE_CHROMIUM } from "./browser/chromium.js";
import { serveDirectory, type StaticServer } from "./browser/server.js";

const ROOT = resolve(import.meta.dirname, "..");
const DIST_ENTRY = join(ROOT, "dist/index.js");
const run = HAVE_CHROMIUM || REQUIRE_CHROMIUM;
if (!run) console.warn("browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)");

describe.runIf(run)("in Chromium", () => {
  let browser: Browser;
  let server: StaticServer;
  const temp: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    server = await serveDirectory(ROOT);
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
    page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });
    // Every request must succeed except the favicon the browser asks for on its own.
    page.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`); });
    await page.goto(url);
    await page.waitForFunction(probe, undefined, { timeout: 60_000 });
    const value = (await page.evaluate(probe)) as T;
    await page.close();
    expect(errors).toEqual([]);
    return value;
  }

  it("a plain module script runs every PyTorch reference case on every build, and samples the same bits as Node", async () => {
    const result = await pageResult<{
      error?: string; available: string[];
      builds: Record<string, { cases: number; failures: string[]; running: string }>;
      randomBits: number[]; torchBits: number[];
    }>(`${server.url}/test/browser/pages/golden.html`, "window.__result");
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

  async function checkApp(dir: string) {
    const app = await serveDirectory(dir);
    try {
      const text = await pageResult<string>(app.url, `(() => { const t = document.getElementById("out").textContent; return t !== "loading" && t; })()`);
      const { softmax, build } = JSON.parse(text);
      expect(build).toBe("relaxed-simd");
      const expected = [0.6590011388859679, 0.2424329707047139, 0.09856589040931818];
      softmax.forEach((v: number, i: number) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
    } finally {
      await app.close();
    }
  }

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
      webpack({
        mode: "production",
        entry: join(ROOT, "test/browser/apps/webpack/main.js"),
        output: { path: outDir, filename: "bundle.js" },
        resolve: { alias: { probkernels: DIST_ENTRY } },
      }, (error, stats) => {
        if (error) fail(error);
        else if (stats?.hasErrors()) fail(new Error(stats.toString("errors-only")));
        else done();
      });
    });
    cpSync(join(ROOT, "test/browser/apps/webpack/index.html"), join(outDir, "index.html"));
    await checkApp(outDir);
  });
});
