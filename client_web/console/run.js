// The secretary's "run the meeting" screen (điều hành cuộc họp): meeting control, the
// agenda with the current item, the presenter (tablets follow), who is connected and the
// roll call, the speaker queue, the timer and announcements, and (in a tab beside the
// presenter) the minutes the secretary types (run/minutes.js). Everything else is drawn
// from the live connection's state: a command changes the screen only through the event
// it causes, so two consoles (secretary and chair) always show the same thing.

import { post } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { DocumentList, pageUrl, pickWidth, THUMB_WIDTH } from "../shared/documents.js";
import { busy, field, fill, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { agendaNumbers, currentItem, LiveMeeting } from "../shared/live.js";
import { participantName, statusPill, tickTimers } from "../shared/liveview.js";
import { classificationBadge, stateBadge } from "./meetings.js";
import { rollCallSection } from "./rollcall.js";
import { AnnouncementPanel } from "./run/announcements.js";
import { MinutesPanel } from "./run/minutes.js";
import { PollPanel } from "./run/polls.js";
import { TimerPanel } from "./run/timer.js";

const LIVE_STATES = new Set(["in_progress", "paused"]);
const CONTROL_ACTIONS = {
  scheduled: ["start"],
  in_progress: ["pause", "close"],
  paused: ["resume", "close"],
};
const PRIMARY = new Set(["start", "resume"]);

/** The live connection's performance marks, for the page-turn measurement in the tests. */
function markSent(type, fields) {
  performance.mark("phonghop:command-sent", { detail: { type, ...fields, at: performance.timeOrigin + performance.now() } });
}

class RunScreen {
  constructor(ctx, meetingId) {
    this.ctx = ctx;
    this.meetingId = meetingId;
    this.live = new LiveMeeting(meetingId, { identity: `u${ctx.session.user.id}` });
    this.docs = new DocumentList(meetingId).attach(this.live);
    this.ui = { docId: null, absentFormFor: null };
    this.root = h("div", { class: "run-page", "data-testid": "run-page" });
    this.slots = {
      head: h("section", { class: "panel run-head" }),
      agenda: h("section", { class: "panel run-agenda", "aria-labelledby": "run-agenda-title" }),
      presenter: h("section", { class: "panel run-presenter", "aria-labelledby": "run-presenter-title" }),
      speakers: h("section", { class: "panel run-speakers", "aria-labelledby": "run-speakers-title" }),
      rollcall: h("div", { class: "run-rollcall" }),
      tabs: h("div", { class: "tabs run-tabs", role: "tablist", "aria-label": t("run.main_tabs"), hidden: true }),
    };
    this.minutes = new MinutesPanel(this);
    this.minutes.element.hidden = true;
    this.tabKey = `phonghop.run.tab.${meetingId}`;
    this.ui.mainTab = window.sessionStorage.getItem(this.tabKey) === "minutes" ? "minutes" : "presenter";
    this.polls = new PollPanel(this);
    this.timer = new TimerPanel(this);
    this.announcement = new AnnouncementPanel(this);
    this.focusSelector = null;
    this._frame = null;
  }

  get state() {
    return this.live.state;
  }

  get controller() {
    return this.live.controller;
  }

  get running() {
    return LIVE_STATES.has(this.state?.meeting?.state);
  }

  mount() {
    fill(
      this.root,
      h("nav", { class: "crumbs" }, h("a", { href: `#/meetings/${this.meetingId}` }, t("run.back_to_meeting"))),
      this.slots.head,
      h(
        "div",
        { class: "run-grid" },
        this.slots.agenda,
        // The middle column: what the room sees, then who is here (the roll call, at
        // once in sight instead of under every other panel).
        h("div", { class: "run-main" }, this.slots.tabs, this.slots.presenter, this.minutes.element, this.slots.rollcall),
        h(
          "div",
          { class: "run-side" },
          this.slots.speakers,
          this.polls.element,
          this.timer.element,
          this.announcement.element,
        ),
      ),
    );
    fill(this.slots.head, h("p", { class: "loading" }, t("common.loading")));
    this.live.addEventListener("change", () => this.schedule());
    this.live.addEventListener("status", () => this.schedule());
    this.live.addEventListener("signal", () => this.schedule());
    this.live.addEventListener("fatal", (e) => this.fatal(e.detail.code));
    this.docs.addEventListener("change", () => this.schedule());
    this.ticker = tickTimers(this.root, () => this.live.clockSkewMs);
    this.live.start();
    if (this.state) this.draw();
    return this.root;
  }

  destroy() {
    window.clearInterval(this.ticker);
    window.cancelAnimationFrame(this._frame);
    this.minutes.destroy();
    this.live.stop();
  }

  fatal(code) {
    if (code === "4401") {
      this.ctx.signedOut();
      showError(t("live.error.session"));
    } else {
      showError(t("live.error.closed_for_good"));
    }
  }

  schedule() {
    if (this._frame) return;
    this._frame = window.requestAnimationFrame(() => {
      this._frame = null;
      if (this.state) this.draw();
    });
  }

  /** Run a live command; a refusal shows the server's message. */
  async run(type, fields = {}, button = null) {
    try {
      return await busy(button, () => this.live.command(type, fields));
    } catch (err) {
      showError(err);
      return undefined;
    } finally {
      // busy() enabled the button again: draw what the state allows.
      this._signatures = {};
      this.schedule();
    }
  }

  /** Redraw a section only when what it shows changed (images stay, focus stays). */
  changed(name, signature) {
    const text = JSON.stringify(signature);
    if (this._signatures?.[name] === text) return false;
    this._signatures = { ...this._signatures, [name]: text };
    return true;
  }

  draw() {
    const { meeting, live } = this.state;
    const common = [this.live.status, this.controller, meeting.state, this.docs.documents];
    if (this.changed("head", [common, meeting.title, meeting.classification, live.current_item_id, meeting.agenda])) {
      this.drawHead();
    }
    if (this.changed("agenda", [common, meeting.agenda, live.current_item_id, live.presenter])) this.drawAgenda();
    if (
      this.changed("presenter", [common, live.presenter, live.current_item_id, this.ui.docId, this.live.signals["viewer.summary"]])
    ) {
      this.drawPresenter();
    }
    if (this.changed("speakers", [common, live.speakers, meeting.participants])) this.drawSpeakers();
    if (this.changed("tabs", [this.controller, this.ui.mainTab])) this.drawTabs();
    if (
      this.changed("minutes", [meeting.state, meeting.agenda, meeting.participants, live.speakers, live.polls, live.conclusions]) &&
      this.showsMinutes
    ) {
      this.minutes.refresh();
    }
    if (this.changed("polls", [common, live.polls, live.current_item_id])) this.polls.draw();
    this.timer.draw();
    this.announcement.draw();
    if (this.changed("rollcall", [common, meeting.participants, this.live.signals["presence.changed"]])) {
      this.drawRollCall();
    }
    if (this.focusSelector) {
      this.root.querySelector(this.focusSelector)?.focus();
      this.focusSelector = null;
    }
  }

  // -- head: state, connection, meeting control ---------------------------------------------

  drawHead() {
    const { meeting } = this.state;
    const item = currentItem(this.state);
    const numbers = agendaNumbers(meeting.agenda);
    const actions = this.controller ? CONTROL_ACTIONS[meeting.state] ?? [] : [];
    fill(
      this.slots.head,
      h(
        "div",
        { class: "run-head-main" },
        h(
          "div",
          { class: "badges" },
          stateBadge(meeting.state),
          classificationBadge(meeting.classification),
          statusPill(this.live.status),
        ),
        h("h1", { class: "meeting-title", "data-testid": "meeting-title" }, meeting.title),
        h(
          "p",
          { class: "run-current", "data-testid": "run-current-item" },
          item
            ? t("run.current_item", { number: numbers.get(item.id), title: item.title })
            : t("run.no_current_item"),
        ),
      ),
      h(
        "div",
        { class: "run-head-actions", "data-testid": "run-control" },
        actions.map((action) =>
          h("button", {
            type: "button",
            class: ["btn", PRIMARY.has(action) && "btn-primary", action === "close" && "btn-danger-outline"],
            "data-action": action,
            text: t(`action.${action}`),
            on: { click: (e) => this.control(action, e.currentTarget) },
          }),
        ),
        meeting.state === "closed" && this.controller && this.docs.current.length
          ? h("button", {
              type: "button",
              class: "btn btn-danger-outline",
              "data-testid": "recall-all",
              text: t("run.recall_all"),
              on: { click: (e) => this.recallAll(e.currentTarget) },
            })
          : null,
        h("a", {
          class: "btn",
          href: `../room/#/meetings/${this.meetingId}`,
          target: "_blank",
          rel: "noopener",
          "data-testid": "open-room",
          text: t("run.open_room"),
        }),
      ),
    );
  }

  async control(action, button) {
    if (action === "close") {
      const ok = await confirmAction({
        title: t("confirm.close.title"),
        message: t("confirm.close.message", { title: this.state.meeting.title }),
        confirmLabel: t("action.close"),
        danger: true,
      });
      if (!ok) return;
    }
    const done = await this.run("meeting.control", { action }, button);
    if (done) showNotice(t(`action_done.${action}`));
  }

  async recallAll(button) {
    const ok = await confirmAction({
      title: t("run.recall_all_title"),
      message: t("run.recall_all_message", { count: this.docs.current.length }),
      confirmLabel: t("run.recall_all"),
      danger: true,
    });
    if (!ok) return;
    const done = await busy(button, () =>
      this.ctx.run(() => post(`/api/meetings/${this.meetingId}/documents/recall`)),
    );
    if (done) showNotice(t("run.recalled_all", { count: done.recalled.length }));
  }

  // -- the middle column's tabs: the presenter or the minutes ---------------------------------

  get showsMinutes() {
    return Boolean(this.controller) && this.ui.mainTab === "minutes";
  }

  drawTabs() {
    const minutes = this.showsMinutes;
    this.slots.tabs.hidden = !this.controller;
    this.slots.presenter.hidden = minutes;
    this.minutes.element.hidden = !minutes;
    if (minutes && !this.minutes.view) this.minutes.load();
    if (!this.controller) return;
    fill(
      this.slots.tabs,
      [
        ["presenter", t("run.tab_presenter")],
        ["minutes", t("run.tab_minutes")],
      ].map(([tab, label]) =>
        h("button", {
          type: "button",
          class: ["tab", tab === this.ui.mainTab && "tab-current"],
          role: "tab",
          "aria-selected": tab === this.ui.mainTab ? "true" : "false",
          "data-testid": `run-tab-${tab}`,
          text: label,
          on: {
            click: () => {
              this.ui.mainTab = tab;
              window.sessionStorage.setItem(this.tabKey, tab);
              this.schedule();
            },
          },
        }),
      ),
    );
  }

  // -- agenda ----------------------------------------------------------------------------------

  drawAgenda() {
    const { meeting, live } = this.state;
    const numbers = agendaNumbers(meeting.agenda);
    const itemRow = (item) => {
      const current = live.current_item_id === item.id;
      const docs = this.docs.current.filter((d) => d.agenda_item_id === item.id);
      return h(
        "li",
        {
          class: ["run-item", current && "run-item-current", `run-item-${item.state}`],
          "data-item-id": item.id,
          "data-testid": "run-item",
          "aria-current": current ? "true" : null,
        },
        h(
          "div",
          { class: "run-item-row" },
          h("span", { class: "agenda-number" }, numbers.get(item.id)),
          h(
            "span",
            { class: "agenda-text" },
            h("span", { class: "agenda-title" }, item.title),
            item.presenter ? h("span", { class: "agenda-meta" }, t("agenda.presented_by", { presenter: item.presenter })) : null,
            current
              ? h("span", { class: "badge badge-current" }, t("run.item_current"))
              : item.state === "done"
                ? h("span", { class: "badge badge-done" }, t("run.item_done"))
                : null,
          ),
          this.controller
            ? h(
                "span",
                { class: "run-item-tools" },
                current
                  ? null
                  : h("button", {
                      type: "button",
                      class: "btn btn-primary",
                      disabled: !this.running,
                      "data-testid": "open-item",
                      "aria-label": t("run.open_item_named", { title: item.title }),
                      text: t("run.open_item"),
                      on: { click: (e) => this.run("agenda.open_item", { item_id: item.id }, e.currentTarget) },
                    }),
                item.state === "done"
                  ? null
                  : h("button", {
                      type: "button",
                      class: "btn",
                      disabled: !this.running,
                      "data-testid": "finish-item",
                      "aria-label": t("run.finish_item_named", { title: item.title }),
                      text: t("run.finish_item"),
                      on: { click: (e) => this.run("agenda.finish_item", { item_id: item.id }, e.currentTarget) },
                    }),
              )
            : null,
        ),
        docs.length ? h("ul", { class: "run-docs" }, docs.map((d) => this.docRow(d))) : null,
        item.children?.length ? h("ol", { class: "run-children" }, item.children.map(itemRow)) : null,
      );
    };
    const general = this.docs.current.filter((d) => d.agenda_item_id === null || d.agenda_item_id === undefined);
    fill(
      this.slots.agenda,
      h("h2", { id: "run-agenda-title" }, t("tab.agenda")),
      meeting.agenda.length
        ? h("ol", { class: "run-agenda-list", "data-testid": "run-agenda" }, meeting.agenda.map(itemRow))
        : h("p", { class: "empty-inline" }, t("agenda.empty")),
      general.length
        ? [h("h3", { class: "run-docs-head" }, t("run.general_documents")), h("ul", { class: "run-docs" }, general.map((d) => this.docRow(d)))]
        : null,
    );
  }

  docRow(doc) {
    const presenting = this.state.live.presenter?.document_id === doc.id;
    return h(
      "li",
      { class: ["run-doc", presenting && "run-doc-presenting"], "data-document-id": doc.id },
      h(
        "span",
        { class: "run-doc-title" },
        doc.title,
        h("span", { class: "muted" }, ` · ${t("documents.pages", { count: doc.version.page_count })}`),
        classificationBadge(doc.classification),
      ),
      this.controller
        ? h("button", {
            type: "button",
            class: ["btn", presenting ? "btn-quiet" : ""],
            disabled: !this.running || presenting,
            "data-testid": "present-document",
            "aria-label": t("run.present_named", { title: doc.title }),
            text: presenting ? t("run.presenting") : t("run.present"),
            on: {
              click: (e) => {
                this.ui.docId = doc.id;
                this.showPage(doc.id, 1, e.currentTarget);
              },
            },
          })
        : null,
    );
  }

  // -- presenter ---------------------------------------------------------------------------------

  showPage(documentId, page, button = null) {
    markSent("presenter.show_page", { document_id: documentId, page });
    return this.run("presenter.show_page", { document_id: documentId, page }, button);
  }

  /**
   * The presenter panel is built once per document and then updated in place: the
   * viewer summary changes several times a second, and a rebuilt panel would reload its
   * images and move the buttons under the secretary's finger.
   */
  drawPresenter() {
    const { live } = this.state;
    const docs = this.docs.current;
    const presented = live.presenter ? this.docs.byId(live.presenter.document_id) : null;
    if (presented) this.ui.docId = presented.id;
    if (!docs.some((d) => d.id === this.ui.docId)) {
      const item = live.current_item_id;
      this.ui.docId = (docs.find((d) => d.agenda_item_id === item) ?? docs[0])?.id ?? null;
    }
    const doc = this.ui.docId ? this.docs.byId(this.ui.docId) : null;
    if (!doc) {
      this.presenter = null;
      fill(
        this.slots.presenter,
        h("h2", { id: "run-presenter-title" }, t("run.presenter")),
        h("p", { class: "empty-inline" }, this.docs.loaded ? t("run.no_documents") : t("common.loading")),
      );
      return;
    }
    const key = JSON.stringify([docs.map((d) => [d.id, d.version.id, d.title]), doc.id, doc.version.id, this.controller]);
    if (this.presenter?.key !== key) this.buildPresenter(key, docs, doc);
    const parts = this.presenter;
    const page = presented && presented.id === doc.id ? live.presenter.page : null;
    const count = doc.version.page_count;
    parts.chooser.value = String(doc.id);
    fill(parts.summary, ...this.signalsSummary());
    if (parts.nav) {
      parts.prev.disabled = !this.running || !page || page <= 1;
      parts.next.disabled = !this.running || (page !== null && page >= count);
      parts.next.textContent = page ? t("run.page_next") : t("run.present");
      parts.pageText.textContent = page ? t("documents.page_of", { page, count }) : t("run.not_presented");
      parts.clear.hidden = !live.presenter;
    }
    parts.onPage = page;
    if (page) {
      const src = pageUrl(doc.version.id, page, pickWidth(560));
      if (parts.image.getAttribute("src") !== src) {
        parts.image.src = src;
        parts.image.alt = t("documents.page_alt", { title: doc.title, page });
      }
      parts.preview.hidden = false;
      parts.idle.hidden = true;
    } else {
      parts.preview.hidden = true;
      parts.idle.hidden = false;
    }
    for (const button of parts.thumbs.querySelectorAll(".thumb")) {
      const current = Number(button.dataset.page) === page;
      button.classList.toggle("thumb-current", current);
      button.disabled = !this.controller || !this.running;
      if (current) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
  }

  buildPresenter(key, docs, doc) {
    const parts = { key, doc };
    const count = doc.version.page_count;
    parts.chooser = h(
      "select",
      {
        "data-testid": "presenter-document",
        on: {
          change: (e) => {
            this.ui.docId = Number(e.target.value);
            this.schedule();
          },
        },
      },
      docs.map((d) => h("option", { value: String(d.id) }, d.title)),
    );
    parts.summary = h("p", { class: "viewer-summary", "data-testid": "viewer-summary" });
    parts.pageText = h("span", { class: "presenter-page", "data-testid": "presenter-page" });
    parts.prev = h("button", {
      type: "button",
      class: "btn",
      "data-testid": "presenter-prev",
      text: t("run.page_prev"),
      on: { click: (e) => parts.onPage && this.showPage(doc.id, parts.onPage - 1, e.currentTarget) },
    });
    parts.next = h("button", {
      type: "button",
      class: "btn btn-primary",
      "data-testid": "presenter-next",
      on: { click: (e) => this.showPage(doc.id, parts.onPage ? parts.onPage + 1 : 1, e.currentTarget) },
    });
    parts.clear = h("button", {
      type: "button",
      class: "btn btn-danger-outline",
      "data-testid": "presenter-clear",
      text: t("run.stop_presenting"),
      on: { click: (e) => this.run("presenter.clear", {}, e.currentTarget) },
    });
    parts.nav = this.controller ? h("div", { class: "presenter-nav" }, parts.prev, parts.pageText, parts.next, parts.clear) : null;
    parts.image = h("img", { alt: "", "data-testid": "presenter-image" });
    parts.preview = h("figure", { class: "presenter-preview" }, parts.image);
    parts.idle = h("p", { class: "presenter-idle muted" }, t("run.choose_page"));
    parts.thumbs = h(
      "ol",
      { class: "thumbs presenter-thumbs", "aria-label": t("documents.thumbnails") },
      Array.from({ length: count }, (_, i) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "thumb",
              "aria-label": t("run.show_page_named", { page: i + 1 }),
              "data-page": i + 1,
              on: { click: (e) => this.showPage(doc.id, i + 1, e.currentTarget) },
            },
            h("img", { src: pageUrl(doc.version.id, i + 1, THUMB_WIDTH), alt: "", loading: "lazy" }),
            h("span", { class: "thumb-number" }, String(i + 1)),
          ),
        ),
      ),
    );
    this.presenter = parts;
    fill(
      this.slots.presenter,
      h("h2", { id: "run-presenter-title" }, t("run.presenter")),
      field(t("run.document"), parts.chooser),
      parts.summary,
      parts.nav,
      parts.preview,
      parts.idle,
      parts.thumbs,
    );
  }

  signalsSummary() {
    const s = this.live.signals["viewer.summary"];
    if (!s) return [t("run.viewers_unknown")];
    return [
      h("strong", {}, t("run.viewers_on_page", { count: s.on_presenter_page, total: s.connected })),
      " · ",
      t("run.viewers_following", { count: s.following, total: s.connected }),
    ];
  }

  // -- speakers ------------------------------------------------------------

  drawSpeakers() {
    const queue = this.state.live.speakers ?? [];
    const speaking = queue.find((q) => q.state === "speaking");
    const waiting = queue.filter((q) => q.state === "waiting");
    fill(
      this.slots.speakers,
      h(
        "div",
        { class: "section-head" },
        h("h2", { id: "run-speakers-title" }, t("run.speakers")),
        h("span", { class: "muted" }, t("run.speakers_waiting", { count: waiting.length })),
      ),
      speaking
        ? h(
            "div",
            { class: "speaking-now", "data-testid": "speaking-now" },
            h("span", { class: "speaking-label" }, t("run.speaking_now")),
            h("span", { class: "person-name" }, participantName(this.state, speaking.participant_id)),
            this.controller
              ? h("button", {
                  type: "button",
                  class: "btn",
                  "data-testid": "speaker-finish",
                  text: t("run.speaker_finish"),
                  on: {
                    click: (e) => this.run("speaker.finish", { participant_id: speaking.participant_id }, e.currentTarget),
                  },
                })
              : null,
          )
        : null,
      waiting.length
        ? h(
            "ol",
            { class: "speaker-queue", "data-testid": "speaker-queue" },
            waiting.map((q) =>
              h(
                "li",
                { "data-participant-id": q.participant_id },
                h("span", { class: "person-name" }, participantName(this.state, q.participant_id)),
                this.controller
                  ? h("button", {
                      type: "button",
                      class: "btn btn-primary",
                      disabled: !this.running,
                      "data-testid": "speaker-grant",
                      "aria-label": t("run.speaker_grant_named", { name: participantName(this.state, q.participant_id) }),
                      text: t("run.speaker_grant"),
                      on: { click: (e) => this.run("speaker.grant", { participant_id: q.participant_id }, e.currentTarget) },
                    })
                  : null,
              ),
            ),
          )
        : speaking
          ? null
          : h("p", { class: "empty-inline" }, t("run.speakers_none")),
    );
  }

  // -- roll call and presence ----------------------------------------------------------------------

  drawRollCall() {
    // A redraw must not lose an absence reason being typed.
    const typing = this.slots.rollcall.querySelector('input[name="reason"]');
    const kept = typing
      ? { id: typing.dataset.focus, value: typing.value, focused: document.activeElement === typing }
      : null;
    this.fillRollCall();
    if (kept) {
      const input = this.slots.rollcall.querySelector(`[data-focus="${kept.id}"]`);
      if (input) {
        input.value = kept.value;
        if (kept.focused) input.focus();
      }
    }
  }

  fillRollCall() {
    const screen = this;
    const state = this.state.meeting.state;
    const page = {
      ctx: this.ctx,
      meetingId: this.meetingId,
      detail: this.state.meeting,
      rights: { rollCall: this.controller && state !== "closed" && state !== "cancelled" },
      ui: this.ui,
      presence: this.live.signals["presence.changed"]?.online ?? {},
      focusSelector: null,
      async recordAttendance(participant, attendance, reason) {
        return screen.run("attendance.record", { participant_id: participant.id, attendance, reason });
      },
      draw() {
        screen.focusSelector = this.focusSelector;
        screen.drawRollCall();
        if (screen.focusSelector) {
          screen.root.querySelector(screen.focusSelector)?.focus();
          screen.focusSelector = null;
        }
      },
    };
    fill(this.slots.rollcall, rollCallSection(page));
  }
}

let active = null;

/** `#/meetings/{id}/run`; returns a function that closes the connection. */
export function renderRunPage(ctx, token, meetingId) {
  active?.destroy();
  const screen = new RunScreen(ctx, meetingId);
  active = screen;
  if (!ctx.mount(token, screen.mount())) {
    screen.destroy();
    active = null;
    return () => {};
  }
  return () => {
    screen.destroy();
    if (active === screen) active = null;
  };
}
