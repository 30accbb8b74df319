/* Speech while the server does not answer (docs/offline.md, "Speech offline").
 *
 * The fixed phrases (no amount) and the public card/redeem refusals are audio files the service worker
 * keeps, so they play as online. A sentence with an amount or goods cannot be rendered by the server
 * offline: the kiosk builds its text from the same catalog entry and says it with the browser's own
 * voice (speechSynthesis) when the browser has a Chinese one; otherwise it plays the fixed sentence
 * that means the same without the number (FALLBACK), or stays silent - the screen shows the number. */
import { phrase } from "./phrases.js";
import { MAX_QTY, state } from "./state.js";

/* Phrases with parameters whose audio the service worker keeps (kiosk/offline_shell.py speech_urls). */
export function cachedAudio(key, params) {
  const names = Object.keys(params || {}).filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== "");
  if (!names.length) { return true; }
  if (key === "card_error") { return names.length === 1 && names[0] === "reason"; }
  if (key === "redeem_failed") { return names.length === 1 && names[0] === "error"; }
  return false;
}

/* The fixed sentence said instead when the browser has no Chinese voice. */
export const FALLBACK = { offline_limit: "offline", offline_exhausted: "offline_used_up", offline_success: "offline_saved" };

function goods(id) { return state.goods.filter((g) => g.id === Number(id))[0]; }

function items(param) {
  return String(param || "").split(",").filter(Boolean).map((pair) => {
    const parts = pair.split(":"), g = goods(parts[0]);
    return g ? phrase("item", { goods: g.name, qty: parts[1], unit: g.unit }) : "";
  }).filter(Boolean).join(phrase("item_separator"));
}

/* The sentence for key/params as the server would build it (names as written). null: not sayable. */
export function offlineText(key, params) {
  const p = params || {};
  const g = p.goods !== undefined ? goods(p.goods) : null;
  try {
    if (key === "added" && g) { return phrase("added", { goods: g.name, unit: g.unit, price: g.price, qty: p.qty }); }
    if (key === "removed" && g) {
      const words = { goods: g.name, unit: g.unit, price: g.price, qty: p.qty };
      return Number(p.qty) ? phrase("removed", words) : phrase("removed_all", words);
    }
    if (key === "cannot_add" && g) {
      if (state.household && state.household.offline && (p.reason === "points" || p.reason === "points_more")) {
        return phrase("offline_exhausted", { points: spendable() });
      }
      const reason = phrase(["block", p.reason].join("."), { stock: g.stock, unit: g.unit, max: MAX_QTY });
      return phrase("cannot_add", { goods: g.name, reason: reason });
    }
    if (key === "confirm") { return phrase("confirm", { items: items(p.items), total: p.total, remaining: p.remaining }); }
    return phrase(key, p);
  } catch (e) {
    return null;
  }
}

function spendable() {
  let sum = 0;
  state.cart.forEach((qty, id) => { const g = goods(id); if (g) { sum += g.price * qty; } });
  return Math.max(0, state.household.balance - sum);
}

/* A Chinese voice of the browser, or null. */
export function chineseVoice() {
  if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) { return null; }
  return speechSynthesis.getVoices().filter((v) => /^zh/i.test(v.lang))[0] || null;
}

/* Says `sentence` with the browser's voice at `volume`; false if it has no Chinese voice. */
export function sayWithBrowser(sentence, volume) {
  const voice = chineseVoice();
  if (!voice || !sentence) { return false; }
  speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(sentence);
  utterance.voice = voice;
  utterance.lang = voice.lang;
  utterance.volume = volume;
  speechSynthesis.speak(utterance);
  return true;
}
