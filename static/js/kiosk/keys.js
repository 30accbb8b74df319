/* The kiosk's signing key (docs/offline.md, "Key"): an ECDSA P-256 pair made by WebCrypto, the private
 * half non-extractable, both CryptoKeys kept in IndexedDB (structured clone keeps them usable). Pairing
 * sends the public JWK; a kiosk paired before offline mode registers it once via /offline/key. */
import { api } from "./api.js";
import { get, put } from "./store.js";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };

/* -> Promise of the stored record {privateKey, publicKey, jwk, registered}, made on first use. */
export function ensureKey() {
  return get("keys", "device").then((found) => {
    if (found) { return found; }
    return crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]).then((pair) =>
      crypto.subtle.exportKey("jwk", pair.publicKey).then((jwk) => {
        const record = { privateKey: pair.privateKey, publicKey: pair.publicKey,
                         jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, registered: false };
        return put("keys", record, "device").then(() => record);
      }));
  });
}

/* The pairing request sends the key: the server holds it from then on. */
export function markRegistered() {
  return get("keys", "device").then((record) => {
    if (!record || record.registered) { return; }
    record.registered = true;
    return put("keys", record, "device");
  });
}

/* A device paired before offline mode sends its public key once (`again`: also when it thinks the
   server has it, after a sync answered no_key). A 409 (the server already holds a key for it) is
   final too: only pairing again replaces a key. */
export function registerKey(again) {
  return ensureKey().then((record) => {
    if (record.registered && !again) { return true; }
    return api("POST", "/offline/key", { public_key: record.jwk }).then((res) => {
      if (res.ok || res.status === 409) { return markRegistered().then(() => true); }
      return false;
    });
  });
}

function base64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/* The exact text docs/offline.md signs for an offline item. */
export function signedText(item) {
  const lines = item.lines.map((l) => l.goods_id + ":" + l.qty + ":" + l.price).join(",");
  return ["jifen-offline-v1", item.uid, item.counter, item.card_hash, item.total, item.client_time,
          item.issued_at, lines].join("|");
}

/* -> Promise of base64url(r‖s), the raw 64 bytes WebCrypto returns for ECDSA. */
export function sign(item) {
  return ensureKey().then((record) => crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, record.privateKey,
                                                          new TextEncoder().encode(signedText(item))))
    .then(base64url);
}
