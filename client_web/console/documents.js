// Tài liệu họp on the console: upload PDFs with a progress bar, then the server's check;
// title, agenda item, classification, who may read and download; a new version; recall
// of one document; and the audit list of who opened which page. Units' drafts are listed
// too, with their review state; the office approves, returns (with a reason) or publishes.

import { ApiError, apiUrl, csrfToken, get, patch, post } from "../shared/api.js";
import { showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, field, h } from "../shared/dom.js";
import { language, locale, t } from "../shared/i18n.js";
import { formatDateTime } from "../shared/time.js";

const CLASSIFICATIONS = ["normal", "confidential", "secret", "top_secret"];
const ACCESS_MODES = ["all", "named", "roles"];
const ROLES = ["chair", "secretary", "delegate", "guest"];
const EDITABLE = new Set(["draft", "scheduled", "in_progress", "paused"]);
/** Error codes of a refused upload that get an extra hint under the server's message. */
const HINTED = new Set(["document_not_pdf", "document_too_large", "pdf_encrypted", "pdf_malformed"]);

function formatSize(bytes) {
  if (bytes >= 1 << 20) return t("documents.size_mb", { size: (bytes / (1 << 20)).toLocaleString(locale(), { maximumFractionDigits: 1 }) });
  return t("documents.size_kb", { size: Math.max(1, Math.round(bytes / 1024)).toLocaleString(locale()) });
}

/** Agenda items as (id, "1.2. Title") pairs, sub-items under their item. */
function agendaChoices(detail) {
  const choices = [];
  detail.agenda.forEach((item, i) => {
    choices.push([item.id, `${i + 1}. ${item.title}`]);
    (item.children ?? []).forEach((child, j) => choices.push([child.id, `${i + 1}.${j + 1}. ${child.title}`]));
  });
  return choices;
}

/** Review actions of the office, in the order their buttons appear. */
const REVIEW_ACTIONS = ["approve", "return", "publish"];

/**
 * Sends `file` as the raw request body with XMLHttpRequest, so the upload reports its
 * progress. `onProgress(fraction)` while sending, `onChecking()` once the body is sent
 * and the server inspects the PDF. Resolves with the JSON answer; rejects with ApiError.
 */
