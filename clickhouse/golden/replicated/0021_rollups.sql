CREATE TABLE IF NOT EXISTS day_changes ON CLUSTER 'lantern'
(
    site_id UInt64,
    day Date,
    changes SimpleAggregateFunction(sum, UInt64),
    last_change SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/day_changes', '{replica}')
ORDER BY (site_id, day)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE MATERIALIZED VIEW IF NOT EXISTS day_changes_mv ON CLUSTER 'lantern' TO day_changes AS
SELECT site_id, toDate(timestamp, 'UTC') AS day, toUInt64(count()) AS changes, now64(3, 'UTC') AS last_change
FROM events
GROUP BY site_id, day;

INSERT INTO day_changes (site_id, day, changes, last_change)
SELECT site_id, toDate(timestamp, 'UTC') AS day, toUInt64(count()), now64(3, 'UTC')
FROM events
GROUP BY site_id, day;

CREATE TABLE IF NOT EXISTS rollup_builds ON CLUSTER 'lantern'
(
    site_id UInt64,
    day_start DateTime64(3, 'UTC'),
    day Date,
    build UInt64,
    tz String,
    cut_ms Int64,
    changes UInt64,
    prev_changes UInt64,
    prop_keys Array(String),
    built_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_builds', '{replica}', built_at)
ORDER BY (site_id, day)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS rollups ON CLUSTER 'lantern'
(
    site_id UInt64,
    day Date,
    build UInt64,
    kind LowCardinality(String),
    dim LowCardinality(String),
    value String,
    p_visitors Int64,
    p_pageviews Int64,
    p_events Int64,
    p_visits Int64,
    p_visit_pageviews Int64,
    p_bounces Int64,
    p_bounce_visits Int64,
    p_duration_ms Int64,
    p_page_pageviews Int64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/rollups', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, dim, day, build, kind, value)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;
