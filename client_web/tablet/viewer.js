// The document viewer on the tablet: one page at a time, fitted to the screen; swipe or
// the side buttons to turn pages, pinch or double-tap to zoom, drag to move a zoomed
// page, thumbnails of every page. Pages come from the PageStore, already decoded when
// the prefetch has reached them, so a page turn only swaps an image on screen.
//
// Events: "turn" {document_id, page} when the delegate turned the page or opened another
// one (the screen stops following the presenter); "shown" {document_id, page} once a
// page is painted; "close" when the delegate goes back to the agenda.

import { h, fill } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const MAX_ZOOM = 4;
const DOUBLE_TAP_ZOOM = 2.5;
const DOUBLE_TAP_MS = 320;
const TAP_SLOP = 12;

function afterPaint(fn) {
  // The first callback runs before the frame with the new image is painted, the second
  // after it: the time taken there is when the delegate sees the page.
  requestAnimationFrame(() => requestAnimationFrame(fn));
}

export class Viewer extends EventTarget {
  constructor(pages) {
    super();
    this.pages = pages;
    this.doc = null;
    this.page = null;
    this._token = 0;
    this._zoom = { s: 1, x: 0, y: 0 };
    this._pointers = new Map();
    this._gesture = null;
    this._lastTap = null;
    this.followSlot = h("div", { class: "viewer-follow" });
    this.titleEl = h("span", { class: "viewer-title", "data-testid": "viewer-title" });
    this.pageEl = h("span", { class: "viewer-page", "data-testid": "viewer-page" });
    this.canvas = h("div", { class: "viewer-canvas" });
    this.message = h("p", { class: "viewer-message", hidden: true, "data-testid": "viewer-message" });
    this.prevButton = h("button", {
      type: "button",
      class: "viewer-turn viewer-prev",
      "aria-label": t("viewer.prev"),
      "data-testid": "viewer-prev",
      text: "‹",
      on: { click: () => this.turn(-1) },
    });
    this.nextButton = h("button", {
      type: "button",
      class: "viewer-turn viewer-next",
      "aria-label": t("viewer.next"),
      "data-testid": "viewer-next",
      text: "›",
      on: { click: () => this.turn(1) },
    });
    this.stage = h(
      "div",
      { class: "viewer-stage", "data-testid": "viewer-stage" },
      this.canvas,
      this.message,
      this.prevButton,
      this.nextButton,
    );
    this.thumbs = h("ol", { class: "thumbs viewer-thumbs", "aria-label": t("documents.thumbnails"), hidden: true });
    this.thumbsButton = h("button", {
      type: "button",
      class: "btn",
      "aria-expanded": "false",
      "data-testid": "viewer-thumbs-toggle",
      text: t("viewer.thumbnails"),
      on: { click: () => this.toggleThumbs() },
    });
    this.el = h(
      "section",
      { class: "viewer", "data-testid": "viewer", "aria-label": t("viewer.label") },
      h(
        "div",
        { class: "viewer-bar" },
        h("button", {
          type: "button",
          class: "btn viewer-back",
          "data-testid": "viewer-back",
          text: t("viewer.back"),
          on: { click: () => this.dispatchEvent(new CustomEvent("close")) },
        }),
        h("span", { class: "viewer-heading" }, this.titleEl, this.pageEl),
        this.thumbsButton,
      ),
      this.followSlot,
      h("div", { class: "viewer-body" }, this.stage, this.thumbs),
    );
    this._bindGestures();
    this._onKey = (e) => this._key(e);
    this._onResize = () => this._resetZoom();
  }

  attach() {
    document.addEventListener("keydown", this._onKey);
    window.addEventListener("resize", this._onResize);
  }

  detach() {
    document.removeEventListener("keydown", this._onKey);
    window.removeEventListener("resize", this._onResize);
  }

  get current() {
    return this.doc ? { document_id: this.doc.id, page: this.page } : null;
  }

