// Ghi chú trên tài liệu: pen (with the stylus's pressure), highlighter, text note, eraser
// and undo, private or shared, drawn over the page in the viewer. Every annotation lives
// in IndexedDB first (so it survives a lost network and a reload), is sent with its
// client id and updated_at (annotation.save / annotation.delete: a repeated send is
// harmless, the last write wins), and is marked synced only after the server's result.
// After each reconnection the ones still pending are sent again.

import { get, put } from "../shared/api.js";
import { showError } from "../shared/banner.js";
import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const DB_NAME = "phonghop-annotations";
const STORE = "annotations";
const PEN = { color: "#c62828", width: 0.004 };
const HIGHLIGHT = { color: "#ffeb3b" };
const NOTE = { color: "#1f4f8a", font_size: 12 };
const NOTE_FONT = 14;
const NOTE_LINE = 18;
const NOTE_PAD = 6;
/** An average glyph width at NOTE_FONT, to wrap without measuring (Vietnamese text). */
const NOTE_CHAR = 7.4;
const NOTE_MAX_LINES = 6;

/** Where a note's box goes on a page of w×h pixels: at most 60% of the page wide (and at
 * least 40 px), wrapped into lines, moved left or up so that it ends inside the page. */
function noteBox(text, x, y, w, h) {
  const width = Math.max(40, Math.min(w * 0.6, text.length * NOTE_CHAR + 2 * NOTE_PAD, w));
  const perLine = Math.max(4, Math.floor((width - 2 * NOTE_PAD) / NOTE_CHAR));
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > perLine) {
      if (line) lines.push(line);
      lines.push(rest.slice(0, perLine));
      rest = rest.slice(perLine);
      line = "";
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= perLine) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  if (lines.length > NOTE_MAX_LINES) {
    lines.length = NOTE_MAX_LINES;
    lines[NOTE_MAX_LINES - 1] = `${lines[NOTE_MAX_LINES - 1].slice(0, perLine - 1)}…`;
  }
  const height = Math.max(1, lines.length) * NOTE_LINE + 2 * NOTE_PAD - 4;
  return {
    x: Math.max(0, Math.min(x, w - width)),
    y: Math.max(0, Math.min(y, h - height)),
    width,
    height,
    lines,
  };
}

const TOOLS = ["pen", "highlighter", "note", "eraser"];

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function newId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  return [...window.crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function clamp01(v) {
  return Math.min(1, Math.max(0, v));
}

/** The tablet's own annotations, kept in IndexedDB: {client_id, …, deleted, pending}. */
class LocalStore {
  constructor(meetingId) {
    this.meetingId = meetingId;
    this._db = null;
  }

  _open() {
    this._db ??= new Promise((resolve, reject) => {
      const request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: "client_id" });
        store.createIndex("meeting", "meeting_id");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this._db;
  }

  async _tx(mode, fn) {
    const db = await this._open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result?.result ?? result);
      tx.onerror = () => reject(tx.error);
    });
  }

  all() {
    return this._tx("readonly", (s) => s.index("meeting").getAll(this.meetingId));
  }

  put(annotation) {
    return this._tx("readwrite", (s) => s.put({ ...annotation, meeting_id: this.meetingId }));
  }

  /** Forget what the server has; what it has not received yet stays to be sent. */
  async clearSynced() {
    const mine = await this.all();
    await this._tx("readwrite", (s) => {
      for (const a of mine) if (!a.pending) s.delete(a.client_id);
    });
  }
}

export class Annotator {
  constructor(viewer, live, me, meetingId) {
    this.viewer = viewer;
    this.live = live;
    this.me = me;
    this.store = new LocalStore(meetingId);
    this.mine = new Map(); // client_id → annotation (own, tombstones included)
    this.others = new Map(); // version id → shared annotations of others
    this.loadedVersions = new Set();
    this.undoStack = [];
    this.tool = null;
    this.shared = false;
    /** New notes go to the drafting unit as comments (góp ý) on the draft. */
    this.feedback = false;
    this.sending = new Set();
    this.overlay = svg("svg", { class: "annotation-layer", "data-testid": "annotation-layer" });
    this.toolbar = this._buildToolbar();
    this._bindDrawing();
    this.ready = this.store.all().then((list) => {
      for (const a of list) this.mine.set(a.client_id, a);
    });
  }

