/* The kiosk's IndexedDB (docs/offline.md, "The kiosk side"): one database, four stores.
 *
 *   keys     "device" -> {privateKey, publicKey (CryptoKeys), jwk, registered}
 *   meta     "snapshot" -> the last refresh (households by card_hash, goods, window, clock offset);
 *            "counter" -> the highest offline counter ever used (never goes down, never reused)
 *   queue    offline items by counter, waiting for /offline/sync
 *   refused  items the server refused, with its answer, kept for staff (never dropped)
 */
const NAME = "jifen-kiosk";
const VERSION = 1;
let opening = null;

export function openDb() {
  if (opening) { return opening; }
  opening = new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      ["keys", "meta"].forEach((s) => { if (!db.objectStoreNames.contains(s)) { db.createObjectStore(s); } });
      if (!db.objectStoreNames.contains("queue")) { db.createObjectStore("queue", { keyPath: "counter" }); }
      if (!db.objectStoreNames.contains("refused")) { db.createObjectStore("refused", { keyPath: "uid" }); }
    };
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    req.onerror = () => { opening = null; reject(req.error); };
  });
  return opening;
}

/* Runs work(stores) in one transaction over `names`; resolves with what work returned (often a box
   its request handlers fill) once the
   transaction has committed (with durability "strict" when `strict`: on disk, not only in memory). */
export function transact(names, mode, work, strict) {
  return openDb().then((db) => new Promise((resolve, reject) => {
    const tx = strict ? db.transaction(names, mode, { durability: "strict" }) : db.transaction(names, mode);
    const stores = {};
    names.forEach((n) => { stores[n] = tx.objectStore(n); });
    let result;
    try { result = work(stores, tx); } catch (e) { tx.abort(); reject(e); return; }
    tx.oncomplete = () => { resolve(result); };
    tx.onerror = () => { reject(tx.error); };
    tx.onabort = () => { reject(tx.error || new Error("aborted")); };
  }));
}

/* A request's result as a promise (inside a transaction's work, to chain reads). */
export function request(req) {
  return new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
}

export function get(storeName, key) {
  const box = {};
  return transact([storeName], "readonly", (s) => { s[storeName].get(key).onsuccess = (ev) => { box.value = ev.target.result; }; return box; })
    .then(() => box.value);
}

export function put(storeName, value, key) {
  return transact([storeName], "readwrite", (s) => { if (key === undefined) { s[storeName].put(value); } else { s[storeName].put(value, key); } }, true);
}

export function all(storeName) {
  const box = {};
  return transact([storeName], "readonly", (s) => { s[storeName].getAll().onsuccess = (ev) => { box.value = ev.target.result; }; return box; })
    .then(() => box.value || []);
}

export function count(storeName) {
  const box = {};
  return transact([storeName], "readonly", (s) => { s[storeName].count().onsuccess = (ev) => { box.value = ev.target.result; }; return box; })
    .then(() => box.value || 0);
}
