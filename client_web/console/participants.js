// Thành phần tham dự: participants from the body's user list or guests by name, their
// role in the meeting and whether they vote.

import { del, get, patch, post } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { devicesSection } from "./devices.js";

export const MEETING_ROLES = ["chair", "secretary", "delegate", "guest"];

/** Who votes by default: the server's rule (chair and delegates), shown before adding. */
function votesByDefault(role) {
  return role === "chair" || role === "delegate";
}

function roleSelect(value, attrs = {}) {
  return h(
    "select",
    attrs,
    MEETING_ROLES.map((role) => h("option", { value: role, selected: role === value }, t(`meeting_role.${role}`))),
  );
}

function addForm(page) {
  const taken = new Set(page.detail.participants.map((p) => p.user_id).filter((id) => id !== null));
  const users = (page.users ?? []).filter((u) => u.active && !taken.has(u.id));
  const user = h(
    "select",
    { name: "user_id" },
    h("option", { value: "" }, t("participants.by_name_option")),
    users.map((u) => h("option", { value: String(u.id) }, u.title ? `${u.full_name} — ${u.title}` : u.full_name)),
  );
  const fullName = h("input", { name: "full_name", maxlength: 200, autocomplete: "off" });
  const title = h("input", { name: "title", maxlength: 200, autocomplete: "off" });
  const role = roleSelect("delegate", { name: "role" });
  const voting = h("input", { type: "checkbox", name: "voting_member", checked: true });
  const byName = h(
    "div",
    { class: "form-row" },
    field(t("participants.full_name"), fullName),
    field(t("participants.title"), title),
  );
  const syncRole = () => {
    voting.checked = votesByDefault(role.value);
    voting.disabled = role.value === "guest";
  };
  const syncUser = () => {
    byName.hidden = user.value !== "";
  };
  role.addEventListener("change", syncRole);
  user.addEventListener("change", syncUser);
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("participants.add") });
  return h(
    "form",
    {
      class: "participant-form",
      novalidate: true,
      "data-testid": "participant-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const body = { role: role.value, voting_member: role.value !== "guest" && voting.checked };
          if (user.value) {
            body.user_id = Number(user.value);
          } else {
            if (!fullName.value.trim()) {
              showError(t("participants.name_required"));
              fullName.focus();
              return;
            }
            body.full_name = fullName.value.trim();
            body.title = title.value.trim();
          }
          const added = await busy(submit, () =>
            page.ctx.run(() => post(`/api/meetings/${page.meetingId}/participants`, body)),
          );
          if (added) {
            page.focusSelector = 'select[name="user_id"]';
            await page.reload();
          }
        },
      },
    },
    h("h3", {}, t("participants.add_title")),
    field(t("participants.from_users"), user, users.length ? null : t("participants.no_more_users")),
    byName,
    h(
      "div",
      { class: "form-row form-row-end" },
      field(t("participants.role"), role),
      h("label", { class: "check" }, voting, h("span", {}, t("participants.voting_member"))),
      submit,
    ),
  );
}

async function update(page, participant, body) {
  const ok = await page.ctx.run(() =>
    patch(`/api/meetings/${page.meetingId}/participants/${participant.id}`, body),
  );
  await page.reload(); // on a refusal too: the row goes back to what the server holds
  return ok;
}

async function remove(page, participant) {
  const ok = await confirmAction({
    title: t("participants.remove_title"),
    message: t("participants.remove_message", { name: participant.full_name }),
    confirmLabel: t("participants.remove"),
    danger: true,
  });
  if (!ok) return;
  await page.ctx.run(async () => {
    await del(`/api/meetings/${page.meetingId}/participants/${participant.id}`);
    await page.reload();
  });
}

