// Dự thảo của đơn vị: a unit's staff see the meetings being prepared and their agenda
// items (titles only), upload a draft for an item with a progress bar, follow the
// office's review (submitted, approved, returned with the reason, published) and send a
// corrected version of a returned draft.

import { ApiError, get } from "../shared/api.js";
import { showNotice } from "../shared/banner.js";
import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatSchedule } from "../shared/time.js";
import { uploadPdf, uploadStatus } from "./documents.js";
import { stateBadge } from "./meetings.js";

/** Drafts the unit may still replace with a new version. */
const RESUBMITTABLE = new Set(["submitted", "returned"]);

/** Agenda items in order, sub-items after their item: [id, "1.2. Title"]. */
function agendaRows(meeting) {
  const rows = [];
  meeting.agenda.forEach((item, i) => {
    rows.push([item.id, `${i + 1}. ${item.title}`]);
    (item.children ?? []).forEach((child, j) => rows.push([child.id, `${i + 1}.${j + 1}. ${child.title}`]));
  });
  return rows;
}

/** A file button that uploads the chosen PDF at once to `path`, with progress and errors. */
function uploader(ctx, { label, ariaLabel, path, params, onDone, testId }) {
  const status = uploadStatus();
  const file = h("input", {
    type: "file",
    accept: "application/pdf,.pdf",
    class: "file-input",
    "data-testid": testId,
    "aria-label": ariaLabel,
  });
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    status.start();
    file.disabled = true;
    let result;
    try {
      result = await uploadPdf(path, chosen, params, { onProgress: status.progress, onChecking: status.checking });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) ctx.signedOut();
      status.fail(err);
      file.disabled = false;
      file.value = "";
      return;
    }
    status.done();
    onDone(result);
  });
  return h("div", { class: "document-version" }, h("label", { class: "btn file-pick" }, label, file), status.nodes);
}

function draftRow(ctx, draft, redraw) {
  const state = draft.review_state;
  return h(
    "li",
    { class: "draft-row", "data-testid": "draft", "data-draft-id": draft.id, "data-review-state": state },
    h(
      "div",
      {},
      h(
        "div",
        { class: "badges" },
        h("span", { class: ["badge", `badge-review-${state}`], "data-testid": "draft-state" }, t(`review.state.${state}`)),
        draft.recalled ? h("span", { class: "badge badge-recalled" }, t("documents.recalled")) : null,
      ),
      h("strong", { class: "document-title", "data-testid": "draft-title" }, draft.title),
      h(
        "p",
        { class: "document-meta" },
        h("span", {}, t("documents.version", { number: draft.version.number })),
        h("span", {}, t("documents.pages", { count: draft.version.page_count })),
        draft.version.filename ? h("span", { class: "document-file" }, draft.version.filename) : null,
      ),
      h("p", { class: "muted" }, t(`drafts.state_hint.${state}`)),
    ),
    h("div", {}),
    state === "returned" && draft.review_reason
      ? h(
          "p",
          { class: "review-reason", "data-testid": "draft-reason" },
          h("strong", {}, t("review.reason_label")),
          " ",
          draft.review_reason,
        )
      : null,
    RESUBMITTABLE.has(state) && !draft.recalled
      ? uploader(ctx, {
          label: t("drafts.new_version"),
          ariaLabel: t("documents.new_version_named", { title: draft.title }),
          path: `/api/preparation/drafts/${draft.id}/versions`,
          params: {},
          testId: "draft-version-file",
          onDone: (saved) => {
            showNotice(t("drafts.resubmitted", { title: saved.title }));
            redraw();
          },
        })
      : null,
  );
}

function meetingSection(ctx, meeting, redraw) {
  const items = agendaRows(meeting);
  return h(
    "section",
    { class: "panel drafts-meeting", "data-testid": "drafts-meeting", "data-meeting-id": meeting.id },
    h(
      "div",
      { class: "section-head" },
      h("h2", {}, meeting.title),
      h("div", { class: "badges" }, stateBadge(meeting.state)),
    ),
    h("p", { class: "muted" }, formatSchedule(meeting.starts_at, null)),
    items.length
      ? h(
          "ol",
          { class: "drafts-items" },
          items.map(([itemId, title]) => {
            const drafts = meeting.drafts.filter((d) => d.agenda_item_id === itemId);
            return h(
              "li",
              { class: "drafts-item", "data-testid": "drafts-item", "data-item-id": itemId },
              h(
                "div",
                { class: "drafts-item-head" },
                h("strong", {}, title),
                uploader(ctx, {
                  label: t("drafts.upload"),
                  ariaLabel: t("drafts.upload_for", { item: title }),
                  path: `/api/preparation/meetings/${meeting.id}/drafts`,
                  params: { agenda_item_id: String(itemId) },
                  testId: "draft-file",
                  onDone: (saved) => {
                    showNotice(t("drafts.submitted", { title: saved.title }));
                    redraw();
                  },
                }),
              ),
              drafts.length
                ? h("ul", { class: "drafts-list" }, drafts.map((d) => draftRow(ctx, d, redraw)))
                : h("p", { class: "muted" }, t("drafts.item_empty")),
            );
          }),
        )
      : h("p", { class: "muted", "data-testid": "drafts-no-agenda" }, t("drafts.no_agenda")),
  );
}

function emptyState(title, hint, testId) {
  return h(
    "div",
    { class: "empty-state", "data-testid": testId },
    h("p", { class: "empty-state-title" }, title),
    h("p", { class: "muted" }, hint),
  );
}

export async function renderDraftsPage(ctx, token) {
  const redraw = () => renderDraftsPage(ctx, ctx.begin());
  let data;
  try {
    data = await get("/api/preparation");
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      ctx.mount(
        token,
        h(
          "section",
          { class: "panel" },
          h("h1", {}, t("drafts.title")),
          emptyState(t("drafts.no_unit_title"), err.message, "drafts-no-unit"),
        ),
      );
      return;
    }
    throw err;
  }
  const head = h(
    "div",
    { class: "page-head" },
    h("h1", {}, t("drafts.title")),
    h("p", { class: "muted", "data-testid": "drafts-unit" }, t("drafts.unit", { unit: data.unit.name })),
    h("p", { class: "muted" }, t("drafts.intro")),
  );
  const body = data.meetings.length
    ? data.meetings.map((m) => meetingSection(ctx, m, redraw))
    : h("section", { class: "panel" }, emptyState(t("drafts.empty_title"), t("drafts.empty_hint"), "drafts-empty"));
  ctx.mount(token, head, body);
}
