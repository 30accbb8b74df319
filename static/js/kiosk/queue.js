/* The durable queue of offline sales and its sync (docs/offline.md, "The kiosk side").
 *
 * A sale is signed, then written with its counter, the lower allowance and stock in ONE IndexedDB
 * transaction with durability "strict", before the receipt shows. The counter is read, signed over and
 * written under a Web Lock, so two tabs never use the same counter; the write checks it again anyway.
 * Sync sends the queue in counter order under another Web Lock (one tab at a time) and removes an item
 * only once the server answered it; refused items move to the `refused` store for staff. */
import { api, uuid4 } from "./api.js";
import { emit } from "./dom.js";
import { registerKey, sign } from "./keys.js";
import { correctedNow, setOnline, windowOpen } from "./offline.js";
import { all, count, request, transact } from "./store.js";

const BATCH = 20;
const SALE_LOCK = "jifen-kiosk-sale";
const SYNC_LOCK = "jifen-kiosk-sync";
let keyResent = false;

/* Runs fn() alone across every tab of this origin (Web Locks); without the API, as is. */
function locked(name, fn) {
  if (navigator.locks && navigator.locks.request) { return navigator.locks.request(name, fn); }
  return fn();
}

/* Why a sale cannot be made now: [phrase key, params] or null. */
function refusal(snap, hash, lines, total) {
  if (!snap || !windowOpen(snap)) { return ["offline_expired", {}]; }
  const hh = snap.households[hash];
  if (!hh || hh.allowance < total) { return ["offline_exhausted", { points: hh ? Math.max(0, hh.allowance) : 0 }]; }
  for (const line of lines) {
    const g = snap.goods.filter((x) => x.id === line.goods_id)[0];
    if (!g || g.stock < line.qty || g.price !== line.price) { return ["offline_stock", {}]; }
  }
  return null;
}

/* An offline sale of `lines` [{goods_id, qty, price}] to the household with `hash`.
   -> Promise of {item, left} (the allowance left) or {refusal: [key, params]}. */
export function sellOffline(hash, lines) {
  const total = lines.reduce((sum, l) => sum + l.qty * l.price, 0);
  return locked(SALE_LOCK, () => {
    const box = {};
    return transact(["meta"], "readonly", (s) => {
      request(s.meta.get("counter")).then((c) => { box.counter = c || 0; });
      request(s.meta.get("snapshot")).then((snap) => { box.snap = snap; });
    }).then(() => {
      const why = refusal(box.snap, hash, lines, total);
      if (why) { return { refusal: why }; }
      const item = {
        uid: uuid4(), counter: box.counter + 1, card_hash: hash, lines: lines, total: total,
        client_time: new Date(correctedNow(box.snap)).toISOString(), issued_at: box.snap.issued_at
      };
      return sign(item).then((signature) => {
        item.signature = signature;
        return write(item, box.counter);
      });
    });
  });
}

function write(item, counterBefore) {
  const out = {};
  return transact(["meta", "queue"], "readwrite", (s, tx) => {
    Promise.all([request(s.meta.get("counter")), request(s.meta.get("snapshot"))]).then((found) => {
      const snap = found[1];
      const why = (found[0] || 0) !== counterBefore ? ["offline_stock", {}] : refusal(snap, item.card_hash, item.lines, item.total);
      if (why) { out.refusal = why; tx.abort(); return; }
      snap.households[item.card_hash].allowance -= item.total;
      item.lines.forEach((l) => { snap.goods.filter((g) => g.id === l.goods_id)[0].stock -= l.qty; });
      s.queue.add(item);
      s.meta.put(item.counter, "counter");
      s.meta.put(snap, "snapshot");
      out.item = item;
      out.left = snap.households[item.card_hash].allowance;
    });
    return out;
  }, true).catch((error) => { if (out.refusal) { return out; } throw error; });
}

export function queueLength() { return count("queue"); }
export function refusedItems() { return all("refused"); }
export function highestCounter() {
  const box = {};
  return transact(["meta"], "readonly", (s) => { request(s.meta.get("counter")).then((c) => { box.value = c || 0; }); })
    .then(() => box.value);
}

/* Sends the queue in counter order, BATCH at a time, until it is empty or the server stops answering.
   -> Promise of "done" | "failed" | "busy" (another tab is syncing: it will do it). */
export function sync() {
  const run = () => syncBatches();
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request(SYNC_LOCK, { ifAvailable: true }, (lock) => (lock ? run() : "busy"));
  }
  return run();
}

function syncBatches() {
  return all("queue").then((items) => {
    items.sort((a, b) => a.counter - b.counter);
    if (!items.length) { return "done"; }
    const batch = items.slice(0, BATCH);
    return api("POST", "/offline/sync", { items: batch, queue: items.length }).then((res) => {
      setOnline(true);
      if (res.status === 409 && res.data.error === "no_key" && !keyResent) {  // the server lost or never had the key
        keyResent = true;
        return registerKey(true).then(syncBatches);
      }
      if (!res.ok) { return "failed"; }
      return settle(batch, res.data.results || []).then((answered) => {
        emit("queue");
        return answered ? syncBatches() : "failed";  // nothing answered (a gap): try again later
      });
    }, () => { setOnline(false); return "failed"; });
  });
}

/* Removes the answered items; refused ones are kept in `refused` with the server's answer, goods an
   applied sale could not take off the shelf (owed, kind stock) are noted in meta "owed" for the
   shopkeeper. -> Promise of how many were answered. */
function settle(batch, answers) {
  const byUid = {};
  answers.forEach((a) => { byUid[a.uid] = a; });
  let answered = 0;
  return transact(["queue", "refused", "meta"], "readwrite", (s) => {
    const owed = [];
    batch.forEach((item) => {
      const answer = byUid[item.uid];
      if (!answer || (answer.status !== "applied" && answer.status !== "refused")) { return; }
      answered += 1;
      if (answer.status === "refused") {
        s.refused.put({ uid: item.uid, item: item, answer: answer, at: new Date().toISOString() });
      }
      (answer.owed || []).filter((o) => o.kind === "stock").forEach((o) => {
        owed.push({ counter: item.counter, name: o.name, unit: o.unit, quantity: o.quantity, at: Date.now() });
      });
      s.queue.delete(item.counter);
    });
    if (owed.length) {
      request(s.meta.get("owed")).then((before) => { s.meta.put((before || []).concat(owed), "owed"); });
    }
  }, true).then(() => answered);
}

/* Owed goods noted in the last OWED_DAYS days (older notes are dropped). */
const OWED_DAYS = 3;
export function owedGoods() {
  const box = {};
  return transact(["meta"], "readwrite", (s) => {
    request(s.meta.get("owed")).then((owed) => {
      const recent = (owed || []).filter((o) => Date.now() - o.at < OWED_DAYS * 86400000);
      if (owed && recent.length !== owed.length) { s.meta.put(recent, "owed"); }
      box.value = recent;
    });
  }).then(() => box.value || []);
}

/* When to try again after a failed sync: 5 s doubling up to 5 minutes. */
let failures = 0;
let timer = null;
export function scheduleSync(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => {
    sync().then((result) => {
      if (result === "failed") { failures += 1; scheduleSync(Math.min(300000, 5000 * Math.pow(2, failures))); return; }
      if (result === "busy") { scheduleSync(3000); return; }  // another tab syncs: look again once it is done
      failures = 0;
      emit("synced", { result: result });
    }, () => { failures += 1; scheduleSync(Math.min(300000, 5000 * Math.pow(2, failures))); });
  }, delay || 0);
}

