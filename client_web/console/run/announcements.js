// The run screen's announcement panel: the announcement on every screen now, and the form
// that makes a new one.

import { showError } from "../../shared/banner.js";
import { fill, h } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { announcementView } from "../../shared/liveview.js";

export class AnnouncementPanel {
  constructor(screen) {
    this.screen = screen;
    this.now = h("div", { class: "run-announcement-now" });
    const text = h("textarea", {
      name: "announcement",
      rows: 2,
      maxlength: 1000,
      placeholder: t("run.announcement_placeholder"),
      "aria-label": t("run.announcement_text"),
    });
    const send = h("button", { type: "submit", class: "btn btn-primary", text: t("run.announcement_send") });
    const form = h(
      "form",
      {
        class: "run-form",
        novalidate: true,
        "data-testid": "announcement-form",
        on: {
          submit: async (e) => {
            e.preventDefault();
            if (!text.value.trim()) {
              showError(t("run.announcement_empty"));
              text.focus();
              return;
            }
            const done = await this.screen.run("announcement.make", { text: text.value.trim() }, send);
            if (done) text.value = "";
          },
        },
      },
      text,
      h("div", { class: "form-actions" }, send),
    );
    this.element = h(
      "section",
      { class: "panel run-announcements", "aria-labelledby": "run-announcement-title" },
      h("h2", { id: "run-announcement-title" }, t("run.announcements")),
      this.now,
      form,
    );
  }

  draw() {
    fill(this.now, announcementView(this.screen.state.live.announcement) ?? h("p", { class: "muted" }, t("run.announcement_none")));
  }
}
