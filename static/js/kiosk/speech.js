/* The kiosk speaks: speak(key, params) plays /kiosk/speech/<key>?<params> through window.KioskHooks.speak.
 *
 * The server builds the Chinese sentence from the key and the numbers/goods ids (never a name) out of
 * the same phrase catalog the screen uses, renders it once with espeak-ng and caches it (ETag +
 * Cache-Control). The bottom bar has 再听一遍 (repeat), 音量 − / + and 静音; everything still works
 * with the sound off, and when the server has no espeak-ng (data-speech="0") the kiosk stays silent
 * and hides the sound buttons. Params are numbers, goods ids and codes only (and the session id).
 */
import { $, root, text } from "./dom.js";
import { phrase } from "./phrases.js";
import { FALLBACK, cachedAudio, offlineText, sayWithBrowser } from "./speech_offline.js";
import { state } from "./state.js";

const enabled = root.dataset.speech === "1";
const LEVELS = [0.2, 0.4, 0.6, 0.8, 1.0];
const DEFAULT_LEVEL = 3;
const prefs = { level: DEFAULT_LEVEL, muted: false };
const audio = new Audio();
let last = null;
const hooks = window.KioskHooks = window.KioskHooks || {};

/* What the kiosk calls: never throws, whatever hooks.speak does. */
export function speak(phraseKey, params) {
  try { if (typeof hooks.speak === "function") { hooks.speak(phraseKey, params || {}); } } catch (e) { /* never break the kiosk */ }
}

/* Canonical URL: parameters in name order, empty ones left out (so the browser cache hits). A phrase
 * with parameters carries the kiosk session: the server speaks amounts and goods only for it. */
function phraseUrl(key, params) {
  params = Object.assign({}, params || {});
  if (state.session && Object.keys(params).length) { params.session = state.session; }
  const query = Object.keys(params).sort()
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== "")
    .map((k) => encodeURIComponent(k) + "=" + encodeURIComponent(params[k])).join("&");
  return "/kiosk/speech/" + encodeURIComponent(key) + (query ? "?" + query : "");
}

function play(url, evenIfMuted) {
  if (!enabled || (prefs.muted && !evenIfMuted)) { return; }
  try {
    audio.pause();
    audio.src = url;
    audio.volume = LEVELS[prefs.level];
    const playing = audio.play();
    if (playing && playing.catch) { playing.catch(() => { /* autoplay refused or no audio device */ }); }
  } catch (e) { /* the kiosk never breaks because of sound */ }
}

hooks.speak = function (key, params) {
  const offline = state.offline || !!(state.household && state.household.offline);
  if (offline && !cachedAudio(key, params)) { sayOffline(key, params); return; }
  last = phraseUrl(key, params);
  document.dispatchEvent(new CustomEvent("kiosk:speech", { detail: { key: key, url: last } }));
  play(last, false);
};

/* Offline, a sentence with amounts or goods: the browser's own voice, else its fixed fallback's audio
   (static/js/kiosk/speech_offline.js). `last` replays the same choice. */
function sayOffline(key, params) {
  const sentence = offlineText(key, params);
  const fallback = FALLBACK[key] ? phraseUrl(FALLBACK[key], {}) : null;
  const say = (evenIfMuted) => {
    if (!enabled || (prefs.muted && !evenIfMuted)) { return "none"; }
    if (sayWithBrowser(sentence, LEVELS[prefs.level])) { return "browser"; }
    if (fallback) { play(fallback, evenIfMuted); return "fallback"; }
    return "none";
  };
  last = say;
  const via = say(false);
  document.dispatchEvent(new CustomEvent("kiosk:speech", { detail: { key: key, url: via === "fallback" ? fallback : null,
                                                                     text: sentence, via: via } }));
}
hooks.phraseUrl = phraseUrl;
hooks.audio = audio;

function renderControls() {
  text($("vol-level"), prefs.muted ? phrase("ui.muted") : phrase("ui.volume", { level: prefs.level + 1 }));
  $("mute-btn").setAttribute("aria-pressed", String(prefs.muted));
  text($("mute-btn"), phrase(prefs.muted ? "ui.unmute" : "ui.mute"));
  $("vol-down").disabled = prefs.level === 0;
  $("vol-up").disabled = prefs.level === LEVELS.length - 1;
}

function setLevel(level) {
  prefs.level = Math.max(0, Math.min(LEVELS.length - 1, level));
  prefs.muted = false;
  audio.volume = LEVELS[prefs.level];
  renderControls();
  if (last) { if (typeof last === "function") { last(false); } else { play(last, false); } }  // the new loudness at once
}

function replay() {
  if (typeof last === "function") { last(true); } else if (last) { play(last, true); }
}

/* Wires the sound buttons of the bottom bar. */
export function initSpeech() {
  $("repeat-btn").addEventListener("click", () => { replay(); });
  $("vol-down").addEventListener("click", () => { setLevel(prefs.level - 1); });
  $("vol-up").addEventListener("click", () => { setLevel(prefs.level + 1); });
  $("mute-btn").addEventListener("click", () => {
    prefs.muted = !prefs.muted;
    if (prefs.muted) { audio.pause(); }
    renderControls();
  });
  /* A new resident starts with sound on at the default loudness and nothing to repeat. */
  document.addEventListener("kiosk:screen", (ev) => {
    if (ev.detail.screen === "attract" && (prefs.muted || prefs.level !== DEFAULT_LEVEL)) {
      prefs.muted = false;
      prefs.level = DEFAULT_LEVEL;
      renderControls();
    }
  });
  $("bar-audio").hidden = !enabled;
  renderControls();
}
