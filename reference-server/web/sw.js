// The AuraVest service worker: it keeps the app shell (the page, its
// scripts, styles and icons, and an offline page) so the app starts and
// says so when the network is gone.
//
// - The shell is cached on install under a name the server derives from
//   its version and the shell's contents (it fills in CACHE and SHELL when
//   it serves this file), so a new release replaces the cache.
// - /api/ goes to the network only: answers hold the user's data and are
//   never cached; offline, the app gets a JSON error it can show.
// - /assets/ comes from the cache first (then the network, and is kept),
//   except the WebAssembly package (/assets/wasm/), which is large, built
//   apart from the server and revalidated by the browser with its ETag.
// - A page navigation goes to the network; when that fails, the offline
//   page answers.

const CACHE = '__AURAVEST_CACHE__';
const SHELL = __AURAVEST_SHELL__;
const OFFLINE = '/offline.html';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(SHELL))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((n) => n.startsWith('auravest-') && n !== CACHE)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function offlineApiAnswer() {
  const body = JSON.stringify({
    error: { code: 'offline', message: 'you are offline; try again when connected' },
  });
  return new Response(body, {
    status: 503,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}

async function fromCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') cache.put(request, response.clone());
  return response;
}

async function navigation(request) {
  try {
    return await fetch(request);
  } catch {
    const cache = await caches.open(CACHE);
    return (await cache.match(OFFLINE)) || Response.error();
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) {
    event.respondWith(fetch(request).catch(offlineApiAnswer));
    return;
  }
  if (request.method !== 'GET' || url.pathname.startsWith('/assets/wasm/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(navigation(request));
    return;
  }
  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(request));
  }
});
