// Màn hình phòng họp: links that open the room display on a projector without signing in.
// A link is shown once, as an address and a QR code (only its hash is kept); the list says
// when each was made and by whom, and revoking one closes a display already showing.

import { get, post } from "../shared/api.js";
import { showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, field, fill, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatDateTime } from "../shared/time.js";

function linkRow(page, link, redraw) {
  const revoke = h("button", { type: "button", class: "btn btn-danger-outline", text: t("display.revoke") });
  revoke.addEventListener("click", async () => {
    const ok = await confirmAction({
      title: t("display.revoke_title"),
      message: t("display.revoke_message"),
      confirmLabel: t("display.revoke"),
      danger: true,
    });
    if (!ok) return;
    const done = await busy(revoke, () =>
      page.ctx.run(() => post(`/api/meetings/${page.detail.id}/display-links/${link.id}/revoke`)),
    );
    if (done) {
      showNotice(t("display.revoked"));
      await redraw();
    }
  });
  return h(
    "tr",
    { "data-testid": "display-link", "data-link-id": link.id },
    h("td", {}, link.label || t("display.unnamed")),
    h("td", {}, formatDateTime(link.created_at)),
    h("td", {}, link.created_by),
    h(
      "td",
      {},
      link.active
        ? revoke
        : h("span", { class: "muted" }, t("display.revoked_at", { when: formatDateTime(link.revoked_at) })),
    ),
  );
}

/** The QR code from the answer, as a blob: URL (the page's policy allows blob:, not data:). */
function qrUrl(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return URL.createObjectURL(new Blob([bytes], { type: "image/svg+xml" }));
}

function madeCard(made) {
  return h(
    "div",
    { class: "join-card", "data-testid": "display-made" },
    h(
      "figure",
      { class: "join-qr" },
      h("img", {
        src: qrUrl(made.qr_svg_base64),
        alt: t("display.qr_alt"),
        width: 240,
        height: 240,
        "data-testid": "display-qr",
      }),
    ),
    h(
      "div",
      { class: "join-text" },
      h("span", { class: "field-label" }, t("display.url_label")),
      h("p", { class: "join-url", "data-testid": "display-url" }, made.url),
      h("p", { class: "muted" }, t("display.shown_once")),
    ),
  );
}

export function displayLinksSection(page) {
  const meetingId = page.detail.id;
  const list = h("div", { "data-testid": "display-links" }, h("p", { class: "muted" }, t("common.loading")));
  const made = h("div");
  const label = h("input", { type: "text", maxlength: 100, name: "display-label", autocomplete: "off" });
  const create = h("button", { type: "submit", class: "btn btn-primary", text: t("display.create") });

  async function redraw() {
    const answer = await page.ctx.run(() => get(`/api/meetings/${meetingId}/display-links`));
    if (!answer) return;
    const { links } = answer;
    fill(
      list,
      links.length
        ? h(
            "table",
            { class: "audit-table" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, t("display.label")),
                h("th", { scope: "col" }, t("display.created_at")),
                h("th", { scope: "col" }, t("display.created_by")),
                h("th", { scope: "col" }, t("display.state")),
              ),
            ),
            h("tbody", {}, links.map((link) => linkRow(page, link, redraw))),
          )
        : h("p", { class: "empty-inline" }, t("display.none")),
    );
  }

  const form = h(
    "form",
    { class: "display-form" },
    field(t("display.label"), label, t("display.label_hint")),
    h("div", { class: "form-actions" }, create),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await busy(create, () =>
      page.ctx.run(() => post(`/api/meetings/${meetingId}/display-links`, { label: label.value.trim() })),
    );
    if (!answer) return;
    label.value = "";
    fill(made, madeCard(answer));
    await redraw();
  });
  redraw();
  return h(
    "section",
    { class: "panel", "data-testid": "display-section" },
    h("div", { class: "section-head" }, h("h2", {}, t("display.title"))),
    h("p", { class: "muted" }, t("display.intro")),
    page.rights.issueJoinCode ? form : null,
    made,
    list,
  );
}
