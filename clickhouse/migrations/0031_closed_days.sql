-- Fast answers for closed days (analytics/closed_days.py). A visitor id lives one day (the daily salt),
-- and a visit keeps the id of the day it began, so the events of one "visit day" (the UTC day of
-- visit_start) hold visitors no other visit day holds: their distinct counts add up across visit days.
--
-- day_events: per site and visit day, how many events it has and when the first and last happened,
-- fed by the events insert. A read uses it to tell which visit days lie wholly inside its range and
-- whether a day's sums (below) were built from the events the day has now.
CREATE TABLE IF NOT EXISTS day_events
(
    site_id UInt64,
    day Date,
    events SimpleAggregateFunction(sum, UInt64),
    first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (site_id, day)
SETTINGS non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS day_events_mv TO day_events AS
SELECT site_id, toDate(visit_start) AS day, toUInt64(count()) AS events, min(timestamp) AS first_at,
    max(timestamp) AS last_at
FROM events
GROUP BY site_id, day;

INSERT INTO day_events
SELECT site_id, toDate(visit_start) AS day, toUInt64(count()), min(timestamp), max(timestamp)
FROM events
GROUP BY site_id, day;

-- day_sums: a closed visit day's partial sums (the query's p_* columns) per value of one dimension
-- ('' for none), in a variant (the timezone of a time bucket, the goals of event:goal), stamped with the
-- day's event count when built. A read takes a day's rows only when the stamp is the day's count now.
-- Every build writes one marker row (marker = 1, partials 0), so a built day with no groups is known.
-- Sums kept under a filter (dimension "<filtered>|<dimension>") hold the filtered dimension's value in
-- filter_value. A row written twice (two builders racing) is read once (LIMIT 1 BY its key) until a merge
-- keeps one.
CREATE TABLE IF NOT EXISTS day_sums
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
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, marker, dimension, variant, day, stamp, filter_value, value)
SETTINGS non_replicated_deduplication_window = 100000;
