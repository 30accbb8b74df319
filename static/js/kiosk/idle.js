/* The resident's session: activity keeps it alive (touching the server now and then), the idle
 * warning with its one big "extend" button, the timeout, ending the session, and 大字模式. */
import { api } from "./api.js";
import { layoutPages } from "./cart.js";
import { $, emit, text } from "./dom.js";
import { phrase } from "./phrases.js";
import { keepFocus } from "./scan.js";
import { show, showMessage, tickClock } from "./screens.js";
import { speak } from "./speech.js";
import { IDLE, SUCCESS_RETURN, TOUCH_EVERY, WARN, state } from "./state.js";

/* Back to the attract screen with everything of the resident forgotten. With `message`, the
   message screen shows it and says the `code` (session_expired by default); else `code` (or
   goodbye) is said. */
export function endSession(message, code) {
  if (state.session) { api("POST", "/session/end", { session_id: state.session }).catch(() => {}); }
  state.session = null; state.household = null; state.goods = []; state.cart = new Map(); state.page = 0; state.requestId = null;
  state.busy = false;
  $("goods-grid").textContent = ""; $("cart-lines").textContent = ""; $("recent").textContent = "";
  text($("hh-name"), ""); text($("hh-balance"), ""); $("receipt").textContent = "";
  setLarge(false, true);  // the next resident starts with the normal size
  if (message) {
    showMessage(message, phrase("ui.signed_out"), { reason: code || "session_expired" });
  } else {
    show("attract");
    speak(code || "goodbye", {});
  }
}

/* The server said the session is over (410): tell the resident and start again. */
export function endExpiredSession() { endSession(phrase("refusal.session_expired"), "session_expired"); }

export function activity() {
  state.lastActivity = Date.now();
  if (!$("idle-warning").hidden) { hideWarning(); }
  if (state.session && Date.now() - state.lastTouch > TOUCH_EVERY) {
    state.lastTouch = Date.now();
    api("POST", "/session/touch", { session_id: state.session }).then((res) => {
      if (res.status === 410) { endExpiredSession(); }
    }).catch(() => {});
  }
}

export function hideWarning() { $("idle-warning").hidden = true; }

export function idleTick() {
  tickClock();
  keepFocus();
  if (["household", "confirm", "success"].indexOf(state.screen) < 0) { return; }
  const idle = Date.now() - state.lastActivity;
  if (state.screen === "success") { if (idle >= SUCCESS_RETURN) { endSession(); } return; }
  if (idle >= IDLE) { endSession(null, "timeout"); return; }
  if (idle >= IDLE - WARN) {
    text($("idle-count"), Math.ceil((IDLE - idle) / 1000));
    if ($("idle-warning").hidden) {
      $("idle-warning").hidden = false;
      speak("idle_warning", {});
    }
  }
}

export function extend() { hideWarning(); state.lastTouch = 0; activity(); speak("extended", {}); }

/* 大字模式: every content size is in rem, so the root size scales the text by 1.5 and the grid reflows. */
export function setLarge(on, quiet) {
  const was = document.documentElement.classList.contains("large");
  document.documentElement.classList.toggle("large", on);
  $("large-btn").setAttribute("aria-pressed", String(on));
  text($("large-btn"), phrase(on ? "ui.normal" : "ui.large"));
  if (!quiet && was !== on) { speak(on ? "large_on" : "large_off", {}); }
  if (state.screen === "household" || state.screen === "confirm") { layoutPages(true); }
  emit("large", { on: on });
}
