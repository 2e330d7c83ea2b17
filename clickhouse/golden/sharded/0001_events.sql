CREATE TABLE IF NOT EXISTS events_local ON CLUSTER 'lantern'
(
    site_id UInt64,
    timestamp DateTime64(3, 'UTC'),
    event_id UUID,
    name LowCardinality(String),
    visitor_id UInt64,
    hostname LowCardinality(String),
    pathname String,
    referrer String,
    referrer_source LowCardinality(String),
    channel LowCardinality(String),
    utm_medium LowCardinality(String),
    utm_source LowCardinality(String),
    utm_campaign String,
    utm_content String,
    utm_term String,
    country_code LowCardinality(String),
    region LowCardinality(String),
    city LowCardinality(String),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    os_version LowCardinality(String),
    device LowCardinality(String),
    screen_size LowCardinality(String),
    prop_keys Array(String),
    prop_values Array(String),
    revenue_amount Nullable(Decimal(18, 6)),
    revenue_currency LowCardinality(String),
    interactive Bool
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/events', '{replica}')
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site_id, toDate(timestamp), name, visitor_id, timestamp)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS events ON CLUSTER 'lantern' AS events_local
ENGINE = Distributed('lantern', currentDatabase(), 'events_local', cityHash64(site_id));
