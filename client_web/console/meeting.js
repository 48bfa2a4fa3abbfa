// One meeting: its header with the lifecycle buttons, and tabs for the agenda, the
// participants, the invitations, the roll call, the join code and the details.

import { get, patch, post } from "../shared/api.js";
import { showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, fill, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { formatSchedule } from "../shared/time.js";
import { agendaSection } from "./agenda.js";
import { displayLinksSection } from "./displays.js";
import { documentsSection } from "./documents.js";
import { invitationsSection } from "./invitations.js";
import { conclusionsSection } from "./notices.js";
import { joinCodeSection } from "./joincode.js";
import { classificationBadge, meetingForm, stateBadge } from "./meetings.js";
import { participantsSection } from "./participants.js";
import { meetingRights } from "./rights.js";
import { rollCallSection } from "./rollcall.js";

const TABS = ["agenda", "participants", "invitations", "documents", "attendance", "conclusions", "join", "details"];
const CONFIRMED_ACTIONS = new Set(["close", "cancel"]);
const PRIMARY_ACTIONS = new Set(["schedule", "start", "resume"]);
const DANGER_ACTIONS = new Set(["close", "cancel"]);
/** States in which the run screen is offered (before, during and right after the meeting). */
const RUNNABLE = new Set(["scheduled", "in_progress", "paused", "closed"]);

function lifecycleButtons(page) {
  const { detail, rights } = page;
  const actions = detail.allowed_actions.filter((a) => rights.may(a));
  return actions.map((action) => {
    const button = h("button", {
      type: "button",
      class: ["btn", PRIMARY_ACTIONS.has(action) && "btn-primary", DANGER_ACTIONS.has(action) && "btn-danger-outline"],
      "data-action": action,
      text: t(`action.${action}`),
    });
    button.addEventListener("click", async () => {
      if (CONFIRMED_ACTIONS.has(action)) {
        const ok = await confirmAction({
          title: t(`confirm.${action}.title`),
          message: t(`confirm.${action}.message`, { title: detail.title }),
          confirmLabel: t(`action.${action}`),
          danger: true,
        });
        if (!ok) return;
      }
      const updated = await busy(button, () =>
        page.ctx.run(() => post(`/api/meetings/${detail.id}/actions/${action}`)),
      );
      if (updated) {
        page.reload(updated);
        showNotice(t(`action_done.${action}`));
      }
    });
    return button;
  });
}

function attendanceSummary(detail) {
  const present = detail.participants.filter((p) => p.attendance === "present" || p.attendance === "present_online");
  return t("meeting.summary", { participants: detail.participants.length, present: present.length });
}

function header(page) {
  const { detail } = page;
  return h(
    "section",
    { class: "meeting-head panel" },
    h(
      "div",
      { class: "meeting-head-main" },
      h(
        "div",
        { class: "badges" },
        stateBadge(detail.state),
        classificationBadge(detail.classification),
      ),
      h("h1", { class: "meeting-title", "data-testid": "meeting-title" }, detail.title),
      h(
        "p",
        { class: "meeting-meta" },
        h("span", { "data-testid": "meeting-time" }, formatSchedule(detail.starts_at, detail.ends_at)),
        detail.location ? h("span", {}, detail.location) : null,
      ),
      h("p", { class: "meeting-meta" }, h("span", {}, attendanceSummary(detail))),
      detail.demo && (detail.state === "closed" || detail.state === "cancelled")
        ? h("p", { class: "demo-ended", role: "note", "data-testid": "demo-ended" }, t("meeting.demo_ended"))
        : null,
    ),
    h(
      "div",
      { class: "meeting-head-side" },
      h("div", { class: "meeting-head-actions", "data-testid": "lifecycle" }, lifecycleButtons(page)),
      detail.my_role && detail.state === "scheduled"
        ? h("a", {
            class: "btn",
            href: `#/invitation/${detail.id}`,
            "data-testid": "my-invitation-link",
            text: t("invitations.mine_link"),
          })
        : null,
      page.rights.runs && RUNNABLE.has(detail.state)
        ? h("a", {
            class: "btn btn-primary run-link",
            href: `#/meetings/${detail.id}/run`,
            "data-testid": "run-link",
            text: t("run.open"),
          })
        : null,
    ),
  );
}

function detailsSection(page) {
  const { detail, rights, ctx } = page;
  if (!rights.editDetails) {
    const rows = [
      ["meeting.title", detail.title],
      ["meeting.schedule", formatSchedule(detail.starts_at, detail.ends_at)],
      ["meeting.location", detail.location || "—"],
      ["meeting.classification", t(`classification.${detail.classification}`)],
      ["meeting.members_total", detail.members_total ?? "—"],
    ];
    return h(
      "section",
      { class: "panel" },
      h("h2", {}, t("tab.details")),
      h("dl", { class: "details" }, rows.map(([label, value]) => [h("dt", {}, t(label)), h("dd", {}, String(value))])),
      h("p", { class: "muted" }, t(rights.office ? "details.locked" : "details.office_only")),
    );
  }
  return h(
    "section",
    { class: "panel" },
    h("h2", {}, t("tab.details")),
    meetingForm(detail, {
      submitLabel: t("action.save"),
      onSubmit: (body) =>
        ctx.run(async () => {
          page.reload(await patch(`/api/meetings/${detail.id}`, body));
          showNotice(t("details.saved"));
        }),
    }),
  );
}

const SECTIONS = {
  agenda: agendaSection,
  participants: participantsSection,
  invitations: invitationsSection,
  documents: documentsSection,
  attendance: rollCallSection,
  conclusions: conclusionsSection,
  join: (page) => [joinCodeSection(page), page.rights.runs ? displayLinksSection(page) : null],
  details: detailsSection,
};

export async function renderMeetingPage(ctx, token, meetingId, requestedTab) {
  const root = h("div", { class: "meeting-page" });
  const page = {
    ctx,
    meetingId,
    detail: await get(`/api/meetings/${meetingId}`),
    rights: null,
    tab: "agenda",
    /** Per-tab screen state that survives a redraw (open forms, an item being edited). */
    ui: {},
    users: null,
    focusSelector: null,
    /** What to close when the page is left (the invitations tab's live connection). */
    leaving: [],
    onLeave(fn) {
      this.leaving.push(fn);
    },
    draw() {
      this.rights = meetingRights(ctx.session, this.detail);
      const tabs = TABS.filter(
        (tab) => (tab !== "join" || this.rights.seeJoinCode) && (tab !== "invitations" || this.rights.office),
      );
      if (!tabs.includes(this.tab)) this.tab = "agenda";
      const content = h("div", { class: "tab-panel", role: "tabpanel", id: "tab-panel" }, SECTIONS[this.tab](this));
      fill(
        root,
        h("nav", { class: "crumbs" }, h("a", { href: "#/" }, t("meetings.back_to_list"))),
        header(this),
        h(
          "div",
          { class: "tabs", role: "tablist", "aria-label": t("tab.label") },
          tabs.map((tab) =>
            h("a", {
              class: ["tab", tab === this.tab && "tab-current"],
              role: "tab",
              href: `#/meetings/${meetingId}/${tab}`,
              "aria-selected": tab === this.tab ? "true" : "false",
              "aria-controls": "tab-panel",
              text: t(`tab.${tab}`),
            }),
          ),
        ),
        content,
      );
      if (this.focusSelector) {
        root.querySelector(this.focusSelector)?.focus();
        this.focusSelector = null;
      }
    },
    /** Redraw from `detail` (a fresh view a request returned) or from a new GET. */
    reload(detail) {
      return ctx.run(async () => {
        this.detail = detail ?? (await get(`/api/meetings/${meetingId}`));
        this.draw();
      });
    },
  };
  if (TABS.includes(requestedTab)) page.tab = requestedTab;
  page.draw();
  const leave = () => page.leaving.splice(0).forEach((fn) => fn());
  if (!ctx.mount(token, root)) leave();
  return leave;
}
