// Thông báo kết luận: the conclusions per agenda item (a meeting tab), drafting the notice
// from a closed meeting, the structured editor with the server's PDF preview beside it,
// issuing (the number is final), the PDF and DOCX, and the list of notices with search.
// Where the signer signs in person: the office hands the draft to them, they return or
// sign it from "Thông báo chờ ký", and the office then numbers and issues it.

import { ApiError, apiUrl, del, get, patch, post, put } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { dateInput, readDate } from "../shared/datefield.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatDay } from "../shared/time.js";

const CONCLUDABLE = new Set(["in_progress", "paused", "closed"]);

/** Lines of a textarea, trimmed, empty ones dropped. */
function lines(textarea) {
  return textarea.value
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
}

function textarea(value, attrs = {}) {
  return h("textarea", { rows: 3, ...attrs, value: value ?? "" });
}

// -- conclusions (a tab of the meeting page) ------------------------------------------------

function pointRow(point, onRemove) {
  const text = textarea(point.text, { rows: 2, name: "point_text", maxlength: 2000 });
  const lead = h("input", { name: "chu_tri", maxlength: 300, value: point.chu_tri ?? "" });
  const helpers = h("input", { name: "phoi_hop", value: (point.phoi_hop ?? []).join("; ") });
  const deadline = dateInput({ name: "deadline" }, point.deadline ?? "");
  const row = h(
    "li",
    { class: "conclusion-point", "data-testid": "conclusion-point" },
    field(t("conclusions.point_text"), text),
    h(
      "div",
      { class: "form-row" },
      field(t("conclusions.chu_tri"), lead),
      field(t("conclusions.phoi_hop"), helpers, t("conclusions.phoi_hop_hint")),
      field(t("conclusions.deadline"), deadline),
      h("button", { type: "button", class: "btn btn-danger-outline", text: t("conclusions.remove_point"), on: { click: onRemove } }),
    ),
  );
  row.readPoint = () => ({
    text: text.value.trim(),
    chu_tri: lead.value.trim(),
    phoi_hop: helpers.value
      .split(";")
      .map((s) => s.trim())
      .filter(Boolean),
    deadline: (readDate(deadline) ?? deadline.value.trim()) || null,
  });
  return row;
}

function conclusionForm(page, item, number, conclusion, editable) {
  const summary = textarea(conclusion.summary, { name: "summary", maxlength: 5000, rows: 3 });
  const list = h("ol", { class: "conclusion-points" });
  const addPoint = (point) => {
    const row = pointRow(point, () => row.remove());
    list.append(row);
    return row;
  };
  conclusion.points.forEach(addPoint);
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("conclusions.save") });
  return h(
    "form",
    {
      class: "conclusion panel-inset",
      novalidate: true,
      "data-testid": "conclusion",
      "data-item-id": item.id,
      on: {
        submit: async (event) => {
          event.preventDefault();
          const points = [...list.children].map((row) => row.readPoint());
          if (points.some((p) => !p.text)) {
            showError(t("conclusions.point_required"));
            return;
          }
          const saved = await busy(submit, () =>
            page.ctx.run(() =>
              put(`/api/meetings/${page.meetingId}/conclusions/${item.id}`, { summary: summary.value.trim(), points }),
            ),
          );
          if (saved) showNotice(t("conclusions.saved", { number }));
        },
      },
    },
    h("h3", { class: "conclusion-title" }, `${number}. ${item.title}`),
    h("fieldset", { class: "conclusion-fields", disabled: !editable }, field(t("conclusions.summary"), summary), list),
    editable
      ? h(
          "div",
          { class: "form-actions" },
          h("button", {
            type: "button",
            class: "btn",
            text: t("conclusions.add_point"),
            on: { click: () => addPoint({ text: "", chu_tri: "", phoi_hop: [], deadline: null }).querySelector("textarea").focus() },
          }),
          submit,
        )
      : null,
  );
}

