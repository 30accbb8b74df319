/* The points-supermarket kiosk: one small module, no framework.
 *
 * Parts: device credential + pairing, screens, a focus keeper on the hidden scan input
 * (USB scanners type the card URL + Enter), camera scanning through vendored jsQR, the cart,
 * redemption with a client-made request_id and a double-tap guard, idle timeout with a
 * warning and one big "extend" button, history.replaceState so Back never re-submits.
 *
 * Audio hook: everything the resident should hear goes through speak(phraseKey, params);
 * static/js/kiosk-speech.js sets window.KioskHooks.speak (phrase keys: services/supermarket/kiosk_speech.py).
 * Params are numbers, goods ids and codes only - never a name or an id of the household.
 *
 * 适老化 (issue 11): a bottom bar with 返回/取消 always in the same place, 大字模式 (html.large),
 * a picture on every category and item, disabled goods say why in words.
 */
(function () {
  "use strict";

  var root = document.getElementById("kiosk");
  var IDLE = Number(root.dataset.idle || 60) * 1000;
  var WARN = Number(root.dataset.warn || 20) * 1000;
  var SUCCESS_RETURN = 30 * 1000;
  var TOKEN_KEY = "jifen.kiosk.device";
  var TOUCH_EVERY = 20 * 1000;

  var state = {
    screen: null, session: null, household: null, goods: [], cart: {}, category: "全部",
    busy: false, requestId: null, lastActivity: Date.now(), lastTouch: 0, siteName: ""
  };

  function $(id) { return document.getElementById(id); }

  // ------------------------------------------------------------------ hooks
  var hooks = window.KioskHooks = window.KioskHooks || {};
  function speak(phraseKey, params) {
    try { if (typeof hooks.speak === "function") { hooks.speak(phraseKey, params || {}); } } catch (e) { /* never break the kiosk */ }
  }
  function emit(name, detail) { document.dispatchEvent(new CustomEvent("kiosk:" + name, { detail: detail || {} })); }

  // ------------------------------------------------------------------ API
  function token() { return localStorage.getItem(TOKEN_KEY); }

  function api(method, path, body, extraHeaders) {
    var headers = { "Accept": "application/json" };
    if (token()) { headers["Authorization"] = "Device " + token(); }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    return fetch("/kiosk/api" + path, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "omit"
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 401) { forgetDevice(); }
        return { ok: res.ok, status: res.status, data: data };
      });
    });
  }

  function forgetDevice() { localStorage.removeItem(TOKEN_KEY); show("pair"); }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ------------------------------------------------------------------ screens
  var SCREENS = ["loading", "pair", "attract", "household", "confirm", "success", "message"];

  //: what the 返回/取消 button in the bottom bar says and does on each screen
  var BACK = {
    household: ["取消并退出", function () { endSession(); }],
    confirm: ["返回修改", function () { show("household"); renderAll(); }],
    success: ["完成", function () { endSession(); }],
    message: ["返回", function () { show("attract"); }]
  };

  function show(name) {
    SCREENS.forEach(function (s) { $("screen-" + s).hidden = !(s === name || (name === "confirm" && s === "household")); });
    $("screen-household").inert = name === "confirm";
    state.screen = name;
    hideWarning();
    $("kiosk-bar").hidden = name === "loading" || name === "pair";
    $("back-bar").classList.toggle("invisible", !BACK[name]);
    text($("back-bar"), BACK[name] ? BACK[name][0] : "返回");
    history.replaceState({ screen: name }, "", location.pathname);
    if (name === "attract") { startCamera(); } else { stopCamera(); }
    if (name === "pair") { $("pair-code").focus(); } else { keepFocus(); }
    emit("screen", { screen: name });
  }

  function text(el, value) { el.textContent = value; return el; }
  function make(tag, cls, content) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (content !== undefined) { el.textContent = content; }
    return el;
  }

  // ------------------------------------------------------------------ pairing + start
  function start() {
    var params = new URLSearchParams(location.search);
    var code = params.get("pair");
    if (code && !token()) { $("pair-code").value = code; return pair(); }
    if (!token()) { return show("pair"); }
    api("GET", "/device").then(function (res) {
      if (!res.ok) { return show(res.status === 401 ? "pair" : "attract"); }
      state.siteName = res.data.site;
      text($("site-name"), res.data.site + " · 积分超市");
      renderNotices(res.data.notices || []);
      show("attract");
      speak("attract");
    }).catch(function () { setTimeout(start, 5000); });
  }

  function pair() {
    var code = $("pair-code").value.trim();
    text($("pair-error"), "");
    return api("POST", "/pair", { code: code }).then(function (res) {
      if (!res.ok) { show("pair"); return text($("pair-error"), res.data.message || "配对失败"); }
      localStorage.setItem(TOKEN_KEY, res.data.token);
      start();
    }).catch(function () { text($("pair-error"), "网络不通,请检查后重试"); });
  }

  var noticeTimer = null;
  function renderNotices(notices) {
    var box = $("notices");
    box.textContent = "";
    clearInterval(noticeTimer);
    if (!notices.length) { return; }
    var i = 0;
    text(box, notices[0]);
    noticeTimer = setInterval(function () { i = (i + 1) % notices.length; text(box, notices[i]); }, 8000);
  }

  /* On the attract screen: pick up new honor lists every few minutes, and reload the page
     (new JS/CSS after an update) once it has been open for 12 hours. */
  var loadedAt = Date.now();
  function refreshAttract() {
    if (state.screen !== "attract") { return; }
    if (Date.now() - loadedAt > 12 * 3600 * 1000) { return location.reload(); }
    api("GET", "/device").then(function (res) { if (res.ok) { renderNotices(res.data.notices || []); } }).catch(function () {});
  }

  function tickClock() {
    var now = new Date();
    var days = "日一二三四五六";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    text($("clock"), (now.getMonth() + 1) + "月" + now.getDate() + "日 星期" + days[now.getDay()] + " " +
      pad(now.getHours()) + ":" + pad(now.getMinutes()));
  }

  // ------------------------------------------------------------------ scanning
  function keepFocus() {
    if (state.screen === "pair") { return; }
    var input = $("scan-input");
    if (document.activeElement !== input) { input.focus({ preventScroll: true }); }
  }

  function acceptsScans() {
    return state.screen === "attract" || state.screen === "message" ||
      (state.screen === "household" && !Object.keys(state.cart).length);
  }

  function submitScan(value) {
    value = (value || "").trim();
    if (!value || state.busy || !acceptsScans()) { return; }
    state.busy = true;
    activity();
    api("POST", "/scan", { card: value }).then(function (res) {
      state.busy = false;
      if (!res.ok) {
        return showMessage(res.data.message || "这张卡不能使用", res.status === 401 ? "终端未配对" : "这张卡不能使用",
                           res.data.reason || "other");
      }
      openHousehold(res.data);
    }).catch(function () { state.busy = false; showMessage("网络不通,请稍后再扫一次", "暂时无法连接", "network"); });
  }

  $("scan-input").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      ev.preventDefault();
      var value = this.value;
      this.value = "";
      submitScan(value);
    }
  });

  // camera through jsQR: only on the attract screen, stopped otherwise
  var camera = { stream: null, timer: null, canvas: document.createElement("canvas"), last: "", lastAt: 0 };

  function startCamera() {
    if (camera.stream || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) { return; }
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }).then(function (stream) {
      if (state.screen !== "attract") { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
      camera.stream = stream;
      var video = $("camera");
      video.srcObject = stream;
      video.hidden = false;
      $("camera-hint").hidden = false;
      video.play().catch(function () {});
      camera.timer = setInterval(decodeFrame, 250);
    }).catch(function () { /* no camera: the USB scanner still works */ });
  }

  function stopCamera() {
    if (camera.timer) { clearInterval(camera.timer); camera.timer = null; }
    if (camera.stream) { camera.stream.getTracks().forEach(function (t) { t.stop(); }); camera.stream = null; }
    $("camera").hidden = true;
    $("camera-hint").hidden = true;
  }

  function decodeFrame() {
    var video = $("camera");
    if (!video.videoWidth || state.busy) { return; }
    var w = video.videoWidth, h = video.videoHeight, ctx = camera.canvas.getContext("2d", { willReadFrequently: true });
    camera.canvas.width = w; camera.canvas.height = h;
    ctx.drawImage(video, 0, 0, w, h);
    var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "attemptBoth" });
    if (!found || !found.data) { return; }
    if (found.data === camera.last && Date.now() - camera.lastAt < 5000) { return; }
    camera.last = found.data; camera.lastAt = Date.now();
    submitScan(found.data);
  }

  // ------------------------------------------------------------------ household + cart
  function openHousehold(data) {
    state.session = data.session_id;
    state.household = data.household;
    state.goods = data.goods;
    state.cart = {};
    state.category = "全部";
    state.lastTouch = Date.now();
    text($("hh-name"), data.household.name);
    renderRecent(data.household.recent || []);
    renderAll();
    show("household");
    speak("welcome", { balance: data.household.balance });
  }

  function goodsById(id) { return state.goods.filter(function (g) { return g.id === id; })[0]; }

  function cartTotal() {
    return Object.keys(state.cart).reduce(function (sum, id) { return sum + goodsById(Number(id)).price * state.cart[id]; }, 0);
  }

  function remaining() { return state.household.balance - cartTotal(); }

  /* Why one more unit of g cannot be added: [code, words] (null = it can). */
  function blocked(g) {
    var qty = state.cart[g.id] || 0;
    if (g.stock <= 0) { return ["sold_out", "已兑完"]; }
    if (g.limit_left === 0) { return ["limit", "本期已达限兑数量"]; }
    if (qty >= g.stock) { return ["stock", "库存只剩 " + g.stock + g.unit]; }
    if (g.limit_left !== null && qty >= g.limit_left) { return ["limit", "每户限兑 " + g.limit_left + g.unit]; }
    if (qty >= 99) { return ["max", "一次最多 99" + g.unit]; }
    if (g.price > remaining()) { return ["points", "积分不够"]; }
    return null;
  }
  function blockReason(g) { var b = blocked(g); return b && b[1]; }

  /* "3:1,8:2" - the cart as goods ids and quantities for the spoken phrases. */
  function itemsParam(lines) { return lines.map(function (l) { return l[0] + ":" + l[1]; }).join(","); }
  function cartItems() { return Object.keys(state.cart).map(function (id) { return [id, state.cart[id]]; }); }

  function change(id, delta) {
    var g = goodsById(id);
    text($("cart-notice"), "");
    var qty = state.cart[id] || 0;
    if (delta > 0) {
      var why = blocked(g);
      if (why) { speak("cannot_add", { goods: g.id, reason: why[0] }); return; }
      state.cart[id] = qty + 1;
      speak("added", { goods: g.id, qty: qty + 1 });
    } else if (qty > 0) {
      if (qty === 1) { delete state.cart[id]; } else { state.cart[id] = qty - 1; }
      speak("removed", { goods: g.id, qty: qty - 1 });
    }
    renderAll();
  }

  function renderAll() {
    text($("hh-balance"), state.household.balance);
    text($("hh-remaining"), remaining());
    renderCategories();
    renderGoods();
    renderCart();
  }

  function renderCategories() {
    var cats = ["全部"];
    state.goods.forEach(function (g) { if (cats.indexOf(g.category) < 0) { cats.push(g.category); } });
    var nav = $("categories");
    nav.textContent = "";
    var pictures = {};
    state.goods.forEach(function (g) { pictures[g.category] = pictures[g.category] || g.category_picture; });
    cats.forEach(function (c) {
      var b = make("button", "");
      b.type = "button";
      var icon = make("img");
      icon.src = c === "全部" ? root.dataset.allPicture : pictures[c];
      icon.alt = "";
      b.appendChild(icon);
      b.appendChild(make("span", "", c));
      b.setAttribute("aria-pressed", String(c === state.category));
      b.addEventListener("click", function () { state.category = c; renderAll(); });
      nav.appendChild(b);
    });
  }

  function renderGoods() {
    var grid = $("goods-grid");
    var keep = grid.dataset.category === state.category ? grid.scrollTop : 0;  // + on page 2 stays on page 2
    grid.dataset.category = state.category;
    grid.textContent = "";
    state.goods.filter(function (g) { return state.category === "全部" || g.category === state.category; })
      .sort(function (a, b) { return (a.stock <= 0) - (b.stock <= 0); })  // sold-out goods last (stable)
      .forEach(function (g) { grid.appendChild(goodsCard(g)); });
    grid.scrollTop = keep;
    requestAnimationFrame(updatePager);
  }

  /* No swiping needed: 上一页/下一页 buttons under the goods when they do not fit on one screen. */
  function updatePager() {
    var grid = $("goods-grid");
    var pages = Math.max(1, Math.ceil((grid.scrollHeight - 4) / grid.clientHeight));
    var page = Math.min(pages, Math.floor((grid.scrollTop + 4) / grid.clientHeight) + 1);
    if (grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 4) { page = pages; }
    $("pager").hidden = pages < 2;
    $("page-up").disabled = grid.scrollTop <= 4;
    $("page-down").disabled = page >= pages;
    text($("page-info"), "第" + page + "页\n共" + pages + "页");
  }

  function turnPage(direction) {
    var grid = $("goods-grid");
    grid.scrollBy({ top: direction * (grid.clientHeight - 20), behavior: "instant" });
    updatePager();
  }

  function goodsCard(g) {
    var qty = state.cart[g.id] || 0;
    var reason = blockReason(g);
    var card = make("div", "goods" + (qty ? " in-cart" : "") + (reason && !qty ? " disabled" : ""));
    card.dataset.goodsId = g.id;
    card.dataset.testid = "goods";
    var photo = make("div", "photo");
    var img = make("img", g.photo_url ? "real" : "pictogram");
    img.src = g.photo_url || g.pictogram_url;
    img.alt = "";  // the name is written right below
    photo.appendChild(img);
    card.appendChild(photo);
    card.appendChild(make("div", "name", g.name));
    var price = make("div", "price", String(g.price));
    price.appendChild(make("small", "", " 分/" + g.unit));
    card.appendChild(price);
    var meta = "库存 " + g.stock + g.unit;
    if (g.limit_left !== null) { meta += " · 还可兑 " + g.limit_left + g.unit; }
    card.appendChild(make("div", "meta", meta));
    var why = make("div", reason ? "reason" : "in-cart-tag", reason ? "⚠ " + reason : (qty ? "✓ 已选 " + qty + g.unit : ""));
    why.dataset.role = "reason";
    card.appendChild(why);
    var stepper = make("div", "stepper");
    var minus = make("button", "minus", "−");
    minus.type = "button"; minus.disabled = !qty; minus.setAttribute("aria-label", "减少 " + g.name);
    minus.addEventListener("click", function () { change(g.id, -1); });
    var plus = make("button", "plus", "+");
    plus.type = "button"; plus.setAttribute("aria-label", "增加 " + g.name);
    // not `disabled`: a tap on a blocked + still answers, aloud, why it cannot be added
    plus.setAttribute("aria-disabled", String(!!reason));
    plus.addEventListener("click", function () { change(g.id, 1); });
    var count = make("span", "qty", String(qty));
    count.dataset.role = "qty";
    stepper.appendChild(minus); stepper.appendChild(count); stepper.appendChild(plus);
    card.appendChild(stepper);
    return card;
  }

  function cartLines(list) {
    list.textContent = "";
    Object.keys(state.cart).forEach(function (id) {
      var g = goodsById(Number(id));
      var li = make("li");
      li.appendChild(make("span", "", g.name + " × " + state.cart[id]));
      li.appendChild(make("b", "", (g.price * state.cart[id]) + " 分"));
      list.appendChild(li);
    });
  }

  function renderCart() {
    var list = $("cart-lines");
    cartLines(list);
    if (!list.children.length) { list.appendChild(make("li", "empty", "还没有选择商品,点商品下面的 + 号")); }
    text($("cart-total"), cartTotal());
    $("checkout-btn").disabled = !Object.keys(state.cart).length;
  }

  function renderRecent(entries) {
    var list = $("recent");
    list.textContent = "";
    entries.forEach(function (e) {
      var li = make("li");
      li.appendChild(make("span", "", e.date.slice(5) + " " + e.label));
      li.appendChild(make("span", e.points > 0 ? "plus-pts" : "minus-pts", (e.points > 0 ? "+" : "") + e.points));
      list.appendChild(li);
    });
  }

  // ------------------------------------------------------------------ confirm + redeem
  function openConfirm() {
    if (!Object.keys(state.cart).length) { return; }
    state.requestId = uuid4();  // one id per confirmation: retries and double taps reuse it
    cartLines($("confirm-lines"));
    text($("confirm-total"), cartTotal());
    text($("confirm-remaining"), remaining());
    text($("confirm-error"), "");
    $("confirm-btn").disabled = false;
    show("confirm");
    speak("confirm", { items: itemsParam(cartItems()), total: cartTotal(), remaining: remaining() });
  }

  function redeem() {
    if (state.busy) { return; }  // double-tap guard
    state.busy = true;
    $("confirm-btn").disabled = true;
    var cart = Object.keys(state.cart).map(function (id) { return { goods_id: Number(id), qty: state.cart[id] }; });
    var payload = { session_id: state.session, request_id: state.requestId, cart: cart, expected_total: cartTotal() };
    sendRedeem(payload, 0);
  }

  function sendRedeem(payload, attempt) {
    api("POST", "/redeem", payload).then(function (res) {
      state.busy = false;
      if (res.ok) { return showSuccess(res.data.receipt); }
      if (res.status === 410) { return endSession("这次操作超时了,请重新扫描积分卡", "session_expired"); }
      var message = res.data.message || "兑换没有成功,请重试";
      speak("redeem_failed", { error: res.data.error || "other" });
      if (["out_of_stock", "price_changed", "limit_exceeded", "insufficient_points", "goods_unavailable",
           "not_found"].indexOf(res.data.error) >= 0) {
        return refreshGoods("⚠ " + message + ",购物车已按最新情况调整,请重新确认");
      }
      $("confirm-btn").disabled = false;
      text($("confirm-error"), message);
    }).catch(function () {
      if (attempt < 3) { return setTimeout(function () { sendRedeem(payload, attempt + 1); }, 800 * (attempt + 1)); }
      state.busy = false;
      $("confirm-btn").disabled = false;
      text($("confirm-error"), "网络不通,请再点一次“确认兑换”(不会重复扣分)");
      speak("redeem_failed", { error: "network" });
    });
  }

  /* Reload goods for this household, trim the cart to what is possible now, go back to the list. */
  function refreshGoods(notice) {
    api("GET", "/goods", undefined, { "X-Kiosk-Session": state.session }).then(function (res) {
      if (res.status === 410) { return endSession("这次操作超时了,请重新扫描积分卡", "session_expired"); }
      if (!res.ok) { return; }
      state.goods = res.data.goods;
      Object.keys(state.cart).forEach(function (id) {
        var g = goodsById(Number(id));
        if (!g) { delete state.cart[id]; } else if (state.cart[id] > g.stock) { state.cart[id] = g.stock; }
        if (state.cart[id] === 0) { delete state.cart[id]; }
      });
      while (Object.keys(state.cart).length && remaining() < 0) { trimOne(); }
      show("household");
      renderAll();
      text($("cart-notice"), notice || "");
    });
  }

  function trimOne() {
    var ids = Object.keys(state.cart);
    var last = ids[ids.length - 1];
    if (state.cart[last] > 1) { state.cart[last] -= 1; } else { delete state.cart[last]; }
  }

  function showSuccess(receipt) {
    state.household.balance = receipt.balance_after;
    state.cart = {};
    text($("ok-receipt"), receipt.receipt_no);
    var list = $("ok-lines");
    list.textContent = "";
    receipt.lines.forEach(function (l) {
      var li = make("li");
      li.appendChild(make("span", "", l.name + " × " + l.qty + l.unit));
      li.appendChild(make("b", "", l.points + " 分"));
      list.appendChild(li);
    });
    text($("ok-total"), receipt.total);
    text($("ok-balance"), receipt.balance_after);
    fillReceipt(receipt);
    show("success");
    speak("success", { items: itemsParam(receipt.lines.map(function (l) { return [l.goods_id, l.qty]; })),
                       total: receipt.total, balance: receipt.balance_after });
  }

  function fillReceipt(r) {
    var box = $("receipt");
    box.textContent = "";
    box.appendChild(make("h4", "", r.site + " 积分超市"));
    box.appendChild(make("div", "", "单号:" + r.receipt_no));
    box.appendChild(make("div", "", "时间:" + r.time));
    box.appendChild(make("div", "", "户主:" + r.household));
    var table = make("table");
    r.lines.forEach(function (l) {
      var tr = make("tr");
      tr.appendChild(make("td", "", l.name + " ×" + l.qty));
      tr.appendChild(make("td", "r", l.points + "分"));
      table.appendChild(tr);
    });
    box.appendChild(table);
    box.appendChild(make("div", "", "合计:" + r.total + " 分"));
    box.appendChild(make("div", "", "剩余积分:" + r.balance_after + " 分"));
    box.appendChild(make("div", "sign", "领取人签字:"));
  }

  // ------------------------------------------------------------------ messages, idle, end
  var messageTimer = null;
  function showMessage(message, title, code) {
    text($("msg-title"), title || "这张卡不能使用");
    text($("msg-text"), message);
    show("message");
    if (code === "session_expired") { speak("redeem_failed", { error: code }); } else { speak("card_error", { reason: code || "other" }); }
    clearTimeout(messageTimer);
    messageTimer = setTimeout(function () { if (state.screen === "message") { show("attract"); } }, 20000);
  }

  function endSession(message, code) {
    if (state.session) { api("POST", "/session/end", { session_id: state.session }).catch(function () {}); }
    state.session = null; state.household = null; state.goods = []; state.cart = {}; state.requestId = null;
    state.busy = false;
    $("goods-grid").textContent = ""; $("cart-lines").textContent = ""; $("recent").textContent = "";
    text($("hh-name"), ""); text($("hh-balance"), ""); $("receipt").textContent = "";
    setLarge(false, true);  // the next resident starts with the normal size
    if (message) { showMessage(message, "已退出", code || "session_expired"); } else { show("attract"); speak(code || "goodbye", {}); }
  }

  function activity() {
    state.lastActivity = Date.now();
    if (!$("idle-warning").hidden) { hideWarning(); }
    if (state.session && Date.now() - state.lastTouch > TOUCH_EVERY) {
      state.lastTouch = Date.now();
      api("POST", "/session/touch", { session_id: state.session }).then(function (res) {
        if (res.status === 410) { endSession("这次操作超时了,请重新扫描积分卡", "session_expired"); }
      }).catch(function () {});
    }
  }

  function hideWarning() { $("idle-warning").hidden = true; }

  function idleTick() {
    tickClock();
    keepFocus();
    if (["household", "confirm", "success"].indexOf(state.screen) < 0) { return; }
    var idle = Date.now() - state.lastActivity;
    if (state.screen === "success") { if (idle >= SUCCESS_RETURN) { endSession(); } return; }
    if (idle >= IDLE) { return endSession(null, "timeout"); }
    if (idle >= IDLE - WARN) {
      var left = Math.ceil((IDLE - idle) / 1000);
      text($("idle-count"), left);
      if ($("idle-warning").hidden) {
        $("idle-warning").hidden = false;
        speak("idle_warning", {});
      }
    }
  }

  /* 大字模式: every content size is in rem, so the root size scales the text by 1.5 and the grid reflows. */
  function setLarge(on, quiet) {
    var was = document.documentElement.classList.contains("large");
    document.documentElement.classList.toggle("large", on);
    $("large-btn").setAttribute("aria-pressed", String(on));
    text($("large-btn"), on ? "正常字号" : "大字模式");
    if (!quiet && was !== on) { speak(on ? "large_on" : "large_off", {}); }
    if (state.screen === "household" || state.screen === "confirm") { requestAnimationFrame(updatePager); }
    emit("large", { on: on });
  }

  // ------------------------------------------------------------------ wiring
  ["pointerdown", "keydown", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function (ev) {
      if (ev.target && ev.target.id === "extend-btn") { return; }
      if (!$("idle-warning").hidden && type !== "keydown") { return; }  // only the big button extends
      activity();
    }, true);
  });
  $("extend-btn").addEventListener("click", function () { hideWarning(); state.lastTouch = 0; activity(); speak("extended", {}); });
  $("pair-btn").addEventListener("click", pair);
  $("pair-code").addEventListener("keydown", function (ev) { if (ev.key === "Enter") { pair(); } });
  $("checkout-btn").addEventListener("click", openConfirm);
  $("back-bar").addEventListener("click", function () { if (BACK[state.screen]) { BACK[state.screen][1](); } });
  $("page-up").addEventListener("click", function () { turnPage(-1); });
  $("page-down").addEventListener("click", function () { turnPage(1); });
  $("goods-grid").addEventListener("scroll", function () { requestAnimationFrame(updatePager); });
  window.addEventListener("resize", function () { if (state.screen === "household") { updatePager(); } });
  $("large-btn").addEventListener("click", function () { setLarge(!document.documentElement.classList.contains("large")); });
  $("confirm-btn").addEventListener("click", redeem);
  $("finish-btn").addEventListener("click", function () { endSession(); });
  $("print-btn").addEventListener("click", function () { speak("printing", {}); window.print(); });
  $("msg-ok").addEventListener("click", function () { show("attract"); });
  document.addEventListener("click", keepFocus);
  window.addEventListener("popstate", function () { history.replaceState({ screen: state.screen }, "", location.pathname); });

  window.Kiosk = { state: state, speak: speak, submitScan: submitScan, endSession: endSession, setLarge: setLarge };
  tickClock();
  setInterval(idleTick, 1000);
  setInterval(refreshAttract, 5 * 60 * 1000);
  start();
})();
