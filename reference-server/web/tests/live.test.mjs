// The community live in the browser: another member's post waits behind a
// "Show 1 new post" button (the page does not jump), comments and likes on
// the reader's post update in place, the bell counts the unread
// notifications as they arrive, and the notifications page marks them
// read. Another member acts through the API, as another device would.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, STEP_TIMEOUT, CHROMIUM_ARGS, SERVER_BIN, Watch, startServer, stopServer, logIn,
} from './support.mjs';

const SHOTS = process.env.AURAVEST_SCREENSHOT_DIR || '/tmp/auravest-ui';

/** Another member, signed in through the API (a bearer token). */
async function member(base, email) {
  const legal = await (await fetch(`${base}/api/v1/legal`)).json();
  const password = 'quiet-lantern-orchard-58';
  const json = async (method, p, body, token) => {
    const r = await fetch(`${base}/api/v1${p}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await json('POST', '/auth/register', { email, password, accepted_terms_version: legal.terms_version });
  const { access_token: token } = await json('POST', '/auth/login', { email, password });
  return { call: (method, p, body) => json(method, p, body, token) };
}

describe('the community, live', { timeout: 180_000 }, () => {
  let server;
  let dataDir;
  let browser;
  let context;
  let page;
  let bob;
  const watch = new Watch();

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'auravest-live-'));
    server = await startServer(dataDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
    await watch.attach(context);
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    bob = await member(server.base, 'live-bob@example.org');
    await bob.call('PATCH', '/me', { alias: 'bob_live' });
  });

  after(async () => {
    try {
      if (browser) await browser.close();
    } finally {
      await stopServer(server);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('shows new posts behind a button, comments and likes in place, and counts notifications on the bell', async () => {
    await logIn(page, server.base, server.email, server.password);
    const bell = page.locator('[data-bell]');
    await bell.waitFor();
    assert.equal(await bell.getAttribute('aria-label'), 'Notifications');
    await page.getByRole('navigation').getByRole('link', { name: 'Community' }).click();
    await page.getByRole('heading', { name: 'Community', level: 1 }).waitFor();
    await page.waitForFunction(() => document.documentElement.dataset.live === 'on');

    // The reader posts; Bob's post then waits behind the button.
    const form = page.locator('form[aria-label="New post"]');
    await form.getByLabel('Your post').fill('Rebalancing into $VTI this week');
    await form.getByRole('button', { name: 'Post' }).click();
    const mine = page.locator('[data-stream] article[data-post]', { hasText: 'Rebalancing into $VTI' });
    await mine.waitFor();
    const myId = await mine.getAttribute('data-post');
    const before = await page.locator('[data-stream] article[data-post]').count();
    await bob.call('POST', '/community/posts', { text: 'Anyone else watching $AAPL earnings?' });
    const button = page.locator('[data-new-posts]');
    await button.filter({ hasText: 'Show 1 new post' }).waitFor();
    assert.equal(await page.locator('[data-stream] article[data-post]').count(), before, 'the stream did not jump');
    await button.click();
    const first = page.locator('[data-stream] article[data-post]').first();
    assert.match(await first.innerText(), /watching \$AAPL earnings/);
    assert.match(await first.locator('[data-author]').innerText(), /bob_live/);
    assert.equal(await button.isHidden(), true);

    // Bob comments on and likes the reader's post: counts change in place,
    // and the bell counts the notifications.
    await bob.call('POST', `/community/posts/${myId}/comments`, { text: 'Nice, what allocation?' });
    await bob.call('PUT', `/community/posts/${myId}/like`);
    await mine.locator('[data-comments]').filter({ hasText: 'Comments (1)' }).waitFor();
    await mine.locator('[data-likes]').filter({ hasText: '1 like' }).waitFor();
    // A comment and a like: two notifications.
    await page.waitForFunction(() => /^Notifications, 2 unread$/.test(document.querySelector('[data-bell]').getAttribute('aria-label')));
    const unread = Number(await bell.locator('[data-unread]').innerText());
    assert.equal(unread, 2);
    await page.screenshot({ path: path.join(SHOTS, 'community-live-desktop.png') });

    // The notifications page: what happened, then marked read.
    await bell.click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    const items = page.locator('[data-notifications] li[data-notification]');
    await items.first().waitFor();
    assert.match(await page.locator('[data-notifications]').innerText(), /bob_live commented on your post/);
    assert.equal(await page.locator('[data-notifications] li[data-read="false"]').count(), unread);
    await page.screenshot({ path: path.join(SHOTS, 'notifications-desktop.png') });
    // One marked read, then all.
    await items.first().getByRole('button', { name: /^Mark read/ }).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-notifications] li[data-read="false"]').length === n, unread - 1);
    await page.waitForFunction(() => document.querySelector('[data-bell] [data-unread]').textContent === '1');
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-notifications] li[data-read="false"]').length === 0);
    await page.waitForFunction(() => document.querySelector('[data-bell] [data-unread]').hidden);
    assert.equal(await bell.getAttribute('aria-label'), 'Notifications');

    // A new one arrives while the page is open.
    await bob.call('POST', `/community/posts/${myId}/comments`, { text: 'And which fund?' });
    await page.locator('[data-notifications] li[data-read="false"]').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-bell] [data-unread]').textContent === '1');
    watch.check();
  });

  it('keeps a watchlist with delayed prices and sets price alerts', async () => {
    watch.expect(422, /^\/api\/v1\/alerts$/);
    await page.goto(`${server.base}/#/watchlist`);
    await page.getByRole('heading', { name: 'Watchlist and alerts', level: 1 }).waitFor();
    await page.locator('[data-watchlist]').filter({ hasText: 'Nothing on your watchlist yet' }).waitFor();
    const add = page.locator('form[aria-label="Add to the watchlist"]');
    await add.getByLabel('Symbol').fill('aapl');
    await add.getByRole('button', { name: 'Watch' }).click();
    const item = page.locator('[data-watchlist] li[data-watch="AAPL"]');
    await item.waitFor();
    assert.match(await item.innerText(), /^\$AAPL\s+\d{1,3}(,\d{3})*\.\d{2,4}\s+shipped sample data of \d{4}-\d{2}-\d{2}\s+Remove$/);

    const form = page.locator('form[aria-label="New price alert"]');
    await form.getByLabel('Symbol').fill('AAPL');
    await form.getByLabel('When it').selectOption('moved');
    await form.getByLabel('Value').fill('0');
    await form.getByRole('button', { name: 'Set alert' }).click();
    await form.locator('.field-error, .form-error').filter({ hasText: /percent|move/ }).first().waitFor();
    // A day's move is a Plus feature: the form says so.
    watch.expect(403, /^\/api\/v1\/alerts$/);
    await form.getByLabel('Value').fill('-5');
    await form.getByRole('button', { name: 'Set alert' }).click();
    await form.locator('[data-form-error]').filter({ hasText: 'AuraVest Plus' }).waitFor();
    await form.getByLabel('When it').selectOption('below');
    await form.getByLabel('Value').fill('150');
    await form.getByRole('button', { name: 'Set alert' }).click();
    const rule = page.locator('[data-alerts] li[data-alert]');
    await rule.filter({ hasText: '$AAPL falls below 150' }).waitFor();
    assert.equal(await rule.first().getAttribute('data-armed'), 'true');
    assert.match(await rule.first().innerText(), /waiting/i);
    await page.screenshot({ path: path.join(SHOTS, 'watchlist-desktop.png'), fullPage: true });
    await rule.first().getByRole('button', { name: /^Delete the alert/ }).click();
    await page.locator('[data-alerts]').filter({ hasText: 'No price alerts yet' }).waitFor();
    await item.getByRole('button', { name: 'Remove AAPL from the watchlist' }).click();
    await page.locator('[data-watchlist]').filter({ hasText: 'Nothing on your watchlist yet' }).waitFor();
    watch.check();
  });

  it('exchanges direct messages with a member who follows back, live', async () => {
    // The demo member and Bob follow each other.
    const me = await page.evaluate(() => fetch('/api/v1/me').then((r) => r.json()));
    await page.goto(`${server.base}/#/community`);
    await page.getByRole('heading', { name: 'Community', level: 1 }).waitFor();
    const follow = page.locator('button[data-follow="bob_live"]').first();
    await follow.waitFor();
    if ((await follow.getAttribute('aria-pressed')) !== 'true') await follow.click();
    await page.locator('button[data-follow="bob_live"][aria-pressed="true"]').first().waitFor();
    const demoAlias = (await bob.call('GET', `/community/members/${encodeURIComponent(me.alias.replaceAll('-', '_'))}`)).member.alias;
    await bob.call('PUT', `/community/members/${encodeURIComponent(demoAlias)}/follow`);

    await page.goto(`${server.base}/#/messages`);
    await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
    await page.locator('[data-conversations]').filter({ hasText: 'No messages yet' }).waitFor();
    await bob.call('POST', `/community/messages/with/${encodeURIComponent(demoAlias)}`, { text: 'Hi! How do you size a new position?' });
    const item = page.locator('[data-conversations] li[data-conversation="bob_live"]');
    await item.filter({ hasText: '1 new message' }).waitFor();
    await item.getByRole('link').click();
    await page.getByRole('heading', { name: 'Messages with bob_live', level: 1 }).waitFor();
    await page.locator('[data-thread] li[data-message]', { hasText: 'size a new position' }).waitFor();
    await page.getByLabel('Your message').fill('A few percent at most, then add over time.');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('[data-thread] li.message.mine', { hasText: 'A few percent' }).waitFor();
    const seen = await bob.call('GET', `/community/messages/with/${encodeURIComponent(demoAlias)}`);
    assert.equal(seen.messages.at(-1).text, 'A few percent at most, then add over time.');
    // Bob's next message arrives while the conversation is open.
    await bob.call('POST', `/community/messages/with/${encodeURIComponent(demoAlias)}`, { text: 'Thanks, that helps.' });
    await page.locator('[data-thread] li[data-message]', { hasText: 'that helps' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'messages-desktop.png'), fullPage: true });
    // A block stops both sides, with the reason shown; unblocking restores it.
    await page.getByRole('button', { name: 'Block bob_live' }).click();
    await page.locator('[data-refusal]').filter({ hasText: 'blocked' }).waitFor();
    await assert.rejects(bob.call('POST', `/community/messages/with/${encodeURIComponent(demoAlias)}`, { text: 'hello?' }), /403/);
    await page.getByRole('button', { name: 'Unblock bob_live' }).click();
    await page.getByLabel('Your message').waitFor();
    watch.check();
  });

  it('sends feedback to the moderators, and a moderator takes down a reported post', async () => {
    await page.goto(`${server.base}/#/community`);
    await page.getByRole('heading', { name: 'Community', level: 1 }).waitFor();
    const feedback = page.locator('form[aria-label="Feedback to the moderators"]');
    await feedback.getByLabel('About').selectOption('safety');
    await feedback.getByLabel('What happened, or what you suggest').fill('Someone keeps promising guaranteed returns in the comments.');
    await feedback.getByRole('button', { name: 'Send to the moderators' }).click();
    await page.locator('#status').filter({ hasText: 'the moderators will read it' }).waitFor();
    // A post to report.
    const carl = await member(server.base, 'live-carl@example.org');
    const spam = await carl.call('POST', '/community/posts', { text: 'Guaranteed 40% a month, DM me for the $XYZ signal' });
    await page.reload();
    const article = page.locator(`[data-stream] article[data-post="${spam.id}"]`);
    await article.getByRole('button', { name: 'Report' }).click();
    const flag = article.locator('form[aria-label="Report this post"]');
    await flag.getByLabel('Why are you reporting it?').selectOption('manipulation');
    await flag.getByRole('button', { name: 'Send report' }).click();
    await article.filter({ hasText: 'the moderators will look at it' }).waitFor();
    // The moderators' page is not for members.
    assert.equal(await page.locator('#nav a[data-nav="moderation"]').isVisible(), false);

    // Made a moderator by the operator's command, on the same database.
    const env = Object.fromEntries(Object.entries(process.env)
      .filter(([k]) => !['DATABASE_URL', 'REDIS_URL'].includes(k) && !k.startsWith('AURAVEST_')));
    const granted = spawnSync(SERVER_BIN, ['admin', 'grant', '--email', server.email, '--role', 'moderator'], {
      env: { ...env, AURAVEST_DATA_DIR: dataDir, AURAVEST_AI: 'false', AURAVEST_LOG: 'warn' },
      encoding: 'utf8',
    });
    assert.equal(granted.status, 0, granted.stderr);
    await page.goto(`${server.base}/#/moderation`);
    await page.reload();
    await page.getByRole('heading', { name: 'Moderation', level: 1 }).waitFor();
    assert.equal(await page.locator('#nav a[data-nav="moderation"]').isVisible(), true);
    const queued = page.locator(`[data-flagged] li[data-queue-post="${spam.id}"]`);
    await queued.waitFor();
    assert.match(await queued.innerText(), /manipulation \(1\)/);
    await page.locator('[data-feedback-queue] li[data-feedback]', { hasText: 'guaranteed returns' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'moderation-desktop.png'), fullPage: true });
    // A reason is required; then the post is taken down and leaves the queue.
    await queued.getByRole('button', { name: /^Take down/ }).click();
    await queued.locator('.field-error').filter({ hasText: 'Give a reason first' }).waitFor();
    await queued.getByRole('textbox').fill('Pump-and-dump promotion');
    await queued.getByRole('button', { name: /^Take down/ }).click();
    await page.locator('[data-flagged]').filter({ hasText: 'No flagged posts' }).waitFor();
    await page.locator('[data-feedback-queue] li[data-feedback]').first().getByRole('button', { name: /^Mark resolved/ }).click();
    await page.locator('[data-feedback-queue]').filter({ hasText: 'No open feedback' }).waitFor();
    watch.check();
  });

  it('shows the plans and records "notify me" once', async () => {
    await page.goto(`${server.base}/#/plus`);
    await page.getByRole('heading', { name: 'Upgrade to AuraVest Plus', level: 1 }).waitFor();
    assert.match(await page.locator('[data-current-plan]').innerText(), /You are on AuraVest\./);
    const table = page.getByRole('table');
    assert.match(await table.innerText(), /AI questions a day\s+5\s+50/);
    assert.match(await table.innerText(), /Alerts on a day's move\s+No\s+Yes/);
    await page.getByRole('button', { name: 'Notify me when Plus opens' }).click();
    const done = page.getByRole('button', { name: 'We will let you know' });
    await done.waitFor();
    assert.equal(await done.isDisabled(), true);
    await page.reload();
    await page.getByRole('button', { name: 'We will let you know' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'plus-desktop.png'), fullPage: true });
    watch.check();
  });

  it('keeps the bell on a phone', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, serviceWorkers: 'block' });
    try {
      const p = await phone.newPage();
      p.setDefaultTimeout(STEP_TIMEOUT);
      await logIn(p, server.base, server.email, server.password);
      const bell = p.locator('[data-bell]');
      await bell.waitFor();
      const box = await bell.boundingBox();
      assert.ok(box && box.x + box.width <= 390, `the bell fits the screen: ${JSON.stringify(box)}`);
      await bell.click();
      await p.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
      await p.screenshot({ path: path.join(SHOTS, 'notifications-phone.png'), fullPage: true });
      assert.equal(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'no sideways scroll');
    } finally {
      await phone.close();
    }
  });
});
