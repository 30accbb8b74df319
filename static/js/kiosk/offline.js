/* Offline selling, the kiosk side (docs/offline.md): whether the server answers, the banner, the snapshot
 * the last refresh gave (households by card_hash with their allowance, goods with stock, the window and
 * the clock offset), and the card lookup that replicates services/households/cards.py. */
import { api } from "./api.js";
import { $, emit, text } from "./dom.js";
import { phrase } from "./phrases.js";
import { state } from "./state.js";
import { count, get, put, request, transact } from "./store.js";

/* ---------------------------------------------------------------- whether the server answers */

/* A fetch that rejected (or navigator.onLine false) is the network; any HTTP answer is the server. */
export function setOnline(online) {
  if (state.offline === !online) { return; }
  state.offline = !online;
  renderBanner();
  emit("network", { online: online });
}

export function browserOffline() { return navigator.onLine === false; }

/* The banner: unmistakable, on every screen while the server does not answer; with a household
   open offline it says how much that household may still spend. */
export function renderBanner() {
  const banner = $("offline-banner");
  const on = state.offline || !!(state.household && state.household.offline);
  document.documentElement.classList.toggle("offline", on);
  banner.hidden = !on;
  if (!on) { return; }
  const hh = state.household;
  text($("offline-text"), hh && hh.offline ? phrase("offline_limit", { points: hh.balance }) : phrase("offline"));
}

/* ---------------------------------------------------------------- the card, as the server reads it */

// Python's str.strip() whitespace (str.isspace), not JavaScript's trim(): the hash must match exactly
const PY_SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const STRIP = new RegExp("^" + PY_SPACE + "+|" + PY_SPACE + "+$", "g");
// re.match(r"^[A-Z2-7]{26}$") also matches before one final newline
const TOKEN = /^[A-Z2-7]{26}\n?$/;

/* cards.py token_from_scan: the bare token or <base>/c/<token>, upper case; null if no card. */
export function tokenFromScan(scanned) {
  let value = (scanned || "").replace(STRIP, "").replace(/\/+$/, "");
  if (value.indexOf("/c/") >= 0) { value = value.slice(value.lastIndexOf("/c/") + 3); }
  value = value.toUpperCase();
  return TOKEN.test(value) ? value : null;
}

/* cards.py token_hash: SHA-256 hex of the token's UTF-8 bytes. -> Promise of the hash or null. */
export function cardHash(scanned) {
  const token = tokenFromScan(scanned);
  if (token === null) { return Promise.resolve(null); }
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)).then((digest) =>
    Array.prototype.map.call(new Uint8Array(digest), (b) => (b + 256).toString(16).slice(1)).join(""));
}

/* ---------------------------------------------------------------- the snapshot and the window */

/* Server times are UTC; one written without a zone is read as UTC, never as the kiosk's local time. */
export function parseTime(value) {
  if (typeof value !== "string") { return NaN; }
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : value + "Z");
}

/* The kiosk's clock corrected by what the last refresh learnt from server_time. */
export function correctedNow(snapshot) { return Date.now() + (snapshot && snapshot.offset ? snapshot.offset : 0); }

export function windowOpen(snapshot) {
  return !!snapshot && correctedNow(snapshot) < parseTime(snapshot.valid_until);
}

export function loadSnapshot() { return get("meta", "snapshot"); }

/* POST /offline/refresh with the highest counter used and the queue length; stores the answer. A
   sale queued while the answer travelled (the counter moved) makes the answer stale: dropped, the
   next refresh brings a fresh one. -> Promise of {status}: "ok", "stale", "sync_first", "failed". */
export function refresh() {
  return Promise.all([get("meta", "counter"), count("queue")]).then((found) => {
    const counter = found[0] || 0;
    const sentAt = Date.now();
    return api("POST", "/offline/refresh", { counter: counter, queue: found[1] }).then((res) => {
      setOnline(true);
      if (res.status === 409 && res.data.error === "sync_first") { return "sync_first"; }
      if (!res.ok) { return "failed"; }
      const now = Date.now();
      const data = res.data;
      const households = {};
      (data.households || []).forEach((h) => { households[h.card_hash] = { name: h.name, allowance: h.allowance }; });
      const snapshot = {
        households: households, goods: data.goods || [], issued_at: data.issued_at, valid_until: data.valid_until,
        window_hours: data.window_hours, server_time: data.server_time,
        offset: parseTime(data.server_time) - Math.round((sentAt + now) / 2) || 0
      };
      const box = {};
      return transact(["meta"], "readwrite", (s) => {
        request(s.meta.get("counter")).then((current) => {
          box.value = (current || 0) === counter ? "ok" : "stale";
          if (box.value === "ok") { s.meta.put(snapshot, "snapshot"); }
        });
        return box;
      }, true).then(() => {
        if (box.value === "ok") { emit("snapshot"); }
        return box.value;
      });
    });
  });
}

/* The household's allowance counts as 0 until the next refresh: the server returned it (an online
   scan's allowance_returned), or an online scan got no answer and may have returned it. */
export function zeroAllowance(hash) {
  if (!hash) { return Promise.resolve(); }
  return transact(["meta"], "readwrite", (s) => {
    request(s.meta.get("snapshot")).then((snap) => {
      if (snap && snap.households[hash] && snap.households[hash].allowance !== 0) {
        snap.households[hash].allowance = 0;
        s.meta.put(snap, "snapshot");
      }
    });
  }, true);
}

/* ---------------------------------------------------------------- a card scanned offline */

/* -> Promise of what the offline scan shows: {refusal: [phrase key, params]} or the household
   screen's data (as an online scan's, with household.offline). `lost`: an online scan was sent and got
   no answer (its allowance is already 0). */
export function offlineScan(scanned, lost) {
  return Promise.all([cardHash(scanned), loadSnapshot()]).then((found) => {
    const hash = found[0], snap = found[1];
    if (!hash) { return { refusal: ["card.unreadable", {}], spoken: { reason: "unreadable" } }; }
    if (!snap) { return { refusal: ["offline_no_data", {}] }; }
    if (!windowOpen(snap)) { return { refusal: ["offline_expired", {}] }; }
    const hh = snap.households[hash];
    if (!hh) { return { refusal: ["offline_unknown", {}] }; }
    if (lost) { return { refusal: ["offline_scan_lost", {}] }; }
    if (hh.allowance <= 0) { return { refusal: ["offline_exhausted", { points: 0 }] }; }
    return {
      session_id: null,
      household: { name: hh.name, balance: hh.allowance, base_points: 0, recent: [], offline: true, card_hash: hash },
      goods: snap.goods.map((g) => Object.assign({}, g, { limit_left: null }))
    };
  });
}
