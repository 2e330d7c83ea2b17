// The segments menu's pure logic (segments.js). Run by `node --test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeFilters, isApplied } from "../src/segments.js";
import { parseFilters } from "../src/state.js";

test("a segment's filters read as the filter chips do", () => {
  assert.equal(describeFilters("visit:source==Google|Bing;event:page~blog"), "Source is Google or Bing; Page contains blog");
  assert.equal(describeFilters(""), "");
});

test("a segment is applied when the view's filters are its own", () => {
  const segment = { id: 1, name: "Search", filters: "visit:source==Google|Bing" };
  assert.equal(isApplied(segment, parseFilters("visit:source==Google|Bing")), true);
  assert.equal(isApplied(segment, parseFilters("visit:source==Google")), false);
  assert.equal(isApplied(segment, parseFilters("visit:source==Google|Bing;event:page==/")), false);
  assert.equal(isApplied({ ...segment, filters: "" }, []), false);
});
