// The dashboard's pure logic: dates and buckets as the Stats API labels them, the URL state, formatting
// and the date picker's labels. Run by `node --test` (tests/test_dashboard_js.py runs it in ./dev test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { addMonths, buckets, intervalsFor, isDay, lastMinutes, nowIn, rangeOf } from "../src/dates.js";
import { compact, countryName, duration, metricValue, shortDate } from "../src/format.js";
import { PRESETS, periodLabel, presetForKey, rangeLabel, shiftPeriod } from "../src/periods.js";
import {
  compareParams, compareProblem, comparing, formatFilters, formatState, parseFilters, parseState, periodProblem, siteSwitchSearch, withDefaultCompare,
  withDefaultPeriod, withFilter, withoutFilter,
} from "../src/state.js";
import { compareButtonLabel, comparedWith, comparisonTitle } from "../src/comparison.js";
import { changeBadge, MIN_PREVIOUS_VISITORS } from "../src/changes.js";
import { bucketTitle, hoverLines, hoverValue } from "../src/legend.js";

test("periods resolve to the dates analytics.periods gives", () => {
  const today = "2026-11-21";
  assert.deepEqual(rangeOf("day", "", today), { first: today, last: today });
  assert.deepEqual(rangeOf("day", "2026-11-20", today), { first: "2026-11-20", last: "2026-11-20" });
  assert.deepEqual(rangeOf("7d", "", today), { first: "2026-11-15", last: today });
  assert.deepEqual(rangeOf("month", "", today), { first: "2026-11-01", last: "2026-11-30" });
  assert.deepEqual(rangeOf("month", "2026-10-01", today), { first: "2026-10-01", last: "2026-10-31" });
  assert.deepEqual(rangeOf("12mo", "", today), { first: "2025-12-01", last: "2026-11-30" });
  assert.deepEqual(rangeOf("year", "", today), { first: "2026-01-01", last: "2026-12-31" });
  assert.deepEqual(rangeOf("all", "", today, "2026-03-02"), { first: "2026-03-02", last: today });
  assert.deepEqual(rangeOf("custom", "2026-01-01,2026-01-31", today), { first: "2026-01-01", last: "2026-01-31" });
  assert.deepEqual(rangeOf("6mo", "", today), { first: "2026-06-01", last: "2026-11-30" });
  assert.equal(addMonths("2026-01-31", 1), "2026-02-01");
});

test("buckets are labelled as the timeseries labels them", () => {
  const day = buckets({ first: "2026-11-21", last: "2026-11-21" }, "hour");
  assert.equal(day.length, 24);
  assert.equal(day[13], "2026-11-21 13:00:00");
  assert.deepEqual(buckets({ first: "2026-11-19", last: "2026-11-21" }, "date"), ["2026-11-19", "2026-11-20", "2026-11-21"]);
  assert.deepEqual(buckets({ first: "2026-11-19", last: "2026-11-30" }, "week"), ["2026-11-16", "2026-11-23", "2026-11-30"]);
  assert.deepEqual(buckets({ first: "2026-10-15", last: "2026-12-01" }, "month"), ["2026-10-01", "2026-11-01", "2026-12-01"]);
  assert.deepEqual(lastMinutes({ day: "2026-11-21", time: "00:01" }, 3), [
    "2026-11-20 23:59:00",
    "2026-11-21 00:00:00",
    "2026-11-21 00:01:00",
  ]);
  assert.deepEqual(intervalsFor("day", { first: "2026-11-21", last: "2026-11-21" }), ["hour"]);
  assert.equal(intervalsFor("12mo", rangeOf("12mo", "", "2026-11-21"))[0], "month");
  assert.equal(intervalsFor("realtime", {})[0], "minute");
});

test("the date in a timezone", () => {
  const at = new Date("2026-11-21T23:30:00Z");
  assert.deepEqual(nowIn("UTC", at), { day: "2026-11-21", time: "23:30" });
  assert.deepEqual(nowIn("Europe/Berlin", at), { day: "2026-11-22", time: "00:30" });
  assert.ok(isDay("2026-02-28") && !isDay("2026-02-30") && !isDay("<img>"));
});

