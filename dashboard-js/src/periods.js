// The date picker's presets, their keyboard shortcuts (as Plausible's) and the label of a period.

import { addDays, addMonths } from "./dates.js";
import { shortDate } from "./format.js";

/** [key, label, shortcut, (today) -> {period, date}] */
export const PRESETS = [
  ["day", "Today", "D", () => ({ period: "day", date: "" })],
  ["yesterday", "Yesterday", "E", (today) => ({ period: "day", date: addDays(today, -1) })],
  ["realtime", "Realtime", "R", () => ({ period: "realtime", date: "" })],
  ["7d", "Last 7 days", "W", () => ({ period: "7d", date: "" })],
  ["28d", "Last 28 days", "F", () => ({ period: "28d", date: "" })],
  ["30d", "Last 30 days", "T", () => ({ period: "30d", date: "" })],
  ["91d", "Last 91 days", "N", () => ({ period: "91d", date: "" })],
  ["month", "Month to date", "M", () => ({ period: "month", date: "" })],
  ["last_month", "Last month", "", (today) => ({ period: "month", date: addMonths(today, -1) })],
  ["year", "Year to date", "Y", () => ({ period: "year", date: "" })],
  ["12mo", "Last 12 months", "L", () => ({ period: "12mo", date: "" })],
  ["all", "All time", "A", () => ({ period: "all", date: "" })],
];

/** The preset a key press picks, or undefined. */
export function presetForKey(key) {
  return PRESETS.find((p) => p[2] && p[2] === key.toUpperCase());
}

/** What the date picker's button says for a period. */
export function periodLabel(period, date, today) {
  for (const [, label, , make] of PRESETS) {
    const preset = make(today);
    if (preset.period === period && (preset.date || "") === (date || "")) return label;
  }
  if (period === "custom") {
    const [first, last] = String(date).split(",");
    const sameYear = first.slice(0, 4) === last.slice(0, 4);
    return shortDate(first, !sameYear) + " – " + shortDate(last, true);
  }
  if (period === "day") return shortDate(date, true);
  if (period === "month") {
    const text = shortDate(date.slice(0, 8) + "01", true);
    return text.replace(/ 1,/, "");
  }
  return (PRESETS.find((p) => p[0] === period) || [, period])[1] + " to " + shortDate(date, true);
}
