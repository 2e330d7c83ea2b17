// What the chart says about the hovered bucket (pure, so node tests it): the bucket as a title, then the
// metric's name and value ("Unique visitors 1,234") and, when comparing, the comparison period's
// bucket and value.

import { exact, metricValue, shortDate } from "./format.js";

/** Counts are shown in full ("1,234"), as the top stats' tooltips show them; rates and times as usual. */
const COUNTS = new Set(["visitors", "visits", "pageviews", "events"]);

/** A bucket label as a title: "Nov 21, 2026", "Nov 21, 13:00", "Week of Nov 16, 2026", "Nov 2026". */
export function bucketTitle(label, interval) {
  const [day, time] = String(label).split(" ");
  if (interval === "minute" || interval === "hour") return shortDate(day) + ", " + (time || "00:00").slice(0, 5);
  if (interval === "week") return "Week of " + shortDate(day, true);
  if (interval === "month") return shortDate(day, true).replace(/ \d+,/, "");
  return shortDate(day, true);
}

/** How a value of ``metric`` reads in the chart's tooltip. */
export function hoverValue(metric, value) {
  if (value === null || value === undefined) return "–";
  return COUNTS.has(metric) ? exact(value) : metricValue(metric, value);
}

/**
 * The tooltip of bucket ``index``: {title, rows: [{kind: "current" | "previous", label, value}]}, or null
 * when there is no such bucket. A bucket still to come (no value yet) has no current row.
 * series = {labels, values, previous: {labels, values} | null, metric, interval, name}
 */
export function hoverLines(series, index) {
  if (index === null || index === undefined || series.labels[index] === undefined) return null;
  const rows = [];
  const value = series.values[index];
  if (value !== null && value !== undefined) rows.push({ kind: "current", label: series.name, value: hoverValue(series.metric, value) });
  const previous = series.previous;
  if (previous && previous.labels[index] !== undefined) {
    rows.push({
      kind: "previous",
      label: bucketTitle(previous.labels[index], series.interval),
      value: hoverValue(series.metric, previous.values[index] ?? 0),
    });
  }
  return { title: bucketTitle(series.labels[index], series.interval), rows };
}