export function uploadPdf(path, file, params, { onProgress, onChecking }) {
  return new Promise((resolve, reject) => {
    const query = new URLSearchParams(params);
    query.set("filename", file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${apiUrl(path)}?${query}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Accept-Language", language());
    // The file's own type: the server refuses what is not a PDF with a clear message.
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.upload.addEventListener("load", () => onChecking());
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      const error = data && typeof data.error === "object" ? data.error : null;
      reject(
        new ApiError(
          xhr.status,
          error?.code ?? `http_${xhr.status}`,
          error?.message ?? t("error.unexpected", { status: xhr.status }),
          error?.params ?? {},
        ),
      );
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network_error", t("error.network"))));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "upload_aborted", t("documents.upload_aborted"))));
    xhr.send(file);
  });
}

/** The progress bar, the "checking" state and the error box of one upload. */
export function uploadStatus() {
  const bar = h("progress", { max: 100, value: 0, "aria-label": t("documents.upload_progress") });
  const label = h("span", { class: "upload-label" });
  const box = h("div", { class: "upload-status", "data-testid": "upload-status", hidden: true }, bar, label);
  const error = h("div", { class: "upload-error", role: "alert", "data-testid": "upload-error", hidden: true });
  return {
    nodes: [box, error],
    start() {
      error.hidden = true;
      box.hidden = false;
      box.dataset.state = "sending";
      bar.value = 0;
      label.textContent = t("documents.uploading", { percent: 0 });
    },
    progress(fraction) {
      const percent = Math.round(fraction * 100);
      bar.value = percent;
      label.textContent = t("documents.uploading", { percent });
    },
    checking() {
      box.dataset.state = "checking";
      bar.value = 100;
      bar.removeAttribute("value"); // indeterminate while the server checks the PDF
      label.textContent = t("documents.checking");
    },
    fail(err) {
      box.hidden = true;
      error.hidden = false;
      error.dataset.code = err.code ?? "";
      error.replaceChildren(
        h("strong", {}, t("documents.upload_refused")),
        " ",
        err.message ?? String(err),
        HINTED.has(err.code) ? h("span", { class: "upload-hint" }, t(`documents.hint.${err.code}`)) : null,
      );
    },
    done() {
      box.hidden = true;
      error.hidden = true;
    },
  };
}

/** Classification, agenda item, access and downloadable controls, for upload and edit. */
function documentFields(page, doc = null) {
  const { detail } = page;
  const title = h("input", { name: "title", maxlength: 500, value: doc?.title ?? "", autocomplete: "off" });
  const item = h(
    "select",
    { name: "agenda_item_id" },
    h("option", { value: "" }, t("documents.whole_meeting")),
    agendaChoices(detail).map(([id, label]) =>
      h("option", { value: String(id), selected: doc?.agenda_item_id === id }, label),
    ),
  );
  const classification = h(
    "select",
    { name: "classification" },
    CLASSIFICATIONS.map((c) =>
      h("option", { value: c, selected: (doc?.classification ?? "normal") === c }, t(`classification.${c}`)),
    ),
  );
  const access = doc?.access ?? { mode: "all", participant_ids: [], roles: [] };
  const mode = h(
    "select",
    { name: "access" },
    ACCESS_MODES.map((m) => h("option", { value: m, selected: access.mode === m }, t(`documents.access.${m}`))),
  );
  const people = h(
    "fieldset",
    { class: "check-list", "data-testid": "access-people" },
    h("legend", {}, t("documents.access_people")),
    detail.participants.map((p) =>
      h(
        "label",
        { class: "check" },
        h("input", {
          type: "checkbox",
          name: "participant_ids",
          value: String(p.id),
          checked: access.participant_ids.includes(p.id),
        }),
        h("span", {}, p.full_name),
      ),
    ),
  );
  const roles = h(
    "fieldset",
    { class: "check-list", "data-testid": "access-roles" },
    h("legend", {}, t("documents.access_roles")),
    ROLES.map((r) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "roles", value: r, checked: access.roles.includes(r) }),
        h("span", {}, t(`meeting_role.${r}`)),
      ),
    ),
  );
  const downloadable = h("input", { type: "checkbox", name: "downloadable", checked: doc?.downloadable ?? false });
  const sync = () => {
    people.hidden = mode.value !== "named";
    roles.hidden = mode.value !== "roles";
  };
  mode.addEventListener("change", sync);
  sync();
  const checked = (set) => [...set.querySelectorAll("input:checked")].map((i) => i.value);
  return {
    nodes: [
      h(
        "div",
        { class: "form-row" },
        field(t("documents.title"), title, doc ? null : t("documents.title_hint")),
        field(t("documents.agenda_item"), item),
      ),
      h(
        "div",
        { class: "form-row form-row-end" },
        field(t("documents.classification"), classification),
        field(t("documents.access_label"), mode),
        h("label", { class: "check" }, downloadable, h("span", {}, t("documents.downloadable"))),
      ),
      people,
      roles,
    ],
    title,
    /** A message when the access list is incomplete, else null. */
    problem() {
      if (mode.value === "named" && !checked(people).length) return t("documents.access_people_missing");
      if (mode.value === "roles" && !checked(roles).length) return t("documents.access_roles_missing");
      return null;
    },
    values() {
      return {
        title: title.value.trim(),
        agendaItemId: item.value ? Number(item.value) : null,
        classification: classification.value,
        access: { mode: mode.value, participant_ids: checked(people).map(Number), roles: checked(roles) },
        downloadable: downloadable.checked,
      };
    },
  };
}

