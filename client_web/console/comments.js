// Bảng tổng hợp ý kiến (#/documents/<id>/comments): a draft's comments from written
// opinions and from annotations marked as comments, grouped by section; the drafting unit
// answers each one (tiếp thu / giải trình / không tiếp thu); closing; DOCX and XLSX export.

import { apiUrl, get, post, put } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, field, h } from "../shared/dom.js";
import { redrawOnChange } from "../shared/changes.js";
import { language, t } from "../shared/i18n.js";

const KINDS = ["accepted", "explained", "rejected"];

function place(comment) {
  const parts = [];
  if (comment.section) parts.push(comment.section);
  if (comment.page) parts.push(t("comments.page_n", { page: comment.page }));
  if (comment.page && comment.version > 1) parts.push(t("comments.version_n", { version: comment.version }));
  return parts.join(", ") || t("comments.general");
}

function author(comment) {
  const a = comment.author;
  return [a.name, a.title, a.unit].filter(Boolean).join(" — ");
}

function answerView(answer) {
  if (!answer) return h("p", { class: "muted", "data-testid": "comment-unanswered" }, t("comments.unanswered"));
  return h(
    "div",
    { class: "comment-answer", "data-testid": "comment-answer" },
    h("span", { class: `badge comment-kind-${answer.kind}` }, t(`comments.kind.${answer.kind}`)),
    answer.text ? h("span", {}, ` ${answer.text}`) : null,
    h("div", { class: "muted" }, t("comments.answered_by", { name: answer.by || "—" })),
    answer.changed_since_answer ? h("div", { class: "comment-changed" }, t("comments.changed_since_answer")) : null,
  );
}

function answerForm(ctx, documentId, comment, onSaved) {
  const kind = h(
    "select",
    { name: "kind" },
    KINDS.map((k) => h("option", { value: k, selected: comment.answer?.kind === k }, t(`comments.kind.${k}`))),
  );
  const text = h("textarea", { name: "text", rows: 2, maxlength: 5000, value: comment.answer?.text ?? "" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("comments.save_answer") });
  return h(
    "form",
    {
      class: "comment-form",
      novalidate: true,
      "data-testid": "comment-answer-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (kind.value !== "accepted" && !text.value.trim()) {
            showError(t("comments.text_required"));
            return;
          }
          const view = await busy(submit, () =>
            ctx.run(() =>
              put(`/api/documents/${documentId}/comments/${encodeURIComponent(comment.key)}/answer`, {
                kind: kind.value,
                text: text.value.trim(),
              }),
            ),
          );
          if (view) {
            showNotice(t("comments.answer_saved"));
            onSaved(view);
          }
        },
      },
    },
    h("div", { class: "form-row" }, field(t("comments.kind_label"), kind), field(t("comments.answer_text"), text)),
    h("div", { class: "form-actions" }, submit),
  );
}

function commentItem(ctx, view, comment, number, onSaved) {
  return h(
    "li",
    { class: "comment-item panel-inset", "data-testid": "comment", "data-key": comment.key },
    h(
      "div",
      { class: "comment-head" },
      h("strong", {}, `${number}. `, place(comment)),
      h("span", { class: "muted" }, ` · ${author(comment)} · `, t(`comments.source.${comment.source}`)),
    ),
    h("p", { class: "comment-text" }, comment.text),
    answerView(comment.answer),
    view.can_answer ? answerForm(ctx, view.document.id, comment, onSaved) : null,
  );
}

function draw(ctx, token, view) {
  const documentId = view.document.id;
  const redraw = (next) => draw(ctx, ctx.begin(), next);
  const lang = language() === "en" ? "?lang=en" : "";
  const exports = [
    h("a", { class: "btn", href: apiUrl(`/api/documents/${documentId}/comments.docx${lang}`), download: `bang-tong-hop-y-kien-${documentId}.docx`, "data-testid": "comments-docx", text: t("comments.export_docx") }),
    h("a", { class: "btn", href: apiUrl(`/api/documents/${documentId}/comments.xlsx${lang}`), download: `bang-tong-hop-y-kien-${documentId}.xlsx`, "data-testid": "comments-xlsx", text: t("comments.export_xlsx") }),
  ];
  const close = view.can_close
    ? h("button", {
        type: "button",
        class: "btn btn-danger-outline",
        "data-testid": "comments-close",
        text: t("comments.close"),
        on: {
          click: async (event) => {
            const ok = await confirmAction({ title: t("comments.close"), message: t("comments.close_message"), confirmLabel: t("comments.close") });
            if (!ok) return;
            const next = await busy(event.currentTarget, () => ctx.run(() => post(`/api/documents/${documentId}/comments/close`)));
            if (next) redraw(next);
          },
        },
      })
    : null;
  const reopen = view.can_reopen
    ? h("button", {
        type: "button",
        class: "btn",
        text: t("comments.reopen"),
        on: {
          click: async (event) => {
            const next = await busy(event.currentTarget, () => ctx.run(() => post(`/api/documents/${documentId}/comments/reopen`)));
            if (next) redraw(next);
          },
        },
      })
    : null;
  let number = 0;
  const sections = view.sections.map((section) =>
    h(
      "section",
      { class: "panel", "data-testid": "comment-section" },
      h("h2", {}, section.title ?? t("comments.general")),
      h(
        "ol",
        { class: "comment-list" },
        section.comments.map((comment) => {
          number += 1;
          return commentItem(ctx, view, comment, number, redraw);
        }),
      ),
    ),
  );
  const empty = view.total
    ? null
    : h(
        "div",
        { class: "empty-state panel", "data-testid": "empty-state" },
        h("p", { class: "empty-state-title" }, t("comments.empty")),
        h("p", { class: "muted" }, t("comments.empty_hint")),
        h("a", { class: "btn", href: "#/opinions" }, t("comments.to_opinions")),
      );
  const meta = [
    view.document.unit_name ? t("comments.unit", { unit: view.document.unit_name }) : t("comments.no_unit"),
    t("comments.counts", { total: view.total, answered: view.answered }),
  ];
  return ctx.mount(
    token,
    h("nav", { class: "crumbs" }, h("a", { href: `#/meetings/${view.document.meeting_id}/documents` }, view.document.meeting_title)),
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, t("comments.title")),
      view.closed ? h("span", { class: "badge badge-state-closed", "data-testid": "comments-closed" }, t("comments.closed")) : null,
      h("span", { class: "spacer" }),
      exports,
      close,
      reopen,
    ),
    h("section", { class: "panel" }, h("p", { class: "comment-draft-title" }, view.document.title), h("p", { class: "muted" }, meta.join(" · "))),
    empty,
    sections,
  );
}

export async function renderCommentTable(ctx, token, documentId) {
  const view = await get(`/api/documents/${documentId}/comments`);
  draw(ctx, token, view);
  return redrawOnChange(
    ctx,
    "comment_table",
    documentId,
    () => get(`/api/documents/${documentId}/comments`),
    (token, fresh) => draw(ctx, token, fresh),
  );
}

// Exported for the tablet-free tests of the layout (none yet); kept small on purpose.
export { place as commentPlace };
