CREATE TABLE IF NOT EXISTS dropped_events
(
    site_id UInt64,
    day Date,
    reason LowCardinality(String),
    count UInt64
)
ENGINE = SummingMergeTree(count)
ORDER BY (site_id, day, reason)
SETTINGS non_replicated_deduplication_window = 100000;