function uploadForm(page) {
  const fields = documentFields(page);
  const file = h("input", {
    type: "file",
    name: "file",
    accept: "application/pdf,.pdf",
    class: "file-input",
    "data-testid": "upload-file",
  });
  // The browser's own file button speaks the browser's language: ours speaks the UI's.
  const chosenName = h("span", { class: "file-name muted", "data-testid": "upload-file-name" }, t("documents.no_file"));
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    chosenName.textContent = chosen ? `${chosen.name} (${formatSize(chosen.size)})` : t("documents.no_file");
    chosenName.classList.toggle("muted", !chosen);
    if (chosen && !fields.title.value.trim()) fields.title.placeholder = chosen.name.replace(/\.pdf$/i, "");
  });
  const status = uploadStatus();
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("documents.upload") });
  const form = h(
    "form",
    {
      class: "document-upload",
      novalidate: true,
      "data-testid": "upload-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const chosen = file.files?.[0];
          if (!chosen) {
            status.fail({ code: "no_file", message: t("documents.file_required") });
            file.focus();
            return;
          }
          const problem = fields.problem();
          if (problem) {
            status.fail({ code: "access", message: problem });
            return;
          }
          const v = fields.values();
          const params = {
            classification: v.classification,
            downloadable: v.downloadable ? "true" : "false",
            access: v.access.mode,
          };
          if (v.title) params.title = v.title;
          if (v.agendaItemId !== null) params.agenda_item_id = String(v.agendaItemId);
          if (v.access.mode === "named") params.participant_ids = v.access.participant_ids.join(",");
          if (v.access.mode === "roles") params.roles = v.access.roles.join(",");
          status.start();
          const doc = await busy(submit, async () => {
            try {
              return await uploadPdf(`/api/meetings/${page.meetingId}/documents`, chosen, params, {
                onProgress: status.progress,
                onChecking: status.checking,
              });
            } catch (err) {
              if (err instanceof ApiError && err.status === 401) page.ctx.signedOut();
              status.fail(err);
              return null;
            }
          });
          if (!doc) return;
          status.done();
          page.ui.documents = null;
          page.draw();
          showNotice(t("documents.uploaded", { title: doc.title }));
        },
      },
    },
    h("h3", {}, t("documents.upload_title")),
    h(
      "div",
      { class: "field" },
      h("span", { class: "field-label" }, t("documents.file")),
      h("div", { class: "file-row" }, h("label", { class: "btn file-pick" }, t("documents.choose_file"), file), chosenName),
      h("span", { class: "field-hint" }, t("documents.file_hint")),
    ),
    fields.nodes,
    h("div", { class: "form-actions" }, submit),
    status.nodes,
  );
  return form;
}

function editForm(page, doc) {
  const fields = documentFields(page, doc);
  const error = h("div", { class: "upload-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("action.save") });
  return h(
    "form",
    {
      class: "document-edit",
      novalidate: true,
      "data-testid": "document-edit-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const problem = fields.problem() ?? (fields.values().title ? null : t("documents.title_required"));
          if (problem) {
            error.hidden = false;
            error.textContent = problem;
            return;
          }
          const v = fields.values();
          const body = {
            title: v.title,
            classification: v.classification,
            access: v.access,
            downloadable: v.downloadable,
          };
          if (v.agendaItemId === null) body.clear_agenda_item = true;
          else body.agenda_item_id = v.agendaItemId;
          const saved = await busy(submit, () => page.ctx.run(() => patch(`/api/documents/${doc.id}`, body)));
          if (!saved) return;
          page.ui.editingDocument = null;
          page.ui.documents = null;
          page.draw();
          showNotice(t("documents.saved"));
        },
      },
    },
    fields.nodes,
    error,
    h(
      "div",
      { class: "form-actions" },
      submit,
      h("button", {
        type: "button",
        class: "btn",
        text: t("action.cancel_edit"),
        on: {
          click: () => {
            page.ui.editingDocument = null;
            page.draw();
          },
        },
      }),
    ),
  );
}

function versionForm(page, doc) {
  const file = h("input", {
    type: "file",
    accept: "application/pdf,.pdf",
    class: "file-input",
    "data-testid": "version-file",
    "aria-label": t("documents.new_version_named", { title: doc.title }),
  });
  const status = uploadStatus();
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    status.start();
    file.disabled = true;
    try {
      await uploadPdf(`/api/documents/${doc.id}/versions`, chosen, {}, {
        onProgress: status.progress,
        onChecking: status.checking,
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) page.ctx.signedOut();
      status.fail(err);
      file.disabled = false;
      file.value = "";
      return;
    }
    page.ui.documents = null;
    page.draw();
    showNotice(t("documents.version_uploaded", { title: doc.title }));
  });
  return h(
    "div",
    { class: "document-version" },
    h("label", { class: "btn file-pick" }, t("documents.new_version"), file),
    status.nodes,
  );
}

function personName(page, entry) {
  const { detail } = page;
  const byParticipant = detail.participants.find((p) => p.id === entry.participant_id);
  if (byParticipant) return byParticipant.full_name;
  const byUser = detail.participants.find((p) => p.user_id !== null && p.user_id === entry.user_id);
  if (byUser) return byUser.full_name;
  const user = (page.users ?? []).find((u) => u.id === entry.user_id);
  if (user) return user.full_name;
  if (entry.user_id !== null && entry.user_id !== undefined) return t("documents.audit_user", { id: entry.user_id });
  return t("documents.audit_unknown");
}

const AUDIT_ACTIONS = new Set([
  "document.added",
  "document.submitted",
  "document.approved",
  "document.returned",
  "document.published",
  "document.version_added",
  "document.updated",
  "document.recalled",
  "document.downloaded",
  "document.page_served",
  "document.page_viewed",
]);

