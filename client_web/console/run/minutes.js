// The run screen's minutes panel (biên bản): the secretary types the minutes beside the
// agenda, one box per section (the opening, each item's proceedings and conclusion, the
// closing), pre-filled by the server from what the meeting recorded.
//
// Saving: each change is saved a moment after typing stops, with the version it was typed
// on (docs/api.md, "Minutes"). What is not saved yet is kept in sessionStorage until the
// server has it, so a network drop or a reload loses nothing: the save is retried (every
// few seconds, when the browser is back online, when the live connection is back), and a
// reload sends what was kept. Another console's save in between is a conflict the
// secretary settles: load the other version, or save theirs on top of it.

import { ApiError, apiUrl, get, put } from "../../shared/api.js";
import { field, fill, h } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";

const SAVE_AFTER_MS = 1200;
const RETRY_MS = [2000, 5000, 10000, 30000];
const REFRESH_AFTER_MS = 1000;

function timeOf(iso) {
  const when = iso ? new Date(iso) : new Date();
  return `${String(when.getHours()).padStart(2, "0")}:${String(when.getMinutes()).padStart(2, "0")}`;
}

export class MinutesPanel {
  constructor(screen) {
    this.screen = screen;
    this.meetingId = screen.meetingId;
    this.storageKey = `phonghop.minutes.${this.meetingId}`;
    this.view = null; // the minutes as the server last gave them
    this.boxes = new Map(); // section key -> textarea
    this.state = "idle"; // idle | saving | saved | offline | conflict | error
    this.message = "";
    this.attempt = 0;
    this._saveTimer = null;
    this._refreshTimer = null;
    this._saving = null;
    this.kept = this.readKept();
    this.status = h("p", { class: "minutes-status", role: "status", "aria-live": "polite", "data-testid": "minutes-status" });
    this.actions = h("div", { class: "minutes-conflict", hidden: true, "data-testid": "minutes-conflict" });
    this.body = h("div", { class: "minutes-body", "data-testid": "minutes-body" }, h("p", { class: "loading" }, t("common.loading")));
    this.element = h(
      "section",
      { class: "panel run-minutes", "aria-labelledby": "run-minutes-title", "data-testid": "minutes-panel" },
      h("h2", { id: "run-minutes-title" }, t("minutes.title")),
      h(
        "div",
        { class: "minutes-bar" },
        this.status,
        h(
          "span",
          { class: "minutes-downloads" },
          h("a", { class: "btn", href: apiUrl(`/api/meetings/${this.meetingId}/minutes/docx`), download: "", "data-testid": "minutes-docx", text: t("minutes.download_docx") }),
          h("a", { class: "btn", href: apiUrl(`/api/meetings/${this.meetingId}/minutes/pdf`), download: "", "data-testid": "minutes-pdf", text: t("minutes.download_pdf") }),
        ),
      ),
      this.actions,
      this.body,
    );
    this._online = () => this.retryNow();
    window.addEventListener("online", this._online);
    this._live = (e) => {
      if (e.detail.status === "connected") this.retryNow();
    };
    screen.live.addEventListener("status", this._live);
    this.drawStatus();
  }

  destroy() {
    window.clearTimeout(this._saveTimer);
    window.clearTimeout(this._refreshTimer);
    window.removeEventListener("online", this._online);
    this.screen.live.removeEventListener("status", this._live);
  }

  // -- what is kept until saved -------------------------------------------------------------

  /** {version, sections: {key: text}}: the changes not saved yet and the version they were typed on. */
  readKept() {
    try {
      const kept = JSON.parse(window.sessionStorage.getItem(this.storageKey) ?? "null");
      if (kept && typeof kept.version === "number" && kept.sections && typeof kept.sections === "object") return kept;
    } catch {
      // unreadable: nothing kept
    }
    return { version: null, sections: {} };
  }

  keep() {
    try {
      if (Object.keys(this.kept.sections).length) window.sessionStorage.setItem(this.storageKey, JSON.stringify(this.kept));
      else window.sessionStorage.removeItem(this.storageKey);
    } catch {
      // storage full or refused: the text is still in the boxes and will be saved
    }
  }

  get dirty() {
    return Object.keys(this.kept.sections).length > 0;
  }

  // -- loading and drawing -------------------------------------------------------------------

  /** Load the minutes (when the panel is first shown); send what a reload kept. */
  async load() {
    try {
      this.take(await get(`/api/meetings/${this.meetingId}/minutes`));
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.dirty) this.save();
  }

  take(view) {
    this.view = view;
    // A section whose agenda item was removed can no longer be saved: what was kept for it goes.
    const keys = new Set(view.sections.map((s) => s.key));
    for (const key of Object.keys(this.kept.sections)) if (!keys.has(key)) delete this.kept.sections[key];
    this.keep();
    if (this.kept.version === null) this.kept.version = view.version;
    this.draw();
    if (!this.dirty && this.state !== "conflict") this.setState(view.version ? "saved" : "idle");
  }

