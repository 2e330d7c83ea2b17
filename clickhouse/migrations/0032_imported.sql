-- Imported history (analytics/imported/): daily aggregates from another analytics tool, one table per
-- file of Plausible's CSV export, with Plausible's column names and types. Every row carries the
-- site and the import it came from: an import loads under a new import_id and becomes the site's
-- active import only once every file loaded (panel/imports), so a failed or replaced import's rows are
-- never read, then deleted. "date" is the day in the site's timezone, as in the export.
CREATE TABLE IF NOT EXISTS imported_visitors
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    visitors UInt64,
    pageviews UInt64,
    bounces UInt64,
    visits UInt64,
    visit_duration UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date);

-- channel is not in the export: it is derived from the source, referrer and UTM tags when loading.
CREATE TABLE IF NOT EXISTS imported_sources
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    source String,
    referrer String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_content String,
    utm_term String,
    channel LowCardinality(String),
    pageviews UInt64,
    visitors UInt64,
    visits UInt64,
    visit_duration UInt64,
    bounces UInt32
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, source);

CREATE TABLE IF NOT EXISTS imported_pages
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    hostname String,
    page String,
    visits UInt64,
    visitors UInt64,
    pageviews UInt64,
    exits UInt64,
    total_scroll_depth UInt64,
    total_scroll_depth_visits UInt64,
    total_time_on_page UInt64,
    total_time_on_page_visits UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, hostname, page);

CREATE TABLE IF NOT EXISTS imported_entry_pages
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    entry_page String,
    visitors UInt64,
    entrances UInt64,
    visit_duration UInt64,
    bounces UInt32,
    pageviews UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, entry_page);

CREATE TABLE IF NOT EXISTS imported_exit_pages
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    exit_page String,
    visitors UInt64,
    visit_duration UInt64,
    exits UInt64,
    bounces UInt32,
    pageviews UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, exit_page);

CREATE TABLE IF NOT EXISTS imported_custom_events
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    name String,
    link_url String,
    path String,
    visitors UInt64,
    events UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, name);

-- region is an ISO 3166-2 code and city a GeoNames id, as Plausible exports them.
CREATE TABLE IF NOT EXISTS imported_locations
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    country String,
    region String,
    city UInt64,
    visitors UInt64,
    visits UInt64,
    visit_duration UInt64,
    bounces UInt32,
    pageviews UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, country, region, city);

-- device is Plausible's screen class (Mobile, Tablet, Laptop, Desktop).
CREATE TABLE IF NOT EXISTS imported_devices
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    device String,
    visitors UInt64,
    visits UInt64,
    visit_duration UInt64,
    bounces UInt32,
    pageviews UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, device);

CREATE TABLE IF NOT EXISTS imported_browsers
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    browser String,
    browser_version String,
    visitors UInt64,
    visits UInt64,
    visit_duration UInt64,
    bounces UInt32,
    pageviews UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, browser, browser_version);

CREATE TABLE IF NOT EXISTS imported_operating_systems
(
    site_id UInt64,
    import_id UInt64,
    date Date,
    operating_system String,
    operating_system_version String,
    visitors UInt64,
    visits UInt64,
    visit_duration UInt64,
    bounces UInt32,
    pageviews UInt64
)
ENGINE = MergeTree
ORDER BY (site_id, import_id, date, operating_system, operating_system_version);
