// The Details view of a list card: the card's whole list in a dialog, searched, sorted and paged by the
// server (the Stats API's breakdown with a contains filter, order_by, limit and page), with the columns
// Plausible shows for that kind of property, and a CSV of exactly those rows (/<domain>/export/details.csv
// with the same parameters). Its state is part of the URL (details-url.js), so a reload or a shared URL
// reopens it; Escape, × and the back button close it. Clicking a value filters the dashboard by it.
// Tracked values are attacker-controlled: they are only ever written with textContent (dom.js).

import { get } from "./api.js";
import { DETAILS_PAGE, DETAILS_TITLES, PROPS_PREFIX, openDetails } from "./details-url.js";
import { el, fill } from "./dom.js";
import { countryName, exact, metricValue } from "./format.js";
import { formatFilters, goalFilter, withFilter } from "./state.js";
import { dimensionLabel, valueLabel } from "./widgets.js";

const BREAKDOWN = "/api/v1/stats/breakdown";
const MAX_LIMIT = 1000; // the breakdown's largest page (panel.stats_api.params.MAX_BREAKDOWN_LIMIT)
const MAX_VALUES = 100; // values in one filter (analytics.filters.MAX_VALUES)
const SEARCH_DELAY_MS = 250;
const VISITORS = ["visitors", "Visitors"];
const COLUMN_NAMES = {
  "visit:browser_version": "Version",
  "visit:os_version": "Version",
  "event:goal": "Goal",
};

/**
 * The figures a Details view shows for ``property``, as Plausible's: [[metric, heading], ...].
 * ``goals``: the view is filtered by goals (conversions then); ``revenue``: the site has revenue goals.
 */
export function detailsColumns(property, { goals = false, revenue = false } = {}) {
  if (property === "event:goal") {
    const money = revenue ? [["total_revenue", "Revenue"], ["average_revenue", "Average"]] : [];
    return [["visitors", "Uniques"], ["events", "Total"], ["conversion_rate", "CR"], ...money];
  }
  if (property.startsWith(PROPS_PREFIX)) {
    return [VISITORS, ["events", "Events"], goals ? ["conversion_rate", "CR"] : ["percentage", "%"]];
  }
  if (goals) return [["visitors", "Conversions"], ["events", "Total"], ["conversion_rate", "CR"]];
  if (property === "event:page") {
    return [VISITORS, ["pageviews", "Pageviews"], ["bounce_rate", "Bounce rate"], ["time_on_page", "Time on page"], ["scroll_depth", "Scroll depth"]];
  }
  if (property === "visit:entry_page") return [VISITORS, ["visits", "Entrances"], ["bounce_rate", "Bounce rate"], ["visit_duration", "Visit duration"]];
  if (property === "visit:exit_page") return [VISITORS, ["visits", "Exits"], ["exit_rate", "Exit rate"]];
  return [VISITORS, ["visits", "Visits"], ["bounce_rate", "Bounce rate"], ["visit_duration", "Visit duration"]];
}

/** What a search may not hold: the filter syntax has no escape for ``;``. Null when it is fine. */
export function searchProblem(text) {
  return text.includes(";") ? "A search cannot contain ;" : null;
}

let countryNames = null; // [[code, lower-case name]] for every code the browser can name

function countriesNamed(text) {
  if (!countryNames) {
    countryNames = [];
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (const a of letters) {
      for (const b of letters) {
        const name = countryName(a + b);
        if (name !== a + b) countryNames.push([a + b, name.toLowerCase()]);
      }
    }
  }
  const needle = text.toLowerCase();
  return countryNames.filter(([code, name]) => name.includes(needle) || code === text.toUpperCase()).map(([code]) => code);
}

/**
 * The filter a search adds to the view: the value contains the text (ignoring case), or for countries,
 * stored as codes, the countries whose name contains it. Null for no search.
 */
export function searchFilter(property, text) {
  const search = text.trim();
  if (!search) return null;
  if (property === "visit:country") {
    const codes = countriesNamed(search).slice(0, MAX_VALUES);
    if (codes.length) return { op: "is", dimension: property, values: codes };
  }
  return { op: "contains", dimension: property, values: [search] };
}

/** The sort a click on ``column`` asks for, after ``current`` ("" is the first figure, descending). */
export function nextSort(current, column, columns) {
  const fallback = `${columns[0][0]}:desc`;
  const [name, direction] = (current || fallback).split(":");
  const next = name === column ? `${column}:${direction === "desc" ? "asc" : "desc"}` : `${column}:${column === "name" ? "asc" : "desc"}`;
  return next === fallback ? "" : next;
}

