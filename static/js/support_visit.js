/* Phone-first visit form: show/hide by answers, backdate hint, finger signature, double-submit guard.
   Loaded as a file (the Content-Security-Policy allows no inline script). */
(function () {
  var form = document.getElementById('visit-form');
  if (!form) { return; }
  function syncMet() {
    var picked = form.querySelector('input[name=met]:checked');
    var met = !picked || picked.value === '1';
    document.getElementById('met-yes').hidden = !met;
    document.getElementById('met-no').hidden = met;
  }
  form.querySelectorAll('input[name=met]').forEach(function (r) { r.addEventListener('change', syncMet); });
  syncMet();
  var dateInput = form.querySelector('input[name=visit_date]');
  var days = parseInt(form.dataset.backdateDays, 10);
  function syncBackdate() {
    var limit = new Date(form.dataset.today + 'T00:00:00');
    limit.setDate(limit.getDate() - days);
    var picked = new Date(dateInput.value + 'T00:00:00');
    document.getElementById('backdate-box').hidden = !(picked < limit);
  }
  dateInput.addEventListener('change', syncBackdate);
  syncBackdate();

  var canvas = document.getElementById('sigpad');
  var ctx = canvas.getContext('2d');
  var drawing = false, dirty = false;
  function fit() {
    var r = canvas.getBoundingClientRect();
    canvas.width = r.width; canvas.height = r.height;
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 3; ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.strokeStyle = '#111';
    dirty = false;
  }
  fit();
  function pos(e) { var r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
  canvas.addEventListener('pointerdown', function (e) {
    drawing = true; var p = pos(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    if (canvas.setPointerCapture) { canvas.setPointerCapture(e.pointerId); }
  });
  canvas.addEventListener('pointermove', function (e) {
    if (!drawing) { return; }
    var p = pos(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); dirty = true;
  });
  ['pointerup', 'pointercancel', 'pointerleave'].forEach(function (n) { canvas.addEventListener(n, function () { drawing = false; }); });
  document.getElementById('sig-clear').addEventListener('click', fit);

  var sent = false;
  form.addEventListener('submit', function (e) {
    if (sent) { e.preventDefault(); return; }
    document.getElementById('signature').value = dirty ? canvas.toDataURL('image/png') : '';
    sent = true;
    var button = form.querySelector('.submit button');
    if (button) { button.textContent = '正在保存…'; }
  });
})();