  /** Put the layer and the tools into the viewer. */
  attach() {
    this.viewer.el.querySelector(".viewer-bar").append(this.toggle);
    this.viewer.el.append(this.toolbar);
    this.viewer.addEventListener("shown", () => this.place());
    this.live.addEventListener("event", (e) => this.onEvent(e.detail.event));
    window.addEventListener("resize", () => this.place());
  }

  // -- toolbar --------------------------------------------------------------------------------

  _buildToolbar() {
    this.toggle = h("button", {
      type: "button",
      class: "btn",
      "aria-pressed": "false",
      "data-testid": "annotate-toggle",
      text: t("annotate.open"),
      on: { click: () => this.setTool(this.tool ? null : "pen") },
    });
    this.toolButtons = TOOLS.map((tool) =>
      h("button", {
        type: "button",
        class: ["btn", "annotate-tool", `annotate-${tool}`],
        "aria-pressed": "false",
        "data-tool": tool,
        text: t(`annotate.tool.${tool}`),
        on: { click: () => this.setTool(tool) },
      }),
    );
    this.undoButton = h("button", {
      type: "button",
      class: "btn",
      "data-testid": "annotate-undo",
      text: t("annotate.undo"),
      disabled: true,
      on: { click: () => this.undo() },
    });
    this.shareButton = h("button", {
      type: "button",
      class: "btn",
      "aria-pressed": "false",
      "data-testid": "annotate-share",
      text: t("annotate.private"),
      on: {
        click: () => {
          this.shared = !this.shared;
          this._syncButtons();
        },
      },
    });
    this.feedbackButton = h("button", {
      type: "button",
      class: "btn",
      "aria-pressed": "false",
      "data-testid": "annotate-feedback",
      text: t("annotate.feedback_off"),
      on: {
        click: () => {
          this.feedback = !this.feedback;
          this._syncButtons();
        },
      },
    });
    this.status = h("span", { class: "annotate-status", "data-testid": "annotate-status" });
    return h(
      "div",
      { class: "annotate-bar", "data-testid": "annotate-bar", hidden: true, role: "toolbar", "aria-label": t("annotate.tools") },
      this.toolButtons,
      this.undoButton,
      this.shareButton,
      this.feedbackButton,
      this.status,
    );
  }

  setTool(tool) {
    this.tool = tool;
    this.toolbar.hidden = !tool;
    this.overlay.classList.toggle("annotating", Boolean(tool));
    this.viewer.el.classList.toggle("viewer-annotating", Boolean(tool));
    if (tool) this.viewer._resetZoom(); // drawing happens on the page as laid out
    this._syncButtons();
  }

  _syncButtons() {
    this.toggle.setAttribute("aria-pressed", this.tool ? "true" : "false");
    this.toggle.textContent = t(this.tool ? "annotate.close" : "annotate.open");
    for (const b of this.toolButtons) b.setAttribute("aria-pressed", b.dataset.tool === this.tool ? "true" : "false");
    this.shareButton.setAttribute("aria-pressed", this.shared ? "true" : "false");
    this.shareButton.textContent = t(this.shared ? "annotate.shared" : "annotate.private");
    this.feedbackButton.setAttribute("aria-pressed", this.feedback ? "true" : "false");
    this.feedbackButton.textContent = t(this.feedback ? "annotate.feedback_on" : "annotate.feedback_off");
    this.undoButton.disabled = !this.undoStack.length;
    const pending = [...this.mine.values()].filter((a) => a.pending).length;
    this.status.textContent = pending ? t("annotate.pending", { count: pending }) : "";
  }

  // -- layout ---------------------------------------------------------------------------------

  /** Lay the layer over the page image and draw the page's annotations. */
  async place() {
    const img = this.viewer.canvas.querySelector("img");
    if (!img || !this.viewer.doc) return;
    if (this.overlay.parentNode !== this.viewer.canvas) this.viewer.canvas.append(this.overlay);
    const box = { x: img.offsetLeft, y: img.offsetTop, w: img.offsetWidth, h: img.offsetHeight };
    this.overlay.style.left = `${box.x}px`;
    this.overlay.style.top = `${box.y}px`;
    this.overlay.style.width = `${box.w}px`;
    this.overlay.style.height = `${box.h}px`;
    this.overlay.setAttribute("viewBox", `0 0 ${box.w} ${box.h}`);
    this.size = box;
    await this.ready;
    this.render();
    this._loadVersion(this.viewer.doc.version.id);
  }

