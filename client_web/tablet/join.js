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
export function renderNamePicker(root, { code, info, onJoined, onPending, onBack }) {
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
              showProof(p);
            },
          },
        },
        h("span", { class: "person-name" }, p.full_name),
        p.title ? h("span", { class: "person-title" }, p.title) : null,
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
  // Who holds the tablet: the personal code from the invitation, or the account's password
  // (chair, secretary); without either, the secretary confirms the device from the console.
  const personal = h("input", { name: "personal_code", class: "code-input", maxlength: 20, autocomplete: "off",
    autocapitalize: "characters", spellcheck: "false", "data-testid": "join-personal-code" });
  const username = h("input", { name: "username", autocomplete: "username", "data-testid": "join-username" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password",
    "data-testid": "join-password" });
  const waitButton = h("button", { type: "button", class: "btn btn-block", "data-testid": "join-wait",
    text: t("tablet.ask_secretary") });
  const proofBox = h("section", { class: "panel", hidden: true, "data-testid": "join-proof" });
  function showProof(p) {
    proofBox.hidden = false;
    proofBox.replaceChildren(
      ...(p.sign_in === "account"
        ? [h("h2", {}, t("tablet.sign_in_account")), field(t("tablet.username"), username), field(t("tablet.password"), password)]
        : [h("h2", {}, t("tablet.personal_code")), h("p", { class: "muted" }, t("tablet.personal_code_hint")),
           field(t("tablet.personal_code_label"), personal), waitButton]),
    );
  }
  async function send(proof) {
    clearBanner();
    try {
      const answer = await busy(enter, () => joinMeeting(code, chosen.id, proof));
      if (answer.pending) onPending(answer);
      else onJoined(answer);
    } catch (err) {
      showError(err);
    }
  }
  enter.addEventListener("click", () => {
    if (!chosen) return;
    if (chosen.sign_in === "account") send({ username: username.value.trim(), password: password.value });
    else if (cleanCode(personal.value)) send({ personal_code: cleanCode(personal.value) });
    else showError(t("tablet.personal_code_required"));
  });
  waitButton.addEventListener("click", () => chosen && send({}));
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
      proofBox,
      h(
        "div",
        { class: "join-actions" },
        enter,
        h("button", { type: "button", class: "btn btn-block", text: t("tablet.other_code"), on: { click: onBack } }),
      ),
    ),
  );
}

/** Step 3 without proof: the device waits until the secretary confirms it (or refuses). */
export function renderWaiting(root, { name, deviceId, onJoined, onRefused }) {
  root.replaceChildren(
    h(
      "div",
      { class: "join-screen" },
      h(
        "section",
        { class: "panel", "data-testid": "join-waiting" },
        h("h1", {}, t("tablet.waiting_title")),
        h("p", {}, t("tablet.waiting_text", { name })),
        h("p", { class: "muted" }, t("tablet.waiting_device", { device: deviceId })),
      ),
    ),
  );
  const timer = window.setInterval(async () => {
    try {
      const session = await get("/api/session");
      window.clearInterval(timer);
      onJoined(session);
    } catch (err) {
      if (err?.code === "device_pending" || err?.status === 0) return;
      window.clearInterval(timer);
      onRefused(err);
    }
  }, 2000);
}
