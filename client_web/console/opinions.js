// Lấy ý kiến bằng văn bản: the list of consultations (#/opinions), sending one (members,
// deadline, an optional draft of a meeting), and one consultation (#/opinions/<id>): the
// office sees the tally, every answer, who has not answered, and closes it; a member reads
// the draft's pages and answers, pointing at a page and a section if they wish.

import { apiUrl, get, post, put } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { dateTimeInput, readDateTime } from "../shared/datefield.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatMoment } from "../shared/time.js";

const CHOICES = ["agree", "disagree", "other"];

function when(iso) {
  return iso ? formatMoment(iso) : "";
}

function stateBadge(c) {
  return c.closed
    ? h("span", { class: "badge badge-state-closed", "data-testid": "consultation-state" }, t("opinions.closed"))
    : h("span", { class: "badge badge-state-in_progress", "data-testid": "consultation-state" }, t("opinions.open"));
}

function answerText(answer) {
  if (!answer) return t("opinions.no_answer");
  const parts = [t(`opinions.choice.${answer.choice}`)];
  if (answer.section || answer.page) {
    const place = [answer.section, answer.page ? t("opinions.page_n", { page: answer.page }) : null].filter(Boolean);
    parts.push(`(${place.join(", ")})`);
  }
  if (answer.text) parts.push(`— ${answer.text}`);
  return parts.join(" ");
}

// -- the list ------------------------------------------------------------------------------

function consultationCard(c, isOffice) {
  return h(
    "li",
    {},
    h(
      "a",
      { class: "meeting-card", href: `#/opinions/${c.id}`, "data-testid": "consultation-card" },
      h(
        "span",
        { class: "meeting-card-head" },
        h("span", { class: "meeting-card-title" }, c.title),
        h("span", { class: "badges" }, stateBadge(c)),
      ),
      h("span", { class: "meeting-card-meta" }, t("opinions.deadline_at", { deadline: c.deadline_local })),
      isOffice ? null : h("span", { class: "meeting-card-meta" }, answerText(c.my_answer)),
    ),
  );
}

function tablesPanel(tables) {
  if (!tables.length) return null;
  return h(
    "section",
    { class: "panel", "data-testid": "comment-tables" },
    h("h2", {}, t("opinions.tables")),
    h(
      "ul",
      { class: "meeting-list" },
      tables.map((x) =>
        h(
          "li",
          {},
          h(
            "a",
            { class: "meeting-card", href: `#/documents/${x.document_id}/comments`, "data-testid": "comment-table-link" },
            h("span", { class: "meeting-card-head" }, h("span", { class: "meeting-card-title" }, x.title), x.closed ? h("span", { class: "badge badge-state-closed" }, t("comments.closed")) : null),
            h("span", { class: "meeting-card-meta" }, [x.meeting_title, x.unit_name].filter(Boolean).join(" · ")),
          ),
        ),
      ),
    ),
  );
}

export async function renderOpinionList(ctx, token) {
  const [data, tables] = await Promise.all([get("/api/consultations"), get("/api/comment-tables")]);
  const items = data.consultations;
  let body;
  if (!items.length) {
    body = h(
      "div",
      { class: "empty-state panel", "data-testid": "empty-state" },
      h("p", { class: "empty-state-title" }, t(ctx.isOffice ? "opinions.empty_office" : "opinions.empty_member")),
      ctx.isOffice ? h("p", { class: "muted" }, t("opinions.empty_hint")) : null,
    );
  } else {
    body = h("ul", { class: "meeting-list" }, items.map((c) => consultationCard(c, ctx.isOffice)));
  }
  ctx.mount(
    token,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, t("opinions.title")),
      h("span", { class: "spacer" }),
      ctx.isOffice
        ? h("button", {
            type: "button",
            class: "btn btn-primary",
            "data-testid": "consultation-new",
            text: t("opinions.create"),
            on: { click: () => renderCreateForm(ctx, ctx.begin()) },
          })
        : null,
    ),
    body,
    tablesPanel(tables.tables),
  );
}

// -- sending one ---------------------------------------------------------------------------