  /** Show `page` of `doc`. `user`: the delegate asked for it (stops following). */
  show(doc, page, { user = false } = {}) {
    const count = doc.version.page_count;
    const target = Math.min(Math.max(1, page), count);
    const sameDoc = this.doc?.id === doc.id && this.doc.version.id === doc.version.id;
    this.doc = doc;
    this.page = target;
    const token = ++this._token;
    this.titleEl.textContent = doc.title;
    this.pageEl.textContent = t("documents.page_of", { page: target, count });
    this.prevButton.disabled = target <= 1;
    this.nextButton.disabled = target >= count;
    if (!sameDoc) this._drawThumbs();
    this._markThumb();
    if (user) this.dispatchEvent(new CustomEvent("turn", { detail: { document_id: doc.id, page: target } }));
    const entry = this.pages.image(doc, target);
    if (entry.decoded) {
      this._place(entry.img, token);
    } else {
      this._loading(true);
      entry.ready.then(
        (img) => this._place(img, token),
        () => {
          if (token !== this._token) return;
          this._loading(false);
          fill(this.canvas);
          this.message.textContent = navigator.onLine === false ? t("viewer.offline_page") : t("viewer.load_failed");
          this.message.hidden = false;
        },
      );
    }
    // The neighbours next, so that the delegate's own page turns are instant too.
    for (const p of [target + 1, target - 1]) if (p >= 1 && p <= count) this.pages.image(doc, p);
  }

  _place(img, token) {
    if (token !== this._token) return;
    this._loading(false);
    this.message.hidden = true;
    img.alt = t("documents.page_alt", { title: this.doc.title, page: this.page });
    if (this.canvas.firstChild !== img) fill(this.canvas, img);
    this._resetZoom();
    const shown = { document_id: this.doc.id, page: this.page };
    afterPaint(() => {
      if (token !== this._token) return;
      performance.mark("phonghop:page-painted", { detail: { ...shown, at: performance.timeOrigin + performance.now() } });
      this.dispatchEvent(new CustomEvent("shown", { detail: shown }));
    });
  }

  _loading(on) {
    this.stage.classList.toggle("viewer-loading", on);
    if (on) {
      this.message.textContent = t("viewer.loading");
      this.message.hidden = false;
    }
  }

  turn(delta) {
    if (!this.doc) return;
    const next = this.page + delta;
    if (next < 1 || next > this.doc.version.page_count) return;
    this.show(this.doc, next, { user: true });
  }

  /** The document was recalled or replaced: forget the image on screen. */
  clear() {
    this._token += 1;
    this.doc = null;
    this.page = null;
    fill(this.canvas);
    fill(this.thumbs);
  }

  toggleThumbs(force) {
    const open = force ?? this.thumbs.hidden;
    this.thumbs.hidden = !open;
    this.thumbsButton.setAttribute("aria-expanded", open ? "true" : "false");
    this.el.classList.toggle("viewer-with-thumbs", open);
    if (open) this._markThumb(true);
    this._resetZoom();
  }

