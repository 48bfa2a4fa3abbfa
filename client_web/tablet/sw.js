// The tablet's service worker (scope /tablet/): the app shell and the pages of ordinary
// documents keep working without network, so a tablet that loses the LAN, or is reloaded
// while it is lost, still shows the meeting and the pages it had downloaded.
//
// - App shell (HTML, scripts, styles, translations, icons): from the network when it
//   answers within a few seconds (an update is picked up at once), else from the cache.
// - Page images (/api/versions/{id}/pages/{n}): from the cache "phonghop-pages-v1", which
//   the app fills while it prefetches; other answers are stored there too, except those
//   marked no-store (watermarked pages of classified documents never touch the disk).
// - Everything else under /api/ and the websocket: network only.

const SHELL_CACHE = "phonghop-shell-v1";
const PAGE_CACHE = "phonghop-pages-v1";
const KEEP = new Set([SHELL_CACHE, PAGE_CACHE]);
const NETWORK_TIMEOUT_MS = 4000;

// Relative to this file (/tablet/sw.js). tests/browser/test_client_files.py checks that
// every module and style the tablet loads is listed.
const SHELL = [
  "./",
  "index.html",
  "manifest.webmanifest",
  "annotate.js",
  "app.js",
  "invitation.js",
  "join.js",
  "lock.js",
  "meeting.js",
  "pages.js",
  "screen.js",
  "viewer.js",
  "vote.js",
  "tablet.css",
  "icons/icon.svg",
  "icons/icon-192.png",
  "icons/icon-512.png",
  "../shared/api.js",
  "../shared/banner.js",
  "../shared/dialog.js",
  "../shared/documents.js",
  "../shared/dom.js",
  "../shared/i18n.js",
  "../shared/live.js",
  "../shared/liveview.js",
  "../shared/polls.js",
  "../shared/reducers.js",
  "../shared/time.js",
  "../shared/ui.css",
  "../i18n/vi.json",
  "../i18n/en.json",
];

const PAGE_PATH = /\/api\/versions\/\d+\/pages\/\d+$/;
const SHELL_PATHS = ["/tablet/", "/shared/", "/i18n/"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // One by one, so that one missing file does not leave the whole shell uncached.
      await Promise.all(SHELL.map((path) => cache.add(new Request(path, { cache: "reload" })).catch(() => null)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (!KEEP.has(name)) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

function inShell(url) {
  return url.origin === self.location.origin && SHELL_PATHS.some((p) => url.pathname.includes(p));
}

async function pageImage(request) {
  const cache = await caches.open(PAGE_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  const control = response.headers.get("Cache-Control") ?? "";
  if (response.ok && !control.includes("no-store")) await cache.put(request, response.clone());
  return response;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

async function shell(request) {
  const cache = await caches.open(SHELL_CACHE);
  const key = request.mode === "navigate" ? new URL("./", self.location).href : request;
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok && response.type === "basic") await cache.put(key, response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(key, { ignoreSearch: true });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (PAGE_PATH.test(url.pathname)) {
    event.respondWith(pageImage(request));
  } else if (request.mode === "navigate" || (inShell(url) && !url.pathname.startsWith("/api/"))) {
    event.respondWith(shell(request));
  }
});
