// What the dashboard shows: its top stats, its lists (with their tabs) and the dimensions a filter can
// name, each with the Stats API property it reads and how it is labelled.

import { countryName } from "./format.js";

export const TOP_STATS = [
  ["visitors", "Unique visitors"],
  ["visits", "Total visits"],
  ["pageviews", "Total pageviews"],
  ["views_per_visit", "Views per visit"],
  ["bounce_rate", "Bounce rate"],
  ["visit_duration", "Visit duration"],
];
/** The top stats when the view is filtered by goals (as Plausible): conversions, and revenue when the
 * goals have a currency. */
export const GOAL_STATS = [
  ["visitors", "Unique conversions"],
  ["events", "Total conversions"],
  ["conversion_rate", "Conversion rate"],
  ["average_revenue", "Average revenue"],
  ["total_revenue", "Total revenue"],
];
export const REVENUE_STATS = ["average_revenue", "total_revenue"];

export const DIMENSIONS = {
  "event:page": "Page",
  "visit:entry_page": "Entry page",
  "visit:exit_page": "Exit page",
  "event:hostname": "Hostname",
  "event:name": "Event name",
  "event:goal": "Goal",
  "visit:source": "Source",
  "visit:referrer": "Referrer",
  "visit:channel": "Channel",
  "visit:utm_medium": "UTM medium",
  "visit:utm_source": "UTM source",
  "visit:utm_campaign": "UTM campaign",
  "visit:utm_content": "UTM content",
  "visit:utm_term": "UTM term",
  "visit:country": "Country",
  "visit:region": "Region",
  "visit:city": "City",
  "visit:browser": "Browser",
  "visit:browser_version": "Browser version",
  "visit:os": "Operating system",
  "visit:os_version": "OS version",
  "visit:device": "Device",
  "visit:screen": "Screen size",
};

/** How a value of a dimension is shown ("DE" -> "Germany"). */
export function dimensionLabel(dimension) {
  if (dimension.startsWith("event:props:")) return "Property " + dimension.slice("event:props:".length);
  return DIMENSIONS[dimension] || dimension;
}

/** A referrer as a row names it: without its scheme ("news.ycombinator.com/item?id=1"). */
export function referrerLabel(parent, value) {
  return value ? value.replace(/^https?:\/\//i, "") : "(none)";
}

export function valueLabel(dimension, value) {
  if (dimension === "visit:country") return countryName(value);
  if (value === "") return "(none)";
  return value;
}

/**
 * The list cards. Each tab reads one breakdown ``property``; ``drill`` is the property listed instead
 * once the tab's own property is filtered to one value (a browser's versions, a source's referrers),
 * under the heading ``drillColumn`` (else "<column> version"), each row named by ``drillLabel(parent,
 * value)`` (else "<parent> <value>"); ``csv`` names the tab's file in a CSV export
 * (``/<domain>/export/<csv>.csv``).
 */
export const LISTS = {
  sources: {
    title: "Sources",
    tabs: {
      channel: { label: "Channels", property: "visit:channel", column: "Channel", csv: "channels" },
      // one source filtered: its referrers (as Plausible), each a row to filter by
      source: {
        label: "Sources", property: "visit:source", column: "Source", csv: "sources",
        drill: "visit:referrer", drillCsv: "referrers", drillColumn: "Referrer", drillLabel: referrerLabel,
      },
      utm_medium: { label: "Mediums", property: "visit:utm_medium", column: "UTM medium", csv: "utm_mediums" },
      utm_source: { label: "UTM sources", property: "visit:utm_source", column: "UTM source", csv: "utm_sources" },
      utm_campaign: { label: "Campaigns", property: "visit:utm_campaign", column: "UTM campaign", csv: "utm_campaigns" },
      utm_content: { label: "Contents", property: "visit:utm_content", column: "UTM content", csv: "utm_contents" },
      utm_term: { label: "Terms", property: "visit:utm_term", column: "UTM term", csv: "utm_terms" },
    },
  },
  pages: {
    title: "Pages",
    tabs: {
      // engagement shown: how long a page is looked at and how far down it is read (the tracker sends it)
      page: {
        label: "Top pages", property: "event:page", column: "Page", csv: "pages",
        columns: [["visitors", "Visitors"], ["time_on_page", "Time"], ["scroll_depth", "Scroll"]],
      },
      entry: { label: "Entry pages", property: "visit:entry_page", column: "Entry page", csv: "entry_pages" },
      exit: { label: "Exit pages", property: "visit:exit_page", column: "Exit page", csv: "exit_pages" },
    },
  },
  locations: {
    title: "Locations",
    tabs: {
      map: { label: "Map", property: "visit:country", column: "Country", csv: "countries", map: true },
      country: { label: "Countries", property: "visit:country", column: "Country", csv: "countries" },
      region: { label: "Regions", property: "visit:region", column: "Region", csv: "regions" },
      city: { label: "Cities", property: "visit:city", column: "City", csv: "cities" },
    },
  },
  devices: {
    title: "Devices",
    tabs: {
      browser: { label: "Browsers", property: "visit:browser", column: "Browser", csv: "browsers", drill: "visit:browser_version", drillCsv: "browser_versions" },
      os: { label: "Operating systems", property: "visit:os", column: "OS", csv: "operating_systems", drill: "visit:os_version", drillCsv: "operating_system_versions" },
      screen: { label: "Screen sizes", property: "visit:screen", column: "Screen size", csv: "screen_sizes" },
    },
  },
};

export const DROP_REASONS = {
  bot: "Bots",
  spam: "Referrer spam",
  prefetch: "Prefetches",
  shield_ip: "IP shield",
  shield_page: "Page shield",
  shield_country: "Country shield",
  shield_hostname: "Hostname shield",
  rate_limited: "Rate limited",
  unknown_site: "Unknown site",
};
