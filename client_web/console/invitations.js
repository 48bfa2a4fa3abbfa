// Giấy mời: the office's tab of a meeting (send the invitations, print the giấy mời, the
// confirmation table updated live from the meeting's events, decide on substitutes with
// their rights, remind those who have not answered), and a participant's own page to
// answer (#/invitation/<meeting id>, where the invitation notification leads).

import { apiUrl, get, post, put } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { LiveMeeting } from "../shared/live.js";
import { formatMoment, formatSchedule } from "../shared/time.js";

const STATES = ["invited", "confirmed", "absent", "substitute"];
const ANSWERS = ["confirmed", "absent", "substitute"];

function when(iso) {
  return iso ? formatMoment(iso) : "—";
}

// -- the office's tab -----------------------------------------------------------------------

/** The tab's state on the meeting page: the table, and the live connection feeding it. */
function tabState(page) {
  if (!page.ui.invitations) {
    const state = { table: null, live: null, loading: false };
    page.ui.invitations = state;
    state.refresh = () =>
      page.ctx.run(async () => {
        state.table = await get(`/api/meetings/${page.meetingId}/invitations`);
        if (page.tab === "invitations") page.draw();
      });
    state.refresh();
    const live = new LiveMeeting(page.meetingId, { identity: `u${page.ctx.session.user.id}` });
    live.addEventListener("event", (e) => {
      const type = e.detail.event.type;
      if (type.startsWith("participant.")) page.reload(); // the header counts the participants
      if (type.startsWith("invitation.") || type.startsWith("participant.")) state.refresh();
    });
    live.addEventListener("fatal", () => live.stop());
    state.live = live.start();
    page.onLeave(() => live.stop());
  }
  return page.ui.invitations;
}

function answerBadge(line) {
  return h(
    "span",
    { class: ["badge", `invitation-${line.state}`], "data-testid": "invitation-state" },
    t(`invitations.state.${line.state}`),
  );
}

function rightsText(sub) {
  const rights = [];
  if (sub.read) rights.push(t("invitations.right.read"));
  if (sub.speak) rights.push(t("invitations.right.speak"));
  if (sub.vote) rights.push(t("invitations.right.vote"));
  return rights.length ? rights.join(", ") : t("invitations.right.none");
}

function decisionForm(page, line) {
  const check = (name, label, checked, disabled = false) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", name, checked, disabled }),
      h("span", {}, label),
    );
  const voteAllowed = page.detail.participants.find((p) => p.id === line.participant_id)?.voting_member ?? false;
  const boxes = h(
    "span",
    { class: "invitation-rights" },
    check("read", t("invitations.right.read"), true),
    check("speak", t("invitations.right.speak"), true),
    check("vote", t("invitations.right.vote"), false, !voteAllowed),
  );
  const decide = async (button, accept) => {
    const body = { accept };
    for (const name of ["read", "speak", "vote"]) body[name] = boxes.querySelector(`input[name="${name}"]`).checked;
    const done = await busy(button, () =>
      page.ctx.run(() =>
        post(`/api/meetings/${page.meetingId}/invitations/${line.participant_id}/decision`, body),
      ),
    );
    if (done) {
      showNotice(t(accept ? "invitations.accepted" : "invitations.refused", { name: line.substitute.full_name }));
      page.ui.invitations.refresh();
    }
  };
  const accept = h("button", { type: "button", class: "btn btn-primary", text: t("invitations.accept") });
  const refuse = h("button", { type: "button", class: "btn btn-danger-outline", text: t("invitations.refuse") });
  accept.addEventListener("click", () => decide(accept, true));
  refuse.addEventListener("click", () => decide(refuse, false));
  return h("div", { class: "invitation-decision", "data-testid": "substitute-decision" }, boxes, accept, refuse);
}

function substituteCell(page, line, names) {
  const sub = line.substitute;
  if (!sub) {
    if (!line.substitute_for) return "—";
    return h("span", { class: "muted" }, t("invitations.stands_in", { name: names.get(line.substitute_for) ?? "" }));
  }
  const who = h("span", { class: "person-name" }, sub.title ? `${sub.full_name} — ${sub.title}` : sub.full_name);
  const status = h("span", { class: "muted" }, t(`invitations.substitute.${sub.state}`));
  let extra = null;
  if (sub.state === "pending" && page.rights.office) extra = decisionForm(page, line);
  if (sub.state === "accepted") {
    extra = h("div", { class: "muted", "data-testid": "substitute-rights" }, t("invitations.rights", { rights: rightsText(sub) }));
  }
  return h("div", { class: "invitation-sub-cell" }, h("div", {}, who, " ", status), extra);
}

