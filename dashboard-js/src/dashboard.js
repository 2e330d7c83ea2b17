// Lantern's dashboard: reads the Stats API (the same one API users call) with the session and draws the
// page. The URL holds the whole state (state.js); every widget reloads from it. Tracked data is only
// ever written with textContent. When every widget has rendered, #dashboard gets data-ready="true"
// (tests and the page-render benchmark wait for it).

import { ApiError, get, newPageLoad, useSharedLink } from "./api.js";
import { changeBadge } from "./changes.js";
import { MainChart } from "./chart.js";
import { compareButtonLabel, comparedWith, comparisonTitle } from "./comparison.js";
import { buckets, intervalsFor, isDay, lastMinutes, nowIn, rangeOf } from "./dates.js";
import { createDetails } from "./details.js";
import { el, fill } from "./dom.js";
import "./filters.css";
import { filterEditor, renderFilterBar } from "./filters.js";
import { exact, metricValue, shortDate } from "./format.js";
import { importsNote } from "./imports.js";
import { worldMap } from "./map.js";
import { PRESETS, periodLabel, presetForKey, shiftPeriod } from "./periods.js";
import "./segments.css";
import { segmentsMenu } from "./segments.js";
import {
  compareParams, compareProblem, comparing, DEFAULT_COMPARE, DEFAULT_PERIOD, formatFilters, formatState, goalFilter, parseState,
  periodProblem, siteSwitchSearch, TABS, withDefaultCompare, withDefaultPeriod, withFilter, withoutFilter,
} from "./state.js";
import { DROP_REASONS, GOAL_STATS, LISTS, REVENUE_STATS, TOP_STATS, valueLabel } from "./widgets.js";

const STATS = "/api/v1/stats/";
const LIST_ROWS = 9;
const REFRESH_MS = 30_000;
const REALTIME_LABELS = { visitors: "Visitors (30 min)", pageviews: "Pageviews (30 min)" };

const root = document.getElementById("dashboard");
if (root) start(root);

