// The console's change signals (/ws/changes, docs/protocol.md "Change signals"): one socket
// per console tab, reconnecting with backoff and jitter as the meeting socket does. A
// screen watches a topic (and an id, or any) and refetches what it shows when a signal
// comes, or after a reconnect (signals missed meanwhile are not replayed).

import { apiUrl } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

/** Close codes after which reconnecting with the same session is pointless. */
const FATAL = new Set([1008, 4401, 4403]);
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const PING_MS = 25_000;

export class ChangeFeed {
  constructor() {
    this._ws = null;
    this._watchers = new Set();
    this._delay = MIN_DELAY_MS;
    this._timer = null;
    this._ping = null;
    this._stopped = true;
    this._opened = false;
  }

  start() {
    if (!this._stopped) return;
    this._stopped = false;
    this._connect();
  }

  stop() {
    this._stopped = true;
    window.clearTimeout(this._timer);
    window.clearInterval(this._ping);
    const ws = this._ws;
    this._ws = null;
    if (ws) ws.close(1000);
  }

  /** Calls `callback()` on every signal of `topic` for `id` (null: any id) and after a
   * reconnect; returns the function that stops watching. */
  watch(topic, id, callback) {
    const watcher = { topic, id, callback };
    this._watchers.add(watcher);
    return () => this._watchers.delete(watcher);
  }

  _connect() {
    const url = new URL(apiUrl("/ws/changes"));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url.href);
    this._ws = ws;
    ws.addEventListener("open", () => {
      this._delay = MIN_DELAY_MS;
      if (this._opened) this._notify(null);
      this._opened = true;
      window.clearInterval(this._ping);
      this._ping = window.setInterval(() => ws.send('{"type":"ping"}'), PING_MS);
    });
    ws.addEventListener("message", (event) => {
      let signal;
      try {
        signal = JSON.parse(event.data);
      } catch {
        return;
      }
      if (signal.type === "changed") this._notify(signal);
    });
    ws.addEventListener("close", (event) => {
      window.clearInterval(this._ping);
      if (this._ws !== ws) return;
      this._ws = null;
      if (this._stopped || FATAL.has(event.code)) return;
      const wait = this._delay * (0.5 + Math.random()); // ±50 % jitter
      this._delay = Math.min(this._delay * 2, MAX_DELAY_MS);
      this._timer = window.setTimeout(() => this._connect(), wait);
    });
  }

  /** `signal` null: reconnected, every watcher refetches. */
  _notify(signal) {
    for (const w of [...this._watchers]) {
      if (signal && (w.topic !== signal.topic || (w.id !== null && w.id !== signal.id))) continue;
      w.callback();
    }
  }
}

/** `fn` at most once per `ms`, the last call always made. */
export function debounce(fn, ms = 300) {
  let timer = null;
  return () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(fn, ms);
  };
}

/** What the user is at in #main: the scroll position and the focused control (by its
 * name or test id), to be given back after a redraw. */
function whereTheUserIs(main) {
  const active = document.activeElement;
  let focus = null;
  if (active && main.contains(active)) {
    const testid = active.getAttribute("data-testid");
    const name = active.getAttribute("name");
    if (testid) focus = `[data-testid="${CSS.escape(testid)}"]`;
    else if (name) focus = `[name="${CSS.escape(name)}"]`;
  }
  return { x: window.scrollX, y: window.scrollY, focus };
}

function giveBack(main, where) {
  window.scrollTo(where.x, where.y);
  const found = where.focus ? main.querySelectorAll(where.focus) : [];
  if (found.length === 1) found[0].focus({ preventScroll: true });
}

/**
 * Keeps the screen in #main up to date with the signals of `topic` (`id`, or null: any):
 * `rerender()` fetches and draws it again, unless the user is typing in one of its forms
 * (a form that had input): then a bar offers the reload, and nothing typed is wiped. The
 * scroll position and the focused control are kept; filters live in the route, which the
 * redraw reads again. Returns the function that stops (call it when leaving the screen):
 * a signal still waiting in the debounce then draws nothing over the next screen.
 */
export function watchScreen(ctx, topic, id, rerender) {
  if (!ctx.changes) return () => {};
  const main = document.getElementById("main");
  let stopped = false;
  const mark = (event) => event.target.closest?.("form")?.setAttribute("data-dirty", "");
  main.addEventListener("input", mark);
  const refresh = async (force) => {
    if (stopped) return;
    if (!force && main.querySelector("form[data-dirty]")) {
      if (!main.querySelector("[data-testid=changes-bar]")) {
        main.prepend(
          h(
            "div",
            { class: "panel changes-bar", "data-testid": "changes-bar", role: "status" },
            h("span", {}, t("changes.changed_elsewhere"), " "),
            h("button", { type: "button", class: "btn", text: t("changes.reload"), on: { click: () => refresh(true) } }),
          ),
        );
      }
      return;
    }
    const where = whereTheUserIs(main);
    const drawn = await rerender();
    if (!stopped && drawn !== false) giveBack(main, where);
  };
  const stop = ctx.changes.watch(topic, id, debounce(() => refresh(false)));
  return () => {
    stopped = true;
    stop();
    main.removeEventListener("input", mark);
  };
}

/**
 * watchScreen for a screen drawn by `draw(token, data)` from `load()`: on a signal it
 * loads again and draws with a fresh render token (so a screen the user moved to meanwhile
 * wins); a failed load leaves what is shown.
 */
export function redrawOnChange(ctx, topic, id, load, draw) {
  return watchScreen(ctx, topic, id, async () => {
    const token = ctx.begin();
    const fresh = await load().catch(() => null);
    return fresh ? draw(token, fresh) : false;
  });
}
