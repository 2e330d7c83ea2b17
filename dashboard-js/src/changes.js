// Whether a top stat's change against the comparison period is worth showing, and how it reads (pure).
//
// The rule: a change is shown only when it means something.
//  * Not when the previous period had fewer than MIN_PREVIOUS_VISITORS (10) unique visitors. With so few,
//    one visitor more or less moves every figure by 10% or more (3 -> 1,400 visitors read "↑ 46567%"),
//    and a bounce rate or a visit duration of a handful of visits is chance: the top stats then show no
//    change at all, and the stat's tooltip says why.
//  * Not for a count, or an average, whose previous value is 0 (from nothing, any rise is "infinite"):
//    as Plausible, no change. A rate in points (bounce rate) from 0% is a real difference and is shown.
// The Stats API still answers every change (its "change" field is Plausible's); this is how the
// dashboard shows them.

/** Fewer unique visitors than this in the previous period: no change is shown. */
export const MIN_PREVIOUS_VISITORS = 10;

/** Metrics whose change is a difference in percentage points, not a relative change. */
const POINTS = new Set(["bounce_rate", "conversion_rate", "exit_rate", "scroll_depth"]);

/** What the changes are against when nothing else is said. */
const PREVIOUS = { noun: "the previous period", title: "vs. the previous period" };

/**
 * The change of one top stat: {text, tone: "up" | "down" | "flat", title} to show, or {text: null, title}
 * when none is shown (title says why, or is "" when there is nothing to compare).
 * result = the aggregate's {value, comparison_value, change}; previousVisitors = the comparison
 * period's unique visitors; lowerIsBetter = whether a fall of this metric is good news; against = what
 * is compared with: {noun: "the same days a year before", title: "vs. the same days a year before (…)"}.
 */
export function changeBadge(metric, result, previousVisitors, lowerIsBetter = false, against = PREVIOUS) {
  const delta = result ? result.change : undefined;
  if (delta === undefined || delta === null) return { text: null, title: "" };
  const { noun, title } = against;
  if (previousVisitors !== undefined && previousVisitors !== null && previousVisitors < MIN_PREVIOUS_VISITORS) {
    if (!previousVisitors) return { text: null, title: `No change shown: ${noun} had no visitors.` };
    const who = previousVisitors === 1 ? "1 visitor" : `${previousVisitors} visitors`;
    return { text: null, title: `No change shown: ${noun} had only ${who}, too few to compare with.` };
  }
  const previous = result.comparison_value;
  const before = previous !== null && typeof previous === "object" ? previous.value : previous; // money
  if (!POINTS.has(metric) && Number(before) === 0) {
    return { text: null, title: `No change shown: it was 0 in ${noun}.` };
  }
  const good = lowerIsBetter ? delta < 0 : delta > 0;
  const arrow = delta > 0 ? "↑ " : delta < 0 ? "↓ " : "";
  const unit = POINTS.has(metric) ? " pts" : "%";
  return {
    text: arrow + Math.abs(delta).toLocaleString("en-US") + unit,
    tone: delta === 0 ? "flat" : good ? "up" : "down",
    title,
  };
}
