CREATE TABLE IF NOT EXISTS day_events ON CLUSTER 'lantern'
(
    site_id UInt64,
    day Date,
    events SimpleAggregateFunction(sum, UInt64),
    first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/day_events', '{replica}')
ORDER BY (site_id, day)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE MATERIALIZED VIEW IF NOT EXISTS day_events_mv ON CLUSTER 'lantern' TO day_events AS
SELECT site_id, toDate(visit_start) AS day, toUInt64(count()) AS events, min(timestamp) AS first_at,
    max(timestamp) AS last_at
FROM events
GROUP BY site_id, day;

INSERT INTO day_events
SELECT site_id, toDate(visit_start) AS day, toUInt64(count()), min(timestamp), max(timestamp)
FROM events
GROUP BY site_id, day;

CREATE TABLE IF NOT EXISTS day_sums ON CLUSTER 'lantern'
(
    site_id UInt64,
    dimension LowCardinality(String),
    variant String,
    day Date,
    stamp UInt64,
    marker UInt8,
    filter_value String,
    value String,
    p_visitors UInt64,
    p_pageviews UInt64,
    p_events UInt64,
    p_revenue Decimal128(6),
    p_revenue_events UInt64,
    p_engaged UInt64,
    p_engaged_ms UInt64,
    p_scroll UInt64,
    p_visits UInt64,
    p_visit_pageviews UInt64,
    p_bounces UInt64,
    p_bounce_visits UInt64,
    p_duration_ms UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/day_sums', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, marker, dimension, variant, day, stamp, filter_value, value)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;
