/* Small DOM helpers shared by the kiosk modules. */
export const root = document.getElementById("kiosk");

export function $(id) { return document.getElementById(id); }

export function text(el, value) { el.textContent = value; return el; }

export function make(tag, cls, content) {
  const el = document.createElement(tag);
  if (cls) { el.className = cls; }
  if (content !== undefined) { el.textContent = content; }
  return el;
}

/* A `kiosk:<name>` DOM event (tests and the speech module listen to them). */
export function emit(name, detail) { document.dispatchEvent(new CustomEvent("kiosk:" + name, { detail: detail || {} })); }