  _drawThumbs() {
    const doc = this.doc;
    fill(
      this.thumbs,
      Array.from({ length: doc.version.page_count }, (_, i) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "thumb",
              "data-page": i + 1,
              "aria-label": t("viewer.go_to_page", { page: i + 1 }),
              on: { click: () => this.show(doc, i + 1, { user: true }) },
            },
            h("img", { src: this.pages.thumbUrl(doc, i + 1), alt: "", loading: "lazy", draggable: "false" }),
            h("span", { class: "thumb-number" }, String(i + 1)),
          ),
        ),
      ),
    );
  }

  _markThumb(scroll = false) {
    for (const button of this.thumbs.querySelectorAll(".thumb")) {
      const current = Number(button.dataset.page) === this.page;
      button.classList.toggle("thumb-current", current);
      if (current) {
        button.setAttribute("aria-current", "page");
        if (scroll || !this.thumbs.hidden) button.scrollIntoView({ block: "nearest", inline: "nearest" });
      } else {
        button.removeAttribute("aria-current");
      }
    }
  }

  _key(e) {
    if (!this.el.isConnected || !this.doc || e.target.closest?.("input, textarea, select, dialog")) return;
    if (e.key === "ArrowRight" || e.key === "PageDown") this.turn(1);
    else if (e.key === "ArrowLeft" || e.key === "PageUp") this.turn(-1);
    else return;
    e.preventDefault();
  }

  // -- zoom, pan and swipe ------------------------------------------------------------------

  _apply() {
    const { s, x, y } = this._zoom;
    this.canvas.style.transform = `translate(${x}px, ${y}px) scale(${s})`;
    this.stage.classList.toggle("viewer-zoomed", s > 1.01);
  }

  _resetZoom() {
    this._zoom = { s: 1, x: 0, y: 0 };
    this.canvas.classList.remove("viewer-dragging");
    this._apply();
  }

  /** Zoom to `s` keeping the point (px, py) of the stage where it is. */
  _zoomAt(s, px, py, from = this._zoom) {
    const scale = Math.min(Math.max(s, 1), MAX_ZOOM);
    const cx = (px - from.x) / from.s;
    const cy = (py - from.y) / from.s;
    this._zoom = this._clamp({ s: scale, x: px - cx * scale, y: py - cy * scale });
    this._apply();
  }

  _clamp(z) {
    const w = this.stage.clientWidth;
    const hgt = this.stage.clientHeight;
    if (z.s <= 1) return { s: 1, x: 0, y: 0 };
    return {
      s: z.s,
      x: Math.min(0, Math.max(w - w * z.s, z.x)),
      y: Math.min(0, Math.max(hgt - hgt * z.s, z.y)),
    };
  }

  _local(e) {
    const rect = this.stage.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  _bindGestures() {
    const stage = this.stage;
    stage.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".viewer-turn")) return;
      stage.setPointerCapture(e.pointerId);
      this._pointers.set(e.pointerId, this._local(e));
      if (this._pointers.size === 2) {
        const [a, b] = [...this._pointers.values()];
        this._gesture = {
          kind: "pinch",
          dist: Math.hypot(a.x - b.x, a.y - b.y) || 1,
          from: { ...this._zoom },
          mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
        };
      } else if (this._pointers.size === 1) {
        const p = this._local(e);
        this._gesture = { kind: "drag", start: p, from: { ...this._zoom }, at: performance.now(), moved: false };
        this.canvas.classList.add("viewer-dragging");
      }
    });
    stage.addEventListener("pointermove", (e) => {
      if (!this._pointers.has(e.pointerId)) return;
      const p = this._local(e);
      this._pointers.set(e.pointerId, p);
      const g = this._gesture;
      if (!g) return;
      if (g.kind === "pinch" && this._pointers.size >= 2) {
        const [a, b] = [...this._pointers.values()];
        const dist = Math.hypot(a.x - b.x, a.y - b.y);
        this._zoomAt(g.from.s * (dist / g.dist), g.mid.x, g.mid.y, g.from);
      } else if (g.kind === "drag") {
        const dx = p.x - g.start.x;
        const dy = p.y - g.start.y;
        if (Math.hypot(dx, dy) > TAP_SLOP) g.moved = true;
        if (g.from.s > 1) {
          this._zoom = this._clamp({ s: g.from.s, x: g.from.x + dx, y: g.from.y + dy });
          this._apply();
        } else if (Math.abs(dx) > Math.abs(dy)) {
          this.canvas.style.transform = `translate(${dx}px, 0)`; // the page follows the finger
        }
      }
    });
    const end = (e) => {
      if (!this._pointers.has(e.pointerId)) return;
      this._pointers.delete(e.pointerId);
      const g = this._gesture;
      if (g?.kind === "pinch") {
        if (this._pointers.size === 0) this._gesture = null;
        else {
          // One finger stays: go on as a drag from here.
          const p = [...this._pointers.values()][0];
          this._gesture = { kind: "drag", start: p, from: { ...this._zoom }, at: performance.now(), moved: true };
        }
        return;
      }
      if (g?.kind !== "drag" || this._pointers.size) return;
      this._gesture = null;
      this.canvas.classList.remove("viewer-dragging");
      const p = this._local(e);
      const dx = p.x - g.start.x;
      const dy = p.y - g.start.y;
      if (!g.moved && e.type === "pointerup" && performance.now() - g.at < 400) {
        this._tap(p);
        return;
      }
      if (g.from.s <= 1) {
        const far = Math.abs(dx) > Math.max(60, this.stage.clientWidth * 0.12) && Math.abs(dx) > Math.abs(dy) * 1.2;
        this._apply(); // back in place (the new page replaces it when turning)
        if (far) this.turn(dx < 0 ? 1 : -1);
      }
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
    stage.addEventListener("dblclick", (e) => e.preventDefault());
  }

  _tap(p) {
    const last = this._lastTap;
    const at = performance.now();
    if (last && at - last.at < DOUBLE_TAP_MS && Math.hypot(p.x - last.x, p.y - last.y) < 40) {
      this._lastTap = null;
      if (this._zoom.s > 1.01) this._resetZoom();
      else this._zoomAt(DOUBLE_TAP_ZOOM, p.x, p.y);
      return;
    }
    this._lastTap = { ...p, at };
  }
}
