// Votes (biểu quyết) as the console and the tablet show them: option labels in the UI's
// language, the live count, and the result chart of a closed poll.

import { h } from "./dom.js";
import { language, t } from "./i18n.js";

export function optionLabel(option) {
  // Fixed options have a translation; labels written by people are shown as written.
  return option.label_key && language() !== "vi" ? t(`poll.option.${option.id}`) : option.label;
}

export function percentText(percent) {
  return language() === "vi" ? `${String(percent).replace(".", ",")}%` : `${percent}%`;
}

/** The open polls a participant may vote in (the poll's `eligibility`). */
export function mayVote(poll, participant) {
  if (!participant?.voting_member) return false;
  if (poll.eligibility === "present_voting_members") {
    return participant.attendance === "present" || participant.attendance === "present_online";
  }
  return true;
}

/** A mark beside each option's name, so the result does not rely on colour alone. */
const ROLE_MARKS = { approve: "✓", reject: "✕", abstain: "○", choice: "●" };

/** The bars of a closed poll's result, one per option (the decisive ones marked). Each
 * option's role (approve, reject, abstain, choice) gives its bar a colour and a pattern,
 * and its name a mark. */
export function resultBars(poll) {
  const result = poll.result;
  const options = new Map(poll.options.map((o) => [o.id, o]));
  const top = Math.max(1, ...result.counts.map((c) => c.votes));
  return h(
    "ol",
    { class: "result-chart" },
    result.counts.map((c) => {
      const option = options.get(c.option_id) ?? { label: c.option_id, role: "choice" };
      const role = ROLE_MARKS[option.role] ? option.role : "choice";
      const bar = h("span", { class: ["result-bar", c.meets_majority && "result-bar-decisive"] });
      bar.style.width = `${(100 * c.votes) / top}%`;
      return h(
        "li",
        { class: ["result-row", `result-role-${role}`], "data-option-id": c.option_id, "data-role": role },
        h(
          "span",
          { class: "result-option" },
          h("span", { class: "result-mark", "aria-hidden": "true" }, ROLE_MARKS[role]),
          optionLabel(option),
        ),
        h("span", { class: "result-track" }, bar),
        h("span", { class: "result-figure" }, h("strong", {}, String(c.votes)), ` · ${percentText(c.percent)}`),
      );
    }),
  );
}

/** A closed poll's result: one bar per option, the outcome and what the figures are of. */
export function resultChart(poll, testid = "poll-result") {
  const result = poll.result;
  return h(
    "div",
    { class: "poll-result", "data-testid": testid },
    resultBars(poll),
    h(
      "p",
      { class: ["result-outcome", result.passed && "result-passed"], "data-testid": `${testid}-outcome` },
      t(`poll.outcome.${result.outcome}`),
    ),
    h(
      "p",
      { class: "result-base muted" },
      t("polls.result_base", { cast: result.ballots_cast, total: result.base_total, members: result.members_total }),
    ),
    result.sentence_vi && language() === "vi" ? h("p", { class: "result-sentence" }, result.sentence_vi) : null,
  );
}
