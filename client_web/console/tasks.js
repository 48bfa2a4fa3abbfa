// Theo dõi nhiệm vụ: the follow-up dashboard (counts per status, the table per unit with
// late units first, the task list overdue first, filters by unit and status, exports) and
// one task (its source, files, history; the lead unit's report with attached files and an
// upload progress bar; the office's acceptance or reopening). Unit staff see only their
// unit's tasks: the server decides, this screen shows what it is given. The office of a
// superior body picks a body under it and reads its report.

import { ApiError, apiUrl, csrfToken, get, post } from "../shared/api.js";
import { showNotice } from "../shared/banner.js";
import { redrawOnChange } from "../shared/changes.js";
import { busy, field, h } from "../shared/dom.js";
import { language, t } from "../shared/i18n.js";
import { formatDateTime, formatDay } from "../shared/time.js";

/** Statuses in the server's order: overdue first. */
const STATUSES = ["overdue", "not_started", "in_progress", "done_late", "done_on_time", "cancelled"];

function statusBadge(task) {
  return h(
    "span",
    { class: "badges" },
    h("span", { class: `badge task-status task-status-${task.status}`, "data-testid": "task-status" }, t(`tasks.status.${task.status}`)),
    task.awaiting_acceptance
      ? h("span", { class: "badge task-awaiting", "data-testid": "task-awaiting" }, t("tasks.awaiting"))
      : null,
  );
}

/** The filter key of a task's unit: its unit id, or the lead unit as written. */
function unitKey(task) {
  return task.unit_id ? `id:${task.unit_id}` : `name:${task.lead_unit.toLocaleLowerCase("vi")}`;
}

function groupKey(group) {
  return group.unit_id ? `id:${group.unit_id}` : `name:${group.unit.toLocaleLowerCase("vi")}`;
}

// -- the dashboard --------------------------------------------------------------------------

function exportLinks(bodyId) {
  const link = (fmt) => {
    const params = new URLSearchParams({ lang: language() });
    if (bodyId) params.set("body_id", bodyId);
    return h(
      "a",
      { class: "btn", href: apiUrl(`/api/tasks/report.${fmt}?${params}`), download: "", "data-testid": `export-${fmt}` },
      t(`tasks.export_${fmt}`),
    );
  };
  return h("div", { class: "task-exports" }, link("docx"), link("xlsx"));
}

function statusCards(report) {
  return h(
    "ul",
    { class: "task-cards", "data-testid": "task-cards" },
    STATUSES.map((status) =>
      h(
        "li",
        { class: `task-card task-status-${status}`, "data-status": status, "data-testid": "task-card" },
        h("span", { class: "task-card-count" }, String(report.by_status[status] ?? 0)),
        h("span", { class: "task-card-label" }, t(`tasks.status.${status}`)),
      ),
    ),
    h(
      "li",
      { class: "task-card task-awaiting", "data-status": "awaiting", "data-testid": "task-card" },
      h("span", { class: "task-card-count" }, String(report.awaiting_acceptance ?? 0)),
      h("span", { class: "task-card-label" }, t("tasks.awaiting")),
    ),
  );
}

function unitTable(report, onPick) {
  return h(
    "table",
    { class: "audit-table task-units", "data-testid": "task-units" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t("tasks.unit")),
        STATUSES.map((s) => h("th", { scope: "col", class: `task-status-head task-status-${s}` }, t(`tasks.status.${s}`))),
        h("th", { scope: "col" }, t("tasks.awaiting")),
        h("th", { scope: "col" }, t("tasks.total")),
      ),
    ),
    h(
      "tbody",
      {},
      report.units.map((u) =>
        h(
          "tr",
          { "data-testid": "task-unit-row" },
          h(
            "th",
            { scope: "row" },
            h("button", { type: "button", class: "link-button", on: { click: () => onPick(groupKey(u)) } }, u.unit),
          ),
          STATUSES.map((s) => h("td", { class: u.statuses[s] && s === "overdue" ? "task-late-count" : null }, String(u.statuses[s]))),
          h("td", {}, String(u.awaiting_acceptance)),
          h("td", {}, String(u.total)),
        ),
      ),
    ),
  );
}

