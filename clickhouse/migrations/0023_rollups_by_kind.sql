-- Rollups ordered by piece kind before day: a range reads the whole-day rows of its inner days and the
-- head or tail rows of its edge days only, instead of every kind of every day it touches. kind is an
-- Enum8 whose numbers follow analytics.rollups.KINDS, so readers compute with it cheaply.
-- The rows are derived data: the old table goes, the build records with it, and the sessionizer's
-- refresh builds every day again (queries read the raw tables until then).
DROP TABLE IF EXISTS rollups;

CREATE TABLE rollups
(
    site_id UInt64,
    day Date,
    build UInt64,
    kind Enum8(
        'whole' = 1, 'head' = 2, 'tail' = 3, 'cross' = 4, 'overnight' = 5, 'xWW' = 6, 'xTW' = 7, 'xWH' = 8, 'xTH' = 9
    ),
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
ORDER BY (site_id, dim, kind, day, build, value)
SETTINGS index_granularity = 1024, min_age_to_force_merge_seconds = 10;

TRUNCATE TABLE rollup_builds;

-- Every read of these tables pays for each part it opens (a few hundred microseconds on chDB), and they
-- take small inserts all day: merge what is older than 10 seconds, so a table at rest is a part or two.
ALTER TABLE rollup_builds MODIFY SETTING min_age_to_force_merge_seconds = 10;

ALTER TABLE day_changes MODIFY SETTING min_age_to_force_merge_seconds = 10;
