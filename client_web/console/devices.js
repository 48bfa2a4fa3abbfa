// Thiết bị: who holds which device. Devices waiting for confirmation ("thiết bị chờ xác
// nhận") with the name chosen and the device; each participant's live devices, which can
// be revoked; the personal codes the office prints on the invitations.

import { get, post } from "../shared/api.js";
import { showError } from "../shared/banner.js";
import { h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const REFRESH_MS = 3000;

function deviceRow(page, device, reload) {
  const act = (action) => async () => {
    try {
      await post(`/api/meetings/${page.meetingId}/devices/${device.device_id}/${action}`, {});
    } catch (err) {
      showError(err);
    }
    reload();
  };
  const pending = device.state === "pending";
  return h(
    "li",
    { class: "device-row", "data-device-id": device.device_id, "data-state": device.state },
    h("span", { class: "person-name" }, device.full_name),
    h("span", { class: "muted" }, ` ${device.device_id} · ${device.user_agent.slice(0, 60)} · ${device.address}`),
    pending ? null : h("span", { class: "badge" }, t(`devices.proof_${device.proof || "confirmed"}`)),
    pending
      ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "device-confirm",
          text: t("devices.confirm"), on: { click: act("confirm") } })
      : null,
    h("button", { type: "button", class: "btn", "data-testid": "device-revoke",
      text: pending ? t("devices.refuse") : t("devices.revoke"), on: { click: act("revoke") } }),
  );
}

/** The devices panel of a meeting; refreshes itself while it is on the screen. */
export function devicesSection(page) {
  const waiting = h("ul", { class: "person-list", "data-testid": "devices-waiting" });
  const live = h("ul", { class: "person-list", "data-testid": "devices-live" });
  const codes = h("ul", { class: "person-list", "data-testid": "personal-codes", hidden: true });
  const section = h(
    "section",
    { class: "panel", "data-testid": "devices" },
    h("h2", {}, t("devices.title")),
    h("h3", {}, t("devices.waiting")),
    waiting,
    h("h3", {}, t("devices.live")),
    live,
    h("button", { type: "button", class: "btn", "data-testid": "show-personal-codes", text: t("devices.show_codes"),
      on: { click: () => showCodes() } }),
    codes,
  );
  async function reload() {
    try {
      const view = await get(`/api/meetings/${page.meetingId}/devices`);
      const rows = view.devices.map((d) => deviceRow(page, d, reload));
      const pending = rows.filter((_, i) => view.devices[i].state === "pending");
      const active = rows.filter((_, i) => view.devices[i].state !== "pending");
      waiting.replaceChildren(...(pending.length ? pending : [h("li", { class: "empty-inline" }, t("devices.none_waiting"))]));
      live.replaceChildren(...(active.length ? active : [h("li", { class: "empty-inline" }, t("devices.none_live"))]));
    } catch (err) {
      if (err?.status !== 403) showError(err);
      section.hidden = true;
    }
  }
  async function showCodes() {
    try {
      const view = await get(`/api/meetings/${page.meetingId}/personal-codes`);
      codes.hidden = false;
      codes.replaceChildren(
        ...view.participants.map((p) =>
          h("li", {}, h("span", { class: "person-name" }, p.full_name), " ",
            p.sign_in === "account" ? h("span", { class: "muted" }, t("devices.signs_in_with_account"))
              : h("code", { class: "personal-code" }, p.personal_code)),
        ),
      );
    } catch (err) {
      showError(err);
    }
  }
  reload();
  const timer = window.setInterval(() => {
    if (!section.isConnected) window.clearInterval(timer);
    else reload();
  }, REFRESH_MS);
  return section;
}
