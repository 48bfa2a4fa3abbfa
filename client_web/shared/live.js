// The meeting's live connection (docs/protocol.md), shared by the tablet, the
// secretary's console and the room display.
//
// One LiveMeeting per screen: it opens /ws/meetings/{id}, says hello with the last seq it
// applied, keeps the meeting state built from the snapshot and the events (one reducer per
// event type, as "Applying events to the state" says), reconnects with backoff and jitter
// whenever the link drops, sends commands and settles their promises from the results,
// and checks a silent link with the protocol's `ping`.
//
// It is an EventTarget. Listeners get:
//   "status"   {status, previous}      connecting | live | offline | closed
//   "snapshot" {seq}                   the state was replaced by a snapshot
//   "event"    {event}                 one event applied (its effect is in `state`)
//   "change"   {}                      the state changed (after a snapshot or an event)
//   "signal"   {type, data}            presence.changed / viewer.summary (controllers)
//   "synced"   {mode}                  a hello was answered and its replay applied
//   "fatal"    {code, reason}          the server will not take this session: stop

import { apiUrl } from "./api.js";
import { language, t } from "./i18n.js";
import { applyEvent, findItem } from "./reducers.js";

export { applyEvent, REDUCERS } from "./reducers.js";

export const PROTOCOL = 2;
/** Close codes after which reconnecting with the same session is pointless. */
export const FATAL_CLOSE = new Set([1008, 4401, 4403, 4404, 4409, 4411]);
const RESYNC_CLOSE = 4001;
const STORAGE_PREFIX = "phonghop.live.";

/** An error from a command: `code` is stable, `message` is for people. */
export class LiveError extends Error {
  constructor(code, message, params = {}) {
    super(message);
    this.name = "LiveError";
    this.code = code;
    this.params = params;
  }
}

// -- the connection --------------------------------------------------------------------------

function socketUrl(meetingId) {
  const url = new URL(apiUrl(`/ws/meetings/${meetingId}`));
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("lang", language());
  return url.href;
}

function now() {
  return performance.timeOrigin + performance.now();
}

/**
 * Close `ws`. One still connecting is closed as soon as it opens: closing it earlier makes
 * the browser report "closed before the connection is established" as an error (a page
 * that leaves or switches language while its socket connects did that).
 */
function shut(ws, code, reason) {
  try {
    if (ws.readyState === WebSocket.CONNECTING) ws.addEventListener("open", () => ws.close(code, reason), { once: true });
    else ws.close(code, reason);
  } catch {
    // already closing
  }
}

export class LiveMeeting extends EventTarget {
  /**
   * `identity` names whose state a stored copy is (a participant or user id): a copy
   * stored for somebody else is not resumed. `heartbeat` may shorten the protocol's
   * 25 s / 10 s (tests do).
   */
  constructor(meetingId, { identity = "", heartbeat = {}, backoff = {} } = {}) {
    super();
    this.meetingId = meetingId;
    this.identity = String(identity);
    this.state = null;
    this.appliedSeq = null;
    /** The log epoch `state` belongs to (a restored server starts another one). */
    this.epoch = null;
    this.status = "connecting";
    this.signals = {};
    this.closeCode = null;
    this.lastSyncAt = null;
    /** Server clock minus this device's clock, from the last ping (timers count by it). */
    this.clockSkewMs = 0;
    this._idleMs = heartbeat.idleMs ?? 25_000;
    this._pingTimeoutMs = heartbeat.timeoutMs ?? 10_000;
    this._minDelay = backoff.minMs ?? 500;
    this._maxDelay = backoff.maxMs ?? 30_000;
    this._delay = this._minDelay;
    this._ws = null;
    this._nextId = 1;
    this._helloId = null;
    this._resyncing = false;
    this._ready = false;
    this._pending = new Map();
    this._queue = [];
    this._ping = null;
    this._lastFrameAt = 0;
    this._reconnectTimer = null;
    this._heartbeatTimer = null;
    this._saveTimer = null;
    this._stopped = true;
    this._onOnline = () => this._online();
    this._onOffline = () => this._offline();
    this._onHide = () => this._save();
    this._restore();
  }

  get storageKey() {
    return `${STORAGE_PREFIX}${this.meetingId}`;
  }

