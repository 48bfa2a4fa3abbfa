// Dates and times as a Vietnamese office writes them, in the device's time zone
// (tablets and laptops in the meeting room are set to Asia/Ho_Chi_Minh).

import { locale, t } from "./i18n.js";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function two(n) {
  return String(n).padStart(2, "0");
}

export function formatTime(iso) {
  const d = new Date(iso);
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** "03/12/2026", day first in both languages; "—" when there is no date. A bare date
 * ("2026-12-03", a deadline) is taken as written, never shifted by the time zone. */
export function formatDay(value) {
  if (!value) return "—";
  if (DATE_ONLY.test(value)) {
    const [y, m, d] = value.split("-");
    return `${d}/${m}/${y}`;
  }
  const d = new Date(value);
  return `${two(d.getDate())}/${two(d.getMonth() + 1)}/${d.getFullYear()}`;
}

/** "08:05, 03/12/2026" (or "08:05:09, 03/12/2026" with seconds, for audit lists); "—" when
 * there is no moment. */
export function formatDateTime(iso, { seconds = false } = {}) {
  if (!iso) return "—";
  const d = new Date(iso);
  const time = seconds ? `${formatTime(iso)}:${two(d.getSeconds())}` : formatTime(iso);
  return t("time.at", { time, date: formatDay(iso) });
}

/** "Thứ Năm, 03/12/2026" / "Thursday, 03/12/2026". */
export function formatDate(iso) {
  const d = new Date(iso);
  const weekday = new Intl.DateTimeFormat(locale(), { weekday: "long" }).format(d);
  const day = weekday.charAt(0).toLocaleUpperCase(locale()) + weekday.slice(1);
  return `${day}, ${two(d.getDate())}/${two(d.getMonth() + 1)}/${d.getFullYear()}`;
}

/** "08:00, Thứ Năm, 03/12/2026": one moment (when something was sent, answered...). */
export function formatMoment(iso) {
  return t("time.at", { time: formatTime(iso), date: formatDate(iso) });
}

/** "08:00 – 11:30, Thứ Năm, 03/12/2026"; the end is left out when unknown or on another day. */
export function formatSchedule(startsAt, endsAt) {
  if (!startsAt) return "";
  const date = formatDate(startsAt);
  const sameDay = endsAt && new Date(endsAt).toDateString() === new Date(startsAt).toDateString();
  if (sameDay) {
    return t("time.range_same_day", { start: formatTime(startsAt), end: formatTime(endsAt), date });
  }
  const start = formatMoment(startsAt);
  if (!endsAt) return start;
  return t("time.range", { start, end: formatMoment(endsAt) });
}

/** An ISO timestamp as the value of <input type="datetime-local">, in local time. */
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A datetime-local value as an ISO timestamp with the device's UTC offset, or null. */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return `${toLocalInput(d.toISOString())}:00${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}
