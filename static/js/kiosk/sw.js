/* The kiosk's service worker (served as /kiosk/sw.js?v=<shell version>, scope /kiosk/; see
 * kiosk/offline_shell.py and docs/offline.md): a reload with the network cut still shows a working kiosk.
 *
 *   install   caches the shell (/kiosk/offline-shell.json: the page, scripts, CSS, pictograms) in
 *             "kiosk-shell-<version>"
 *   message   "cache-more": caches the fixed spoken phrases' audio and the given goods photos, one at a
 *             time, best effort
 *   activate  deletes every kiosk cache of another version
 *   fetch     the page: network first, the cached copy when the network fails (or takes > 6 s);
 *             static files, pictograms, goods photos and fixed audio: cache first, filled on use;
 *             /kiosk/api/ and anything else: never answered from a cache
 */
const VERSION = new URL(self.location.href).searchParams.get("v") || "dev";
const CACHE = "kiosk-shell-" + VERSION;
const PAGE = "/kiosk/";
const PAGE_TIMEOUT = 6000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    fetch("/kiosk/offline-shell.json", { cache: "no-store" }).then((res) => res.json()).then((shell) =>
      cache.addAll(shell.urls))
  ).then(() => self.skipWaiting()));
});

/* The fixed phrases' audio and the goods photos of the last refresh, one file after the other, when
   the page asks (sync_loop.js: after a refresh, on the attract screen): all at once at install would
   delay a resident's own phrases on a small server. Files already cached are skipped. */
function cacheMore(photos) {
  return caches.open(CACHE).then((cache) =>
    fetch("/kiosk/offline-shell.json", { cache: "no-store" }).then((res) => res.json()).then((shell) =>
      shell.speech.concat(photos).reduce((done, url) => done.then(() => cache.match(url)).then((hit) => hit || cache.add(url))
        .catch(() => { /* one file missing: silent there, or the pictogram's place stays empty */ }), Promise.resolve())));
}

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "cache-more") {
    event.waitUntil(cacheMore((event.data.photos || []).filter((url) => typeof url === "string" && url.indexOf("/kiosk/photo/") === 0)));
  }
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names
    .filter((name) => name.indexOf("kiosk-") === 0 && name !== CACHE)
    .map((name) => caches.delete(name)))).then(() => self.clients.claim()));
});

function cacheable(url) {
  if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/kiosk/photo/") === 0) { return true; }
  // fixed phrases only: one with a session is a resident's amount, never kept
  return url.pathname.indexOf("/kiosk/speech/") === 0 && !url.searchParams.has("session");
}

function fromCacheFirst(request) {
  return caches.open(CACHE).then((cache) => cache.match(request).then((hit) => hit || fetch(request).then((res) => {
    if (res.ok && res.status === 200) { cache.put(request, res.clone()); }
    return res;
  })));
}

function pageNetworkFirst(request) {
  const network = new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error("slow")); }, PAGE_TIMEOUT);
    fetch(request).then((res) => { clearTimeout(timer); resolve(res); }, (err) => { clearTimeout(timer); reject(err); });
  });
  return network.then((res) => {
    if (res.ok) { const copy = res.clone(); caches.open(CACHE).then((cache) => cache.put(PAGE, copy)); }
    return res;
  }, () => caches.open(CACHE).then((cache) => cache.match(PAGE)).then((hit) => hit || Response.error()));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/kiosk/api/") === 0) { return; }
  if (request.mode === "navigate" && (url.pathname === PAGE || url.pathname === "/kiosk")) {
    event.respondWith(pageNetworkFirst(request));
  } else if (cacheable(url)) {
    event.respondWith(fromCacheFirst(request));
  }
});
