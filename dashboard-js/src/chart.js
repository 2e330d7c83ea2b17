// The main chart: one metric over time with the comparison period drawn beside it (uPlot, canvas).

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { labelSeconds } from "./dates.js";
import { el, fill } from "./dom.js";
import { metricValue, shortDate } from "./format.js";
import { hoverLines } from "./legend.js";

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Turn a bucket label of the x axis back into readable text for the interval. */
function tickText(seconds, interval) {
  const date = new Date(seconds * 1000);
  const day = date.toISOString().slice(0, 10);
  if (interval === "hour" || interval === "minute") return date.toISOString().slice(11, 16);
  if (interval === "month") return shortDate(day, true).replace(/ \d+,/, "");
  return shortDate(day);
}

/** The widest tick label of the x axis in CSS pixels, in the axis's font. */
function widestTick(x, interval, font) {
  const context = document.createElement("canvas").getContext("2d");
  if (!context) return 60;
  context.font = font;
  let widest = 0;
  for (const t of x) widest = Math.max(widest, context.measureText(tickText(t, interval)).width);
  return widest;
}

const FONT = "12px system-ui, sans-serif";
const TICK_SPACE = 60; // CSS pixels at least between two x labels

/**
 * Ticks of a day, week or month chart only on its buckets (uPlot's own time ticks fell every 12 hours
 * of a week: "Dec 1, Dec 1, Dec 2…"), every nth as the width allows, counted back from the last bucket
 * so the period's end is always labelled. Hours and minutes keep uPlot's ticks.
 */
function bucketSplits(x, interval) {
  if (interval === "hour" || interval === "minute") return undefined;
  return (u) => {
    const room = Math.max(1, Math.floor(u.bbox.width / uPlot.pxRatio / TICK_SPACE));
    const every = Math.max(1, Math.ceil(x.length / room));
    return x.filter((_, i) => (x.length - 1 - i) % every === 0);
  };
}

/**
 * Draw (or redraw) the chart into ``root``, with a key under it (the metric, and the compared period's
 * dashed line, named by what it is: "vs. the same days a year before (…)") and, over it, a tooltip for
 * the hovered bucket (legend.js says what it reads).
 * series = {labels: [...], values: [...], previous: {labels, values, name} | null, metric, interval, name}
 */
export class MainChart {
  constructor(root) {
    this.root = root;
    this.plot = null;
    this.series = null;
    new ResizeObserver(() => this.resize()).observe(root);
  }

  draw(series) {
    this.series = series;
    if (this.plot) this.plot.destroy();
    this.root.replaceChildren();
    const x = series.labels.map(labelSeconds);
    const data = [x, series.values];
    const accent = cssVar("--accent");
    const muted = cssVar("--muted");
    const line = cssVar("--line");
    const few = x.length <= 40;
    const lines = [
      {},
      { label: series.name, stroke: accent, width: 2, fill: cssVar("--accent-soft"), points: { show: few, size: 5, fill: accent } },
    ];
    if (series.previous) {
      data.push(series.previous.values);
      lines.push({ label: series.previous.name, stroke: muted, width: 1.5, dash: [5, 5], points: { show: false } });
    }
    const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 }, font: FONT };
    // room on the right for half the widest x label, centred on a tick that may sit on the last bucket
    // (uPlot's own 25 px clipped "Dec 2026" at the end of the year)
    const right = Math.ceil(widestTick(x, series.interval, FONT) / 2) + 6;
    const tip = el("div", { class: "chart-tip", attrs: { "aria-hidden": "true" } });
    tip.hidden = true;
    const options = {
      width: Math.max(this.root.clientWidth, 200),
      height: this.root.clientWidth < 500 ? 200 : 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: lines,
      padding: [null, right, null, null],
      legend: { show: false },
      hooks: { setCursor: [(u) => this.hover(u, tip)] },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max || 0, 1) * 1.1] } },
      axes: [
        { ...axis, values: (u, ticks) => ticks.map((t) => tickText(t, series.interval)), space: 60, splits: bucketSplits(x, series.interval) },
        { ...axis, size: 52, values: (u, ticks) => ticks.map((t) => metricValue(series.metric, t)) },
      ],
    };
    this.plot = new uPlot(options, data, this.root);
    const key = el("div", { class: "chart-key" }, [
      el("span", { class: "key series-current", text: series.name }),
      series.previous ? el("span", { class: "key series-previous", text: series.previous.name }) : null,
    ]);
    this.root.append(tip, key);
  }

  /** Show what the hovered bucket holds next to the cursor, or nothing when the cursor left the chart. */
  hover(u, tip) {
    const lines = hoverLines(this.series, u.cursor.idx);
    if (!lines || u.cursor.left < 0) {
      tip.hidden = true;
      return;
    }
    fill(tip, [
      el("div", { class: "tip-title", text: lines.title }),
      ...lines.rows.map((row) =>
        el("div", { class: "tip-row series-" + row.kind }, [
          el("span", { class: "tip-label", text: row.label }),
          el("span", { class: "tip-value", text: row.value }),
        ])),
    ]);
    tip.hidden = false;
    const over = u.over.getBoundingClientRect();
    const box = this.root.getBoundingClientRect();
    const x = over.left - box.left + u.cursor.left;
    const width = tip.offsetWidth;
    const left = x + 14 + width <= box.width ? x + 14 : Math.max(0, x - 14 - width);
    tip.style.left = left + "px";
    tip.style.top = Math.max(0, over.top - box.top + 4) + "px";
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(this.root.clientWidth, 200);
    if (Math.abs(width - this.plot.width) > 2) this.plot.setSize({ width, height: width < 500 ? 200 : 260 });
  }

  /** Redraw with the current theme's colours. */
  restyle() {
    if (this.series) this.draw(this.series);
  }
}
