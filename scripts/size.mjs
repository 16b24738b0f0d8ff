// `npm run size`: the ESM bundle a user ships (dist/index.js with every embedded wasm build),
// minified by esbuild, raw and gzip -9. Run `npm run build` first.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";

const result = await build({
  entryPoints: [new URL("../dist/index.js", import.meta.url).pathname],
  bundle: true, format: "esm", minify: true, write: false,
});
const bytes = result.outputFiles[0].contents;
const gzip = gzipSync(bytes, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`probkernels ESM bundle (all three wasm builds embedded): ${kb(bytes.length)} raw, ${kb(gzip)} gzip`);
