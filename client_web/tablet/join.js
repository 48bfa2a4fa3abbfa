// Joining a meeting from a tablet: type the code (or arrive with #join=CODE from the QR
// code), pick your name from the meeting's list, and the server gives this tablet a
// session of its own.

import { get, joinMeeting } from "../shared/api.js";
import { clearBanner, showError } from "../shared/banner.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatSchedule } from "../shared/time.js";

const SEARCH_FROM = 10; // a search box once the list no longer fits on one screen

/** Folding for search: no diacritics, "đ" as "d" (it does not decompose in Unicode). */
export function fold(text) {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase();
}

export function cleanCode(code) {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, "");
}

/** Step 1: the code. `onInfo(code, info)` receives GET /api/join/{code}. */
export function renderCodeEntry(root, { code = "", onInfo }) {
  const input = h("input", {
    name: "code",
    class: "code-input",
    value: code,
    maxlength: 20,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    enterkeyhint: "go",
    "data-testid": "join-code-input",
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block btn-large", text: t("tablet.continue") });
  const form = h(
    "form",
    {
      class: "panel join-form",
      novalidate: true,
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearBanner();
          const value = cleanCode(input.value);
          if (value.length < 4) {
            showError(t("tablet.code_required"));
            input.focus();
            return;
          }
          try {
            const info = await busy(submit, () => get(`/api/join/${encodeURIComponent(value)}`));
            onInfo(value, info);
          } catch (err) {
            showError(err);
            input.select();
          }
        },
      },
    },
    h("h1", {}, t("tablet.join_title")),
    h("p", { class: "muted" }, t("tablet.join_intro")),
    field(t("tablet.code_label"), input),
    submit,
  );
  root.replaceChildren(h("div", { class: "join-screen" }, form));
  input.focus();
}

/** Step 2: pick a name. `onJoined(session)` after POST /api/join succeeded. */
export function renderNamePicker(root, { code, info, onJoined, onBack }) {
  let chosen = null;
  const enter = h("button", {
    type: "button",
    class: "btn btn-primary btn-block btn-large",
    disabled: true,
    "data-testid": "join-enter",
    text: t("tablet.enter"),
  });
  const names = info.participants.map((p) =>
    h(
      "li",
      { dataset: { search: fold(`${p.full_name} ${p.title}`) } },
      h(
        "button",
        {
          type: "button",
          class: "name-choice",
          "aria-pressed": "false",
          "data-participant-id": p.id,
          on: {
            click: (event) => {
              chosen = p;
              for (const b of list.querySelectorAll(".name-choice")) b.setAttribute("aria-pressed", "false");
              event.currentTarget.setAttribute("aria-pressed", "true");
              enter.disabled = false;
              enter.textContent = t("tablet.enter_as", { name: p.full_name });
            },
          },
        },
        h("span", { class: "person-name" }, p.full_name),
        p.title ? h("span", { class: "person-title" }, p.title) : null,
        h("span", { class: "badge" }, t(`meeting_role.${p.role}`)),
      ),
    ),
  );
  const list = h("ul", { class: "name-list", "data-testid": "name-list" }, names);
  const search =
    info.participants.length > SEARCH_FROM
      ? h("input", {
          type: "search",
          class: "name-search",
          "aria-label": t("tablet.search_name"),
          placeholder: t("tablet.search_name"),
          on: {
            input: (event) => {
              const wanted = fold(event.target.value.trim());
              for (const li of names) li.hidden = wanted !== "" && !li.dataset.search.includes(wanted);
            },
          },
        })
      : null;
  enter.addEventListener("click", async () => {
    if (!chosen) return;
    clearBanner();
    try {
      const session = await busy(enter, () => joinMeeting(code, chosen.id));
      onJoined(session);
    } catch (err) {
      showError(err);
    }
  });
  root.replaceChildren(
    h(
      "div",
      { class: "join-screen join-screen-wide" },
      h(
        "section",
        { class: "panel" },
        h("p", { class: "muted" }, t("tablet.joining")),
        h("h1", { class: "meeting-title", "data-testid": "join-meeting-title" }, info.meeting.title),
        h("p", { class: "meeting-meta" }, formatSchedule(info.meeting.starts_at, null)),
        info.meeting.location ? h("p", { class: "meeting-meta" }, info.meeting.location) : null,
      ),
      h(
        "section",
        { class: "panel" },
        h("h2", {}, t("tablet.pick_name")),
        search,
        info.participants.length ? list : h("p", { class: "empty-inline" }, t("tablet.no_participants")),
      ),
      h(
        "div",
        { class: "join-actions" },
        enter,
        h("button", { type: "button", class: "btn btn-block", text: t("tablet.other_code"), on: { click: onBack } }),
      ),
    ),
  );
}