function taskTable(tasks) {
  return h(
    "table",
    { class: "audit-table task-list", "data-testid": "task-list" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [t("tasks.text"), t("tasks.lead_unit"), t("tasks.deadline"), t("tasks.state"), t("tasks.notice")].map((label) =>
          h("th", { scope: "col" }, label),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      tasks.map((task) =>
        h(
          "tr",
          { "data-testid": "task-row", "data-task-id": task.id },
          h("td", {}, h("a", { href: `#/tasks/${task.id}` }, task.text)),
          h("td", {}, task.lead_unit),
          h("td", {}, formatDay(task.deadline)),
          h("td", {}, statusBadge(task)),
          h("td", {}, task.source.notice.number_label),
        ),
      ),
    ),
  );
}

/** The dashboard's data: the report (of `bodyId`, or the user's own body) and, for the
 * office, the bodies under it. */
async function loadDashboard(ctx, bodyId) {
  const report = await get(`/api/tasks/report${bodyId ? `?body_id=${encodeURIComponent(bodyId)}` : ""}`);
  const bodies = ctx.isOffice ? (await get("/api/bodies/subordinate")).bodies : [];
  return { report, bodies };
}

/** The dashboard, kept up to date: a task created (a notice issued), changed or reported
 * on another console redraws it with the same filters (they live in the route). */
export async function renderTasksPage(ctx, token, query) {
  const bodyId = query.get("body") ?? "";
  const load = () => loadDashboard(ctx, bodyId);
  const draw = (next, data) => drawDashboard(ctx, next, query, data);
  draw(token, await load());
  return redrawOnChange(ctx, "tasks", null, load, draw);
}

function drawDashboard(ctx, token, query, { report, bodies }) {
  const bodyId = query.get("body") ?? "";
  const unit = query.get("unit") ?? "";
  const status = query.get("status") ?? "";
  const go = (changes) => {
    const next = new URLSearchParams({ body: bodyId, unit, status, ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    ctx.navigate(`#/tasks${next.size ? `?${next}` : ""}`);
  };
  const unitSelect = h(
    "select",
    { name: "unit", "aria-label": t("tasks.filter_unit"), on: { change: (e) => go({ unit: e.target.value }) } },
    h("option", { value: "" }, t("tasks.all_units")),
    report.units.map((u) => h("option", { value: groupKey(u), selected: groupKey(u) === unit }, u.unit)),
  );
  const statusSelect = h(
    "select",
    { name: "status", "aria-label": t("tasks.filter_status"), on: { change: (e) => go({ status: e.target.value }) } },
    h("option", { value: "" }, t("tasks.all_statuses")),
    STATUSES.map((s) => h("option", { value: s, selected: s === status }, t(`tasks.status.${s}`))),
    h("option", { value: "awaiting", selected: status === "awaiting" }, t("tasks.awaiting")),
  );
  const bodySelect = bodies.length
    ? field(
        t("tasks.body"),
        h(
          "select",
          { name: "body", "data-testid": "task-body", on: { change: (e) => go({ body: e.target.value, unit: "" }) } },
          h("option", { value: "" }, t("tasks.own_body")),
          bodies.map((b) => h("option", { value: String(b.id), selected: String(b.id) === bodyId }, b.name)),
        ),
      )
    : null;

  const shown = report.tasks.filter(
    (task) =>
      (!unit || unitKey(task) === unit) &&
      (!status || (status === "awaiting" ? task.awaiting_acceptance : task.status === status)),
  );
  const empty = report.tasks.length === 0;
  return ctx.mount(
    token,
    h(
      "div",
      { class: "tasks-page" },
      h(
        "div",
        { class: "page-head" },
        h("h1", {}, t("tasks.title")),
        report.read_only ? h("span", { class: "badge" }, t("tasks.read_only", { body: report.body.name })) : null,
        empty ? null : exportLinks(bodyId),
      ),
      bodySelect ? h("section", { class: "panel" }, bodySelect) : null,
      empty
        ? h(
            "section",
            { class: "panel" },
            h(
              "div",
              { class: "empty-state", "data-testid": "tasks-empty" },
              h("p", { class: "empty-state-title" }, t("tasks.empty")),
              h("p", { class: "muted" }, t(ctx.isOffice ? "tasks.empty_hint_office" : "tasks.empty_hint_unit")),
              ctx.isOffice && !report.read_only ? h("a", { class: "btn", href: "#/notices" }, t("tasks.go_notices")) : null,
            ),
          )
        : [
            h("section", { class: "panel" }, h("h2", {}, t("tasks.by_status")), statusCards(report)),
            h("section", { class: "panel" }, h("h2", {}, t("tasks.by_unit")), unitTable(report, (key) => go({ unit: key }))),
            h(
              "section",
              { class: "panel" },
              h("h2", {}, t("tasks.list")),
              h("div", { class: "form-row task-filters" }, unitSelect, statusSelect),
              h("p", { class: "muted", "data-testid": "task-count" }, t("tasks.count", { shown: shown.length, total: report.tasks.length })),
              shown.length ? taskTable(shown) : h("p", { class: "empty-inline" }, t("tasks.none_match")),
            ),
          ],
    ),
  );
}

// -- one task -------------------------------------------------------------------------------

/** Sends one file as the raw request body, reporting progress; resolves with the JSON. */
function uploadFile(taskId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${apiUrl(`/api/tasks/${taskId}/attachments`)}?${new URLSearchParams({ filename: file.name })}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Accept-Language", language());
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const error = data && typeof data.error === "object" ? data.error : null;
      return reject(
        new ApiError(
          xhr.status,
          error?.code ?? `http_${xhr.status}`,
          error?.message ?? t("error.unexpected", { status: xhr.status }),
          error?.params ?? {},
        ),
      );
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network_error", t("error.network"))));
    xhr.send(file);
  });
}

function attachmentLink(file) {
  return h(
    "a",
    { href: apiUrl(file.url), class: "task-file", "data-testid": "task-file", download: "" },
    `${file.filename} (${Math.max(1, Math.round(file.size / 1024))} KB)`,
  );
}

function reportForm(ctx, task) {
  const note = h("textarea", { name: "note", rows: 3, maxlength: 2000, "data-testid": "report-note" });
  const files = h("input", {
    type: "file",
    name: "files",
    multiple: true,
    accept: ".pdf,.docx,.xlsx,.jpg,.jpeg,.png",
    "data-testid": "report-files",
  });
  const done = h("input", { type: "checkbox", name: "done", "data-testid": "report-done" });
  const bar = h("progress", { max: 100, value: 0, "aria-label": t("tasks.upload_progress") });
  const label = h("span", { class: "upload-label" });
  const progress = h("div", { class: "upload-status", "data-testid": "report-progress", hidden: true }, bar, label);
  const submit = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "report-submit" }, t("tasks.report_send"));
  return h(
    "form",
    {
      class: "panel task-report",
      "data-testid": "report-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          await busy(submit, () =>
            ctx.run(async () => {
              const ids = [];
              const list = [...files.files];
              progress.hidden = list.length === 0;
              for (const [i, file] of list.entries()) {
                const onProgress = (fraction) => {
                  bar.value = Math.round(((i + fraction) / list.length) * 100);
                  label.textContent = t("tasks.uploading", { name: file.name, percent: Math.round(fraction * 100) });
                };
                onProgress(0);
                ids.push((await uploadFile(task.id, file, onProgress)).id);
              }
              progress.hidden = true;
              await post(`/api/tasks/${task.id}/reports`, { note: note.value, done: done.checked, attachment_ids: ids });
              showNotice(t(done.checked ? "tasks.reported_done" : "tasks.reported"));
              ctx.navigate(`#/tasks/${task.id}`);
            }),
          );
        },
      },
    },
    h("h2", {}, t("tasks.report_title")),
    field(t("tasks.report_note"), note),
    field(t("tasks.report_files"), files, t("tasks.report_files_hint")),
    progress,
    h("label", { class: "check" }, done, h("span", {}, t("tasks.report_done"))),
    h("div", { class: "form-actions" }, submit),
  );
}