  /** Others' shared annotations appear and go live; a change of our own from another device is fetched. */
  onEvent(event) {
    if (event.type !== "annotation.saved" && event.type !== "annotation.deleted") return;
    const d = event.data;
    if (d.owner_id === this.me.id) {
      if (!this.sending.size) this._pullMine();
      return;
    }
    const list = (this.others.get(d.document_version_id) ?? []).filter((a) => a.id !== d.annotation_id);
    if (event.type === "annotation.saved" && d.annotation && !d.annotation.deleted) list.push(d.annotation);
    this.others.set(d.document_version_id, list);
    if (this.viewer.doc?.version.id === d.document_version_id) this.render();
  }

  /** Our own annotations changed elsewhere (another tablet of ours): take what is newer. */
  async _pullMine() {
    try {
      const data = await get(`/api/meetings/${this.store.meetingId}/annotations?since=${this.revision ?? 0}`);
      for (const a of data.annotations ?? []) {
        const local = this.mine.get(a.client_id);
        if (local?.pending || (local && local.updated_at > a.updated_at)) continue;
        const kept = { ...a, pending: false };
        this.mine.set(a.client_id, kept);
        await this.store.put(kept);
      }
      this.revision = data.revision;
      this.render();
    } catch {
      // fetched again after the next change or reconnection
    }
  }

  async _loadVersion(versionId) {
    if (this.loadedVersions.has(versionId) || this.live.status !== "live") return;
    this.loadedVersions.add(versionId);
    try {
      const data = await get(`/api/versions/${versionId}/annotations`);
      const others = [];
      for (const a of data.annotations ?? []) {
        if (a.owner_id !== this.me.id) {
          others.push(a);
          continue;
        }
        const local = this.mine.get(a.client_id);
        if (local?.pending) continue; // ours is newer and on its way
        if (!local || local.updated_at <= a.updated_at) {
          const kept = { ...a, pending: false };
          this.mine.set(a.client_id, kept);
          await this.store.put(kept);
        }
      }
      this.others.set(versionId, others);
      this.render();
    } catch {
      this.loadedVersions.delete(versionId); // tried again on the next page shown
    }
  }

  _onPage() {
    const doc = this.viewer.doc;
    if (!doc) return [];
    const here = (a) => a.document_version_id === doc.version.id && a.page === this.viewer.page && !a.deleted;
    return [...[...this.mine.values()].filter(here), ...(this.others.get(doc.version.id) ?? []).filter(here)];
  }

  render() {
    if (!this.size) return;
    const { w, h: ht } = this.size;
    this.overlay.replaceChildren();
    for (const a of this._onPage()) {
      const g = svg("g", { class: ["annotation", `annotation-${a.kind}`].join(" "), "data-client-id": a.client_id, "data-kind": a.kind });
      if (a.owner_id !== undefined && a.owner_id !== this.me.id) g.classList.add("annotation-others");
      if (a.shared) g.classList.add("annotation-shared");
      if (a.feedback) g.classList.add("annotation-feedback");
      this._draw(g, a, w, ht);
      this.overlay.append(g);
    }
    if (this._draft) this.overlay.append(this._draft);
    this._syncButtons();
  }

  _draw(g, a, w, ht) {
    const d = a.data;
    if (a.kind === "ink") {
      for (const stroke of d.strokes) {
        for (let i = 1; i < stroke.length; i++) {
          const [x0, y0] = stroke[i - 1];
          const [x1, y1, p = 0.5] = stroke[i];
          g.append(
            svg("line", {
              x1: x0 * w,
              y1: y0 * ht,
              x2: x1 * w,
              y2: y1 * ht,
              stroke: d.color,
              "stroke-width": Math.max(0.6, d.width * w * (0.4 + 1.2 * p)),
              "stroke-linecap": "round",
            }),
          );
        }
        if (stroke.length === 1) {
          const [x, y] = stroke[0];
          g.append(svg("circle", { cx: x * w, cy: y * ht, r: d.width * w, fill: d.color }));
        }
      }
    } else if (a.kind === "highlight") {
      for (const [x0, y0, x1, y1] of d.rects) {
        g.append(svg("rect", { x: x0 * w, y: y0 * ht, width: (x1 - x0) * w, height: (y1 - y0) * ht, fill: d.color, "fill-opacity": 0.4 }));
      }
    } else if (a.kind === "note" || a.kind === "comment") {
      const x = a.kind === "note" ? d.rect[0] : d.x;
      const y = a.kind === "note" ? d.rect[1] : d.y;
      // The box stays inside the page: long text wraps, a box near an edge moves inward.
      const box = noteBox(d.text, x * w, y * ht, w, ht);
      g.append(svg("rect", { x: box.x, y: box.y, width: box.width, height: box.height, rx: 3, fill: "#fffde7", "fill-opacity": 1, stroke: d.color, "stroke-width": 1 }));
      const text = svg("text", { x: box.x + NOTE_PAD, y: box.y + NOTE_PAD + NOTE_FONT - 3, fill: d.color, "font-size": NOTE_FONT });
      box.lines.forEach((line, i) => {
        const span = svg("tspan", { x: box.x + NOTE_PAD, dy: i === 0 ? 0 : NOTE_LINE });
        span.textContent = line;
        text.append(span);
      });
      g.append(text);
    }
  }

