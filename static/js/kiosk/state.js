/* The kiosk's one mutable state and its timing settings (from the page's data attributes). */
import { root } from "./dom.js";

export const IDLE = Number(root.dataset.idle || 60) * 1000;
export const WARN = Number(root.dataset.warn || 20) * 1000;
export const SUCCESS_RETURN = 30 * 1000;
export const TOUCH_EVERY = 20 * 1000;
export const MAX_QTY = 99;
/** state.category when every category is shown */
export const ALL = "";

export const state = {
  screen: null, session: null, household: null, goods: [], category: ALL, page: 0,
  /** goods id -> quantity, in the order the lines were added */
  cart: new Map(),
  busy: false, requestId: null, lastActivity: Date.now(), lastTouch: 0, siteName: "",
  /** the server does not answer: scans sell out of the offline snapshot (offline.js) */
  offline: false
};
