CREATE TABLE IF NOT EXISTS sessions_queue
(
    queued_at DateTime64(6, 'UTC'),
    site_id UInt64,
    visitor_id UInt64,
    day Date
)
ENGINE = MergeTree
ORDER BY queued_at
TTL toDateTime(queued_at) + INTERVAL 3 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS sessions_queue_mv TO sessions_queue AS
SELECT now64(6, 'UTC') AS queued_at, site_id, visitor_id, toDate(timestamp, 'UTC') AS day
FROM events
GROUP BY site_id, visitor_id, day;

CREATE TABLE IF NOT EXISTS sessions_progress
(
    name String,
    done_through DateTime64(6, 'UTC'),
    written_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY name;