  // -- drawing --------------------------------------------------------------------------------

  _point(e) {
    const rect = this.overlay.getBoundingClientRect();
    const pressure = e.pointerType === "pen" || e.pressure > 0 ? e.pressure || 0.5 : 0.5;
    return [clamp01((e.clientX - rect.left) / rect.width), clamp01((e.clientY - rect.top) / rect.height), pressure];
  }

  _bindDrawing() {
    const layer = this.overlay;
    layer.addEventListener("pointerdown", (e) => {
      if (!this.tool) return;
      e.stopPropagation(); // not a swipe or a pinch of the viewer
      e.preventDefault();
      if (this.tool === "eraser") {
        const target = e.target.closest?.("g[data-client-id]");
        if (target) this.erase(target.dataset.clientId);
        return;
      }
      if (this.tool === "note") {
        this.note(this._point(e));
        return;
      }
      layer.setPointerCapture(e.pointerId);
      this._stroke = { tool: this.tool, points: [this._point(e)] };
      this._draft = svg("g", { class: "annotation annotation-draft" });
      layer.append(this._draft);
    });
    layer.addEventListener("pointermove", (e) => {
      if (!this._stroke) return;
      e.stopPropagation();
      this._stroke.points.push(this._point(e));
      this._drawDraft();
    });
    const end = (e) => {
      if (!this._stroke) return;
      e.stopPropagation();
      const stroke = this._stroke;
      this._stroke = null;
      this._draft = null;
      if (stroke.tool === "pen") {
        const points = stroke.points.slice(0, 5000).map(([x, y, p]) => [+x.toFixed(4), +y.toFixed(4), +p.toFixed(2)]);
        this.add("ink", { strokes: [points], width: PEN.width, color: PEN.color });
      } else if (stroke.tool === "highlighter") {
        const xs = stroke.points.map((p) => p[0]);
        const ys = stroke.points.map((p) => p[1]);
        const x0 = Math.min(...xs);
        const x1 = Math.max(...xs);
        const yMid = (Math.min(...ys) + Math.max(...ys)) / 2;
        const half = Math.max(0.008, (Math.max(...ys) - Math.min(...ys)) / 2);
        if (x1 - x0 > 0.005) this.add("highlight", { rects: [[x0, yMid - half, x1, yMid + half].map((v) => +clamp01(v).toFixed(4))], color: HIGHLIGHT.color });
        else this.render();
      }
    };
    layer.addEventListener("pointerup", end);
    layer.addEventListener("pointercancel", end);
  }