function auditAction(action) {
  if (!AUDIT_ACTIONS.has(action)) return action;
  const kind = action.slice("document.".length);
  return t(`documents.audit.${kind}`);
}

function auditList(page, doc) {
  const entries = page.ui.audit?.[doc.id];
  if (entries === undefined) return h("p", { class: "loading" }, t("common.loading"));
  if (!entries.length) return h("p", { class: "empty-inline" }, t("documents.audit_empty"));
  return h(
    "table",
    { class: "audit-table", "data-testid": "document-audit" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t("documents.audit_time")),
        h("th", { scope: "col" }, t("documents.audit_person")),
        h("th", { scope: "col" }, t("documents.audit_action")),
        h("th", { scope: "col" }, t("documents.audit_page")),
      ),
    ),
    h(
      "tbody",
      {},
      entries.map((e) =>
        h(
          "tr",
          {},
          h("td", {}, formatDateTime(e.at, { seconds: true })),
          h("td", {}, personName(page, e)),
          h("td", {}, auditAction(e.action)),
          h("td", {}, e.detail?.page ? String(e.detail.page) : "—"),
        ),
      ),
    ),
  );
}

function accessSummary(page, doc) {
  const access = doc.access;
  if (access.mode === "all") return t("documents.access.all");
  if (access.mode === "roles") {
    return t("documents.access_roles_list", { roles: access.roles.map((r) => t(`meeting_role.${r}`)).join(", ") });
  }
  const names = access.participant_ids
    .map((id) => page.detail.participants.find((p) => p.id === id)?.full_name)
    .filter(Boolean);
  return t("documents.access_people_list", { names: names.join(", ") });
}

function itemLabel(page, doc) {
  if (doc.agenda_item_id === null || doc.agenda_item_id === undefined) return t("documents.whole_meeting");
  const found = agendaChoices(page.detail).find(([id]) => id === doc.agenda_item_id);
  return found ? found[1] : "—";
}

async function recall(page, doc) {
  const ok = await confirmAction({
    title: t("documents.recall_title"),
    message: t("documents.recall_message", { title: doc.title }),
    confirmLabel: t("documents.recall"),
    danger: true,
  });
  if (!ok) return;
  const done = await page.ctx.run(() => post(`/api/documents/${doc.id}/recall`));
  if (!done) return;
  page.ui.documents = null;
  page.draw();
  showNotice(t("documents.recalled_notice", { title: doc.title }));
}

/** Asks the office why a draft goes back to its unit; resolves with the reason or null. */
async function askReason(doc) {
  const reason = h("textarea", {
    name: "reason",
    rows: 4,
    maxlength: 2000,
    required: true,
    "data-testid": "return-reason",
  });
  const error = h("p", { class: "upload-error", role: "alert", hidden: true }, t("review.reason_required"));
  const confirmed = await confirmAction({
    title: t("review.return_title"),
    message: t("review.return_message", { title: doc.title }),
    confirmLabel: t("review.return"),
    danger: true,
    body: [h("label", { class: "field" }, h("span", { class: "field-label" }, t("review.reason")), reason), error],
    validate: () => {
      if (reason.value.trim()) return true;
      error.hidden = false;
      reason.focus();
      return false;
    },
  });
  return confirmed ? reason.value.trim() : null;
}

async function reviewDocument(page, doc, action) {
  let body = {};
  if (action === "return") {
    const reason = await askReason(doc);
    if (reason === null) return;
    body = { reason };
  } else if (action === "publish") {
    const ok = await confirmAction({
      title: t("review.publish_title"),
      message: t(doc.review_state === "submitted" ? "review.publish_direct_message" : "review.publish_message", {
        title: doc.title,
      }),
      confirmLabel: t(doc.review_state === "submitted" ? "review.approve_publish" : "review.publish"),
    });
    if (!ok) return;
  }
  const done = await page.ctx.run(() => post(`/api/documents/${doc.id}/${action}`, body));
  if (!done) return;
  page.ui.documents = null;
  page.draw();
  showNotice(t(`review.done.${action}`, { title: doc.title }));
}

function reviewButtons(page, doc) {
  if (!page.ctx.isOffice || doc.recalled) return [];
  const allowed = doc.review_actions ?? [];
  return REVIEW_ACTIONS.filter((a) => allowed.includes(a)).map((action) =>
    h("button", {
      type: "button",
      class: ["btn", action === "publish" && "btn-primary", action === "return" && "btn-danger-outline"],
      "data-review": action,
      text: t(action === "publish" && doc.review_state === "submitted" ? "review.approve_publish" : `review.${action}`),
      on: { click: () => reviewDocument(page, doc, action) },
    }),
  );
}

