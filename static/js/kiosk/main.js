/* The points-supermarket kiosk, as ES modules with no framework (loaded by kiosk.html):
 *
 *   phrases.js  the words: the page's copy of the one phrase catalog (no Chinese in the JS)
 *   api.js      device credential + JSON API client      state.js  the state and timings
 *   screens.js  screens, bottom bar, messages, attract   scan.js   scanner input and camera
 *   cart.js     goods, categories, pager and the cart    redeem.js confirm, redeem, receipt
 *   idle.js     activity, idle warning, session end, 大字模式
 *   speech.js   speak(key, params) -> /kiosk/speech/<key> and the sound buttons
 *   speech_offline.js  speech without the server (browser voice or fixed audio)
 *   offline.js  network state, banner, snapshot refresh, card hash    store.js  IndexedDB
 *   keys.js     the kiosk's signing key     queue.js  offline sales queue and sync
 *   sync_loop.js  when to refresh and sync; the service worker        sw.js  the worker itself
 *   main.js     pairing, start-up and the wiring of the buttons
 *
 * Everything the resident should hear goes through speak(phraseKey, params) (window.KioskHooks.speak;
 * keys: services/supermarket/kiosk_speech.py). Params are numbers, goods ids and codes only - never a
 * name or an id of the household. 适老化: a bottom bar with 返回/取消 always in the same place,
 * 大字模式 (html.large), a picture on every category and item, disabled goods say why in words;
 * history.replaceState so Back never re-submits.
 */
import { api, saveToken, token } from "./api.js";
import { ensureKey, markRegistered } from "./keys.js";
import { loadSnapshot } from "./offline.js";
import { refusedItems, sync } from "./queue.js";
import { all } from "./store.js";
import { refreshNow, startOffline } from "./sync_loop.js";
import { layoutPages, turnPage } from "./cart.js";
import { $, text } from "./dom.js";
import { activity, endSession, extend, idleTick, setLarge } from "./idle.js";
import { phrase } from "./phrases.js";
import { openConfirm, redeem } from "./redeem.js";
import { initScan, keepFocus, submitScan } from "./scan.js";
import { BACK, refreshAttract, renderNotices, show, showSite, tickClock } from "./screens.js";
import { initSpeech, speak } from "./speech.js";
import { state } from "./state.js";

const SITE_KEY = "jifen.kiosk.site";

/* Without an answer from the server a paired kiosk still starts, offline, with the site name it
   last heard; start() keeps asking until the server answers. */
function start() {
  const code = new URLSearchParams(location.search).get("pair");
  if (code && !token()) { $("pair-code").value = code; pair(); return; }
  if (!token()) { show("pair"); return; }
  api("GET", "/device").then((res) => {
    if (!res.ok) { show(res.status === 401 ? "pair" : "attract"); return; }
    localStorage.setItem(SITE_KEY, res.data.site);
    showSite(res.data.site);
    renderNotices(res.data.notices || []);
    if (state.screen === "loading" || state.screen === "pair" || state.screen === null) { show("attract"); speak("attract"); }
    startOffline(true);
  }).catch(() => {
    if (state.screen === "loading" || state.screen === null) {
      showSite(localStorage.getItem(SITE_KEY) || "");
      startOffline(false);
      show("attract");
      speak("offline");
    }
    setTimeout(start, 15000);
  });
}

/* A swipe up or down on the goods turns the page, like 下一页 / 上一页 (the grid never scrolls). */
function swipePages(grid) {
  let startY = null;
  grid.addEventListener("pointerdown", (ev) => { startY = ev.clientY; });
  grid.addEventListener("pointerup", (ev) => {
    if (startY === null) { return; }
    const dy = ev.clientY - startY;
    startY = null;
    if (Math.abs(dy) > 80) { turnPage(dy < 0 ? 1 : -1); }
  });
}

function pair() {
  const code = $("pair-code").value.trim();
  text($("pair-error"), "");
  // the public half of the kiosk's signing key goes with the pairing (docs/offline.md, "Key")
  return ensureKey().then((key) => key.jwk, () => undefined).then((jwk) => api("POST", "/pair", { code: code, public_key: jwk }))
    .then((res) => {
      if (!res.ok) { show("pair"); text($("pair-error"), res.data.message || phrase("pair.failed")); return; }
      saveToken(res.data.token);
      markRegistered().catch(() => {}).then(start);
    }).catch(() => { text($("pair-error"), phrase("pair.network")); });
}

["pointerdown", "keydown", "touchstart"].forEach((type) => {
  document.addEventListener(type, (ev) => {
    if (ev.target && ev.target.id === "extend-btn") { return; }
    if (!$("idle-warning").hidden && type !== "keydown") { return; }  // only the big button extends
    activity();
  }, true);
});
document.addEventListener("kiosk:unauthorized", () => { show("pair"); });
initSpeech();
initScan();
$("extend-btn").addEventListener("click", extend);
$("pair-btn").addEventListener("click", pair);
$("pair-code").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { pair(); } });
$("checkout-btn").addEventListener("click", openConfirm);
$("back-bar").addEventListener("click", () => { if (BACK[state.screen]) { BACK[state.screen][1](); } });
$("page-up").addEventListener("click", () => { turnPage(-1); });
$("page-down").addEventListener("click", () => { turnPage(1); });
window.addEventListener("resize", () => { if (state.screen === "household") { layoutPages(true); } });
swipePages($("goods-grid"));
$("large-btn").addEventListener("click", () => { setLarge(!document.documentElement.classList.contains("large")); });
$("confirm-btn").addEventListener("click", redeem);
$("finish-btn").addEventListener("click", () => { endSession(); });
$("print-btn").addEventListener("click", () => { speak("printing", {}); window.print(); });
$("msg-ok").addEventListener("click", () => { show("attract"); });
document.addEventListener("click", keepFocus);
window.addEventListener("popstate", () => { history.replaceState({ screen: state.screen }, "", location.pathname); });

window.Kiosk = { state: state, speak: speak, submitScan: submitScan, endSession: endSession, setLarge: setLarge,
                 offline: { snapshot: loadSnapshot, queue: () => all("queue"), refused: refusedItems, sync: sync,
                            refresh: refreshNow } };
tickClock();
setInterval(idleTick, 1000);
setInterval(refreshAttract, 5 * 60 * 1000);
start();