test("filters round-trip through the Stats API's syntax", () => {
  const filters = parseFilters("visit:country==DE|FR;event:page!=/a==b;event:page~blog");
  assert.deepEqual(filters, [
    { op: "is", dimension: "visit:country", values: ["DE", "FR"] },
    { op: "is_not", dimension: "event:page", values: ["/a==b"] },
    { op: "contains", dimension: "event:page", values: ["blog"] },
  ]);
  assert.equal(formatFilters(filters), "visit:country==DE|FR;event:page!=/a==b;event:page~blog");
  assert.deepEqual(parseFilters("nonsense;visit:browser=="), []);
  const piped = [{ op: "is", dimension: "event:page", values: ["/a|b", "/c"] }];
  assert.equal(formatFilters(piped), "event:page==/a\\|b|/c");
  assert.deepEqual(parseFilters(formatFilters(piped)), piped);
});

test("the URL holds the whole state, defaults left out", () => {
  const state = parseState("?period=7d&filters=visit:browser==Chrome&compare=off&metric=pageviews&interval=week&devices=os");
  assert.equal(state.period, "7d");
  assert.equal(state.compare, "off");
  assert.equal(state.metric, "pageviews");
  assert.equal(state.tabs.devices, "os");
  assert.equal(state.tabs.sources, "channel");
  assert.equal(formatState(state), "?period=7d&filters=visit:browser%3D%3DChrome&compare=off&metric=pageviews&interval=week&devices=os");
  assert.equal(formatState(parseState("")), "");
  assert.equal(parseState("?period=<script>&metric=evil&pages=nope").period, "30d");
  const filtered = withFilter(state, { op: "is", dimension: "visit:browser", values: ["Firefox"] });
  assert.deepEqual(filtered.filters.map((f) => f.values[0]), ["Firefox"]);
  assert.deepEqual(withoutFilter(filtered, "visit:browser").filters, []);
});

test("numbers, durations and labels", () => {
  assert.deepEqual([0, 950, 1234, 12345, 123456, 999_999, 1_234_567].map(compact), ["0", "950", "1.2k", "12.3k", "123k", "1M", "1.2M"]);
  assert.deepEqual([0, 59, 65, 3720].map(duration), ["0s", "59s", "1m 5s", "1h 2m"]);
  assert.equal(metricValue("bounce_rate", 42), "42%");
  assert.equal(metricValue("views_per_visit", 1.257), "1.26");
  assert.equal(countryName("DE"), "Germany");
  assert.equal(countryName("<b>"), "<b>");
  assert.equal(shortDate("2026-11-21 13:00:00"), "Nov 21 13:00");
  assert.equal(periodLabel("day", "2026-11-20", "2026-11-21"), "Yesterday");
  assert.equal(periodLabel("month", "2026-10-01", "2026-11-21"), "Last month");
  assert.equal(periodLabel("custom", "2026-01-01,2026-01-31", "2026-11-21"), "Jan 1 – Jan 31, 2026");
  assert.equal(periodLabel("day", "2026-11-02", "2026-11-21"), "Nov 2, 2026");
  assert.equal(periodLabel("year", "2025-01-01", "2026-11-21"), "2025");
  assert.equal(periodLabel("6mo", "", "2026-11-21"), "Last 6 months");
  assert.equal(rangeLabel("2025-12-20", "2026-01-02"), "Dec 20, 2025 – Jan 2, 2026");
  assert.equal(rangeLabel("2026-01-02", "2026-01-02"), "Jan 2, 2026");
  assert.equal(presetForKey("w")[0], "7d");
  assert.equal(presetForKey("q"), undefined);
});

test("the date picker lists Plausible's periods with its shortcuts", () => {
  assert.deepEqual(PRESETS.map(([key, , shortcut]) => key + ":" + shortcut), [
    "day:D", "yesterday:E", "realtime:R", "7d:W", "28d:F", "30d:T", "91d:N", "month:M", "last_month:P", "year:Y", "6mo:S", "12mo:L", "all:A",
  ]);
  assert.deepEqual(presetForKey("s")[3]("2026-11-21"), { period: "6mo", date: "" });
  assert.deepEqual(presetForKey("p")[3]("2026-11-21"), { period: "month", date: "2026-10-01" });
});