async function revokeTablet(page, participant) {
  const ok = await confirmAction({
    title: t("participants.revoke_title"),
    message: t("participants.revoke_message", { name: participant.full_name }),
    confirmLabel: t("participants.revoke"),
    danger: true,
  });
  if (!ok) return;
  const done = await page.ctx.run(() =>
    post(`/api/meetings/${page.meetingId}/participants/${participant.id}/sessions/revoke`),
  );
  if (done) showNotice(t("participants.revoked", { name: participant.full_name, count: done.ended }));
}

function row(page, participant, index) {
  const { rights } = page;
  const name = h(
    "span",
    { class: "person" },
    h("span", { class: "person-name" }, participant.full_name),
    participant.title ? h("span", { class: "person-title" }, participant.title) : null,
    // A substitute may have been accepted without some rights (the invitations tab).
    participant.can_read === false
      ? h("span", { class: "badge person-right", "data-testid": "no-read-right" }, t("participants.no_read_right"))
      : null,
    participant.can_speak === false
      ? h("span", { class: "badge person-right", "data-testid": "no-speak-right" }, t("participants.no_speak_right"))
      : null,
  );
  let role;
  let voting;
  if (rights.editParticipants) {
    role = field(
      t("participants.role"),
      roleSelect(participant.role, {
        on: {
          change: (event) => {
            const value = event.target.value;
            update(page, participant, value === "guest" ? { role: value, voting_member: false } : { role: value });
          },
        },
      }),
    );
    role.classList.add("field-compact");
    voting = h(
      "label",
      { class: "check" },
      h("input", {
        type: "checkbox",
        checked: participant.voting_member,
        disabled: participant.role === "guest",
        on: { change: (event) => update(page, participant, { voting_member: event.target.checked }) },
      }),
      h("span", {}, t("participants.voting_member")),
    );
  } else {
    role = h("span", { class: "badge" }, t(`meeting_role.${participant.role}`));
    voting = participant.voting_member ? h("span", { class: "muted" }, t("participants.voting_member")) : null;
  }
  return h(
    "li",
    { class: "person-row", "data-testid": "participant", "data-participant-id": participant.id },
    h("span", { class: "person-index" }, `${index + 1}.`),
    name,
    h(
      "span",
      { class: "person-tools" },
      role,
      voting,
      rights.runs
        ? h("button", {
            type: "button",
            class: "btn",
            text: t("participants.revoke"),
            "aria-label": t("participants.revoke_named", { name: participant.full_name }),
            on: { click: () => revokeTablet(page, participant) },
          })
        : null,
      rights.removeParticipants
        ? h("button", {
            type: "button",
            class: "btn btn-danger-outline",
            text: t("participants.remove"),
            "aria-label": t("participants.remove_named", { name: participant.full_name }),
            on: { click: () => remove(page, participant) },
          })
        : null,
    ),
  );
}

export function participantsSection(page) {
  const { detail, rights } = page;
  const voting = detail.participants.filter((p) => p.voting_member).length;
  let form = null;
  if (rights.editParticipants) {
    if (page.users === null) {
      // The user list is loaded once per visit to the meeting, then the form is drawn.
      page.users = [];
      page.ctx.run(async () => {
        page.users = (await get("/api/users")).users;
        if (page.tab === "participants") page.draw();
      });
    }
    // Above the list: a body of 50-70 members would push it off the screen.
    form = h("div", { class: "participant-new" }, addForm(page));
  }
  return h(
    "section",
    { class: "panel" },
    h(
      "div",
      { class: "section-head" },
      h("h2", {}, t("tab.participants")),
      h(
        "span",
        { class: "muted" },
        t("participants.counts", { count: detail.participants.length, voting }),
        detail.members_total ? ` · ${t("participants.members_total", { total: detail.members_total })}` : "",
      ),
    ),
    form,
    detail.participants.length
      ? h("ol", { class: "person-list" }, detail.participants.map((p, i) => row(page, p, i)))
      : h("p", { class: "empty-inline" }, t("participants.empty")),
    detail.participants.length ? devicesSection(page) : null,
  );
}
