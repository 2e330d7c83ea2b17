// The Details view's part of the dashboard URL (state.js reads and writes it with the rest):
//   ?details=visit:source&details_search=goo&details_sort=bounce_rate:asc&details_pages=2
// details names the property listed (one a card lists, a browser's or OS's versions, a goal, a custom
// property); details_sort is a column ("name" for the values themselves) and asc or desc, left out for
// the default (the first figure, descending); details_pages is how many pages of rows are shown.

/** What each property's full list is called: the properties a Details view may list. */
export const DETAILS_TITLES = {
  "visit:channel": "Channels",
  "visit:source": "Sources",
  "visit:utm_medium": "UTM mediums",
  "visit:utm_source": "UTM sources",
  "visit:utm_campaign": "UTM campaigns",
  "visit:utm_content": "UTM contents",
  "visit:utm_term": "UTM terms",
  "event:page": "Top pages",
  "visit:entry_page": "Entry pages",
  "visit:exit_page": "Exit pages",
  "visit:country": "Countries",
  "visit:region": "Regions",
  "visit:city": "Cities",
  "visit:browser": "Browsers",
  "visit:browser_version": "Browser versions",
  "visit:os": "Operating systems",
  "visit:os_version": "Operating system versions",
  "visit:screen": "Screen sizes",
  "event:goal": "Goals",
};
export const PROPS_PREFIX = "event:props:";
/** Rows a page: a first load, and each "Load more". */
export const DETAILS_PAGE = 100;
/** The most pages a URL may ask for: 10,000 rows, as many as its CSV holds. */
export const MAX_DETAILS_PAGES = 100;
const MAX_SEARCH = 200;
const SORT = /^(name|[a-z_]+):(asc|desc)$/;

/** Whether a Details view can list ``property``. */
export function listable(property) {
  if (Object.hasOwn(DETAILS_TITLES, property)) return true;
  const key = property.startsWith(PROPS_PREFIX) ? property.slice(PROPS_PREFIX.length) : "";
  return key.length > 0 && key.length <= 300;
}

/** The Details view a query string names, or null: {property, search, sort, pages}. */
export function parseDetails(q) {
  const property = q.get("details") || "";
  if (!listable(property)) return null;
  const sort = q.get("details_sort") || "";
  const pages = Number(q.get("details_pages") || "1");
  return {
    property,
    search: (q.get("details_search") || "").slice(0, MAX_SEARCH),
    sort: SORT.test(sort) ? sort : "",
    pages: Number.isInteger(pages) && pages >= 1 ? Math.min(pages, MAX_DETAILS_PAGES) : 1,
  };
}

/** Set a Details view's parameters on ``q`` (a URLSearchParams); nothing when there is none. */
export function formatDetails(details, q) {
  if (!details) return;
  q.set("details", details.property);
  if (details.search) q.set("details_search", details.search);
  if (details.sort) q.set("details_sort", details.sort);
  if (details.pages > 1) q.set("details_pages", String(details.pages));
}

/** A Details view of ``property`` as it opens: no search, the default order, one page. */
export function openDetails(property) {
  return { property, search: "", sort: "", pages: 1 };
}
