// The static server behind `npm run demo` and the browser tests: it survives malformed URLs,
// never serves a file outside its root (a sibling folder whose name starts with the root's
// included) or outside the allowed folders, and hides dotfiles such as .git.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveDirectory, type StaticServer } from "../../scripts/static-server.js";

let dir = "";
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pk-static-"));
  for (const [path, text] of [
    ["site/demo/index.html", "<p>demo</p>"],
    ["site/demo/app.js", "export {}"],
    ["site/private/key.txt", "secret"],
    ["site/.git/config", "[core]"],
    ["site/demo/.env", "TOKEN=1"],
    ["site-sibling/secret.txt", "sibling secret"],
  ]) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  server = await serveDirectory(join(dir, "site"), { allow: ["demo"] });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Status and body of a raw request path (fetch would normalise some of these paths away). */
async function get(path: string): Promise<[number, string]> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}`, { path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve([res.statusCode ?? 0, body]));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static server", () => {
  it("serves allowed files with their MIME type", async () => {
    expect(await get("/demo/")).toEqual([200, "<p>demo</p>"]);
    expect(await get("/demo/app.js")).toEqual([200, "export {}"]);
  });

  it("answers a malformed URL with 400 and keeps serving", async () => {
    expect((await get("/%E0%A4%A"))[0]).toBe(400);
    expect((await get("/demo/%"))[0]).toBe(400);
    expect(await get("/demo/app.js")).toEqual([200, "export {}"]);
  });

  it.each([
    "/..%2Fsite-sibling/secret.txt",
    "/../site-sibling/secret.txt",
    "/demo/..%2F..%2Fsite-sibling%2Fsecret.txt",
    "/%2e%2e/site-sibling/secret.txt",
  ])("never leaves its root: %s", async (path) => {
    const [status, body] = await get(path);
    expect(status).toBe(404);
    expect(body).not.toContain("secret");
  });

  it.each(["/.git/config", "/demo/.env", "/private/key.txt", "/demo/%00x"])(
    "refuses dotfiles and folders not allowed: %s",
    async (path) => {
      const [status, body] = await get(path);
      expect([400, 404]).toContain(status);
      expect(body).not.toMatch(/core|TOKEN|secret/);
    },
  );
});
