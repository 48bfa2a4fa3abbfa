// Page images on the tablet: every page of the meeting's documents is fetched and decoded
// when the meeting opens, so that a page turn (the presenter's or the delegate's) only
// moves an image that is already in memory onto the screen.
//
// Ordinary documents are also written to the Cache Storage that the service worker
// answers from, so they survive a reload without network. Classified ones (Mật, Tối mật,
// Tuyệt mật) are watermarked for this delegate and sent "no-store": they stay in memory
// only, and are gone when the app is closed or the document recalled.

import { isClassified, pageUrl, pickWidth, THUMB_WIDTH } from "../shared/documents.js";

export const PAGE_CACHE = "phonghop-pages-v1";
const CONCURRENCY = 4;
const ATTEMPTS = 8;

/**
 * A page's response. A busy server answers 503 (or 429) with Retry-After: wait that long,
 * plus a random part as long again so that a room of tablets does not come back in the
 * same instant, and ask again (ATTEMPTS times at most; then the last answer).
 */
export async function fetchPage(url, attempts = ATTEMPTS) {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(url, { credentials: "same-origin" });
    if ((response.status !== 503 && response.status !== 429) || attempt >= attempts) return response;
    const seconds = Math.min(Number(response.headers.get("Retry-After")) || 2, 60);
    await new Promise((resolve) => setTimeout(resolve, (seconds + Math.random() * seconds) * 1000));
  }
}

function forget(entry) {
  if (entry.objectUrl) URL.revokeObjectURL(entry.objectUrl);
  entry.objectUrl = null;
}

function cacheStorage() {
  return "caches" in window ? window.caches : null;
}

/** The page width this tablet asks for: its short side, in device pixels. */
export function screenPageWidth() {
  return pickWidth(Math.min(window.screen.width || 800, window.screen.height || 1280));
}

export class PageStore extends EventTarget {
  constructor() {
    super();
    this.width = screenPageWidth();
    this._images = new Map(); // url -> {img, ready}
    this._versions = new Map(); // document id -> version id
    this._queue = [];
    this._running = 0;
    this.total = 0;
    this.done = 0;
    this.failed = 0;
  }

  url(doc, page, width = this.width) {
    return pageUrl(doc.version.id, page, width);
  }

  thumbUrl(doc, page) {
    return pageUrl(doc.version.id, page, THUMB_WIDTH);
  }

  /** The image element of a page, loading it now if it is not in memory yet. */
  image(doc, page) {
    const url = this.url(doc, page);
    let entry = this._images.get(url);
    if (!entry) {
      entry = this._load(url, doc);
      this._images.set(url, entry);
    }
    return entry;
  }

  /** True when the page is decoded and can be shown at once. */
  isReady(doc, page) {
    return this._images.get(this.url(doc, page))?.decoded === true;
  }

  _load(url, doc) {
    const img = new Image();
    img.decoding = "async";
    img.className = "viewer-image";
    img.draggable = false;
    const entry = { img, decoded: false, ready: null, objectUrl: null };
    entry.ready = (async () => {
      const store = isClassified(doc) ? null : cacheStorage();
      let cached = false;
      if (store) {
        // Into the Cache Storage first: the service worker answers the image from there.
        try {
          const cache = await store.open(PAGE_CACHE);
          cached = Boolean(await cache.match(url));
          if (!cached) {
            const response = await fetchPage(url);
            if (response.ok) {
              await cache.put(url, response);
              cached = true;
            }
          }
        } catch {
          // offline or quota: fetched below
        }
      }
      if (cached) {
        img.src = url;
      } else {
        // Classified pages (no-store) and tablets without Cache Storage: the bytes stay in
        // memory, as an object URL dropped when the document goes.
        const response = await fetchPage(url);
        if (!response.ok) throw new Error(`page ${url}: HTTP ${response.status}`);
        entry.objectUrl = URL.createObjectURL(await response.blob());
        img.src = entry.objectUrl;
      }
      await img.decode();
      entry.decoded = true;
      return img;
    })();
    entry.ready.catch(() => {
      forget(entry);
      this._images.delete(url); // try again next time it is needed
    });
    return entry;
  }

  /** Fetch and decode every page of `docs` (progress: "progress" events). */
  prefetch(docs) {
    for (const doc of docs) {
      this._versions.set(doc.id, doc.version.id);
      for (let page = 1; page <= doc.version.page_count; page += 1) {
        const url = this.url(doc, page);
        if (this._images.has(url) || this._queue.some((q) => q.url === url)) continue;
        this._queue.push({ doc, page, url });
        this.total += 1;
      }
    }
    this._emit();
    this._pump();
  }

  _pump() {
    while (this._running < CONCURRENCY && this._queue.length) {
      const { doc, page } = this._queue.shift();
      if (this._versions.get(doc.id) !== doc.version.id) {
        this.total -= 1; // recalled or replaced while waiting
        this._emit();
        continue;
      }
      this._running += 1;
      this.image(doc, page)
        .ready.then(
          () => {
            this.done += 1;
          },
          () => {
            this.failed += 1;
          },
        )
        .finally(() => {
          this._running -= 1;
          this._emit();
          this._pump();
        });
    }
  }

  get progress() {
    return { total: this.total, done: this.done, failed: this.failed, busy: this._queue.length + this._running > 0 };
  }

  _emit() {
    this.dispatchEvent(new CustomEvent("progress", { detail: this.progress }));
  }

  /** Drop every copy of a document (recalled, or replaced by a new version). */
  async purge(documentId, versionId = this._versions.get(documentId)) {
    if (this._versions.get(documentId) === versionId) this._versions.delete(documentId);
    this._queue = this._queue.filter((q) => {
      const keep = q.doc.id !== documentId || q.doc.version.id !== versionId;
      if (!keep) this.total -= 1;
      return keep;
    });
    if (versionId === undefined) return;
    const marker = `/api/versions/${versionId}/pages/`;
    for (const [url, entry] of this._images) {
      if (url.includes(marker)) {
        entry.img.removeAttribute("src");
        entry.img.remove();
        forget(entry);
        this._images.delete(url);
      }
    }
    const store = cacheStorage();
    if (!store) return;
    try {
      const cache = await store.open(PAGE_CACHE);
      for (const request of await cache.keys()) {
        if (request.url.includes(marker)) await cache.delete(request);
      }
    } catch {
      // nothing cached
    }
    this._emit();
  }

  /**
   * Keep only the cached pages of these versions: a tablet that was away long enough to
   * get a snapshot never saw the recall events of what it no longer lists.
   */
  async retain(versionIds) {
    const keep = new Set(versionIds);
    for (const [documentId, versionId] of [...this._versions]) {
      if (!keep.has(versionId)) await this.purge(documentId, versionId);
    }
    const store = cacheStorage();
    if (!store) return;
    try {
      const cache = await store.open(PAGE_CACHE);
      for (const request of await cache.keys()) {
        const match = /\/api\/versions\/(\d+)\/pages\//.exec(request.url);
        if (match && !keep.has(Number(match[1]))) await cache.delete(request);
      }
    } catch {
      // nothing cached
    }
  }

  /** Stop downloading (the screen is closing). */
  stop() {
    this.total -= this._queue.length;
    this._queue = [];
  }

  /** Forget everything (leaving the meeting on this tablet). */
  async clear() {
    this._queue = [];
    for (const entry of this._images.values()) forget(entry);
    this._images.clear();
    this._versions.clear();
    this.total = this.done = this.failed = 0;
    const store = cacheStorage();
    if (store) {
      try {
        await store.delete(PAGE_CACHE);
      } catch {
        // nothing cached
      }
    }
  }
}
