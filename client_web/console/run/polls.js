// The run screen's vote panel (biểu quyết): the polls of the meeting, newest first, with
// their live count or result, the controller's open/close/cancel buttons, and the form
// that creates a poll on the current agenda item.

import { del, post } from "../../shared/api.js";
import { showError, showNotice } from "../../shared/banner.js";
import { confirmAction } from "../../shared/dialog.js";
import { busy, field, fill, h } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { currentItem } from "../../shared/live.js";
import { optionLabel, resultChart } from "../../shared/polls.js";

/** The majority rules offered; the first (the Party rule) is the default. */
const POLL_MAJORITIES = [
  "more_than_half_of_members",
  "more_than_half_of_present",
  "more_than_half_of_valid_ballots",
  "two_thirds_of_members",
];

export class PollPanel {
  /** `screen` is the run screen: its state, rights, `run` (live commands) and `changed`. */
  constructor(screen) {
    this.screen = screen;
    this.pollList = h("div", { class: "poll-list-slot" });
    this.pollFormSlot = h("div", { class: "poll-form-slot" });
    this.element = h(
      "section",
      { class: "panel run-polls", "aria-labelledby": "run-polls-title", "data-testid": "run-polls" },
      h("h2", { id: "run-polls-title" }, t("polls.heading")),
      this.pollList,
      this.pollFormSlot,
    );
  }

  pollForm() {
    const { meeting, live } = this.screen.state;
    const item = currentItem(this.screen.state);
    const title = h("input", {
      name: "poll_title",
      maxlength: 500,
      value: item ? item.title : "",
      placeholder: t("polls.title_placeholder"),
    });
    const kind = h(
      "select",
      { name: "poll_kind" },
      h("option", { value: "open" }, t("polls.kind_open")),
      h("option", { value: "secret" }, t("polls.kind_secret")),
    );
    const majority = h(
      "select",
      { name: "poll_majority" },
      POLL_MAJORITIES.map((m) => h("option", { value: m }, t(`polls.majority.${m}`))),
    );
    const create = h("button", { type: "submit", class: "btn btn-primary", text: t("polls.create") });
    return h(
      "form",
      {
        class: "run-form poll-form",
        novalidate: true,
        "data-testid": "poll-form",
        on: {
          submit: async (e) => {
            e.preventDefault();
            if (!title.value.trim()) {
              showError(t("polls.title_required"));
              title.focus();
              return;
            }
            const body = { kind: kind.value, type: "approval", title: title.value.trim(), majority: majority.value };
            if (live.current_item_id) body.agenda_item_id = live.current_item_id;
            const done = await busy(create, () => this.screen.ctx.run(() => post(`/api/meetings/${meeting.id}/polls`, body)));
            if (done) showNotice(t("polls.created", { title: done.title }));
          },
        },
      },
      field(t("polls.title"), title),
      h("div", { class: "form-row" }, field(t("polls.kind"), kind), field(t("polls.majority_label"), majority)),
      h("p", { class: "muted" }, t("polls.options_fixed")),
      h("div", { class: "form-actions" }, create),
    );
  }

  pollRow(poll) {
    const tools = [];
    if (this.screen.controller && poll.state === "draft") {
      tools.push(
        h("button", {
          type: "button",
          class: "btn btn-primary",
          disabled: !this.screen.running,
          "data-testid": "poll-open",
          text: t("polls.open"),
          on: { click: (e) => this.screen.run("poll.open", { poll_id: poll.id }, e.currentTarget) },
        }),
        h("button", {
          type: "button",
          class: "btn btn-danger-outline",
          text: t("polls.delete"),
          on: {
            click: (e) =>
              busy(e.currentTarget, () => this.screen.ctx.run(() => del(`/api/polls/${poll.id}`))),
          },
        }),
      );
      if (poll.kind === "secret") {
        // What secrecy the office gets, said before the poll opens (docs/voting.md).
        tools.push(h("p", { class: "muted", "data-testid": "poll-secrecy" }, t("polls.secrecy_note")));
      }
    }
    if (this.screen.controller && poll.state === "open") {
      tools.push(
        h("button", {
          type: "button",
          class: "btn btn-primary",
          "data-testid": "poll-close",
          text: t("polls.close"),
          on: {
            click: async (e) => {
              const button = e.currentTarget;
              const ok = await confirmAction({
                title: t("polls.close_title"),
                message: t("polls.close_message", { cast: poll.ballots_cast, eligible: poll.eligible }),
                confirmLabel: t("polls.close"),
              });
              if (ok) this.screen.run("poll.close", { poll_id: poll.id }, button);
            },
          },
        }),
        h("button", {
          type: "button",
          class: "btn btn-danger-outline",
          text: t("polls.cancel"),
          on: {
            click: async (e) => {
              const button = e.currentTarget;
              const ok = await confirmAction({
                title: t("polls.cancel_title"),
                message: t("polls.cancel_message"),
                confirmLabel: t("polls.cancel"),
                danger: true,
              });
              if (ok) this.screen.run("poll.cancel", { poll_id: poll.id }, button);
            },
          },
        }),
      );
    }
    let body = null;
    if (poll.state === "open") {
      body = h(
        "div",
        { class: "poll-live" },
        h("p", { class: "poll-count", "data-testid": "poll-count" }, t("polls.count", { cast: poll.ballots_cast, eligible: poll.eligible })),
        poll.counts
          ? h(
              "ul",
              { class: "poll-tally" },
              poll.options.map((o) => h("li", {}, h("span", {}, optionLabel(o)), h("strong", {}, String(poll.counts[o.id] ?? 0)))),
            )
          : h("p", { class: "muted" }, t(poll.kind === "secret" ? "polls.secret_hidden" : "polls.counts_pending")),
      );
    } else if (poll.state === "closed" && poll.result) {
      body = resultChart(poll);
    }
    return h(
      "li",
      { class: "poll-row", "data-testid": "poll", "data-poll-id": poll.id, "data-state": poll.state },
      h(
        "div",
        { class: "poll-head" },
        h("span", { class: "poll-title" }, poll.title),
        h("span", { class: ["badge", `badge-poll-${poll.state}`] }, t(`polls.state.${poll.state}`)),
        h("span", { class: "muted" }, t(poll.kind === "secret" ? "polls.kind_secret" : "polls.kind_open")),
      ),
      body,
      tools.length ? h("div", { class: "form-actions" }, tools) : null,
    );
  }

  draw() {
    const polls = (this.screen.state.live.polls ?? []).filter((p) => p.state !== "cancelled").slice().reverse();
    fill(
      this.pollList,
      polls.length
        ? h("ol", { class: "poll-list" }, polls.map((p) => this.pollRow(p)))
        : h("p", { class: "empty-inline" }, t("polls.none")),
    );
    // The form is drawn again only when the item or the rights change: typing survives ballots.
    const { meeting, live } = this.screen.state;
    if (this.screen.changed("pollform", [this.screen.controller, meeting.state, live.current_item_id])) {
      fill(
        this.pollFormSlot,
        this.screen.controller && meeting.state !== "closed" && meeting.state !== "cancelled" ? this.pollForm() : null,
      );
    }
  }
}
