// `npm run demo`: serves the repository on 127.0.0.1 and prints the demo page's URL. The page
// imports the built ESM entry (dist/), exactly as a user's page would.
import { resolve } from "node:path";
import { REPO_FOLDERS, serveDirectory } from "./static-server.js";

const port = Number(process.env.PORT ?? 5174);
const server = await serveDirectory(resolve(import.meta.dirname, ".."), { port, allow: REPO_FOLDERS });
console.log(`probkernels demo: ${server.url}/demo/  (Ctrl+C to stop)`);
