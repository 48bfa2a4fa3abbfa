// The run screen's timer panel: the countdown everyone sees, and the form that starts or
// stops it (minutes and a label).

import { showError } from "../../shared/banner.js";
import { field, fill, h } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { timerView } from "../../shared/liveview.js";

export class TimerPanel {
  constructor(screen) {
    this.screen = screen;
    this.now = h("div", { class: "run-timer-now" });
    const minutes = h("input", {
      name: "timer_minutes",
      type: "number",
      min: 1,
      max: 1440,
      value: "5",
      inputmode: "numeric",
    });
    const label = h("input", { name: "timer_label", maxlength: 200, value: t("run.timer_default_label") });
    const start = h("button", { type: "submit", class: "btn btn-primary", text: t("run.timer_start") });
    const stop = h("button", {
      type: "button",
      class: "btn",
      "data-testid": "timer-stop",
      text: t("run.timer_stop"),
      on: { click: (e) => this.screen.run("timer.stop", {}, e.currentTarget) },
    });
    const form = h(
      "form",
      {
        class: "run-form",
        novalidate: true,
        "data-testid": "timer-form",
        on: {
          submit: (e) => {
            e.preventDefault();
            const n = Number(minutes.value);
            if (!Number.isFinite(n) || n <= 0 || n > 1440) {
              showError(t("run.timer_invalid"));
              minutes.focus();
              return;
            }
            this.screen.run("timer.start", { seconds: Math.round(n * 60), label: label.value.trim() }, start);
          },
        },
      },
      h("div", { class: "form-row" }, field(t("run.timer_minutes"), minutes), field(t("run.timer_label"), label)),
      h("div", { class: "form-actions" }, start, stop),
    );
    this.element = h(
      "section",
      { class: "panel run-timer", "aria-labelledby": "run-timer-title" },
      h("h2", { id: "run-timer-title" }, t("run.timer")),
      this.now,
      form,
    );
  }

  draw() {
    fill(this.now, timerView(this.screen.state.live.timer, { large: true }) ?? h("p", { class: "muted" }, t("run.timer_none")));
  }
}
