// The AuraVest service worker: it keeps the app shell (the page, its
// scripts, styles and icons, and an offline page) so the app starts and
// says so when the network is gone.
//
// - The shell is cached on install under a name the server derives from
//   its version and the shell's contents (it fills in CACHE and SHELL when
//   it serves this file), so a new release replaces the cache.
// - /api/ is not touched: it goes to the network only, as without a worker;
//   its answers hold the user's data and are never cached.
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
  // The API is left to the network: never cached, and when it cannot be
  // reached the app says so itself (api.js).
  if (url.pathname.startsWith('/api/')) return;
  if (request.method !== 'GET' || url.pathname.startsWith('/assets/wasm/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(navigation(request));
    return;
  }
  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(request));
  }
});
