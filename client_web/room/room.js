// The room display (màn hình phòng họp): a read-only screen for the projector or the TV.
// It shows the item being discussed, the presenter's page, the timer, who speaks and who
// waits, the announcement, and the result chart when a vote closes. It is opened from the
// secretary's console (#/meetings/{id}) on a computer signed in to the console, using that
// session's cookie, or on any browser with a display link (#/display/{token}) the office
// made: the token becomes a read-only display session. Either way it sends no command.
// A display session never receives classified pages: their place shows a placeholder.

import { ApiError, currentSession, openDisplay } from "../shared/api.js";
import { showError } from "../shared/banner.js";
import { DocumentList, pageUrl, pickWidth } from "../shared/documents.js";
import { fill, h } from "../shared/dom.js";
import { initI18n, language, t } from "../shared/i18n.js";
import { agendaNumbers, currentItem, LiveMeeting } from "../shared/live.js";
import { announcementView, participantName, statusPill, tickTimers, timerView } from "../shared/liveview.js";
import { resultBars } from "../shared/polls.js";
import { formatTime } from "../shared/time.js";

const main = document.getElementById("main");
/** A closed poll's result stays on screen this long, unless the presenter turns a page. */
const RESULT_SHOWN_MS = 10 * 60 * 1000;

function meetingFromHash() {
  const match = /^#\/?meetings\/(\d+)/.exec(window.location.hash);
  return match ? Number(match[1]) : null;
}

function displayTokenFromHash() {
  const match = /^#\/?display\/([A-Za-z0-9_-]{20,100})$/.exec(window.location.hash);
  return match ? match[1] : null;
}

function message(text) {
  fill(main, h("p", { class: "room-message", "data-testid": "room-message" }, text));
}

/** A display link's projector runs all day: when its session cookie expires (4401) it
 * trades the token again, at most this often. */
const REOPEN_EVERY_MS = 60_000;
/** Server unreachable when the link is opened: try again after this long. */
const RETRY_MS = 5_000;
let lastReopen = 0;

class RoomDisplay {
  /** `reopen`: for a display link, trade its token again (the session expired). */
  constructor(meetingId, identity, { reopen = null } = {}) {
    this.reopen = reopen;
    this.live = new LiveMeeting(meetingId, { identity });
    this.docs = new DocumentList(meetingId).attach(this.live);
    this.resultPollId = null;
    this.resultUntil = 0;
    this.head = h("header", { class: "room-head" });
    this.stage = h("section", { class: "room-stage", "data-testid": "room-stage" });
    this.side = h("aside", { class: "room-side" });
    this.root = h("div", { class: "room-screen", "data-testid": "room" }, this.head, h("div", { class: "room-body" }, this.stage, this.side));
    this._frame = null;
    this._signature = {};
  }

  start() {
    fill(main, this.root);
    this.live.addEventListener("change", () => this.schedule());
    this.live.addEventListener("status", () => this.schedule());
    this.live.addEventListener("event", (e) => this.onEvent(e.detail.event));
    this.live.addEventListener("snapshot", () => this.pickRecentResult());
    this.live.addEventListener("fatal", (e) => this.onFatal(e.detail.code));
    this.docs.addEventListener("change", () => this.schedule());
    tickTimers(this.root, () => this.live.clockSkewMs);
    window.setInterval(() => this.tick(), 15_000);
    window.addEventListener("resize", () => {
      this._signature = {};
      this.schedule();
    });
    this.live.start();
    if (this.live.state) this.draw();
  }

  onFatal(code) {
    if (code === "4401" && this.reopen && Date.now() - lastReopen > REOPEN_EVERY_MS) {
      lastReopen = Date.now();
      this.live.stop();
      this.reopen();
    } else if (code === "4409") message(t("room.display_revoked"));
    else if (code === "4411") message(t("room.display_ended"));
    else showError(t("room.not_allowed"));
  }

  onEvent(event) {
    if (event.type === "poll.closed") {
      this.resultPollId = event.data.poll.id;
      this.resultUntil = Date.now() + RESULT_SHOWN_MS;
    } else if (event.type === "presenter.page_changed" || event.type === "poll.opened") {
      this.resultPollId = null;
    }
  }

