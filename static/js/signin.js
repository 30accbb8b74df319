// Activity sign-in screen: a focus keeper on the scan input (USB scanners type the token and
// press Enter), optional camera scanning (BarcodeDetector, or the vendored jsQR), manual search.
(function () {
  "use strict";
  var root = document.getElementById("signin");
  var scan = document.getElementById("scan");
  if (!root || !scan) return;
  var result = document.getElementById("result");
  var rows = document.getElementById("rows");
  var count = document.getElementById("count");
  var manual = document.getElementById("manual");
  var manualQ = document.getElementById("manual-q");
  var manualResults = document.getElementById("manual-results");
  var video = document.getElementById("camera");
  var busy = false, lastToken = "", lastAt = 0, timer = null;

  function show(ok, text) {
    result.className = "result " + (ok ? "ok" : "bad");
    result.textContent = (ok ? "✔ " : "✘ ") + text;
  }

  function addRow(s) {
    var tr = document.createElement("tr");
    [s.time, s.name, s.building + " " + s.door_no, s.method].forEach(function (v) {
      var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    });
    rows.insertBefore(tr, rows.firstChild);
  }

  function submit(payload) {
    if (busy) return;
    busy = true;
    fetch(root.dataset.scanUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrf},
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      if (res.ok) {
        show(true, res.body.signin.name + " 签到成功");
        addRow(res.body.signin);
        count.textContent = res.body.count;
      } else {
        show(false, res.body.message || "签到失败");
      }
    }).catch(function () {
      show(false, "网络连接失败,请重试");
    }).then(function () { busy = false; keepFocus(); });
  }

  function onToken(token) {
    token = (token || "").trim();
    if (!token) return;
    var now = Date.now();
    if (token === lastToken && now - lastAt < 3000) return;  // the camera sees one card many times
    lastToken = token; lastAt = now;
    submit({token: token});
  }

  scan.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); var v = scan.value; scan.value = ""; onToken(v); }
  });

  function keepFocus() {
    if (manual.hidden && document.activeElement !== scan) scan.focus();
  }
  document.addEventListener("click", function () { setTimeout(keepFocus, 0); });
  setInterval(keepFocus, 1500);

  // manual search
  document.getElementById("manual-btn").addEventListener("click", function () {
    manual.hidden = !manual.hidden;
    if (!manual.hidden) manualQ.focus();
  });
  manualQ.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = manualQ.value.trim();
      if (!q) { manualResults.innerHTML = ""; return; }
      var url = root.dataset.searchUrl + "?q=" + encodeURIComponent(q) +
        (root.dataset.siteId ? "&site_id=" + root.dataset.siteId : "");
      fetch(url, {headers: {Accept: "application/json"}}).then(function (r) { return r.json(); }).then(function (list) {
        manualResults.innerHTML = "";
        if (!list.length) { manualResults.textContent = "没有找到"; return; }
        list.forEach(function (h) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "chip";
          b.textContent = h.name + " · " + h.building + " " + h.door_no;
          b.onclick = function () { submit({household_id: h.id}); };
          manualResults.appendChild(b);
        });
      });
    }, 250);
  });

  // camera scanning
  document.getElementById("camera-btn").addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show(false, "这台设备不能使用摄像头(需要 https 或本机访问),请用扫码枪或手工查找");
      return;
    }
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.hidden = false; video.srcObject = stream; video.play();
      startDecoding();
    }).catch(function () { show(false, "没有摄像头权限,请用扫码枪或手工查找"); });
  });

  function startDecoding() {
    var canvas = document.createElement("canvas"), ctx = canvas.getContext("2d", {willReadFrequently: true});
    var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({formats: ["qr_code"]}) : null;
    function tick() {
      if (video.readyState >= 2) {
        if (detector) {
          detector.detect(video).then(function (codes) { if (codes.length) onToken(codes[0].rawValue); });
        } else if (window.jsQR) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          ctx.drawImage(video, 0, 0);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var code = window.jsQR(img.data, img.width, img.height, {inversionAttempts: "dontInvert"});
          if (code) onToken(code.data);
        }
      }
      setTimeout(tick, 250);
    }
    tick();
  }
  keepFocus();
})();
