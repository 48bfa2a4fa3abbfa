// The delegate's live screen: the live bar (connection, timer, request to speak), the
// announcement, the meeting and its agenda, and the document viewer that follows the
// presenter until the delegate browses on their own ("tap to follow" brings it back).

import { logout } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { DocumentList } from "../shared/documents.js";
import { busy, fill, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { LiveMeeting } from "../shared/live.js";
import { announcementView, statusPill, tickTimers, timerView } from "../shared/liveview.js";
import { InvitationPanel } from "./invitation.js";
import { IdleLock, LOCK_MINUTES, lockSeconds, setLockSeconds } from "./lock.js";
import { renderMeeting } from "./meeting.js";
import { PageStore } from "./pages.js";
import { Viewer } from "./viewer.js";
import { Annotator } from "./annotate.js";
import { VotePanel } from "./vote.js";

const RUNNING = new Set(["in_progress", "paused"]);
const ENDED = new Set(["closed", "cancelled"]);
const REPORT_EVERY_MS = 250; // the server counts at most four reports a second

function stored(key, fallback) {
  try {
    const value = window.sessionStorage.getItem(key);
    return value === null ? fallback : JSON.parse(value);
  } catch {
    return fallback;
  }
}

function store(key, value) {
  try {
    window.sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage disabled: kept until the page is reloaded
  }
}

/** Test hooks: ?heartbeat=ms shortens the protocol's 25 s idle ping (tests only). */
function heartbeatOptions() {
  const ms = Number(new URLSearchParams(window.location.search).get("heartbeat"));
  return ms > 0 ? { idleMs: ms, timeoutMs: ms } : {};
}

export class TabletScreen {
  /**
   * `session`: the tablet's session (kind "tablet"); `onEnd(message)`: the session is
   * over (left, revoked, or refused by the server): show the join screen; `onGone()`: the
   * session ended with the meeting, whose end stays on screen until `onEnd`.
   */
  constructor(root, session, { onEnd, onGone = () => {} }) {
    this.root = root;
    this.session = session;
    this.me = session.participant;
    this.onEnd = onEnd;
    this.onGone = onGone;
    this.meetingId = session.meeting_id;
    this.live = new LiveMeeting(this.meetingId, { identity: `p${this.me.id}`, heartbeat: heartbeatOptions() });
    this.docs = new DocumentList(this.meetingId, { persist: true }).attach(this.live);
    this.pages = new PageStore();
    this.viewer = new Viewer(this.pages);
    this.vote = new VotePanel(this.live, this.me, this.meetingId);
    this.annotator = new Annotator(this.viewer, this.live, this.me, this.meetingId);
    this.invitation = new InvitationPanel(this.meetingId);
    this.lock = new IdleLock(() => ({ meeting: this.live.state?.meeting?.title ?? "", name: this.me.full_name }));
    this.followKey = `phonghop.tablet.following.${this.meetingId}`;
    this.following = stored(this.followKey, true);
    this.mode = "home";
    this.dismissedAnnouncement = null;
    this._frame = null;
    this._reportTimer = null;
    this._lastReport = 0;
    this._ended = false;
    this.bar = h("div", { class: "live-bar", "data-testid": "live-bar" });
    this.notice = h("div", { class: "live-notice" });
    this.home = h("div", { class: "tablet-home", "data-testid": "tablet-home" });
    this.homeFollow = h("div", { class: "home-follow" });
    this.toolbar = this.buildToolbar();
    this.homeWrap = h("div", { class: "tablet-home-wrap" }, this.homeFollow, this.home, this.toolbar);
  }

  start() {
    fill(this.root, h("div", { class: "tablet-live", id: "meeting" }, this.bar, this.notice, this.homeWrap, this.viewer.el, this.vote.el));
    this.viewer.el.hidden = true;
    this.live.addEventListener("change", () => this.schedule());
    this.live.addEventListener("status", () => this.schedule());
    this.live.addEventListener("event", (e) => this.onEvent(e.detail.event));
    this.live.addEventListener("snapshot", () => this.followPresenter());
    this.live.addEventListener("synced", () => {
      // Only while answers may change: a room of tablets reconnecting during the meeting
      // does not ask for it (the panel then shows the last answer read, and that it is fixed).
      if (this.live.state?.meeting?.state === "scheduled") this.invitation.load();
      this.report(true);
      this.vote.resend();
      this.annotator.resend();
    });
    this.live.addEventListener("fatal", (e) => this.fatal(e.detail.code));
    this.docs.addEventListener("change", (e) => this.onDocuments(e.detail));
    this.pages.addEventListener("progress", () => this.schedule());
    this.viewer.addEventListener("turn", () => this.setFollowing(false));
    this.viewer.addEventListener("shown", () => this.report());
    this.viewer.addEventListener("close", () => this.closeViewer());
    this.viewer.attach();
    this.annotator.attach();
    this.lock.start();
    this.ticker = tickTimers(this.root, () => this.live.clockSkewMs);
    this.live.start();
    if (this.docs.loaded) this.pages.prefetch(this.docs.current);
    this.docs.load();
    if (this.live.state) {
      this.draw();
      this.followPresenter();
    } else {
      fill(this.home, h("p", { class: "loading" }, t("common.loading")));
      this.drawBar();
    }
  }

  destroy() {
    this.pages.stop();
    window.clearInterval(this.ticker);
    window.clearTimeout(this._reportTimer);
    window.cancelAnimationFrame(this._frame);
    this.viewer.detach();
    this.lock.stop();
    this.live.stop();
  }

  // -- following the presenter --------------------------------------------------------------

  setFollowing(following) {
    if (this.following === following) return;
    this.following = following;
    store(this.followKey, following);
    this.report();
    this.schedule();
  }

  /** Show what the presenter shows, if this tablet follows and can show it. */
  followPresenter() {
    if (!this.following) return;
    const p = this.live.state?.live?.presenter;
    if (!p) return;
    const doc = this.docs.byId(p.document_id);
    if (!doc || doc.recalled) return; // not (yet) in the list: shown when the list arrives
    this.openViewer(doc, p.page);
  }

  follow() {
    this.setFollowing(true);
    this.followPresenter();
    this.schedule();
  }

  onEvent(event) {
    // The page turn is drawn at once, not on the next redraw: it is what the room waits for.
    if (event.type === "presenter.page_changed") this.followPresenter();
  }

  onDocuments({ reason, document }) {
    if (reason === "load") {
      this.pages.retain(this.docs.current.map((d) => d.version.id));
      this.pages.prefetch(this.docs.current);
      this.followPresenter();
    } else if (reason === "published") {
      this.pages.prefetch([document]);
      this.followPresenter();
    } else if (reason === "updated") {
      const shown = this.viewer.doc;
      if (shown?.id === document.id && shown.version.id !== document.version.id) {
        this.pages.purge(document.id, shown.version.id);
        this.viewer.show(document, Math.min(this.viewer.page, document.version.page_count));
        showNotice(t("tablet.document_updated", { title: document.title }));
      }
      this.pages.prefetch([document]);
    } else if (reason === "recalled") {
      this.pages.purge(document.id);
      if (this.viewer.doc?.id === document.id) {
        this.viewer.clear();
        this.closeViewer({ keepFollowing: true });
        showNotice(t("tablet.document_recalled", { title: document.title ?? "" }));
      }
    }
    this.schedule();
  }

  openViewer(doc, page, { user = false } = {}) {
    if (user) this.setFollowing(false);
    this.viewer.show(doc, page, { user });
    if (this.mode !== "viewer") {
      this.mode = "viewer";
      this.homeWrap.hidden = true;
      this.viewer.el.hidden = false;
      document.body.classList.add("tablet-viewing");
      this.schedule();
    }
  }

  closeViewer({ keepFollowing = false } = {}) {
    if (!keepFollowing) this.setFollowing(false);
    this.mode = "home";
    this.viewer.el.hidden = true;
    this.homeWrap.hidden = false;
    document.body.classList.remove("tablet-viewing");
    this.report();
    this.schedule();
  }

  /** viewer.report: after each hello, each page shown, each change of following. */
  report(now = false) {
    window.clearTimeout(this._reportTimer);
    const wait = now ? 0 : Math.max(0, this._lastReport + REPORT_EVERY_MS - Date.now());
    this._reportTimer = window.setTimeout(() => {
      this._lastReport = Date.now();
      const shown = this.mode === "viewer" ? this.viewer.current : null;
      // A notification (no answer): one per page shown costs the server almost nothing.
      // A report lost offline is replaced by the one sent after the next hello.
      this.live.notify("viewer.report", {
        document_id: shown?.document_id ?? null,
        page: shown?.page ?? null,
        following: this.following,
      });
    }, wait);
  }

  // -- drawing ---------------------------------------------------------------------------------

  schedule() {
    if (this._frame) return;
    this._frame = window.requestAnimationFrame(() => {
      this._frame = null;
      this.draw();
    });
  }

  draw() {
    this.drawBar();
    const state = this.live.state;
    if (!state) return;
    this.drawNotice();
    this.drawFollow();
    this.vote.draw(state);
    if (this.mode === "home") {
      this.invitation.setMeetingState(state.meeting.state);
      renderMeeting(this.home, {
        state,
        me: this.me,
        invitation: this.invitation.el,
        docs: this.docs.current,
        progress: this.pages.progress,
        onOpen: (doc) => this.openDocument(doc),
      });
    }
  }

  openDocument(doc) {
    const p = this.live.state?.live?.presenter;
    // Opening the presented document from the agenda lands on the presenter's page.
    if (p && p.document_id === doc.id) {
      this.follow();
      if (this.mode !== "viewer") this.openViewer(doc, p.page);
      return;
    }
    this.openViewer(doc, 1, { user: true });
  }

  drawBar() {
    const state = this.live.state;
    const running = RUNNING.has(state?.meeting?.state);
    fill(
      this.bar,
      statusPill(this.live.status, t("tablet.offline_notes_kept")),
      state && !running
        ? h("span", { class: ["badge", `badge-state-${state.meeting.state}`], "data-testid": "live-meeting-state" }, t(`state.${state.meeting.state}`))
        : null,
      state?.meeting?.state === "paused"
        ? h("span", { class: ["badge", "badge-state-paused"], "data-testid": "live-meeting-state" }, t("state.paused"))
        : null,
      h("span", { class: "spacer" }),
      ENDED.has(state?.meeting?.state) ? null : timerView(state?.live?.timer),
      state ? this.speakControls(state) : null,
    );
  }

  speakControls(state) {
    if (this.me.role === "guest" || ENDED.has(state.meeting.state)) return null;
    const queue = state.live.speakers ?? [];
    const mine = queue.find((q) => q.participant_id === this.me.id);
    const waiting = queue.filter((q) => q.state === "waiting");
    const running = RUNNING.has(state.meeting.state);
    const run = async (button, type, fields = {}) => {
      try {
        const result = await busy(button, () => this.live.command(type, fields, { offline: "queue" }));
        if (this.live.status !== "live" && result) this.schedule();
      } catch (err) {
        showError(err);
      }
    };
    if (mine?.state === "speaking") {
      return h(
        "span",
        { class: "speak", "data-testid": "speak-state", "data-state": "speaking" },
        h("span", { class: "speak-now" }, t("tablet.speaking_now")),
        h("button", {
          type: "button",
          class: "btn",
          "data-testid": "speak-finish",
          text: t("tablet.speak_finish"),
          on: { click: (e) => run(e.currentTarget, "speaker.finish", { participant_id: this.me.id }) },
        }),
      );
    }
    if (mine) {
      const place = waiting.findIndex((q) => q.participant_id === this.me.id) + 1;
      return h(
        "span",
        { class: "speak", "data-testid": "speak-state", "data-state": "waiting" },
        h(
          "span",
          { class: "speak-place", "data-testid": "speak-place" },
          t("tablet.speak_place", { place, count: waiting.length }),
        ),
        h("button", {
          type: "button",
          class: "btn",
          "data-testid": "speak-withdraw",
          text: t("tablet.speak_withdraw"),
          on: { click: (e) => run(e.currentTarget, "speaker.withdraw") },
        }),
      );
    }
    return h(
      "span",
      { class: "speak", "data-testid": "speak-state", "data-state": "none" },
      h("button", {
        type: "button",
        class: "btn btn-primary",
        disabled: !running,
        "data-testid": "speak-request",
        text: t("tablet.speak_request"),
        on: { click: (e) => run(e.currentTarget, "speaker.request") },
      }),
    );
  }

  drawNotice() {
    const { meeting, live } = this.live.state;
    const announcement = live.announcement;
    const dismissed = announcement && this.dismissedAnnouncement === announcement.at;
    fill(
      this.notice,
      ENDED.has(meeting.state)
        ? h(
            "div",
            { class: "live-ended", role: "status", "data-testid": "meeting-ended" },
            h("p", { class: "live-ended-title" }, t(meeting.state === "closed" ? "tablet.meeting_closed" : "tablet.meeting_cancelled")),
            h("p", { class: "live-ended-hint" }, t("tablet.meeting_ended_hint")),
          )
        : null,
      dismissed
        ? null
        : announcementView(announcement, {
            onDismiss: () => {
              this.dismissedAnnouncement = announcement.at;
              this.schedule();
            },
          }),
    );
  }

  followView() {
    const p = this.live.state?.live?.presenter;
    if (this.following) {
      return h(
        "p",
        { class: "follow follow-on", "data-testid": "follow-state", "data-following": "true", role: "status" },
        h("span", { class: "follow-dot", "aria-hidden": "true" }),
        p ? t("tablet.following") : t("tablet.following_idle"),
      );
    }
    const doc = p ? this.docs.byId(p.document_id) : null;
    return h(
      "button",
      {
        type: "button",
        class: "follow follow-off",
        "data-testid": "follow-state",
        "data-following": "false",
        on: { click: () => this.follow() },
      },
      h("span", { class: "follow-main" }, t("tablet.browsing")),
      h(
        "span",
        { class: "follow-hint" },
        doc ? t("tablet.tap_to_follow_page", { title: doc.title, page: p.page }) : t("tablet.tap_to_follow"),
      ),
    );
  }

  drawFollow() {
    const p = this.live.state?.live?.presenter;
    if (ENDED.has(this.live.state?.meeting?.state)) {
      // Nobody presents any more: the documents stay readable, nothing to follow.
      fill(this.viewer.followSlot);
      fill(this.homeFollow);
      return;
    }
    fill(this.viewer.followSlot, this.followView());
    // On the agenda, the follow button is offered while something is presented.
    fill(this.homeFollow, p ? this.followView() : null);
  }

  // -- toolbar: idle lock, leave ------------------------------------------------------------------

  buildToolbar() {
    const seconds = lockSeconds();
    const select = h(
      "select",
      {
        "aria-label": t("lock.after"),
        "data-testid": "lock-minutes",
        on: { change: (e) => {
          setLockSeconds(Number(e.target.value) * 60);
          this.lock.touch();
        } },
      },
      LOCK_MINUTES.map((m) => h("option", { value: String(m), selected: m * 60 === seconds }, t("lock.minutes", { minutes: m }))),
    );
    const leave = h("button", { type: "button", class: "btn btn-quiet", text: t("tablet.leave") });
    leave.addEventListener("click", () => this.leave(leave));
    return h(
      "div",
      { class: "tablet-toolbar" },
      h(
        "label",
        { class: "lock-setting" },
        h("span", {}, t("lock.after")),
        select,
      ),
      h("button", {
        type: "button",
        class: "btn",
        "data-testid": "lock-now",
        text: t("lock.now"),
        on: { click: () => this.lock.lock() },
      }),
      h("span", { class: "spacer" }),
      leave,
    );
  }

  async leave(button) {
    const ok = await confirmAction({
      title: t("tablet.leave_title"),
      message: t("tablet.leave_message"),
      confirmLabel: t("tablet.leave"),
    });
    if (!ok) return;
    this.pages.stop(); // no page requests after the session is gone
    try {
      await busy(button, () => logout());
    } catch (err) {
      showError(err);
      return;
    }
    await this.end(null);
  }

  /** The session is over on this tablet: forget what it kept, go back to joining. */
  async end(message) {
    if (this._ended) return;
    this._ended = true;
    await this.purge();
    this.onEnd(message);
  }

  /** Stop, and delete everything this tablet kept: state, documents, pages, notes. */
  async purge() {
    this.destroy();
    this.live.forget();
    this.docs.forget();
    this.vote.forget();
    await this.annotator.forget();
    await this.pages.clear();
    document.body.classList.remove("tablet-viewing");
  }

  /**
   * The meeting ended, and this tablet's session with it (close 4411: it joined without an
   * account). Its copies are deleted, as on a recall; the meeting's end stays on screen
   * until its holder goes back to the join screen.
   */
  async endWithMeeting() {
    if (this._ended) return;
    this._ended = true;
    const meeting = this.live.state?.meeting;
    await this.purge();
    this.onGone();
    fill(
      this.root,
      h(
        "div",
        { class: "join-screen" },
        h(
          "section",
          { class: "panel live-ended", role: "status", "data-testid": "meeting-ended", "data-session": "ended" },
          meeting?.title ? h("h1", {}, meeting.title) : null,
          h("p", { class: "live-ended-title" }, t(meeting?.state === "cancelled" ? "tablet.meeting_cancelled" : "tablet.meeting_closed")),
          h("p", { class: "live-ended-hint" }, t("tablet.session_ended_with_meeting")),
          h("button", {
            type: "button",
            class: "btn btn-primary",
            "data-testid": "ended-done",
            text: t("tablet.ended_done"),
            on: { click: () => this.onEnd(null) },
          }),
        ),
      ),
    );
  }

  fatal(code) {
    if (code === "4411") {
      this.endWithMeeting();
      return;
    }
    const messages = {
      4401: t("tablet.session_ended"),
      4409: t("tablet.session_recalled"),
      4404: t("tablet.meeting_unavailable"),
      4403: t("tablet.meeting_forbidden"),
    };
    this.end(messages[code] ?? t("live.error.closed_for_good"));
  }
}
