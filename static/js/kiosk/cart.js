/* The household screen: goods by category with pictures, the pager, the cart and why a goods
 * cannot take one more unit (in words on the card, aloud on a tap of its +). */
import { $, make, root, text } from "./dom.js";
import { renderBanner } from "./offline.js";
import { phrase } from "./phrases.js";
import { show } from "./screens.js";
import { speak } from "./speech.js";
import { ALL, MAX_QTY, state } from "./state.js";

export function openHousehold(data) {
  state.session = data.session_id;
  state.household = data.household;
  state.goods = data.goods;
  state.cart = new Map();
  state.category = ALL;
  state.page = 0;
  state.lastTouch = Date.now();
  text($("hh-name"), data.household.name);
  renderRecent(data.household.recent || []);
  const offline = !!data.household.offline;  // selling out of this kiosk's allowance (docs/offline.md)
  $("fig-balance").hidden = offline;
  $("fig-offline").hidden = !offline;
  show("household");
  renderAll();  // after show: the pages are measured on the laid-out grid
  if (offline) {
    speak("offline_limit", { points: data.household.balance });
  } else {
    speak("welcome", { balance: data.household.balance });
  }
}

export function goodsById(id) { return state.goods.filter((g) => g.id === id)[0]; }

export function cartTotal() {
  let sum = 0;
  state.cart.forEach((qty, id) => { sum += goodsById(id).price * qty; });
  return sum;
}

export function remaining() { return state.household.balance - cartTotal(); }
/* What can still be spent: base points (底分) stay in the balance but are never redeemable. */
function spendableLeft() { return remaining() - (state.household.base_points || 0); }

/* Why one more unit of g cannot be added: [code, words] (null = it can); the code is what
   cannot_add says aloud, the words its catalog entry. With some already in the cart, too few
   points means "not one more" (points_more), not "cannot afford it at all". */
function blocked(g) {
  const qty = state.cart.get(g.id) || 0;
  if (g.stock <= 0) { return ["sold_out", phrase("block.sold_out")]; }
  if (g.limit_left === 0) { return ["limit", phrase("block.limit")]; }
  if (qty >= g.stock) { return ["stock", phrase("block.stock", { stock: g.stock, unit: g.unit })]; }
  if (g.limit_left !== null && qty >= g.limit_left) { return ["limit", phrase("block.limit")]; }
  if (qty >= MAX_QTY) { return ["max", phrase("block.max", { max: MAX_QTY, unit: g.unit })]; }
  if (g.price > spendableLeft()) {
    return qty ? ["points_more", phrase("block.points_more", { unit: g.unit })] : ["points", phrase("block.points")];
  }
  return null;
}

/* "3:1,8:2" - the cart as goods ids and quantities for the spoken phrases. */
export function itemsParam(lines) { return lines.map((l) => l[0] + ":" + l[1]).join(","); }
/* The cart's lines [goods id, qty] in the order they were added (state.cart is a Map). */
export function cartItems() { return Array.from(state.cart.entries()); }

function change(id, delta) {
  const g = goodsById(id);
  text($("cart-notice"), "");
  const qty = state.cart.get(id) || 0;
  if (delta > 0) {
    const why = blocked(g);
    if (why) { speak("cannot_add", { goods: g.id, reason: why[0] }); return; }
    state.cart.set(id, qty + 1);  // a new line goes last; a line already there keeps its place
    speak("added", { goods: g.id, qty: qty + 1 });
  } else if (qty > 0) {
    if (qty === 1) { state.cart.delete(id); } else { state.cart.set(id, qty - 1); }
    speak("removed", { goods: g.id, qty: qty - 1 });
  }
  renderAll();
}

export function renderAll() {
  text($("hh-balance"), state.household.balance);
  text($("hh-allowance"), state.household.balance);
  renderBanner();
  text($("hh-remaining"), remaining());
  renderCategories();
  renderGoods();
  renderCart();
}

function renderCategories() {
  const cats = [ALL];
  state.goods.forEach((g) => { if (cats.indexOf(g.category) < 0) { cats.push(g.category); } });
  const nav = $("categories");
  nav.textContent = "";
  const pictures = {};
  state.goods.forEach((g) => { pictures[g.category] = pictures[g.category] || g.category_picture; });
  cats.forEach((c) => {
    const b = make("button", "");
    b.type = "button";
    const icon = make("img");
    icon.src = c === ALL ? root.dataset.allPicture : pictures[c];
    icon.alt = "";
    b.appendChild(icon);
    b.appendChild(make("span", "", c === ALL ? phrase("ui.all") : c));
    b.setAttribute("aria-pressed", String(c === state.category));
    b.addEventListener("click", () => { state.category = c; state.page = 0; renderAll(); });
    nav.appendChild(b);
  });
}

function renderGoods() {
  const grid = $("goods-grid");
  if (grid.dataset.category !== state.category) { state.page = 0; }  // a + on page 2 stays on page 2
  grid.dataset.category = state.category;
  grid.textContent = "";
  state.goods.filter((g) => state.category === ALL || g.category === state.category)
    .sort((a, b) => (a.stock <= 0) - (b.stock <= 0))  // sold-out goods last (stable)
    .forEach((g) => { grid.appendChild(goodsCard(g)); });
  layoutPages();
}

/* Paging by whole rows of cards (no swiping needed, no card ever cut off): lay every card out,
 * group them into rows by their top edge, fill each page with the rows that fit the grid's height,
 * then show only the current page's cards. On a new size or 大字模式 (keepShown) the page that
 * holds the first card shown stays in view. See docs/decisions.md#kiosk-paging. */
let pages = [[]];