/** The office records an answer it received by telephone or on paper. */
function recordAnswer(page, line) {
  const open = page.detail.state === "scheduled" && page.rights.office;
  if (!open || line.substitute_for || line.substitute?.state === "accepted") return null;
  const url = `/api/meetings/${page.meetingId}/invitations/${line.participant_id}`;
  const form = answerForm(page.ctx, url, line, () => page.ui.invitations.refresh());
  return h(
    "details",
    { class: "record-answer", "data-testid": "record-answer" },
    h("summary", {}, t("invitations.record_answer")),
    form,
  );
}

function tableView(page, table) {
  if (!table.invitations.length) return h("p", { class: "empty-inline" }, t("invitations.empty"));
  const names = new Map(table.invitations.map((line) => [line.participant_id, line.full_name]));
  const head = [
    "#",
    t("invitations.col.person"),
    t("invitations.col.answer"),
    t("invitations.col.reason"),
    t("invitations.col.substitute"),
    t("invitations.col.sent"),
    t("invitations.col.reminded"),
  ];
  return h(
    "table",
    { class: "audit-table invitation-table", "data-testid": "invitation-table" },
    h("thead", {}, h("tr", {}, head.map((label) => h("th", { scope: "col" }, label)))),
    h(
      "tbody",
      {},
      table.invitations.map((line, index) =>
        h(
          "tr",
          { "data-testid": "invitation-line", "data-participant-id": line.participant_id },
          h("td", {}, `${index + 1}.`),
          h(
            "td",
            {},
            h("span", { class: "person-name" }, line.full_name),
            line.title ? h("span", { class: "person-title" }, ` — ${line.title}`) : null,
            line.has_account || line.substitute_for ? null : h("span", { class: "muted" }, ` (${t("invitations.no_account")})`),
          ),
          h("td", {}, line.substitute_for ? "—" : answerBadge(line), recordAnswer(page, line)),
          h("td", {}, line.reason || "—"),
          h("td", {}, substituteCell(page, line, names)),
          h("td", { "data-testid": "invitation-sent" }, when(line.sent_at)),
          h("td", {}, when(line.reminded_at)),
        ),
      ),
    ),
  );
}

function toolbar(page, state) {
  const mid = page.meetingId;
  const scheduled = page.detail.state === "scheduled";
  const send = h("button", { type: "button", class: "btn btn-primary", "data-testid": "send-invitations", text: t("invitations.send") });
  const resend = h("button", { type: "button", class: "btn", text: t("invitations.send_all") });
  const remind = h("button", { type: "button", class: "btn", "data-testid": "remind-invitations", text: t("invitations.remind") });
  for (const button of [send, resend, remind]) button.disabled = !scheduled;
  send.addEventListener("click", async () => {
    const done = await busy(send, () => page.ctx.run(() => post(`/api/meetings/${mid}/invitations/send`)));
    if (done) {
      showNotice(t("invitations.sent", { count: done.sent, paper: done.without_account.length }));
      state.refresh();
    }
  });
  resend.addEventListener("click", async () => {
    const done = await busy(resend, () => page.ctx.run(() => post(`/api/meetings/${mid}/invitations/send?all=1`)));
    if (done) {
      showNotice(t("invitations.sent", { count: done.sent, paper: done.without_account.length }));
      state.refresh();
    }
  });
  remind.addEventListener("click", async () => {
    const done = await busy(remind, () => page.ctx.run(() => post(`/api/meetings/${mid}/invitations/remind`)));
    if (done) {
      showNotice(t("invitations.reminded", { count: done.reminded }));
      state.refresh();
    }
  });
  return h(
    "div",
    { class: "form-actions invitation-tools" },
    send,
    resend,
    remind,
    h("a", {
      class: "btn",
      href: apiUrl(`/api/meetings/${mid}/invitations.pdf`),
      target: "_blank",
      rel: "noopener",
      "data-testid": "print-invitations",
      text: t("invitations.print"),
    }),
    h("a", {
      class: "btn",
      href: apiUrl(`/api/meetings/${mid}/invitations.pdf?list=1`),
      target: "_blank",
      rel: "noopener",
      text: t("invitations.print_list"),
    }),
  );
}

