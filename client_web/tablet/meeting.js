// The meeting as a delegate's tablet shows it, drawn from a meeting detail object
// (GET /api/meetings/{id}). Drawing is idempotent: live updates (later, over the
// websocket) change the detail and call renderMeeting again.

import { h, fill } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatSchedule } from "../shared/time.js";

function meta(item) {
  const parts = [];
  if (item.presenter) parts.push(t("agenda.presented_by", { presenter: item.presenter }));
  if (item.planned_minutes) parts.push(t("agenda.minutes", { minutes: item.planned_minutes }));
  return parts.length ? h("span", { class: "agenda-meta" }, parts.join(" · ")) : null;
}

function agendaItem(item, number) {
  return h(
    "li",
    { class: ["agenda-item", `agenda-item-${item.state}`], "data-item-id": item.id, "data-testid": "tablet-agenda-item" },
    h(
      "div",
      { class: "agenda-row" },
      h("span", { class: "agenda-number" }, number),
      h("span", { class: "agenda-text" }, h("span", { class: "agenda-title" }, item.title), meta(item)),
    ),
    item.children?.length
      ? h(
          "ol",
          { class: "agenda-children" },
          item.children.map((child, i) => agendaItem(child, `${number}${i + 1}.`)),
        )
      : null,
  );
}

/**
 * Draw `detail` into `root`. `me` is the participant this tablet belongs to
 * (the session's participant view), or null.
 */
export function renderMeeting(root, detail, { me = null } = {}) {
  fill(
    root,
    h(
      "section",
      { class: "tablet-meeting-head" },
      h(
        "div",
        { class: "badges" },
        h("span", { class: ["badge", `badge-state-${detail.state}`], "data-testid": "meeting-state" }, t(`state.${detail.state}`)),
        detail.classification && detail.classification !== "normal"
          ? h("span", { class: "badge badge-secret" }, t(`classification.${detail.classification}`))
          : null,
      ),
      h("h1", { class: "meeting-title", "data-testid": "meeting-title" }, detail.title),
      h(
        "dl",
        { class: "tablet-facts" },
        h("dt", {}, t("meeting.schedule")),
        h("dd", { "data-testid": "meeting-time" }, formatSchedule(detail.starts_at, detail.ends_at)),
        detail.location ? [h("dt", {}, t("meeting.location")), h("dd", { "data-testid": "meeting-location" }, detail.location)] : null,
        me
          ? [
              h("dt", {}, t("tablet.you_are")),
              h("dd", {}, `${me.full_name} — ${t(`meeting_role.${me.role}`)}`),
            ]
          : null,
      ),
    ),
    h(
      "section",
      { class: "tablet-agenda" },
      h("h2", {}, t("tab.agenda")),
      detail.agenda.length
        ? h("ol", { class: "agenda", "data-testid": "tablet-agenda" }, detail.agenda.map((item, i) => agendaItem(item, `${i + 1}.`)))
        : h("p", { class: "empty-inline" }, t("agenda.empty")),
    ),
  );
}
