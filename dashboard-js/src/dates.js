// Calendar arithmetic on "YYYY-MM-DD" strings, the ranges each period covers (as the Stats API resolves
// them) and the time buckets of a chart (labelled as the API labels them). Pure functions.

const DAY_MS = 86_400_000;

function toDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function iso(date) {
  return date.toISOString().slice(0, 10);
}

export function addDays(day, n) {
  return iso(new Date(toDate(day).getTime() + n * DAY_MS));
}

export function addMonths(day, n) {
  const d = toDate(day);
  return iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)));
}

export function daysBetween(first, last) {
  return Math.round((toDate(last) - toDate(first)) / DAY_MS) + 1;
}

export function isDay(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text || "") && !Number.isNaN(toDate(text).getTime()) && iso(toDate(text)) === text;
}

/** The date and time now in a timezone: {day: "2026-11-21", time: "13:07"}. */
export function nowIn(tz, now = new Date()) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  for (const p of format.formatToParts(now)) parts[p.type] = p.value;
  return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

const FIXED_DAYS = { "7d": 7, "28d": 28, "30d": 30, "91d": 91 };
const MONTHS = { month: 1, "6mo": 6, "12mo": 12 };

/** The inclusive local dates a period covers: {first, last}, as analytics.periods resolves them. */
export function rangeOf(period, date, today, start) {
  if (period === "custom") {
    const [first, last] = String(date).split(",");
    return { first, last };
  }
  const anchor = isDay(date) ? date : today;
  if (period === "day" || period === "realtime") return { first: anchor, last: anchor };
  if (FIXED_DAYS[period]) return { first: addDays(anchor, 1 - FIXED_DAYS[period]), last: anchor };
  if (MONTHS[period]) {
    return { first: addMonths(anchor, 1 - MONTHS[period]), last: addDays(addMonths(anchor, 1), -1) };
  }
  if (period === "year") return { first: anchor.slice(0, 4) + "-01-01", last: anchor.slice(0, 4) + "-12-31" };
  return { first: start && start < today ? start : today, last: today }; // all
}

/** The intervals a chart of this range may use, the default first. */
export function intervalsFor(period, range) {
  if (period === "realtime") return ["minute"];
  const days = daysBetween(range.first, range.last);
  if (days === 1) return ["hour"];
  if (days <= 31) return ["date", "hour", "week"];
  if (days <= 100) return ["date", "week", "month"];
  return ["month", "week", "date"];
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** Every bucket label of the range, as the Stats API's timeseries names them. */
export function buckets(range, interval) {
  const out = [];
  if (interval === "hour") {
    for (let day = range.first; day <= range.last; day = addDays(day, 1)) {
      for (let h = 0; h < 24; h++) out.push(`${day} ${pad(h)}:00:00`);
    }
  } else if (interval === "week") {
    const start = toDate(range.first);
    let day = addDays(range.first, -((start.getUTCDay() + 6) % 7));
    for (; day <= range.last; day = addDays(day, 7)) out.push(day);
  } else if (interval === "month") {
    for (let day = range.first.slice(0, 8) + "01"; day <= range.last; day = addMonths(day, 1)) out.push(day);
  } else {
    for (let day = range.first; day <= range.last; day = addDays(day, 1)) out.push(day);
  }
  return out;
}

/** The last ``count`` minutes up to ``now`` ({day, time}), labelled as the minute interval is. */
export function lastMinutes(now, count) {
  const [h, m] = now.time.split(":").map(Number);
  const out = [];
  for (let i = count - 1; i >= 0; i--) {
    let total = h * 60 + m - i;
    let day = now.day;
    if (total < 0) {
      total += 1440;
      day = addDays(day, -1);
    }
    out.push(`${day} ${pad(Math.floor(total / 60))}:${pad(total % 60)}:00`);
  }
  return out;
}

/** A bucket label as seconds since the epoch, reading its local time as if it were UTC (for the x axis). */
export function labelSeconds(label) {
  const [day, time] = label.split(" ");
  const [hh, mm] = (time || "00:00").split(":").map(Number);
  return toDate(day).getTime() / 1000 + hh * 3600 + mm * 60;
}
