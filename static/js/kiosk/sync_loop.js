/* When the kiosk refreshes its offline snapshot and syncs its queue (docs/offline.md, "The kiosk side"):
 * on load, every REFRESH_EVERY, after each sync, and when the network comes back (the `online` event or
 * a request that got an answer again); sync retries with backoff (queue.js scheduleSync). Also registers
 * the service worker and shows the queue's state to staff on the attract screen. */
import { api } from "./api.js";
import { layoutPages } from "./cart.js";
import { $, root, text } from "./dom.js";
import { registerKey } from "./keys.js";
import { browserOffline, loadSnapshot, refresh, renderBanner, setOnline } from "./offline.js";
import { phrase } from "./phrases.js";
import { owedGoods, queueLength, refusedItems, scheduleSync } from "./queue.js";
import { state } from "./state.js";

const REFRESH_EVERY = 3 * 60 * 1000;
const PROBE_EVERY = 30 * 1000;
const MORE_AFTER = 10 * 1000;
const WORKER_AFTER = 3 * 1000;
let started = false;
let refreshing = null;

/* The worker registers once the attract screen has been quiet for a moment: its install fetches the
   whole shell, which should not compete with a resident's first scan on a small server. */
function registerWorker() {
  if (!("serviceWorker" in navigator) || !root.dataset.worker) { return; }
  setTimeout(() => {
    if (state.screen !== "attract" && state.screen !== "pair") { registerWorker(); return; }
    navigator.serviceWorker.addEventListener("controllerchange", askForMore);
    navigator.serviceWorker.register(root.dataset.worker, { scope: "/kiosk/" }).catch(() => { /* online only */ });
  }, WORKER_AFTER);
}

/* Refresh now unless one is on its way; sync_first: sync, whose end refreshes again. */
export function refreshNow() {
  if (refreshing || state.offline) { return refreshing || Promise.resolve("offline"); }
  refreshing = registerKey().catch(() => false).then(() => refresh()).then((result) => {
    // sync_first with nothing queued: the server misses a counter this kiosk no longer has (a refused
    // item): syncing again cannot help, staff must (the attract screen shows the refusal)
    if (result === "sync_first") { queueLength().then((n) => { if (n) { scheduleSync(0); } }); }
    if (result === "ok") { askForMore(); }
    return result;
  }, () => { setOnline(false); return "failed"; }).then((result) => {
    refreshing = null;
    renderQueue();
    return result;
  });
  return refreshing;
}

/* After a refresh, on a quiet attract screen: the worker caches the fixed phrases' audio and the
   snapshot's goods photos (what it has already is skipped). */
let moreTimer = null;
function askForMore() {
  clearTimeout(moreTimer);
  moreTimer = setTimeout(() => {
    const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker) { return; }
    if (state.screen !== "attract") { askForMore(); return; }
    loadSnapshot().then((snap) => {
      const photos = snap ? snap.goods.map((g) => g.photo_url).filter(Boolean) : [];
      worker.postMessage({ type: "cache-more", photos: photos });
    }).catch(() => {});
  }, MORE_AFTER);
}

/* Staff see on the attract screen what waits for sync and what the server refused. */
export function renderQueue() {
  Promise.all([queueLength(), refusedItems(), owedGoods()]).then((found) => {
    const lines = [];
    if (found[0]) { lines.push(phrase("ui.queue_waiting", { count: found[0] })); }
    if (found[1].length) { lines.push(phrase("ui.queue_refused", { count: found[1].length })); }
    if (found[2].length) {
      const owed = found[2].map((o) => phrase("ui.owed_line", { goods: o.name, qty: o.quantity, unit: o.unit, counter: o.counter }));
      lines.push(phrase("ui.queue_owed", { lines: owed.join(phrase("list_separator")) }));
    }
    const box = $("queue-status");
    text(box, lines.join(" · "));
    box.hidden = !lines.length;
  }).catch(() => {});
}

/* While offline, a light request now and then finds out when the server answers again (the browser's
   `online` event only knows about the local link). */
function probe() {
  if (!state.offline || browserOffline()) { return; }
  api("GET", "/device").then(() => { setOnline(true); }, () => {});
}

export function startOffline(online) {
  setOnline(online && !browserOffline());
  renderBanner();
  if (!started) {
    started = true;
    registerWorker();
    window.addEventListener("online", () => { probe(); });
    window.addEventListener("offline", () => { setOnline(false); });
    document.addEventListener("kiosk:reachable", () => { setOnline(true); });
    document.addEventListener("kiosk:unreachable", () => { setOnline(false); });
    document.addEventListener("kiosk:network", (ev) => {
      if (ev.detail.online) { scheduleSync(0); }
      if (state.screen === "household" || state.screen === "confirm") { layoutPages(true); }  // the banner moved the grid
      renderQueue();
    });
    document.addEventListener("kiosk:synced", () => { refreshNow(); });
    document.addEventListener("kiosk:queue", renderQueue);
    document.addEventListener("kiosk:screen", (ev) => { renderBanner(); if (ev.detail.screen === "attract") { renderQueue(); } });
    setInterval(() => { refreshNow(); }, REFRESH_EVERY);
    setInterval(probe, PROBE_EVERY);
  }
  if (!state.offline) { scheduleSync(0); }  // its end refreshes (kiosk:synced)
  renderQueue();
}
