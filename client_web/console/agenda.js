// The agenda (chương trình họp): items with one level of sub-items; add, edit, delete,
// and move up/down (PUT /agenda/order with the whole sibling list).

import { del, patch, post, put } from "../shared/api.js";
import { showError } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

function minutesValue(input) {
  if (input.value === "") return { ok: true, value: null };
  const n = Number(input.value);
  return Number.isInteger(n) && n >= 1 && n <= 1440 ? { ok: true, value: n } : { ok: false };
}

/** The title / presenter / minutes form, for a new item, a new sub-item or an edit. */
function itemForm(page, { item = null, parentId = null, submitLabel, onDone, onCancel, testid }) {
  const prefix = item ? `edit-${item.id}` : parentId ? `child-${parentId}` : "new";
  const title = h("input", {
    name: "title",
    maxlength: 500,
    value: item?.title ?? "",
    "data-focus": `agenda-${prefix}`,
  });
  const presenter = h("input", { name: "presenter", maxlength: 500, value: item?.presenter ?? "" });
  const minutes = h("input", {
    name: "planned_minutes",
    type: "number",
    min: 1,
    max: 1440,
    inputmode: "numeric",
    value: item?.planned_minutes ?? "",
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: submitLabel });
  const form = h(
    "form",
    {
      class: "agenda-form",
      novalidate: true,
      "data-testid": testid,
      on: {
        submit: async (event) => {
          event.preventDefault();
          const planned = minutesValue(minutes);
          if (!title.value.trim()) {
            showError(t("agenda.title_required"));
            title.focus();
            return;
          }
          if (!planned.ok) {
            showError(t("agenda.minutes_invalid"));
            minutes.focus();
            return;
          }
          const body = { title: title.value.trim(), presenter: presenter.value.trim() };
          if (planned.value !== null) body.planned_minutes = planned.value;
          const base = `/api/meetings/${page.meetingId}/agenda`;
          const done = await busy(submit, () =>
            page.ctx.run(async () => {
              if (item) await patch(`${base}/${item.id}`, body);
              else await post(base, parentId ? { ...body, parent_id: parentId } : body);
              return true;
            }),
          );
          if (done) await onDone();
        },
      },
    },
    h(
      "div",
      { class: "form-row agenda-form-fields" },
      field(t(parentId ? "agenda.sub_title" : "agenda.item_title"), title),
      field(t("agenda.presenter"), presenter),
      field(t("agenda.planned_minutes"), minutes),
    ),
    h(
      "div",
      { class: "form-actions" },
      submit,
      onCancel ? h("button", { type: "button", class: "btn", text: t("action.cancel_edit"), on: { click: onCancel } }) : null,
    ),
  );
  return form;
}

async function move(page, siblings, index, delta, parentId) {
  const order = siblings.map((i) => i.id);
  const [moved] = order.splice(index, 1);
  order.splice(index + delta, 0, moved);
  const detail = await page.ctx.run(() =>
    put(`/api/meetings/${page.meetingId}/agenda/order`, { order, parent_id: parentId }),
  );
  if (detail) {
    page.focusSelector = `[data-item-id="${moved}"] [data-move="${delta < 0 ? "up" : "down"}"]:not(:disabled)`;
    page.reload(detail);
  }
}

async function remove(page, item) {
  const ok = await confirmAction({
    title: t("agenda.delete_title"),
    message: t(item.children?.length ? "agenda.delete_message_children" : "agenda.delete_message", {
      title: item.title,
      count: item.children?.length ?? 0,
    }),
    confirmLabel: t("action.delete"),
    danger: true,
  });
  if (!ok) return;
  await page.ctx.run(async () => {
    await del(`/api/meetings/${page.meetingId}/agenda/${item.id}`);
    await page.reload();
  });
}

function meta(item) {
  const parts = [];
  if (item.presenter) parts.push(t("agenda.presented_by", { presenter: item.presenter }));
  if (item.planned_minutes) parts.push(t("agenda.minutes", { minutes: item.planned_minutes }));
  return parts.length ? h("span", { class: "agenda-meta" }, parts.join(" · ")) : null;
}

