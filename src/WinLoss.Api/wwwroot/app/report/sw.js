// Service worker of the rep form: keeps the page shell so /app/report opens with no signal.
// Shell files are served from the cache at once and refreshed in the background (stale-while-revalidate);
// a new deployment is picked up on the next load. API calls are never cached here: the page keeps its own
// copies of the taxonomy and recent reports, and its outbox in IndexedDB.
const CACHE = "winloss-report-v2";
const SHELL = [
  "/app/report/",
  "/app/report/app.js",
  "/app/report/outbox.js",
  "/app/report/app.css",
  "/app/report/manifest.webmanifest",
  "/app/report/icon.svg",
  "/app/shared/api.js",
  "/app/shared/dom.js",
  "/app/shared/key.js",
  "/app/shared/site.css",
  "/favicon.svg",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((u) => new Request(u, { cache: "reload" })))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("winloss-report-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPage = request.mode === "navigate" && (url.pathname === "/app/report" || url.pathname === "/app/report/" || url.pathname === "/app/report/index.html");
  const key = isPage ? "/app/report/" : url.pathname;
  if (!SHELL.includes(key)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(key);
    const network = fetch(key, { cache: "no-cache" })
      .then((response) => {
        if (response.ok && !response.redirected) cache.put(key, response.clone());
        return response;
      });
    if (cached) {
      event.waitUntil(network.catch(() => undefined));
      return cached;
    }
    return network;
  })());
});