export function invitationsSection(page) {
  const state = tabState(page);
  const table = state.table;
  return h(
    "section",
    { class: "panel", "data-testid": "invitations" },
    h(
      "div",
      { class: "section-head" },
      h("h2", {}, t("tab.invitations")),
      table
        ? h(
            "span",
            { class: "muted", "data-testid": "invitation-counts" },
            STATES.map((s) => `${t(`invitations.state.${s}`)}: ${table.counts[s]}`).join(" · "),
          )
        : null,
    ),
    toolbar(page, state),
    page.detail.state === "scheduled" ? null : h("p", { class: "muted" }, t("invitations.only_scheduled")),
    table ? tableView(page, table) : h("p", { class: "muted" }, t("invitations.loading")),
  );
}

// -- a participant's own invitation ---------------------------------------------------------

/** The answer form, for the participant's own invitation (`url` …/invitation) or for the
 * office recording an answer given by telephone or on paper (…/invitations/<participant>). */
function answerForm(ctx, url, mine, onSaved) {
  const choice = (value) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "radio", name: "state", value, checked: mine.state === value }),
      h("span", {}, t(`invitations.answer.${value}`)),
    );
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 500, value: mine.reason ?? "" });
  const subName = h("input", { name: "substitute_name", maxlength: 200, value: mine.substitute?.full_name ?? "" });
  const subTitle = h("input", { name: "substitute_title", maxlength: 200, value: mine.substitute?.title ?? "" });
  const reasonField = field(t("invitations.reason"), reason);
  const substituteFields = h(
    "div",
    { class: "form-row" },
    field(t("invitations.substitute_name"), subName),
    field(t("invitations.substitute_title"), subTitle),
  );
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("invitations.answer_send") });
  const form = h(
    "form",
    { class: "invitation-answer", novalidate: true, "data-testid": "invitation-answer" },
    h("fieldset", {}, h("legend", {}, t("invitations.answer_title")), ANSWERS.map(choice)),
    reasonField,
    substituteFields,
    h("div", { class: "form-actions" }, submit),
  );
  const selected = () => form.querySelector('input[name="state"]:checked')?.value ?? "";
  const sync = () => {
    reasonField.hidden = selected() === "confirmed" || selected() === "";
    substituteFields.hidden = selected() !== "substitute";
  };
  form.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const state = selected();
    if (!state) {
      showError(t("invitations.answer_pick"));
      return;
    }
    const body = { state, reason: state === "confirmed" ? "" : reason.value.trim() };
    if (state === "substitute") {
      body.substitute_name = subName.value.trim();
      body.substitute_title = subTitle.value.trim();
    }
    const saved = await busy(submit, () => ctx.run(() => put(url, body)));
    if (saved) {
      showNotice(t("invitations.answer_saved"));
      onSaved(saved);
    }
  });
  return form;
}

/** `#/invitation/{meeting id}`: the signed-in participant reads and answers their invitation. */
export async function renderMyInvitation(ctx, token, meetingId) {
  const [meeting, mine] = await Promise.all([
    get(`/api/meetings/${meetingId}`),
    get(`/api/meetings/${meetingId}/invitation`),
  ]);
  const root = h("div", { class: "invitation-page" });
  const draw = (line) => {
    const locked = line.substitute?.state === "accepted" || meeting.state !== "scheduled";
    root.replaceChildren(
      h("nav", { class: "crumbs" }, h("a", { href: "#/" }, t("meetings.back_to_list"))),
      h(
        "section",
        { class: "panel" },
        h("h1", { class: "meeting-title" }, t("invitations.mine_title")),
        h("h2", {}, meeting.title),
        h("p", { class: "meeting-meta" }, formatSchedule(meeting.starts_at, meeting.ends_at)),
        meeting.location ? h("p", { class: "meeting-meta" }, meeting.location) : null,
        h(
          "p",
          {},
          t("invitations.my_state"),
          " ",
          answerBadge(line),
          line.substitute ? ` ${line.substitute.full_name} (${t(`invitations.substitute.${line.substitute.state}`)})` : "",
        ),
        locked ? h("p", { class: "muted" }, t("invitations.locked")) : answerForm(ctx, `/api/meetings/${meetingId}/invitation`, line, draw),
        h(
          "p",
          { class: "form-actions" },
          h("a", { class: "btn", href: apiUrl(`/api/meetings/${meetingId}/invitation.pdf`), target: "_blank", rel: "noopener", text: t("invitations.print_mine") }),
          h("a", { class: "btn", href: apiUrl(`/api/meetings/${meetingId}/invitation.ics`), text: t("invitations.calendar") }),
        ),
      ),
    );
  };
  draw(mine);
  ctx.mount(token, root);
}