function officeActions(ctx, task) {
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 2000, "data-testid": "reopen-reason" });
  const accept = h(
    "button",
    {
      type: "button",
      class: "btn btn-primary",
      "data-testid": "task-accept",
      disabled: !task.awaiting_acceptance,
      on: {
        click: () =>
          busy(accept, () =>
            ctx.run(async () => {
              await post(`/api/tasks/${task.id}/accept`, {});
              showNotice(t("tasks.accepted"));
              ctx.navigate(`#/tasks/${task.id}`);
            }),
          ),
      },
    },
    t("tasks.accept"),
  );
  const reopen = h(
    "button",
    {
      type: "button",
      class: "btn btn-danger-outline",
      "data-testid": "task-reopen",
      on: {
        click: () =>
          busy(reopen, () =>
            ctx.run(async () => {
              await post(`/api/tasks/${task.id}/reopen`, { reason: reason.value });
              showNotice(t("tasks.reopened"));
              ctx.navigate(`#/tasks/${task.id}`);
            }),
          ),
      },
    },
    t("tasks.reopen"),
  );
  // A form (never submitted: its buttons act), so that a half-typed reason counts as typing.
  return h(
    "form",
    { class: "panel task-office", "data-testid": "task-office", on: { submit: (event) => event.preventDefault() } },
    h("h2", {}, t("tasks.office_title")),
    task.awaiting_acceptance
      ? h("p", {}, t("tasks.awaiting_hint"))
      : h("p", { class: "muted" }, t("tasks.accepted_on", { when: formatDateTime(task.accepted_at), who: task.accepted_by_name || "—" })),
    h("div", { class: "form-actions" }, accept),
    field(t("tasks.reopen_reason"), reason),
    h("div", { class: "form-actions" }, reopen),
  );
}

