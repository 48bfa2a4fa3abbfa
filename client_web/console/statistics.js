// Thống kê: the body's figures for a period (meetings per month, attendance per member,
// documents and the paper they saved, notices issued, follow-up per unit) as cards and
// charts drawn here as inline SVG (no chart library), each chart with a table beside it
// for screen readers and for reading exact values; export to XLSX and DOCX.

import { apiUrl, get } from "../shared/api.js";
import { showError } from "../shared/banner.js";
import { dateInput, readDate } from "../shared/datefield.js";
import { h } from "../shared/dom.js";
import { language, locale, t } from "../shared/i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const MEETING_STATES = ["held", "scheduled", "in_progress", "cancelled"];
const TASK_STATUSES = ["done_on_time", "done_late", "overdue", "in_progress", "not_started", "cancelled"];
// Series colours (also the legend's): distinguishable, and never the only carrier of
// meaning (every value is in the table under the chart).
const COLOURS = {
  held: "#1e6b34",
  scheduled: "#1f4f8a",
  in_progress: "#c98a00",
  cancelled: "#8a8a92",
  done_on_time: "#1e6b34",
  done_late: "#7fb08c",
  overdue: "#a50e0e",
  not_started: "#b9b9c0",
  rate: "#1f4f8a",
};

let chartCount = 0;

/** An SVG element: like h(), attributes only (text through the `text` attribute). */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (name === "text") el.textContent = value;
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) if (child) el.append(child);
  return el;
}

