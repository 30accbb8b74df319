/* The kiosk's words: the one catalog (services/supermarket/kiosk_phrases.py) that the server renders
 * into the page as JSON (#kiosk-phrases). The speech and the API's refusal messages read the same
 * catalog, so what the screen shows and what the voice says cannot disagree. This file and its
 * siblings hold no Chinese of their own (tests/supermarket/test_kiosk_phrases.py checks it).
 */
const PHRASES = JSON.parse(document.getElementById("kiosk-phrases").textContent);

/* `key`'s text with its {name} parameters filled in, as the server's kiosk_phrases.phrase() does.
   Throws for an unknown key or a missing parameter. */
export function phrase(key, params = {}) {
  const template = PHRASES[key];
  if (template === undefined) { throw new Error("unknown kiosk phrase: " + key); }
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    if (!(name in params)) { throw new Error("kiosk phrase " + key + " needs " + name); }
    return String(params[name]);
  });
}