  /** True when this connection may run the meeting (from the snapshot's `me`). */
  get controller() {
    return Boolean(this.state?.me?.controller);
  }

  start() {
    if (!this._stopped) return this;
    this._stopped = false;
    window.addEventListener("online", this._onOnline);
    window.addEventListener("offline", this._onOffline);
    window.addEventListener("pagehide", this._onHide);
    this._heartbeatTimer = window.setInterval(() => this._beat(), Math.min(2000, this._pingTimeoutMs / 2));
    this._connect();
    return this;
  }

  stop() {
    this._stopped = true;
    window.removeEventListener("online", this._onOnline);
    window.removeEventListener("offline", this._onOffline);
    window.removeEventListener("pagehide", this._onHide);
    window.clearInterval(this._heartbeatTimer);
    window.clearTimeout(this._reconnectTimer);
    this._save();
    this._drop(1000, "client stopped");
    this._failQueue(new LiveError("stopped", t("live.error.connection_lost")));
  }

  /** Forget the stored state (leaving the meeting on this device). */
  forget() {
    window.clearTimeout(this._saveTimer);
    try {
      window.sessionStorage.removeItem(this.storageKey);
    } catch {
      // storage disabled: nothing was kept
    }
  }

  /**
   * Send a command; resolves with its result, rejects with a LiveError. While offline:
   * `offline: "reject"` fails at once (the default: a secretary wants to know),
   * `"queue"` sends it once the connection is back, `"latest"` too but keeps only the
   * newest command of this type (viewer.report).
   */
  command(type, fields = {}, { offline = "reject" } = {}) {
    return new Promise((resolve, reject) => {
      const entry = { type, fields, resolve, reject };
      if (this._ready && this._ws?.readyState === WebSocket.OPEN) {
        this._send(entry);
        return;
      }
      if (offline === "reject") {
        reject(new LiveError("offline", t("live.error.offline")));
        return;
      }
      if (offline === "latest") {
        for (const old of this._queue.filter((q) => q.type === type)) old.resolve({ superseded: true });
        this._queue = this._queue.filter((q) => q.type !== type);
      }
      this._queue.push(entry);
    });
  }

  /**
   * Send a notification: a command without an id, which the server does not answer
   * (viewer.report). Returns whether it was sent; while offline it is dropped, and the
   * caller sends the current state again after the next hello.
   */
  notify(type, fields = {}) {
    if (!this._ready || this._ws?.readyState !== WebSocket.OPEN) return false;
    return this._raw({ ...fields, type });
  }

  // -- internals ---------------------------------------------------------------------------

