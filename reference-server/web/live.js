// Live events from GET /api/v1/live (server-sent events), one connection
// per tab while signed in: new posts in the watched streams, comments,
// like counts, removals and the user's own notifications. The browser
// reconnects by itself with the last event id, so nothing is missed; when
// the server refuses (an expired session), the session is refreshed through
// an ordinary call and the connection reopened from the last id seen.

import { get } from './api.js';

const KINDS = ['post', 'comment', 'reactions', 'removed', 'notification', 'message', 'reset'];
const listeners = new Set();
/** Listeners of the page shown; dropped when another page is shown. */
const pageListeners = new Set();
let source = null;
let running = false;
let streams = ['latest', 'following'];
let lastId = '';
let retry = 1000;
let timer = null;

function url() {
  const q = new URLSearchParams({ streams: streams.join(',') });
  if (lastId) q.set('last_event_id', lastId);
  return `/api/v1/live?${q}`;
}

function close() {
  clearTimeout(timer);
  if (source) source.close();
  source = null;
}

function open() {
  close();
  if (!running || typeof EventSource === 'undefined') return;
  const s = new EventSource(url());
  source = s;
  for (const name of KINDS) {
    s.addEventListener(name, (ev) => {
      if (ev.lastEventId) lastId = ev.lastEventId;
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      for (const fn of [...listeners, ...pageListeners]) fn(name, data);
    });
  }
  s.addEventListener('open', () => {
    retry = 1000;
    document.documentElement.dataset.live = 'on';
  });
  s.addEventListener('error', () => {
    document.documentElement.dataset.live = 'off';
    // While connecting again the browser retries by itself; a refusal
    // closes the source for good.
    if (s.readyState !== EventSource.CLOSED) return;
    const wait = retry;
    retry = Math.min(retry * 2, 30000);
    timer = setTimeout(async () => {
      try {
        await get('/me');
      } catch {
        // Offline, or signed out (the app stops the connection then).
      }
      if (running) open();
    }, wait);
  });
}

/** Opens the connection (after sign-in); later calls change nothing. */
export function startLive() {
  if (running) return;
  running = true;
  open();
}

/** Closes it (at sign-out). */
export function stopLive() {
  running = false;
  lastId = '';
  close();
  delete document.documentElement.dataset.live;
}

/**
 * Receives the posts of `list` (`latest`, `following`, `ticker:AAPL`)
 * from now on; reopens the connection from the last event seen, so none
 * is lost.
 */
export function watchStreams(list) {
  const next = [...new Set(list)];
  if (next.join(',') === streams.join(',')) return;
  streams = next;
  if (running) open();
}

/** Calls `fn(kind, data)` for each event; returns the way to stop. */
export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** As `onLive`, for the page being shown: dropped by `endPage`. */
export function onPageLive(fn) {
  pageListeners.add(fn);
}

/** Drops the listeners of the page that was shown (the router calls it). */
export function endPage() {
  pageListeners.clear();
}
