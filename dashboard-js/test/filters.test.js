// The filter editor's and the filter chips' pure logic (filters.js). Run by `node --test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chipWords, distinctValues, keyProblem, valueProblem, withFilterAt, withoutFilterAt } from "../src/filters.js";
import { formatFilters, parseFilters } from "../src/state.js";

const state = (text) => ({ period: "day", filters: parseFilters(text) });

test("a chip names every value, joined by or", () => {
  const [source] = parseFilters("visit:source==Google|Bing");
  assert.deepEqual(chipWords(source), ["Source is ", "Google or Bing"]);
  const [goal] = parseFilters("event:goal!=Signup|Visit /");
  assert.deepEqual(chipWords(goal), ["Goal is not ", "Signup or Visit /"]);
  const [prop] = parseFilters("event:props:plan~pro");
  assert.deepEqual(chipWords(prop), ["Property plan contains ", "pro"]);
});

test("several values travel in the URL's syntax and back", () => {
  const filters = [{ op: "is", dimension: "visit:source", values: ["Google", "Bing"] }];
  assert.equal(formatFilters(filters), "visit:source==Google|Bing");
  assert.deepEqual(parseFilters(formatFilters(filters)), filters);
});

test("editing a filter replaces it in place; one filter a dimension", () => {
  const before = state("visit:source==Google;event:page==/");
  const edited = withFilterAt(before, 0, { op: "is", dimension: "visit:source", values: ["Google", "Bing"] });
  assert.equal(formatFilters(edited.filters), "visit:source==Google|Bing;event:page==/");
  const added = withFilterAt(before, -1, { op: "is_not", dimension: "visit:country", values: ["DE"] });
  assert.equal(formatFilters(added.filters), "visit:source==Google;event:page==/;visit:country!=DE");
  const moved = withFilterAt(before, 0, { op: "is", dimension: "event:page", values: ["/a"] });
  assert.equal(formatFilters(moved.filters), "event:page==/a");
  assert.equal(formatFilters(withoutFilterAt(before, 0).filters), "event:page==/");
});

test("values and property keys the URL cannot hold are refused", () => {
  assert.equal(valueProblem("Google"), null);
  assert.match(valueProblem(""), /Type a value/);
  assert.match(valueProblem("a;b"), /cannot contain/);
  assert.match(valueProblem("a|b"), /cannot contain/);
  assert.equal(keyProblem("plan"), null);
  assert.match(keyProblem(""), /Choose or type/);
  assert.match(keyProblem("a=b"), /cannot be filtered/);
  assert.match(keyProblem("x".repeat(301)), /at most 300/);
  assert.deepEqual(distinctValues([" a", "b", "a", ""]), ["a", "b"]);
});
