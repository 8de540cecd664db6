// How the web UI looks and whether everyone can use it: every page in the
// light and dark themes, on a desktop and a phone screen, checked by axe
// (no serious or critical violations) and photographed; the theme choice
// and how it is kept; the phone's bottom navigation and width; the
// in-app "page not found"; and the installable app (manifest, service
// worker, offline page) in Chromium.
//
// Environment as for ui.test.mjs, and:
//   AURAVEST_SCREENSHOT_DIR  where the screenshots go (default /tmp/auravest-ui),
//                            named <page>-<desktop|phone>-<light|dark>.png

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  SERVER_BIN, CHROMIUM, WASM_DIR, STEP_TIMEOUT, CHROMIUM_ARGS, Watch, startServer, stopServer, logIn,
} from './support.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SHOTS = process.env.AURAVEST_SCREENSHOT_DIR || '/tmp/auravest-ui';

const SCREENS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
];
const THEMES = ['light', 'dark'];

/** The pages checked, each with its address and its main heading. */
const SIGNED_OUT = [
  { page: 'login', hash: '#/login', heading: 'Log in' },
  { page: 'register', hash: '#/register', heading: 'Create an account' },
];
const SIGNED_IN = [
  { page: 'dashboard', hash: '#/', heading: /^Hello, / },
  // The demo portfolio's own page: its address is looked up after login.
  { page: 'portfolio', hash: 'demo', heading: 'Demo portfolio' },
  { page: 'portfolios', hash: '#/portfolios', heading: 'Your portfolios' },
  { page: 'risk', hash: '#/risk', heading: 'Risk profile' },
  { page: 'goals', hash: '#/goals', heading: 'Goals and badges' },
  { page: 'profile', hash: '#/profile', heading: 'Profile' },
  { page: 'community', hash: '#/community', heading: 'Community' },
  { page: 'assistant', hash: '#/assistant', heading: 'Ask the assistant' },
  { page: 'notifications', hash: '#/notifications', heading: 'Notifications' },
  { page: 'watchlist', hash: '#/watchlist', heading: 'Watchlist and alerts' },
  { page: 'messages', hash: '#/messages', heading: 'Messages' },
  { page: 'plus', hash: '#/plus', heading: 'Upgrade to AuraVest Plus' },
  { page: '404', hash: '#/nope/1', heading: 'Page not found' },
];

/** Goes to `hash` and waits until its heading shows and nothing is loading. */
async function open(page, base, { hash, heading }) {
  let address = hash;
  if (hash === 'demo') {
    const list = await page.evaluate(() => fetch('/api/v1/portfolios').then((r) => r.json()));
    address = `#/portfolios/${list.find((p) => p.name === 'Demo portfolio').id}`;
  }
  await page.goto(`${base}/${address}`);
  await page.getByRole('heading', { name: heading, level: 1, exact: typeof heading === 'string' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('main[aria-busy="true"], [data-state="loading"]'));
  // Let late renders (the live category, the streams) settle.
  await page.waitForTimeout(150);
}

/** The serious and critical axe violations on the page, in words. */
async function axeProblems(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`).join('\n')}`);
}

/** How much wider than the window the page is, in pixels. */
function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** The page's background colour and the theme attribute. */
function shown(page) {
  return page.evaluate(() => ({
    theme: document.documentElement.dataset.theme,
    bg: getComputedStyle(document.documentElement).backgroundColor,
    stored: localStorage.getItem('auravest.theme'),
    // The browser toolbar's colour: the first theme-color tag whose media matches.
    toolbar: [...document.querySelectorAll('meta[name="theme-color"]')]
      .find((m) => matchMedia(m.getAttribute('media') || 'all').matches)?.content,
  }));
}

const isDark = (rgb) => {
  const [r, g, b] = rgb.match(/\d+/g).map(Number);
  return r + g + b < 200;
};

