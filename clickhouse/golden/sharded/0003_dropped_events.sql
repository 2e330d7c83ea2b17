CREATE TABLE IF NOT EXISTS dropped_events_local ON CLUSTER 'lantern'
(
    site_id UInt64,
    day Date,
    reason LowCardinality(String),
    count UInt64
)
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/dropped_events', '{replica}', count)
ORDER BY (site_id, day, reason)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE TABLE IF NOT EXISTS dropped_events ON CLUSTER 'lantern' AS dropped_events_local
ENGINE = Distributed('lantern', currentDatabase(), 'dropped_events_local', cityHash64(site_id));
