// Small pieces every live screen draws the same way: the connection status, the timer
// countdown and the announcement.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { formatSeconds, timerRemaining } from "./live.js";
import { formatTime } from "./time.js";

/**
 * The connection status as a pill. `offlineText` lets the tablet say that the
 * delegate's notes are kept.
 */
export function statusPill(status, offlineText = null) {
  const text = {
    connecting: t("live.status.connecting"),
    live: t("live.status.live"),
    offline: offlineText ?? t("live.status.offline"),
    closed: t("live.status.closed"),
  }[status];
  return h(
    "span",
    {
      class: ["status-pill", `status-${status}`],
      role: "status",
      "data-testid": "connection-status",
      "data-status": status,
    },
    h("span", { class: "status-dot", "aria-hidden": "true" }),
    text,
  );
}

/** The countdown; `tickTimers` keeps its text current. */
export function timerView(timer, { large = false } = {}) {
  if (!timer) return null;
  const remaining = timerRemaining(timer);
  return h(
    "span",
    {
      class: ["timer", large && "timer-large", remaining === 0 && "timer-done"],
      "data-testid": "timer",
      "data-ends-at": timer.ends_at,
      "aria-label": timer.label ? t("live.timer_named", { label: timer.label }) : t("live.timer"),
    },
    timer.label ? h("span", { class: "timer-label" }, timer.label) : null,
    h("span", { class: "timer-value" }, formatSeconds(remaining)),
  );
}

/** Every half second, update the countdowns under `root` (by the server's clock). */
export function tickTimers(root, skew = () => 0) {
  return window.setInterval(() => {
    for (const el of root.querySelectorAll("[data-ends-at]")) {
      const left = timerRemaining({ ends_at: el.dataset.endsAt }, skew());
      const value = el.querySelector(".timer-value");
      const text = formatSeconds(left);
      if (value && value.textContent !== text) value.textContent = text;
      el.classList.toggle("timer-done", left === 0);
    }
  }, 500);
}

export function announcementView(announcement, { onDismiss = null } = {}) {
  if (!announcement) return null;
  return h(
    "div",
    { class: "announcement", role: "status", "data-testid": "announcement" },
    h("span", { class: "announcement-label" }, t("live.announcement_at", { time: formatTime(announcement.at) })),
    h("span", { class: "announcement-text" }, announcement.text),
    onDismiss
      ? h("button", {
          type: "button",
          class: "btn btn-quiet announcement-close",
          "aria-label": t("live.announcement_dismiss"),
          text: "×",
          on: { click: onDismiss },
        })
      : null,
  );
}

/** The participant's name, by id, from the meeting state. */
export function participantName(state, id) {
  return state?.meeting?.participants?.find((p) => p.id === id)?.full_name ?? t("live.unknown_participant", { id });
}