/** The draft's state, who drafted it and why it was returned (controllers' listing). */
function reviewInfo(doc) {
  const state = doc.review_state ?? "published";
  if (state === "published" && !doc.unit_name) return null;
  return h(
    "div",
    { class: "document-review", "data-testid": "document-review" },
    doc.unit_name ? h("p", { class: "document-meta" }, t("review.unit", { unit: doc.unit_name })) : null,
    doc.review_reason && state !== "published"
      ? h(
          "p",
          { class: "review-reason", "data-testid": "review-reason" },
          h("strong", {}, t(state === "returned" ? "review.reason_label" : "review.previous_reason_label")),
          " ",
          doc.review_reason,
        )
      : null,
  );
}

function toggleAudit(page, doc) {
  page.ui.audit ??= {};
  page.ui.auditOpen ??= new Set();
  if (page.ui.auditOpen.has(doc.id)) {
    page.ui.auditOpen.delete(doc.id);
    page.draw();
    return;
  }
  page.ui.auditOpen.add(doc.id);
  delete page.ui.audit[doc.id];
  page.draw();
  page.ctx.run(async () => {
    if (!page.users?.length) {
      // Names of staff who are not participants (the office); a secretary may not list users.
      try {
        page.users = (await get("/api/users")).users;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 403)) throw err;
      }
    }
    page.ui.audit[doc.id] = (await get(`/api/documents/${doc.id}/audit`)).entries;
    if (page.tab === "documents") page.draw();
  });
}

const PREMARK_POLL_MS = 2000;

/** A classified document's pages watermarked in advance for its readers (the server does it
 * in the background after publishing): progress, asked again while it runs. */
function premarkStatus(page, doc) {
  if (!page.rights.runs || doc.recalled || doc.classification === "normal") return null;
  page.ui.premark ??= {};
  let known = page.ui.premark[doc.id];
  if (!known || known.version_id !== doc.version.id || known.stale) {
    // Keep showing the last figures while asking for new ones.
    const shown = known?.version_id === doc.version.id ? known : { version_id: doc.version.id, done: 0, total: 0 };
    known = page.ui.premark[doc.id] = { ...shown, stale: false };
    page.ctx.run(async () => {
      const status = await get(`/api/documents/${doc.id}/premark`);
      page.ui.premark[doc.id] = status;
      if (status.running) {
        setTimeout(() => {
          status.stale = true;
          if (page.tab === "documents") page.draw();
        }, PREMARK_POLL_MS);
      }
      if (page.tab === "documents") page.draw();
    });
  }
  if (!known.total) return null;
  const figures = { done: known.done, total: known.total };
  let text = t("documents.premark_idle", figures);
  if (known.done >= known.total) text = t("documents.premark_done", figures);
  else if (known.running) text = t("documents.premark_running", figures);
  return h("p", { class: "document-meta", "data-testid": "document-premark" }, text);
}

