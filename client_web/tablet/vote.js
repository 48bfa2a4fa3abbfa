// The ballot on the tablet: it appears when a poll opens for a member who may vote, sends
// the ballot with a key made here (kept in sessionStorage until the server's result, and
// sent again with the same key after a reconnect, so it is counted once), says
// "recorded" only once the server answered, and shows the result when the poll closes.

import { showError } from "../shared/banner.js";
import { fill, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { mayVote, optionLabel, resultChart } from "../shared/polls.js";

function newKey() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class VotePanel {
  constructor(live, me, meetingId) {
    this.live = live;
    this.me = me;
    this.storageKey = `phonghop.ballots.${meetingId}`;
    this.el = h("section", { class: "vote-panel", "data-testid": "vote-panel", "aria-live": "polite", hidden: true });
    this.sending = new Set();
    this.dismissed = new Set();
    this.ballots = this._load(); // poll id → {ballot_key, choices, recorded}
  }

  _load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(this.storageKey) ?? "{}") ?? {};
    } catch {
      return {};
    }
  }

  _save() {
    try {
      window.sessionStorage.setItem(this.storageKey, JSON.stringify(this.ballots));
    } catch {
      // storage disabled: kept while the page is open
    }
  }

  /** Leaving the meeting on this device: no ballot stays behind. */
  forget() {
    this.ballots = {};
    try {
      window.sessionStorage.removeItem(this.storageKey);
    } catch {
      // storage disabled
    }
  }

  /** After each (re)connection: send again every ballot whose result never came. */
  resend() {
    for (const [pollId, ballot] of Object.entries(this.ballots)) {
      if (!ballot.recorded) this._send(Number(pollId));
    }
  }

  cast(poll, optionId) {
    if (this.ballots[poll.id]) return; // one ballot per poll from this tablet
    this.ballots[poll.id] = { ballot_key: newKey(), choices: [optionId], recorded: false };
    this._save();
    this._send(poll.id);
    this.draw();
  }

  async _send(pollId) {
    const ballot = this.ballots[pollId];
    if (!ballot || this.sending.has(pollId)) return;
    this.sending.add(pollId);
    try {
      await this.live.command(
        "poll.cast_ballot",
        { poll_id: pollId, ballot_key: ballot.ballot_key, choices: ballot.choices },
        { offline: "queue" },
      );
      ballot.recorded = true;
      this._save();
    } catch (err) {
      if (err.code === "connection_lost" || err.code === "offline") {
        // Not known whether it was stored: the same key goes again after the reconnect.
      } else {
        delete this.ballots[pollId]; // refused (closed, not eligible…): nothing was stored
        this._save();
        showError(err);
      }
    } finally {
      this.sending.delete(pollId);
      this.draw();
    }
  }

  /** The poll to show: an open one first, else the latest closed one not dismissed. */
  _current(state) {
    const polls = state.live.polls ?? [];
    const open = polls.filter((p) => p.state === "open");
    if (open.length) return open[open.length - 1];
    const closed = polls.filter((p) => p.state === "closed" && p.result && !this.dismissed.has(p.id));
    const last = closed[closed.length - 1];
    // A result is shown to those who were asked to vote, for the poll that just closed.
    return last && (this.ballots[last.id] || last.me?.voted) ? last : null;
  }

  draw(state = this.live.state) {
    if (!state) return;
    const participant = state.meeting.participants.find((p) => p.id === this.me.id) ?? this.me;
    // An ended meeting shows its ended state, not a result dialog over it.
    const ended = state.meeting.state === "closed" || state.meeting.state === "cancelled";
    const poll = ended ? null : this._current(state);
    if (!poll || (poll.state === "open" && !participant.voting_member)) {
      this.el.hidden = true;
      this.el.replaceChildren();
      return;
    }
    this.el.hidden = false;
    const mine = this.ballots[poll.id];
    const recorded = Boolean(mine?.recorded || poll.me?.voted);
    let body;
    if (poll.state === "closed") {
      body = [
        h("p", { class: "vote-label" }, t("vote.result")),
        resultChart(poll, "vote-result"),
        h("button", {
          type: "button",
          class: "btn",
          text: t("vote.dismiss"),
          on: {
            click: () => {
              this.dismissed.add(poll.id);
              this.draw();
            },
          },
        }),
      ];
    } else if (!recorded && !mine && !mayVote(poll, participant)) {
      body = [h("p", { class: "vote-sending", "data-testid": "vote-not-present" }, t("vote.not_present"))];
    } else if (recorded) {
      const chosen = mine ? poll.options.find((o) => o.id === mine.choices[0]) : null;
      body = [
        h(
          "p",
          { class: "vote-recorded", role: "status", "data-testid": "vote-recorded" },
          t("vote.recorded"),
          chosen ? ` ${t("vote.your_choice", { choice: optionLabel(chosen) })}` : "",
        ),
        h("p", { class: "muted" }, t("vote.wait_result", { cast: poll.ballots_cast, eligible: poll.eligible })),
      ];
    } else if (mine) {
      // A secret ballot waits in the server's box until enough voters are in it (docs/voting.md).
      const boxed = poll.kind === "secret" && this.live.status === "live";
      body = [
        h(
          "p",
          { class: "vote-sending", "data-testid": "vote-sending" },
          t(boxed ? "vote.recording_secret" : "vote.sending"),
        ),
      ];
    } else {
      body = [
        h(
          "div",
          { class: "vote-options" },
          poll.options.map((o) =>
            h("button", {
              type: "button",
              class: ["btn", "btn-large", "vote-option", `vote-${o.role}`],
              "data-option-id": o.id,
              text: optionLabel(o),
              on: { click: () => this.cast(poll, o.id) },
            }),
          ),
        ),
        h("p", { class: "muted" }, t(poll.kind === "secret" ? "vote.secret_note" : "vote.open_note")),
      ];
    }
    fill(
      this.el,
      h("p", { class: "vote-kicker" }, t(poll.kind === "secret" ? "vote.kicker_secret" : "vote.kicker_open")),
      h("h2", { class: "vote-title" }, poll.title),
      body,
    );
  }
}
