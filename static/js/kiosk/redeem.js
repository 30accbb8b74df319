/* Confirm and redeem: one client-made request_id per confirmation (retries and double taps reuse
 * it), refusals shown and said from the same catalog entry, the success screen and the receipt. */
import { api, uuid4 } from "./api.js";
import { cartItems, cartLines, cartTotal, goodsById, itemsParam, remaining, renderAll } from "./cart.js";
import { $, make, text } from "./dom.js";
import { endExpiredSession } from "./idle.js";
import { correctedNow, loadSnapshot, renderBanner } from "./offline.js";
import { phrase } from "./phrases.js";
import { sellOffline } from "./queue.js";
import { show } from "./screens.js";
import { speak } from "./speech.js";
import { state } from "./state.js";

/* Refusals after which the cart is trimmed to what is possible now (redeem_adjusted). */
const ADJUSTED = ["out_of_stock", "price_changed", "limit_exceeded", "insufficient_points", "goods_unavailable",
                  "not_found"];

export function openConfirm() {
  if (!state.cart.size) { return; }
  state.requestId = uuid4();  // one id per confirmation: retries and double taps reuse it
  cartLines($("confirm-lines"));
  text($("confirm-total"), cartTotal());
  text($("confirm-remaining"), remaining());
  text($("confirm-error"), "");
  $("confirm-btn").disabled = false;
  show("confirm");
  speak("confirm", { items: itemsParam(cartItems()), total: cartTotal(), remaining: remaining() });
}

export function redeem() {
  if (state.busy) { return; }  // double-tap guard
  state.busy = true;
  $("confirm-btn").disabled = true;
  if (state.household.offline) { redeemOffline(); return; }
  const cart = cartItems().map((line) => ({ goods_id: line[0], qty: line[1] }));
  const payload = { session_id: state.session, request_id: state.requestId, cart: cart, expected_total: cartTotal() };
  sendRedeem(payload, 0);
}

function sendRedeem(payload, attempt) {
  api("POST", "/redeem", payload).then((res) => {
    state.busy = false;
    if (res.ok) { showSuccess(res.data.receipt); return; }
    if (res.status === 410) { endExpiredSession(); return; }
    const error = res.data.error || "other";
    const message = res.data.message || phrase("redeem.other");
    if (ADJUSTED.indexOf(error) >= 0) {
      speak("redeem_failed", { error: error, goods: res.data.goods_id });
      refreshGoods(phrase("ui.warning", { text: phrase("redeem_adjusted", { refusal: message }) }));
      return;
    }
    if (error === "card_unusable") {
      speak("card_error", { reason: res.data.reason || "other" });
    } else {
      speak("redeem_failed", { error: error });
    }
    $("confirm-btn").disabled = false;
    text($("confirm-error"), message);
  }).catch(() => {
    if (attempt < 3) { setTimeout(() => { sendRedeem(payload, attempt + 1); }, 800 * (attempt + 1)); return; }
    state.busy = false;
    $("confirm-btn").disabled = false;
    text($("confirm-error"), phrase("redeem.network"));
    speak("redeem_failed", { error: "network" });
  });
}

/* An offline sale: signed and queued durably before the receipt shows (static/js/kiosk/queue.js). */
function redeemOffline() {
  const lines = cartItems().map((line) => ({ goods_id: line[0], qty: line[1], price: goodsById(line[0]).price }));
  sellOffline(state.household.card_hash, lines).then((out) => {
    state.busy = false;
    if (out.item) { showOfflineSuccess(out.item, out.left); return; }
    const key = out.refusal[0], params = out.refusal[1];
    if (key === "offline_exhausted") { state.household.balance = params.points; renderAll(); }
    $("confirm-btn").disabled = key === "offline_expired";
    text($("confirm-error"), phrase(key, params));
    speak(key, params);
  }, () => {
    state.busy = false;
    $("confirm-btn").disabled = false;
    text($("confirm-error"), phrase("offline_failed"));
    speak("offline_failed", {});
  });
}

/* Reload goods for this household, trim the cart to what is possible now, go back to the list. */
function refreshGoods(notice) {
  api("GET", "/goods", undefined, { "X-Kiosk-Session": state.session }).then((res) => {
    if (res.status === 410) { endExpiredSession(); return; }
    if (!res.ok) { return; }
    state.goods = res.data.goods;
    cartItems().forEach((line) => {
      const g = goodsById(line[0]);
      if (!g || g.stock <= 0) { state.cart.delete(line[0]); } else if (line[1] > g.stock) { state.cart.set(line[0], g.stock); }
    });
    while (state.cart.size && remaining() < 0) { trimOne(); }
    show("household");
    renderAll();
    text($("cart-notice"), notice || "");
  });
}

