// What the browser tests share: the server binary started with `--demo`
// on its own data folder, Chromium's path and flags, and a watch on the
// problems a page may show (console and page errors, CSP violations,
// unexpected HTTP errors). Environment: see ui.test.mjs.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const SERVER_BIN = process.env.AURAVEST_SERVER_BIN
  || (process.env.CARGO_TARGET_DIR
    ? path.join(process.env.CARGO_TARGET_DIR, 'debug', 'auravest-server')
    : path.resolve(here, '../../../target/debug/auravest-server'));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// The WebAssembly package's web build (bindings/wasm/scripts/ci.sh), which
// the UI loads for its instant feedback.
export const WASM_DIR = process.env.AURAVEST_WASM_DIR || path.resolve(here, '../../../bindings/wasm/pkg/web');
export const STEP_TIMEOUT = 15_000;
// Our flags; Playwright adds a fresh temporary --user-data-dir of its own
// for every launch (it refuses one in `args`) and removes it on close.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Starts the server with `--demo`; resolves with its address and the demo login. */
export function startServer(dataDir) {
  return new Promise((resolve, reject) => {
    // The main job on its own SQLite file: nothing from the environment
    // (CI exports DATABASE_URL and REDIS_URL for the Rust tests) may point
    // it at shared state an earlier run left behind.
    const inherited = Object.fromEntries(Object.entries(process.env)
      .filter(([k]) => !['DATABASE_URL', 'REDIS_URL'].includes(k) && !k.startsWith('AURAVEST_')));
    const child = spawn(SERVER_BIN, ['--demo'], {
      env: {
        ...inherited,
        AURAVEST_ADDR: '127.0.0.1:0',
        AURAVEST_DATA_DIR: dataDir,
        AURAVEST_MARKET_SOURCES: 'sample',
        AURAVEST_AI_EMBEDDER: 'hash',
        AURAVEST_REFRESHER: 'false',
        AURAVEST_WASM_DIR: WASM_DIR,
        AURAVEST_LOG: process.env.AURAVEST_LOG || 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within 60 s\nstdout:\n${out}\nstderr:\n${err}`));
    }, 60_000);
    child.stderr.on('data', (d) => { err = (err + d).slice(-20_000); });
    child.stdout.on('data', (d) => {
      out += d;
      const addr = /listening on (http:\/\/\S+)/.exec(out);
      const demo = /demo login: (\S+) \/ (\S+)/.exec(out);
      if (addr && demo) {
        clearTimeout(timer);
        resolve({ child, base: addr[1], email: demo[1], password: demo[2], stderr: () => err });
      }
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

/** Problems seen in the browser: console errors, page errors, CSP violations, HTTP errors. */
export class Watch {
  constructor() {
    this.consoleErrors = [];
    this.pageErrors = [];
    this.csp = [];
    this.httpErrors = [];
    // HTTP errors a step provokes on purpose: [{status, path: RegExp, seen}].
    this.expected = [];
  }

  expect(status, pathRe) {
    this.expected.push({ status, path: pathRe, seen: 0 });
  }

  async attach(context) {
    await context.exposeFunction('__auravestCspViolation', (v) => { this.csp.push(v); });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__auravestCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    context.on('page', (page) => this.attachPage(page));
  }

  attachPage(page) {
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.consoleErrors.push(msg.text());
    });
    page.on('pageerror', (e) => this.pageErrors.push(String(e && e.stack ? e.stack : e)));
    page.on('response', (r) => {
      if (r.status() >= 400) {
        const url = new URL(r.url());
        this.httpErrors.push({ status: r.status(), path: url.pathname, method: r.request().method() });
      }
    });
  }

  /** Fails on anything not expected. */
  check() {
    const unexpectedHttp = this.httpErrors.filter((e) => {
      const allow = this.expected.find((x) => x.status === e.status && x.path.test(e.path));
      if (allow) allow.seen += 1;
      return !allow;
    });
    const expectedStatuses = new Set(this.httpErrors
      .filter((e) => !unexpectedHttp.includes(e))
      .map((e) => e.status));
    // Chromium logs every 4xx answer as "Failed to load resource"; those of
    // the errors provoked on purpose are fine, nothing else is.
    const consoleErrors = this.consoleErrors.filter((t) => {
      const m = /Failed to load resource: the server responded with a status of (\d+)/.exec(t);
      return !(m && expectedStatuses.has(Number(m[1])));
    });
    assert.deepEqual(this.csp, [], 'no CSP violations');
    assert.deepEqual(this.pageErrors, [], 'no uncaught page errors');
    assert.deepEqual(consoleErrors, [], 'no console errors');
    assert.deepEqual(unexpectedHttp, [], 'no unexpected HTTP errors');
    for (const x of this.expected) assert.ok(x.seen > 0, `the expected ${x.status} on ${x.path} happened`);
  }
}

/** Stops a server `startServer` started (SIGTERM, then SIGKILL after 10 s). */
export async function stopServer(server) {
  if (!server) return;
  server.child.removeAllListeners('exit');
  server.child.kill('SIGTERM');
  await new Promise((r) => {
    const t = setTimeout(() => { server.child.kill('SIGKILL'); r(); }, 10_000);
    server.child.once('exit', () => { clearTimeout(t); r(); });
  });
}

/** Logs in through the form as `email` and waits for the first page. */
export async function logIn(page, base, email, password) {
  await page.goto(`${base}/#/login`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#nav:not([hidden])').waitFor();
}
