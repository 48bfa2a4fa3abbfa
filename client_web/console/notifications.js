// The bell in the top bar: the signed-in user's notifications (invitations, drafts
// returned, reminders of deadlines), newest first, unread ones marked; opening one marks
// it read and follows its link. Checked on sign-in, when the panel opens and every minute.

import { get, post } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatDateTime } from "../shared/time.js";

const POLL_MS = 60_000;

export function initNotifications(ctx, menu) {
  const count = menu.querySelector("[data-role=count]");
  const list = menu.querySelector("[data-role=list]");
  const markAll = menu.querySelector("[data-role=mark-all]");
  let timer = null;

  function show(data) {
    const unread = data?.unread ?? 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    count.hidden = unread === 0;
    menu.querySelector("summary").setAttribute("aria-label", t("notifications.title_count", { count: unread }));
    markAll.hidden = unread === 0;
    const items = data?.notifications ?? [];
    if (!items.length) {
      fill(list, h("p", { class: "empty notifications-empty" }, t("notifications.empty")));
      return;
    }
    fill(
      list,
      ...items.map((n) =>
        h(
          "a",
          {
            class: `notification${n.read ? "" : " unread"}`,
            href: n.link || "#/",
            "data-testid": "notification",
            on: {
              click: () => {
                menu.open = false;
                if (!n.read) post("/api/notifications/read", { ids: [n.id] }).then(refresh, () => {});
              },
            },
          },
          h("span", { class: "notification-text" }, n.text),
          h("time", { class: "notification-time", datetime: n.created_at }, formatDateTime(n.created_at)),
        ),
      ),
    );
  }

  async function refresh() {
    if (!ctx.session?.user) return;
    try {
      show(await get("/api/notifications"));
    } catch {
      // Offline or signed out: the bell keeps what it showed; the next check tries again.
    }
  }

  markAll.addEventListener("click", async () => {
    await ctx.run(() => post("/api/notifications/read", {}));
    refresh();
  });
  menu.addEventListener("toggle", () => {
    if (menu.open) refresh();
  });

  return {
    start() {
      menu.hidden = false;
      refresh();
      clearInterval(timer);
      timer = setInterval(refresh, POLL_MS);
    },
    stop() {
      clearInterval(timer);
      timer = null;
      menu.hidden = true;
      menu.open = false;
    },
  };
}