  _drawDraft() {
    const { w, h: ht } = this.size;
    const s = this._stroke;
    this._draft.replaceChildren();
    if (s.tool === "pen") {
      this._draw(this._draft, { kind: "ink", data: { strokes: [s.points], width: PEN.width, color: PEN.color } }, w, ht);
    } else {
      const xs = s.points.map((p) => p[0]);
      const ys = s.points.map((p) => p[1]);
      this._draw(
        this._draft,
        { kind: "highlight", data: { rects: [[Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys) + 0.016]], color: HIGHLIGHT.color } },
        w,
        ht,
      );
    }
  }

  /** A text note where the page was tapped, written in a small dialog in the UI's language. */
  note([x, y]) {
    const text = h("textarea", { rows: 3, maxlength: 4000, "aria-label": t("annotate.note_text"), "data-testid": "note-text" });
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-label": t("annotate.note_title") },
      h("h2", { class: "dialog-title" }, t("annotate.note_title")),
      text,
      h(
        "form",
        { method: "dialog", class: "dialog-actions" },
        h("button", { type: "submit", value: "cancel", class: "btn", text: t("action.cancel_dialog") }),
        h("button", { type: "submit", value: "save", class: "btn btn-primary", text: t("annotate.note_save") }),
      ),
    );
    dialog.addEventListener("close", () => {
      const value = text.value.trim();
      dialog.remove();
      if (dialog.returnValue === "save" && value) {
        this.add("note", { rect: [x, y, clamp01(x + 0.3), clamp01(y + 0.05)].map((v) => +v.toFixed(4)), text: value, font_size: NOTE.font_size, color: NOTE.color });
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    text.focus();
  }

  // -- changes ---------------------------------------------------------------------------------

  add(kind, data) {
    const doc = this.viewer.doc;
    const annotation = {
      client_id: newId(),
      owner_id: this.me.id,
      document_id: doc.id,
      document_version_id: doc.version.id,
      page: this.viewer.page,
      kind,
      data,
      shared: this.shared,
      // Only annotations with a text can be comments (a note written on the page).
      feedback: this.feedback && (kind === "note" || kind === "comment"),
      deleted: false,
      updated_at: new Date().toISOString(),
      pending: true,
    };
    this.undoStack.push({ kind: "added", client_id: annotation.client_id });
    this._change(annotation);
  }

  erase(clientId) {
    const current = this.mine.get(clientId);
    if (!current) {
      showError(t("annotate.not_yours"));
      return;
    }
    this.undoStack.push({ kind: "erased", client_id: clientId });
    this._change({ ...current, deleted: true, updated_at: new Date().toISOString(), pending: true });
  }

  undo() {
    const step = this.undoStack.pop();
    if (!step) return;
    const current = this.mine.get(step.client_id);
    if (!current) return;
    // Undoing an addition deletes it; undoing an erasure saves it again, newer.
    this._change({ ...current, deleted: step.kind === "added", updated_at: new Date().toISOString(), pending: true });
  }

  async _change(annotation) {
    this.mine.set(annotation.client_id, annotation);
    this.render();
    await this.store.put(annotation);
    this._send(annotation.client_id);
  }

  /** After each (re)connection: everything not yet acknowledged goes again. */
  async resend() {
    await this.ready;
    for (const a of this.mine.values()) if (a.pending) this._send(a.client_id);
    if (this.viewer.doc) this._loadVersion(this.viewer.doc.version.id);
  }

  async _send(clientId) {
    if (this.sending.has(clientId)) return;
    const a = this.mine.get(clientId);
    if (!a?.pending) return;
    this.sending.add(clientId);
    try {
      const result = a.deleted
        ? await this.live.command("annotation.delete", { client_id: a.client_id, updated_at: a.updated_at }, { offline: "queue" })
        : await this.live.command(
            "annotation.save",
            {
              client_id: a.client_id,
              document_version_id: a.document_version_id,
              page: a.page,
              kind: a.kind,
              data: a.data,
              shared: a.shared,
              updated_at: a.updated_at,
            },
            { offline: "queue" },
          );
      const latest = this.mine.get(clientId);
      if (latest && latest.updated_at === a.updated_at) {
        const synced = { ...latest, id: result.annotation?.id ?? latest.id, revision: result.annotation?.revision, pending: false };
        if (a.feedback && !a.deleted && result.annotation && !result.annotation.feedback) {
          // Marked as a comment for the drafting unit (the annotation stays private). A
          // refusal (the comment table is closed) leaves the note saved, not a comment.
          try {
            const marked = await put(`/api/annotations/${result.annotation.id}/feedback`, { feedback: true });
            synced.revision = marked.annotation.revision;
          } catch (err) {
            synced.feedback = false;
            showError(err);
          }
        }
        this.mine.set(clientId, synced);
        await this.store.put(synced);
      }
    } catch (err) {
      if (err.code === "annotation_not_found" && a.deleted) {
        // Made and erased while offline: nothing to delete on the server.
        const done = { ...a, pending: false };
        this.mine.set(clientId, done);
        await this.store.put(done);
      } else if (err.code !== "connection_lost" && err.code !== "offline") {
        showError(err);
      }
    } finally {
      this.sending.delete(clientId);
      const latest = this.mine.get(clientId);
      if (latest?.pending && latest.updated_at !== a.updated_at) this._send(clientId); // changed meanwhile
      this._syncButtons();
    }
  }

  /** Leaving the meeting on this device: the synced notes are on the server, not kept here. */
  async forget() {
    this.mine.clear();
    await this.store.clearSynced().catch(() => {});
  }
}
