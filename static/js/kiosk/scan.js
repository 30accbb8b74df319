/* Card input: a focus keeper on the hidden scan input (USB scanners type the card URL + Enter)
 * and camera scanning through vendored jsQR on the attract screen. */
import { api } from "./api.js";
import { openHousehold } from "./cart.js";
import { $ } from "./dom.js";
import { activity } from "./idle.js";
import { browserOffline, cardHash, offlineScan, setOnline, zeroAllowance } from "./offline.js";
import { phrase } from "./phrases.js";
import { highestCounter, sync } from "./queue.js";
import { showMessage } from "./screens.js";
import { state } from "./state.js";

export function keepFocus() {
  if (state.screen === "pair") { return; }
  const input = $("scan-input");
  if (document.activeElement !== input) { input.focus({ preventScroll: true }); }
}

function acceptsScans() {
  return state.screen === "attract" || state.screen === "message" ||
    (state.screen === "household" && !state.cart.size);
}

export function submitScan(value) {
  value = (value || "").trim();
  if (!value || state.busy || !acceptsScans()) { return; }
  state.busy = true;
  activity();
  if (state.offline || browserOffline()) { scanOffline(value, false); return; }
  Promise.all([cardHash(value), highestCounter().catch(() => 0)]).then((found) => { scanOnline(value, found[0], found[1], 0); });
}

/* The online scan carries the highest offline counter; 409 sync_first: sync, then scan again. Its
   answer means the server took this kiosk's allowance for the household back (allowance_returned):
   0 here until the next refresh. No answer at all: the scan may have reached the server, so the same. */
function scanOnline(value, hash, counter, attempt) {
  api("POST", "/scan", { card: value, offline_counter: counter }).then((res) => {
    if (res.status === 409 && res.data.error === "sync_first" && attempt < 2) {
      return sync().then(() => highestCounter()).then((n) => { scanOnline(value, hash, n, attempt + 1); },
                                                      () => { scanOnline(value, hash, counter, attempt + 1); });
    }
    state.busy = false;
    if (res.status === 401) {  // the device lost its credential: the card is not the problem
      return showMessage(res.data.message || phrase("device.unauthorized"), phrase("ui.not_paired"), null);
    }
    if (!res.ok) {
      const reason = res.data.reason || "other";
      return showMessage(res.data.message || phrase("card.other"), phrase("ui.card_refused"),
                         { reason: reason, site: res.data.site_id });
    }
    zeroAllowance(hash).catch(() => {});
    openHousehold(res.data);
  }).catch(() => {
    setOnline(false);
    zeroAllowance(hash).catch(() => {}).then(() => { scanOffline(value, true); });
  });
}

/* The card looked up in the last refresh's snapshot (docs/offline.md): the household screen selling
   out of the allowance, or why not (shown and said from one catalog entry). */
function scanOffline(value, lost) {
  offlineScan(value, lost).then((result) => {
    state.busy = false;
    if (!result.refusal) { openHousehold(result); return; }
    const key = result.refusal[0], params = result.refusal[1];
    showMessage(phrase(key, params), phrase(key === "card.unreadable" ? "ui.card_refused" : "ui.offline_title"),
                result.spoken || { key: key, params: params });
  }).catch(() => {
    state.busy = false;
    showMessage(phrase("card.network"), phrase("ui.offline"), { reason: "network" });
  });
}

// camera through jsQR: only on the attract screen, stopped otherwise
const camera = { stream: null, timer: null, canvas: document.createElement("canvas"), last: "", lastAt: 0 };

export function startCamera() {
  if (camera.stream || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) { return; }
  navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }).then((stream) => {
    if (state.screen !== "attract") { stream.getTracks().forEach((t) => { t.stop(); }); return; }
    camera.stream = stream;
    const video = $("camera");
    video.srcObject = stream;
    video.hidden = false;
    $("camera-hint").hidden = false;
    video.play().catch(() => {});
    camera.timer = setInterval(decodeFrame, 250);
  }).catch(() => { /* no camera: the USB scanner still works */ });
}

export function stopCamera() {
  if (camera.timer) { clearInterval(camera.timer); camera.timer = null; }
  if (camera.stream) { camera.stream.getTracks().forEach((t) => { t.stop(); }); camera.stream = null; }
  $("camera").hidden = true;
  $("camera-hint").hidden = true;
}

function decodeFrame() {
  const video = $("camera");
  if (!video.videoWidth || state.busy) { return; }
  const w = video.videoWidth, h = video.videoHeight;
  const ctx = camera.canvas.getContext("2d", { willReadFrequently: true });
  camera.canvas.width = w; camera.canvas.height = h;
  ctx.drawImage(video, 0, 0, w, h);
  const found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "attemptBoth" });
  if (!found || !found.data) { return; }
  if (found.data === camera.last && Date.now() - camera.lastAt < 5000) { return; }
  camera.last = found.data; camera.lastAt = Date.now();
  submitScan(found.data);
}

/* Wires the scan input: a scanner's Enter submits what it typed. */
export function initScan() {
  $("scan-input").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      ev.preventDefault();
      const value = this.value;
      this.value = "";
      submitScan(value);
    }
  });
}
