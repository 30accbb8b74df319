/* The household screen: goods by category with pictures, the pager, the cart and why a goods
 * cannot take one more unit (in words on the card, aloud on a tap of its +). */
import { $, make, root, text } from "./dom.js";
import { phrase } from "./phrases.js";
import { show } from "./screens.js";
import { speak } from "./speech.js";
import { ALL, MAX_QTY, state } from "./state.js";

export function openHousehold(data) {
  state.session = data.session_id;
  state.household = data.household;
  state.goods = data.goods;
  state.cart = {};
  state.category = ALL;
  state.lastTouch = Date.now();
  text($("hh-name"), data.household.name);
  renderRecent(data.household.recent || []);
  renderAll();
  show("household");
  speak("welcome", { balance: data.household.balance });
}

export function goodsById(id) { return state.goods.filter((g) => g.id === id)[0]; }

export function cartTotal() {
  return Object.keys(state.cart).reduce((sum, id) => sum + goodsById(Number(id)).price * state.cart[id], 0);
}

export function remaining() { return state.household.balance - cartTotal(); }
/* What can still be spent: base points (底分) stay in the balance but are never redeemable. */
function spendableLeft() { return remaining() - (state.household.base_points || 0); }

/* Why one more unit of g cannot be added: [code, words] (null = it can); the code is what
   cannot_add says aloud, the words its catalog entry. */
function blocked(g) {
  const qty = state.cart[g.id] || 0;
  if (g.stock <= 0) { return ["sold_out", phrase("block.sold_out")]; }
  if (g.limit_left === 0) { return ["limit", phrase("block.limit")]; }
  if (qty >= g.stock) { return ["stock", phrase("block.stock", { stock: g.stock, unit: g.unit })]; }
  if (g.limit_left !== null && qty >= g.limit_left) { return ["limit", phrase("block.limit")]; }
  if (qty >= MAX_QTY) { return ["max", phrase("block.max", { max: MAX_QTY, unit: g.unit })]; }
  if (g.price > spendableLeft()) { return ["points", phrase("block.points")]; }
  return null;
}

/* "3:1,8:2" - the cart as goods ids and quantities for the spoken phrases. */
export function itemsParam(lines) { return lines.map((l) => l[0] + ":" + l[1]).join(","); }
export function cartItems() { return Object.keys(state.cart).map((id) => [id, state.cart[id]]); }

function change(id, delta) {
  const g = goodsById(id);
  text($("cart-notice"), "");
  const qty = state.cart[id] || 0;
  if (delta > 0) {
    const why = blocked(g);
    if (why) { speak("cannot_add", { goods: g.id, reason: why[0] }); return; }
    state.cart[id] = qty + 1;
    speak("added", { goods: g.id, qty: qty + 1 });
  } else if (qty > 0) {
    if (qty === 1) { delete state.cart[id]; } else { state.cart[id] = qty - 1; }
    speak("removed", { goods: g.id, qty: qty - 1 });
  }
  renderAll();
}

export function renderAll() {
  text($("hh-balance"), state.household.balance);
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
    b.addEventListener("click", () => { state.category = c; renderAll(); });
    nav.appendChild(b);
  });
}

function renderGoods() {
  const grid = $("goods-grid");
  const keep = grid.dataset.category === state.category ? grid.scrollTop : 0;  // + on page 2 stays on page 2
  grid.dataset.category = state.category;
  grid.textContent = "";
  state.goods.filter((g) => state.category === ALL || g.category === state.category)
    .sort((a, b) => (a.stock <= 0) - (b.stock <= 0))  // sold-out goods last (stable)
    .forEach((g) => { grid.appendChild(goodsCard(g)); });
  grid.scrollTop = keep;
  requestAnimationFrame(updatePager);
}

/* No swiping needed: 上一页/下一页 buttons under the goods when they do not fit on one screen. */
export function updatePager() {
  const grid = $("goods-grid");
  const pages = Math.max(1, Math.ceil((grid.scrollHeight - 4) / grid.clientHeight));
  let page = Math.min(pages, Math.floor((grid.scrollTop + 4) / grid.clientHeight) + 1);
  if (grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 4) { page = pages; }
  $("pager").hidden = pages < 2;
  $("page-up").disabled = grid.scrollTop <= 4;
  $("page-down").disabled = page >= pages;
  text($("page-info"), phrase("ui.page_info", { page: page, pages: pages }));
}

export function turnPage(direction) {
  const grid = $("goods-grid");
  grid.scrollBy({ top: direction * (grid.clientHeight - 20), behavior: "instant" });
  updatePager();
}

function goodsCard(g) {
  const qty = state.cart[g.id] || 0;
  const why = blocked(g);
  const reason = why && why[1];
  const card = make("div", "goods" + (qty ? " in-cart" : "") + (reason && !qty ? " disabled" : ""));
  card.dataset.goodsId = g.id;
  card.dataset.testid = "goods";
  const photo = make("div", "photo");
  const img = make("img", g.photo_url ? "real" : "pictogram");
  img.src = g.photo_url || g.pictogram_url;
  img.alt = "";  // the name is written right below
  photo.appendChild(img);
  card.appendChild(photo);
  card.appendChild(make("div", "name", g.name));
  const price = make("div", "price", String(g.price));
  price.appendChild(make("small", "", phrase("ui.price_unit", { unit: g.unit })));
  card.appendChild(price);
  let meta = phrase("ui.stock", { stock: g.stock, unit: g.unit });
  if (g.limit_left !== null) { meta += phrase("ui.limit_left", { left: g.limit_left, unit: g.unit }); }
  card.appendChild(make("div", "meta", meta));
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
  Object.keys(state.cart).forEach((id) => {
    const g = goodsById(Number(id));
    const li = make("li");
    li.appendChild(make("span", "", phrase("ui.cart_line", { goods: g.name, qty: state.cart[id] })));
    li.appendChild(make("b", "", phrase("ui.points", { points: g.price * state.cart[id] })));
    list.appendChild(li);
  });
}

function renderCart() {
  const list = $("cart-lines");
  cartLines(list);
  if (!list.children.length) { list.appendChild(make("li", "empty", phrase("cart_empty"))); }
  text($("cart-total"), cartTotal());
  $("checkout-btn").disabled = !Object.keys(state.cart).length;
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