function start(root) {
  const site = root.dataset.site;
  const tz = root.dataset.timezone;
  const start = root.dataset.start; // the local day of the first event: "all time" begins there
  useSharedLink(root.dataset.auth);
  // Metrics whose fall is good news: the server's list (analytics.compare.LOWER_IS_BETTER), as emails use it.
  const lowerIsBetter = new Set((root.dataset.lowerIsBetter || "").split(" ").filter(Boolean));
  // The site's revenue goals and their currencies (the page's json_script): revenue stats under them.
  const revenueNode = document.getElementById("revenue-goals");
  const revenueGoals = revenueNode ? JSON.parse(revenueNode.textContent) : {};
  const chart = new MainChart(root.querySelector("#chart"));
  const pending = new Set();
  const generations = {};
  const controllers = {};
  const notice = root.querySelector("#url-notice");
  const today = () => nowIn(tz).day;
  // A shared link's page keeps its auth (and embed) in every URL it writes, so a reload still opens it.
  const kept = new URLSearchParams([...new URLSearchParams(location.search)].filter(([name]) => name === "auth" || name === "embed"));
  let state = fromUrl();

  const range = () => rangeOf(state.period, state.date, today(), start);
  const realtime = () => state.period === "realtime";

  /** The top stats of this view: conversions under a goal filter (with revenue when every goal filtered
   * has the one currency), else the visits' six. */
  function topStats() {
    const goals = realtime() ? null : goalFilter(state);
    if (!goals) return TOP_STATS;
    const currencies = new Set(goals.map((goal) => revenueGoals[goal] || ""));
    const revenue = currencies.size === 1 && !currencies.has("");
    return GOAL_STATS.filter(([metric]) => revenue || !REVENUE_STATS.includes(metric));
  }

  /** The metric the chart draws: the URL's, when it is one of the top stats shown. */
  function chartMetric() {
    return topStats().some(([metric]) => metric === state.metric) ? state.metric : "visitors";
  }

  // -- the query every widget shares --------------------------------------------------------------

  function periodParams(s = state) {
    if (s.period === "realtime") return { period: "realtime" };
    return { period: s.period, date: s.date };
  }

  // The site's imported history ("first,last"), when it has one: added in unless switched off.
  const imported = (root.dataset.imported || "").split(",").filter(Boolean);

  function common(s = state) {
    const withImported = imported.length && s.imports ? "true" : "";
    return { site_id: site, ...periodParams(s), filters: formatFilters(s.filters), with_imported: withImported };
  }

  // -- navigation: every change goes through the URL ----------------------------------------------

  /** The page's URL for a state. */
  function pageUrl(s) {
    const search = formatState(s);
    return location.pathname + (kept.size ? "?" + kept + (search ? "&" + search.slice(1) : "") : search);
  }

  function navigate(next, { replace = false, only = null } = {}) {
    state = next;
    const url = pageUrl(state);
    if (url !== location.pathname + location.search) history[replace ? "replaceState" : "pushState"](null, "", url);
    render(only);
  }

  window.addEventListener("popstate", () => {
    state = fromUrl();
    render();
  });

  /**
   * The state the URL describes. A period or date the Stats API would refuse (a month 13, a range that
   * ends before it starts, an unknown period) falls back to the default period: the URL is corrected in
   * place and a notice names what was wrong, rather than every widget failing at once.
   */
  function fromUrl() {
    const problem = periodProblem(location.search);
    const compareIssue = compareProblem(location.search);
    let fixed = parseState(location.search);
    if (!problem && !compareIssue) return fixed;
    const notes = [];
    if (problem) {
      fixed = withDefaultPeriod(fixed);
      const fallback = periodLabel(DEFAULT_PERIOD, "", today()).toLowerCase();
      notes.push(`The link's dates could not be used: ${problem}. Showing the ${fallback} instead.`);
    }
    if (compareIssue) {
      fixed = withDefaultCompare(fixed);
      notes.push(`The link's comparison could not be used: ${compareIssue}. Comparing with ${comparedWith(DEFAULT_COMPARE, false)} instead.`);
    }
    history.replaceState(null, "", pageUrl(fixed));
    showNotice(notes.join(" "));
    return fixed;
  }

  function showNotice(text) {
    if (!notice) return;
    notice.querySelector(".notice-text").textContent = text || "";
    notice.hidden = !text;
  }
  if (notice) notice.querySelector(".notice-close").addEventListener("click", () => showNotice(null));

  // -- widgets: each loads, then renders only if no newer load of it started ------------------------

  const details = createDetails({ root, state: () => state, navigate, href: pageUrl, common, exportUrl, revenueGoals });
  // In the order their requests are sent: a browser runs six at once to a host and queues the rest,
  // so the longest go first (props asks twice, keys then values; pages reads engagement too) and the
  // quick ones (goals, funnels, what was dropped, current visitors) fill the connections they free.
  const widgets = {
    props: loadProps,
    pages: (ctx) => loadList("pages", ctx),
    top: loadTopStats,
    chart: loadChart,
    sources: (ctx) => loadList("sources", ctx),
    locations: (ctx) => loadList("locations", ctx),
    devices: (ctx) => loadList("devices", ctx),
    goals: loadGoals,
    funnels: loadFunnels,
    dropped: loadDropped,
    current: loadCurrent,
    details: details.load,
  };
  for (const name of Object.keys(widgets)) {
    if (name !== "current" && !root.querySelector(`[data-widget="${name}"]`)) delete widgets[name];
  }

  function render(only = null, { quiet = false } = {}) {
    newPageLoad();
    renderControls();
    const names = only || Object.keys(widgets);
    for (const name of names) run(name, quiet);
  }

  async function run(name, quiet) {
    const gen = (generations[name] || 0) + 1;
    generations[name] = gen;
    if (controllers[name]) controllers[name].abort();
    const controller = new AbortController();
    controllers[name] = controller;
    const card = root.querySelector(`[data-widget="${name}"]`);
    pending.add(name);
    root.removeAttribute("data-ready");
    if (card && !quiet) card.classList.add("loading");
    const ctx = { signal: controller.signal, current: () => generations[name] === gen };
    let failure = null;
    try {
      await widgets[name](ctx);
    } catch (err) {
      if (err.name === "AbortError") return;
      failure = err instanceof ApiError ? err.message : "Something went wrong drawing this part: " + err.message;
    }
    if (!ctx.current()) return;
    if (card) {
      card.classList.remove("loading");
      const message = card.querySelector(".widget-error");
      if (message) {
        message.textContent = failure ? "Could not load: " + failure : "";
        message.hidden = !failure;
      }
    }
    pending.delete(name);
    if (!pending.size && root.dataset.ready !== "true") {
      root.dataset.ready = "true";
      performance.mark("lantern:ready"); // bench/dashboard_render.py reads the first one
    }
  }

  // -- top stats and current visitors ---------------------------------------------------------------

  async function loadTopStats(ctx) {
    const compare = comparing(state);
    const stats = topStats();
    const metrics = realtime() ? ["visitors", "pageviews"] : stats.map(([m]) => m);
    const data = await get(STATS + "aggregate", {
      ...common(),
      metrics: metrics.join(","),
      ...compareParams(state),
    }, ctx.signal);
    if (!ctx.current()) return;
    renderImportsNote(data.warning);
    // what the changes are against, in words and the API's dates ("vs. the same days a year before (…)")
    const against = compare ? comparisonTitle(state.compare, state.matchDay, data.comparison && data.comparison.date_range) : "";
    const noun = compare ? comparedWith(state.compare, state.matchDay) : "";
    const previousVisitors = data.results.visitors ? data.results.visitors.comparison_value : undefined;
    const labels = new Map(stats);
    for (const button of root.querySelectorAll(".stat")) {
      const metric = button.dataset.metric;
      const result = data.results[metric];
      button.hidden = !result || !labels.has(metric);
      if (button.hidden) continue;
      button.querySelector(".label").textContent = realtime() ? REALTIME_LABELS[metric] : labels.get(metric);
      const value = button.querySelector(".value");
      const money = result.value !== null && typeof result.value === "object";
      value.textContent = metricValue(metric, result.value);
      value.title = money ? result.value.long
        : metric === "visit_duration" || metric === "bounce_rate" || metric === "views_per_visit" || metric === "conversion_rate"
          ? value.textContent : exact(result.value);
      button.dataset.value = String(money ? result.value.value : result.value);
      const change = button.querySelector(".change");
      const badge = compare ? changeBadge(metric, result, previousVisitors, lowerIsBetter.has(metric), { noun, title: against }) : { text: null, title: "" };
      change.hidden = badge.text === null;
      change.className = "change " + (badge.tone || "");
      change.textContent = badge.text || "";
      change.title = badge.title;
      if (badge.text === null) {
        delete button.dataset.change;
        if (badge.title) button.title = badge.title;
        else button.removeAttribute("title");
      } else {
        button.dataset.change = String(result.change);
        button.removeAttribute("title");
      }
    }
  }

  /** Whether the imported history is in the numbers, and why not when it is left out. */
  function renderImportsNote(warning) {
    const note = root.querySelector("#imports-note");
    if (!note) return;
    const text = importsNote(imported, range(), state.imports, realtime(), warning);
    note.textContent = text || "";
    note.hidden = !text;
  }

  async function loadCurrent(ctx) {
    const count = await get(STATS + "realtime/visitors", { site_id: site }, ctx.signal);
    if (!ctx.current()) return;
    const node = root.querySelector("#current-count");
    node.textContent = exact(count);
    node.closest(".current").dataset.count = String(count);
    root.querySelector("#current-label").textContent = count === 1 ? " current visitor" : " current visitors";
  }

  // -- the main chart -----------------------------------------------------------------------------

  function chartInterval() {
    const allowed = intervalsFor(state.period, range());
    return allowed.includes(state.interval) ? state.interval : allowed[0];
  }

  function fillBuckets(labels, results, metric, last) {
    const number = (v) => (v !== null && typeof v === "object" ? v.value : v); // revenue: money objects
    const byLabel = new Map(results.map((row) => [row.date, number(row[metric])]));
    return labels.map((label) => (label > last ? null : byLabel.get(label) ?? 0));
  }

  async function loadChart(ctx) {
    const metric = chartMetric();
    const interval = chartInterval();
    const now = nowIn(tz);
    const current = realtime() ? lastMinutes(now, 30) : buckets(range(), interval);
    const lastLabel = interval === "hour" ? `${now.day} ${now.time.slice(0, 2)}:00:00` : interval === "minute" ? "~" : now.day;
    // one request: the Stats API answers the compared range (it decides which) with its buckets
    const data = await get(STATS + "timeseries", { ...common(), metrics: metric, interval, ...compareParams(state) }, ctx.signal);
    if (!ctx.current()) return;
    const values = fillBuckets(current, data.results, metric, lastLabel);
    let prev = null;
    if (data.comparison) {
      const [first, last] = data.comparison.date_range;
      const labels = buckets({ first, last }, interval).slice(0, current.length);
      const name = comparisonTitle(state.compare, state.matchDay, data.comparison.date_range);
      prev = { labels, values: fillBuckets(labels, data.comparison.results, metric, "~"), name };
    }
    const name = (topStats().find(([m]) => m === metric) || [metric, metric])[1];
    chart.draw({ labels: current, values, previous: prev, metric, interval, name });
    const node = root.querySelector("#chart");
    node.dataset.points = String(current.length);
    node.dataset.total = String(values.reduce((sum, v) => sum + (v || 0), 0));
    node.dataset.previousTotal = prev ? String(prev.values.reduce((sum, v) => sum + (v || 0), 0)) : "";
    node.dataset.previousRange = data.comparison ? data.comparison.date_range.join(",") : "";
    node.dataset.metric = metric;
    node.dataset.interval = interval;
  }

  // -- the list cards -------------------------------------------------------------------------------

  function drilled(tab) {
    if (!tab.drill) return null;
    const own = state.filters.find((f) => f.dimension === tab.property && f.op === "is" && f.values.length === 1);
    return own ? own.values[0] : null;
  }

  async function loadList(widget, ctx) {
    const tab = LISTS[widget].tabs[state.tabs[widget]];
    const parent = drilled(tab);
    const property = parent === null ? tab.property : tab.drill;
    const columns = (parent === null && tab.columns) || [["visitors", "Visitors"]];
    const data = await get(STATS + "breakdown", {
      ...common(),
      property,
      metrics: columns.map(([metric]) => metric).join(","),
      limit: String(tab.map ? 250 : LIST_ROWS),
    }, ctx.signal);
    if (!ctx.current()) return;
    const key = property.split(":").pop();
    const rows = data.results.map((row) => ({ ...row, value: String(row[key] ?? "") }));
    details.link(widget, rows.length ? property : "");
    const body = root.querySelector(`#widget-${widget} .widget-body`);
    if (tab.map) {
      const counts = Object.fromEntries(rows.map((r) => [r.value, r.visitors]));
      const pick = (code) => navigate(withFilter(state, { op: "is", dimension: "visit:country", values: [code] }));
      fill(body, [worldMap(counts, pick), listOf(widget, rows.slice(0, 5), property, "Country")]);
      return;
    }
    const column = parent === null ? tab.column : tab.drillColumn || `${tab.column} version`;
    fill(body, [listOf(widget, rows, property, column, { parent, columns, drillLabel: tab.drillLabel })]);
  }

  /**
   * A list card's table: one row per value (a bar by visitors, then each metric), a click filters by it.
   * rows = [{value, visitors, ...metrics}]; columns = [[metric, heading], ...] after the name.
   */
  function listOf(widget, rows, property, column, { parent = null, columns = [["visitors", "Visitors"]], empty = "No data for this period", drillLabel = null } = {}) {
    const head = el("div", { class: "list-head" }, [
      el("span", { class: "name", text: column }),
      ...columns.map(([metric, heading]) => el("span", { class: "count", text: heading, attrs: { "data-metric": metric } })),
    ]);
    const list = el("ol", { class: "list", attrs: { id: `list-${widget}` } });
    const max = Math.max(1, ...rows.map((r) => r.visitors));
    if (!rows.length) list.appendChild(el("li", { class: "empty", text: empty }));
    for (const row of rows) {
      const label = parent === null ? valueLabel(property, row.value)
        : drillLabel ? drillLabel(parent, row.value) : `${parent} ${row.value || "(unknown)"}`;
      const clickable = row.value !== "";
      const pick = () => navigate(withFilter(state, { op: "is", dimension: property, values: [row.value] }));
      const bar = el("span", { class: "bar" });
      bar.style.width = (row.visitors / max) * 100 + "%";
      const tip = (metric, value) => (value !== null && typeof value === "object" ? value.long
        : metric === "conversion_rate" || metric === "scroll_depth" || metric === "time_on_page" || value === null ? null : exact(value));
      const cells = columns.map(([metric]) =>
        el("span", { class: "count", text: metricValue(metric, row[metric]), attrs: { title: tip(metric, row[metric]), "data-metric": metric } }));
      const item = el("li", {
        class: clickable ? "row clickable" : "row",
        attrs: { tabindex: clickable ? "0" : null, role: clickable ? "button" : null, title: clickable ? `Filter by ${label}` : null, "data-value": row.value },
        on: clickable ? { click: pick, keydown: (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), pick()) } : {},
      }, [bar, el("span", { class: "name", text: label }), ...cells]);
      list.appendChild(item);
    }
    return el("div", { class: columns.length > 1 ? "wide-list" : "" }, [head, list]);
  }

  // -- goals, custom properties and funnels ------------------------------------------------------------

  /** The goals card's columns: conversions, and revenue when the site has goals with a currency. */
  function goalColumns() {
    const columns = [["visitors", "Uniques"], ["events", "Total"], ["conversion_rate", "CR"]];
    if (Object.keys(revenueGoals).length) columns.push(["total_revenue", "Revenue"], ["average_revenue", "Average"]);
    return columns;
  }

  async function loadGoals(ctx) {
    const data = await get(STATS + "breakdown", {
      ...common(),
      property: "event:goal",
      metrics: goalColumns().map(([metric]) => metric).join(","),
      limit: String(LIST_ROWS),
    }, ctx.signal);
    if (!ctx.current()) return;
    const rows = data.results.map((row) => ({ ...row, value: String(row.goal ?? "") }));
    const columns = goalColumns();
    details.link("goals", rows.length ? "event:goal" : "");
    const empty = "No conversions in this period (goals are set in the site's settings)";
    fill(root.querySelector("#widget-goals .widget-body"), [listOf("goals", rows, "event:goal", "Goal", { columns, empty })]);
  }

  async function loadProps(ctx) {
    // One request: the keys in use, the one shown (the tab asked for, else the most used) and its rows.
    const data = await get("/dashboard-data/props", { ...common(), key: state.tabs.props, limit: String(LIST_ROWS) }, ctx.signal);
    if (!ctx.current()) return;
    const { keys, key } = data;
    fill(root.querySelector("#widget-props .tabs"), keys.slice(0, 8).map((name) =>
      el("button", {
        class: name === key ? "active" : "",
        text: name,
        attrs: { type: "button", role: "tab", "data-tab": name, "aria-selected": String(name === key) },
        on: { click: () => navigate({ ...state, tabs: { ...state.tabs, props: name } }, { replace: true, only: ["props"] }) },
      })));
    const body = root.querySelector("#widget-props .widget-body");
    details.link("props", key ? "event:props:" + key : "");
    const csv = root.querySelector("#widget-props .csv-link");
    if (csv) {
      csv.hidden = !key;
      csv.href = key ? exportUrl("props", { property: "event:props:" + key }) : "#";
    }
    if (!key) {
      fill(body, [listOf("props", [], "", "Property", { empty: "No custom properties in this period" })]);
      return;
    }
    const property = "event:props:" + key;
    const rows = data.results.map((row) => ({ ...row, value: String(row[key] ?? "") }));
    fill(body, [listOf("props", rows, property, key, { columns: [["visitors", "Visitors"], ["events", "Events"]] })]);
  }

  async function loadFunnels(ctx) {
    const funnels = (await get("/dashboard-data/funnels", { site_id: site }, ctx.signal)).results;
    if (!ctx.current()) return;
    const body = root.querySelector("#widget-funnels .widget-body");
    const select = root.querySelector("#funnel-select");
    select.hidden = !funnels.length;
    if (!funnels.length) {
      fill(body, [el("p", { class: "muted small empty", text: "No funnels yet: a funnel is 2 to 8 of the site's goals in order, set in its settings." })]);
      return;
    }
    const chosen = funnels.find((f) => String(f.id) === state.tabs.funnel) || funnels[0];
    fill(select, funnels.map((f) => el("option", { text: f.name, attrs: { value: String(f.id), selected: f === chosen } })));
    select.value = String(chosen.id);
    const data = await get(STATS + "funnel", { ...common(), funnel: String(chosen.id) }, ctx.signal);
    if (!ctx.current()) return;
    const result = data.results;
    const widest = Math.max(1, ...result.steps.map((s) => s.visitors));
    const steps = result.steps.map((step, index) => {
      const bar = el("span", { class: "bar" });
      bar.style.width = (step.visitors / widest) * 100 + "%";
      const note = index === 0
        ? `${exact(result.never_entering_visitors)} of ${exact(result.all_visitors)} visitors never entered`
        : `${metricValue("conversion_rate", step.conversion_rate)} converted · ${exact(step.dropoff)} dropped off (${step.dropoff_percentage}%)`;
      return el("li", { class: "step", attrs: { "data-visitors": step.visitors } }, [
        el("div", { class: "step-head" }, [
          el("span", { class: "name", text: `${index + 1}. ${step.label}` }),
          el("span", { class: "count", text: metricValue("visitors", step.visitors), attrs: { title: exact(step.visitors) } }),
        ]),
        el("div", { class: "meter" }, [bar]),
        el("div", { class: "muted small", text: note }),
      ]);
    });
    fill(body, [el("ol", { class: "funnel", attrs: { id: "funnel-steps" } }, steps)]);
  }

  // -- what ingest filtered out --------------------------------------------------------------------

  async function loadDropped(ctx) {
    const params = { site_id: site, ...(realtime() ? { period: "day" } : periodParams()) };
    const data = await get("/dashboard-data/dropped", params, ctx.signal);
    if (!ctx.current()) return;
    const body = root.querySelector("#widget-dropped .widget-body");
    const days = data.results;
    const total = days.reduce((sum, d) => sum + d.total, 0);
    const reasons = Object.keys(DROP_REASONS).filter((r) => days.some((d) => d.reasons[r]));
    const summary = el("p", { class: "muted small", attrs: { id: "dropped-total", "data-total": total } });
    summary.textContent = total
      ? `${exact(total)} request${total === 1 ? "" : "s"} not counted in this period, by reason and UTC day.`
      : "Nothing was filtered out in this period.";
    if (!days.length) {
      fill(body, [summary]);
      return;
    }
    const header = el("tr", {}, [el("th", { text: "Day" }), ...reasons.map((r) => el("th", { text: DROP_REASONS[r] })), el("th", { text: "Total" })]);
    const rows = days.slice().reverse().map((d) =>
      el("tr", {}, [
        el("td", { text: shortDate(d.date) }),
        ...reasons.map((r) => el("td", { text: d.reasons[r] ? exact(d.reasons[r]) : "–" })),
        el("td", { class: "strong", text: exact(d.total) }),
      ]));
    const table = el("table", { class: "table", attrs: { id: "dropped-table" } }, [el("thead", {}, [header]), el("tbody", {}, rows)]);
    fill(body, [summary, el("div", { class: "table-scroll" }, [table])]);
  }

  // -- controls: date picker, comparison, filters, tabs, chart metric and interval ------------------

  const periodButton = root.querySelector("#period-button");
  const periodMenu = root.querySelector("#period-menu");

  function setMenu(open) {
    periodMenu.hidden = !open;
    periodButton.setAttribute("aria-expanded", String(open));
  }

  function pickPeriod(make) {
    setMenu(false);
    showNotice(null); // a period chosen now replaces the one the link got wrong
    const next = make(today());
    navigate({ ...state, period: next.period, date: next.date, interval: "" });
  }

  fill(periodMenu.querySelector(".presets"), PRESETS.flatMap(([key, label, shortcut, make, group], index) => [
    index && group !== PRESETS[index - 1][4] ? el("hr", { attrs: { role: "separator" } }) : null,
    el("button", { class: "preset", attrs: { type: "button", role: "menuitem", "data-preset": key }, on: { click: () => pickPeriod(make) } }, [
      el("span", { text: label }),
      shortcut ? el("kbd", { text: shortcut }) : null,
    ]),
  ]).filter(Boolean));
  periodButton.addEventListener("click", (e) => {
    e.stopPropagation();
    setMenu(periodMenu.hidden);
  });
  document.addEventListener("click", (e) => {
    if (!periodMenu.hidden && !periodMenu.contains(e.target)) setMenu(false);
  });
  const customForm = root.querySelector("#custom-range");
  customForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const first = customForm.elements.from.value;
    const last = customForm.elements.to.value;
    const message = customForm.querySelector(".error");
    if (!isDay(first) || !isDay(last) || last < first) {
      message.textContent = "Pick a first and a last day, the last on or after the first.";
      message.hidden = false;
      return;
    }
    message.hidden = true;
    pickPeriod(() => ({ period: "custom", date: first + "," + last }));
  });

  const importsButton = root.querySelector("#imports-toggle");
  if (importsButton) importsButton.addEventListener("click", () => navigate({ ...state, imports: !state.imports }));
  // -- the comparison: a menu of modes, a custom period and "match day of the week" ---------------

  const compareMenu = root.querySelector("#compare-menu");
  const compareForm = root.querySelector("#compare-custom");
  const matchDay = root.querySelector("#match-day");
  let lastCompare = { compare: DEFAULT_COMPARE, compareDate: "" }; // what X turns back on

  function setCompare(next) {
    compareMenu.open = false;
    if (state.compare !== "off") lastCompare = { compare: state.compare, compareDate: state.compareDate };
    navigate({ ...state, compareDate: "", ...next }, { only: ["top", "chart"] });
  }

  function toggleCompare() {
    if (!comparing({ ...state, compare: DEFAULT_COMPARE })) return; // realtime and all time compare nothing
    setCompare(state.compare === "off" ? lastCompare : { compare: "off" });
  }

  for (const option of compareMenu.querySelectorAll("[data-compare]")) {
    option.addEventListener("click", () => setCompare({ compare: option.dataset.compare }));
  }
  matchDay.addEventListener("change", () => navigate({ ...state, matchDay: matchDay.checked }, { only: ["top", "chart"] }));
  compareForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const first = compareForm.elements.from.value;
    const last = compareForm.elements.to.value;
    const message = compareForm.querySelector(".error");
    if (!isDay(first) || !isDay(last) || last < first) {
      message.textContent = "Pick a first and a last day, the last on or after the first.";
      message.hidden = false;
      return;
    }
    message.hidden = true;
    showNotice(null);
    setCompare({ compare: "custom", compareDate: first + "," + last });
  });

  // -- ← and →: the period before and after ----------------------------------------------------------

  const stepButtons = { [-1]: root.querySelector("#period-prev"), [1]: root.querySelector("#period-next") };

  function step(direction) {
    const next = shiftPeriod(state.period, state.date, direction, today(), start);
    if (!next) return;
    showNotice(null);
    navigate({ ...state, period: next.period, date: next.date, interval: "" });
  }
  for (const [direction, button] of Object.entries(stepButtons)) button.addEventListener("click", () => step(Number(direction)));

  for (const button of root.querySelectorAll(".stat")) {
    button.addEventListener("click", () => navigate({ ...state, metric: button.dataset.metric }, { replace: true, only: ["chart"] }));
  }

  function renderControls() {
    const now = today();
    periodButton.querySelector(".label").textContent = periodLabel(state.period, state.date, now);
    for (const preset of periodMenu.querySelectorAll(".preset")) {
      const make = PRESETS.find((p) => p[0] === preset.dataset.preset)[3];
      const p = make(now);
      preset.classList.toggle("active", p.period === state.period && p.date === state.date);
    }
    const r = range();
    customForm.elements.from.value = r.first > now ? now : r.first;
    customForm.elements.to.value = r.last > now ? now : r.last; // a month or a year still running ends today
    customForm.elements.from.max = customForm.elements.to.max = now;
    if (importsButton) importsButton.setAttribute("aria-pressed", String(state.imports));
    renderCompare();
    for (const [direction, button] of Object.entries(stepButtons)) {
      button.hidden = state.period === "realtime" || state.period === "all";
      button.disabled = !shiftPeriod(state.period, state.date, Number(direction), now, start);
    }
    root.classList.toggle("is-realtime", realtime());
    for (const button of root.querySelectorAll(".stat")) {
      button.classList.toggle("active", button.dataset.metric === chartMetric());
      button.setAttribute("aria-pressed", String(button.dataset.metric === chartMetric()));
    }
    renderIntervals();
    renderFilters();
    renderTabs();
    renderExports();
    renderSiteLinks();
  }

  /** The site switcher's links open the other sites over this period, with this comparison. */
  function renderSiteLinks() {
    const search = siteSwitchSearch(state);
    for (const link of document.querySelectorAll("#site-menu a.site")) {
      link.href = link.pathname + search;
    }
  }

  function renderCompare() {
    const now = today();
    compareMenu.hidden = !comparing({ ...state, compare: DEFAULT_COMPARE }); // realtime and all time: none
    compareMenu.classList.toggle("on", state.compare !== "off");
    compareMenu.querySelector("summary .label").textContent = compareButtonLabel(state.compare, state.compareDate);
    for (const option of compareMenu.querySelectorAll("[data-compare]")) {
      const chosen = option.dataset.compare === state.compare;
      option.classList.toggle("active", chosen);
      option.setAttribute("aria-checked", String(chosen));
    }
    matchDay.checked = state.matchDay;
    matchDay.disabled = state.compare === "off" || state.compare === "custom";
    const [first, last] = state.compare === "custom" ? state.compareDate.split(",") : ["", ""];
    compareForm.classList.toggle("active", state.compare === "custom");
    compareForm.elements.from.value = first;
    compareForm.elements.to.value = last;
    compareForm.elements.from.max = compareForm.elements.to.max = now;
  }

  /** Where a CSV export of this view lives: the zip (no name) or one card's file. */
  function exportUrl(name, extra = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...periodParams(), filters: formatFilters(state.filters), interval: chartInterval(), auth: root.dataset.auth, ...extra })) {
      if (value) query.set(key, value);
    }
    const base = `/${encodeURIComponent(site)}/`;
    return name ? `${base}export/${name}.csv?${query}` : `${base}export.zip?${query}`;
  }

  /** CSV export links (when the page has them): the whole view, each list card's current tab, goals.
   * (The custom-properties card's link is set when its key is known, in loadProps.) */
  function renderExports() {
    const all = root.querySelector("#export-link");
    if (!all) return;
    all.href = exportUrl("");
    for (const [widget, config] of Object.entries(LISTS)) {
      const link = root.querySelector(`#widget-${widget} .csv-link`);
      if (!link) continue;
      const tab = config.tabs[state.tabs[widget]];
      link.href = exportUrl(drilled(tab) === null ? tab.csv : tab.drillCsv);
    }
    const goals = root.querySelector("#widget-goals .csv-link");
    if (goals) goals.href = exportUrl("goals");
  }

  function renderIntervals() {
    const nav = root.querySelector("#intervals");
    const allowed = intervalsFor(state.period, range());
    const current = chartInterval();
    const words = { minute: "Minutes", hour: "Hours", date: "Days", week: "Weeks", month: "Months" };
    fill(nav, allowed.length < 2 ? [] : allowed.slice().sort((a, b) => Object.keys(words).indexOf(a) - Object.keys(words).indexOf(b)).map((interval) =>
      el("button", {
        class: interval === current ? "active" : "",
        text: words[interval],
        attrs: { type: "button", "data-interval": interval, "aria-pressed": String(interval === current) },
        on: { click: () => navigate({ ...state, interval }, { replace: true, only: ["chart"] }) },
      })));
  }

  function renderTabs() {
    for (const [widget, config] of Object.entries(LISTS)) {
      const nav = root.querySelector(`#widget-${widget} .tabs`);
      fill(nav, Object.entries(config.tabs).map(([key, tab]) =>
        el("button", {
          class: key === state.tabs[widget] ? "active" : "",
          text: tab.label,
          attrs: { type: "button", role: "tab", "data-tab": key, "aria-selected": String(key === state.tabs[widget]) },
          on: { click: () => navigate({ ...state, tabs: { ...state.tabs, [widget]: key } }, { replace: true, only: [widget] }) },
        })));
    }
  }

  function renderFilters() {
    renderFilterBar(root.querySelector("#filter-bar"), state, { navigate, edit: (index) => editor.open(index) });
  }

  // -- the filter editor ------------------------------------------------------------------------------

  const goalsNode = document.getElementById("site-goals");
  const editor = filterEditor(root.querySelector("#filter-dialog"), {
    state: () => state,
    navigate,
    goals: goalsNode ? JSON.parse(goalsNode.textContent) : [],
    propKeys: async () => (await get("/dashboard-data/prop-keys", { site_id: site, ...periodParams() })).results,
    breakdown: async (dimension, limit) => {
      const data = await get(STATS + "breakdown", { ...common(withoutFilter(state, dimension)), property: dimension, limit: String(limit) });
      const key = dimension.startsWith("event:props:") ? dimension.slice("event:props:".length) : dimension.split(":").pop();
      return data.results.map((row) => String(row[key] ?? ""));
    },
  });
  root.querySelector("#filter-button").addEventListener("click", () => editor.open(-1));
  const segments = root.querySelector("#segments-menu");
  if (segments) segmentsMenu(segments, root.querySelector("#segment-confirm"), { site, state: () => state, navigate });

  const funnelSelect = root.querySelector("#funnel-select");
  if (funnelSelect) {
    funnelSelect.addEventListener("change", () =>
      navigate({ ...state, tabs: { ...state.tabs, funnel: funnelSelect.value } }, { replace: true, only: ["funnels"] }));
  }

  // -- keyboard shortcuts and the theme ------------------------------------------------------------

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (e.key === "Escape") return setMenu(false); // from the custom range's inputs too
    if (state.details) return; // the Details dialog is over the page: its keys are its own
    const target = e.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog")) return;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") return step(e.key === "ArrowLeft" ? -1 : 1);
    if (e.key.toLowerCase() === "x") return toggleCompare();
    if (e.key.toLowerCase() === "c") {
      e.preventDefault(); // the key would type into the field it focuses
      setMenu(true);
      return customForm.elements.from.focus();
    }
    const preset = e.key.length === 1 ? presetForKey(e.key) : undefined;
    if (preset) pickPeriod(preset[3]);
  });

  root.querySelector("#theme-toggle").addEventListener("click", () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === "dark"
      : window.matchMedia("(prefers-color-scheme: dark)").matches;
    const theme = dark ? "light" : "dark";
    document.documentElement.dataset.theme = theme;
    try {
      localStorage.setItem("lantern-theme", theme);
    } catch (err) {
      // private windows may refuse storage; the toggle still works for this page
    }
    chart.restyle();
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => chart.restyle());

  // -- go ----------------------------------------------------------------------------------------------

  render();
  setInterval(() => {
    if (document.hidden) return;
    render(realtime() ? null : ["current"], { quiet: true });
  }, REFRESH_MS);
}
