// Mã tham dự: the code and QR code the tablets join with; reissue it (the old code stops
// working) or revoke it (no new tablet can join; those already in stay).

import { apiUrl, del, post } from "../shared/api.js";
import { showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

/** "K7PM3QXA" is read aloud and typed as "K7PM 3QXA". */
export function spacedCode(code) {
  return code.replace(/(.{4})(?=.)/g, "$1 ");
}

function tabletUrl(code) {
  return new URL(`tablet/#join=${code}`, new URL("../", import.meta.url)).href;
}

async function reissue(page, button) {
  const { detail } = page;
  if (detail.join_code) {
    const ok = await confirmAction({
      title: t("join.reissue_title"),
      message: t("join.reissue_message"),
      confirmLabel: t("join.reissue"),
      danger: true,
    });
    if (!ok) return;
  }
  const done = await busy(button, () => page.ctx.run(() => post(`/api/meetings/${detail.id}/join-code`)));
  if (done) {
    showNotice(t("join.issued"));
    await page.reload();
  }
}

async function revoke(page, button) {
  const ok = await confirmAction({
    title: t("join.revoke_title"),
    message: t("join.revoke_message"),
    confirmLabel: t("join.revoke"),
    danger: true,
  });
  if (!ok) return;
  const done = await busy(button, () => page.ctx.run(() => del(`/api/meetings/${page.detail.id}/join-code`)));
  if (done) {
    showNotice(t("join.revoked"));
    await page.reload();
  }
}

export function joinCodeSection(page) {
  const { detail, rights } = page;
  const code = detail.join_code;
  const tools = [];
  if (rights.issueJoinCode) {
    const button = h("button", {
      type: "button",
      class: ["btn", !code && "btn-primary"],
      text: t(code ? "join.reissue" : "join.issue"),
    });
    button.addEventListener("click", () => reissue(page, button));
    tools.push(button);
  }
  if (code && rights.revokeJoinCode) {
    const button = h("button", { type: "button", class: "btn btn-danger-outline", text: t("join.revoke") });
    button.addEventListener("click", () => revoke(page, button));
    tools.push(button);
  }
  const body = code
    ? h(
        "div",
        { class: "join-card" },
        h(
          "figure",
          { class: "join-qr" },
          h("img", {
            src: apiUrl(`/api/meetings/${detail.id}/join-qr.svg?code=${encodeURIComponent(code)}`),
            alt: t("join.qr_alt", { code: spacedCode(code) }),
            width: 240,
            height: 240,
            "data-testid": "join-qr",
            on: {
              // Without the picture the code and the address below still work.
              error: (event) => {
                event.currentTarget.closest("figure").hidden = true;
              },
            },
          }),
        ),
        h(
          "div",
          { class: "join-text" },
          h("span", { class: "field-label" }, t("join.code_label")),
          h("span", { class: "join-code", "data-testid": "join-code" }, spacedCode(code)),
          h("p", { class: "muted" }, t("join.how")),
          h("p", { class: "join-url" }, tabletUrl(code)),
        ),
      )
    : h("p", { class: "empty-inline", "data-testid": "join-code-none" }, t("join.none"));
  return h(
    "section",
    { class: "panel" },
    h("div", { class: "section-head" }, h("h2", {}, t("tab.join"))),
    body,
    tools.length ? h("div", { class: "form-actions" }, tools) : null,
  );
}