/**
 * The Details view, wired to the page: ``load`` is the dashboard's "details" widget (it opens, fills or
 * closes the dialog from the state), ``link`` points a card's Details link at a property.
 *   ctx: {root, state: () => state, navigate, href: (state) => url, common: (state) => params,
 *         exportUrl: (name, extra) => url, revenueGoals}
 */
export function createDetails(ctx) {
  const { root, navigate } = ctx;
  const dialog = root.querySelector("#details");
  if (!dialog) return { load: async () => {}, link: () => {} };
  const title = dialog.querySelector("#details-title");
  const search = dialog.querySelector("#details-search");
  const note = dialog.querySelector(".details-note");
  const table = dialog.querySelector("#details-table");
  const more = dialog.querySelector("#details-more");
  const count = dialog.querySelector(".details-count");
  const csv = dialog.querySelector(".details-csv");
  let loaded = null; // {key, pages, rows, more}: what the dialog shows, for "Load more"
  let typing = null;

  const state = () => ctx.state();
  const view = () => state().details;

  /** Change the view in place (search, order, pages): one history entry for the whole visit. */
  function change(next) {
    if (!view()) return; // a search typed just before the view closed
    navigate({ ...state(), details: { ...view(), ...next } }, { replace: true, only: ["details"] });
  }

  function close() {
    if (view()) navigate({ ...state(), details: null }, { only: ["details"] });
  }

  dialog.querySelector(".details-close").addEventListener("click", close);
  dialog.addEventListener("cancel", (e) => {
    e.preventDefault(); // Escape: the URL says what is open, so close through it
    close();
  });
  dialog.addEventListener("click", (e) => {
    const box = dialog.getBoundingClientRect(); // the dialog's own padding is the dialog too: only outside
    const outside = e.clientX < box.left || e.clientX > box.right || e.clientY < box.top || e.clientY > box.bottom;
    if (e.target === dialog && outside) close(); // the backdrop
  });
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => change({ search: search.value.trim(), pages: 1 }), SEARCH_DELAY_MS);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    clearTimeout(typing);
    change({ search: search.value.trim(), pages: 1 });
  });
  more.addEventListener("click", () => change({ pages: view().pages + 1 }));
  root.addEventListener("click", (e) => {
    const anchor = e.target.closest && e.target.closest(".details-link");
    if (!anchor || !anchor.dataset.property || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate({ ...state(), details: openDetails(anchor.dataset.property) }, { only: ["details"] });
  });

  /** Point the Details link of a card at ``property`` (hidden when the card lists nothing to open). */
  function link(widget, property) {
    const anchor = root.querySelector(`#widget-${widget} .details-link`);
    if (!anchor) return;
    anchor.hidden = !property;
    anchor.dataset.property = property || "";
    anchor.href = property ? ctx.href({ ...state(), details: openDetails(property) }) : "#";
  }

  function columnsOf(s) {
    return detailsColumns(s.details.property, { goals: Boolean(goalFilter(s)), revenue: Object.keys(ctx.revenueGoals).length > 0 });
  }

  /** The breakdown's parameters for the view (no limit or page): the search joins the view's filters. */
  function queryOf(s, columns) {
    const { property, sort } = s.details;
    const extra = searchFilter(property, s.details.search);
    const [name, direction] = sort ? sort.split(":") : ["", ""];
    const known = name === "name" || columns.some(([metric]) => metric === name);
    return {
      ...ctx.common(s),
      filters: formatFilters(extra ? [...s.filters, extra] : s.filters),
      property,
      metrics: columns.map(([metric]) => metric).join(","),
      order_by: known && sort ? `${name === "name" ? property : name}:${direction}` : "",
    };
  }

  async function fetchPages(query, pages, signal) {
    const total = pages * DETAILS_PAGE;
    if (total <= MAX_LIMIT) {
      const rows = (await get(BREAKDOWN, { ...query, limit: String(total), page: "1" }, signal)).results;
      return { rows, more: rows.length === total };
    }
    let rows = [];
    let batch = [];
    for (let page = 1; page <= pages; page++) {
      batch = (await get(BREAKDOWN, { ...query, limit: String(DETAILS_PAGE), page: String(page) }, signal)).results;
      rows = rows.concat(batch);
      if (batch.length < DETAILS_PAGE) break;
    }
    return { rows, more: batch.length === DETAILS_PAGE };
  }

  async function load(run) {
    const s = state();
    if (!s.details) {
      loaded = null;
      clearTimeout(typing);
      if (dialog.open) dialog.close();
      return;
    }
    const { property, pages } = s.details;
    const columns = columnsOf(s);
    title.textContent = DETAILS_TITLES[property] || `Property “${property.slice(PROPS_PREFIX.length)}”`;
    if (document.activeElement !== search) search.value = s.details.search;
    search.setAttribute("aria-label", `Search ${title.textContent.toLowerCase()}`);
    if (!dialog.open) {
      dialog.showModal();
      search.focus();
    }
    const problem = searchProblem(s.details.search);
    note.textContent = problem || "";
    note.hidden = !problem;
    if (problem) {
      loaded = null;
      show(s, columns, [], false);
      return;
    }
    const query = queryOf(s, columns);
    csv.href = ctx.exportUrl("details", { ...query, filters: query.filters || "", site_id: "" });
    const key = JSON.stringify(query);
    let answer;
    if (loaded && loaded.key === key && loaded.more && pages === loaded.pages + 1) {
      const batch = (await get(BREAKDOWN, { ...query, limit: String(DETAILS_PAGE), page: String(pages) }, run.signal)).results;
      answer = { rows: loaded.rows.concat(batch), more: batch.length === DETAILS_PAGE };
    } else {
      answer = await fetchPages(query, pages, run.signal);
    }
    if (!run.current()) return;
    loaded = { key, pages, ...answer };
    show(s, columns, answer.rows, answer.more);
  }

  /** Fill the table: a sortable header, then a row per value (its name filters the dashboard). */
  function show(s, columns, rows, hasMore) {
    const { property, sort, search: searched } = s.details;
    const key = property.startsWith(PROPS_PREFIX) ? property.slice(PROPS_PREFIX.length) : property.split(":").pop();
    const [sortName, sortDirection] = (sort || `${columns[0][0]}:desc`).split(":");
    const heading = (name, label, numeric) => {
      const sorted = name === sortName;
      const arrow = sorted ? (sortDirection === "asc" ? " ↑" : " ↓") : "";
      return el("th", {
        class: numeric ? "num" : "name",
        attrs: { scope: "col", "aria-sort": sorted ? (sortDirection === "asc" ? "ascending" : "descending") : null, "data-sort": name },
      }, [el("button", {
        class: "sort",
        text: label + arrow,
        attrs: { type: "button", title: `Sort by ${label.toLowerCase()}` },
        on: { click: () => change({ sort: nextSort(sort, name, columns), pages: 1 }) },
      })]);
    };
    const label = COLUMN_NAMES[property] || (property.startsWith(PROPS_PREFIX) ? key : dimensionLabel(property));
    const head = el("tr", {}, [heading("name", label, false), ...columns.map(([metric, text]) => heading(metric, text, true))]);
    const body = rows.map((row) => {
      const value = String(row[key] ?? "");
      const shown = valueLabel(property, value);
      const pick = () => navigate({ ...withFilter(state(), { op: "is", dimension: property, values: [value] }), details: null });
      const name = value === ""
        ? el("span", { text: shown })
        : el("button", { class: "value", text: shown, attrs: { type: "button", title: `Filter by ${shown}` }, on: { click: pick } });
      return el("tr", { attrs: { "data-value": value } }, [
        el("td", { class: "name" }, [name]),
        ...columns.map(([metric, text]) => {
          const figure = row[metric];
          const money = figure !== null && typeof figure === "object";
          return el("td", {
            class: "num",
            text: metricValue(metric, figure),
            attrs: { "data-metric": metric, "data-label": text, title: money ? figure.long : typeof figure === "number" ? exact(figure) : null },
          });
        }),
      ]);
    });
    if (!rows.length) {
      const empty = searched ? `Nothing matches “${searched}”` : "No data for this period";
      body.push(el("tr", { class: "empty" }, [el("td", { text: empty, attrs: { colspan: String(columns.length + 1) } })]));
    }
    const focused = document.activeElement && table.contains(document.activeElement) ? document.activeElement.closest("th") : null;
    table.style.setProperty("--figures", String(columns.length));
    fill(table, [el("thead", {}, [head]), el("tbody", {}, body)]);
    if (focused) { // a sort button clicked: keep the keyboard where it was
      const again = table.querySelector(`th[data-sort="${CSS.escape(focused.dataset.sort)}"] button`);
      if (again) again.focus();
    }
    table.dataset.rows = String(rows.length);
    more.hidden = !hasMore;
    count.textContent = rows.length ? `${exact(rows.length)} ${rows.length === 1 ? "row" : "rows"}${hasMore ? " so far" : ""}` : "";
  }

  return { load, link };
}
