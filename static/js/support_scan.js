/* Visit page: scan the household card with the phone camera (BarcodeDetector, or the vendored
   jsQR), then search with what the QR holds (the card URL or token). A USB scanner simply
   types into the search box and presses Enter. */
(function () {
  var button = document.getElementById('scan-btn');
  if (!button) { return; }
  var form = document.getElementById('find-form'), input = form.querySelector('input[name=q]');
  var video = document.getElementById('scan-video'), note = document.getElementById('scan-note');
  var canvas = document.createElement('canvas'), ctx = canvas.getContext('2d', {willReadFrequently: true});
  var detector = ('BarcodeDetector' in window) ? new window.BarcodeDetector({formats: ['qr_code']}) : null;
  var stream = null, done = false;
  function found(text) {
    if (done || !text) { return; }
    done = true;
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    input.value = text;
    form.submit();
  }
  function tick() {
    if (done) { return; }
    if (video.readyState >= 2) {
      if (detector) {
        detector.detect(video).then(function (codes) { if (codes.length) { found(codes[0].rawValue); } }).catch(function () {});
      } else if (window.jsQR) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(img.data, img.width, img.height, {inversionAttempts: 'dontInvert'});
        if (code) { found(code.data); }
      }
    }
    setTimeout(tick, 200);
  }
  button.addEventListener('click', function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      note.textContent = '这台设备不能用摄像头扫码,请输入姓名或卡号查找'; return;
    }
    navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}}).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; video.play();
      note.textContent = '把积分卡上的二维码对准摄像头';
      tick();
    }).catch(function () { note.textContent = '没有摄像头权限,请输入姓名或卡号查找'; });
  });
})();
