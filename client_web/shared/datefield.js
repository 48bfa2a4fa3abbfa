// Dates typed day first, "15/01/2027" (and "15/01/2027 08:30"), whatever the browser's
// language: <input type="date"> shows the browser's own order, 01/15/2027 in an
// English-language browser. The field is a text input; `readDate` / `readDateTime` turn
// what was typed into the value the API takes (an ISO value, also accepted as typed).

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { formatDay, fromLocalInput, toLocalInput } from "./time.js";

const DAY_FIRST = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ ,T]+(\d{1,2})[:h](\d{2}))?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

function two(n) {
  return String(n).padStart(2, "0");
}

/** [year, month, day, hour|null, minute|null] of what was typed, or null. */
function parse(text) {
  const value = text.trim();
  let m = DAY_FIRST.exec(value);
  let parts;
  if (m) parts = [m[3], m[2], m[1], m[4], m[5]];
  else if ((m = ISO.exec(value))) parts = [m[1], m[2], m[3], m[4], m[5]];
  else return null;
  const [y, mo, d] = parts.slice(0, 3).map(Number);
  const hour = parts[3] === undefined ? null : Number(parts[3]);
  const minute = parts[4] === undefined ? null : Number(parts[4]);
  const check = new Date(y, mo - 1, d);
  if (check.getFullYear() !== y || check.getMonth() !== mo - 1 || check.getDate() !== d) return null;
  if (hour !== null && (hour > 23 || minute > 59)) return null;
  return [y, mo, d, hour, minute];
}

/** A day-first date field; `iso` ("2027-01-15") is its first value. */
export function dateInput(attrs = {}, iso = "") {
  return h("input", {
    type: "text",
    inputmode: "numeric",
    autocomplete: "off",
    placeholder: t("date.placeholder"),
    ...attrs,
    value: iso ? formatDay(iso) : "",
  });
}

/** A day-first date and time field; `iso` (a timestamp) is its first value, in local time. */
export function dateTimeInput(attrs = {}, iso = "") {
  const local = iso ? toLocalInput(iso) : "";
  return h("input", {
    type: "text",
    inputmode: "numeric",
    autocomplete: "off",
    placeholder: t("date.placeholder_time"),
    ...attrs,
    value: local ? `${local.slice(8, 10)}/${local.slice(5, 7)}/${local.slice(0, 4)} ${local.slice(11, 16)}` : "",
  });
}

/** The field's date as "YYYY-MM-DD"; "" when empty; null when it is not a date. */
export function readDate(input) {
  if (!input.value.trim()) return "";
  const parts = parse(input.value);
  if (!parts || parts[3] !== null) return null;
  const [y, mo, d] = parts;
  return `${y}-${two(mo)}-${two(d)}`;
}

/** The field's moment as an ISO timestamp with the device's offset; "" when empty; null
 * when it is not a date with a time. */
export function readDateTime(input) {
  if (!input.value.trim()) return "";
  const parts = parse(input.value);
  if (!parts || parts[3] === null) return null;
  const [y, mo, d, hour, minute] = parts;
  return fromLocalInput(`${y}-${two(mo)}-${two(d)}T${two(hour)}:${two(minute)}`);
}
