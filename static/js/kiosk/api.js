/* The kiosk API client: the device credential in localStorage, JSON in and out.
 * A 401 forgets the credential and emits `kiosk:unauthorized` before the caller sees the answer; every
 * answer emits `kiosk:reachable`, a failed fetch `kiosk:unreachable` (the offline mode listens). */
import { emit } from "./dom.js";

const TOKEN_KEY = "jifen.kiosk.device";

export function token() { return localStorage.getItem(TOKEN_KEY); }
export function saveToken(value) { localStorage.setItem(TOKEN_KEY, value); }

/* -> Promise of {ok, status, data}; rejects only when the network fails. */
export function api(method, path, body, extraHeaders) {
  const headers = { "Accept": "application/json" };
  if (token()) { headers["Authorization"] = "Device " + token(); }
  if (body !== undefined) { headers["Content-Type"] = "application/json"; }
  Object.keys(extraHeaders || {}).forEach((k) => { headers[k] = extraHeaders[k]; });
  return fetch("/kiosk/api" + path, {
    method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store", credentials: "omit"
  }).then((res) => res.json().catch(() => ({})).then((data) => {
    if (res.status === 401) { localStorage.removeItem(TOKEN_KEY); emit("unauthorized"); }
    emit("reachable");
    return { ok: res.ok, status: res.status, data: data };
  }), (error) => { emit("unreachable"); throw error; });
}

export function uuid4() {
  if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const h = Array.prototype.map.call(b, (x) => (x + 256).toString(16).slice(1)).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}
