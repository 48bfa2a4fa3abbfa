// Điểm danh: the secretary marks each participant present (in the room or online) or
// absent with a reason.

import { put } from "../shared/api.js";
import { busy, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const STATES = ["present", "present_online", "absent"];

// The preparation screen records over HTTP and reloads; the run screen passes
// `page.recordAttendance` (the live command) and redraws from the event.
async function record(page, participant, attendance, reason = "") {
  const saved = page.recordAttendance
    ? await page.recordAttendance(participant, attendance, reason)
    : await page.ctx.run(() =>
        put(`/api/meetings/${page.meetingId}/participants/${participant.id}/attendance`, { attendance, reason }),
      );
  if (saved) {
    page.ui.absentFormFor = null;
    page.focusSelector = `[data-participant-id="${participant.id}"] [data-attendance="${attendance}"]`;
    if (page.recordAttendance) page.draw();
    else await page.reload();
  }
}

/** A dot saying whether the participant's tablet is connected (run screen only). */
function presenceDot(page, participant) {
  if (!page.presence) return null;
  const online = (page.presence[String(participant.id)] ?? 0) > 0;
  return h("span", {
    class: ["presence-dot", online && "presence-online"],
    "data-testid": "presence",
    "data-online": online ? "true" : "false",
    title: online ? t("run.presence_online") : t("run.presence_offline"),
    "aria-label": online ? t("run.presence_online") : t("run.presence_offline"),
  });
}

function absenceForm(page, participant) {
  const reason = h("input", {
    name: "reason",
    maxlength: 500,
    value: participant.absence_reason ?? "",
    "aria-label": t("rollcall.reason_for", { name: participant.full_name }),
    placeholder: t("rollcall.reason_placeholder"),
    "data-focus": `reason-${participant.id}`,
  });
  const save = h("button", { type: "submit", class: "btn btn-primary", text: t("rollcall.save_absence") });
  return h(
    "form",
    {
      class: "absence-form",
      novalidate: true,
      on: {
        submit: (event) => {
          event.preventDefault();
          busy(save, () => record(page, participant, "absent", reason.value.trim()));
        },
      },
    },
    h("span", { class: "field-label" }, t("rollcall.reason")),
    reason,
    save,
    h("button", {
      type: "button",
      class: "btn",
      text: t("action.cancel_edit"),
      on: {
        click: () => {
          page.ui.absentFormFor = null;
          page.draw();
        },
      },
    }),
  );
}

function row(page, participant, index) {
  const { rights, ui } = page;
  const status = h(
    "span",
    { class: ["badge", `badge-attendance-${participant.attendance}`], "data-testid": "attendance" },
    t(`attendance.${participant.attendance}`),
  );
  const buttons = rights.rollCall
    ? h(
        "span",
        { class: "segmented", role: "group", "aria-label": t("rollcall.for", { name: participant.full_name }) },
        STATES.map((state) =>
          h("button", {
            type: "button",
            class: ["btn", "segment", `segment-${state}`],
            "data-attendance": state,
            "aria-pressed": participant.attendance === state ? "true" : "false",
            text: t(`rollcall.mark.${state}`),
            on: {
              click: (event) => {
                if (state === "absent") {
                  ui.absentFormFor = participant.id;
                  page.focusSelector = `[data-focus="reason-${participant.id}"]`;
                  page.draw();
                } else {
                  busy(event.currentTarget, () => record(page, participant, state));
                }
              },
            },
          }),
        ),
      )
    : null;
  return h(
    "li",
    { class: "person-row rollcall-row", "data-testid": "rollcall-row", "data-participant-id": participant.id },
    h("span", { class: "person-index" }, `${index + 1}.`),
    presenceDot(page, participant),
    h(
      "span",
      { class: "person" },
      h("span", { class: "person-name" }, participant.full_name),
      participant.title ? h("span", { class: "person-title" }, participant.title) : null,
      participant.attendance === "absent" && participant.absence_reason
        ? h("span", { class: "absence-reason" }, t("rollcall.reason_shown", { reason: participant.absence_reason }))
        : null,
    ),
    // With the buttons, the pressed one shows the state; without them, a badge does.
    h("span", { class: "person-tools" }, buttons ?? status),
    ui.absentFormFor === participant.id ? absenceForm(page, participant) : null,
  );
}

export function rollCallSection(page) {
  const { detail, rights } = page;
  const count = (state) => detail.participants.filter((p) => p.attendance === state).length;
  const summary = h(
    "p",
    { class: "rollcall-summary", "data-testid": "rollcall-summary" },
    ["present", "present_online", "absent", "unknown"].map((state) =>
      h("span", { class: ["tally", `tally-${state}`] }, t(`rollcall.tally.${state}`, { count: count(state) })),
    ),
  );
  return h(
    "section",
    { class: "panel" },
    h(
      "div",
      { class: "section-head" },
      h("h2", {}, t("tab.attendance")),
      page.presence
        ? h(
            "span",
            { class: "muted", "data-testid": "presence-count" },
            t("run.presence_count", {
              online: detail.participants.filter((p) => (page.presence[String(p.id)] ?? 0) > 0).length,
              total: detail.participants.length,
            }),
          )
        : null,
    ),
    summary,
    rights.rollCall ? null : h("p", { class: "muted" }, t("rollcall.read_only")),
    detail.participants.length
      ? h("ol", { class: "person-list" }, detail.participants.map((p, i) => row(page, p, i)))
      : h("p", { class: "empty-inline" }, t("participants.empty")),
  );
}