function trimOne() {
  const lines = cartItems();
  const last = lines[lines.length - 1];
  if (last[1] > 1) { state.cart.set(last[0], last[1] - 1); } else { state.cart.delete(last[0]); }
}

function showSuccess(receipt) {
  $("ok-pending").hidden = true;
  $("ok-sum").hidden = false;
  $("ok-sum-offline").hidden = true;
  state.household.balance = receipt.balance_after;
  state.cart = new Map();
  text($("ok-receipt"), receipt.receipt_no);
  const list = $("ok-lines");
  list.textContent = "";
  receipt.lines.forEach((l) => {
    const li = make("li");
    li.appendChild(make("span", "", phrase("ui.receipt_line", { goods: l.name, qty: l.qty, unit: l.unit })));
    li.appendChild(make("b", "", phrase("ui.points", { points: l.points })));
    list.appendChild(li);
  });
  text($("ok-total"), receipt.total);
  text($("ok-balance"), receipt.balance_after);
  fillReceipt(receipt);
  show("success");
  speak("success", { items: itemsParam(receipt.lines.map((l) => [l.goods_id, l.qty])),
                     total: receipt.total, balance: receipt.balance_after });
}

/* The offline receipt: 待同步 instead of a server receipt number, the allowance left instead of the
   balance (the balance is the server's to say). */
function showOfflineSuccess(item, left) {
  state.household.balance = left;
  state.cart = new Map();
  const number = phrase("ui.offline_receipt_no", { counter: item.counter });
  const lines = item.lines.map((l) => {
    const g = goodsById(l.goods_id);
    return { goods_id: l.goods_id, name: g.name, unit: g.unit, qty: l.qty, points: l.qty * l.price };
  });
  text($("ok-receipt"), number);
  $("ok-pending").hidden = false;
  $("ok-sum").hidden = true;
  $("ok-sum-offline").hidden = false;
  const list = $("ok-lines");
  list.textContent = "";
  lines.forEach((l) => {
    const li = make("li");
    li.appendChild(make("span", "", phrase("ui.receipt_line", { goods: l.name, qty: l.qty, unit: l.unit })));
    li.appendChild(make("b", "", phrase("ui.points", { points: l.points })));
    list.appendChild(li);
  });
  text($("ok-total-offline"), item.total);
  text($("ok-left"), left);
  loadSnapshot().then((snap) => {
    const t = new Date(correctedNow(snap));
    const pad = (n) => (n < 10 ? "0" : "") + n;
    fillReceipt({ site: state.siteName, receipt_no: number, household: state.household.name, lines: lines, total: item.total,
                  time: t.getFullYear() + "-" + pad(t.getMonth() + 1) + "-" + pad(t.getDate()) + " " + pad(t.getHours()) + ":" + pad(t.getMinutes()),
                  pending: true });
  });
  show("success");
  renderBanner();
  speak("offline_success", { total: item.total, points: left });
}

/* The printed slip (shown only by the print stylesheet). */
function fillReceipt(r) {
  const box = $("receipt");
  box.textContent = "";
  box.appendChild(make("h4", "", phrase("ui.receipt_title", { site: r.site })));
  box.appendChild(make("div", "", phrase("ui.receipt_number", { number: r.receipt_no })));
  box.appendChild(make("div", "", phrase("ui.receipt_time", { time: r.time })));
  box.appendChild(make("div", "", phrase("ui.receipt_head", { name: r.household })));
  const table = make("table");
  r.lines.forEach((l) => {
    const tr = make("tr");
    tr.appendChild(make("td", "", phrase("ui.receipt_item", { goods: l.name, qty: l.qty })));
    tr.appendChild(make("td", "r", phrase("ui.receipt_points", { points: l.points })));
    table.appendChild(tr);
  });
  box.appendChild(table);
  box.appendChild(make("div", "", phrase("ui.receipt_total", { total: r.total })));
  box.appendChild(make("div", "", r.pending ? phrase("ui.receipt_pending")
                                            : phrase("ui.receipt_balance", { balance: r.balance_after })));
  box.appendChild(make("div", "sign", phrase("ui.receipt_sign")));
}
