CREATE TABLE IF NOT EXISTS sessions_queue ON CLUSTER 'lantern'
(
    queued_at DateTime64(6, 'UTC'),
    site_id UInt64,
    visitor_id UInt64,
    day Date
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/sessions_queue', '{replica}')
ORDER BY queued_at
TTL toDateTime(queued_at) + INTERVAL 3 DAY
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;

CREATE MATERIALIZED VIEW IF NOT EXISTS sessions_queue_mv ON CLUSTER 'lantern' TO sessions_queue AS
SELECT now64(6, 'UTC') AS queued_at, site_id, visitor_id, toDate(timestamp, 'UTC') AS day
FROM events
GROUP BY site_id, visitor_id, day;

CREATE TABLE IF NOT EXISTS sessions_progress ON CLUSTER 'lantern'
(
    name String,
    done_through DateTime64(6, 'UTC'),
    written_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/sessions_progress', '{replica}', written_at)
ORDER BY name
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800;