  /** After a reload: a poll closed in the last minutes is still shown. */
  pickRecentResult() {
    const closed = (this.live.state?.live?.polls ?? []).filter((p) => p.state === "closed" && p.closed_at);
    const latest = closed.sort((a, b) => Date.parse(b.closed_at) - Date.parse(a.closed_at))[0];
    if (latest && Date.now() - Date.parse(latest.closed_at) < RESULT_SHOWN_MS) {
      this.resultPollId = latest.id;
      this.resultUntil = Date.parse(latest.closed_at) + RESULT_SHOWN_MS;
    }
  }

  tick() {
    if (this.resultPollId && Date.now() > this.resultUntil) this.resultPollId = null;
    this.schedule();
  }

  schedule() {
    if (this._frame) return;
    this._frame = window.requestAnimationFrame(() => {
      this._frame = null;
      if (this.live.state) this.draw();
    });
  }

  changed(name, value) {
    const text = JSON.stringify(value);
    if (this._signature[name] === text) return false;
    this._signature[name] = text;
    return true;
  }

  draw() {
    const { meeting, live } = this.live.state;
    const item = currentItem(this.live.state);
    const numbers = agendaNumbers(meeting.agenda);
    const clock = formatTime(new Date().toISOString());
    if (this.changed("head", [meeting.title, meeting.state, item?.id, item?.title, this.live.status, clock])) {
      fill(
        this.head,
        h("span", { class: "brand-mark room-mark", "aria-hidden": "true" }),
        h(
          "div",
          { class: "room-titles" },
          h("p", { class: "room-meeting", "data-testid": "room-meeting" }, meeting.title),
          h(
            "h1",
            { class: "room-item", "data-testid": "room-current-item" },
            item ? `${numbers.get(item.id)} ${item.title}` : t(`state.${meeting.state}`),
          ),
          item?.presenter ? h("p", { class: "room-presenter" }, t("agenda.presented_by", { presenter: item.presenter })) : null,
        ),
        h("div", { class: "room-clock" }, h("span", { class: "room-time" }, clock), statusPill(this.live.status)),
      );
    }
    const poll = this.resultPollId ? (live.polls ?? []).find((p) => p.id === this.resultPollId) : null;
    const presented = live.presenter ? this.docs.byId(live.presenter.document_id) : null;
    if (
      this.changed("stage", [
        poll,
        live.presenter,
        presented?.version?.id,
        meeting.agenda,
        live.current_item_id,
        this.stage.clientWidth,
        this.stage.clientHeight,
      ])
    ) {
      if (poll?.result) this.drawResult(poll);
      else if (presented?.withheld) this.drawWithheld(presented);
      else if (presented) this.drawPage(presented, live.presenter.page);
      else this.drawAgenda();
    }
    if (this.changed("side", [live.timer, live.speakers, live.announcement, live.polls, meeting.participants])) {
      this.drawSide();
    }
  }

  drawPage(doc, page) {
    const size = doc.version.pages?.[page - 1];
    const ratio = size ? size.width / size.height : 210 / 297;
    const width = pickWidth(Math.min(this.stage.clientWidth || 1200, (this.stage.clientHeight || 900) * ratio));
    fill(
      this.stage,
      h("img", {
        class: "room-page",
        src: pageUrl(doc.version.id, page, width),
        alt: t("documents.page_alt", { title: doc.title, page }),
        "data-testid": "room-page",
        "data-document-id": doc.id,
        "data-page": page,
      }),
      h(
        "p",
        { class: "room-page-caption" },
        `${doc.title} · ${t("documents.page_of", { page, count: doc.version.page_count })}`,
      ),
    );
  }

  /** A page a room display may not show (classified, or not for everyone): say where to read it. */
  drawWithheld(doc) {
    fill(
      this.stage,
      h(
        "div",
        { class: "room-withheld", "data-testid": "room-withheld", role: "status" },
        h("p", { class: "room-withheld-title" }, t(doc.classified ? "room.withheld_classified" : "room.withheld_restricted")),
        h("p", { class: "room-withheld-hint" }, t("room.withheld_hint")),
      ),
    );
  }

