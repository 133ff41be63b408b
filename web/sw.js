// sw.js - the page's service worker: the page, its modules, the WebAssembly module and the weights
// are kept in a cache so that the page loads and classifies without a network. Every request still
// goes to the network first, so a new version served replaces the cached one at once; only when the
// network fails (or gives no answer within NETWORK_WAIT_MS) does the cached copy answer.

/** @type {ServiceWorkerGlobalScope} */
const scope = /** @type {any} */ (self); // the service worker's own scope, typed as such

const CACHE = 'cifake-v1';
const NETWORK_WAIT_MS = 4000;
// Everything the page needs (tests/e2e/offline.test.mjs checks that every file the page loads is here).
const FILES = ['./', 'index.html', 'style.css', 'boot.js', 'app.js', 'announce.js', 'cards.js', 'exports.js', 'format.js',
  'intake.js', 'meta-keys.js', 'order.js', 'pool.js', 'result.js', 'store.js', 'table.js', 'worker.js', 'detector.js', 'pixels.js',
  'provenance.js', 'c2pa.js', 'trust/C2PA-TRUST-LIST.pem', 'cifake.wasm', 'cifake.bin'];
// Loaded only when a file carries Content Credentials (the C2PA library is 8 MB): cached when the
// page asks, once this worker is active, without holding up its installation (when they are missing,
// e.g. a build without `make wasm`'s copy of the library, the page says the credentials were not
// checked).
const LAZY = ['vendor/c2pa/c2pa.js', 'vendor/c2pa/c2pa_bg.wasm'];

scope.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })));
    await scope.skipWaiting();
  })());
});

scope.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await scope.clients.claim();
  })());
});

// The page's request to keep the lazy files (waitUntil keeps this worker alive while they download).
scope.addEventListener('message', (event) => {
  if (event.data === 'cache-lazy') event.waitUntil(cacheLazyFiles());
});

async function cacheLazyFiles() {
  const cache = await caches.open(CACHE);
  for (const f of LAZY) {
    try {
      if (await cache.match(f)) continue;
      const res = await fetch(new Request(f, { cache: 'reload' }));
      if (res.ok) await cache.put(f, res);
    } catch {
      // offline: cached when it is first used online
    }
  }
}

scope.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== scope.location.origin) return;
  event.respondWith(networkFirst(req));
});

async function networkFirst(req) {
  const cache = await caches.open(CACHE);
  const network = fetch(req, { cache: 'no-cache' }).then(async (res) => {
    if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
    return res;
  });
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, NETWORK_WAIT_MS, null); });
  try {
    const res = await Promise.race([network, late]);
    if (res) return res;
  } catch {
    // offline, or the server is gone: the cached copy below
  } finally {
    clearTimeout(timer);
  }
  const cached = await cache.match(req, { ignoreSearch: true });
  if (cached) return cached;
  return network; // nothing cached: the network's own answer or error
}
