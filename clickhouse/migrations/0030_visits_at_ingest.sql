-- Visits are decided when their events are ingested (ingest/visits.py): every event carries its visit's
-- id and start, and the visit's first-touch attributes in its own columns (referrer ... screen_size).
-- The visits table is fed by the events insert itself (a materialized view), so a read never sees an
-- event without its visit. It replaces the sessions table, the sessionizer's queue and progress, and the
-- rollups with their bookkeeping, all dropped here. Events stored before this migration get their visits
-- from clickhouse/migrate.py's step after it (analytics/rederive.py: the same rule, applied in SQL).
ALTER TABLE events ADD COLUMN IF NOT EXISTS visit_id UInt64;
ALTER TABLE events ADD COLUMN IF NOT EXISTS visit_start DateTime64(3, 'UTC');

DROP VIEW IF EXISTS sessions_queue_mv;
DROP VIEW IF EXISTS sessions_queue_near_mv;
DROP VIEW IF EXISTS day_changes_mv;
DROP VIEW IF EXISTS day_changes_early_mv;
DROP TABLE IF EXISTS sessions_queue;
DROP TABLE IF EXISTS sessions_progress;
DROP TABLE IF EXISTS day_changes;
DROP TABLE IF EXISTS rollup_builds;
DROP TABLE IF EXISTS rollups;
DROP TABLE IF EXISTS sessions_done;
DROP TABLE IF EXISTS sessions;

-- One row per visit once merged; until then one per inserted block holding its events: readers group by
-- visit_id (site_id and the start's day come with it). The first-touch columns are equal on every event
-- of a visit, so any() keeps them; the entry and exit pages are the first and last pageviews (pageviews
-- rank above other events, then time, then event id as the number it spells, as ingest orders them:
-- ClickHouse compares UUIDs by their second half first; '' for a visit without one); counts add up.
-- A block inserted twice under one deduplication token is dropped by the events table and then never
-- reaches this view; the view's own blocks are deduplicated as well
-- (deduplicate_blocks_in_dependent_materialized_views, set by the writer: analytics/client.py).
CREATE TABLE IF NOT EXISTS visits
(
    site_id UInt64,
    visit_start DateTime64(3, 'UTC'),
    visit_id UInt64,
    visitor_id SimpleAggregateFunction(any, UInt64),
    first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    hits SimpleAggregateFunction(sum, UInt64),
    pageviews SimpleAggregateFunction(sum, UInt64),
    events SimpleAggregateFunction(sum, UInt64),
    interactive_events SimpleAggregateFunction(sum, UInt64),
    entry AggregateFunction(argMin, String, Tuple(UInt8, DateTime64(3, 'UTC'), UInt128)),
    exit AggregateFunction(argMax, String, Tuple(UInt8, DateTime64(3, 'UTC'), UInt128)),
    referrer SimpleAggregateFunction(any, String),
    referrer_source SimpleAggregateFunction(any, LowCardinality(String)),
    channel SimpleAggregateFunction(any, LowCardinality(String)),
    utm_medium SimpleAggregateFunction(any, LowCardinality(String)),
    utm_source SimpleAggregateFunction(any, LowCardinality(String)),
    utm_campaign SimpleAggregateFunction(any, String),
    utm_content SimpleAggregateFunction(any, String),
    utm_term SimpleAggregateFunction(any, String),
    country_code SimpleAggregateFunction(any, LowCardinality(String)),
    region SimpleAggregateFunction(any, LowCardinality(String)),
    city SimpleAggregateFunction(any, LowCardinality(String)),
    browser SimpleAggregateFunction(any, LowCardinality(String)),
    browser_version SimpleAggregateFunction(any, LowCardinality(String)),
    os SimpleAggregateFunction(any, LowCardinality(String)),
    os_version SimpleAggregateFunction(any, LowCardinality(String)),
    device SimpleAggregateFunction(any, LowCardinality(String)),
    screen_size SimpleAggregateFunction(any, LowCardinality(String))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(visit_start)
ORDER BY (site_id, toDate(visit_start), visit_id)
SETTINGS non_replicated_deduplication_window = 100000, min_age_to_force_merge_seconds = 60;

CREATE MATERIALIZED VIEW IF NOT EXISTS visits_mv TO visits AS
SELECT
    site_id,
    visit_start,
    visit_id,
    any(visitor_id) AS visitor_id,
    min(timestamp) AS first_at,
    max(timestamp) AS last_at,
    toUInt64(count()) AS hits,
    toUInt64(countIf(name = 'pageview')) AS pageviews,
    toUInt64(countIf(name != 'engagement')) AS events,
    toUInt64(countIf(name NOT IN ('pageview', 'engagement') AND interactive)) AS interactive_events,
    argMinState(if(name = 'pageview', toString(pathname), ''), (toUInt8(name != 'pageview'), timestamp, toUInt128(event_id)))
        AS entry,
    argMaxState(if(name = 'pageview', toString(pathname), ''), (toUInt8(name = 'pageview'), timestamp, toUInt128(event_id)))
        AS exit,
    any(referrer) AS referrer,
    any(referrer_source) AS referrer_source,
    any(channel) AS channel,
    any(utm_medium) AS utm_medium,
    any(utm_source) AS utm_source,
    any(utm_campaign) AS utm_campaign,
    any(utm_content) AS utm_content,
    any(utm_term) AS utm_term,
    any(country_code) AS country_code,
    any(region) AS region,
    any(city) AS city,
    any(browser) AS browser,
    any(browser_version) AS browser_version,
    any(os) AS os,
    any(os_version) AS os_version,
    any(device) AS device,
    any(screen_size) AS screen_size
FROM events
GROUP BY site_id, visit_start, visit_id;
