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

  function send(payload, tr, input) {
    pending += 1;
    status.textContent = "正在保存…";
    payload.household_id = Number(tr.dataset.household);
    fetch(url, {method: "POST", headers: {"Content-Type": "application/json", Accept: "application/json",
      "X-CSRFToken": csrf}, body: JSON.stringify(payload)})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        if (res.ok) {
          var total = tr.querySelector("[data-total]");
          total.innerHTML = res.body.total_score + '<br><span class="muted">' + res.body.points + " 分</span>";
          if (input) { input.classList.remove("error"); input.classList.add("saved"); input.dataset.saved = input.value; }
          status.textContent = "已保存";
        } else {
          if (input) input.classList.add("error");
          status.textContent = "⚠ " + (res.body.message || "保存失败");
        }
      })
      .catch(function () { status.textContent = "⚠ 网络连接失败,这一格没有保存,请重试"; if (input) input.classList.add("error"); })
      .then(function () { pending -= 1; });
  }

  function save(input) {
    var value = input.value.trim();
    if (value === (input.dataset.saved || "")) return;
    var max = Number(input.dataset.max);
    if (!/^\d+$/.test(value) || Number(value) > max) {
      input.classList.add("error");
      status.textContent = "⚠ 分数必须是 0 到 " + max + " 的整数";
      return;
    }
    send({dimension_id: Number(input.dataset.dimension), score: Number(value)}, input.closest("tr"), input);
  }

  inputs.forEach(function (input) {
    input.dataset.saved = input.value;
    input.addEventListener("focus", function () { input.select(); });
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