  drawAgenda() {
    const { meeting, live } = this.live.state;
    const numbers = agendaNumbers(meeting.agenda);
    const row = (item) =>
      h(
        "li",
        {
          class: ["room-agenda-item", live.current_item_id === item.id && "room-agenda-current", `room-agenda-${item.state}`],
        },
        h("span", { class: "agenda-number" }, numbers.get(item.id)),
        h("span", { class: "room-agenda-title" }, item.title),
        item.children?.length ? h("ol", { class: "room-agenda-children" }, item.children.map(row)) : null,
      );
    fill(
      this.stage,
      h("h2", { class: "room-agenda-head" }, t("tab.agenda")),
      h("ol", { class: "room-agenda", "data-testid": "room-agenda" }, meeting.agenda.map(row)),
    );
  }

  drawResult(poll) {
    const result = poll.result;
    fill(
      this.stage,
      h(
        "div",
        { class: "room-result", "data-testid": "room-result" },
        h("p", { class: "room-result-label" }, t("room.vote_result")),
        h("h2", { class: "room-result-title" }, poll.title),
        resultBars(poll),
        h(
          "p",
          { class: ["result-outcome", result.passed && "result-passed"], "data-testid": "room-result-outcome" },
          t(`poll.outcome.${result.outcome}`),
        ),
        h(
          "p",
          { class: "result-base muted" },
          t("room.result_base", { cast: result.ballots_cast, total: result.base_total, members: result.members_total }),
        ),
        result.sentence_vi && language() === "vi" ? h("p", { class: "result-sentence" }, result.sentence_vi) : null,
      ),
    );
  }

  drawSide() {
    const state = this.live.state;
    const { live } = state;
    const queue = live.speakers ?? [];
    const speaking = queue.find((q) => q.state === "speaking");
    const waiting = queue.filter((q) => q.state === "waiting");
    const open = (live.polls ?? []).filter((p) => p.state === "open");
    fill(
      this.side,
      live.timer ? h("section", { class: "room-panel room-timer" }, timerView(live.timer, { large: true })) : null,
      open.map((p) =>
        h(
          "section",
          { class: "room-panel room-poll", "data-testid": "room-poll-open" },
          h("h2", {}, t("room.voting_now")),
          h("p", { class: "room-poll-title" }, p.title),
          h("p", { class: "room-poll-count" }, t("room.ballots_cast", { cast: p.ballots_cast, eligible: p.eligible })),
        ),
      ),
      h(
        "section",
        { class: "room-panel room-speakers", "data-testid": "room-speakers" },
        h("h2", {}, t("room.speakers")),
        speaking
          ? h(
              "p",
              { class: "room-speaking", "data-testid": "room-speaking" },
              h("span", { class: "speaking-label" }, t("run.speaking_now")),
              h("span", { class: "room-speaker-name" }, participantName(state, speaking.participant_id)),
            )
          : null,
        waiting.length
          ? h(
              "ol",
              { class: "room-queue", "data-testid": "room-queue" },
              waiting.map((q) => h("li", {}, participantName(state, q.participant_id))),
            )
          : speaking
            ? null
            : h("p", { class: "muted" }, t("run.speakers_none")),
      ),
      announcementView(live.announcement),
    );
  }
}

/** A display link: trade its token for a display session, then show its meeting. */
async function bootDisplay(token) {
  let session;
  try {
    session = await openDisplay(token);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    message(err.message);
    if (err.status === 0) window.setTimeout(() => bootDisplay(token), RETRY_MS);
    return;
  }
  const reopen = () => bootDisplay(token).catch((err) => showError(err));
  new RoomDisplay(session.meeting_id, `d${session.meeting_id}`, { reopen }).start();
}

async function boot() {
  await initI18n();
  const token = displayTokenFromHash();
  if (token) {
    await bootDisplay(token);
    return;
  }
  const meetingId = meetingFromHash();
  if (!meetingId) {
    message(t("room.no_meeting"));
    return;
  }
  let session = null;
  try {
    session = await currentSession();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 0)) throw err;
  }
  if (!session) {
    fill(
      main,
      h(
        "div",
        { class: "room-message" },
        h("p", {}, t("room.sign_in_first")),
        h("a", { class: "btn btn-primary", href: "../console/", text: t("room.open_console") }),
      ),
    );
    return;
  }
  const identity = session.kind === "user" ? `u${session.user.id}` : `p${session.participant.id}`;
  new RoomDisplay(meetingId, identity).start();
}

boot().catch((err) => showError(err));
window.addEventListener("hashchange", () => window.location.reload());