function documentCard(page, doc, editable) {
  const version = doc.version;
  const editing = page.ui.editingDocument === doc.id;
  const auditOpen = page.ui.auditOpen?.has(doc.id);
  const tools = [];
  if (!doc.recalled) {
    tools.push(
      h("a", {
        class: "btn",
        href: apiUrl(`/api/versions/${version.id}/download`),
        download: version.filename || `${doc.title}.pdf`,
        text: t("documents.download"),
      }),
    );
  }
  if (editable && !doc.recalled && !editing) {
    tools.push(
      h("button", {
        type: "button",
        class: "btn",
        text: t("action.edit"),
        "aria-label": t("documents.edit_named", { title: doc.title }),
        on: {
          click: () => {
            page.ui.editingDocument = doc.id;
            page.draw();
          },
        },
      }),
    );
  }
  if (page.rights.runs) {
    tools.push(
      h("button", {
        type: "button",
        class: "btn",
        "aria-expanded": auditOpen ? "true" : "false",
        text: t(auditOpen ? "documents.audit_hide" : "documents.audit_show"),
        on: { click: () => toggleAudit(page, doc) },
      }),
    );
  }
  if (page.ctx.isOffice) {
    // The draft's comment table (client_web/console/comments.js).
    tools.push(h("a", { class: "btn", href: `#/documents/${doc.id}/comments`, text: t("comments.open") }));
  }
  if (page.rights.runs && !doc.recalled) {
    tools.push(
      h("button", {
        type: "button",
        class: "btn btn-danger-outline",
        text: t("documents.recall"),
        "aria-label": t("documents.recall_named", { title: doc.title }),
        on: { click: () => recall(page, doc) },
      }),
    );
  }
  tools.unshift(...reviewButtons(page, doc));
  const reviewState = doc.review_state ?? "published";
  return h(
    "li",
    {
      class: ["document-card", doc.recalled && "document-recalled", reviewState !== "published" && "document-draft"],
      "data-testid": "document",
      "data-document-id": doc.id,
      "data-review-state": reviewState,
    },
    h(
      "div",
      { class: "document-main" },
      h(
        "div",
        { class: "badges" },
        // Office uploads are published at once: only a unit's document shows its review state.
        reviewState !== "published" || doc.unit_id
          ? h("span", { class: ["badge", `badge-review-${reviewState}`], "data-testid": "review-state" }, t(`review.state.${reviewState}`))
          : null,
        h("span", { class: ["badge", doc.classification !== "normal" && "badge-secret"] }, t(`classification.${doc.classification}`)),
        doc.recalled ? h("span", { class: "badge badge-recalled", "data-testid": "document-recalled" }, t("documents.recalled")) : null,
        doc.downloadable ? h("span", { class: "badge" }, t("documents.downloadable_badge")) : null,
      ),
      h("h3", { class: "document-title", "data-testid": "document-title" }, doc.title),
      h(
        "p",
        { class: "document-meta" },
        h("span", {}, itemLabel(page, doc)),
        h("span", { "data-testid": "document-version" }, t("documents.version", { number: version.number })),
        h("span", {}, t("documents.pages", { count: version.page_count })),
        h("span", {}, formatSize(version.size)),
        version.filename ? h("span", { class: "document-file" }, version.filename) : null,
      ),
      doc.access ? h("p", { class: "document-meta", "data-testid": "document-access" }, accessSummary(page, doc)) : null,
      premarkStatus(page, doc),
      reviewInfo(doc),
    ),
    h("div", { class: "document-tools" }, tools),
    editable && !doc.recalled && !editing ? versionForm(page, doc) : null,
    editing ? editForm(page, doc) : null,
    auditOpen ? h("div", { class: "document-audit" }, h("h4", {}, t("documents.audit_title")), auditList(page, doc)) : null,
  );
}

export function documentsSection(page) {
  const { detail, rights } = page;
  const editable = rights.runs && EDITABLE.has(detail.state);
  if (page.ui.documents === undefined || page.ui.documents === null) {
    // Loaded once per drawing that asked for it; uploads and edits clear it.
    page.ui.documents = "loading";
    page.ctx.run(async () => {
      try {
        const query = rights.runs ? "?drafts=true" : "";
        page.ui.documents = (await get(`/api/meetings/${page.meetingId}/documents${query}`)).documents;
      } catch (err) {
        page.ui.documents = [];
        throw err;
      }
      if (page.tab === "documents") page.draw();
    });
  }
  const docs = Array.isArray(page.ui.documents) ? page.ui.documents : null;
  let list;
  if (docs === null) list = h("p", { class: "loading" }, t("common.loading"));
  else if (!docs.length) {
    list = h(
      "div",
      { class: "empty-state", "data-testid": "documents-empty" },
      h("p", { class: "empty-state-title" }, t("documents.empty_title")),
      h("p", { class: "muted" }, t(editable ? "documents.empty_hint" : "documents.empty_readonly")),
    );
  } else {
    list = h("ol", { class: "document-list" }, docs.map((d) => documentCard(page, d, editable)));
  }
  const current = docs ? docs.filter((d) => !d.recalled && (d.review_state ?? "published") === "published").length : 0;
  const waiting = docs ? docs.filter((d) => d.review_state === "submitted").length : 0;
  return h(
    "section",
    { class: "panel" },
    h(
      "div",
      { class: "section-head" },
      h("h2", {}, t("tab.documents")),
      docs ? h("span", { class: "muted" }, t("documents.counts", { count: current })) : null,
      waiting ? h("span", { class: "badge badge-review-submitted", "data-testid": "drafts-waiting" }, t("review.waiting", { count: waiting })) : null,
    ),
    editable ? h("div", { class: "document-new" }, uploadForm(page)) : null,
    !editable && rights.runs ? h("p", { class: "muted" }, t("documents.closed_hint")) : null,
    list,
  );
}