function historyList(task) {
  return h(
    "ol",
    { class: "task-history", "data-testid": "task-history" },
    task.history.map((entry) =>
      h(
        "li",
        { "data-kind": entry.kind },
        h("span", { class: "muted" }, `${formatDateTime(entry.at)} · ${entry.user_name || "—"}`),
        " ",
        h("strong", {}, t(`tasks.kind.${entry.kind}`)),
        entry.from_state && entry.from_state !== entry.to_state
          ? h("span", { class: "muted" }, ` (${t(`tasks.state.${entry.from_state}`)} → ${t(`tasks.state.${entry.to_state}`)})`)
          : null,
        entry.note ? h("p", { class: "task-note" }, entry.note) : null,
        entry.attachments?.length ? h("p", {}, entry.attachments.map(attachmentLink)) : null,
      ),
    ),
  );
}

/** One task, kept up to date: a report, a state change, an acceptance on another console
 * redraws it, unless the report or reopening form here has been typed in (then a bar
 * offers the reload). */
export async function renderTaskDetail(ctx, token, id) {
  const load = () => get(`/api/tasks/${id}`);
  const draw = (next, task) => drawTask(ctx, next, task);
  draw(token, await load());
  return redrawOnChange(ctx, "tasks", id, load, draw);
}

function drawTask(ctx, token, task) {
  const dl = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
  return ctx.mount(
    token,
    h(
      "div",
      { class: "task-page", "data-testid": "task-detail" },
      h("p", {}, h("a", { href: "#/tasks" }, `← ${t("tasks.back")}`)),
      h("div", { class: "page-head" }, h("h1", {}, task.text), statusBadge(task)),
      h(
        "section",
        { class: "panel" },
        h(
          "dl",
          { class: "task-facts" },
          dl(t("tasks.lead_unit"), task.lead_unit),
          dl(t("tasks.cooperating_units"), task.cooperating_units.join(", ") || "—"),
          dl(t("tasks.deadline"), formatDay(task.deadline)),
          dl(t("tasks.done_on"), formatDay(task.done_on)),
          dl(
            t("tasks.notice"),
            ctx.isOffice
              ? h("a", { href: `#/notices/${task.source.notice.id}` }, task.source.notice.number_label)
              : task.source.notice.number_label,
          ),
          dl(t("tasks.meeting"), task.source.meeting.title),
        ),
        task.access === "cooperating" ? h("p", { class: "muted" }, t("tasks.cooperating_hint")) : null,
      ),
      task.attachments.length
        ? h("section", { class: "panel" }, h("h2", {}, t("tasks.files")), h("ul", {}, task.attachments.map((f) => h("li", {}, attachmentLink(f)))))
        : null,
      task.can_report ? reportForm(ctx, task) : null,
      task.can_accept ? officeActions(ctx, task) : null,
      h("section", { class: "panel" }, h("h2", {}, t("tasks.history")), historyList(task)),
    ),
  );
}