test("← and → step a day, a month or a year, the last N days or months by their length, never past today", () => {
  const today = "2026-11-21";
  const step = (period, date, direction, start) => shiftPeriod(period, date, direction, today, start);
  assert.deepEqual(step("day", "", -1), { period: "day", date: "2026-11-20" });
  assert.equal(step("day", "", 1), null); // today: nothing after it
  assert.deepEqual(step("day", "2026-11-20", 1), { period: "day", date: "" }); // back to "Today"
  assert.deepEqual(step("day", "2026-03-01", -1), { period: "day", date: "2026-02-28" });
  assert.deepEqual(step("day", "2024-03-01", -1), { period: "day", date: "2024-02-29" });
  assert.deepEqual(step("month", "", -1), { period: "month", date: "2026-10-01" });
  assert.equal(step("month", "", 1), null);
  assert.deepEqual(step("month", "2026-10-01", 1), { period: "month", date: "" });
  assert.deepEqual(step("month", "2026-01-31", -1), { period: "month", date: "2025-12-01" });
  assert.deepEqual(step("year", "", -1), { period: "year", date: "2025-01-01" });
  assert.deepEqual(step("year", "2025-01-01", 1), { period: "year", date: "" });
  assert.equal(step("year", "", 1), null);
  // the last 7 days step by 7 as a custom range, and come back to "Last 7 days"
  assert.deepEqual(step("7d", "", -1), { period: "custom", date: "2026-11-08,2026-11-14" });
  assert.equal(step("7d", "", 1), null);
  assert.deepEqual(step("custom", "2026-11-08,2026-11-14", 1), { period: "7d", date: "" });
  assert.deepEqual(step("91d", "", -1), { period: "custom", date: "2026-05-24,2026-08-22" });
  assert.deepEqual(step("30d", "2026-11-01", -1), { period: "custom", date: "2026-09-03,2026-10-02" });
  // the last 6 and 12 months step by whole months
  assert.deepEqual(step("6mo", "", -1), { period: "custom", date: "2025-12-01,2026-05-31" });
  assert.deepEqual(step("custom", "2025-12-01,2026-05-31", 1), { period: "6mo", date: "" });
  assert.deepEqual(step("12mo", "", -1), { period: "custom", date: "2024-12-01,2025-11-30" });
  assert.deepEqual(step("custom", "2026-01-01,2026-02-28", -1), { period: "custom", date: "2025-11-01,2025-12-31" });
  assert.deepEqual(step("custom", "2026-10-01,2026-10-31", 1), { period: "month", date: "" });
  // a custom range by its length, never past today
  assert.deepEqual(step("custom", "2026-11-01,2026-11-10", -1), { period: "custom", date: "2026-10-22,2026-10-31" });
  assert.deepEqual(step("custom", "2026-11-01,2026-11-10", 1), { period: "custom", date: "2026-11-11,2026-11-20" });
  assert.deepEqual(step("custom", "2026-11-05,2026-11-14", 1), { period: "custom", date: "2026-11-12,2026-11-21" });
  assert.equal(step("custom", "2026-11-12,2026-11-21", 1), null);
  // nothing wholly before the site's first day; nothing in realtime or all time
  assert.deepEqual(step("7d", "", -1, "2026-11-10"), { period: "custom", date: "2026-11-08,2026-11-14" });
  assert.equal(step("custom", "2026-11-08,2026-11-14", -1, "2026-11-10"), null);
  assert.equal(step("day", "", -1, today), null);
  assert.deepEqual(step("month", "", -1, "2026-10-31"), { period: "month", date: "2026-10-01" });
  assert.equal(step("realtime", "", -1), null);
  assert.equal(step("all", "", -1), null);
});

