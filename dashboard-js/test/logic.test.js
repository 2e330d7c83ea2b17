// The dashboard's pure logic: dates and buckets as the Stats API labels them, the URL state, formatting
// and the date picker's labels. Run by `node --test` (tests/test_dashboard_js.py runs it in ./dev test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { addMonths, buckets, intervalsFor, isDay, lastMinutes, nowIn, previousRange, rangeOf } from "../src/dates.js";
import { compact, countryName, duration, metricValue, shortDate } from "../src/format.js";
import { periodLabel, presetForKey } from "../src/periods.js";
import { formatFilters, formatState, parseFilters, parseState, withFilter, withoutFilter } from "../src/state.js";

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
  assert.deepEqual(previousRange({ first: "2026-11-15", last: "2026-11-21" }), { first: "2026-11-08", last: "2026-11-14" });
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
  assert.equal(state.compare, false);
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
  assert.equal(presetForKey("w")[0], "7d");
  assert.equal(presetForKey("q"), undefined);
});
