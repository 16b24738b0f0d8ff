// `npm run size`: the ESM bundle a user ships (dist/index.js with every embedded wasm build),
// minified by esbuild, raw and gzip -9. Run `npm run build` first.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";

// With code splitting, as an app's bundler does it: the threaded builds are a chunk of their own,
// loaded only by init({ threads }) with more than one thread.
const result = await build({
  entryPoints: [new URL("../dist/index.js", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  minify: true,
  write: false,
  splitting: true,
  outdir: "size-out",
});
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const sizes = (bytes) => `${kb(bytes.length)} raw, ${kb(gzipSync(bytes, { level: 9 }).length)} gzip`;
const entry = result.outputFiles.find((f) => f.path.endsWith("index.js"));
console.log(`probkernels ESM bundle (all three wasm builds embedded): ${sizes(entry.contents)}`);
for (const chunk of result.outputFiles.filter((f) => f !== entry)) {
  const what =
    new TextDecoder().decode(chunk.contents).includes("relaxedSimdThreadsBase64") || chunk.contents.length > 50_000
      ? "threaded builds, loaded by init({ threads > 1 })"
      : "shared chunk";
  console.log(`  chunk ${chunk.path.split("/").pop()} (${what}): ${sizes(chunk.contents)}`);
}