test("the comparison lives in the URL; the Stats API is asked for it by mode, never by dates it would compute", () => {
  const yoy = parseState("?period=7d&compare=year_over_year&match_day=1");
  assert.deepEqual([yoy.compare, yoy.matchDay, yoy.compareDate], ["year_over_year", true, ""]);
  assert.equal(formatState(yoy), "?period=7d&compare=year_over_year&match_day=1");
  assert.deepEqual(compareParams(yoy), { compare: "year_over_year", match_day_of_week: "true" });
  const custom = parseState("?compare=custom&compare_date=2025-11-01,2025-11-30");
  assert.equal(formatState(custom), "?compare=custom&compare_date=2025-11-01,2025-11-30");
  assert.deepEqual(compareParams({ ...custom, matchDay: true }), { compare: "custom", compare_date: "2025-11-01,2025-11-30" });
  const plain = parseState("");
  assert.deepEqual([plain.compare, plain.matchDay], ["previous_period", false]);
  assert.deepEqual(compareParams(plain), { compare: "previous_period" });
  assert.deepEqual(compareParams(parseState("?compare=off")), {});
  assert.equal(comparing(parseState("?period=realtime")), false); // as Plausible: realtime and all time compare nothing
  assert.equal(comparing(parseState("?period=all")), false);
  assert.deepEqual(compareParams(parseState("?period=all&compare=year_over_year")), {});
  assert.equal(formatState(parseState("?compare_date=2025-01-01,2025-01-02")), ""); // without custom: dropped
});

test("a comparison the URL gets wrong is named and falls back to the previous period", () => {
  assert.equal(compareProblem(""), null);
  assert.equal(compareProblem("?compare=custom&compare_date=2025-11-01,2025-11-30&match_day=0"), null);
  assert.equal(compareProblem("?compare=last_week"), "“last_week” is not a comparison");
  assert.equal(compareProblem("?compare=custom"), "the period to compare with: it needs two dates (first,last), not “”");
  assert.equal(compareProblem("?compare=custom&compare_date=2025-02-30,2025-03-01"), "the period to compare with: “2025-02-30” is not a date (YYYY-MM-DD)");
  assert.equal(
    compareProblem("?compare=custom&compare_date=2025-03-01,2025-02-01"),
    "the period to compare with: the custom range ends (2025-02-01) before it starts (2025-03-01)",
  );
  assert.equal(compareProblem("?match_day=yes"), "match_day is 1 or 0, not “yes”");
  const fixed = withDefaultCompare(parseState("?period=7d&compare=custom&compare_date=x&match_day=1"));
  assert.equal(formatState(fixed), "?period=7d");
  assert.equal(compareProblem(formatState(fixed)), null);
});

test("what is compared, in words", () => {
  assert.equal(comparedWith("previous_period", false), "the previous period");
  assert.equal(comparedWith("year_over_year", false), "the same days a year before");
  assert.equal(comparedWith("year_over_year", true), "the same weekdays a year before");
  assert.equal(comparisonTitle("year_over_year", false, ["2025-11-15", "2025-11-21"]), "vs. the same days a year before (Nov 15 – Nov 21, 2025)");
  assert.equal(comparisonTitle("custom", false, ["2025-01-01", "2025-01-31"]), "vs. the chosen period (Jan 1 – Jan 31, 2025)");
  assert.equal(compareButtonLabel("off", ""), "Compare");
  assert.equal(compareButtonLabel("previous_period", ""), "vs. previous period");
  assert.equal(compareButtonLabel("custom", "2025-01-01,2025-01-31"), "vs. Jan 1 – Jan 31, 2025");
});

