// The meeting as a delegate's tablet shows it when no document is open: the meeting's
// facts, the item being discussed, the agenda with each item's documents, and how far
// the download of the documents has come. Drawn from the live state; drawing is
// idempotent, the screen calls it again after each change.

import { h, fill } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { agendaNumbers } from "../shared/live.js";
import { formatSchedule } from "../shared/time.js";

function meta(item) {
  const parts = [];
  if (item.presenter) parts.push(t("agenda.presented_by", { presenter: item.presenter }));
  if (item.planned_minutes) parts.push(t("agenda.minutes", { minutes: item.planned_minutes }));
  return parts.length ? h("span", { class: "agenda-meta" }, parts.join(" · ")) : null;
}

function documentButton(doc, { presenter, onOpen }) {
  const presented = presenter?.document_id === doc.id;
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: ["doc-open", presented && "doc-open-presented"],
        "data-testid": "open-document",
        "data-document-id": doc.id,
        on: { click: () => onOpen(doc) },
      },
      h("span", { class: "doc-icon", "aria-hidden": "true" }),
      h(
        "span",
        { class: "doc-text" },
        h("span", { class: "doc-title" }, doc.title),
        h(
          "span",
          { class: "doc-meta" },
          t("documents.pages", { count: doc.version.page_count }),
          presented ? ` · ${t("tablet.on_screen_page", { page: presenter.page })}` : "",
        ),
      ),
      doc.classification !== "normal"
        ? h("span", { class: "badge badge-secret" }, t(`classification.${doc.classification}`))
        : null,
    ),
  );
}

function agendaItem(item, number, ctx) {
  const current = ctx.live.current_item_id === item.id;
  const docs = ctx.docs.filter((d) => d.agenda_item_id === item.id);
  return h(
    "li",
    {
      class: ["agenda-item", `agenda-item-${item.state}`, current && "agenda-item-current"],
      "data-item-id": item.id,
      "data-testid": "tablet-agenda-item",
      "aria-current": current ? "true" : null,
    },
    h(
      "div",
      { class: "agenda-row" },
      h("span", { class: "agenda-number" }, number),
      h(
        "span",
        { class: "agenda-text" },
        h("span", { class: "agenda-title" }, item.title),
        meta(item),
        current ? h("span", { class: "badge badge-current" }, t("tablet.item_current")) : null,
        !current && item.state === "done" ? h("span", { class: "badge badge-done" }, t("tablet.item_done")) : null,
      ),
    ),
    docs.length ? h("ul", { class: "doc-list" }, docs.map((d) => documentButton(d, ctx))) : null,
    item.children?.length
      ? h(
          "ol",
          { class: "agenda-children" },
          item.children.map((child, i) => agendaItem(child, `${number}${i + 1}.`, ctx)),
        )
      : null,
  );
}

function progressView(progress) {
  if (!progress || !progress.total) return null;
  const finished = !progress.busy;
  return h(
    "div",
    { class: ["prefetch", finished && "prefetch-done"], "data-testid": "prefetch-progress", role: "status" },
    h(
      "span",
      { class: "prefetch-text" },
      finished
        ? progress.failed
          ? t("tablet.prefetch_failed", { done: progress.done, total: progress.total })
          : t("tablet.prefetch_done", { total: progress.total })
        : t("tablet.prefetch_busy", { done: progress.done, total: progress.total }),
    ),
    h("progress", { max: progress.total, value: progress.done, "aria-hidden": "true" }),
  );
}

/**
 * Draw the meeting into `root`. `state` is the live state (snapshot + events), `me` the
 * participant this tablet belongs to, `docs` the documents it may read, `progress` the
 * page download, `onOpen(doc)` opens a document; `invitation` is the delegate's answer to
 * the invitation (tablet/invitation.js), kept across redraws.
 */
export function renderMeeting(root, { state, me, docs, progress, onOpen, invitation = null }) {
  const { meeting, live } = state;
  const numbers = agendaNumbers(meeting.agenda);
  const ctx = { live, docs, presenter: live.presenter, onOpen };
  const current = live.current_item_id
    ? meeting.agenda.flatMap((i) => [i, ...(i.children ?? [])]).find((i) => i.id === live.current_item_id)
    : null;
  const general = docs.filter((d) => d.agenda_item_id === null || d.agenda_item_id === undefined);
  const head = [
    h(
      "section",
      { class: "tablet-meeting-head" },
      h(
        "div",
        { class: "badges" },
        h("span", { class: ["badge", `badge-state-${meeting.state}`], "data-testid": "meeting-state" }, t(`state.${meeting.state}`)),
        meeting.classification && meeting.classification !== "normal"
          ? h("span", { class: "badge badge-secret" }, t(`classification.${meeting.classification}`))
          : null,
      ),
      h("h1", { class: "meeting-title", "data-testid": "meeting-title" }, meeting.title),
      h(
        "dl",
        { class: "tablet-facts" },
        h("dt", {}, t("meeting.schedule")),
        h("dd", { "data-testid": "meeting-time" }, formatSchedule(meeting.starts_at, meeting.ends_at)),
        meeting.location
          ? [h("dt", {}, t("meeting.location")), h("dd", { "data-testid": "meeting-location" }, meeting.location)]
          : null,
        me ? [h("dt", {}, t("tablet.you_are")), h("dd", {}, `${me.full_name} — ${t(`meeting_role.${me.role}`)}`)] : null,
      ),
    ),
    current
      ? h(
          "section",
          { class: "current-item", "data-testid": "tablet-current-item" },
          h("span", { class: "current-item-label" }, t("tablet.item_current")),
          h("span", { class: "current-item-title" }, `${numbers.get(current.id)} ${current.title}`),
        )
      : null,
  ];
  const rest = [
    progressView(progress),
    h(
      "section",
      { class: "tablet-agenda" },
      h("h2", {}, t("tab.agenda")),
      meeting.agenda.length
        ? h(
            "ol",
            { class: "agenda", "data-testid": "tablet-agenda" },
            meeting.agenda.map((item) => agendaItem(item, numbers.get(item.id), ctx)),
          )
        : h("p", { class: "empty-inline" }, t("agenda.empty")),
      general.length
        ? [
            h("h3", { class: "doc-list-head" }, t("tablet.general_documents")),
            h("ul", { class: "doc-list" }, general.map((d) => documentButton(d, ctx))),
          ]
        : null,
    ),
  ];
  if (invitation && invitation.parentNode === root) {
    // The invitation stays in place (and the focus in its form, a phone's keyboard open)
    // while the rest is drawn again around it.
    while (invitation.previousSibling) invitation.previousSibling.remove();
    while (invitation.nextSibling) invitation.nextSibling.remove();
    invitation.before(...head.filter(Boolean));
    invitation.after(...rest.filter(Boolean));
  } else {
    fill(root, head, invitation, rest);
  }
}
