-- What ingest filtered out, per site, UTC day and reason (bot, spam, shields, ...), so the dashboard
-- can show it. Counts arrive pre-aggregated from ingest and are summed by the engine.
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