test("a period or date the Stats API would refuse is named, and falls back to the default period", () => {
  assert.equal(periodProblem(""), null);
  assert.equal(periodProblem("?period=custom&date=2026-01-01,2026-01-31"), null);
  assert.equal(periodProblem("?period=custom&date=2026-01-01,2026-01-01"), null);
  assert.equal(periodProblem("?period=day&date=2026-11-20"), null);
  assert.equal(periodProblem("?period=realtime"), null);
  assert.equal(periodProblem("?period=custom&date=2026-13-45,2026-01-01"), "“2026-13-45” is not a date (YYYY-MM-DD)");
  assert.equal(periodProblem("?period=custom&date=2026-02-01,2026-02-30"), "“2026-02-30” is not a date (YYYY-MM-DD)");
  assert.equal(periodProblem("?period=custom&date=2026-03-01,2026-01-01"), "the custom range ends (2026-01-01) before it starts (2026-03-01)");
  assert.equal(periodProblem("?period=custom&date=yesterday"), "a custom range needs two dates (first,last), not “yesterday”");
  assert.equal(periodProblem("?period=custom"), "a custom range needs two dates (first,last), not “”");
  assert.equal(periodProblem("?period=custom&date=2026-01-01,2026-01-02,2026-01-03").startsWith("a custom range needs two dates"), true);
  assert.equal(periodProblem("?period=custom&date=2010-01-01,2026-01-01"), "the custom range is longer than ten years");
  assert.equal(periodProblem("?period=fortnight"), "“fortnight” is not a period");
  assert.equal(periodProblem("?period=day&date=tomorrow"), "“tomorrow” is not a date (YYYY-MM-DD)");
  assert.equal(periodProblem("?period=all&date=2026-99-01"), "“2026-99-01” is not a date (YYYY-MM-DD)");
  assert.equal(periodProblem("?date=%3Cscript%3E"), "“<script>” is not a date (YYYY-MM-DD)"); // shown with textContent
  assert.equal(periodProblem("?period=" + "x".repeat(500)), "“" + "x".repeat(39) + "…” is not a period");
  const state = parseState("?period=custom&date=2026-13-45,2026-01-01&filters=visit:browser==Chrome&metric=pageviews&interval=week");
  const fixed = withDefaultPeriod(state);
  assert.deepEqual([fixed.period, fixed.date, fixed.interval, fixed.metric], ["30d", "", "", "pageviews"]);
  assert.equal(formatState(fixed), "?filters=visit:browser%3D%3DChrome&metric=pageviews");
  assert.equal(periodProblem(formatState(fixed)), null);
});

test("a top stat's change is shown only where it means something", () => {
  const visitors = (value, previous, change) => ({ value, comparison_value: previous, change });
  assert.equal(MIN_PREVIOUS_VISITORS, 10);
  // 46,233% against a handful: none, and the tooltip says why
  const tiny = changeBadge("visitors", visitors(1390, 3, 46233), 3);
  assert.equal(tiny.text, null);
  assert.match(tiny.title, /only 3 visitors, too few/);
  assert.match(changeBadge("pageviews", visitors(50, 1, 4900), 1).title, /only 1 visitor,/);
  assert.equal(changeBadge("bounce_rate", visitors(40, 80, -40), 9).text, null); // a rate of 9 visits is chance too
  // from nothing: none (as Plausible), the API's +100 notwithstanding
  assert.deepEqual(changeBadge("visitors", visitors(12, 0, 100), 0), { text: null, title: "No change shown: the previous period had no visitors." });
  assert.deepEqual(changeBadge("visit_duration", visitors(30, 0, 100), 25), { text: null, title: "No change shown: it was 0 in the previous period." });
  // enough visitors: shown, coloured by whether it is good news
  assert.deepEqual(changeBadge("visitors", visitors(15, 10, 50), 10), { text: "↑ 50%", tone: "up", title: "vs. the previous period" });
  assert.deepEqual(changeBadge("visitors", visitors(2000, 10, 19900), 10).text, "↑ 19,900%");
  assert.deepEqual(changeBadge("pageviews", visitors(10, 20, -50), 40).tone, "down");
  assert.deepEqual(changeBadge("bounce_rate", visitors(40, 48, -8), 40, true), { text: "↓ 8 pts", tone: "up", title: "vs. the previous period" });
  // what it is against is said: the mode in words, with the API's dates
  const yearly = { noun: "the same days a year before", title: "vs. the same days a year before (Nov 15 – Nov 21, 2025)" };
  assert.equal(changeBadge("visitors", visitors(15, 10, 50), 10, false, yearly).title, yearly.title);
  assert.equal(changeBadge("visitors", visitors(15, 3, 400), 3, false, yearly).title,
    "No change shown: the same days a year before had only 3 visitors, too few to compare with.");
  assert.equal(changeBadge("bounce_rate", visitors(10, 0, 10), 40, true).text, "↑ 10 pts"); // from 0% is a real rise
  assert.equal(changeBadge("visits", visitors(10, 10, 0), 12).tone, "flat");
  assert.equal(changeBadge("visits", visitors(10, 10, 0), 12).text, "0%");
  // not comparing, or no change answered: nothing, and nothing to explain
  assert.deepEqual(changeBadge("visitors", { value: 3 }, undefined), { text: null, title: "" });
  assert.deepEqual(changeBadge("visitors", undefined, 50), { text: null, title: "" });
});

