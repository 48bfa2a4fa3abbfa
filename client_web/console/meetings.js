// The meeting list and the form that creates or edits a meeting's details.

import { get, post } from "../shared/api.js";
import { showError } from "../shared/banner.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { dateTimeInput, readDateTime } from "../shared/datefield.js";
import { formatSchedule } from "../shared/time.js";

export const CLASSIFICATIONS = ["normal", "confidential", "secret", "top_secret"];

export function stateBadge(state) {
  return h("span", { class: ["badge", `badge-state-${state}`], "data-testid": "meeting-state" }, t(`state.${state}`));
}

export function classificationBadge(classification) {
  if (!classification || classification === "normal") return null;
  return h("span", { class: "badge badge-secret" }, t(`classification.${classification}`));
}

function meetingCard(meeting) {
  return h(
    "li",
    {},
    h(
      "a",
      { class: "meeting-card", href: `#/meetings/${meeting.id}`, "data-testid": "meeting-card" },
      h(
        "span",
        { class: "meeting-card-head" },
        h("span", { class: "meeting-card-title" }, meeting.title),
        h("span", { class: "badges" }, classificationBadge(meeting.classification), stateBadge(meeting.state)),
      ),
      h("span", { class: "meeting-card-meta" }, formatSchedule(meeting.starts_at, meeting.ends_at)),
      meeting.location ? h("span", { class: "meeting-card-meta" }, meeting.location) : null,
    ),
  );
}

export async function renderMeetingList(ctx, token) {
  const data = await get("/api/meetings");
  // When the list is empty, the empty state carries the one "create" button.
  const create =
    ctx.isOffice && data.meetings.length
      ? h("a", { class: "btn btn-primary", href: "#/new", text: t("meetings.create") })
      : null;
  let body;
  if (data.meetings.length === 0) {
    body = h(
      "div",
      { class: "empty-state panel", "data-testid": "empty-state" },
      h("p", { class: "empty-state-title" }, t(ctx.isOffice ? "meetings.empty_office" : "meetings.empty_member")),
      ctx.isOffice ? h("p", { class: "muted" }, t("meetings.empty_hint")) : null,
      ctx.isOffice ? h("a", { class: "btn btn-primary", href: "#/new", text: t("meetings.create") }) : null,
    );
  } else {
    body = h("ul", { class: "meeting-list" }, data.meetings.map(meetingCard));
  }
  ctx.mount(
    token,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, t("meetings.title")),
      h("span", { class: "muted" }, t("meetings.count", { count: data.total })),
      h("span", { class: "spacer" }),
      create,
    ),
    body,
  );
}

/**
 * The details form. `initial` is a meeting view (or null for a new meeting);
 * `onSubmit(body)` receives the JSON body for POST/PATCH.
 */
export function meetingForm(initial, { submitLabel, onSubmit, onCancel }) {
  const title = h("textarea", { name: "title", rows: 2, maxlength: 500, value: initial?.title ?? "" });
  const location = h("input", { name: "location", maxlength: 500, value: initial?.location ?? "" });
  const startsAt = dateTimeInput({ name: "starts_at" }, initial?.starts_at);
  const endsAt = dateTimeInput({ name: "ends_at" }, initial?.ends_at);
  const classification = h(
    "select",
    { name: "classification" },
    CLASSIFICATIONS.map((c) =>
      h("option", { value: c, selected: (initial?.classification ?? "normal") === c }, t(`classification.${c}`)),
    ),
  );
  const membersTotal = h("input", {
    name: "members_total",
    type: "number",
    min: 1,
    max: 10000,
    inputmode: "numeric",
    value: initial?.members_total ?? "",
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: submitLabel });
  return h(
    "form",
    {
      class: "meeting-form",
      novalidate: true,
      on: {
        submit: async (event) => {
          event.preventDefault();
          const body = {
            title: title.value.trim(),
            location: location.value.trim(),
            // a value that is not a date goes as typed: the server names the field
            starts_at: readDateTime(startsAt) ?? startsAt.value.trim(),
            classification: classification.value,
          };
          if (!body.title || !body.starts_at) {
            showError(t("meeting_form.required"));
            (body.title ? startsAt : title).focus();
            return;
          }
          const ends = readDateTime(endsAt) ?? endsAt.value.trim();
          if (ends) body.ends_at = ends;
          if (membersTotal.value !== "") {
            const n = Number(membersTotal.value);
            if (!Number.isInteger(n) || n < 1 || n > 10000) {
              showError(t("meeting_form.members_total_invalid"));
              membersTotal.focus();
              return;
            }
            body.members_total = n;
          }
          await busy(submit, () => onSubmit(body));
        },
      },
    },
    field(t("meeting.title"), title),
    h(
      "div",
      { class: "form-row" },
      field(t("meeting.starts_at"), startsAt),
      field(t("meeting.ends_at"), endsAt),
    ),
    field(t("meeting.location"), location),
    h(
      "div",
      { class: "form-row" },
      field(t("meeting.classification"), classification),
      field(t("meeting.members_total"), membersTotal, t("meeting.members_total_hint")),
    ),
    h(
      "div",
      { class: "form-actions" },
      submit,
      onCancel ? h("button", { type: "button", class: "btn", text: t("action.cancel_edit"), on: { click: onCancel } }) : null,
    ),
  );
}

export async function renderCreateMeeting(ctx, token) {
  const form = meetingForm(null, {
    submitLabel: t("meetings.create_submit"),
    onSubmit: (body) =>
      ctx.run(async () => {
        const created = await post("/api/meetings", body);
        ctx.navigate(`#/meetings/${created.id}/agenda`);
      }),
    onCancel: () => ctx.navigate("#/"),
  });
  ctx.mount(
    token,
    h("nav", { class: "crumbs" }, h("a", { href: "#/" }, t("meetings.back_to_list"))),
    h("div", { class: "page-head" }, h("h1", {}, t("meetings.create_title"))),
    h("section", { class: "panel" }, form),
  );
  form.querySelector("textarea")?.focus();
}