function draftForm(page) {
  const subject = h("input", { name: "subject", maxlength: 500, placeholder: t("notices.subject_example") });
  const chairAbsent = page.detail.participants.some((p) => p.role === "chair" && p.attendance === "absent");
  const presiding = chairAbsent
    ? h(
        "select",
        { name: "presiding" },
        page.detail.participants
          .filter((p) => p.attendance === "present" || p.attendance === "present_online")
          .map((p) => h("option", { value: String(p.id) }, p.full_name)),
      )
    : null;
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("notices.draft") });
  return h(
    "form",
    {
      class: "notice-draft-form",
      "data-testid": "notice-draft-form",
      novalidate: true,
      on: {
        submit: async (event) => {
          event.preventDefault();
          const body = { subject: subject.value.trim() };
          if (presiding) body.presiding_participant_id = Number(presiding.value);
          const notice = await busy(submit, () =>
            page.ctx.run(() => post(`/api/meetings/${page.meetingId}/notices`, body)),
          );
          if (notice) page.ctx.navigate(`#/notices/${notice.id}`);
        },
      },
    },
    h("h3", {}, t("notices.draft_title")),
    h("p", { class: "muted" }, t("notices.draft_hint")),
    h(
      "div",
      { class: "form-row form-row-end" },
      field(t("notices.subject"), subject, t("notices.subject_hint")),
      presiding ? field(t("notices.presiding"), presiding) : null,
      submit,
    ),
  );
}

export function conclusionsSection(page) {
  const { detail, rights } = page;
  const ui = page.ui;
  if (!CONCLUDABLE.has(detail.state)) {
    return h("section", { class: "panel" }, h("h2", {}, t("tab.conclusions")), h("p", { class: "empty-inline" }, t("conclusions.not_yet")));
  }
  if (ui.conclusions === undefined) {
    ui.conclusions = null;
    page.ctx.run(async () => {
      const [data, notices] = await Promise.all([
        get(`/api/meetings/${page.meetingId}/conclusions`),
        rights.office ? get(`/api/notices?meeting_id=${page.meetingId}`) : Promise.resolve({ notices: [] }),
      ]);
      ui.conclusions = data.conclusions;
      ui.meetingNotices = notices.notices;
      if (page.tab === "conclusions") page.draw();
    });
  }
  if (ui.conclusions === null) return h("section", { class: "panel" }, h("p", { class: "loading" }, t("common.loading")));
  const byItem = new Map(ui.conclusions.map((c) => [c.item_id, c]));
  const forms = [];
  detail.agenda.forEach((item, i) => {
    const blank = { summary: "", points: [] };
    forms.push(conclusionForm(page, item, `${i + 1}`, byItem.get(item.id) ?? blank, rights.office));
    (item.children ?? []).forEach((child, j) =>
      forms.push(conclusionForm(page, child, `${i + 1}.${j + 1}`, byItem.get(child.id) ?? blank, rights.office)),
    );
  });
  return h(
    "section",
    { class: "panel" },
    h("div", { class: "section-head" }, h("h2", {}, t("tab.conclusions"))),
    rights.office && detail.state === "closed" ? h("div", { class: "notice-draft" }, draftForm(page)) : null,
    ui.meetingNotices?.length
      ? h(
          "ul",
          { class: "notice-links" },
          ui.meetingNotices.map((n) =>
            h("li", {}, h("a", { href: `#/notices/${n.id}` }, n.number_label || t("notices.draft_label")), " — ", n.summary),
          ),
        )
      : null,
    forms.length ? forms : h("p", { class: "empty-inline" }, t("conclusions.no_agenda")),
  );
}

// -- the list of notices ------------------------------------------------------------------

const STATES = ["draft", "awaiting_signature", "signer_signed", "issued"];
const STATE_CLASS = {
  draft: "badge-state-draft",
  awaiting_signature: "badge-state-scheduled",
  signer_signed: "badge-state-in_progress",
  issued: "badge-state-closed",
};

function stateBadge(notice) {
  return h(
    "span",
    { class: ["badge", STATE_CLASS[notice.state] ?? "badge-state-draft"], "data-testid": "notice-state" },
    t(`notices.state.${notice.state}`),
  );
}

