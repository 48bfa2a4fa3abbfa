// Idle lock: after some minutes without a touch the tablet covers the meeting with a lock
// screen (a document left open on a table is not for the neighbour to read). A tap and a
// confirmation open it again: no password, the delegate is in the room.

import { confirmAction } from "../shared/dialog.js";
import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const STORAGE_KEY = "phonghop.tablet.lock_seconds";
export const DEFAULT_LOCK_SECONDS = 5 * 60;
/** The choices offered on the tablet, in minutes. */
export const LOCK_MINUTES = [1, 2, 5, 10, 15, 30];
const ACTIVITY = ["pointerdown", "keydown", "wheel", "touchstart"];

export function lockSeconds() {
  try {
    const value = Number(window.localStorage.getItem(STORAGE_KEY));
    return Number.isFinite(value) && value > 0 ? value : DEFAULT_LOCK_SECONDS;
  } catch {
    return DEFAULT_LOCK_SECONDS;
  }
}

export function setLockSeconds(seconds) {
  try {
    window.localStorage.setItem(STORAGE_KEY, String(seconds));
  } catch {
    // storage disabled: the choice lasts until the app is reloaded
  }
}

export class IdleLock {
  /** `describe()` returns {meeting, name} for the lock screen. */
  constructor(describe) {
    this.describe = describe;
    this.locked = false;
    this._timer = null;
    this._onActivity = () => this.touch();
    this.el = h("div", {
      class: "lock-screen",
      hidden: true,
      role: "dialog",
      "aria-modal": "true",
      "aria-label": t("lock.title"),
      "data-testid": "lock-screen",
    });
  }

  start() {
    document.body.append(this.el);
    for (const name of ACTIVITY) document.addEventListener(name, this._onActivity, { passive: true, capture: true });
    this.touch();
  }

  stop() {
    window.clearTimeout(this._timer);
    for (const name of ACTIVITY) document.removeEventListener(name, this._onActivity, { capture: true });
    this.el.remove();
  }

  touch() {
    if (this.locked) return;
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => this.lock(), lockSeconds() * 1000);
  }

  lock() {
    window.clearTimeout(this._timer);
    this.locked = true;
    const { meeting, name } = this.describe();
    const open = h("button", {
      type: "button",
      class: "btn btn-primary btn-large lock-open",
      "data-testid": "lock-open",
      text: t("lock.tap_to_open"),
      on: { click: () => this._ask() },
    });
    this.el.replaceChildren(
      h(
        "div",
        { class: "lock-card" },
        h("span", { class: "brand-mark lock-mark", "aria-hidden": "true" }),
        h("p", { class: "lock-title" }, t("lock.title")),
        meeting ? h("p", { class: "lock-meeting" }, meeting) : null,
        name ? h("p", { class: "lock-name" }, t("lock.tablet_of", { name })) : null,
        open,
      ),
    );
    this.el.hidden = false;
    document.body.classList.add("is-locked");
    open.focus();
  }

  async _ask() {
    const { name } = this.describe();
    const ok = await confirmAction({
      title: t("lock.confirm_title"),
      message: name ? t("lock.confirm_message", { name }) : null,
      confirmLabel: t("lock.confirm"),
    });
    if (ok) this.unlock();
  }

  unlock() {
    this.locked = false;
    this.el.hidden = true;
    this.el.replaceChildren();
    document.body.classList.remove("is-locked");
    this.touch();
  }
}
