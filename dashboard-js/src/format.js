// Number, duration and label formatting for the dashboard (pure functions).

/** 950 -> "950", 1234 -> "1.2k", 12345 -> "12.3k", 123456 -> "123k", 1234567 -> "1.2M" */
export function compact(n) {
  const value = Number(n) || 0;
  const abs = Math.abs(value);
  const trim = (x, digits) => x.toFixed(digits).replace(/\.0$/, "");
  if (abs < 1000) return String(Math.round(value * 100) / 100);
  if (abs < 100_000) return trim(value / 1000, 1) + "k";
  if (abs < 999_500) return Math.round(value / 1000) + "k";
  if (abs < 100_000_000) return trim(value / 1e6, 1) + "M";
  if (abs < 999_500_000) return Math.round(value / 1e6) + "M";
  return trim(value / 1e9, 1) + "B";
}

/** 0 -> "0s", 65 -> "1m 5s", 3720 -> "1h 2m" */
export function duration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
}

/** How a metric's value is shown. */
export function metricValue(metric, value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object") return value.short; // revenue: a money object (analytics/revenue.py)
  if (metric === "bounce_rate" || metric === "conversion_rate" || metric === "exit_rate" || metric === "scroll_depth") return value + "%";
  if (metric === "visit_duration" || metric === "time_on_page") return duration(value);
  if (metric === "views_per_visit") return String(Math.round(value * 100) / 100);
  return compact(value);
}

/** The full number, for tooltips: 12345 -> "12,345". */
export function exact(n) {
  return Number(n || 0).toLocaleString("en-US");
}

let regionNames = null;
try {
  regionNames = new Intl.DisplayNames(["en"], { type: "region" });
} catch (e) {
  regionNames = null;
}

/** "DE" -> "Germany"; anything unknown stays as it is. */
export function countryName(code) {
  if (!code || !regionNames || !/^[A-Z]{2}$/.test(code)) return code || "";
  try {
    return regionNames.of(code) || code;
  } catch (e) {
    return code;
  }
}

/** "2026-11-21" -> "Nov 21", "2026-11-21 13:00:00" -> "13:00", with the year when asked. */
export function shortDate(label, withYear = false) {
  const [day, time] = String(label).split(" ");
  const [y, m, d] = day.split("-").map(Number);
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1];
  const text = month + " " + d + (withYear ? ", " + y : "");
  return time ? text + " " + time.slice(0, 5) : text;
}