export async function renderNoticeList(ctx, token, query) {
  const q = query.get("q") ?? "";
  const state = query.get("state") ?? "";
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (state) params.set("state", state);
  const data = await get(`/api/notices?${params}`);
  const search = h("input", { type: "search", name: "q", value: q, "aria-label": t("notices.search_label"), placeholder: t("notices.search_placeholder") });
  const filter = h(
    "select",
    { name: "state", "aria-label": t("notices.filter_label") },
    h("option", { value: "" }, t("notices.filter_all")),
    STATES.map((s) => h("option", { value: s, selected: s === state }, t(`notices.state.${s}`))),
  );
  const form = h(
    "form",
    {
      class: "notice-search",
      role: "search",
      on: {
        submit: (event) => {
          event.preventDefault();
          const next = new URLSearchParams();
          if (search.value.trim()) next.set("q", search.value.trim());
          if (filter.value) next.set("state", filter.value);
          ctx.navigate(`#/notices${next.size ? `?${next}` : ""}`);
        },
      },
    },
    search,
    filter,
    h("button", { type: "submit", class: "btn btn-primary", text: t("notices.search") }),
  );
  const rows = data.notices.map((n) =>
    h(
      "li",
      { class: "notice-row", "data-testid": "notice-row" },
      h(
        "a",
        { class: "notice-row-link", href: `#/notices/${n.id}` },
        h("span", { class: "notice-number" }, n.number_label || t("notices.draft_label")),
        h("span", { class: "notice-summary" }, n.summary),
        h("span", { class: "muted" }, `${n.meeting.title} · ${formatDay(n.issued_at ?? n.meeting.starts_at)}`),
      ),
      stateBadge(n),
    ),
  );
  ctx.mount(
    token,
    h(
      "div",
      { class: "notices-page" },
      h("div", { class: "page-head" }, h("h1", {}, t("notices.title"))),
      h(
        "section",
        { class: "panel" },
        form,
        h("p", { class: "muted", "data-testid": "notice-total" }, t("notices.total", { count: data.total })),
        rows.length
          ? h("ol", { class: "notice-list" }, rows)
          : h(
              "div",
              { class: "empty-state" },
              h("p", { class: "empty-state-title" }, t(q || state ? "notices.none_found" : "notices.empty")),
              q || state ? null : h("p", { class: "muted" }, t("notices.empty_hint")),
            ),
      ),
    ),
  );
}

// -- the editor ---------------------------------------------------------------------------

function pointEditor(point, list) {
  const text = textarea(point.text, { rows: 2, name: "notice_point", "aria-label": t("notices.point_text") });
  const heading = h("input", { type: "checkbox", name: "heading", checked: point.heading });
  const label = h("span", { class: "notice-point-label" }, point.label ?? "");
  const row = h(
    "li",
    { class: "notice-point", "data-testid": "notice-point" },
    label,
    text,
    h(
      "div",
      { class: "notice-point-tools" },
      h("label", { class: "check" }, heading, h("span", {}, t("notices.heading"))),
      h("button", {
        type: "button",
        class: "btn btn-quiet",
        "aria-label": t("notices.point_up"),
        text: "↑",
        on: { click: () => row.previousElementSibling && list.insertBefore(row, row.previousElementSibling) },
      }),
      h("button", {
        type: "button",
        class: "btn btn-danger-outline",
        text: t("notices.point_remove"),
        on: { click: () => row.remove() },
      }),
    ),
  );
  row.readPoint = () => ({ text: text.value.trim(), heading: heading.checked });
  return row;
}