describe('AuraVest web UI: look, themes, phones, accessibility, offline', { timeout: 600_000 }, () => {
  let server;
  let dataDir;
  let browser;
  const watch = new Watch();

  before(async () => {
    assert.ok(existsSync(SERVER_BIN), `server binary ${SERVER_BIN} (build it, or set AURAVEST_SERVER_BIN)`);
    assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'auravest-look-'));
    server = await startServer(dataDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    // The pages look the same without the WebAssembly package (its
    // features are then left out): these tests run without it too.
    if (!existsSync(path.join(WASM_DIR, 'slim.js'))) watch.expect(404, /^\/assets\/wasm\//);
  });

  after(async () => {
    try {
      if (browser) await browser.close();
    } finally {
      await stopServer(server);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (const screen of SCREENS) {
    it(`passes axe in both themes on a ${screen.name} screen, and fits it`, async () => {
      // axe is injected as a script: the test context lets it past the CSP
      // (ui.test.mjs checks the CSP itself).
      const context = await browser.newContext({ viewport: screen.viewport, bypassCSP: true });
      await watch.attach(context);
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT);
      const problems = [];
      const check = async (name, theme) => {
        const found = await axeProblems(page);
        if (found.length) problems.push(`${name} (${screen.name}, ${theme}):\n  ${found.join('\n  ')}`);
        await page.screenshot({ path: path.join(SHOTS, `${name}-${screen.name}-${theme}.png`), fullPage: true });
        const state = await shown(page);
        assert.equal(isDark(state.bg), theme === 'dark', `${name} shows the ${theme} theme: ${JSON.stringify(state)}`);
        if (screen.name === 'phone') {
          // Nothing may stick out sideways, down to a 360 px wide phone.
          await page.setViewportSize({ width: 360, height: 740 });
          assert.ok(await overflow(page) <= 0, `${name} is ${await overflow(page)}px wider than a 360px phone`);
          await page.setViewportSize(screen.viewport);
        }
      };
      try {
        // Signed out the device decides ("system" is the default).
        for (const theme of THEMES) {
          await page.emulateMedia({ colorScheme: theme });
          for (const p of SIGNED_OUT) {
            await open(page, server.base, p);
            assert.equal((await shown(page)).theme, 'system');
            await check(p.page, theme);
          }
        }
        await logIn(page, server.base, server.email, server.password);
        // Signed in, the theme chosen on the profile page wins over the
        // device's preference (set to the opposite here).
        for (const theme of THEMES) {
          await page.emulateMedia({ colorScheme: theme === 'dark' ? 'light' : 'dark' });
          await open(page, server.base, SIGNED_IN.find((p) => p.page === 'profile'));
          const choice = page.getByRole('group', { name: 'Theme' });
          await choice.getByLabel(theme === 'dark' ? 'Dark' : 'Light', { exact: true }).check();
          await page.locator('#status').filter({ hasText: 'Theme set to' }).waitFor();
          for (const p of SIGNED_IN) {
            await open(page, server.base, p);
            await check(p.page, theme);
          }
        }
        if (screen.name === 'phone') {
          // The bottom bar: five places, fixed to the bottom, text labels.
          const nav = page.locator('#nav');
          const box = await nav.boundingBox();
          assert.ok(Math.abs(box.y + box.height - screen.viewport.height) <= 1, `the nav sits at the bottom: ${JSON.stringify(box)}`);
          const places = await nav.locator(':scope > ul > li:visible').allInnerTexts();
          assert.deepEqual(places.map((t) => t.trim()), ['Dashboard', 'Portfolios', 'Assistant', 'Community', 'More']);
          // The last of the content can be scrolled clear of the bar.
          const padding = await page.evaluate(() => parseFloat(getComputedStyle(document.body).paddingBottom));
          assert.ok(padding >= box.height - 1, `room under the content: ${padding} for a ${box.height}px bar`);
          // "More" opens the rest; following a link closes it.
          await nav.getByRole('button', { name: 'More' }).click();
          const more = page.locator('#nav-more');
          await more.getByRole('link', { name: 'Goals and badges' }).click();
          await page.getByRole('heading', { name: 'Goals and badges', level: 1 }).waitFor();
          assert.equal(await more.isVisible(), false, 'the menu closes');
          assert.equal(await nav.getByRole('button', { name: 'More' }).getAttribute('data-current'), '');
        } else {
          const box = await page.locator('#nav').boundingBox();
          assert.ok(box.y < 100, `a top bar on the desktop: ${JSON.stringify(box)}`);
        }
      } finally {
        // Back to the default for the next run, on the server too.
        try {
          await open(page, server.base, SIGNED_IN.find((p) => p.page === 'profile'));
          await page.getByLabel('Same as my device').check();
          await page.locator('#status').filter({ hasText: 'Theme set to same as my device' }).waitFor();
        } finally {
          await context.close();
        }
      }
      assert.deepEqual(problems, [], `axe found serious or critical problems:\n${problems.join('\n')}`);
    });
  }

  it('sets the stored theme before the first paint and takes the profile\'s after login', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await watch.attach(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    try {
      await page.goto(`${server.base}/#/login`);
      await page.evaluate(() => localStorage.setItem('auravest.theme', 'dark'));
      // Read as early as a script can: the attribute is there before the
      // stylesheet and the app's module load.
      await page.addInitScript(() => {
        document.addEventListener('readystatechange', () => {
          if (!window.__firstTheme) window.__firstTheme = document.documentElement.dataset.theme;
        });
      });
      await page.reload();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      assert.equal(await page.evaluate(() => window.__firstTheme), 'dark');
      assert.ok(isDark((await shown(page)).bg));
      // The toolbar takes the chosen theme's colour, whatever the device's.
      await page.emulateMedia({ colorScheme: 'light' });
      assert.equal((await shown(page)).toolbar, '#12212e');
      // The header's switch flips it (signed out: on this device only).
      const toggle = page.getByRole('button', { name: 'Dark theme' });
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      await toggle.click();
      assert.deepEqual(await shown(page).then((s) => [s.theme, s.stored, isDark(s.bg), s.toolbar]), ['light', 'light', false, '#1b5e84']);
      await page.emulateMedia({ colorScheme: 'dark' });
      assert.equal((await shown(page)).toolbar, '#1b5e84', 'a fixed choice ignores the device');
      await toggle.click();
      assert.equal((await shown(page)).toolbar, '#12212e');
      // Logging in: the profile's theme ("system" for the demo user, the
      // device light) wins and is stored.
      await page.emulateMedia({ colorScheme: 'light' });
      await logIn(page, server.base, server.email, server.password);
      await page.waitForFunction(() => document.documentElement.dataset.theme === 'system');
      assert.equal((await shown(page)).stored, 'system');
      // The switch, signed in, saves to the profile.
      const saved = () => page.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.request().method() === 'PATCH');
      for (const want of ['dark', 'light']) {
        const [response] = await Promise.all([saved(), page.getByRole('button', { name: 'Dark theme' }).click()]);
        assert.equal((await response.json()).theme, want);
        assert.equal((await shown(page)).stored, want);
        const me = await page.evaluate(() => fetch('/api/v1/me').then((r) => r.json()));
        assert.equal(me.theme, want);
      }
      await page.evaluate(() => fetch('/api/v1/me', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': document.cookie.match(/auravest_csrf=([^;]+)/)[1] },
        body: JSON.stringify({ theme: 'system' }),
      }));
    } finally {
      await context.close();
    }
  });

  it('shows an in-app "page not found" for unknown addresses', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await watch.attach(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    try {
      // Signed out, then signed in (with the navigation kept).
      await page.goto(`${server.base}/#/settings`);
      await page.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
      assert.equal(await page.title(), 'Page not found · AuraVest');
      await logIn(page, server.base, server.email, server.password);
      for (const hash of ['#/settings', '#/nope/1', '#/portfolios/not-an-id']) {
        await page.goto(`${server.base}/#/risk`);
        await page.getByRole('heading', { name: 'Risk profile', level: 1 }).waitFor();
        // A hash change from a page that was showing: the old page goes.
        await page.evaluate((h) => { location.hash = h; }, hash);
        await page.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
        assert.equal(await page.getByRole('heading', { name: 'Risk profile' }).count(), 0, hash);
        assert.equal(await page.title(), 'Page not found · AuraVest');
        assert.equal(await page.locator('#nav').isVisible(), true);
      }
      await page.getByRole('link', { name: 'Back to the dashboard' }).click();
      await page.getByRole('heading', { name: /^Hello, /, level: 1 }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('shows what failed with a Retry that loads again, and the portfolio page fits a phone', async () => {
    // No service worker here: the test cuts the API off for the page itself.
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, serviceWorkers: 'block' });
    await watch.attach(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    try {
      await logIn(page, server.base, server.email, server.password);
      let cut = true;
      await page.route('**/api/v1/portfolios', (route) => (cut ? route.abort('internetdisconnected') : route.continue()));
      await page.goto(`${server.base}/#/portfolios`);
      const error = page.locator('[data-state="error"]');
      await error.waitFor();
      assert.match(await error.innerText(), /Could not load portfolios: AuraVest could not be reached/);
      assert.equal(await page.getByRole('heading', { name: 'Your portfolios' }).count(), 0);
      cut = false;
      await error.getByRole('button', { name: 'Retry' }).click();
      await page.getByRole('heading', { name: 'Your portfolios', level: 1 }).waitFor();
      await page.getByRole('link', { name: /Demo portfolio/ }).click();
      await page.getByRole('heading', { name: 'Demo portfolio', level: 1 }).waitFor();
      // On a phone the positions are cards.
      await page.locator('[data-valuation] .position-card').first().waitFor();
      await page.locator('[data-transactions] table').waitFor();
      assert.ok(await overflow(page) <= 0, `the portfolio page is ${await overflow(page)}px wider than a 360px phone`);
      await page.screenshot({ path: path.join(SHOTS, 'portfolio-phone-light.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('is installable, works through its service worker and shows the offline page', async () => {
    // A profile on disk: Chromium does not install apps from an incognito
    // context, which is what `browser.newContext()` makes.
    const profile = mkdtempSync(path.join(tmpdir(), 'auravest-profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000, viewport: { width: 1280, height: 800 },
    });
    await watch.attach(context);
    const page = context.pages()[0] || await context.newPage();
    watch.attachPage(page);
    page.setDefaultTimeout(STEP_TIMEOUT);
    try {
      await page.goto(`${server.base}/`);
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      const cdp = await context.newCDPSession(page);
      const manifest = await cdp.send('Page.getAppManifest');
      assert.match(manifest.url, /\/manifest\.webmanifest$/);
      assert.deepEqual(manifest.errors, [], 'the manifest parses');
      // The worker installs (caching the shell) and takes over.
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await page.reload();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null), true, 'the worker controls the page');
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      assert.deepEqual(installabilityErrors, [], 'installable');
      const names = await page.evaluate(() => caches.keys());
      assert.equal(names.length, 1, names.join(', '));
      assert.match(names[0], /^auravest-\d+\.\d+\.\d+.*-[0-9a-f]{12}$/);
      const kept = await page.evaluate((name) => caches.open(name).then((c) => c.keys()).then((ks) => ks.map((k) => new URL(k.url).pathname)), names[0]);
      for (const p of ['/', '/offline.html', '/assets/app.js', '/assets/style.css', '/assets/icon-192.png']) {
        assert.ok(kept.includes(p), `${p} is kept: ${kept}`);
      }
      assert.ok(!kept.some((p) => p.startsWith('/api/')), 'no API answer is kept');

      // Offline: a new page shows the offline page; the app's API calls
      // get an error the app can show.
      await context.setOffline(true);
      await page.goto(`${server.base}/somewhere-new`);
      await page.getByRole('heading', { name: 'You are offline', level: 1 }).waitFor();
      assert.equal(await page.title(), 'You are offline · AuraVest');
      await page.screenshot({ path: path.join(SHOTS, 'offline-desktop-light.png'), fullPage: true });
      await context.setOffline(false);
      await page.goto(`${server.base}/`);
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('saw no console errors, page errors or CSP violations', () => {
    // Going offline makes Chromium log the failed fetches it was asked for.
    watch.consoleErrors = watch.consoleErrors.filter((t) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(t));
    watch.check();
  });
});
