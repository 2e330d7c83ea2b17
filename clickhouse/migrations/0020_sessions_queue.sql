-- The visitor-days whose sessions need recomputing, queued by the events insert itself.
--
-- The materialized view runs inside every INSERT INTO events, so each inserted block adds its
-- visitor-days here in the same statement: nothing is queued without its events, and no event goes in
-- without being queued. The sessionizer (analytics/sessionizer.py) follows the queue by `queued_at`,
-- recomputes those visitor-days' sessions, and records how far it got in `sessions_progress`.
-- Rows older than three days are of no further use (the sessionizer keeps within seconds of now).
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

-- How far the sessionizer has worked through the queue (one row per name, the latest wins).
CREATE TABLE IF NOT EXISTS sessions_progress
(
    name String,
    done_through DateTime64(6, 'UTC'),
    written_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY name;