function number(value, digits = 0) {
  return Number(value ?? 0).toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function percent(rate) {
  if (rate === null || rate === undefined) return "—";
  return `${(rate * 100).toLocaleString(locale(), { maximumFractionDigits: 1 })}%`;
}

function monthLabel(month) {
  const [year, m] = month.split("-");
  return `${m}/${year}`;
}

function dateLabel(iso) {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

// -- charts --------------------------------------------------------------------------------

/**
 * A chart: <figure> with its caption, the SVG (role img, named by the caption and described
 * by a sentence), a legend, and the same figures as a table in a <details>.
 */
function chartFigure(id, caption, description, svg, legend, table) {
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-labelledby", `${titleId} ${descId}`);
  svg.prepend(s("desc", { id: descId, text: description }));
  svg.prepend(s("title", { text: caption }));
  return h(
    "figure",
    { class: "stats-chart", "data-testid": id },
    h("figcaption", { id: titleId, class: "stats-chart-title" }, caption),
    svg,
    legend,
    h("details", { class: "stats-table-toggle" }, h("summary", {}, t("statistics.show_table")), table),
  );
}

/** The colours of a chart's series: `labelOf(key)` names each. */
function legendOf(keys, labelOf) {
  return h(
    "ul",
    { class: "stats-legend" },
    keys.map((key) =>
      h(
        "li",
        {},
        s(
          "svg",
          { class: "stats-swatch", viewBox: "0 0 12 12", width: 12, height: 12, "aria-hidden": "true" },
          s("rect", { width: 12, height: 12, fill: COLOURS[key] }),
        ),
        labelOf(key),
      ),
    ),
  );
}

/** A table of the figures: the first column names the row, columns from `numericFrom` on are numbers. */
function dataTable(caption, headers, rows, numericFrom = 1) {
  const cls = (i) => (i >= numericFrom ? "num" : null);
  return h(
    "table",
    { class: "stats-data" },
    h("caption", { class: "stats-visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((x, i) => h("th", { scope: "col", class: cls(i) }, x)))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          {},
          row.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", { class: cls(i) }, cell))),
        ),
      ),
    ),
  );
}

/** Round up to a "nice" axis maximum (1, 2, 5 x 10^n). */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** Vertical stacked bars: one bar per category, one segment per series. */
function columnChart(categories, series, values) {
  const width = Math.max(560, categories.length * 56 + 60);
  const height = 240;
  const left = 40;
  const bottom = 28;
  const top = 12;
  const plot = height - bottom - top;
  const max = niceMax(Math.max(0, ...values.map((v) => series.reduce((sum, key) => sum + (v[key] ?? 0), 0))));
  const slot = (width - left - 8) / Math.max(categories.length, 1);
  const bar = Math.min(36, slot * 0.6);
  // Whole numbers on the axis: every one up to 5, else five steps.
  const step = max <= 5 ? 1 : max / 5;
  const ticks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  const grid = ticks.map((value) => {
    const y = top + plot - (value / max) * plot;
    return [
      s("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "stats-grid" }),
      s("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "stats-axis", text: number(value) }),
    ];
  });
  const bars = categories.map((label, i) => {
    const x = left + slot * i + (slot - bar) / 2;
    let y = top + plot;
    const segments = series.map((key) => {
      const value = values[i][key] ?? 0;
      if (!value) return null;
      const size = (value / max) * plot;
      y -= size;
      return s(
        "rect",
        { x, y, width: bar, height: size, fill: COLOURS[key], "data-series": key },
        s("title", { text: `${label} · ${t(`statistics.meeting_state.${key}`)}: ${number(value)}` }),
      );
    });
    return [
      ...segments,
      s("text", { x: x + bar / 2, y: height - 8, "text-anchor": "middle", class: "stats-axis", text: label }),
    ];
  });
  return s("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", class: "stats-svg" }, grid, bars);
}

/** Horizontal bars, one row per item: `parts` are [key, value] segments stacked left to right,
 * `total(item)` the value of a full-width bar. */
function barChart(items, total, { label, parts, valueText, titleOf }) {
  const row = 28;
  const labelWidth = 220;
  const width = 720;
  const valueWidth = 70;
  const plot = width - labelWidth - valueWidth;
  const height = items.length * row + 8;
  const rows = items.map((item, i) => {
    const y = 4 + i * row;
    let x = labelWidth;
    const segments = parts(item).map(([key, value]) => {
      if (!value) return null;
      const size = total(item) ? (value / total(item)) * plot : 0;
      const rect = s(
        "rect",
        { x, y: y + 4, width: size, height: row - 10, fill: COLOURS[key], "data-series": key },
        s("title", { text: titleOf(item, key, value) }),
      );
      x += size;
      return rect;
    });
    const name = label(item);
    return [
      s("rect", { x: labelWidth, y: y + 4, width: plot, height: row - 10, class: "stats-track" }),
      ...segments,
      s("text", {
        x: labelWidth - 8,
        y: y + row / 2 + 4,
        "text-anchor": "end",
        class: "stats-label",
        text: name.length > 30 ? `${name.slice(0, 29)}…` : name,
      }),
      s("text", { x: width - valueWidth + 8, y: y + row / 2 + 4, class: "stats-value", text: valueText(item) }),
    ];
  });
  return s("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", class: "stats-svg" }, rows);
}

// -- sections ------------------------------------------------------------------------------

function card(label, value, detail = null, testid = null) {
  return h(
    "div",
    { class: "stats-card", "data-testid": testid },
    h("span", { class: "stats-card-value" }, value),
    h("span", { class: "stats-card-label" }, label),
    detail ? h("span", { class: "stats-card-detail" }, detail) : null,
  );
}

function cards(data) {
  const m = data.meetings.totals;
  const d = data.documents;
  const tasks = data.tasks.totals;
  return h(
    "div",
    { class: "stats-cards", "data-testid": "stats-cards" },
    card(
      t("statistics.card.held"),
      number(m.held),
      t("statistics.card.held_detail", { scheduled: number(m.scheduled), cancelled: number(m.cancelled) }),
      "card-held",
    ),
    card(
      t("statistics.card.attendance"),
      percent(data.attendance.rate),
      t("statistics.card.attendance_detail", {
        present: number(data.attendance.present),
        invited: number(data.attendance.invited),
      }),
      "card-attendance",
    ),
    card(
      t("statistics.card.documents"),
      number(d.documents),
      t("statistics.card.documents_detail", { pages: number(d.pages) }),
      "card-documents",
    ),
    card(
      t("statistics.card.not_printed"),
      number(d.pages_not_printed),
      t("statistics.card.not_printed_detail", { reams: number(d.reams, 2) }),
      "card-not-printed",
    ),
    card(t("statistics.card.notices"), number(data.notices.total), null, "card-notices"),
    card(
      t("statistics.card.tasks"),
      number(tasks.total),
      t("statistics.card.tasks_detail", {
        overdue: number(tasks.overdue),
        done: number(tasks.done_on_time + tasks.done_late),
      }),
      "card-tasks",
    ),
  );
}

function meetingsSection(data) {
  const months = data.meetings.months;
  const labels = months.map((m) => monthLabel(m.month));
  const table = dataTable(
    t("statistics.meetings.title"),
    [t("statistics.month"), ...MEETING_STATES.map((k) => t(`statistics.meeting_state.${k}`)), t("statistics.total")],
    months.map((m, i) => [labels[i], ...MEETING_STATES.map((k) => number(m[k])), number(m.total)]),
  );
  return h(
    "section",
    { class: "panel stats-section" },
    chartFigure(
      `stats-meetings-${chartCount}`,
      t("statistics.meetings.title"),
      t("statistics.meetings.description", {
        held: number(data.meetings.totals.held),
        total: number(data.meetings.totals.total),
      }),
      columnChart(labels, MEETING_STATES, months),
      legendOf(MEETING_STATES, (key) => t(`statistics.meeting_state.${key}`)),
      table,
    ),
  );
}

function attendanceSection(data) {
  const members = data.attendance.members;
  if (!members.length) {
    return h(
      "section",
      { class: "panel stats-section" },
      h("h2", {}, t("statistics.attendance.title")),
      h("p", { class: "muted" }, t("statistics.attendance.none")),
    );
  }
  const name = (p) => (p.voting_member ? p.name : `${p.name} (${t("statistics.attendance.non_voting")})`);
  const table = dataTable(
    t("statistics.attendance.title"),
    [
      t("statistics.attendance.name"),
      t("statistics.attendance.invited"),
      t("statistics.attendance.present"),
      t("statistics.attendance.present_online"),
      t("statistics.attendance.absent_with_reason"),
      t("statistics.attendance.absent_without_reason"),
      t("statistics.attendance.not_marked"),
      t("statistics.attendance.rate"),
    ],
    members.map((p) => [
      name(p),
      number(p.invited),
      number(p.present),
      number(p.present_online),
      number(p.absent_with_reason),
      number(p.absent_without_reason),
      number(p.not_marked),
      percent(p.rate),
    ]),
  );
  return h(
    "section",
    { class: "panel stats-section" },
    chartFigure(
      `stats-attendance-${chartCount}`,
      t("statistics.attendance.title"),
      t("statistics.attendance.description", {
        held: number(data.attendance.meetings_held),
        rate: percent(data.attendance.rate),
      }),
      barChart(members, () => 1, {
        label: name,
        parts: (p) => [["rate", p.rate ?? 0]],
        valueText: (p) => percent(p.rate),
        titleOf: (p) => `${p.name}: ${percent(p.rate)} (${number(p.present)}/${number(p.invited)})`,
      }),
      null,
      table,
    ),
  );
}

function documentsSection(data) {
  const d = data.documents;
  return h(
    "section",
    { class: "panel stats-section", "data-testid": "stats-documents" },
    h("h2", {}, t("statistics.documents.title")),
    h(
      "dl",
      { class: "stats-figures" },
      [
        ["documents", number(d.documents)],
        ["pages", number(d.pages)],
        ["pages_not_printed", number(d.pages_not_printed)],
        ["reams", number(d.reams, 2)],
      ].map(([key, value]) => [h("dt", {}, t(`statistics.documents.${key}`)), h("dd", {}, value)]),
    ),
    h("p", { class: "muted" }, t("statistics.documents.definition")),
  );
}

function noticesSection(data) {
  const sequences = data.notices.sequences;
  const sequenceOf = (q) =>
    q.term_start ? t("statistics.notices.term", { start: dateLabel(q.term_start) }) : String(q.year ?? "");
  return h(
    "section",
    { class: "panel stats-section", "data-testid": "stats-notices" },
    h("h2", {}, t("statistics.notices.title")),
    sequences.length
      ? dataTable(
          t("statistics.notices.title"),
          [
            t("statistics.notices.symbol"),
            t("statistics.notices.sequence"),
            t("statistics.notices.secret"),
            t("statistics.notices.count"),
            t("statistics.notices.numbers"),
          ],
          sequences.map((q) => [
            `${q.symbol} · ${t(`statistics.format.${q.format}`)}`,
            sequenceOf(q),
            q.secret ? t("statistics.yes") : t("statistics.no"),
            number(q.count),
            `${q.first_number}–${q.last_number}`,
          ]),
          3,
        )
      : h("p", { class: "muted" }, t("statistics.notices.none")),
  );
}

function tasksSection(data) {
  const units = data.tasks.units;
  if (!units.length) {
    return h(
      "section",
      { class: "panel stats-section" },
      h("h2", {}, t("statistics.tasks.title")),
      h("p", { class: "muted" }, t("statistics.tasks.none")),
    );
  }
  const most = Math.max(...units.map((u) => u.total)); // one scale for every unit's bar
  const table = dataTable(
    t("statistics.tasks.title"),
    [t("statistics.tasks.unit"), t("statistics.total"), ...TASK_STATUSES.map((k) => t(`statistics.task_status.${k}`))],
    units.map((u) => [u.unit, number(u.total), ...TASK_STATUSES.map((k) => number(u[k]))]),
  );
  return h(
    "section",
    { class: "panel stats-section" },
    chartFigure(
      `stats-tasks-${chartCount}`,
      t("statistics.tasks.title"),
      t("statistics.tasks.description", { today: dateLabel(data.tasks.today), overdue: number(data.tasks.totals.overdue) }),
      barChart(units, () => most, {
        label: (u) => u.unit,
        parts: (u) => TASK_STATUSES.map((k) => [k, u[k]]),
        valueText: (u) => number(u.total),
        titleOf: (u, key, value) => `${u.unit} · ${t(`statistics.task_status.${key}`)}: ${number(value)}`,
      }),
      legendOf(TASK_STATUSES, (key) => t(`statistics.task_status.${key}`)),
      table,
    ),
  );
}

// -- the page ------------------------------------------------------------------------------

function periodForm(ctx, period) {
  const from = dateInput({ name: "from", required: true }, period.from);
  const to = dateInput({ name: "to", required: true }, period.to);
  const year = Number(period.from.slice(0, 4));
  const preset = (label, start, end) =>
    h("button", {
      type: "button",
      class: "btn",
      text: label,
      on: { click: () => ctx.navigate(`#/statistics?from=${start}&to=${end}`) },
    });
  return h(
    "form",
    {
      class: "stats-period form-row form-row-end",
      "data-testid": "stats-period",
      on: {
        submit: (event) => {
          event.preventDefault();
          const start = readDate(from);
          const end = readDate(to);
          if (!start || !end) {
            showError(t("date.invalid"));
            (start ? to : from).focus();
            return;
          }
          ctx.navigate(`#/statistics?from=${start}&to=${end}`);
        },
      },
    },
    h("label", { class: "field" }, h("span", { class: "field-label" }, t("statistics.from")), from),
    h("label", { class: "field" }, h("span", { class: "field-label" }, t("statistics.to")), to),
    h("button", { type: "submit", class: "btn btn-primary", text: t("statistics.show") }),
    preset(t("statistics.year", { year: year - 1 }), `${year - 1}-01-01`, `${year - 1}-12-31`),
    preset(t("statistics.year", { year }), `${year}-01-01`, `${year}-12-31`),
  );
}

function exportLinks(period) {
  const query = new URLSearchParams({ from: period.from, to: period.to, lang: language() });
  return h(
    "div",
    { class: "stats-exports" },
    h("a", {
      class: "btn",
      href: `${apiUrl("/api/statistics.xlsx")}?${query}`,
      download: `thong-ke_${period.from}_${period.to}.xlsx`,
      "data-testid": "stats-export-xlsx",
      text: t("statistics.export_xlsx"),
    }),
    h("a", {
      class: "btn",
      href: `${apiUrl("/api/statistics.docx")}?${query}`,
      download: `thong-ke_${period.from}_${period.to}.docx`,
      "data-testid": "stats-export-docx",
      text: t("statistics.export_docx"),
    }),
  );
}

export async function renderStatisticsPage(ctx, token, query) {
  const params = new URLSearchParams();
  if (query.get("from")) params.set("from", query.get("from"));
  if (query.get("to")) params.set("to", query.get("to"));
  const data = await get(`/api/statistics${params.size ? `?${params}` : ""}`);
  chartCount += 1;
  const empty = data.meetings.totals.total === 0;
  ctx.mount(
    token,
    h(
      "div",
      { class: "stats-page" },
      h(
        "div",
        { class: "page-head" },
        h("h1", {}, t("statistics.title")),
        h(
          "span",
          { class: "muted", "data-testid": "stats-period-label" },
          t("statistics.period", { from: dateLabel(data.period.from), to: dateLabel(data.period.to) }),
        ),
        exportLinks(data.period),
      ),
      h("section", { class: "panel" }, periodForm(ctx, data.period)),
      empty
        ? h(
            "div",
            { class: "panel empty-state", "data-testid": "stats-empty" },
            h("p", { class: "empty-state-title" }, t("statistics.empty")),
            h("p", { class: "muted" }, t("statistics.empty_hint")),
            ctx.isOffice ? h("a", { class: "btn btn-primary", href: "#/new", text: t("statistics.new_meeting") }) : null,
          )
        : [
            cards(data),
            meetingsSection(data),
            attendanceSection(data),
            documentsSection(data),
            noticesSection(data),
            tasksSection(data),
          ],
    ),
  );
}
