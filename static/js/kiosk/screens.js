/* Screens: which one shows, the bottom bar's 返回 button, the message screen, and the attract
 * screen's site name, clock and rotating notices. */
import { api } from "./api.js";
import { renderAll } from "./cart.js";
import { $, emit, text } from "./dom.js";
import { endSession, hideWarning } from "./idle.js";
import { phrase } from "./phrases.js";
import { keepFocus, startCamera, stopCamera } from "./scan.js";
import { speak } from "./speech.js";
import { state } from "./state.js";

const SCREENS = ["loading", "pair", "attract", "household", "confirm", "success", "message"];

/* What the 返回/取消 button in the bottom bar says and does on each screen. */
export const BACK = {
  household: ["ui.back_household", () => { endSession(); }],
  confirm: ["ui.back_confirm", () => { show("household"); renderAll(); }],
  success: ["ui.finish", () => { endSession(); }],
  message: ["ui.back", () => { show("attract"); }]
};

export function show(name) {
  SCREENS.forEach((s) => { $("screen-" + s).hidden = !(s === name || (name === "confirm" && s === "household")); });
  $("screen-household").inert = name === "confirm";
  state.screen = name;
  hideWarning();
  $("kiosk-bar").hidden = name === "loading" || name === "pair";
  $("back-bar").classList.toggle("invisible", !BACK[name]);
  text($("back-bar"), phrase(BACK[name] ? BACK[name][0] : "ui.back"));
  history.replaceState({ screen: name }, "", location.pathname);
  if (name === "attract") { startCamera(); } else { stopCamera(); }
  if (name === "pair") { $("pair-code").focus(); } else { keepFocus(); }
  emit("screen", { screen: name });
}

let messageTimer = null;

/* The message screen: `message` (catalog text, often the API's refusal) under `title`; says the
   same catalog entry aloud: `spoken.key` with `spoken.params`, card_error for a card refusal (`spoken.reason`, `spoken.site`), the
   session_expired refusal, or nothing when `spoken` is null. */
export function showMessage(message, title, spoken) {
  text($("msg-title"), title || phrase("ui.card_refused"));
  text($("msg-text"), message);
  show("message");
  if (spoken && spoken.key) {  // an offline refusal: its own catalog entry
    speak(spoken.key, spoken.params);
  } else if (spoken && spoken.reason === "session_expired") {
    speak("redeem_failed", { error: "session_expired" });
  } else if (spoken) {
    speak("card_error", { reason: spoken.reason || "other", site: spoken.site });
  }
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { if (state.screen === "message") { show("attract"); } }, 20000);
}

export function showSite(site) {
  state.siteName = site;
  text($("site-name"), phrase("ui.site_title", { site: site }));
}

let noticeTimer = null;
export function renderNotices(notices) {
  const box = $("notices");
  box.textContent = "";
  clearInterval(noticeTimer);
  if (!notices.length) { return; }
  let i = 0;
  text(box, notices[0]);
  noticeTimer = setInterval(() => { i = (i + 1) % notices.length; text(box, notices[i]); }, 8000);
}

/* On the attract screen: pick up new honor lists every few minutes, and reload the page
   (new JS/CSS after an update) once it has been open for 12 hours. */
const loadedAt = Date.now();
export function refreshAttract() {
  if (state.screen !== "attract") { return; }
  if (Date.now() - loadedAt > 12 * 3600 * 1000) { location.reload(); return; }
  api("GET", "/device").then((res) => { if (res.ok) { renderNotices(res.data.notices || []); } }).catch(() => {});
}

export function tickClock() {
  const now = new Date();
  const pad = (n) => (n < 10 ? "0" : "") + n;
  text($("clock"), phrase("ui.clock", {
    month: now.getMonth() + 1, day: now.getDate(), weekday: phrase("ui.weekdays")[now.getDay()],
    time: pad(now.getHours()) + ":" + pad(now.getMinutes())
  }));
}
