// The Details view's pure parts: its URL parameters, its columns, the filter a search adds and the
// order a header click asks for. Run by `node --test` (tests/test_dashboard_js.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { detailsColumns, nextSort, searchFilter, searchProblem } from "../src/details.js";
import { formatDetails, listable, openDetails, parseDetails } from "../src/details-url.js";
import { formatState, parseState } from "../src/state.js";

test("a Details view round-trips through the URL with the rest of the state", () => {
  const search = "?period=7d&details=visit:source&details_search=goo%7Cgle&details_sort=bounce_rate:asc&details_pages=3";
  const state = parseState(search);
  assert.deepEqual(state.details, { property: "visit:source", search: "goo|gle", sort: "bounce_rate:asc", pages: 3 });
  assert.deepEqual(parseState(formatState(state)), state);
  assert.equal(formatState({ ...state, details: openDetails("event:goal") }), "?period=7d&details=event:goal");
  assert.equal(parseState("?period=7d").details, null);
  assert.equal(formatState(parseState("?period=7d")), "?period=7d");
});

test("only listable properties open, and bad sorts and pages fall back", () => {
  const q = (text) => parseDetails(new URLSearchParams(text));
  assert.equal(q("details=visit:nonsense"), null);
  assert.equal(q("details=event:props:"), null);
  assert.equal(q("details=event:props:" + "k".repeat(301)), null);
  assert.equal(q("details=event:props:plan").property, "event:props:plan");
  assert.equal(listable("visit:browser_version"), true);
  assert.equal(listable("toString"), false);
  const odd = q("details=event:page&details_sort=visitors);drop:asc&details_pages=-2");
  assert.deepEqual(odd, { property: "event:page", search: "", sort: "", pages: 1 });
  assert.equal(q("details=event:page&details_pages=5000").pages, 100);
  assert.equal(q("details=event:page&details_pages=2.5").pages, 1);
  assert.equal(q("details=event:page&details_search=" + "x".repeat(500)).search.length, 200);
  const out = new URLSearchParams();
  formatDetails({ property: "event:page", search: "", sort: "", pages: 1 }, out);
  assert.equal(out.toString(), "details=event%3Apage");
});

test("each kind of property has Plausible's columns", () => {
  const names = (property, flags) => detailsColumns(property, flags).map(([metric]) => metric);
  assert.deepEqual(names("visit:source"), ["visitors", "visits", "bounce_rate", "visit_duration"]);
  assert.deepEqual(names("visit:country"), ["visitors", "visits", "bounce_rate", "visit_duration"]);
  assert.deepEqual(names("event:page"), ["visitors", "pageviews", "bounce_rate", "time_on_page", "scroll_depth"]);
  assert.deepEqual(names("visit:entry_page"), ["visitors", "visits", "bounce_rate", "visit_duration"]);
  assert.deepEqual(names("visit:exit_page"), ["visitors", "visits", "exit_rate"]);
  assert.deepEqual(names("event:goal"), ["visitors", "events", "conversion_rate"]);
  assert.deepEqual(names("event:goal", { revenue: true }), ["visitors", "events", "conversion_rate", "total_revenue", "average_revenue"]);
  assert.deepEqual(names("event:props:plan"), ["visitors", "events", "percentage"]);
  assert.deepEqual(names("event:props:plan", { goals: true }), ["visitors", "events", "conversion_rate"]);
  assert.deepEqual(names("visit:source", { goals: true }), ["visitors", "events", "conversion_rate"]);
});

test("a search is a contains filter on the property; countries are searched by name", () => {
  assert.equal(searchFilter("event:page", "   "), null);
  assert.deepEqual(searchFilter("event:page", " /blog|x "), { op: "contains", dimension: "event:page", values: ["/blog|x"] });
  const germany = searchFilter("visit:country", "germ"); // (and East Germany, DD, which the browser names too)
  assert.equal(germany.op, "is");
  assert.ok(germany.values.includes("DE") && !germany.values.includes("FR"));
  assert.ok(searchFilter("visit:country", "de").values.includes("DE")); // a code too
  assert.ok(searchFilter("visit:country", "united").values.includes("GB"));
  assert.deepEqual(searchFilter("visit:country", "**"), { op: "contains", dimension: "visit:country", values: ["**"] });
  assert.equal(searchProblem("a;b"), "A search cannot contain ;");
  assert.equal(searchProblem("a|b"), null);
});

test("a header click sorts by that column, then the other way; the default stays out of the URL", () => {
  const columns = [["visitors", "Visitors"], ["bounce_rate", "Bounce rate"]];
  assert.equal(nextSort("", "bounce_rate", columns), "bounce_rate:desc");
  assert.equal(nextSort("bounce_rate:desc", "bounce_rate", columns), "bounce_rate:asc");
  assert.equal(nextSort("bounce_rate:asc", "bounce_rate", columns), "bounce_rate:desc");
  assert.equal(nextSort("", "visitors", columns), "visitors:asc");
  assert.equal(nextSort("visitors:asc", "visitors", columns), "");
  assert.equal(nextSort("", "name", columns), "name:asc");
  assert.equal(nextSort("name:asc", "name", columns), "name:desc");
});
