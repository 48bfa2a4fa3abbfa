// Meeting documents (tài liệu họp) as the screens see them: the list a session may read,
// kept in step with the document.* events of the live connection, and the page images.

import { ApiError, apiUrl, get } from "./api.js";

/** Image widths the server renders (server/phonghop/documents/files.py PAGE_WIDTHS). */
export const PAGE_WIDTHS = [320, 800, 1280, 1600, 2048];
export const THUMB_WIDTH = 320;
export const CLASSIFIED = new Set(["confidential", "secret", "top_secret"]);

/** The URL of one page image. */
export function pageUrl(versionId, page, width) {
  return apiUrl(`/api/versions/${versionId}/pages/${page}?w=${width}`);
}

/** The smallest rendered width that covers `cssPixels` on this screen. */
export function pickWidth(cssPixels) {
  const wanted = cssPixels * (window.devicePixelRatio || 1);
  return PAGE_WIDTHS.find((w) => w >= wanted) ?? PAGE_WIDTHS[PAGE_WIDTHS.length - 1];
}

export function isClassified(doc) {
  return CLASSIFIED.has(doc.classification);
}

/**
 * The documents of one meeting that this session may read. Loaded over HTTP when the
 * live connection gets a snapshot (events may have been skipped), then changed by the
 * document.* events. Dispatches "change" with {reason, document}: reason is "load",
 * "published", "updated" or "recalled".
 */
export class DocumentList extends EventTarget {
  /**
   * `persist`: keep the list in sessionStorage, so that a tablet reloaded without
   * network still knows its documents (their pages are in the service worker's cache).
   */
  constructor(meetingId, { persist = false } = {}) {
    super();
    this.meetingId = meetingId;
    this.documents = [];
    this.loaded = false;
    this.error = null;
    this._recalled = new Set();
    this._loading = null;
    this._storageKey = persist ? `phonghop.documents.${meetingId}` : null;
    if (this._storageKey) {
      try {
        const kept = JSON.parse(window.sessionStorage.getItem(this._storageKey) ?? "null");
        if (Array.isArray(kept)) {
          this.documents = kept;
          this.loaded = true;
        }
      } catch {
        // nothing usable kept
      }
    }
  }

  /** Forget the kept copy (leaving the meeting on this device). */
  forget() {
    if (!this._storageKey) return;
    try {
      window.sessionStorage.removeItem(this._storageKey);
    } catch {
      // storage disabled
    }
  }

  /** Follow a LiveMeeting: reload after each snapshot, apply document events. */
  attach(live) {
    live.addEventListener("snapshot", () => this.load());
    live.addEventListener("event", (e) => this.apply(e.detail.event));
    return this;
  }

  byId(id) {
    return this.documents.find((d) => d.id === id) ?? null;
  }

  /** Documents under an agenda item (null: documents of the meeting as a whole). */
  forItem(itemId) {
    return this.documents.filter((d) => (d.agenda_item_id ?? null) === itemId);
  }

  /** The documents a tablet may show: not recalled. */
  get current() {
    return this.documents.filter((d) => !d.recalled);
  }

  load() {
    this._loading ??= (async () => {
      try {
        const data = await get(`/api/meetings/${this.meetingId}/documents`);
        this.documents = (data.documents ?? []).filter((d) => !this._recalled.has(d.id) || d.recalled);
        this.loaded = true;
        this.error = null;
        this._emit("load", null);
      } catch (err) {
        this.error = err;
        if (err instanceof ApiError && err.status === 404) {
          this.documents = [];
          this.loaded = true;
        }
        this._emit("error", null);
      } finally {
        this._loading = null;
      }
    })();
    return this._loading;
  }

  apply(event) {
    if (event.type === "document.published" || event.type === "document.updated") {
      const doc = event.data.document;
      const rest = this.documents.filter((d) => d.id !== doc.id);
      rest.push(doc);
      rest.sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id);
      this.documents = rest;
      this._emit(event.type === "document.published" ? "published" : "updated", doc);
    } else if (event.type === "document.recalled") {
      const doc = this.byId(event.data.document_id);
      this._recalled.add(event.data.document_id);
      this.documents = this.documents.filter((d) => d.id !== event.data.document_id);
      this._emit("recalled", doc ?? { id: event.data.document_id });
    }
  }

  _emit(reason, document) {
    if (this._storageKey && reason !== "error") {
      try {
        window.sessionStorage.setItem(this._storageKey, JSON.stringify(this.documents));
      } catch {
        // storage full or disabled
      }
    }
    this.dispatchEvent(new CustomEvent("change", { detail: { reason, document } }));
  }
}
