// The message banner at the top of each screen: errors from the server (its message is
// already translated) and short confirmations.

import { ApiError } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { LiveError } from "./live.js";

let hideTimer = null;

function bannerElement() {
  return document.getElementById("banner");
}

function show(kind, message, { autoHide = false } = {}) {
  const banner = bannerElement();
  if (!banner) return;
  window.clearTimeout(hideTimer);
  banner.className = `banner banner-${kind}`;
  banner.setAttribute("role", kind === "error" ? "alert" : "status");
  fill(
    banner,
    h("span", { class: "banner-message", "data-testid": "banner-message" }, message),
    h("button", {
      type: "button",
      class: "btn btn-quiet banner-close",
      "aria-label": t("banner.close"),
      text: "×",
      on: { click: clearBanner },
    }),
  );
  banner.hidden = false;
  if (kind === "error") banner.scrollIntoView({ block: "nearest" });
  if (autoHide) hideTimer = window.setTimeout(clearBanner, 4000);
}

/** Shows an ApiError's message (from the server), or a message of our own. */
export function showError(err) {
  if (typeof err === "string") {
    show("error", err);
  } else if (err instanceof ApiError || err instanceof LiveError) {
    show("error", err.message);
  } else {
    console.error(err);
    show("error", t("error.unexpected_client"));
  }
}

export function showNotice(message) {
  show("notice", message, { autoHide: true });
}

export function clearBanner() {
  const banner = bannerElement();
  if (!banner) return;
  window.clearTimeout(hideTimer);
  banner.hidden = true;
  banner.replaceChildren();
}
