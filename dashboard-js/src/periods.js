// The date picker's presets (Plausible's list, with its keyboard shortcuts), the label of a period, and
// stepping a period back or forward (← and →).

import { addDays, addMonths, daysBetween, rangeOf } from "./dates.js";
import { shortDate } from "./format.js";

/** [key, label, shortcut, (today) -> {period, date}, group]: the picker draws a line between groups. */
export const PRESETS = [
  ["day", "Today", "D", () => ({ period: "day", date: "" }), 0],
  ["yesterday", "Yesterday", "E", (today) => ({ period: "day", date: addDays(today, -1) }), 0],
  ["realtime", "Realtime", "R", () => ({ period: "realtime", date: "" }), 0],
  ["7d", "Last 7 days", "W", () => ({ period: "7d", date: "" }), 1],
  ["28d", "Last 28 days", "F", () => ({ period: "28d", date: "" }), 1],
  ["30d", "Last 30 days", "T", () => ({ period: "30d", date: "" }), 1],
  ["91d", "Last 91 days", "N", () => ({ period: "91d", date: "" }), 1],
  ["month", "Month to date", "M", () => ({ period: "month", date: "" }), 2],
  ["last_month", "Last month", "P", (today) => ({ period: "month", date: addMonths(today, -1) }), 2],
  ["year", "Year to date", "Y", () => ({ period: "year", date: "" }), 3],
  ["6mo", "Last 6 months", "S", () => ({ period: "6mo", date: "" }), 3],
  ["12mo", "Last 12 months", "L", () => ({ period: "12mo", date: "" }), 3],
  ["all", "All time", "A", () => ({ period: "all", date: "" }), 4],
];

/** The preset a key press picks, or undefined. */
export function presetForKey(key) {
  return PRESETS.find((p) => p[2] && p[2] === key.toUpperCase());
}

/** "Nov 1 – Nov 7, 2026"; the first date's year too when the years differ. */
export function rangeLabel(first, last) {
  if (first === last) return shortDate(first, true);
  return shortDate(first, first.slice(0, 4) !== last.slice(0, 4)) + " – " + shortDate(last, true);
}

/** What the date picker's button says for a period. */
export function periodLabel(period, date, today) {
  for (const [, label, , make] of PRESETS) {
    const preset = make(today);
    if (preset.period === period && (preset.date || "") === (date || "")) return label;
  }
  if (period === "custom") {
    const [first, last] = String(date).split(",");
    return rangeLabel(first, last);
  }
  if (period === "day") return shortDate(date, true);
  if (period === "month") return shortDate(date.slice(0, 8) + "01", true).replace(/ 1,/, "");
  if (period === "year") return date.slice(0, 4);
  return (PRESETS.find((p) => p[0] === period) || [, period])[1] + " to " + shortDate(date, true);
}

const DAY_PERIODS = { "7d": 7, "28d": 28, "30d": 30, "91d": 91 };
const MONTH_PERIODS = { month: 1, "6mo": 6, "12mo": 12 };

/**
 * The period before (direction -1) or after (+1) this one, as {period, date}, or null when there is
 * none to step to: realtime and all time do not step; nothing after the period that holds today; nothing
 * wholly before the site's first day (``start``). A day, a month and a year step by one; the last N days
 * and months step by their length as a custom range (back to the preset when it reaches today); a
 * custom range by its length (whole months by months), never past today.
 */
export function shiftPeriod(period, date, direction, today, start = "") {
  if (period === "realtime" || period === "all") return null;
  const range = rangeOf(period, date, today);
  if (direction > 0 && range.last >= today) return null;
  const next = stepped(period, range, direction, today);
  if (direction < 0 && start && rangeOf(next.period, next.date, today).last < start) return null;
  return next;
}

function stepped(period, range, direction, today) {
  if (period === "day") {
    const day = addDays(range.first, direction);
    return { period, date: day === today ? "" : day };
  }
  if (period === "month") {
    const first = addMonths(range.first, direction);
    return { period, date: first === addMonths(today, 0) ? "" : first };
  }
  if (period === "year") {
    const year = String(Number(range.first.slice(0, 4)) + direction);
    return { period, date: year === today.slice(0, 4) ? "" : year + "-01-01" };
  }
  const months = MONTH_PERIODS[period] || (period === "custom" ? wholeMonths(range) : 0);
  if (months) {
    const first = addMonths(range.first, direction * months);
    const last = addDays(addMonths(first, months), -1);
    if (last < today) return { period: "custom", date: first + "," + last };
    const preset = Object.keys(MONTH_PERIODS).find((p) => MONTH_PERIODS[p] === months);
    return preset ? { period: preset, date: "" } : { period: "custom", date: first + "," + today };
  }
  const length = daysBetween(range.first, range.last);
  const days = direction < 0 ? -length : Math.min(length, daysBetween(range.last, today) - 1);
  const last = addDays(range.last, days);
  const preset = Object.keys(DAY_PERIODS).find((p) => DAY_PERIODS[p] === length);
  if (last === today && preset) return { period: preset, date: "" };
  return { period: "custom", date: addDays(range.first, days) + "," + last };
}

/** How many whole calendar months a range covers (from a 1st to a month's last day), else 0. */
function wholeMonths(range) {
  if (range.first.slice(8) !== "01" || addDays(range.last, 1).slice(8) !== "01") return 0;
  const [y1, m1] = range.first.split("-").map(Number);
  const [y2, m2] = range.last.split("-").map(Number);
  return (y2 - y1) * 12 + (m2 - m1) + 1;
}
