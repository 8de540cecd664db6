// The web build of the package (pkg/web, made by scripts/ci.sh) in headless
// Chromium: browser.html runs every check of checks.mjs, served with the
// fixtures by a small static server here. Chromium and playwright-core are
// the reference server's browser-test setup (reference-server/web).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createReadStream, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const crate = join(here, "..");
const repo = join(crate, "..", "..");
const pkg = process.env.AURAVEST_WASM_PKG ?? join(crate, "pkg");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const require = createRequire(join(repo, "reference-server", "web", "package.json"));
const { chromium } = require("playwright-core");

// URL prefix -> folder served under it.
const ROOTS = {
  "/pkg/": pkg,
  "/tests/": here,
  "/fixtures/": join(repo, "examples", "data"),
  "/shared/": join(repo, "..", "shared"),
};
const TYPES = {
  ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".csv": "text/csv",
};

function serve(req, res) {
  const url = new URL(req.url, "http://localhost");
  if (url.pathname === "/favicon.ico") {
    res.writeHead(204).end();
    return;
  }
  const prefix = Object.keys(ROOTS).find((p) => url.pathname.startsWith(p));
  const file = prefix && normalize(join(ROOTS[prefix], decodeURIComponent(url.pathname.slice(prefix.length))));
  if (!file || !file.startsWith(ROOTS[prefix]) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(res);
}

/** Serves the package, opens browser.html in Chromium, returns what it reported. */
async function runInChromium() {
  const server = createServer(serve);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const problems = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    await page.goto(`${base}/tests/browser.html`);
    await page.waitForFunction(() => window.auravestResults !== undefined, null, { timeout: 60_000 });
    const results = await page.evaluate(() => window.auravestResults);
    return { results, problems };
  } finally {
    await browser.close();
    server.close();
  }
}

const { results, problems } = await runInChromium();

test("Chromium: the page loaded both entries and ran every check", () => {
  assert.deepEqual(problems, []);
  assert.ok(results.length >= 9, `results: ${JSON.stringify(results)}`);
});

for (const r of results) {
  test(`Chromium: ${r.name}`, () => assert.ok(r.ok, r.error));
}
