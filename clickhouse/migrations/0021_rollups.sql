-- Rollups: each UTC day's numbers per dimension value, summed per day so the dashboard reads a few
-- thousand rows instead of millions of events (analytics/rollups.py builds them, analytics/rolled.py
-- reads them). A rollup is used only while its day is unchanged, so they are never wrong, only unused.

-- How many events each (site, UTC day) has received, and when the last arrived: filled by the events
-- insert itself (a materialized view), so it moves in the same statement as the events do. Rollups
-- record the count they were built from; a different count means the day changed since.
CREATE TABLE IF NOT EXISTS day_changes
(
    site_id UInt64,
    day Date,
    changes SimpleAggregateFunction(sum, UInt64),
    last_change SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (site_id, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS day_changes_mv TO day_changes AS
SELECT site_id, toDate(timestamp, 'UTC') AS day, toUInt64(count()) AS changes, now64(3, 'UTC') AS last_change
FROM events
GROUP BY site_id, day;

-- Days already stored before this migration (an insert racing it only counts twice: harmless).
INSERT INTO day_changes (site_id, day, changes, last_change)
SELECT site_id, toDate(timestamp, 'UTC') AS day, toUInt64(count()), now64(3, 'UTC')
FROM events
GROUP BY site_id, day;

-- One row per build of a (site, day): which build's rows are current, the timezone and the cut (the
-- local midnight inside the UTC day, in ms after 00:00 UTC; 0 none, -1 more than one) they were cut
-- at, the counts of the day and of the day before that they were built from, and the custom property
-- keys whose values were rolled up (the most used ones). `day_start` dates
-- the row for the retention job: a day partly past the cutoff loses its build (and is read raw).
CREATE TABLE IF NOT EXISTS rollup_builds
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
ENGINE = ReplacingMergeTree(built_at)
ORDER BY (site_id, day);

-- The sums (the query layer's partials) per site, day, piece of the day, dimension and value
-- (dimension "#prop_keys": the custom property keys, p_events the events carrying each).
-- kind: whole (the UTC day), head (before the cut), tail (from the cut), or xWW/xTW/xWH/xTH: the
-- visitors seen both on the day before (Whole or its Tail) and on this day (Whole or its Head), whom
-- adding the two days would count twice.
CREATE TABLE IF NOT EXISTS rollups
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, dim, day, build, kind, value);
