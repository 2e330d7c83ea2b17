// The dashboard's whole state lives in the URL's query string, so a view can be bookmarked and shared:
//   ?period=7d&date=…&filters=visit:country==DE;event:page~blog&compare=off&imports=off&metric=pageviews
//    &interval=week&sources=utm_source&pages=entry&locations=city&devices=os&props=plan&funnel=3
// The comparison: compare=off|year_over_year|custom (previous_period, the default, is left out),
// compare_date=first,last with custom, match_day=1 to start on the same weekday. The Stats API computes
// the range compared with (analytics/comparisons.py); the page only says which mode it wants.
// Filters use the Stats API's own syntax (== is, != is not, ~ contains, !~ does not contain; | between values, \| a literal
// pipe inside one). The Details view of a card adds details=… (details-url.js).

import { daysBetween, isDay } from "./dates.js";
import { formatDetails, parseDetails } from "./details-url.js";

export const PERIODS = ["realtime", "day", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year", "all", "custom"];
export const METRICS = ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"];
/** The chart's further metrics under a goal filter (``goalFilter``). */
export const GOAL_METRICS = ["events", "conversion_rate", "average_revenue", "total_revenue"];
export const TABS = {
  sources: ["channel", "source", "utm_medium", "utm_source", "utm_campaign", "utm_content", "utm_term"],
  pages: ["page", "entry", "exit"],
  locations: ["map", "country", "region", "city"],
  devices: ["browser", "os", "screen"],
};
/** Tabs named by the data (a custom property's key, a funnel's id); empty means the first one. */
export const FREE_TABS = ["props", "funnel"];
export const DEFAULT_PERIOD = "30d";
export const COMPARE_MODES = ["off", "previous_period", "year_over_year", "custom"];
export const DEFAULT_COMPARE = "previous_period";
/** Periods nothing is compared in (as Plausible): the last 30 minutes, and all time. */
const NOT_COMPARED = ["realtime", "all"];
const MAX_CUSTOM_DAYS = 366 * 10; // as analytics.periods.MAX_DAYS: the Stats API refuses longer ranges
const OPERATORS = [
  ["!=", "is_not"],
  ["==", "is"],
  ["!~", "contains_not"],
  ["~", "contains"],
];

/** "visit:country==DE|FR;event:page~blog" -> [{op: "is", dimension, values}, ...] */
export function parseFilters(text) {
  const filters = [];
  for (const clause of String(text || "").split(";")) {
    if (!clause.trim()) continue;
    const found = OPERATORS.map(([sign, op]) => [sign, op, clause.indexOf(sign)])
      .filter(([, , at]) => at > 0)
      .sort((a, b) => a[2] - b[2])[0];
    if (!found) continue;
    const [sign, op, at] = found;
    const values = clause.slice(at + sign.length).split(/(?<!\\)\|/).map((v) => v.replace(/\\\|/g, "|")).filter((v) => v !== "");
    if (values.length) filters.push({ op, dimension: clause.slice(0, at).trim(), values });
  }
  return filters;
}

export function formatFilters(filters) {
  const sign = Object.fromEntries(OPERATORS.map(([s, op]) => [op, s]));
  return filters.map((f) => f.dimension + sign[f.op] + f.values.map((v) => v.replace(/\|/g, "\\|")).join("|")).join(";");
}

/** The state a query string describes (anything unknown falls back to the default). */
export function parseState(search) {
  const q = new URLSearchParams(search);
  const period = PERIODS.includes(q.get("period")) ? q.get("period") : DEFAULT_PERIOD;
  const tabs = {};
  for (const [widget, names] of Object.entries(TABS)) tabs[widget] = names.includes(q.get(widget)) ? q.get(widget) : names[0];
  for (const widget of FREE_TABS) tabs[widget] = (q.get(widget) || "").slice(0, 300);
  return {
    period,
    date: q.get("date") || "",
    filters: parseFilters(q.get("filters")),
    compare: COMPARE_MODES.includes(q.get("compare")) ? q.get("compare") : DEFAULT_COMPARE,
    compareDate: q.get("compare") === "custom" ? q.get("compare_date") || "" : "",
    matchDay: q.get("match_day") === "1",
    imports: q.get("imports") !== "off", // imported history added in where a card can take it
    metric: [...METRICS, ...GOAL_METRICS].includes(q.get("metric")) ? q.get("metric") : "visitors",
    interval: q.get("interval") || "",
    tabs,
    details: parseDetails(q),
  };
}

/** Quote a bit of the URL for a message, shortened: it is the visitor's own text, shown with textContent. */
function quoted(text) {
  const value = String(text);
  return "“" + (value.length > 40 ? value.slice(0, 39) + "…" : value) + "”";
}

/**
 * What is wrong with the period and date a query string names, in words, or null when they are a valid
 * view. The dashboard shows the default period instead
 * (``withDefaultPeriod``) and says so, rather than asking the Stats API for a range it refuses.
 */
export function periodProblem(search) {
  const q = new URLSearchParams(search);
  const period = q.get("period");
  const date = q.get("date") || "";
  if (period !== null && !PERIODS.includes(period)) return `${quoted(period)} is not a period`;
  if (period === "custom") return rangeProblem(date);
  if (date && period !== "realtime" && !isDay(date)) return `${quoted(date)} is not a date (YYYY-MM-DD)`;
  return null;
}

/** What is wrong with "first,last" as a custom range, or null. */
function rangeProblem(date) {
  const parts = date.split(",");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return `a custom range needs two dates (first,last), not ${quoted(date)}`;
  const bad = parts.find((part) => !isDay(part));
  if (bad !== undefined) return `${quoted(bad)} is not a date (YYYY-MM-DD)`;
  if (parts[1] < parts[0]) return `the custom range ends (${parts[1]}) before it starts (${parts[0]})`;
  if (daysBetween(parts[0], parts[1]) > MAX_CUSTOM_DAYS) return "the custom range is longer than ten years";
  return null;
}

/**
 * What is wrong with the comparison a query string names, in words, or null: the dashboard then
 * compares with the previous period (``withDefaultCompare``) and says so.
 */
export function compareProblem(search) {
  const q = new URLSearchParams(search);
  const mode = q.get("compare");
  const matchDay = q.get("match_day");
  if (mode !== null && !COMPARE_MODES.includes(mode)) return `${quoted(mode)} is not a comparison`;
  if (mode === "custom") {
    const problem = rangeProblem(q.get("compare_date") || "");
    if (problem) return "the period to compare with: " + problem.replace("a custom range", "it");
  }
  if (matchDay !== null && matchDay !== "1" && matchDay !== "0") return `match_day is 1 or 0, not ${quoted(matchDay)}`;
  return null;
}

/** The state comparing with the previous period (its dates kept): where a bad comparison falls back to. */
export function withDefaultCompare(state) {
  return { ...state, compare: DEFAULT_COMPARE, compareDate: "", matchDay: false };
}

/** Whether the view compares: a mode other than off, in a period that can be compared. */
export function comparing(state) {
  return state.compare !== "off" && !NOT_COMPARED.includes(state.period);
}

/** The Stats API's comparison parameters of a state (none when it does not compare). */
export function compareParams(state) {
  if (!comparing(state)) return {};
  if (state.compare === "custom") return { compare: "custom", compare_date: state.compareDate };
  return { compare: state.compare, ...(state.matchDay ? { match_day_of_week: "true" } : {}) };
}

/** The state on the default period (its filters, metric and tabs kept): where a bad date falls back to. */
export function withDefaultPeriod(state) {
  return { ...state, period: DEFAULT_PERIOD, date: "", interval: "" };
}

/** The query string of a state, with defaults left out (short, readable URLs). */
export function formatState(state) {
  const q = new URLSearchParams();
  if (state.period !== DEFAULT_PERIOD) q.set("period", state.period);
  if (state.date) q.set("date", state.date);
  if (state.filters.length) q.set("filters", formatFilters(state.filters));
  if (state.compare !== DEFAULT_COMPARE) q.set("compare", state.compare);
  if (state.compare === "custom") q.set("compare_date", state.compareDate);
  if (state.matchDay) q.set("match_day", "1");
  if (state.imports === false) q.set("imports", "off");
  if (state.metric !== "visitors") q.set("metric", state.metric);
  if (state.interval) q.set("interval", state.interval);
  for (const [widget, names] of Object.entries(TABS)) if (state.tabs[widget] !== names[0]) q.set(widget, state.tabs[widget]);
  for (const widget of FREE_TABS) if (state.tabs[widget]) q.set(widget, state.tabs[widget]);
  formatDetails(state.details, q);
  const text = q.toString().replace(/%3A/gi, ":").replace(/%2C/gi, ",");
  return text ? "?" + text : "";
}

/** The query string another site's dashboard opens with from this state (the site switcher): the
 * period and the comparison carry over; filters, tabs and metric name this site's data and do not. */
export function siteSwitchSearch(state) {
  const { period, date, compare, compareDate, matchDay } = state;
  return formatState({ ...parseState(""), period, date, compare, compareDate, matchDay });
}

/** The goals a view is filtered by ("is" a goal), or null when it is not: the top stats are then
 * conversions. */
export function goalFilter(state) {
  const found = state.filters.find((f) => f.dimension === "event:goal" && f.op === "is");
  return found ? found.values : null;
}

/** A copy of the state with a filter set: it replaces any other filter on that dimension. */
export function withFilter(state, filter) {
  return { ...state, filters: [...state.filters.filter((f) => f.dimension !== filter.dimension), filter] };
}

export function withoutFilter(state, dimension) {
  return { ...state, filters: state.filters.filter((f) => f.dimension !== dimension) };
}
