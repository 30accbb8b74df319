// Household picker for recording rule items: search, or scan cards; selected households become
// hidden inputs named household_id. No framework; works with a USB scanner (it types + Enter).
(function () {
  "use strict";
  var box = document.querySelector(".picker");
  if (!box) return;
  var form = box.closest("form");
  var site = document.getElementById("site");
  var q = document.getElementById("picker-q");
  var scan = document.getElementById("picker-scan");
  var msg = document.getElementById("picker-msg");
  var results = document.getElementById("picker-results");
  var selected = document.getElementById("picker-selected");
  var count = document.getElementById("picker-count");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var chosen = {};
  var timer = null;

  function label(h) { return h.name + (h.building ? " · " + h.building : "") + (h.door_no ? " " + h.door_no : ""); }

  function render() {
    selected.innerHTML = "";
    Object.keys(chosen).forEach(function (id) {
      var h = chosen[id];
      var chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip on";
      chip.textContent = label(h) + " ✕";
      chip.setAttribute("aria-label", "取消选择 " + h.name);
      chip.onclick = function () { delete chosen[id]; render(); };
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "household_id"; input.value = id;
      selected.appendChild(chip); selected.appendChild(input);
    });
    count.textContent = Object.keys(chosen).length;
  }

  function add(h) {
    if (String(h.site_id) !== site.value) { msg.textContent = h.name + " 不是所选安置点的住户"; return; }
    chosen[h.id] = h; msg.textContent = "已选:" + h.name; render();
  }

  function search() {
    var url = box.dataset.searchUrl + "?site_id=" + encodeURIComponent(site.value) + "&q=" + encodeURIComponent(q.value.trim());
    fetch(url, {headers: {Accept: "application/json"}}).then(function (r) { return r.json(); }).then(function (rows) {
      results.innerHTML = "";
      if (!rows.length) { results.textContent = "没有找到"; return; }
      var all = document.createElement("button");
      all.type = "button"; all.className = "chip"; all.textContent = "全选以下 " + rows.length + " 户";
      all.onclick = function () { rows.forEach(add); };
      results.appendChild(all);
      rows.forEach(function (h) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "chip"; b.textContent = label(h);
        b.onclick = function () { add(h); };
        results.appendChild(b);
      });
    });
  }

  // households picked before a refused submit come back with the page
  JSON.parse(box.dataset.picked || "[]").forEach(function (h) { chosen[h.id] = h; });
  render();

  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
  q.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); search(); } });
  site.addEventListener("change", function () { chosen = {}; render(); search(); });
  scan.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    var token = scan.value.trim(); scan.value = "";
    if (!token) return;
    fetch(box.dataset.scanUrl, {method: "POST", headers: {"Content-Type": "application/json", Accept: "application/json",
      "X-CSRFToken": csrf}, body: JSON.stringify({token: token})})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) { if (res.ok) add(res.body); else msg.textContent = "⚠ " + res.body.message; });
  });
  search();
})();
