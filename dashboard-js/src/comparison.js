// How the dashboard names what it compares with (pure): the compare menu's button, the chart's key and
// the top stats' change tooltips. The range itself comes from the Stats API (its answers' comparison).

import { rangeLabel } from "./periods.js";

/** The comparison as words after "vs." or "against": "the same days a year before". */
export function comparedWith(mode, matchDay) {
  if (mode === "year_over_year") return matchDay ? "the same weekdays a year before" : "the same days a year before";
  if (mode === "custom") return "the chosen period";
  return matchDay ? "the previous period, from the same weekday" : "the previous period";
}

/** "vs. the same days a year before (Nov 15 – Nov 21, 2025)": the range is the API's [first, last]. */
export function comparisonTitle(mode, matchDay, range) {
  const dates = range ? ` (${rangeLabel(range[0], range[1])})` : "";
  return "vs. " + comparedWith(mode, matchDay) + dates;
}

/** What the compare menu's button says. */
export function compareButtonLabel(mode, compareDate) {
  if (mode === "off") return "Compare";
  if (mode === "year_over_year") return "vs. a year before";
  if (mode === "custom") {
    const [first, last] = String(compareDate).split(",");
    return "vs. " + rangeLabel(first, last);
  }
  return "vs. previous period";
}
