/* The kiosk speaks: window.KioskHooks.speak(key, params) plays /kiosk/speech/<key>?<params>.
 *
 * The server builds the Chinese sentence from the key and the numbers/goods ids (never a name),
 * renders it once with espeak-ng and caches it (ETag + Cache-Control). The bottom bar has
 * 再听一遍 (repeat), 音量 − / + and 静音; everything still works with the sound off, and when the
 * server has no espeak-ng (data-speech="0") the kiosk stays silent and hides the sound buttons.
 */
(function () {
  "use strict";

  var root = document.getElementById("kiosk");
  var enabled = root.dataset.speech === "1";
  var LEVELS = [0.2, 0.4, 0.6, 0.8, 1.0];
  var DEFAULT_LEVEL = 3;
  var prefs = { level: DEFAULT_LEVEL, muted: false };
  var audio = new Audio();
  var last = null;
  var hooks = window.KioskHooks = window.KioskHooks || {};

  function $(id) { return document.getElementById(id); }

  /* Canonical URL: parameters in name order, empty ones left out (so the browser cache hits). */
  function phraseUrl(key, params) {
    params = params || {};
    var query = Object.keys(params).sort().filter(function (k) {
      return params[k] !== undefined && params[k] !== null && params[k] !== "";
    }).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    return "/kiosk/speech/" + encodeURIComponent(key) + (query ? "?" + query : "");
  }

  function play(url, evenIfMuted) {
    if (!enabled || (prefs.muted && !evenIfMuted)) { return; }
    try {
      audio.pause();
      audio.src = url;
      audio.volume = LEVELS[prefs.level];
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () { /* autoplay refused or no audio device */ }); }
    } catch (e) { /* the kiosk never breaks because of sound */ }
  }

  hooks.speak = function (key, params) {
    last = phraseUrl(key, params);
    document.dispatchEvent(new CustomEvent("kiosk:speech", { detail: { key: key, url: last } }));
    play(last, false);
  };
  hooks.phraseUrl = phraseUrl;
  hooks.audio = audio;

  function renderControls() {
    $("vol-level").textContent = prefs.muted ? "已静音" : "音量 " + (prefs.level + 1);
    $("mute-btn").setAttribute("aria-pressed", String(prefs.muted));
    $("mute-btn").textContent = prefs.muted ? "打开声音" : "静音";
    $("vol-down").disabled = prefs.level === 0;
    $("vol-up").disabled = prefs.level === LEVELS.length - 1;
  }

  function setLevel(level) {
    prefs.level = Math.max(0, Math.min(LEVELS.length - 1, level));
    prefs.muted = false;
    audio.volume = LEVELS[prefs.level];
    renderControls();
    if (last) { play(last, false); }  // hear the new loudness at once
  }

  $("repeat-btn").addEventListener("click", function () { if (last) { play(last, true); } });
  $("vol-down").addEventListener("click", function () { setLevel(prefs.level - 1); });
  $("vol-up").addEventListener("click", function () { setLevel(prefs.level + 1); });
  $("mute-btn").addEventListener("click", function () {
    prefs.muted = !prefs.muted;
    if (prefs.muted) { audio.pause(); }
    renderControls();
  });

  /* A new resident starts with sound on at the default loudness and nothing to repeat. */
  document.addEventListener("kiosk:screen", function (ev) {
    if (ev.detail.screen === "attract" && (prefs.muted || prefs.level !== DEFAULT_LEVEL)) {
      prefs.muted = false;
      prefs.level = DEFAULT_LEVEL;
      renderControls();
    }
  });

  $("bar-audio").hidden = !enabled;
  renderControls();
})();