async function renderCreateForm(ctx, token) {
  const [users, meetings] = await Promise.all([get("/api/users"), get("/api/meetings?limit=100")]);
  const title = h("input", { name: "title", maxlength: 300, required: true });
  const question = h("textarea", { name: "question", rows: 4, maxlength: 20000, required: true });
  const inThreeDays = new Date(Date.now() + 3 * 86400 * 1000);
  inThreeDays.setHours(17, 0, 0, 0);
  const deadline = dateTimeInput({ name: "deadline" }, inThreeDays.toISOString());
  const allowChange = h("input", { type: "checkbox", name: "allow_change" });
  const meeting = h(
    "select",
    { name: "meeting" },
    h("option", { value: "" }, t("opinions.no_draft")),
    meetings.meetings.map((m) => h("option", { value: m.id }, m.title)),
  );
  const documentSelect = h("select", { name: "document", disabled: true }, h("option", { value: "" }, t("opinions.no_draft")));
  meeting.addEventListener("change", async () => {
    documentSelect.replaceChildren(h("option", { value: "" }, t("opinions.no_draft")));
    documentSelect.disabled = !meeting.value;
    if (!meeting.value) return;
    const docs = await ctx.run(() => get(`/api/meetings/${meeting.value}/documents`));
    for (const d of docs?.documents ?? []) documentSelect.append(h("option", { value: d.id }, d.title));
  });
  const people = users.users.filter((u) => u.active);
  const boxes = people.map((u) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", name: "member", value: u.id, "data-testid": "member-choice" }),
      h("span", {}, u.title ? `${u.full_name} — ${u.title}` : u.full_name),
    ),
  );
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("opinions.send") });
  const form = h(
    "form",
    {
      class: "meeting-form",
      novalidate: true,
      "data-testid": "consultation-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const members = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
          if (!title.value.trim() || !question.value.trim() || !members.length || !deadline.value) {
            showError(t("opinions.form_incomplete"));
            return;
          }
          const created = await busy(submit, () =>
            ctx.run(() =>
              post("/api/consultations", {
                title: title.value.trim(),
                question: question.value.trim(),
                deadline: readDateTime(deadline) ?? deadline.value.trim(),
                members,
                allow_change: allowChange.checked,
                meeting_id: meeting.value ? Number(meeting.value) : null,
                document_id: documentSelect.value ? Number(documentSelect.value) : null,
              }),
            ),
          );
          if (created) {
            showNotice(t("opinions.sent", { count: members.length }));
            ctx.navigate(`#/opinions/${created.id}`);
          }
        },
      },
    },
    field(t("opinions.field_title"), title),
    field(t("opinions.field_question"), question),
    h("div", { class: "form-row" }, field(t("opinions.field_deadline"), deadline), field(t("opinions.field_meeting"), meeting), field(t("opinions.field_document"), documentSelect)),
    h("label", { class: "check" }, allowChange, h("span", {}, t("opinions.field_allow_change"))),
    h("fieldset", { class: "panel-inset" }, h("legend", {}, t("opinions.field_members")), h("div", { class: "opinion-members" }, boxes)),
    h("div", { class: "form-actions" }, h("a", { class: "btn", href: "#/opinions", text: t("action.cancel_edit") }), submit),
  );
  ctx.mount(
    token,
    h("nav", { class: "crumbs" }, h("a", { href: "#/opinions" }, t("opinions.back"))),
    h("div", { class: "page-head" }, h("h1", {}, t("opinions.create_title"))),
    h("section", { class: "panel" }, form),
  );
}

// -- one consultation ----------------------------------------------------------------------

function officePanel(ctx, c, reload) {
  const tally = c.tally;
  const rows = c.members.map((m) =>
    h(
      "tr",
      { "data-testid": "consultation-member" },
      h("td", {}, m.full_name, m.title ? h("div", { class: "muted" }, m.title) : null),
      h("td", {}, answerText(m.answer)),
      h("td", {}, m.answer ? when(m.answer.answered_at) : ""),
    ),
  );
  const waiting = c.members.filter((m) => !m.answer);
  const close = c.closed
    ? null
    : h("button", {
        type: "button",
        class: "btn btn-danger-outline",
        "data-testid": "consultation-close",
        text: t("opinions.close"),
        on: {
          click: async (event) => {
            const ok = await confirmAction({
              title: t("opinions.close"),
              message: t("opinions.close_message", { title: c.title }),
              confirmLabel: t("opinions.close"),
              danger: true,
            });
            if (!ok) return;
            if (await busy(event.currentTarget, () => ctx.run(() => post(`/api/consultations/${c.id}/close`)))) reload();
          },
        },
      });
  return [
    h(
      "section",
      { class: "panel", "data-testid": "consultation-tally" },
      h("h2", {}, t("opinions.tally")),
      h(
        "p",
        {},
        t("opinions.tally_line", {
          answered: tally.answered,
          total: tally.total,
          agree: tally.agree,
          disagree: tally.disagree,
          other: tally.other,
        }),
      ),
      waiting.length
        ? h("p", { class: "muted", "data-testid": "not-answered" }, t("opinions.not_answered", { names: waiting.map((m) => m.full_name).join(", ") }))
        : h("p", { class: "muted" }, t("opinions.all_answered")),
      h("div", { class: "form-actions" }, close),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, t("opinions.answers")),
      h(
        "table",
        { class: "audit-table" },
        h("thead", {}, h("tr", {}, h("th", {}, t("opinions.member")), h("th", {}, t("opinions.answer")), h("th", {}, t("opinions.answered_at")))),
        h("tbody", {}, rows),
      ),
    ),
  ];
}