function itemRow(page, item, number, siblings, index, parentId) {
  const { rights, ui } = page;
  if (ui.editing === item.id) {
    return itemForm(page, {
      item,
      parentId,
      submitLabel: t("action.save"),
      testid: "agenda-edit-form",
      onDone: () => {
        ui.editing = null;
        return page.reload();
      },
      onCancel: () => {
        ui.editing = null;
        page.draw();
      },
    });
  }
  const tools = [];
  if (rights.editAgenda) {
    tools.push(
      h("button", {
        type: "button",
        class: "btn btn-icon",
        "data-move": "up",
        "aria-label": t("agenda.move_up", { title: item.title }),
        title: t("agenda.move_up_short"),
        disabled: index === 0,
        text: "↑",
        on: { click: () => move(page, siblings, index, -1, parentId) },
      }),
      h("button", {
        type: "button",
        class: "btn btn-icon",
        "data-move": "down",
        "aria-label": t("agenda.move_down", { title: item.title }),
        title: t("agenda.move_down_short"),
        disabled: index === siblings.length - 1,
        text: "↓",
        on: { click: () => move(page, siblings, index, 1, parentId) },
      }),
      h("button", {
        type: "button",
        class: "btn",
        text: t("action.edit"),
        on: {
          click: () => {
            ui.editing = item.id;
            ui.addingChild = null;
            page.focusSelector = `[data-focus="agenda-edit-${item.id}"]`;
            page.draw();
          },
        },
      }),
    );
  }
  if (rights.deleteAgenda) {
    tools.push(
      h("button", { type: "button", class: "btn btn-danger-outline", text: t("action.delete"), on: { click: () => remove(page, item) } }),
    );
  }
  return h(
    "div",
    { class: "agenda-row" },
    h("span", { class: "agenda-number" }, number),
    h("span", { class: "agenda-text" }, h("span", { class: "agenda-title" }, item.title), meta(item)),
    tools.length ? h("span", { class: "agenda-tools" }, tools) : null,
  );
}

function childList(page, parent, parentNumber) {
  const { rights, ui } = page;
  const children = parent.children ?? [];
  const rows = children.map((child, index) =>
    h(
      "li",
      { class: "agenda-item agenda-child", "data-item-id": child.id, "data-testid": "agenda-child" },
      itemRow(page, child, `${parentNumber}.${index + 1}.`, children, index, parent.id),
    ),
  );
  let adder = null;
  if (rights.editAgenda) {
    adder =
      ui.addingChild === parent.id
        ? itemForm(page, {
            parentId: parent.id,
            submitLabel: t("agenda.add_sub"),
            testid: "agenda-child-form",
            onDone: () => {
              page.focusSelector = `[data-focus="agenda-child-${parent.id}"]`;
              return page.reload();
            },
            onCancel: () => {
              ui.addingChild = null;
              page.draw();
            },
          })
        : h("button", {
            type: "button",
            class: "btn btn-quiet agenda-add-child",
            text: t("agenda.add_sub_open"),
            on: {
              click: () => {
                ui.addingChild = parent.id;
                ui.editing = null;
                page.focusSelector = `[data-focus="agenda-child-${parent.id}"]`;
                page.draw();
              },
            },
          });
  }
  if (!rows.length && !adder) return null;
  return [rows.length ? h("ol", { class: "agenda-children" }, rows) : null, adder];
}

export function agendaSection(page) {
  const { detail, rights } = page;
  const items = detail.agenda;
  const total = items.reduce(
    (sum, i) => sum + (i.planned_minutes ?? 0) + (i.children ?? []).reduce((s, c) => s + (c.planned_minutes ?? 0), 0),
    0,
  );
  const list = items.length
    ? h(
        "ol",
        { class: "agenda", "data-testid": "agenda" },
        items.map((item, index) =>
          h(
            "li",
            { class: "agenda-item", "data-item-id": item.id, "data-testid": "agenda-item" },
            itemRow(page, item, `${index + 1}.`, items, index, null),
            childList(page, item, index + 1),
          ),
        ),
      )
    : h("p", { class: "empty-inline" }, t(rights.editAgenda ? "agenda.empty_edit" : "agenda.empty"));
  return h(
    "section",
    { class: "panel" },
    h(
      "div",
      { class: "section-head" },
      h("h2", {}, t("tab.agenda")),
      total ? h("span", { class: "muted" }, t("agenda.total_minutes", { minutes: total })) : null,
    ),
    list,
    rights.editAgenda
      ? h(
          "div",
          { class: "agenda-new" },
          h("h3", {}, t("agenda.add_title")),
          itemForm(page, {
            submitLabel: t("agenda.add"),
            testid: "agenda-new-form",
            onDone: () => {
              page.focusSelector = '[data-focus="agenda-new"]';
              return page.reload();
            },
          }),
        )
      : null,
  );
}
