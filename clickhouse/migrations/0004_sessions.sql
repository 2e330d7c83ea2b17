-- Visits ("sessions"): one row per known state of a session, written by the flusher after each batch of
-- events (analytics/sessions.py), read by the query layer (analytics/query.py).
--
-- A session is a visitor's run of events (in event time) with gaps of at most 30 minutes, within one
-- UTC day (visitor ids are keyed by the day's salt, so they never outlive it). Its key is
-- (site_id, visitor_id, session_start). Late or out-of-order events can change a session's numbers,
-- move its start or merge two sessions, so rows are never updated in place: each change adds a row
-- with a higher `version`, and a session that no longer exists gets a row with deleted = 1.
--
-- `version` is the number of events its writer saw for the visitor's day. Events are only ever added,
-- so a later view of that day has a higher (or, seeing the same events, an equal) version. Readers take
-- argMax(column, version) per key and drop deleted keys: exact without FINAL, whatever order rows land
-- in, and unharmed by a batch written twice or by two flushers writing the same visitor at once (a
-- VersionedCollapsingMergeTree's sign rows would be counted twice in those cases; a writer overtaken by
-- another redoes its work, see analytics/sessions.py). ReplacingMergeTree lets merges discard
-- superseded rows; queries never depend on merges having happened.
CREATE TABLE IF NOT EXISTS sessions
(
    site_id UInt64,
    visitor_id UInt64,
    session_start DateTime64(3, 'UTC'),
    session_end DateTime64(3, 'UTC'),
    version UInt64,
    deleted UInt8,
    fingerprint UInt64,
    hits UInt32,
    pageviews UInt32,
    events UInt32,
    interactive_events UInt32,
    is_bounce UInt8,
    duration_ms UInt32,
    hostname LowCardinality(String),
    entry_page String,
    exit_page String,
    referrer String,
    referrer_source LowCardinality(String),
    channel LowCardinality(String),
    utm_medium LowCardinality(String),
    utm_source LowCardinality(String),
    utm_campaign String,
    utm_content String,
    utm_term String,
    country_code LowCardinality(String),
    region LowCardinality(String),
    city LowCardinality(String),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    os_version LowCardinality(String),
    device LowCardinality(String),
    screen_size LowCardinality(String)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(session_start)
ORDER BY (site_id, toDate(session_start), visitor_id, session_start);
