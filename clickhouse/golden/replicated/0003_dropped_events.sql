CREATE TABLE IF NOT EXISTS dropped_events ON CLUSTER 'lantern'
(
    site_id UInt64,
    day Date,
    reason LowCardinality(String),
    count UInt64
)
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/dropped_events', '{replica}', count)
ORDER BY (site_id, day, reason)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;