test("the chart's tooltip: the bucket as a title, then the metric and the previous period's value", () => {
  assert.equal(bucketTitle("2026-11-21", "date"), "Nov 21, 2026");
  assert.equal(bucketTitle("2026-11-21 13:00:00", "hour"), "Nov 21, 13:00");
  assert.equal(bucketTitle("2026-11-21 13:07:00", "minute"), "Nov 21, 13:07");
  assert.equal(bucketTitle("2026-11-16", "week"), "Week of Nov 16, 2026");
  assert.equal(bucketTitle("2026-12-01", "month"), "Dec 2026");
  assert.equal(hoverValue("visitors", 1234), "1,234");
  assert.equal(hoverValue("bounce_rate", 42), "42%");
  assert.equal(hoverValue("visit_duration", 65), "1m 5s");
  const series = {
    labels: ["2026-11-20", "2026-11-21", "2026-11-22"],
    values: [1234, 7, null],
    previous: { labels: ["2026-11-17", "2026-11-18", "2026-11-19"], values: [1100, null, 3] },
    metric: "visitors",
    interval: "date",
    name: "Unique visitors",
  };
  assert.deepEqual(hoverLines(series, 0), {
    title: "Nov 20, 2026",
    rows: [
      { kind: "current", label: "Unique visitors", value: "1,234" },
      { kind: "previous", label: "Nov 17, 2026", value: "1,100" },
    ],
  });
  assert.deepEqual(hoverLines(series, 1).rows[1], { kind: "previous", label: "Nov 18, 2026", value: "0" });
  assert.deepEqual(hoverLines(series, 2).rows, [{ kind: "previous", label: "Nov 19, 2026", value: "3" }]); // a day to come
  assert.deepEqual(hoverLines({ ...series, previous: null }, 0).rows, [{ kind: "current", label: "Unique visitors", value: "1,234" }]);
  assert.equal(hoverLines(series, null), null);
  assert.equal(hoverLines(series, 9), null);
});

test("imported data: the URL keeps it off, the note says whether it is in the numbers", async () => {
  const { importsNote } = await import("../src/imports.js");
  const off = parseState("?imports=off");
  assert.equal(off.imports, false);
  assert.equal(parseState("").imports, true);
  assert.equal(formatState(off), "?imports=off");
  assert.equal(formatState(parseState("")), "");
  const imported = ["2021-01-01", "2022-12-31"];
  const range = { first: "2022-12-01", last: "2023-01-31" };
  assert.equal(importsNote(imported, range, true, false, undefined), "Includes imported data (2021-01-01 to 2022-12-31).");
  assert.match(importsNote(imported, range, false, false, undefined), /is left out: switch/);
  const warning = "Imported stats are not included in the results because query parameters are not supported. For more information, see: https://plausible.io/docs/stats-api#filtering-imported-stats";
  assert.match(importsNote(imported, range, true, false, warning), /left out of this view: query parameters are not supported/);
  assert.equal(importsNote(imported, { first: "2023-01-01", last: "2023-01-31" }, true, false, undefined), null);
  assert.equal(importsNote([], range, true, false, undefined), null);
  assert.equal(importsNote(imported, range, true, true, undefined), null);
});

test("the site switcher carries the period and the comparison, not this site's filters, tabs or metric", () => {
  const here = parseState("?period=custom&date=2025-01-01,2025-01-31&filters=event:page%3D%3D/pricing&compare=year_over_year&match_day=1&metric=pageviews&sources=utm_source&interval=week");
  assert.equal(siteSwitchSearch(here), "?period=custom&date=2025-01-01,2025-01-31&compare=year_over_year&match_day=1");
  assert.equal(siteSwitchSearch(parseState("?period=realtime")), "?period=realtime");
  assert.equal(siteSwitchSearch(parseState("?filters=visit:country%3D%3DDE&imports=off")), "");
  const custom = parseState("?compare=custom&compare_date=2024-11-01,2024-11-30");
  assert.equal(siteSwitchSearch(custom), "?compare=custom&compare_date=2024-11-01,2024-11-30");
});
