// A minimal static file server on 127.0.0.1 for the browser tests and the demo: serves the
// files of a few named folders of a directory with the right MIME types, nothing else. It
// refuses what it cannot decode (400), any path that resolves outside the directory or outside
// the allowed folders, and dotfiles such as .git (404, as if they did not exist).
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".map": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  port?: number;
  /** Folders (relative to the root, "/"-separated) whose files may be served; default: all but dotfiles. */
  allow?: readonly string[];
  /**
   * Serve every response with Cross-Origin-Opener-Policy: same-origin and
   * Cross-Origin-Embedder-Policy: require-corp, which make a page cross-origin isolated (what
   * SharedArrayBuffer, and so init({ threads }), needs in a browser).
   */
  crossOriginIsolated?: boolean;
  /** More headers for every response (a Content-Security-Policy, in a test). */
  headers?: Record<string, string>;
}

const ISOLATION_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

/** The file a request path names inside `base`, or an HTTP status refusing it. */
export function resolveRequest(base: string, rawPath: string, allow?: readonly string[]): string | 400 | 404 {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return 400; // malformed percent-encoding, e.g. /%E0%A4%A
  }
  if (path.includes("\0")) return 400;
  const file = resolve(base, `.${path.startsWith("/") ? path : `/${path}`}`);
  const rel = relative(base, file);
  // Outside the root: "..", "../sibling" (a sibling folder whose name starts with the root's
  // passes a plain prefix test), or another drive.
  if (rel.startsWith("..") || isAbsolute(rel)) return 404;
  const parts = rel === "" ? [] : rel.split(sep);
  if (parts.some((part) => part.startsWith("."))) return 404;
  if (allow && !allow.some((folder) => rel === folder || rel.startsWith(`${folder.split("/").join(sep)}${sep}`)))
    return 404;
  return file;
}

export async function serveDirectory(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    } catch {
      res.writeHead(400).end("bad request");
      return;
    }
    const found = resolveRequest(base, pathname, options.allow);
    if (typeof found === "number") {
      res.writeHead(found).end(found === 400 ? "bad request" : "not found");
      return;
    }
    let file = found;
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      if (!statSync(file).isFile()) throw new Error("not a file");
    } catch {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      ...(options.crossOriginIsolated ? ISOLATION_HEADERS : {}),
      ...options.headers,
    });
    createReadStream(file)
      .on("error", () => res.destroy())
      .pipe(res);
  });
  await new Promise<void>((done) => server.listen(options.port ?? 0, "127.0.0.1", done));
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** What the demo and the browser tests need from the repository, and nothing else. */
export const REPO_FOLDERS = ["demo", "dist", "test/browser/pages", "test/fixtures"] as const;
