// Scoring grid: fast keyboard entry (Enter/↓ next household, ↑ previous, →/← next/previous
// dimension), each cell saved on change, the row total updated from the server's answer.
(function () {
  "use strict";
  var table = document.getElementById("score-grid");
  if (!table) return;
  var status = document.getElementById("grid-status");
  var url = table.dataset.url, csrf = table.dataset.csrf;
  var inputs = Array.prototype.slice.call(table.querySelectorAll("input.score"));
  var pending = 0;
  // how many saves are still on their way (data-pending: the page's own "all saved" signal)
  function setPending(delta) { pending += delta; table.dataset.pending = String(pending); }
  setPending(0);

  function cellAt(row, col) {
    var tr = table.tBodies[0].rows[row];
    if (!tr) return null;
    return tr.querySelectorAll("input.score")[col] || null;
  }
  function position(input) {
    var tr = input.closest("tr");
    var cells = Array.prototype.slice.call(tr.querySelectorAll("input.score"));
    return {row: tr.sectionRowIndex, col: cells.indexOf(input), width: cells.length};
  }
  function go(input, dRow, dCol) {
    var p = position(input), col = p.col + dCol, row = p.row + dRow;
    if (col >= p.width) { col = 0; row += 1; }
    if (col < 0) { col = p.width - 1; row -= 1; }
    var next = cellAt(row, col);
    if (next) { next.focus(); next.select(); }
  }

  // Every request, and every message of our own, takes the next number; a response may change the
  // status line only while its number is still the latest, so a late "已保存" never hides a newer
  // message (an error typed meanwhile). Its cell and its row's total are still updated, the total
  // only by a response newer than the one that last set it. See docs/decisions.md#scoring-grid.
  var latest = 0;
  function say(text) { latest += 1; status.textContent = text; return latest; }

  function markCell(input) {
    var saved = input.value.trim() === (input.dataset.saved || "");
    input.classList.toggle("dirty", !saved);
    if (saved) { input.classList.remove("error"); input.removeAttribute("aria-invalid"); }
  }

  function send(payload, tr, input) {
    setPending(1);
    var seq = say("正在保存…");
    payload.household_id = Number(tr.dataset.household);
    fetch(url, {method: "POST", headers: {"Content-Type": "application/json", Accept: "application/json",
      "X-CSRFToken": csrf}, body: JSON.stringify(payload)})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        if (res.ok) {
          if (seq > Number(tr.dataset.totalSeq || 0)) {
            tr.dataset.totalSeq = seq;
            var total = tr.querySelector("[data-total]");
            total.innerHTML = res.body.total_score + '<br><span class="muted">' + res.body.points + " 分</span>";
          }
          if (input) { input.dataset.saved = String(payload.score); input.classList.add("saved"); markCell(input); }
          if (seq === latest) { status.textContent = "已保存"; }
        } else {
          if (input) { input.classList.add("error"); input.setAttribute("aria-invalid", "true"); }
          if (seq === latest) { status.textContent = "⚠ " + (res.body.message || "保存失败"); }
        }
      })
      .catch(function () {
        if (input) { input.classList.add("error"); input.setAttribute("aria-invalid", "true"); }
        if (seq === latest) { status.textContent = "⚠ 网络连接失败,这一格没有保存,请重试"; }
      })
      .then(function () { setPending(-1); });
  }

  function save(input) {
    var value = input.value.trim();
    if (value === (input.dataset.saved || "")) { markCell(input); return; }  // back to its saved value: clean
    var max = Number(input.dataset.max);
    if (!/^\d+$/.test(value) || Number(value) > max) {
      input.classList.add("error");
      input.setAttribute("aria-invalid", "true");
      say("⚠ 分数必须是 0 到 " + max + " 的整数");
      return;
    }
    send({dimension_id: Number(input.dataset.dimension), score: Number(value)}, input.closest("tr"), input);
  }

  inputs.forEach(function (input) {
    input.dataset.saved = input.value;
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("input", function () { markCell(input); });
    input.addEventListener("change", function () { save(input); });
    input.addEventListener("keydown", function (ev) {
      var key = ev.key;
      if (key === "Enter" || key === "ArrowDown") { ev.preventDefault(); save(input); go(input, 1, 0); }
      else if (key === "ArrowUp") { ev.preventDefault(); save(input); go(input, -1, 0); }
      else if (key === "ArrowRight" && input.selectionEnd === input.value.length) { ev.preventDefault(); save(input); go(input, 0, 1); }
      else if (key === "ArrowLeft" && input.selectionStart === 0) { ev.preventDefault(); save(input); go(input, 0, -1); }
    });
  });
  table.querySelectorAll("input[data-award]").forEach(function (box) {
    box.addEventListener("change", function () {
      send({award_type_id: Number(box.dataset.award), on: box.checked}, box.closest("tr"), null);
    });
  });
  window.addEventListener("beforeunload", function (ev) {
    if (pending > 0) { ev.preventDefault(); ev.returnValue = ""; }
  });
  if (inputs.length && !inputs[0].disabled) { inputs[0].focus(); }
})();