/** Ask the signer's USB-token PIN (kept in this dialog only, sent once with the request). */
function askPin(signer, confirmLabel) {
  return new Promise((resolve) => {
    const input = h("input", { type: "password", name: "pin", autocomplete: "off", inputmode: "numeric", required: true });
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "pin-title", "data-testid": "pin-dialog" },
      h("h2", { id: "pin-title", class: "dialog-title" }, t("notices.pin_title")),
      h("p", { class: "dialog-message" }, t("notices.pin_message", { signer })),
      h(
        "form",
        { method: "dialog", class: "dialog-actions" },
        field(t("notices.pin_label"), input),
        h("button", { type: "submit", value: "cancel", class: "btn", formnovalidate: true, text: t("action.cancel_dialog") }),
        h("button", { type: "submit", value: "confirm", class: "btn btn-primary", text: confirmLabel }),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm" && input.value ? input.value : null);
      input.value = "";
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

const PIN_ERRORS = new Set(["notice_token_pin_required", "notice_token_pin_invalid"]);

/** Post to ``url`` (issue, or the signer's sign); when the signer signs with a USB token,
 * ask the PIN (again after a wrong one). */
async function postWithPin(url, notice, confirmLabel) {
  let pin = null;
  for (;;) {
    try {
      return await post(url, pin ? { pin } : {});
    } catch (err) {
      if (!(err instanceof ApiError) || !PIN_ERRORS.has(err.code)) throw err;
      if (pin) showError(err);
      pin = await askPin(err.params?.signer ?? notice.draft.signature?.signer_name ?? "", confirmLabel);
      if (!pin) return null;
    }
  }
}

const issueWithPin = (notice) => postWithPin(`/api/notices/${notice.id}/issue`, notice, t("notices.pin_sign"));

/** The office's hand-off: choose the signer (the users named by the signature block). */
function handOffPanel(ctx, notice, done) {
  const candidates = notice.signer_candidates ?? [];
  const returned = notice.return_reason
    ? h("p", { class: "notice-returned", role: "note", "data-testid": "notice-return-reason" }, t("signing.returned", { reason: notice.return_reason }))
    : null;
  if (!candidates.length) {
    return h("section", { class: "panel notice-handoff" }, returned, h("p", { class: "muted" }, t("signing.no_candidate", { name: notice.draft.signature?.signer_name ?? "" })));
  }
  const select = h(
    "select",
    { name: "signer_user_id", "data-testid": "signer-select" },
    candidates.map((c) => h("option", { value: c.id }, c.title ? `${c.full_name} — ${c.title}` : c.full_name)),
  );
  const button = h("button", {
    type: "button",
    class: "btn",
    "data-testid": "notice-request-signature",
    text: t("signing.request"),
    on: {
      click: async () => {
        const updated = await busy(button, () =>
          ctx.run(() => post(`/api/notices/${notice.id}/actions/request_signature`, { signer_user_id: Number(select.value) })),
        );
        if (updated) done(updated, t("signing.requested"));
      },
    },
  });
  return h(
    "section",
    { class: "panel notice-handoff", "data-testid": "notice-handoff" },
    h("h2", {}, t("signing.handoff_title")),
    returned,
    h("p", { class: "muted" }, t("signing.handoff_hint")),
    h("div", { class: "form-row" }, field(t("signing.signer"), select)),
    h("div", { class: "form-actions" }, button),
  );
}

/** A notice in its signer's hands, as the office sees it: withdraw it, or issue it once signed. */
function withSignerView(ctx, notice, done) {
  const signed = notice.state === "signer_signed";
  const withdraw = h("button", {
    type: "button",
    class: "btn btn-danger-outline",
    "data-testid": "notice-withdraw",
    text: t("signing.withdraw"),
    on: {
      click: async () => {
        const updated = await busy(withdraw, () => ctx.run(() => post(`/api/notices/${notice.id}/actions/withdraw_signature_request`, {})));
        if (updated) done(updated, t("signing.withdrawn"));
      },
    },
  });
  const issue = signed
    ? h("button", {
        type: "button",
        class: "btn btn-primary",
        "data-testid": "notice-issue",
        text: t("signing.number_and_issue"),
        on: {
          click: async () => {
            const ok = await confirmAction({ title: t("notices.issue_title"), message: t("signing.issue_message"), confirmLabel: t("notices.issue") });
            if (!ok) return;
            const issued = await busy(issue, () => ctx.run(() => issueWithPin(notice)));
            if (issued) done(issued, t("notices.issued", { number: issued.number_label }));
          },
        },
      })
    : null;
  return h(
    "section",
    { class: "panel notice-with-signer", "data-testid": "notice-with-signer" },
    h("h2", {}, t(signed ? "signing.signed_title" : "signing.awaiting_title")),
    h("p", {}, t(signed ? "signing.signed_message" : "signing.awaiting_message", { name: notice.draft.signature?.signer_name ?? "", date: formatDay(notice.signer_signed_at) })),
    h("div", { class: "form-actions" }, issue, withdraw),
  );
}

/** The signer's own view of a notice handed to them: sign it, or return it with a reason. */
function signerView(ctx, notice, done) {
  if (notice.state !== "awaiting_signature") {
    return h("section", { class: "panel", "data-testid": "notice-signer-done" }, h("p", {}, t("signing.signed_message", { name: notice.draft.signature?.signer_name ?? "", date: formatDay(notice.signer_signed_at) })));
  }
  const reason = textarea("", { name: "reason", rows: 3, maxlength: 2000, "aria-label": t("signing.return_reason") });
  const sign = h("button", {
    type: "button",
    class: "btn btn-primary",
    "data-testid": "notice-sign",
    text: t("signing.sign"),
    on: {
      click: async () => {
        const ok = await confirmAction({ title: t("signing.sign_title"), message: t("signing.sign_message"), confirmLabel: t("signing.sign") });
        if (!ok) return;
        const signed = await busy(sign, () => ctx.run(() => postWithPin(`/api/notices/${notice.id}/actions/sign`, notice, t("signing.sign"))));
        if (signed) done(signed, t("signing.signed_done"));
      },
    },
  });
  const back = h("button", {
    type: "button",
    class: "btn btn-danger-outline",
    "data-testid": "notice-return",
    text: t("signing.return"),
    on: {
      click: async () => {
        if (!reason.value.trim()) {
          reason.focus();
          showError(new Error(t("signing.return_reason_required")));
          return;
        }
        const returned = await busy(back, () => ctx.run(() => post(`/api/notices/${notice.id}/actions/return`, { reason: reason.value.trim() })));
        if (returned) {
          showNotice(t("signing.returned_done"));
          ctx.navigate("#/signing");
        }
      },
    },
  });
  return h(
    "section",
    { class: "panel notice-signer", "data-testid": "notice-signer" },
    h("h2", {}, t("signing.your_signature")),
    h("p", { class: "muted" }, t("signing.sign_hint")),
    h("div", { class: "form-actions" }, sign),
    field(t("signing.return_reason"), reason),
    h("div", { class: "form-actions" }, back),
  );
}

/** "Thông báo chờ ký": the notices handed to the signed-in user to sign. */
export async function renderSignatureRequests(ctx, token) {
  const data = await get("/api/notices/signature-requests");
  const rows = data.notices.map((n) =>
    h(
      "li",
      { class: "notice-row", "data-testid": "signature-request" },
      h(
        "a",
        { class: "notice-row-link", href: `#/notices/${n.id}` },
        h("span", { class: "notice-summary" }, n.summary),
        h("span", { class: "muted" }, `${n.meeting.title} · ${formatDay(n.meeting.starts_at)}`),
      ),
      stateBadge(n),
    ),
  );
  ctx.mount(
    token,
    h(
      "div",
      { class: "notices-page" },
      h("div", { class: "page-head" }, h("h1", {}, t("signing.title"))),
      h(
        "section",
        { class: "panel" },
        rows.length ? h("ol", { class: "notice-list" }, rows) : h("div", { class: "empty-state" }, h("p", { class: "empty-state-title" }, t("signing.empty"))),
      ),
    ),
  );
}

function issuedView(notice) {
  return h(
    "section",
    { class: "panel notice-issued", "data-testid": "notice-issued" },
    h("h2", {}, t("notices.issued_title")),
    h("p", { class: "notice-number-big", "data-testid": "notice-number" }, notice.number_label),
    h("p", {}, t("notices.issued_on", { date: formatDay(notice.issued_at) }), notice.signed ? ` · ${t("notices.signed")}` : ""),
    h(
      "div",
      { class: "form-actions" },
      h("a", { class: "btn btn-primary", href: apiUrl(`/api/notices/${notice.id}/pdf`), download: "", "data-testid": "download-pdf", text: t("notices.download_pdf") }),
      h("a", { class: "btn", href: apiUrl(`/api/notices/${notice.id}/docx`), download: "", "data-testid": "download-docx", text: t("notices.download_docx") }),
      // Secret content never goes over the document exchange: no package to offer.
      notice.secret
        ? null
        : h("a", { class: "btn", href: apiUrl(`/api/notices/${notice.id}/edxml`), download: "", title: t("notices.download_edxml_hint"), "data-testid": "download-edxml", text: t("notices.download_edxml") }),
    ),
  );
}

export async function renderNoticeEditor(ctx, token, noticeId) {
  let notice = await get(`/api/notices/${noticeId}`);
  const root = h("div", { class: "notice-page" });
  const preview = h("iframe", {
    class: "notice-preview",
    title: t("notices.preview"),
    "data-testid": "notice-preview",
  });
  const refreshPreview = () => {
    // The page at the pane's width, without the viewer's thumbnail strip eating half of it.
    preview.src = `${apiUrl(`/api/notices/${notice.id}/pdf`)}?v=${encodeURIComponent(notice.updated_at)}#navpanes=0&view=FitH`;
  };

  const done = (updated, message) => {
    notice = updated;
    draw();
    refreshPreview();
    showNotice(message);
  };

  function draw() {
    const d = notice.draft;
    const draft = notice.state === "draft" && ctx.isOffice;
    const warnings = notice.warnings?.length
      ? h(
          "div",
          { class: "notice-warnings", role: "note", "data-testid": "notice-warnings" },
          h("h3", {}, t("notices.warnings_title")),
          h("ul", {}, notice.warnings.map((w) => h("li", { "data-code": w.code }, w.message))),
          h("p", { class: "muted" }, t("notices.warnings_hint")),
        )
      : null;
    let editor = null;
    if (draft) {
      const summary = h("input", { name: "summary", maxlength: 1000, value: d.summary });
      const opening = textarea(d.opening, { name: "opening", rows: 5, maxlength: 10000 });
      const points = h("ol", { class: "notice-points" });
      d.points.forEach((p) => points.append(pointEditor(p, points)));
      const votes = textarea((d.vote_sentences ?? []).join("\n"), { name: "vote_sentences", rows: 3 });
      const closing = textarea(d.closing, { name: "closing", rows: 2, maxlength: 2000 });
      const recipients = textarea((d.recipients ?? []).join("\n"), { name: "recipients", rows: 4 });
      const fileCopy = h("input", { name: "file_copy", maxlength: 300, value: d.file_copy ?? "" });
      const place = h("input", { name: "place", maxlength: 120, value: d.place ?? "" });
      const signerTitle = h("input", { name: "signer_title", maxlength: 200, value: d.signature?.signer_title ?? "" });
      const signerName = h("input", { name: "signer_name", maxlength: 200, value: d.signature?.signer_name ?? "" });
      const save = h("button", { type: "submit", class: "btn btn-primary", text: t("notices.save") });
      const issue = h("button", { type: "button", class: "btn btn-primary", "data-testid": "notice-issue", text: t("notices.issue") });
      const body = () => {
        const result = {
          summary: summary.value.trim(),
          opening: opening.value.trim(),
          points: [...points.children].map((row) => row.readPoint()).filter((p) => p.text),
          vote_sentences: lines(votes),
          closing: closing.value.trim(),
          recipients: lines(recipients),
          file_copy: fileCopy.value.trim(),
          place: place.value.trim(),
        };
        if (signerTitle.value.trim() && signerName.value.trim()) {
          result.signature = {
            signer_title: signerTitle.value.trim(),
            signer_name: signerName.value.trim(),
            authorities: d.signature?.authorities ?? [],
          };
        }
        return result;
      };
      const saveDraft = () =>
        ctx.run(async () => {
          notice = await patch(`/api/notices/${notice.id}`, body());
          return true;
        });
      issue.addEventListener("click", async () => {
        const ok = await confirmAction({
          title: t("notices.issue_title"),
          message: t("notices.issue_message"),
          confirmLabel: t("notices.issue"),
        });
        if (!ok) return;
        const issued = await busy(issue, async () => {
          if (!(await saveDraft())) return null;
          return ctx.run(() => issueWithPin(notice));
        });
        if (!issued) return;
        notice = issued;
        draw();
        refreshPreview();
        showNotice(t("notices.issued", { number: notice.number_label }));
      });
      const discard = h("button", {
        type: "button",
        class: "btn btn-danger-outline",
        text: t("notices.discard"),
        on: {
          click: async () => {
            const ok = await confirmAction({
              title: t("notices.discard_title"),
              message: t("notices.discard_message"),
              confirmLabel: t("notices.discard"),
              danger: true,
            });
            if (!ok) return;
            const done = await ctx.run(() => del(`/api/notices/${notice.id}`));
            if (done) ctx.navigate("#/notices");
          },
        },
      });
      editor = h(
        "form",
        {
          class: "notice-editor panel",
          novalidate: true,
          "data-testid": "notice-editor",
          on: {
            submit: async (event) => {
              event.preventDefault();
              const saved = await busy(save, saveDraft);
              if (!saved) return;
              draw();
              refreshPreview();
              showNotice(t("notices.saved"));
            },
          },
        },
        field(t("notices.summary"), summary, t("notices.summary_hint")),
        field(t("notices.opening"), opening),
        h("fieldset", { class: "notice-fieldset" }, h("legend", {}, t("notices.points")), points,
          h("button", {
            type: "button",
            class: "btn",
            text: t("notices.add_point"),
            on: {
              click: () => {
                const row = pointEditor({ text: "", heading: false, label: "" }, points);
                points.append(row);
                row.querySelector("textarea").focus();
              },
            },
          }),
        ),
        field(t("notices.vote_sentences"), votes, t("notices.one_per_line")),
        field(t("notices.closing"), closing),
        h("div", { class: "form-row" }, field(t("notices.recipients"), recipients, t("notices.one_per_line")), field(t("notices.file_copy"), fileCopy)),
        h(
          "fieldset",
          { class: "notice-fieldset" },
          h("legend", {}, t("notices.signature")),
          h("div", { class: "form-row" }, field(t("notices.place"), place), field(t("notices.signer_title"), signerTitle), field(t("notices.signer_name"), signerName)),
        ),
        h("div", { class: "form-actions notice-actions" }, save, issue, discard),
      );
    }
    root.replaceChildren(
      h("nav", { class: "crumbs" }, ctx.isOffice ? h("a", { href: "#/notices" }, t("notices.back_to_list")) : h("a", { href: "#/signing" }, t("signing.title"))),
      h(
        "div",
        { class: "page-head" },
        h("h1", {}, notice.number_label || t("notices.draft_label")),
        stateBadge(notice),
      ),
      h("p", { class: "muted" }, ctx.isOffice ? h("a", { href: `#/meetings/${notice.meeting.id}/conclusions` }, notice.meeting.title) : notice.meeting.title),
      h(
        "div",
        { class: "notice-layout" },
        h("div", { class: "notice-main" }, warnings, draft ? handOffPanel(ctx, notice, done) : null, mainView(editor)),
        h("div", { class: "notice-side panel" }, h("h2", {}, t("notices.preview")), preview),
      ),
    );
  }
  function mainView(editor) {
    if (notice.state === "issued") return issuedView(notice);
    if (notice.state === "draft") return editor;
    return ctx.isOffice ? withSignerView(ctx, notice, done) : signerView(ctx, notice, done);
  }

  draw();
  refreshPreview();
  ctx.mount(token, root);
}
