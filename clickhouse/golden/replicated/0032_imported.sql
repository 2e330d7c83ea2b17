CREATE TABLE IF NOT EXISTS imported_visitors ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_visitors', '{replica}')
ORDER BY (site_id, import_id, date)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_sources ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_sources', '{replica}')
ORDER BY (site_id, import_id, date, source)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_pages ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_pages', '{replica}')
ORDER BY (site_id, import_id, date, hostname, page)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_entry_pages ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_entry_pages', '{replica}')
ORDER BY (site_id, import_id, date, entry_page)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_exit_pages ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_exit_pages', '{replica}')
ORDER BY (site_id, import_id, date, exit_page)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_custom_events ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_custom_events', '{replica}')
ORDER BY (site_id, import_id, date, name)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_locations ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_locations', '{replica}')
ORDER BY (site_id, import_id, date, country, region, city)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_devices ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_devices', '{replica}')
ORDER BY (site_id, import_id, date, device)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_browsers ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_browsers', '{replica}')
ORDER BY (site_id, import_id, date, browser, browser_version)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS imported_operating_systems ON CLUSTER 'lantern'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/imported_operating_systems', '{replica}')
ORDER BY (site_id, import_id, date, operating_system, operating_system_version)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;
