// Giấy mời on the tablet or phone: before the meeting starts, the delegate sees their
// answer to the invitation and gives or changes it: attend, absent (a reason), or send a
// substitute (name and title), whom the office then accepts or refuses. Answers change
// only while the meeting is scheduled and until the office accepts a substitute (see
// services/invitations.py); after that the panel says so. The meeting's time, place and
// agenda are on the same screen, above and below.

import { ApiError, get, put } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { busy, field, fill, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

const ENDED = new Set(["closed", "cancelled"]);
const CHOICES = ["confirmed", "absent", "substitute"];

export class InvitationPanel {
  constructor(meetingId) {
    this.url = `/api/meetings/${meetingId}/invitation`;
    this.el = h("section", { class: "tablet-invitation", "data-testid": "tablet-invitation", hidden: true });
    /** The delegate's line (services.invitations.invitation_view), null when not invited. */
    this.line = null;
    this.meetingState = null;
    /** The answer being filled in ("absent" or "substitute"), or "change" to pick again. */
    this.editing = null;
    /** What has been typed in the form, kept across redraws (a reconnect reads the line again). */
    this.draft = {};
    /** Counts answers sent: a read that started before the last one is out of date. */
    this.sent = 0;
  }

  /** Read the delegate's answer (at start and after a reconnect: the office's decision on a
   * substitute is not sent to tablets as an event). */
  async load() {
    const sent = this.sent;
    try {
      const line = await get(this.url);
      // Unchanged (a reconnect), or older than an answer sent meanwhile: nothing to redraw.
      if (sent !== this.sent || (this.line && JSON.stringify(line) === JSON.stringify(this.line))) return;
      this.line = line;
    } catch (err) {
      if (err instanceof ApiError && err.status === 0) return; // offline: kept as it was
      this.line = null; // an accepted substitute, or staff not invited: nothing to answer
      if (!(err instanceof ApiError && err.status === 409)) showError(err);
    }
    this.draw();
  }

  /** The meeting's state changed (answers close when it starts). */
  setMeetingState(state) {
    if (state === this.meetingState) return;
    this.meetingState = state;
    this.draw();
  }

  get locked() {
    return this.meetingState !== "scheduled" || this.line?.substitute?.state === "accepted";
  }

  draw() {
    const line = this.line;
    this.el.hidden = !line || !this.meetingState || ENDED.has(this.meetingState);
    if (this.el.hidden) return;
    const answered = line.state !== "invited";
    let body;
    if (this.locked) body = h("p", { class: "invitation-locked", "data-testid": "invitation-locked", role: "note" }, this.lockedText());
    else if (this.editing === "absent" || this.editing === "substitute") body = this.form(this.editing);
    else if (answered && this.editing !== "change") body = this.changeButton();
    else body = this.choices();
    fill(
      this.el,
      h("h2", {}, t("invitations.mine_title")),
      h("p", { class: "invitation-mine", "data-testid": "invitation-mine", "data-state": line.state }, this.summary()),
      body,
    );
  }

  summary() {
    const line = this.line;
    const parts = [h("strong", {}, t(`tablet.invitation.state.${line.state}`))];
    if (line.state === "absent" && line.reason) parts.push(h("span", { class: "muted" }, t("tablet.invitation.reason_was", { reason: line.reason })));
    if (line.state === "substitute" && line.substitute) {
      const sub = line.substitute;
      parts.push(
        h("span", {}, sub.title ? `${sub.full_name} — ${sub.title}` : sub.full_name),
        h(
          "span",
          { class: ["badge", `invitation-substitute-${sub.state}`], "data-testid": "invitation-substitute-state" },
          t(`tablet.invitation.substitute.${sub.state}`),
        ),
      );
    }
    return parts;
  }

  lockedText() {
    if (this.line?.substitute?.state === "accepted") return t("tablet.invitation.locked_substitute");
    return t("tablet.invitation.locked_started");
  }

  choices() {
    return h(
      "div",
      { class: "invitation-choices", role: "group", "aria-label": t("invitations.answer_title") },
      CHOICES.map((choice) => {
        const button = h("button", {
          type: "button",
          class: ["btn", choice === "confirmed" && "btn-primary"],
          "data-testid": `invitation-choose-${choice}`,
          text: t(`tablet.invitation.choose.${choice}`),
        });
        button.addEventListener("click", () => {
          if (choice === "confirmed") this.send(button, { state: "confirmed" });
          else {
            this.editing = choice;
            this.draft = this.initialDraft(choice);
            this.draw();
            this.el.querySelector("textarea, input")?.focus();
          }
        });
        return button;
      }),
    );
  }

  changeButton() {
    const button = h("button", { type: "button", class: "btn", "data-testid": "invitation-change", text: t("tablet.invitation.change") });
    button.addEventListener("click", () => {
      this.editing = "change";
      this.draw();
    });
    return h("div", { class: "invitation-choices" }, button);
  }

  /** The form's starting values: the answer given before, if it was of this kind. */
  initialDraft(kind) {
    const mine = this.line;
    if (kind === "absent") return { reason: mine.state === "absent" ? mine.reason : "" };
    return { substitute_name: mine.substitute?.full_name ?? "", substitute_title: mine.substitute?.title ?? "" };
  }

  /** The details an absence (a reason) or a substitute (name and title) needs. */
  form(kind) {
    const draft = this.draft;
    const controls =
      kind === "absent"
        ? [h("textarea", { name: "reason", rows: 3, maxlength: 500, required: true, value: draft.reason ?? "" })]
        : [
            h("input", { name: "substitute_name", maxlength: 200, required: true, autocomplete: "off", value: draft.substitute_name ?? "" }),
            h("input", { name: "substitute_title", maxlength: 200, required: true, autocomplete: "off", value: draft.substitute_title ?? "" }),
          ];
    for (const control of controls) control.addEventListener("input", () => (draft[control.name] = control.value));
    const labels = kind === "absent" ? ["invitations.reason"] : ["invitations.substitute_name", "invitations.substitute_title"];
    const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("invitations.answer_send") });
    const cancel = h("button", { type: "button", class: "btn", text: t("action.cancel_dialog") });
    cancel.addEventListener("click", () => {
      this.editing = null;
      this.draw();
    });
    const form = h(
      "form",
      { class: "invitation-form", novalidate: true, "data-testid": `invitation-form-${kind}` },
      controls.map((control, i) => field(t(labels[i]), control)),
      h("div", { class: "invitation-choices" }, submit, cancel),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const empty = controls.find((control) => !control.value.trim());
      if (empty) {
        showError(t(`tablet.invitation.missing.${empty.name}`));
        empty.focus();
        return;
      }
      const body = { state: kind };
      for (const control of controls) body[control.name] = control.value.trim();
      this.send(submit, body);
    });
    return form;
  }

  async send(button, body) {
    this.sent += 1;
    let saved;
    try {
      saved = await busy(button, () => put(this.url, body));
    } catch (err) {
      showError(err);
      if (err instanceof ApiError && err.code === "invitation_closed") this.setMeetingState(err.params.state);
      return;
    }
    this.line = saved;
    this.editing = null;
    this.draft = {};
    showNotice(t("invitations.answer_saved"));
    this.draw();
  }
}