  draw() {
    const focused = document.activeElement;
    const keepFocus = focused && this.body.contains(focused) ? focused.dataset.key : null;
    const sections = this.view.sections;
    const box = (section, label) => {
      const text = this.kept.sections[section.key] ?? section.text;
      let area = this.boxes.get(section.key);
      if (!area) {
        area = h("textarea", {
          rows: section.kind === "conclusion" || section.kind === "closing" ? 3 : 4,
          maxlength: 20000,
          dataset: { key: section.key },
          "data-testid": `minutes-${section.key}`,
          on: { input: (e) => this.typed(section.key, e.target.value) },
        });
        this.boxes.set(section.key, area);
      }
      // The server's text replaces a box only when nothing typed there waits to be saved.
      if (!(section.key in this.kept.sections) && area.value !== text && area !== focused) area.value = text;
      else if (!area.value && text) area.value = text;
      area.classList.toggle("minutes-prefilled", !section.saved && !(section.key in this.kept.sections));
      return field(label, area, !section.saved && text ? t("minutes.prefilled") : null);
    };
    const parts = [];
    for (const section of sections) {
      if (section.kind === "opening") parts.push(box(section, t("minutes.opening")));
      else if (section.kind === "record") {
        parts.push(h("h3", { class: "minutes-item" }, `${section.number}. ${section.title}`));
        parts.push(box(section, t("minutes.record")));
      } else if (section.kind === "conclusion") parts.push(box(section, t("minutes.conclusion")));
      else parts.push(box(section, t("minutes.closing")));
    }
    fill(this.body, parts);
    if (keepFocus) this.boxes.get(keepFocus)?.focus();
  }

  /** Fetch again after the meeting recorded something (a speaker, a vote, a conclusion):
   * the boxes nobody touched follow it. */
  refresh() {
    if (!this.view) return;
    window.clearTimeout(this._refreshTimer);
    this._refreshTimer = window.setTimeout(async () => {
      if (this._saving) return;
      try {
        const view = await get(`/api/meetings/${this.meetingId}/minutes`);
        if (view.version !== this.kept.version && this.dirty) return; // settled at the next save
        if (!this.dirty) this.kept.version = view.version;
        this.take(view);
      } catch {
        // the next change tries again
      }
    }, REFRESH_AFTER_MS);
  }

  // -- saving --------------------------------------------------------------------------------

  typed(key, text) {
    this.kept.sections[key] = text;
    this.keep();
    this.boxes.get(key)?.classList.remove("minutes-prefilled");
    if (this.state !== "conflict") this.setState(this.state === "offline" ? "offline" : "unsaved");
    window.clearTimeout(this._saveTimer);
    if (this.state !== "conflict") this._saveTimer = window.setTimeout(() => this.save(), SAVE_AFTER_MS);
  }

  retryNow() {
    if (this.dirty && (this.state === "offline" || this.state === "unsaved")) this.save();
  }

  async save() {
    window.clearTimeout(this._saveTimer);
    if (this._saving) {
      this._again = true;
      return;
    }
    if (!this.dirty || this.state === "conflict") return;
    const sent = { ...this.kept.sections };
    this.setState("saving");
    this._saving = put(`/api/meetings/${this.meetingId}/minutes`, { version: this.kept.version ?? 0, sections: sent });
    try {
      const view = await this._saving;
      this.attempt = 0;
      for (const [key, text] of Object.entries(sent)) {
        if (this.kept.sections[key] === text) delete this.kept.sections[key];
      }
      this.kept.version = view.version;
      this.keep();
      this.view = view;
      this.draw();
      this.setState(this.dirty ? "unsaved" : "saved");
    } catch (err) {
      this.fail(err);
    } finally {
      this._saving = null;
    }
    if (this._again || (this.dirty && this.state === "unsaved")) {
      this._again = false;
      this._saveTimer = window.setTimeout(() => this.save(), SAVE_AFTER_MS);
    }
  }

  fail(err) {
    if (err instanceof ApiError && err.code === "minutes_stale") {
      this.message = err.message;
      this.setState("conflict");
      return;
    }
    const retry = !(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429;
    if (retry) {
      this.setState("offline");
      const wait = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
      this.attempt += 1;
      window.clearTimeout(this._saveTimer);
      this._saveTimer = window.setTimeout(() => (this.view ? this.save() : this.load()), wait);
      return;
    }
    this.message = err.message;
    this.setState("error");
  }

  /** The other version wins: what was typed here and not saved is dropped. */
  async takeTheirs() {
    this.kept = { version: null, sections: {} };
    this.keep();
    this.boxes.clear();
    this.setState("idle");
    await this.load();
  }

  /** Ours wins: saved on top of the version that is there now. */
  async keepMine() {
    try {
      const view = await get(`/api/meetings/${this.meetingId}/minutes`);
      this.kept.version = view.version;
      this.keep();
      this.view = view;
      this.setState("unsaved");
      await this.save();
    } catch (err) {
      this.fail(err);
    }
  }

  setState(state) {
    this.state = state;
    this.drawStatus();
  }

  drawStatus() {
    const saved = this.view?.updated_at ? timeOf(this.view.updated_at) : null;
    const text = {
      idle: saved ? t("minutes.saved_at", { time: saved }) : t("minutes.not_saved_yet"),
      saved: saved ? t("minutes.saved_at", { time: saved }) : t("minutes.not_saved_yet"),
      unsaved: t("minutes.unsaved"),
      saving: t("minutes.saving"),
      offline: t("minutes.offline"),
      conflict: this.message,
      error: this.message,
    }[this.state];
    this.status.textContent = text;
    this.status.dataset.state = this.state;
    this.status.className = ["minutes-status", ["offline", "conflict", "error"].includes(this.state) && "minutes-status-warning"]
      .filter(Boolean)
      .join(" ");
    this.actions.hidden = this.state !== "conflict";
    fill(
      this.actions,
      this.state === "conflict"
        ? [
            h("button", { type: "button", class: "btn", "data-testid": "minutes-take-theirs", text: t("minutes.take_theirs"), on: { click: () => this.takeTheirs() } }),
            h("button", { type: "button", class: "btn btn-primary", "data-testid": "minutes-keep-mine", text: t("minutes.keep_mine"), on: { click: () => this.keepMine() } }),
          ]
        : null,
    );
  }
}
