// The main chart: one metric over time with the comparison period drawn beside it (uPlot, canvas).

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { labelSeconds } from "./dates.js";
import { metricValue, shortDate } from "./format.js";

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

/** The hovered bucket in the legend: "Nov 21", "Nov 21 13:00", "Week of Nov 17", "Nov 2026". */
function legendTime(seconds, interval) {
  const text = new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  if (interval === "hour" || interval === "minute") return shortDate(text);
  if (interval === "week") return "Week of " + shortDate(text.slice(0, 10));
  if (interval === "month") return shortDate(text.slice(0, 10), true).replace(/ \d+,/, "");
  return shortDate(text.slice(0, 10));
}

/**
 * Draw (or redraw) the chart into ``root``.
 * series = {labels: [...], values: [...], previous: {labels, values} | null, metric, interval, name}
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
      { label: series.interval === "hour" || series.interval === "minute" ? "Time" : "Date", value: (u, ts) => (ts === null || ts === undefined ? "" : legendTime(ts, series.interval)) },
      {
        label: series.name,
        stroke: accent,
        width: 2,
        fill: cssVar("--accent-soft"),
        points: { show: few, size: 5, fill: accent },
        value: (u, v) => (v === null || v === undefined ? "–" : metricValue(series.metric, v)),
      },
    ];
    if (series.previous) {
      data.push(series.previous.values);
      lines.push({
        label: "Previous period",
        stroke: muted,
        width: 1.5,
        dash: [5, 5],
        points: { show: false },
        value: (u, v, s, i) =>
          i === null || i === undefined || series.previous.labels[i] === undefined
            ? "–"
            : shortDate(series.previous.labels[i]) + ": " + metricValue(series.metric, v ?? 0),
      });
    }
    const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 }, font: "12px system-ui, sans-serif" };
    const options = {
      width: Math.max(this.root.clientWidth, 200),
      height: this.root.clientWidth < 500 ? 200 : 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: lines,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max || 0, 1) * 1.1] } },
      axes: [
        { ...axis, values: (u, ticks) => ticks.map((t) => tickText(t, series.interval)), space: 60 },
        { ...axis, size: 52, values: (u, ticks) => ticks.map((t) => metricValue(series.metric, t)) },
      ],
    };
    this.plot = new uPlot(options, data, this.root);
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