  _setStatus(status) {
    if (status === this.status) return;
    const previous = this.status;
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: { status, previous } }));
  }

  _connect() {
    if (this._stopped) return;
    window.clearTimeout(this._reconnectTimer);
    this._setStatus(this.state ? "offline" : "connecting");
    let ws;
    try {
      ws = new WebSocket(socketUrl(this.meetingId));
    } catch {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    this._ready = false;
    ws.addEventListener("open", () => {
      if (ws !== this._ws) return;
      this._lastFrameAt = now();
      this._hello();
    });
    ws.addEventListener("message", (message) => {
      if (ws !== this._ws) return;
      this._lastFrameAt = now();
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      this._frame(frame);
    });
    ws.addEventListener("close", (closed) => {
      if (ws !== this._ws) return;
      this._closed(closed.code, closed.reason);
    });
  }

  _hello() {
    this._helloId = this._nextId++;
    this._resyncing = true;
    this._raw({ id: this._helloId, type: "hello", last_seq: this.appliedSeq, epoch: this.epoch, protocol: PROTOCOL });
  }

  _raw(frame) {
    try {
      this._ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  _send(entry) {
    const id = this._nextId++;
    this._pending.set(id, entry);
    if (!this._raw({ ...entry.fields, id, type: entry.type })) {
      this._pending.delete(id);
      entry.reject(new LiveError("offline", t("live.error.offline")));
    }
  }

  _frame(frame) {
    if (frame.type === "result") {
      this._result(frame);
    } else if (frame.type === "snapshot") {
      this.state = frame.data;
      this.appliedSeq = frame.seq;
      this.epoch = frame.epoch ?? null;
      this.dispatchEvent(new CustomEvent("snapshot", { detail: { seq: frame.seq } }));
      this._changed();
    } else if (typeof frame.seq === "number") {
      this._event(frame);
    } else if (typeof frame.type === "string") {
      this.signals[frame.type] = frame.data;
      this.dispatchEvent(new CustomEvent("signal", { detail: { type: frame.type, data: frame.data } }));
    }
  }

  _event(event) {
    if (this.appliedSeq === null || event.seq <= this.appliedSeq) return;
    if (event.seq !== this.appliedSeq + 1) {
      if (!this._resyncing) this._hello(); // a gap: ask again from what we hold
      return;
    }
    applyEvent(this.state, event);
    this.appliedSeq = event.seq;
    this.dispatchEvent(new CustomEvent("event", { detail: { event } }));
    this._changed();
  }

  _result(frame) {
    if (frame.id !== null && frame.id === this._helloId) {
      this._resyncing = false;
      if (!frame.ok || frame.result?.protocol !== PROTOCOL) {
        this._fatal(frame.ok ? "protocol" : frame.error?.code ?? "hello_refused");
        return;
      }
      this._delay = this._minDelay;
      this.lastSyncAt = now();
      const wasReady = this._ready;
      this._ready = true;
      this._setStatus("live");
      // The replay (if any) follows the result: report "synced" once it has been applied.
      const mode = frame.result.mode;
      const toSeq = frame.result.to_seq;
      const settle = () => {
        if (this.appliedSeq !== null && this.appliedSeq >= toSeq) {
          this.dispatchEvent(new CustomEvent("synced", { detail: { mode } }));
          return true;
        }
        return false;
      };
      if (!settle()) {
        const onChange = () => {
          if (settle()) this.removeEventListener("change", onChange);
        };
        this.addEventListener("change", onChange);
      }
      if (!wasReady) {
        this._flushQueue();
        // One ping at once: the server's clock, for counting down to a timer's ends_at.
        if (!this._ping) this._sendPing();
      }
      return;
    }
    if (this._ping && frame.id === this._ping.id) {
      const lastSeq = frame.ok ? frame.result?.last_seq : null;
      this._ping = null;
      if (frame.ok && frame.result?.server_time) {
        this.clockSkewMs = Date.parse(frame.result.server_time) - Date.now();
      }
      if (typeof lastSeq === "number" && this.appliedSeq !== null && this.appliedSeq < lastSeq && !this._resyncing) {
        this._hello();
      }
      return;
    }
    const entry = this._pending.get(frame.id);
    if (!entry) return;
    this._pending.delete(frame.id);
    if (frame.ok) entry.resolve(frame.result ?? {});
    else {
      const error = frame.error ?? {};
      entry.reject(new LiveError(error.code ?? "error", error.message ?? t("live.error.refused"), error.params ?? {}));
    }
  }

  _flushQueue() {
    const queued = this._queue;
    this._queue = [];
    for (const entry of queued) this._send(entry);
  }

  _failQueue(error) {
    const queued = this._queue;
    this._queue = [];
    for (const entry of queued) entry.reject(error);
  }

  _changed() {
    this.dispatchEvent(new CustomEvent("change", { detail: {} }));
    window.clearTimeout(this._saveTimer);
    this._saveTimer = window.setTimeout(() => this._save(), 250);
  }

  _closed(code, reason) {
    this._ws = null;
    this._ready = false;
    this._ping = null;
    this.closeCode = code;
    // A command whose result never came may or may not have been carried out: its
    // promise fails, and the screen shows what the events say (protocol, rule 8).
    for (const entry of this._pending.values()) {
      entry.reject(new LiveError("connection_lost", t("live.error.connection_lost")));
    }
    this._pending.clear();
    if (FATAL_CLOSE.has(code)) {
      this._fatal(String(code), reason);
      return;
    }
    if (this._stopped) return;
    this._setStatus(this.state ? "offline" : "connecting");
    if (code === RESYNC_CLOSE) {
      this._scheduleReconnect(Math.random() * 250);
    } else {
      this._scheduleReconnect();
    }
  }

  _scheduleReconnect(delay) {
    if (this._stopped) return;
    window.clearTimeout(this._reconnectTimer);
    let wait = delay;
    if (wait === undefined) {
      wait = this._delay * (0.5 + Math.random()); // ±50 % jitter
      this._delay = Math.min(this._delay * 2, this._maxDelay);
    }
    // No network at all: wait for the "online" event (with a long fallback, in case
    // the browser's idea of being offline is wrong).
    if (navigator.onLine === false) wait = Math.max(wait, this._maxDelay);
    this._reconnectTimer = window.setTimeout(() => this._connect(), wait);
  }

  /** Close the socket now, without waiting for the browser to notice a dead link. */
  _drop(code, reason) {
    const ws = this._ws;
    if (!ws) return;
    this._ws = null;
    shut(ws, code === 1000 ? 1000 : 4000, reason);
    this._closed(code, reason);
  }

  _fatal(code, reason = "") {
    this._stopped = true;
    window.clearInterval(this._heartbeatTimer);
    window.clearTimeout(this._reconnectTimer);
    if (this._ws) {
      const ws = this._ws;
      this._ws = null;
      shut(ws, 1000, "");
    }
    this._failQueue(new LiveError("closed", t("live.error.connection_lost")));
    this._setStatus("closed");
    this.dispatchEvent(new CustomEvent("fatal", { detail: { code, reason } }));
  }

  _online() {
    if (this._stopped || this._ws) return;
    this._delay = this._minDelay;
    this._scheduleReconnect(Math.random() * 200);
  }

  _offline() {
    // The device says the network is gone: do not wait for the heartbeat to notice.
    if (this._ws) this._drop(4000, "offline");
  }

  _beat() {
    if (this._stopped || !this._ws || !this._ready) return;
    const at = now();
    if (this._ping) {
      if (at - this._ping.sentAt > this._pingTimeoutMs) this._drop(4000, "heartbeat");
      return;
    }
    if (at - this._lastFrameAt >= this._idleMs) this._sendPing();
  }

  _sendPing() {
    const id = this._nextId++;
    this._ping = { id, sentAt: now() };
    this._raw({ id, type: "ping" });
  }

  _save() {
    window.clearTimeout(this._saveTimer);
    if (this.state === null || this.appliedSeq === null) return;
    try {
      // State, seq and epoch in one write, so a reload never resumes a mismatched set.
      window.sessionStorage.setItem(
        this.storageKey,
        JSON.stringify({ who: this.identity, seq: this.appliedSeq, epoch: this.epoch, state: this.state }),
      );
    } catch {
      // storage full or disabled: a reload gets a snapshot instead
    }
  }

  _restore() {
    try {
      const raw = window.sessionStorage.getItem(this.storageKey);
      if (!raw) return;
      const kept = JSON.parse(raw);
      if (kept.who === this.identity && typeof kept.seq === "number" && kept.state?.meeting) {
        this.state = kept.state;
        this.appliedSeq = kept.seq;
        this.epoch = typeof kept.epoch === "string" ? kept.epoch : null;
      }
    } catch {
      // nothing usable kept
    }
  }
}

/** The current item, looked up in the agenda tree. */
export function currentItem(state) {
  const id = state?.live?.current_item_id;
  return id ? findItem(state.meeting.agenda, id) : null;
}

/** "1.", "1.2." numbering for agenda items, by id. */
export function agendaNumbers(agenda) {
  const numbers = new Map();
  agenda.forEach((item, i) => {
    numbers.set(item.id, `${i + 1}.`);
    (item.children ?? []).forEach((child, j) => numbers.set(child.id, `${i + 1}.${j + 1}.`));
  });
  return numbers;
}

/** Seconds left on the timer, by the server's clock when known. */
export function timerRemaining(timer, clockSkewMs = 0) {
  if (!timer) return null;
  const left = (Date.parse(timer.ends_at) - (Date.now() + clockSkewMs)) / 1000;
  return Math.max(0, Math.ceil(left));
}

export function formatSeconds(total) {
  const s = Math.max(0, total);
  const minutes = Math.floor(s / 60);
  const seconds = s % 60;
  const hours = Math.floor(minutes / 60);
  const mm = String(minutes % 60).padStart(2, "0");
  const ss = String(seconds).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}