function draftViewer(c, draft) {
  const image = h("img", { class: "opinion-page", alt: "", "data-testid": "draft-page", width: 800 });
  const pageSelect = h(
    "select",
    { "aria-label": t("opinions.page") },
    Array.from({ length: draft.version.page_count }, (_, i) => h("option", { value: i + 1 }, t("opinions.page_n", { page: i + 1 }))),
  );
  const show = () => {
    image.src = apiUrl(`/api/consultations/${c.id}/pages/${pageSelect.value}?w=800`);
    image.alt = t("opinions.page_n", { page: pageSelect.value });
  };
  pageSelect.addEventListener("change", show);
  show();
  return h(
    "section",
    { class: "panel" },
    h("div", { class: "section-head" }, h("h2", {}, draft.title), pageSelect),
    image,
  );
}

function answerForm(ctx, c, draft, reload) {
  const mine = c.my_answer;
  const choice = h(
    "div",
    { class: "form-row", role: "radiogroup" },
    CHOICES.map((value) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "radio", name: "choice", value, checked: mine?.choice === value, "data-testid": `choice-${value}` }),
        h("span", {}, t(`opinions.choice.${value}`)),
      ),
    ),
  );
  const text = h("textarea", { name: "text", rows: 4, maxlength: 5000, value: mine?.text ?? "" });
  const page = draft
    ? h(
        "select",
        { name: "page" },
        h("option", { value: "" }, t("opinions.whole_draft")),
        Array.from({ length: draft.version.page_count }, (_, i) =>
          h("option", { value: i + 1, selected: mine?.page === i + 1 }, t("opinions.page_n", { page: i + 1 })),
        ),
      )
    : null;
  const listId = `sections-${c.id}`;
  const section = draft ? h("input", { name: "section", maxlength: 200, list: listId, value: mine?.section ?? "", placeholder: t("opinions.section_example") }) : null;
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("opinions.submit") });
  return h(
    "form",
    {
      class: "panel",
      novalidate: true,
      "data-testid": "answer-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const picked = event.currentTarget.querySelector("input[name=choice]:checked");
          if (!picked) {
            showError(t("opinions.choose"));
            return;
          }
          const body = { choice: picked.value, text: text.value.trim() };
          if (draft) {
            body.page = page.value ? Number(page.value) : null;
            body.section = section.value.trim();
          }
          const done = await busy(submit, () => ctx.run(() => put(`/api/consultations/${c.id}/answer`, body)));
          if (done) {
            showNotice(t("opinions.answered"));
            reload();
          }
        },
      },
    },
    h("h2", {}, t("opinions.your_answer")),
    choice,
    field(t("opinions.text"), text, t("opinions.text_hint")),
    draft
      ? h(
          "div",
          { class: "form-row" },
          field(t("opinions.page"), page),
          field(t("opinions.section"), section, t("opinions.section_hint")),
          h("datalist", { id: listId }, draft.sections.map((s) => h("option", { value: s.label }, s.title))),
        )
      : null,
    h("div", { class: "form-actions" }, submit),
  );
}

export async function renderConsultation(ctx, token, id) {
  const c = await get(`/api/consultations/${id}`);
  const reload = () => renderConsultation(ctx, ctx.begin(), id).catch(showError);
  let draft = null;
  if (c.document && (ctx.isOffice || !c.closed)) draft = await ctx.run(() => get(`/api/consultations/${id}/document`));
  const head = h(
    "div",
    { class: "page-head" },
    h("h1", {}, c.title),
    h("span", { class: "badges" }, stateBadge(c)),
    h("span", { class: "spacer" }),
    c.document && ctx.isOffice
      ? h("a", { class: "btn", href: `#/documents/${c.document.id}/comments`, "data-testid": "open-comments", text: t("comments.open") })
      : null,
  );
  const intro = h(
    "section",
    { class: "panel" },
    h("p", { class: "opinion-question" }, c.question),
    h("p", { class: "muted" }, t("opinions.deadline_at", { deadline: c.deadline_local }), c.allow_change ? ` · ${t("opinions.change_allowed")}` : ""),
    c.document ? h("p", {}, t("opinions.on_draft", { title: c.document.title })) : null,
  );
  const parts = [h("nav", { class: "crumbs" }, h("a", { href: "#/opinions" }, t("opinions.back"))), head, intro];
  if (ctx.isOffice && c.tally) parts.push(...officePanel(ctx, c, reload));
  else {
    parts.push(h("section", { class: "panel", "data-testid": "my-answer" }, h("h2", {}, t("opinions.my_answer")), h("p", {}, answerText(c.my_answer))));
    if (c.can_answer) parts.push(answerForm(ctx, c, draft, reload));
    else if (!c.closed) parts.push(h("p", { class: "muted" }, t("opinions.no_change")));
  }
  if (draft) parts.push(draftViewer(c, draft));
  ctx.mount(token, ...parts);
}