export function layoutPages(keepShown) {
  const grid = $("goods-grid");
  const cards = Array.prototype.slice.call(grid.children);
  const first = cards.filter((c) => !c.hidden)[0];
  cards.forEach((c) => { c.hidden = false; });
  const style = getComputedStyle(grid);
  const room = grid.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const rows = [];
  cards.forEach((card) => {
    const last = rows[rows.length - 1];
    if (last && Math.abs(last.top - card.offsetTop) < 2) {
      last.bottom = Math.max(last.bottom, card.offsetTop + card.offsetHeight);
      last.cards.push(card);
    } else {
      rows.push({ top: card.offsetTop, bottom: card.offsetTop + card.offsetHeight, cards: [card] });
    }
  });
  pages = [];
  let top = 0;
  rows.forEach((row) => {
    if (pages.length && row.bottom - top <= room + 1) {
      pages[pages.length - 1] = pages[pages.length - 1].concat(row.cards);
    } else {
      pages.push(row.cards.slice());
      top = row.top;
    }
  });
  if (!pages.length) { pages = [[]]; }
  if (keepShown && first) {
    pages.forEach((page, i) => { if (page.indexOf(first) >= 0) { state.page = i; } });
  }
  showPage(state.page);
}

function showPage(index) {
  state.page = Math.max(0, Math.min(pages.length - 1, index));
  const shown = pages[state.page];
  Array.prototype.forEach.call($("goods-grid").children, (card) => { card.hidden = shown.indexOf(card) < 0; });
  $("pager").classList.toggle("single", pages.length < 2);  // kept in the layout: the columns never change
  $("page-up").disabled = state.page === 0;
  $("page-down").disabled = state.page >= pages.length - 1;
  text($("page-info"), phrase("ui.page_info", { page: state.page + 1, pages: pages.length }));
}

export function turnPage(direction) { showPage(state.page + direction); }

function goodsCard(g) {
  const qty = state.cart.get(g.id) || 0;
  const why = blocked(g);
  const reason = why && why[1];
  const card = make("div", "goods" + (qty ? " in-cart" : "") + (reason && !qty ? " disabled" : ""));
  card.dataset.goodsId = g.id;
  card.dataset.testid = "goods";
  const photo = make("div", "photo");
  const img = make("img", g.photo_url ? "real" : "pictogram");
  img.src = g.photo_url || g.pictogram_url;
  img.alt = "";  // the name is written right below
  // a photo the service worker does not have yet (offline): the goods' pictogram instead
  if (g.photo_url) { img.addEventListener("error", () => { img.className = "pictogram"; img.src = g.pictogram_url; }, { once: true }); }
  photo.appendChild(img);
  card.appendChild(photo);
  card.appendChild(make("div", "name", g.name));
  const price = make("div", "price", String(g.price));
  price.appendChild(make("small", "", phrase("ui.price_unit", { unit: g.unit })));
  card.appendChild(price);
  let meta = phrase("ui.stock", { stock: g.stock, unit: g.unit });
  if (g.limit_left !== null) { meta += phrase("ui.limit_left", { left: g.limit_left, unit: g.unit }); }
  card.appendChild(make("div", "meta", meta));
  if (qty && reason) {  // what is already chosen, then why not one more
    card.appendChild(make("div", "in-cart-tag", phrase("ui.in_cart", { qty: qty, unit: g.unit })));
  }
  const note = reason ? phrase("ui.warning", { text: reason }) : (qty ? phrase("ui.in_cart", { qty: qty, unit: g.unit }) : "");
  const tag = make("div", reason ? "reason" : "in-cart-tag", note);
  tag.dataset.role = "reason";
  card.appendChild(tag);
  const stepper = make("div", "stepper");
  const minus = make("button", "minus", "−");
  minus.type = "button"; minus.disabled = !qty; minus.setAttribute("aria-label", phrase("ui.less", { goods: g.name }));
  minus.addEventListener("click", () => { change(g.id, -1); });
  const plus = make("button", "plus", "+");
  plus.type = "button"; plus.setAttribute("aria-label", phrase("ui.more", { goods: g.name }));
  // not `disabled`: a tap on a blocked + still answers, aloud, why it cannot be added
  plus.setAttribute("aria-disabled", String(!!reason));
  plus.addEventListener("click", () => { change(g.id, 1); });
  const count = make("span", "qty", String(qty));
  count.dataset.role = "qty";
  stepper.appendChild(minus); stepper.appendChild(count); stepper.appendChild(plus);
  card.appendChild(stepper);
  return card;
}

export function cartLines(list) {
  list.textContent = "";
  state.cart.forEach((qty, id) => {
    const g = goodsById(id);
    const li = make("li");
    li.dataset.goodsId = id;
    li.appendChild(make("span", "", phrase("ui.cart_line", { goods: g.name, qty: qty })));
    li.appendChild(make("b", "", phrase("ui.points", { points: g.price * qty })));
    list.appendChild(li);
  });
}

function renderCart() {
  const list = $("cart-lines");
  cartLines(list);
  if (!list.children.length) { list.appendChild(make("li", "empty", phrase("cart_empty"))); }
  text($("cart-total"), cartTotal());
  $("checkout-btn").disabled = !state.cart.size;
}

function renderRecent(entries) {
  const list = $("recent");
  list.textContent = "";
  entries.forEach((e) => {
    const li = make("li");
    li.appendChild(make("span", "", e.date.slice(5) + " " + e.label));
    li.appendChild(make("span", e.points > 0 ? "plus-pts" : "minus-pts", (e.points > 0 ? "+" : "") + e.points));
    list.appendChild(li);
  });
}
